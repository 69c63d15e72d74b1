"""Ovid native export: records opened by a number in angle brackets (`<1>`,
or `<3001. >` in the tagged "Ovid Technologies" layout); inside, either
field labels on their own line with the values indented below them
("Title" / "  Some title", one value per line), or Ovid's short tags
(`TI  - Some title`, `VN  - Ovid Technologies`) whose value a wrapped long
line continues on indented lines. A search history before the first record
is not part of any record."""

from __future__ import annotations

import re

from ..records import Record, find_doi, parse_year, split_list
from . import Parsed
from .tagged import FieldBag, MAX_LINE
from ..textio import LoadError

NAME = "ovid"
LABEL = "Ovid native export"

_START = re.compile(r"^<\s*(\d+)\s*\.?\s*>\s*$")
_SHORT_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s+-(?:\s(.*)|\s*)$")
_SOURCE = re.compile(
    r"^(?P<journal>[^.]+?)\.\s*(?P<volume>[\w-]+)?\s*(?:\((?P<issue>[^)]+)\))?\s*:?\s*"
    r"(?P<pages>[\w-]+)?\s*,?\s*(?P<year>\d{4})?"
)

# Field labels (lower-cased) and short tags -> what they hold.
FIELDS = {
    "title": ("title", "ti"), "author": ("authors", "au"), "authors": ("authors", "au"),
    "author name": ("authors", "au"), "abstract": ("abstract", "ab"), "source": ("source", "so"),
    "journal name": ("journal", "jn"), "journal title": ("journal", "jn"), "jn": ("journal", "jn"),
    "jt": ("journal", "jt"),
    "year of publication": ("year", "yr"), "publication year": ("year", "yr"), "yr": ("year", "yr"),
    "volume": ("volume", "vo"), "vo": ("volume", "vo"), "vi": ("volume", "vi"),
    "issue": ("issue", "ip"), "issue/part": ("issue", "ip"), "ip": ("issue", "ip"),
    "page": ("pages", "pg"), "pages": ("pages", "pg"), "pg": ("pages", "pg"),
    "digital object identifier": ("doi", "do"), "doi": ("doi", "do"), "do": ("doi", "do"),
    "di": ("doi", "di"),
    "keyword heading": ("keywords", "kw"), "keywords": ("keywords", "kw"),
    "kw": ("keywords", "kw"), "mesh subject headings": ("keywords", "mh"),
    "mh": ("keywords", "mh"), "publication type": ("publication_types", "pt"),
    "pt": ("publication_types", "pt"), "language": ("language", "lg"), "lg": ("language", "lg"),
    "unique identifier": ("pmid", "ui"), "ui": ("pmid", "ui"), "pubmed id": ("pmid", "pm"),
    "url": ("url", "ur"), "ur": ("url", "ur"), "database": ("database", "db"),
    "db": ("database", "db"), "ti": ("title", "ti"), "au": ("authors", "au"),
    "fa": ("full_authors", "fa"), "ab": ("abstract", "ab"), "so": ("source", "so"),
}


def sniff(head: str) -> bool:
    """A record number line, then labels or short tags (a search history may
    come first)."""
    lines = head.splitlines()
    for index, line in enumerate(lines):
        if _START.match(line):
            following = [text for text in lines[index + 1:index + 6] if text.strip()]
            return len(following) >= 2 and not following[0][:1].isspace()
        if index > 400:
            return False
    return False


def _records(stream):
    record = None
    label = None
    short = False  # the current value came from a short tag (continued by wrapping)
    for number, full_line in enumerate(stream, 1):
        line = full_line.rstrip("\r\n")
        if len(line) > MAX_LINE:
            raise LoadError(f"line longer than {MAX_LINE} characters", f"line {number}")
        if _START.match(line):
            if record:
                yield record
            record = {"line": number, "raw": [full_line], "pairs": []}
            label = None
            continue
        if record is None:
            continue  # a search history or header before the first record
        record["raw"].append(full_line)
        if not line.strip():
            continue
        tagged = _SHORT_TAG.match(line)
        if tagged:
            label, short = tagged.group(1), True
            record["pairs"].append([label, (tagged.group(2) or "").strip()])
        elif line[:1].isspace():
            if label is None:
                continue
            if short and record["pairs"]:
                last = record["pairs"][-1]  # a wrapped line of the tag's value
                last[1] = f"{last[1]} {line.strip()}" if last[1] else line.strip()
            else:
                record["pairs"].append([label, line.strip()])  # one value per line
        else:
            label, short = line.strip(), False
    if record:
        yield record


def parse(stream):
    for item in _records(stream):
        raw = "".join(item["raw"]).rstrip()
        yield Parsed(to_record(item["pairs"]), raw, item["line"])


def to_record(pairs) -> Record:
    labelled = []
    for label, value in pairs:
        target = FIELDS.get(label.lower())
        labelled.append((target[0] if target else label, value))
    bag = FieldBag(labelled)
    record = Record()
    record.title = bag.first("title")
    record.authors = bag.all("full_authors") or bag.all("authors")
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
    record.doi = bag.first("doi")
    if not record.doi:
        record.doi_elsewhere = find_doi(*bag.values("XL"), *bag.values("url"))
    record.keywords = [k for value in bag.all("keywords") for k in split_list(value, ";")]
    record.publication_types = bag.all("publication_types")
    record.language = bag.first("language")
    record.pmid = bag.first("pmid") if (bag.peek("pmid") or "").strip().isdigit() else None
    record.url = bag.first("url")
    record.database = bag.first("database")
    record.extra.update(bag.extra())
    return record
