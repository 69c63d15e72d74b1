"""CSL-JSON (Zotero, Better BibTeX, Mendeley, citation.js): a JSON array of
items, or one item. Titles may hold HTML; `issued` may be a range or a
literal; editor-only items have no author (the editors are kept in extra)."""

from __future__ import annotations

import json
import re

from ..records import Record, parse_int, parse_year, split_keywords
from ..textio import LoadError
from . import Parsed

NAME = "csl-json"
LABEL = "CSL-JSON"

CSL_KEYS = {"type", "title", "author", "issued", "container-title", "DOI", "id", "editor"}


def sniff(head: str) -> bool:
    text = head.lstrip()
    if not text.startswith(("[", "{")):
        return False
    keys = set(re.findall(r'"([A-Za-z-]+)"\s*:', text[:8192]))
    return len(keys & CSL_KEYS) >= 2


def parse(stream):
    # CSL-JSON files come from reference managers and are small; the standard
    # JSON parser reads them whole (a streaming JSON parser would be a new
    # dependency for no gain at these sizes).
    text = stream.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LoadError(f"malformed JSON: {error.msg}",
                        f"line {error.lineno}, column {error.colno}") from error
    items = data if isinstance(data, list) else data.get("items", [data]) if isinstance(
        data, dict) else None
    if items is None:
        raise LoadError("CSL-JSON must be an array of items or one item")
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise LoadError("CSL-JSON item is not an object", f"item {position}")
        yield Parsed(to_record(item), json.dumps(item, ensure_ascii=False), position)


def _name(person: dict) -> str | None:
    if not isinstance(person, dict):
        return str(person) if person else None
    if person.get("literal"):
        return person["literal"]
    family = " ".join(p for p in (person.get("non-dropping-particle"), person.get("family")) if p)
    given = " ".join(p for p in (person.get("given"), person.get("dropping-particle")) if p)
    if family and given:
        return f"{family}, {given}"
    return family or given or None


def _date(value) -> tuple[int | None, str | None]:
    if not isinstance(value, dict):
        return parse_year(value), str(value) if value else None
    parts = value.get("date-parts")
    if parts and isinstance(parts, list) and parts[0]:
        first = parts[0]
        text = "-".join(str(p) for p in first if p not in (None, ""))
        if len(parts) > 1 and parts[1]:
            text += "/" + "-".join(str(p) for p in parts[1] if p not in (None, ""))
        return parse_int(first[0]), text
    literal = value.get("literal") or value.get("raw")
    return parse_year(literal), literal


def to_record(item: dict) -> Record:
    rest = dict(item)

    def take(key):
        return rest.pop(key, None)

    record = Record()
    record.title = take("title")
    record.authors = [n for n in (_name(p) for p in take("author") or []) if n]
    record.journal = take("container-title")
    if isinstance(record.journal, list):
        record.journal = record.journal[0] if record.journal else None
    record.volume = str(take("volume") or "") or None
    record.issue = str(take("issue") or "") or None
    record.pages = str(take("page") or "") or None
    record.year, record.publication_date = _date(take("issued"))
    record.doi = take("DOI")
    record.pmid = take("PMID")
    record.pmcid = take("PMCID")
    record.url = take("URL")
    record.abstract = take("abstract")
    keywords = take("keyword")
    record.keywords = (split_keywords(keywords) if isinstance(keywords, str)
                       else list(keywords or []))
    kind = take("type")
    record.publication_types = [kind] if kind else []
    record.language = take("language")
    record.citation_count = parse_int(take("is-referenced-by-count"))
    if not record.authors and item.get("editor"):
        # Editor-only items (edited books): the editors stand in for the
        # first author in dedup keys; they stay under "editor" in extra.
        editors = [n for n in (_name(p) for p in item["editor"]) if n]
        record.first_author = editors[0] if editors else None
    record.extra = rest
    return record
