"""JSON Lines: one JSON object per line, as screening tools (ASReview and
others) and scripts export records: `title`, `abstract`, `doi`, `authors`,
labels. Keys are matched to columns exactly as CSV column names are
(csv_table.py); every other key stays in extra with its JSON value."""

from __future__ import annotations

import json

from ..textio import LoadError
from . import Parsed, csv_table

NAME = "jsonl"
LABEL = "JSON Lines"


def unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose repeated keys all stay ("notes", "notes (2)"):
    json.loads would keep only the last."""
    names = csv_table.unique_names([key for key, _ in pairs])
    return dict(zip(names, (value for _, value in pairs)))


def _object(line: str) -> dict | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def sniff(head: str) -> bool:
    """At least two lines, each a whole JSON object, and at least one key a
    record column (a pretty-printed JSON file has `{` or `[` alone on its
    first line; a CSL-JSON array starts with `[`)."""
    lines = [line for line in head.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    first, second = _object(lines[0]), lines[1].strip().startswith("{")
    return bool(first) and second and any(
        csv_table.LOOKUP.get(csv_table._key(key)) in ("title", "abstract", "doi")
        for key in first)


def cell_text(value) -> str:
    """A JSON value as the text a CSV cell would hold: lists joined with
    "; " (authors, keywords), objects as JSON, true/false as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(_name(item) if isinstance(item, dict) else cell_text(item)
                         for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _name(person: dict) -> str:
    """An author object ({family, given} or {name})."""
    if person.get("family"):
        return ", ".join(p for p in (person["family"], person.get("given")) if p)
    return str(person.get("name") or person.get("literal") or json.dumps(person))


def _author_list(item: dict) -> list[str] | None:
    """The authors when the object gives them as a JSON list."""
    for key, value in item.items():
        if csv_table.LOOKUP.get(csv_table._key(key)) == "authors" and isinstance(value, list):
            return [name for name in (_name(person) if isinstance(person, dict)
                                      else cell_text(person) for person in value) if name]
    return None


def parse(stream):
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, object_pairs_hook=unique_keys)
        except json.JSONDecodeError as error:
            raise LoadError(f"malformed JSON Lines: {error.msg}",
                            f"line {number}, column {error.colno}") from error
        if not isinstance(item, dict):
            raise LoadError("a JSON Lines record must be an object", f"line {number}")
        record = csv_table.to_record({key: cell_text(value) for key, value in item.items()})
        people = _author_list(item)
        if people is not None:
            record.authors = people  # a list is already split: never split a name at "and"
        # What no column took keeps its JSON value (a list stays a list).
        record.extra = {key: item.get(key, value) for key, value in record.extra.items()}
        yield Parsed(record, line.rstrip("\r\n"), number)
