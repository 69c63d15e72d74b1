"""PubMed MEDLINE / .nbib: four-character tags (`PMID- `, `AB  - `), values
wrapped onto lines indented by six spaces, records separated by blank lines.
A missing final newline or blank line must not lose the last record."""

from __future__ import annotations

import re

from ..records import Record, parse_year
from . import Parsed
from .tagged import FieldBag, read_tagged

NAME = "medline"
LABEL = "PubMed MEDLINE (.nbib)"

_TAG = re.compile(r"^([A-Z][A-Z0-9 ]{3})- ?(.*)$")
_SIGNATURE = re.compile(r"^PMID- *\d+", re.MULTILINE)


def sniff(head: str) -> bool:
    return bool(_SIGNATURE.search(head))


def parse_line(line: str):
    match = _TAG.match(line)
    if match and not line.startswith(" "):
        return match.group(1).strip(), match.group(2).strip()
    return None


def parse(stream):
    for tagged in read_tagged(
        stream,
        parse_line,
        starts=lambda tag: tag == "PMID",
        blank_ends=True,
        continuation=lambda line: line.strip() if line[:1].isspace() else None,
    ):
        yield Parsed(to_record(FieldBag(tagged.fields)), tagged.raw, tagged.line, tagged.warning)


def _ids(values: list[str], kind: str) -> str | None:
    for value in values:
        if value.lower().endswith(f"[{kind}]"):
            return value.rsplit("[", 1)[0].strip()
    return None


def mesh_heading(value: str) -> dict:
    """`*Diabetes Mellitus, Type 2/drug therapy/*metabolism` as a structured
    heading: a `*` marks a major topic; MEDLINE text gives no UIs."""
    descriptor, *qualifiers = (part.strip() for part in value.split("/"))
    return {"descriptor": descriptor.lstrip("*").strip(), "ui": None,
            "major": descriptor.startswith("*"),
            "qualifiers": [{"name": q.lstrip("*").strip(), "ui": None, "major": q.startswith("*")}
                           for q in qualifiers if q.lstrip("*").strip()]}


def to_record(bag: FieldBag) -> Record:
    record = Record(database="PubMed")
    record.pmid = bag.first("PMID")
    record.title = bag.first("TI", "BTI")
    record.abstract = bag.first("AB")
    # FAU holds full names ("Smith, John"); AU the short form, kept in extra.
    record.authors = bag.all("FAU") or bag.all("AU")
    record.journal = bag.first("JT", "TA")
    record.volume = bag.first("VI")
    record.issue = bag.first("IP")
    record.pages = bag.first("PG")
    record.publication_date = bag.first("DP")
    record.year = parse_year(record.publication_date) or parse_year(bag.peek("DEP"))
    # LID/AID stay in extra too: they also hold pii and other identifiers.
    ids = bag.values("LID") + bag.values("AID")
    record.doi = _ids(ids, "doi")
    record.pmcid = bag.first("PMC")
    record.mesh = [mesh_heading(value) for value in bag.values("MH") if value.strip()]
    record.keywords = bag.all("OT", "MH")
    record.publication_types = bag.all("PT")
    record.language = bag.first("LA")
    record.extra = bag.extra()
    return record

