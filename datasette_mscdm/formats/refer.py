"""Refer / EndNote `%`-tagged text (`%0 Journal Article`, `%A`, `%T`, ...),
records separated by blank lines, untagged lines continuing the value."""

from __future__ import annotations

import re

from ..records import Record, find_doi, normalise_doi, parse_year, pmid_in_accession
from . import Parsed
from .tagged import FieldBag, read_tagged

NAME = "refer"
LABEL = "Refer/EndNote tagged text"

_TAG = re.compile(r"^%(\S)\s?(.*)$")
TAG_NAMES = {
    "0": "reference type", "A": "author", "B": "secondary title", "C": "place published",
    "D": "year", "E": "editor", "F": "label", "I": "publisher", "J": "journal",
    "K": "keywords", "L": "call number", "M": "accession number", "N": "issue",
    "P": "pages", "R": "DOI", "S": "tertiary title", "T": "title", "U": "URL",
    "V": "volume", "X": "abstract", "Z": "notes", "@": "ISBN/ISSN", "8": "date",
    "9": "type of work", "G": "language", "!": "short title", "+": "author address",
    "W": "database provider", "~": "name of database",
}


def sniff(head: str) -> bool:
    tags = re.findall(r"^%([0ATDJ]) ", head, re.MULTILINE)
    return "T" in tags and ("A" in tags or "0" in tags or "D" in tags)


def parse_line(line: str):
    match = _TAG.match(line)
    return (match.group(1), match.group(2).strip()) if match else None


def parse(stream):
    for tagged in read_tagged(stream, parse_line, starts=None, blank_ends=True, joiner="\n\n"):
        yield Parsed(to_record(FieldBag(tagged.fields)), tagged.raw, tagged.line, tagged.warning)


def to_record(bag: FieldBag) -> Record:
    record = Record()
    ref_type = bag.first("0")
    record.publication_types = [ref_type] if ref_type else []
    record.title = bag.first("T")
    record.authors = bag.all("A")
    record.journal = bag.first("J", "B")
    record.volume = bag.first("V")
    record.issue = bag.first("N")
    record.pages = bag.first("P")
    record.publication_date = bag.first("D", "8")
    record.year = parse_year(record.publication_date)
    record.doi = bag.first("R")
    if not normalise_doi(record.doi):
        record.doi_elsewhere = find_doi(bag.peek("U"))
    record.url = bag.first("U")
    record.abstract = bag.first("X")
    record.keywords = [k for v in bag.all("K") for k in re.split(r"[\n;]+", v) if k.strip()]
    record.language = bag.first("G")
    # %M is the accession number: the PMID when %~ (database) or %W
    # (provider) says PubMed, MEDLINE or NLM.
    record.pmid = pmid_in_accession(bag.peek("M"), bag.peek("~"), bag.peek("W"))
    if record.pmid:
        bag.first("M")
    record.extra = bag.extra(TAG_NAMES)
    return record
