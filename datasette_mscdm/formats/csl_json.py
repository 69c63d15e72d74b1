"""CSL-JSON (Zotero, Better BibTeX, Mendeley, citation.js): a JSON array of
items, or one item. Titles may hold HTML; `issued` may be a range or a
literal; editor-only items have no author (the editors are kept in extra)."""

from __future__ import annotations

import json
import re

from ..markup import PARAGRAPH
from ..records import Record, parse_int, parse_year, split_keywords
from ..textio import LoadError
from . import Parsed
from .json_lines import unique_keys

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
        data = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as error:
        raise LoadError(f"malformed JSON: {error.msg}",
                        f"line {error.lineno}, column {error.colno}") from error
    if isinstance(data, list):
        items, spans = data, _array_spans(text, _skip(text, 0))
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        items = data["items"]
        spans = _array_spans(text, _member(text, _skip(text, 0), "items"))
    elif isinstance(data, dict):
        items, spans = [data], [(_skip(text, 0), len(text.rstrip()))]
    else:
        raise LoadError("CSL-JSON must be an array of items or one item")
    for position, (item, (start, end)) in enumerate(zip(items, spans), 1):
        if not isinstance(item, dict):
            raise LoadError("CSL-JSON item is not an object", f"item {position}")
        line = text.count("\n", 0, start) + 1
        yield Parsed(to_record(item), text[start:end], line)


# Where each item is in the text, so its raw text is the item as written.
# The standard library's decoder reports where a value ends (raw_decode).
_DECODER = json.JSONDecoder()
_WHITE = re.compile(r"[ \t\n\r]*")


def _skip(text: str, position: int) -> int:
    return _WHITE.match(text, position).end()


def _array_spans(text: str, position: int) -> list[tuple[int, int]]:
    """(start, end) of each value of the array whose `[` is at position."""
    spans = []
    position = _skip(text, position + 1)
    while text[position] != "]":
        _, end = _DECODER.raw_decode(text, position)
        spans.append((position, end))
        position = _skip(text, end)
        if text[position] == ",":
            position = _skip(text, position + 1)
    return spans


def _member(text: str, position: int, key: str) -> int:
    """Where the value of `key` starts in the object whose `{` is at position."""
    position = _skip(text, position + 1)
    while text[position] != "}":
        name, end = _DECODER.raw_decode(text, position)
        position = _skip(text, _skip(text, end) + 1)  # past the colon
        if name == key:
            return position
        _, end = _DECODER.raw_decode(text, position)
        position = _skip(text, end)
        if text[position] == ",":
            position = _skip(text, position + 1)
    raise LoadError(f"no {key!r} in the CSL-JSON object")


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

    record = Record(line_breaks=PARAGRAPH)  # JSON strings are never wrapped
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
