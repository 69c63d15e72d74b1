"""CSV and TSV: Scopus, Embase, Zotero, PubMed CSV, Web of Science
tab-delimited, labelled screening sets, and any table with title- or
abstract-like columns. Columns are matched by name; every column that no
record field takes (labels such as `label_included` among them) is kept in
extra under its own name. A record's raw text is its row exactly as in the
file (several lines when a quoted cell holds line breaks). JSON Lines and
Excel workbooks go through the same column matching (`to_record`)."""

from __future__ import annotations

import csv
import re

from .. import spreadsheet
from ..markup import PARAGRAPH
from ..records import (Record, find_doi, join_pages, normalise_doi, parse_int,
                       parse_open_access, parse_year, pmid_in_accession, split_authors,
                       split_list, split_terms)
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
    "year": ["year", "publicationyear", "pubyear", "py", "yearpublished", "publishedyear",
             "yearofpublication"],
    "date": ["date", "publicationdate", "dateofpublication", "datepublished", "createdate",
             "pubdate", "dp"],
    "journal": ["sourcetitle", "journal", "journaltitle", "publicationtitle", "journalbook",
                "journalname", "secondarytitle", "so", "t2", "containertitle", "booktitle",
                "conferencetitle"],
    "volume": ["volume", "vl", "vol"],
    "issue": ["issue", "number", "is", "no"],
    "pages": ["pages", "page", "pagination", "pg"],
    # An article number stands in for pages when there are none (Scopus, WoS).
    "article_number": ["artno", "articlenumber", "ar"],
    "page_start": ["pagestart", "startpage", "firstpage", "sp", "bp"],
    "page_end": ["pageend", "endpage", "lastpage", "ep"],
    "doi": ["doi", "di", "do", "digitalobjectidentifier"],
    "pmid": ["pmid", "pubmedid", "medlinepmid", "pubmed", "pm"],
    "pmcid": ["pmcid", "pmc"],
    # A database's own record number: the PMID when it is one (see to_record).
    "accession": ["accessionnumber", "accessionno", "an", "accession"],
    "database": ["database", "databasename", "nameofdatabase", "databaseprovider"],
    "url": ["url", "link", "ur", "openurllink", "fulltextlink"],
    "pdf_url": ["pdfurl", "pdflink", "fulltextpdf"],
    "keywords": ["keywords", "authorkeywords", "indexkeywords", "keyword", "manualtags",
                 "automatictags", "kw", "de", "meshterms", "meshheadings"],
    # Embase's index terms: comma-separated, with subheadings in parentheses.
    "emtree": ["emtreemedicalindextermsmajorfocus", "emtreemedicalindexterms",
               "emtreedrugindextermsmajorfocus", "emtreedrugindexterms"],
    "types": ["documenttype", "publicationtype", "itemtype", "type", "pt", "referencetype",
              "entrytype"],
    "open_access": ["openaccess", "accesstype", "isopenaccess", "oa"],
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


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique: a repeated name gets " (2)", " (3)", ...
    so that no cell of a repeated column is lost (the first one is matched
    to a field, the others stay in extra under their numbered name)."""
    seen: set[str] = set()
    unique = []
    for name in names:
        candidate, number = name, 1
        while candidate in seen:
            number += 1
            candidate = f"{name} ({number})"
        seen.add(candidate)
        unique.append(candidate)
    return unique


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


class _LineCapture:
    """The lines the csv reader takes, as they are in the file, so each row's
    raw text is its exact text (a quoted cell may span several lines)."""

    def __init__(self, stream):
        self._stream = stream
        self.lines: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._stream)
        self.lines.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.lines).rstrip("\r\n")
        self.lines.clear()
        return text


def parse(stream):
    header = stream.readline()
    delimiter = _delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    names = unique_names([n.strip().lstrip("\ufeff") for n in names])
    wos_table = _is_wos(names)
    # `mscdm export` CSV: its formula-looking cells carry an apostrophe.
    own_export = spreadsheet.is_plugin_export(names)
    lines = _LineCapture(stream)
    # Web of Science's tab-delimited export never quotes: a title that starts
    # with a quotation mark is text, not a quoted cell.
    reader = csv.reader(lines, delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if wos_table else csv.QUOTE_MINIMAL)
    end_of_previous = 1  # the header line
    try:
        for row in reader:
            start, end_of_previous = end_of_previous + 1, reader.line_num + 1
            raw = lines.take()
            if not any(cell.strip() for cell in row):
                continue
            if own_export:
                row = [spreadsheet.restore(cell) for cell in row]
            values = dict(zip(names, row))
            surplus = [cell for cell in row[len(names):] if cell.strip()]
            if wos_table:
                record = wos.to_record(FieldBag((k, v) for k, v in values.items()))
            else:
                record = to_record(values)
            if surplus:
                record.extra["(unnamed columns)"] = surplus
            yield Parsed(record, raw, start)
    except csv.Error as error:
        raise LoadError(f"malformed CSV: {error}", f"line {reader.line_num + 1}") from error


class _Columns:
    """A row's cells by the field their column name matches. Mapping code
    takes what it uses; the columns nobody took stay in extra."""

    def __init__(self, row: dict[str, str]):
        self.row = row
        self.by_field: dict[str, list[tuple[str, str]]] = {}
        for name, value in row.items():
            field = LOOKUP.get(_key(name))
            if field and value and value.strip():
                self.by_field.setdefault(field, []).append((name, value.strip()))
        self.used: set[str] = set()

    def peek(self, field: str) -> str | None:
        cells = self.by_field.get(field)
        return cells[0][1] if cells else None

    def first(self, field: str) -> str | None:
        cells = self.by_field.get(field)
        if not cells:
            return None
        self.used.add(cells[0][0])
        return cells[0][1]

    def take_if(self, field: str, parse):
        """The first cell of the field parsed, taken only if it parses."""
        value = parse(self.peek(field))
        if value is not None:
            self.first(field)
        return value

    def all(self, field: str) -> list[str]:
        cells = self.by_field.get(field, [])
        self.used.update(name for name, _ in cells)
        return [value for _, value in cells]

    def extra(self) -> dict[str, str]:
        return {name: value for name, value in self.row.items()
                if name not in self.used and value is not None and value.strip()}


def to_record(row: dict[str, str]) -> Record:
    columns = _Columns(row)
    first = columns.first
    record = Record(line_breaks=PARAGRAPH)  # a writer of cells never wraps lines
    record.title = first("title")
    record.abstract = first("abstract")
    record.authors = split_authors(first("authors"))
    record.journal = first("journal")
    record.volume = first("volume")
    record.issue = first("issue")
    record.pages = (first("pages") or join_pages(first("page_start"), first("page_end"))
                    or first("article_number"))
    record.publication_date = first("date")
    record.year = columns.take_if("year", parse_year) or parse_year(record.publication_date)
    record.doi = first("doi")
    record.pmid = first("pmid")
    record.pmcid = first("pmcid")
    record.url = first("url")
    record.pdf_url = first("pdf_url")
    keys = {_key(n) for n in row}
    embase = any(k.startswith("emtree") for k in keys)
    record.keywords = [k for v in columns.all("keywords")
                       for k in (split_terms(v) if embase else split_list(v, ";"))]
    record.keywords += [k for v in columns.all("emtree") for k in split_terms(v)]
    record.publication_types = split_list(first("types"), ";")
    record.language = first("language")
    record.citation_count = columns.take_if("citations", parse_int)
    record.is_open_access = columns.take_if("open_access", parse_open_access)

    # Source/citation strings are only partly parsed, so they stay in extra whole.
    source = columns.peek("source")
    if source:
        if source.strip().lower() in ("scopus", "embase", "medline", "pubmed", "web of science"):
            record.database = source.strip()
        else:
            _fill_from_citation(record, source, _EMBASE_SOURCE)
    citation = columns.peek("citation")
    if citation:
        _fill_from_citation(record, citation, _PUBMED_CITATION)
    if not record.pmid:
        # Covidence and reference managers' tables put the PMID in an
        # accession-number column; other databases' numbers are not PMIDs.
        named = [columns.peek("database"), record.database]
        record.pmid = columns.take_if("accession", lambda value: pmid_in_accession(
            value, *named, assume_pubmed=not any(named)))
    if not record.database and columns.peek("database"):
        record.database = columns.first("database")
    if not record.database:
        if "eid" in keys:
            record.database = "Scopus"
        elif embase:
            record.database = "Embase"
        elif "pmid" in keys and "citation" in keys:
            record.database = "PubMed"
    if not normalise_doi(record.doi):
        record.doi_elsewhere = find_doi(record.url)
    record.extra = columns.extra()
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
