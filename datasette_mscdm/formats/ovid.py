"""Ovid native export: records opened by `<1>`, `<2>` ...; inside, either
field labels on their own line with the values indented below them
("Title" / "  Some title"), or Ovid's short tags (`TI  - Some title`)."""

from __future__ import annotations

import re

from ..records import Record, find_doi, parse_year
from . import Parsed
from .tagged import FieldBag

NAME = "ovid"
LABEL = "Ovid native export"

_START = re.compile(r"^<\s*(\d+)\s*>\s*$")
_SHORT_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s+-\s(.*)$")
_SOURCE = re.compile(
    r"^(?P<journal>[^.]+?)\.\s*(?P<volume>[\w-]+)?\s*(?:\((?P<issue>[^)]+)\))?\s*:?\s*"
    r"(?P<pages>[\w-]+)?\s*,?\s*(?P<year>\d{4})?"
)

# Field labels (lower-cased) and short tags -> what they hold.
FIELDS = {
    "title": ("title", "ti"), "author": ("authors", "au"), "authors": ("authors", "au"),
    "author name": ("authors", "au"), "abstract": ("abstract", "ab"), "source": ("source", "so"),
    "journal name": ("journal", "jn"), "journal title": ("journal", "jn"), "jn": ("journal", "jn"),
    "year of publication": ("year", "yr"), "publication year": ("year", "yr"), "yr": ("year", "yr"),
    "volume": ("volume", "vo"), "vo": ("volume", "vo"), "issue": ("issue", "ip"),
    "issue/part": ("issue", "ip"), "ip": ("issue", "ip"), "page": ("pages", "pg"),
    "pages": ("pages", "pg"), "pg": ("pages", "pg"),
    "digital object identifier": ("doi", "do"), "doi": ("doi", "do"), "do": ("doi", "do"),
    "keyword heading": ("keywords", "kw"), "keywords": ("keywords", "kw"),
    "kw": ("keywords", "kw"), "mesh subject headings": ("keywords", "mh"),
    "mh": ("keywords", "mh"), "publication type": ("publication_types", "pt"),
    "pt": ("publication_types", "pt"), "language": ("language", "lg"), "lg": ("language", "lg"),
    "unique identifier": ("pmid", "ui"), "ui": ("pmid", "ui"), "pubmed id": ("pmid", "pm"),
    "url": ("url", "ur"), "ur": ("url", "ur"), "database": ("database", "db"),
    "db": ("database", "db"), "ti": ("title", "ti"), "au": ("authors", "au"),
    "ab": ("abstract", "ab"), "so": ("source", "so"),
}


def sniff(head: str) -> bool:
    lines = head.lstrip().splitlines()
    return bool(lines) and bool(_START.match(lines[0])) and len(lines) > 2


def _records(stream):
    record = None
    for number, line in enumerate(stream, 1):
        line = line.rstrip("\n")
        if _START.match(line):
            if record:
                yield record
            record = {"line": number, "raw": [line], "pairs": []}
            label = None
            continue
        if record is None:
            continue
        record["raw"].append(line)
        if not line.strip():
            continue
        short = _SHORT_TAG.match(line)
        if short:
            label = short.group(1)
            record["pairs"].append((label, short.group(2).strip()))
        elif line[:1].isspace():
            if label is not None:
                record["pairs"].append((label, line.strip()))
        else:
            label = line.strip()
    if record:
        yield record


def parse(stream):
    for item in _records(stream):
        yield Parsed(to_record(item["pairs"]), "\n".join(item["raw"]), item["line"])


def to_record(pairs) -> Record:
    labelled = []
    for label, value in pairs:
        target = FIELDS.get(label.lower())
        labelled.append((target[0] if target else label, value))
    bag = FieldBag(labelled)
    record = Record()
    record.title = bag.first("title")
    record.authors = bag.all("authors")
    record.abstract = "\n\n".join(bag.all("abstract")) or None
    source = bag.first("source")
    record.journal = bag.first("journal")
    record.volume = bag.first("volume")
    record.issue = bag.first("issue")
    record.pages = bag.first("pages")
    record.year = parse_year(bag.first("year"))
    if source:
        match = _SOURCE.match(source)
        if match:
            record.journal = record.journal or match.group("journal").strip()
            record.volume = record.volume or match.group("volume")
            record.issue = record.issue or match.group("issue")
            record.pages = record.pages or match.group("pages")
            record.year = record.year or parse_year(match.group("year"))
        record.year = record.year or parse_year(source)
        record.extra["source"] = source
    record.doi = find_doi(bag.first("doi"))
    record.keywords = bag.all("keywords")
    record.publication_types = bag.all("publication_types")
    record.language = bag.first("language")
    record.pmid = bag.first("pmid") if (bag.peek("pmid") or "").strip().isdigit() else None
    record.url = bag.first("url")
    record.database = bag.first("database")
    record.extra.update(bag.extra())
    return record
