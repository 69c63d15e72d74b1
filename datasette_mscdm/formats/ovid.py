"""Ovid native export: records opened by a number in angle brackets (`<1>`,
or `<3001. >` in the tagged "Ovid Technologies" layout); inside, either
field labels on their own line with the values indented below them
("Title" / "  Some title", one value per line), or Ovid's short tags
(`TI  - Some title`, `VN  - Ovid Technologies`) whose value a wrapped long
line continues on indented lines. A search history before the first record
is not part of any record."""

from __future__ import annotations

import re

from ..records import Record, find_doi, parse_year, pmid_in_accession, split_list
from . import Parsed
from .tagged import FieldBag, MAX_LINE
from ..textio import LoadError

NAME = "ovid"
LABEL = "Ovid native export"

_START = re.compile(r"^<\s*(\d+)\s*\.?\s*>\s*$")
_SHORT_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s+-(?:\s(.*)|\s*)$")
# Ovid's source field: "Journal. 12(1):101, 2021 Mar 12." (MEDLINE),
# "Journal. 63(4) (pp 700-712), 2020." (Embase), with a conference's name
# and place between the journal and the volume for conference abstracts.
_JOURNAL = re.compile(r"^(?P<journal>[^.]+?)\.(?:\s|$)")
# A volume has a digit ("62", "S1", "12A"); its issue follows in parentheses.
_VOLUME_ISSUE = re.compile(
    r"(?<![\w.])(?P<volume>[A-Za-z]?\d[\w-]*(?:\.\d+)*)\s*(?:\((?P<issue>(?!pp\b)[^()]+)\))?"
    r"(?=\s*[:(,])")
_PAGES = re.compile(r"\(pp\.?\s*(?P<pages>[^)]+)\)")
_COLON_PAGES = re.compile(r"\s*:\s*(?P<pages>[^,\s]+?)[.,]?(?=\s|,|$)")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")

# Labels of the record number Ovid gives each record: the PMID in MEDLINE,
# Embase's own accession number in Embase (and so on).
ACCESSION_LABELS = ("Unique Identifier", "UI", "AN", "Accession Number")

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
    "pubmed id": ("pubmed_id", "pm"), "pm": ("pubmed_id", "pm"),
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


def split_source(source: str) -> dict[str, str | None]:
    """journal, volume, issue, pages and year of an Ovid source field; a part
    that is not there is None (never a word of a conference's name)."""
    parts: dict[str, str | None] = dict.fromkeys(("journal", "volume", "issue", "pages", "year"))
    text = " ".join(source.split())
    journal = _JOURNAL.match(text)
    rest = text
    if journal:
        parts["journal"] = journal.group("journal").strip()
        rest = text[journal.end():]
    located = _VOLUME_ISSUE.search(rest)
    if located:
        parts["volume"], parts["issue"] = located.group("volume"), located.group("issue")
        colon = _COLON_PAGES.match(rest, located.end())
        if colon:
            parts["pages"] = colon.group("pages")
    pages = _PAGES.search(rest)
    if pages:
        parts["pages"] = pages.group("pages").strip()
    years = _YEAR.findall(rest)
    parts["year"] = years[-1] if years else None
    return parts


def _file_database(header: list[str]) -> str | None:
    """The database a search history names, when it names exactly one
    ("Database: Ovid MEDLINE(R) ALL <1946 to January 05, 2024>")."""
    for line in header:
        if line.lower().startswith("database:"):
            names = [n for n in re.sub(r"<[^>]*>", "", line.split(":", 1)[1]).split(",")
                     if n.strip()]
            return names[0].strip() if len(names) == 1 else None
    return None


def _records(stream):
    record = None
    label = None
    header: list[str] = []
    short = False  # the current value came from a short tag (continued by wrapping)
    for number, full_line in enumerate(stream, 1):
        line = full_line.rstrip("\r\n")
        if len(line) > MAX_LINE:
            raise LoadError(f"line longer than {MAX_LINE} characters", f"line {number}")
        if _START.match(line):
            if record:
                yield record
            record = {"line": number, "raw": [full_line], "pairs": [],
                      "file_database": _file_database(header)}
            label = None
            continue
        if record is None:
            header.append(line)  # a search history or header before the first record
            continue
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
                # A wrapped line of the tag's value; the line break stays so
                # that a labelled section ("Methods: ...") starts a paragraph.
                last = record["pairs"][-1]
                last[1] = f"{last[1]}\n{line.strip()}" if last[1] else line.strip()
            else:
                record["pairs"].append([label, line.strip()])  # one value per line
        else:
            label, short = line.strip(), False
    if record:
        yield record


def parse(stream):
    for item in _records(stream):
        raw = "".join(item["raw"]).rstrip()
        yield Parsed(to_record(item["pairs"], item["file_database"]), raw, item["line"])


def to_record(pairs, file_database: str | None = None) -> Record:
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
        parts = split_source(source)
        record.journal = record.journal or parts["journal"]
        record.volume = record.volume or parts["volume"]
        record.issue = record.issue or parts["issue"]
        record.pages = record.pages or parts["pages"]
        record.year = record.year or parse_year(parts["year"])
        record.extra["source"] = source
    record.doi = bag.first("doi")
    if not record.doi:
        record.doi_elsewhere = find_doi(*bag.values("XL"), *bag.values("url"))
    record.keywords = [k for value in bag.all("keywords") for k in split_list(value, ";")]
    record.publication_types = bag.all("publication_types")
    record.language = bag.first("language")
    record.url = bag.first("url")
    record.database = bag.first("database")
    # The record number is the PMID only in MEDLINE/PubMed (the record's own
    # database, else the one database the search history names); Embase's
    # accession numbers stay in extra under their label, as given.
    record.pmid = bag.first("pubmed_id")
    if not record.pmid:
        label = next((label for label in ACCESSION_LABELS if label in bag), None)
        record.pmid = pmid_in_accession(bag.peek(label) if label else None,
                                        record.database or file_database)
        if record.pmid:
            bag.first(label)
    record.extra.update(bag.extra())
    return record
