"""CSV and TSV: Scopus, Embase, Zotero, PubMed CSV, Web of Science
tab-delimited, labelled screening sets, and any table with title- or
abstract-like columns. Columns are matched by name; every column that no
record field takes (labels such as `label_included` among them) is kept in
extra under its own name."""

from __future__ import annotations

import csv
import json
import re

from ..records import (Record, find_doi, join_pages, parse_int, parse_year, split_authors,
                       split_list)
from .. import spreadsheet
from ..textio import LoadError
from . import Parsed, wos
from .tagged import FieldBag

NAME = "csv"
LABEL = "CSV/TSV table"

# Longest cell accepted; the csv module's default (128 KB) is below what
# real abstracts plus HTML reach, and a larger cell means a broken file.
FIELD_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(FIELD_LIMIT)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# normalised column name -> field, in order of preference within a field.
COLUMNS = {
    "title": ["title", "articletitle", "documenttitle", "primarytitle", "ti", "t1"],
    "abstract": ["abstract", "abstractnote", "abstracttext", "ab", "summary"],
    "authors": ["authors", "author", "authornames", "authorfullnames", "authorlist", "au",
                "fullauthors", "creators"],
    "year": ["year", "publicationyear", "pubyear", "py", "yearpublished"],
    "date": ["date", "publicationdate", "dateofpublication", "datepublished", "createdate",
             "pubdate", "dp"],
    "journal": ["sourcetitle", "journal", "journaltitle", "publicationtitle", "journalbook",
                "journalname", "secondarytitle", "so", "t2", "containertitle"],
    "volume": ["volume", "vl", "vol"],
    "issue": ["issue", "number", "is", "no"],
    "pages": ["pages", "page", "pagination", "pg"],
    "page_start": ["pagestart", "startpage", "firstpage", "sp", "bp"],
    "page_end": ["pageend", "endpage", "lastpage", "ep"],
    "doi": ["doi", "di", "do", "digitalobjectidentifier"],
    "pmid": ["pmid", "pubmedid", "medlinepmid", "pubmed", "pm"],
    "pmcid": ["pmcid", "pmc"],
    "url": ["url", "link", "ur", "openurllink", "fulltextlink"],
    "keywords": ["keywords", "authorkeywords", "indexkeywords", "keyword", "manualtags",
                 "automatictags", "kw", "de", "meshterms"],
    "types": ["documenttype", "publicationtype", "itemtype", "type", "pt", "referencetype"],
    "language": ["language", "languageoforiginaldocument", "la"],
    "citations": ["citedby", "timescited", "citationcount", "citations", "tc"],
    "source": ["source"],
    "citation": ["citation"],
}
LOOKUP = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}

_TITLE_LIKE = {"title", "articletitle", "documenttitle", "primarytitle", "ti", "abstract",
               "abstractnote"}

# "Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014" (Embase)
_EMBASE_SOURCE = re.compile(
    r"^(?P<journal>.+?)\s*\((?P<year>\d{4})\)\s*(?P<volume>[^:\s(]+)?(?::(?P<issue>[^\s(]+))?"
    r"\s*(?:\((?P<pages>[^)]*)\))?")
# "Stroke. 2019 Mar;50(3):697-704." (PubMed CSV)
_PUBMED_CITATION = re.compile(
    r"^(?P<journal>[^.]+)\.\s*(?P<date>[^;.]*?(?P<year>\d{4})[^;.]*)[;.]\s*"
    r"(?P<volume>[^(:\s]+)?(?:\((?P<issue>[^)]+)\))?(?::(?P<pages>[^.\s]+))?")


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ("\t", ",", ";")}
    return max(counts, key=counts.get)


def sniff(head: str) -> bool:
    first = head.split("\n", 1)[0]
    if not first.strip():
        return False
    delimiter = _delimiter(first)
    try:
        names = next(csv.reader([first], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return False
    return bool({_key(n) for n in names} & _TITLE_LIKE)


def _is_wos(names: list[str]) -> bool:
    tags = {n.strip() for n in names}
    return {"PT", "TI"} <= tags and ("UT" in tags or "AU" in tags)


def parse(stream):
    header = stream.readline()
    delimiter = _delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    names = [n.strip().lstrip("\ufeff") for n in names]
    wos_table = _is_wos(names)
    # `mscdm export` CSV: its formula-looking cells carry an apostrophe.
    own_export = spreadsheet.is_plugin_export(names)
    reader = csv.reader(stream, delimiter=delimiter)
    end_of_previous = 1  # the header line
    try:
        for row in reader:
            start, end_of_previous = end_of_previous + 1, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            raw = dict(zip(names, row))
            if own_export:
                row = [spreadsheet.restore(cell) for cell in row]
            values = dict(zip(names, row))
            surplus = [cell for cell in row[len(names):] if cell.strip()]
            if surplus:
                raw["(unnamed columns)"] = surplus
            if wos_table:
                record = wos.to_record(FieldBag((k, v) for k, v in values.items()))
            else:
                record = to_record(values)
            if surplus:
                record.extra["(unnamed columns)"] = surplus
            yield Parsed(record, json.dumps(raw, ensure_ascii=False), start)
    except csv.Error as error:
        raise LoadError(f"malformed CSV: {error}", f"line {reader.line_num + 1}") from error


def to_record(row: dict[str, str]) -> Record:
    taken: dict[str, str] = {}
    fields: dict[str, list[str]] = {}
    for name, value in row.items():
        field = LOOKUP.get(_key(name))
        if field and value and value.strip():
            fields.setdefault(field, []).append(value.strip())
            taken[name] = field

    def first(field):
        values = fields.get(field)
        return values[0] if values else None

    record = Record()
    record.title = first("title")
    record.abstract = first("abstract")
    record.authors = split_authors(first("authors"))
    record.journal = first("journal")
    record.volume = first("volume")
    record.issue = first("issue")
    record.pages = first("pages") or join_pages(first("page_start"), first("page_end"))
    record.publication_date = first("date")
    record.year = parse_year(first("year")) or parse_year(record.publication_date)
    record.doi = find_doi(first("doi"))
    record.pmid = first("pmid")
    record.pmcid = first("pmcid")
    record.url = first("url")
    record.keywords = [k for v in fields.get("keywords", []) for k in split_list(v, ";")]
    record.publication_types = split_list(first("types"), ";")
    record.language = first("language")
    record.citation_count = parse_int(first("citations"))

    source = first("source")
    if source:
        if source.strip().lower() in ("scopus", "embase", "medline", "pubmed", "web of science"):
            record.database = source.strip()
        else:
            _fill_from_citation(record, source, _EMBASE_SOURCE)
    citation = first("citation")
    if citation:
        _fill_from_citation(record, citation, _PUBMED_CITATION)
    if not record.database:
        keys = {_key(n) for n in row}
        if "eid" in keys:
            record.database = "Scopus"
        elif any(k.startswith("emtree") for k in keys):
            record.database = "Embase"
        elif "pmid" in keys and "citation" in keys:
            record.database = "PubMed"
    if not record.doi:
        record.doi = find_doi(record.url)
    # A column a field took is still kept when it was not the one used
    # (a second keyword column is used; a second title column is not).
    # Source/citation strings are only partly parsed, so they stay whole too.
    used = {name for name, field in taken.items()
            if field not in ("source", "citation")
            and (field == "keywords" or row[name].strip() == first(field))}
    record.extra = {name: value for name, value in row.items()
                    if name not in used and value is not None and value.strip()}
    return record


def _fill_from_citation(record: Record, text: str, pattern: re.Pattern):
    match = pattern.match(text.strip())
    if not match:
        return
    groups = match.groupdict()
    record.journal = record.journal or (groups.get("journal") or "").strip() or None
    record.year = record.year or parse_year(groups.get("year"))
    record.volume = record.volume or groups.get("volume")
    record.issue = record.issue or groups.get("issue")
    record.pages = record.pages or groups.get("pages")
