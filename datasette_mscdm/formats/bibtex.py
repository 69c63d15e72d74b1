"""BibTeX (Scopus, Web of Science, Zotero, JabRef) through bibtexparser.
An entry with a duplicated field is kept (strict parsers reject it) with a
warning; the duplicate values are kept in extra."""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware
from bibtexparser.model import DuplicateFieldKeyBlock, Entry, ParsingFailedBlock

from ..records import Record, find_doi, parse_int, parse_year, split_keywords, split_list
from ..textio import LoadError
from . import Parsed

NAME = "bibtex"
LABEL = "BibTeX"

_ENTRY = re.compile(r"^\s*@(article|book|inproceedings|incollection|misc|phdthesis|"
                    r"mastersthesis|techreport|conference|inbook|online|report|unpublished|"
                    r"proceedings|manual|booklet|thesis|collection)\s*[{(]",
                    re.IGNORECASE | re.MULTILINE)


def sniff(head: str) -> bool:
    return bool(_ENTRY.search(head))


def parse(stream):
    # bibtexparser parses a whole string; BibTeX exports are bounded by what
    # a reference manager writes (thousands of entries), which fits in memory.
    text = stream.read()
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    blocks = []
    for block in library.blocks:
        if isinstance(block, Entry):
            blocks.append((block, None))
        elif isinstance(block, DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            keys = ", ".join(sorted(block.duplicate_keys))
            blocks.append((entry, f"duplicated field(s) {keys} in entry starting at line "
                                  f"{block.start_line + 1}; all values kept"))
        elif isinstance(block, ParsingFailedBlock):
            raise LoadError(f"unparseable BibTeX entry: {block.error}",
                            f"line {block.start_line + 1}")
    for entry, warning in blocks:
        yield Parsed(to_record(entry), entry.raw, entry.start_line + 1, warning)


def to_record(entry: Entry) -> Record:
    values: dict[str, list[str]] = {}
    for field in entry.fields:
        values.setdefault(field.key.lower().replace("\xa0", " ").strip(), []).append(
            str(field.value))

    def take(key):
        found = values.pop(key, None)
        if not found:
            return None
        if len(found) > 1:
            values[key] = found[1:]  # the other values of a duplicated field stay in extra
        return found[0]

    record = Record()
    record.publication_types = [entry.entry_type.lower()]
    record.title = take("title")
    authors = take("author")
    record.authors = [a.strip() for a in re.split(r"\s+and\s+", authors or "") if a.strip()]
    record.journal = take("journal") or take("journaltitle") or take("booktitle")
    record.volume = take("volume")
    record.issue = take("number") or take("issue")
    record.pages = take("pages")
    record.year = parse_year(take("year")) or parse_year(values.get("date", [None])[0])
    record.doi = find_doi(take("doi"))
    record.pmid = take("pmid")
    record.pmcid = take("pmcid")
    record.url = take("url")
    record.abstract = take("abstract")
    record.keywords = split_keywords(take("keywords")) + split_list(
        take("author_keywords") or "", ";")
    record.language = take("language")
    note = values.get("note", [""])[0]
    match = re.search(r"cited by (\d+)", note, re.IGNORECASE)
    if match:
        record.citation_count = parse_int(match.group(1))
    source = values.get("source", [""])[0]
    record.database = source or None
    if not record.doi:
        record.doi = find_doi(values.get("url"))
    record.extra = {"citation key": entry.key, "entry type": entry.entry_type}
    record.extra.update({k: v[0] if len(v) == 1 else v for k, v in values.items()})
    return record
