"""RIS as written by Scopus, Web of Science, Embase, Ovid, ProQuest, EBSCO,
Zotero, EndNote and Rayyan. Vendors use the tags differently (T1/TI, JO/JF/T2,
Y1/PY/DA, DO vs a DOI inside L2/UR, repeated SN), so each column takes the
first tag that holds it and every other value stays in `extra`."""

from __future__ import annotations

import re

import rispy

from ..records import (Record, find_doi, join_pages, normalise_doi, parse_int, parse_year,
                       pmid_in_accession)
from . import Parsed
from .tagged import FieldBag, read_tagged

NAME = "ris"
LABEL = "RIS"

# A tag line is two characters, two spaces, a hyphen and a space (the RIS
# specification; `ER  -` may end there). A few writers put more spaces before
# the hyphen. A file whose records open with one space (`TY - JOUR`) writes
# every tag so; in any other file a line such as "ER - positive tumours" or
# "UK - wide registries" is text continuing the value above it.
_TAG = re.compile(r"^([A-Z][A-Z0-9]) {2,}-(?: (.*)|\s*)$")
_ONE_SPACE_TAG = re.compile(r"^([A-Z][A-Z0-9]) {1,}-(?: (.*)|\s*)$")
_ONE_SPACE_START = re.compile(r"^TY -(?: |\s*$)")
_SIGNATURE = re.compile(r"^TY {1,2}- ", re.MULTILINE)
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_UPPER_OR_DIGIT = _UPPER | frozenset("0123456789")

# rispy's vocabulary names the tags we keep in `extra` (e.g. "AD (author_address)").
TAG_NAMES = {tag: name for tag, name in rispy.TAG_KEY_MAPPING.items()}

TYPE_NAMES = dict(rispy.TYPE_OF_REFERENCE_MAPPING)

# Tags that hold one item per value (rispy's list tags, and the link tags).
# EndNote, Embase and Rayyan write a list as one tag and then one bare line
# per further item ("KW  - first" / "second" / "third"): each line is an
# item. N1 is a list in rispy too, but its bare lines are the paragraphs of
# one note, so it joins like any other text.
LIST_TAGS = frozenset(rispy.LIST_TYPE_TAGS) - {"N1"} | {"L1", "L2", "L3", "L4"}


# Reference types whose secondary title (T2) is the periodical.
PERIODICAL_TYPES = (None, "JOUR", "JFULL", "MGZN", "NEWS", "EJOUR", "INPR", "ABST")


def sniff(head: str) -> bool:
    return bool(_SIGNATURE.search(head))


def parse_line(line: str, one_space: bool = False):
    """(tag, value) of a tag line, None for any other line. one_space: the
    record was opened by `TY - ` (one space), so its tags are written so."""
    # Fast path for the standard "XX  - value" layout; the regex takes the rest.
    if line[2:5] == "  -" and line[5:6] in ("", " ") and line[:1] in _UPPER \
            and line[1:2] in _UPPER_OR_DIGIT:
        return line[:2], line[6:].strip()
    match = (_ONE_SPACE_TAG if one_space else _TAG).match(line)
    if match:
        return match.group(1), (match.group(2) or "").strip()
    return None


def tag_reader():
    """parse_line for one file: its first `TY` line says how the file spaces
    its tags (so `TY - wide` inside an abstract of a standard file is text)."""
    one_space = None

    def read(line: str):
        nonlocal one_space
        if one_space is None and line.startswith("TY"):
            if _ONE_SPACE_START.match(line):
                one_space = True
            elif parse_line(line):
                one_space = False
        return parse_line(line, bool(one_space))

    return read


def parse(stream):
    # A value continued on untagged lines keeps its line breaks: in Zotero and
    # EndNote exports they are the paragraph breaks of the abstract.
    for tagged in read_tagged(
        stream,
        tag_reader(),
        starts=lambda tag: tag == "TY",
        ends=lambda tag: tag == "ER",
        joiner="\n\n",
        list_tags=LIST_TAGS,
    ):
        yield Parsed(to_record(FieldBag(tagged.fields)), tagged.raw, tagged.line, tagged.warning)


def to_record(bag: FieldBag) -> Record:
    record = Record()
    ref_type = bag.first("TY")
    record.title = bag.first("TI", "T1", "CT", "BT")
    record.authors = bag.all("AU", "A1")
    record.abstract = bag.first("AB", "N2")
    record.journal = bag.first(*journal_tags(ref_type, is_ebsco(bag)))
    record.volume = bag.first("VL")
    record.issue = bag.first("IS", "CP")
    record.pages = join_pages(bag.first("SP"), bag.first("EP"))
    date = bag.first("PY", "Y1", "DA", "Y2")
    record.publication_date = date
    record.year = parse_year(date)
    record.doi = bag.first("DO")
    if not normalise_doi(record.doi):
        # Zotero puts the DOI in M3 or a note; Ovid and EBSCO only in links.
        record.doi_elsewhere = find_doi(*(bag.peek(tag) for tag in (
            "L2", "UR", "M3", "N1", "L3", "LK")))
    record.url = bag.first("UR", "L2")
    record.pdf_url = bag.first("L1")
    record.keywords = bag.all("KW")
    record.language = bag.first("LA")
    types = [TYPE_NAMES.get(ref_type, ref_type)] if ref_type else []
    types += bag.all("M3") if "M3" in bag and not normalise_doi(bag.peek("M3")) else []
    record.publication_types = types
    record.pmcid = bag.first("C2") if (bag.peek("C2") or "").upper().startswith("PMC") else None
    # The PMID is the accession number (AN) of a MEDLINE/PubMed record; Embase
    # gives a record also in MEDLINE ("DB  - Medline") its PMID in C5.
    sources = bag.values("DB") + bag.values("DP")
    for tag in ("AN", "C5"):
        record.pmid = pmid_in_accession(bag.peek(tag), *sources)
        if record.pmid:
            bag.first(tag)
            break
    cited = bag.peek("U3") or bag.peek("N1") or ""
    match = re.search(r"Cited By\s*:?\s*(\d+)", cited, re.IGNORECASE)
    if match:
        record.citation_count = parse_int(match.group(1))
    record.database = infer_database(bag)
    record.extra = bag.extra(TAG_NAMES)
    return record


def journal_tags(ref_type: str | None, ebsco: bool) -> tuple[str, ...]:
    """The tags that may name the journal, best first. JF is the full
    journal name wherever it is written (Embase, Ovid, EndNote). T2 is the
    journal in Scopus, WoS and Zotero RIS, which have no JF; EBSCO writes
    the journal in JO/JF and uses T2 for another title (a translation), so
    for EBSCO T2 comes last."""
    if ref_type not in PERIODICAL_TYPES:
        return ("T2", "JF", "JO", "BT", "T3")
    if ebsco:
        return ("JF", "JO", "JA", "J2", "J1", "T2")
    return ("JF", "T2", "JO", "JA", "J2", "J1")


def is_ebsco(bag: FieldBag) -> bool:
    return any("ebsco" in (bag.peek(tag) or "").lower() for tag in ("DP", "DB", "UR", "L2"))


def infer_database(bag: FieldBag) -> str | None:
    db = (bag.peek("DB") or bag.peek("DP") or "").strip()
    if db:
        return db
    url = bag.peek("UR") or ""
    if "scopus.com" in url:
        return "Scopus"
    accession = bag.peek("AN") or ""
    if accession.startswith("WOS:") or "webofscience" in url or "isiknowledge" in url:
        return "Web of Science"
    if "embase.com" in url:
        return "Embase"
    return None
