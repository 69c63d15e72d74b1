"""Seed format A: records saved from a literature aggregator site, one per
file in folders of thousands (several in one file also work):

    <authors line>
    <one-line JSON: title, authors, doi, abstract (HTML), journal{...}, metrics ...>
    引用次数: <citation count>
    Abstract
    <the abstract as plain text, possibly several lines>
"""

from __future__ import annotations

import json
import re

from ..records import Record, html_to_text, parse_float, parse_int, parse_year, split_list
from ..textio import LoadError
from . import Parsed

NAME = "seed-aggregator"
LABEL = "aggregator record (seed format A)"

_CITATIONS = re.compile(r"^\s*(引用次数|Citations?|Cited by)\s*[:：]\s*(\d+)\s*$", re.IGNORECASE)
_JSON_LINE = re.compile(r'^\s*\{.*"title"\s*:', re.DOTALL)

# Aggregators name the same platform several ways.
PLATFORMS = {"semanticscholar": "Semantic Scholar", "pubmed": "PubMed", "crossref": "Crossref",
             "openalex": "OpenAlex", "googlescholar": "Google Scholar"}

# JSON keys that a column takes; every other key goes to extra unchanged.
TAKEN = {"title", "authors", "doi", "url", "abstract", "journal", "PeriodicalIF", "publicationDate",
         "publicationTypes", "isOpenAccess", "openAccessPdf", "citationCount", "platform",
         "RegionNum", "RegionCategory", "JCR", "JCRName", "PMCID", "ListUrlMain"}


def sniff(head: str) -> bool:
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) < 2 or lines[0].lstrip().startswith(("{", "[", "<")):
        return False
    return any(_JSON_LINE.match(line) for line in lines[1:6])


def _is_record_json(line: str):
    if not _JSON_LINE.match(line):
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def parse(stream):
    # The line just before each JSON line is that record's authors line; the
    # lines after it (citations, the Abstract heading, abstract text) belong
    # to it until the next record's authors line.
    # Lines are kept with their endings (number, text, line as in the file),
    # so the raw text is the record exactly as written.
    pending: list[tuple[int, str, str]] = []
    current = None
    for number, full_line in enumerate(stream, 1):
        line = full_line.rstrip("\r\n")
        data = _is_record_json(line)
        if data is None:
            pending.append((number, line, full_line))
            continue
        authors_line = None
        blanks = []  # blank lines between the authors line and the JSON line
        while pending and not pending[-1][1].strip():
            blanks.insert(0, pending.pop()[2])
        if pending:
            authors_line = pending.pop()
        if current is not None:
            current["tail"] = pending
            yield _finish(current)
        elif any(text.strip() for _, text, _ in pending):
            raise LoadError("text before the first record", f"line {pending[0][0]}")
        start = authors_line[0] if authors_line else number
        current = {"line": start, "authors_line": authors_line[1] if authors_line else None,
                   "json_line": full_line, "data": data,
                   "raw_head": authors_line[2] + "".join(blanks) if authors_line else ""}
        pending = []
    if current is None:
        raise LoadError("no JSON record line found", "whole file")
    current["tail"] = pending
    yield _finish(current)


def _finish(item) -> Parsed:
    tail_lines = [text for _, text, _ in item["tail"]]
    raw = item["raw_head"] + item["json_line"] + "".join(full for _, _, full in item["tail"])
    return Parsed(to_record(item["data"], item["authors_line"], tail_lines),
                  raw.rstrip(), item["line"])


def _split_tail(tail: list[str]) -> tuple[int | None, str | None, list[str]]:
    """(citation count, plain-text abstract, lines not understood)."""
    citations, abstract_lines, other = None, [], []
    in_abstract = False
    for line in tail:
        match = _CITATIONS.match(line)
        if match and not in_abstract:
            citations = int(match.group(2))
        elif line.strip().lower() in ("abstract", "摘要") and not in_abstract:
            in_abstract = True
        elif in_abstract:
            abstract_lines.append(line)
        elif line.strip():
            other.append(line)
    text = "\n".join(abstract_lines).strip()
    return citations, text or None, other


def to_record(data: dict, authors_line: str | None, tail: list[str]) -> Record:
    record = Record()
    record.title = data.get("title")
    authors = data.get("authors")
    if isinstance(authors, list):
        record.authors = [a.get("name") if isinstance(a, dict) else str(a) for a in authors]
    else:
        record.authors = split_list(authors or authors_line or "", ",;")
    record.doi = data.get("doi")
    record.url = data.get("url") or data.get("ListUrlMain")
    journal = data.get("journal") or {}
    if isinstance(journal, dict):
        record.journal = journal.get("name") or data.get("PeriodicalName")
        volume = str(journal.get("volume") or "").strip()
        # "10 1" is volume 10, issue 1 (the issue is not given separately).
        parts = volume.split()
        if len(parts) == 2:
            record.volume, record.issue = parts
        else:
            record.volume = volume or None
        record.pages = journal.get("pages") or None
    else:
        record.journal = str(journal)
    record.publication_date = data.get("publicationDate") or data.get("EPubDate") or None
    record.year = parse_year(record.publication_date) or parse_year(data.get("year"))
    types = data.get("publicationTypes")
    record.publication_types = types if isinstance(types, list) else split_list(types, ",;")
    record.is_open_access = data.get("isOpenAccess") if isinstance(
        data.get("isOpenAccess"), bool) else None
    record.pdf_url = data.get("openAccessPdf") or None
    record.pmcid = data.get("PMCID")
    record.journal_impact_factor = parse_float(data.get("PeriodicalIF"))
    record.jcr_quartile = data.get("JCR") or None
    record.jcr_category = data.get("JCRName") or None
    record.cas_region = parse_int(data.get("RegionNum"))
    record.cas_category = data.get("RegionCategory") or None
    platform = (data.get("platform") or "").strip()
    record.database = PLATFORMS.get(platform.lower().replace(" ", ""), platform) or None

    citations, plain_abstract, other = _split_tail(tail)
    record.citation_count = parse_int(data.get("citationCount"))
    if record.citation_count is None:
        record.citation_count = citations
    converted = html_to_text(data.get("abstract"))
    record.abstract = converted or plain_abstract
    record.extra = {k: v for k, v in data.items() if k not in TAKEN}
    if authors_line and authors_line.strip() != (authors if isinstance(authors, str) else None):
        record.extra["authors line"] = authors_line
    if plain_abstract and plain_abstract != converted:
        record.extra["plain-text abstract"] = plain_abstract
    if citations is not None and citations != record.citation_count:
        record.extra["citation count line"] = citations
    if isinstance(journal, dict) and record.issue:
        record.extra["journal volume (as given)"] = journal.get("volume")
    for key in ("ListUrlMain", "url"):
        if data.get(key) and data.get(key) != record.url:
            record.extra[key] = data[key]
    if other:
        record.extra["other lines"] = other
    return record
