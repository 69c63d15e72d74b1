"""RIS as written by Scopus, Web of Science, Embase, Ovid, ProQuest, EBSCO,
Zotero, EndNote and Rayyan. Vendors use the tags differently (T1/TI, JO/JF/T2,
Y1/PY/DA, DO vs a DOI inside L2/UR, repeated SN), so each column takes the
first tag that holds it and every other value stays in `extra`."""

from __future__ import annotations

import re

import rispy

from ..records import Record, find_doi, join_pages, parse_int, parse_year
from . import Parsed
from .tagged import FieldBag, read_tagged

NAME = "ris"
LABEL = "RIS"

_TAG = re.compile(r"^([A-Z][A-Z0-9])\s{1,2}-(?:\s(.*)|\s*)$")
_SIGNATURE = re.compile(r"^TY\s{1,2}- ", re.MULTILINE)

# rispy's vocabulary names the tags we keep in `extra` (e.g. "AD (author_address)").
TAG_NAMES = {tag: name for tag, name in rispy.TAG_KEY_MAPPING.items()}

TYPE_NAMES = dict(rispy.TYPE_OF_REFERENCE_MAPPING)


def sniff(head: str) -> bool:
    return bool(_SIGNATURE.search(head))


def parse_line(line: str):
    # Fast path for the standard "XX  - value" layout; the regex takes the rest.
    if line[2:5] == "  -" and line[:1].isupper():
        tag = line[:2]
        if tag.isalnum():
            return tag, line[6:].strip()
    match = _TAG.match(line)
    if match:
        return match.group(1), (match.group(2) or "").strip()
    return None


def parse(stream):
    # A value continued on untagged lines keeps its line breaks: in Zotero and
    # EndNote exports they are the paragraph breaks of the abstract.
    for tagged in read_tagged(
        stream,
        parse_line,
        starts=lambda tag: tag == "TY",
        ends=lambda tag: tag == "ER",
        joiner="\n\n",
    ):
        yield Parsed(to_record(FieldBag(tagged.fields)), tagged.raw, tagged.line)


def to_record(bag: FieldBag) -> Record:
    record = Record()
    ref_type = bag.first("TY")
    record.title = bag.first("TI", "T1", "CT", "BT")
    record.authors = bag.all("AU", "A1")
    record.abstract = bag.first("AB", "N2")
    # T2 is the journal in Scopus/WoS/Zotero; JF/JO in Embase/Ovid.
    record.journal = bag.first("T2", "JF", "JO", "JA", "J2", "J1") if ref_type in (
        None, "JOUR", "JFULL", "MGZN", "NEWS", "EJOUR", "INPR", "ABST") else bag.first(
        "T2", "JF", "JO", "BT", "T3")
    record.volume = bag.first("VL")
    record.issue = bag.first("IS", "CP")
    record.pages = join_pages(bag.first("SP"), bag.first("EP"))
    date = bag.first("PY", "Y1", "DA", "Y2")
    record.publication_date = date
    record.year = parse_year(date)
    doi_field = bag.first("DO")
    record.doi = find_doi(doi_field)
    if not record.doi:
        for tag in ("L2", "UR", "M3", "N1", "L3", "LK"):
            value = bag.peek(tag)
            if find_doi(value):
                record.doi = find_doi(value)
                break
    record.url = bag.first("UR", "L2")
    record.pdf_url = bag.first("L1")
    record.keywords = bag.all("KW")
    record.language = bag.first("LA")
    types = [TYPE_NAMES.get(ref_type, ref_type)] if ref_type else []
    types += bag.all("M3") if "M3" in bag and not find_doi(bag.peek("M3")) else []
    record.publication_types = types
    record.pmcid = bag.first("C2") if (bag.peek("C2") or "").upper().startswith("PMC") else None
    # "AN  - PMID:123" (this project's own export; some EndNote styles)
    pmid = re.fullmatch(r"PMID:\s*(\d{1,9})", (bag.peek("AN") or "").strip())
    if pmid:
        record.pmid = pmid.group(1)
        bag.first("AN")
    cited = bag.peek("U3") or bag.peek("N1") or ""
    match = re.search(r"Cited By\s*:?\s*(\d+)", cited, re.IGNORECASE)
    if match:
        record.citation_count = parse_int(match.group(1))
    record.database = infer_database(bag)
    record.extra = bag.extra(TAG_NAMES)
    return record


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
