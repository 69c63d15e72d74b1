"""Web of Science tagged plain text (`FN`/`VR` header, `PT ... ER` records,
three-space continuation lines). The tab-delimited export uses the same
two-letter tags as column names, so its rows go through `to_record` too
(see csv_table.py)."""

from __future__ import annotations

import re

from ..markup import starts_labelled_section
from ..records import Record, join_pages, parse_int, parse_year, split_list
from . import Parsed
from .tagged import FieldBag, read_tagged

NAME = "wos"
LABEL = "Web of Science plain text"

_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*)|\s*)$")
_SIGNATURE = re.compile(r"^(FN (Clarivate|Thomson)|PT [A-Z]\s*$)", re.MULTILINE)

# Tags whose continuation lines are further values (one author per line).
MULTI = {"AU", "AF", "BA", "BF", "BE", "CA", "GP", "ED", "CR", "C1", "C3", "EM"}

# Readable names for the tags kept in `extra`.
TAG_NAMES = {
    "PT": "publication type", "AU": "authors", "AF": "author full names", "SO": "source",
    "J9": "29-char source abbreviation", "JI": "ISO source abbreviation", "DE": "author keywords",
    "ID": "keywords plus", "C1": "addresses", "C3": "affiliations", "RP": "reprint address",
    "EM": "email", "RI": "ResearcherID", "OI": "ORCID", "FU": "funding", "FX": "funding text",
    "CR": "cited references", "NR": "cited reference count", "TC": "times cited (WoS core)",
    "Z9": "times cited (all databases)", "U1": "usage count (180 days)",
    "U2": "usage count (since 2013)", "PU": "publisher", "PI": "publisher city",
    "PA": "publisher address", "SN": "ISSN", "EI": "eISSN", "PD": "publication date",
    "WC": "WoS categories", "SC": "research areas", "GA": "document delivery number",
    "UT": "accession number", "OA": "open access", "DA": "date of export", "HC": "highly cited",
    "HP": "hot paper", "AR": "article number", "DT": "document type", "BP": "beginning page",
    "EP": "ending page", "PG": "page count", "EA": "early access date", "PM": "PubMed ID",
    "SI": "special issue", "SU": "supplement", "PN": "part number", "PS": "page span",
}


def sniff(head: str) -> bool:
    if head.startswith("FN ") or _SIGNATURE.search(head):
        return bool(re.search(r"^(PT|TI|AU) ", head, re.MULTILINE))
    return False


def parse_line(line: str):
    if line.startswith(" "):
        return None
    match = _TAG.match(line)
    if match:
        return match.group(1), (match.group(2) or "").strip()
    return None


# Continuation lines are indented by three spaces, so a line of the file is
# the tag or indent and then the text.
INDENT = 3
# WoS wraps a long value's lines at 75 characters (other writers of the
# format at other widths). A break is a word wrap when the line was full:
# the next line's first word would have made it longer than this...
WRAP_AT_LEAST = 60
# ... and no line of a wrapped value is this long (an export that puts each
# paragraph of an abstract on one line has lines of hundreds of characters).
WRAPPED_LINE_AT_MOST = 100


# A line that ends a sentence, and one that starts one.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
_SENTENCE_START = re.compile(r"^[\"'(\[]*[A-Z0-9]")


def _at_sentence_break(previous: str, line: str) -> bool:
    return bool(_SENTENCE_END.search(previous) and _SENTENCE_START.match(line))


def join_lines(lines: list[str]) -> str:
    """The value of a tag continued on further lines (each line's text, without
    its tag or indent). Word-wrapped lines join with a space; a line break that
    is not a wrap (the writer put each paragraph of an abstract, or a section
    label such as "Background", on a line of its own) is a paragraph break.

    A break is not a wrap when a line is too long to be wrapped, when the
    next line starts a labelled section ("Methods: ..."), when the line
    ended early (its next word would have fitted), or when every break of a
    value of three or more lines falls between two sentences (short
    paragraphs, one per line: wrapping puts a break there now and then, not
    every time)."""
    if len(lines) == 1:
        return lines[0]
    if any(len(line) + INDENT > WRAPPED_LINE_AT_MOST and " " in line for line in lines[:-1]):
        return "\n\n".join(lines)  # paragraphs, one per line: nothing is wrapped
    if len(lines) >= 3 and all(_at_sentence_break(a, b) for a, b in zip(lines, lines[1:])):
        return "\n\n".join(lines)
    parts = [lines[0]]
    for previous, line in zip(lines, lines[1:]):
        first_word = line.split(None, 1)[0] if line.strip() else ""
        wrapped = (INDENT + len(previous) + 1 + len(first_word) > WRAP_AT_LEAST
                   and not starts_labelled_section(line))
        parts.append(" " if wrapped else "\n\n")
        parts.append(line)
    return "".join(parts)


def parse(stream):
    for tagged in read_tagged(
        stream,
        parse_line,
        starts=lambda tag: tag == "PT",
        ends=lambda tag: tag in ("ER", "EF"),
        joiner="\n",
        list_tags=MULTI,
        file_tags={"FN", "VR", "EF"},
    ):
        pairs = [(tag, join_lines(value.split("\n")) if "\n" in value else value)
                 for tag, value in tagged.fields]
        yield Parsed(to_record(FieldBag(pairs)), tagged.raw, tagged.line, tagged.warning)


def to_record(bag: FieldBag) -> Record:
    record = Record(database="Web of Science")
    record.title = bag.first("TI")
    authors = bag.all("AF") or bag.all("AU")
    if len(authors) == 1 and ";" in authors[0]:  # tab-delimited: "A; B; C"
        authors = split_list(authors[0])
    record.authors = authors
    record.abstract = bag.first("AB")
    record.journal = bag.first("SO", "SE", "BS")
    record.volume = bag.first("VL")
    record.issue = bag.first("IS")
    # BP/EP, else the page span (PS, Zoological Record), else the article number.
    record.pages = join_pages(bag.first("BP"), bag.first("EP")) or bag.first("PS", "AR")
    # PD is "DEC 31" in older exports (the year only in PY), "DEC 16 2020" in newer ones.
    published, year = bag.peek("PD"), bag.peek("PY")
    record.publication_date = (" ".join(v for v in (published, year) if v)
                               if not (published and year and year in published)
                               else published) or None
    record.year = parse_year(bag.first("PY")) or parse_year(bag.peek("EA"))
    record.doi = bag.first("DI", "D2")
    record.pmid = bag.first("PM")
    record.keywords = [k for v in bag.all("DE", "ID") for k in split_list(v)]
    record.publication_types = split_list(bag.first("DT"))
    record.language = bag.first("LA")
    record.citation_count = parse_int(bag.peek("Z9") or bag.peek("TC"))
    record.is_open_access = True if bag.peek("OA") else None
    record.extra = bag.extra(TAG_NAMES)
    return record
