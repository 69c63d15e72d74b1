"""A merged record's values from the values of its occurrences (pure).

A record with several occurrences (copies of one work from several files)
shows one value per field: the earliest-loaded occurrence's, blanks filled
from the later ones in load order, list fields (keywords, publication types,
claims) as the union, `databases` as every database it was found in, and
`extra` with every key any occurrence had. That is the loader's merge rule
since the first version; here it is one fold over the occurrences, so that
taking a copy out again (an unmerge) recomputes the record exactly as if the
copy had never joined, and the record page can list every value a field had
("best value + the others").

Values are kept as the `records` row stores them (lists as JSON text), with
two more keys: `extra` (JSON text) and `dedup_key` (records.exact_duplicate_key).
"""

from __future__ import annotations

import json
from typing import Iterable

from ..records import LIST_FIELDS, Record, exact_duplicate_key
from ..schema import RECORD_COLUMNS

# Columns merged as sets rather than filled only when blank.
UNION_FIELDS = ("keywords", "publication_types", "claims")
VALUE_KEYS = RECORD_COLUMNS + ("extra", "dedup_key")
# Derived from the values when they change (the loader's merge did the same).
DERIVED = ("databases", "missing_fields", "dedup_key")
BLANK_LIST = (None, "", "[]")


def union_json(old: str | None, new: str | None) -> str | None:
    """Two JSON arrays as one, order kept, case-insensitive duplicates dropped."""
    old_items = json.loads(old) if old else []
    new_items = json.loads(new) if new else []
    seen = {str(item).casefold() for item in old_items}
    added = [item for item in new_items if str(item).casefold() not in seen]
    if not added:
        return old
    return json.dumps(old_items + added, ensure_ascii=False)


def decode_value(column: str, value):
    if column in LIST_FIELDS:
        return json.loads(value) if value else []
    return value


def missing_json(values: dict) -> str:
    filled = Record(**{name: decode_value(name, values[name]) for name in RECORD_COLUMNS})
    return json.dumps(filled.missing_fields())


def row_values(row: dict) -> dict:
    """The values part of a `records` row (what an occurrence brought, for a
    record with one occurrence)."""
    return {key: row[key] for key in VALUE_KEYS}


def start(values: dict, database: str | None) -> dict:
    """A record made of its first occurrence: its values, the one database,
    and what derives from them."""
    current = dict(values)
    current["databases"] = json.dumps([database] if database else [], ensure_ascii=False)
    current["missing_fields"] = missing_json(current)
    return current


def add(current: dict, values: dict | None, database: str | None) -> dict:
    """The changes one more occurrence makes to a record (`current`: values
    plus databases and missing_fields). `values` None: a copy merged by an
    older version, whose values are already in the record; only its database
    counts."""
    changes: dict[str, object] = {}
    if values is not None:
        for column in RECORD_COLUMNS:
            old, new = current[column], values[column]
            if column in UNION_FIELDS:
                merged = union_json(old, new)
                if merged != old:
                    changes[column] = merged
            elif column in LIST_FIELDS:
                if old in BLANK_LIST and new not in BLANK_LIST:
                    changes[column] = new
            elif old in (None, "") and new not in (None, ""):
                changes[column] = new
    databases = union_json(current["databases"],
                           json.dumps([database] if database else [], ensure_ascii=False))
    if databases != current["databases"]:
        changes["databases"] = databases
    if values is not None:
        extra = json.loads(current["extra"] or "{}")
        added = {k: v for k, v in json.loads(values["extra"] or "{}").items() if k not in extra}
        if added:
            extra.update(added)
            changes["extra"] = json.dumps(extra, ensure_ascii=False, default=str)
    if changes:
        combined = {**current, **changes}
        changes["missing_fields"] = missing_json(combined)
        if not current["dedup_key"]:
            filled = Record(**{n: decode_value(n, combined[n]) for n in RECORD_COLUMNS})
            key = exact_duplicate_key(filled)
            if key != current["dedup_key"]:
                changes["dedup_key"] = key
    return changes


def fold(parts: Iterable[tuple[dict | None, str | None]]) -> dict:
    """The record made of its occurrences, in load order: (values, database)
    each; the first must have values."""
    parts = iter(parts)
    values, database = next(parts)
    if values is None:
        raise ValueError("the first occurrence of a record must have its values")
    current = start(values, database)
    for values, database in parts:
        current.update(add(current, values, database))
    return current


def other_values(parts: list[tuple[int, dict | None]], shown: dict) -> dict[str, list[dict]]:
    """For each field, the values of the occurrences that differ from the
    value the record shows: {column: [{"value", "occurrences": [ids]}]}."""
    others: dict[str, list[dict]] = {}
    for column in RECORD_COLUMNS:
        seen: dict[str, dict] = {}
        for occurrence_id, values in parts:
            if values is None:
                continue
            value = values.get(column)
            if value in BLANK_LIST or value == shown.get(column):
                continue
            key = str(value)
            if column in UNION_FIELDS:
                continue  # a union: every item is shown already
            entry = seen.setdefault(key, {"value": decode_value(column, value),
                                          "occurrences": []})
            entry["occurrences"].append(occurrence_id)
        if seen:
            others[column] = list(seen.values())
    return others
