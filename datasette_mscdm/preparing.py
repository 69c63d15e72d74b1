"""Turning files into records ready to store: checksum and encoding,
format detection, parsing, normalising, the exact-duplicate key, automatic
tags and JSON encoding. None of it needs the database, and it is most of a
load's time, so readahead.py can run it in a second process while the loader
stores what came before.

A `FileInput` is one file to load, read in this process: the loader asks for
its facts (to skip a file already loaded), then opens it for its prepared
records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from . import formats
from .dedup import from_record
from .dedup.record import blocking_fields
from .dedup.blocking import identifier_count, live_keys
from .formats import Parsed
from .records import LIST_FIELDS, Record, exact_duplicate_key
from .schema import RECORD_COLUMNS
from .tagging import Vocabulary
from .terms import facet_terms, tag_texts
from .textio import FileFacts, LoadError, inspect_file, open_text


@dataclass(slots=True)
class Prepared:
    """One parsed record, ready for the `records` table."""
    values: dict[str, object]  # column -> value (lists as JSON, booleans as 0/1)
    key: str | None  # normalised title|year|first author, for exact dedup
    # Automatic vocabulary tags, {group: [terms]} as records.auto_tags holds
    # them, and the facet terms but the database (terms.facet_terms). None:
    # not made yet (prepare(tag=False)); add_tags makes them.
    tags_json: str | None
    terms: list[tuple[str, str]] | None
    missing_json: str
    extra_json: str
    database: str | None  # the bibliographic database the record names
    raw: str
    line: int | None
    warning: str | None
    # Duplicate matching (duplicates/live.py): the record's hashed blocking
    # keys, how many of the first are DOI/PMID keys, its compact title keys.
    dedup: tuple[tuple[int, ...], int, tuple[str, ...]] | None = None


def record_values(record: Record) -> dict[str, object]:
    """Column values for a record: lists as JSON, booleans as 0/1."""
    values = {}
    for column in RECORD_COLUMNS:
        value = getattr(record, column)
        if column in LIST_FIELDS:
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            value = int(value)
        values[column] = value
    return values


def tags_for(vocabulary: Vocabulary, values: dict[str, object]) -> dict[str, list[str]]:
    return vocabulary.tag(tag_texts(values["title"], values["abstract"], values["keywords"],
                                    values["publication_types"]))


def prepare(parsed: Parsed, vocabulary: Vocabulary, tag: bool = True) -> Prepared:
    """A parsed record ready to store; without its tags and facet terms when
    not `tag` (add_tags makes them later, from the same values)."""
    record = parsed.record.finish()
    values = record_values(record)
    warnings = ([parsed.warning] if parsed.warning else []) + record.warnings
    tags_json, terms = _tags_and_terms(vocabulary, values) if tag else (None, None)
    return Prepared(
        dedup=dedup_keys(record),
        values=values,
        key=exact_duplicate_key(record),
        tags_json=tags_json,
        terms=terms,
        missing_json=json.dumps(record.missing_fields()),
        extra_json=json.dumps(record.extra, ensure_ascii=False, default=str),
        database=record.database,
        raw=parsed.raw,
        line=parsed.line,
        warning="; ".join(warnings) or None,
    )


def _tags_and_terms(vocabulary: Vocabulary, values: dict) -> tuple[str, list[tuple[str, str]]]:
    tags = tags_for(vocabulary, values)
    return (json.dumps(tags, ensure_ascii=False),
            facet_terms(values["publication_types"], tags, values["mesh"]))


def add_tags(prepared: Prepared, vocabulary: Vocabulary) -> None:
    """Make the tags and facet terms of a record prepared without them (the
    read-ahead process leaves them to the loader while the loader waits for
    it: readahead.py). They depend on its values alone, so they are the same
    whichever process makes them."""
    if prepared.tags_json is None:
        prepared.tags_json, prepared.terms = _tags_and_terms(vocabulary, prepared.values)


def dedup_keys(record: Record) -> tuple[tuple[int, ...], int, tuple[str, ...]]:
    """What a load looks a record's duplicates up with (see Prepared.dedup).
    Computed here, beside the parsing (in the read-ahead process for large
    loads), so the loader only queries and scores."""
    features = blocking_fields(from_record(0, record))
    return tuple(live_keys(features)), identifier_count(features), features.compacts


class PreparedRecords:
    """The prepared records of one file, in file order. Iterating raises
    LoadError (with where it broke) for a file that cannot be parsed;
    `bytes_read` says how far into the file the reading is, for progress."""

    def __init__(self, facts: FileFacts, module, vocabulary: Vocabulary,
                 tag: Callable[[], bool] = lambda: True):
        self.facts = facts
        self.module = module
        self.vocabulary = vocabulary
        self.tag = tag  # asked before each record: tag it here? (else add_tags, later)
        self.bytes_read = 0

    def __iter__(self) -> Iterator[Prepared]:
        if hasattr(self.module, "parse_file"):  # a workbook: not a text stream
            for position, parsed in _parse(self.module.parse_file, self.facts):
                try:
                    yield prepare(parsed, self.vocabulary, self.tag())
                except Exception as error:
                    raise _record_error(error, position) from error
            self.bytes_read = self.facts.bytes
            return
        if self.facts.is_workbook:
            raise LoadError(f"an Excel workbook is not a {self.module.LABEL} file", "whole file")
        stream, counter = open_text(self.facts)
        with stream:
            for position, parsed in _parse(self.module.parse, stream):
                try:
                    prepared = prepare(parsed, self.vocabulary, self.tag())
                except Exception as error:
                    raise _record_error(error, position) from error
                self.bytes_read = counter.count
                yield prepared
        self.bytes_read = counter.count


class FileInput:
    """One file to load, read and prepared in this process."""

    def __init__(self, path: Path, format_module, vocabulary: Vocabulary):
        self.path = path
        self.format_module = format_module  # None: detect from the content
        self.vocabulary = vocabulary
        self._facts: FileFacts | None = None

    def facts(self) -> FileFacts:
        """Checksum, size and encoding. Raises LoadError, OSError, UnicodeError."""
        if self._facts is None:
            self._facts = inspect_file(self.path)
        return self._facts

    def open(self) -> tuple[object, PreparedRecords]:
        """(format module, its prepared records). Raises as facts() does."""
        facts = self.facts()
        module = self.format_module or formats.detect_file(facts)
        return module, PreparedRecords(facts, module, self.vocabulary)


def _parse(parse, source) -> Iterator[tuple[int, Parsed]]:
    """(position, parsed) pairs; a parse error says after which record it broke."""
    records = parse(source)
    position = 0
    while True:
        try:
            parsed = next(records)
        except StopIteration:
            return
        except LoadError as error:
            if not error.where:
                error.where = f"after record {position}"
            raise
        except Exception as error:  # a bug in a parser, met on this record
            raise _record_error(error, position + 1) from error
        position += 1
        yield position, parsed


def _record_error(error: Exception, position: int) -> LoadError:
    if isinstance(error, LoadError):
        return error
    return LoadError(f"{type(error).__name__}: {error}", f"record {position}")


