"""Loading files into the review database.

Each file loads inside its own savepoint: it either lands whole (its `sources`
row, its records, its occurrences and their full-text index entries) or not
at all, so a broken file or a killed process never leaves half a file behind,
and rerunning the same command finishes the job. Consecutive files share a
commit for up to a second, which makes folders of thousands of one-record
files fast; a kill loses at most that last second of whole files. A file whose exact bytes
already loaded is skipped (idempotent reloads). Parsing and preparing the
records happens in preparing.py, in a second process for larger loads
(readahead.py); this module does the database side.

Exact duplicates merge on load: same DOI, else same PMID, else same
normalised title + year + first-author surname (unless the two records carry
different DOIs or PMIDs, which says they are different works). The existing
record keeps its values; blank fields are filled from the newcomer; list
fields gain its new items; every occurrence is kept.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterable, Iterator

from sqlite_utils import Database

from . import formats
from . import readahead
from .preparing import FileInput, Prepared, PreparedRecords, tags_for
from .records import LIST_FIELDS, Record, exact_duplicate_key
from .schema import FTS_COLUMNS, RECORD_COLUMNS, ensure_schema
from .source_names import canonical_source
from .tagging import Vocabulary
from .terms import current_vocabulary, insert_terms, store_vocabulary, term_rows
from .textio import FileFacts, LoadError

# Columns the facet terms and automatic tags are derived from.
TERM_SOURCES = {"title", "abstract", "keywords", "publication_types", "databases", "mesh"}
# Columns merged as sets rather than filled only when blank.
UNION_FIELDS = ("keywords", "publication_types", "claims")
# Index new rows in the full-text table after this many inserts.
FTS_BATCH = 2000
OCCURRENCE_BATCH = 1000
# Files loaded within this many seconds share one commit (each keeps its own
# savepoint, so each still loads whole or not at all).
COMMIT_EVERY = 1.0
PROGRESS_EVERY = 500


@dataclass
class FileResult:
    path: str
    status: str  # loaded | skipped | failed
    format: str | None = None
    database: str | None = None
    records: int = 0
    new: int = 0
    merged: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    source_id: int | None = None
    seconds: float = 0.0

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items()}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# Files found while walking a directory that are never literature exports:
# project files kept beside the exports (data/vocabulary.yml, a README, a
# review database). A file named on the command line is loaded whatever it is.
# Other files a walk finds that turn out to be no bibliographic export (a
# MANIFEST.csv, a list of ids) are reported as skipped, not failed.
NOT_EXPORTS = {".yml", ".yaml", ".md", ".rst", ".py", ".sh", ".toml", ".ini", ".cfg",
               ".db", ".sqlite", ".sqlite3", ".db-wal", ".db-shm", ".pdf", ".docx"}


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files under directories named (recursively, sorted,
    hidden files and folders and NOT_EXPORTS skipped)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and Path(name).suffix.lower() not in NOT_EXPORTS:
                        yield Path(root) / name
        else:
            yield path


def open_database(path: str | Path) -> Database:
    """The review database, created or migrated to the current schema."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    db = Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA cache_size=-131072")
    ensure_schema(db)
    return db


class Loader:
    def __init__(
        self,
        db: Database,
        *,
        source_name: str | None = None,
        method: str = "databases",
        format_name: str | None = None,
        on_progress: Callable[[int], None] | None = None,
        vocabulary: Vocabulary | None = None,
        read_ahead: bool | None = None,
    ):
        self.db = db
        self.conn = db.conn
        # Records are tagged with the vocabulary in force for this database
        # (or the one given), so later loads tag like earlier ones.
        self.vocabulary = vocabulary or current_vocabulary(self.conn)
        self._vocabulary_stored = False
        self.source_name = source_name
        self.method = method  # databases | other (PRISMA's identification columns)
        self.format_module = formats.BY_NAME[format_name] if format_name else None
        self.on_progress = on_progress or (lambda n: None)
        # Prepare files in a second process (readahead.py): True, False, or
        # None for when the files add up to readahead.MIN_BYTES or more.
        self.read_ahead = read_ahead
        self._transaction_started = 0.0
        # Files load_paths found by walking folders (not named explicitly).
        self._walked: set[Path] = set()
        self._position = 0  # of the record being loaded, for error messages

    # ------------------------------------------------------------ files

    def load_paths(self, paths: Iterable[str | Path]) -> list[FileResult]:
        """Load files and directories (see iter_files); commit at the end even
        when interrupted, so every file finished so far stays loaded."""
        files = list(iter_files(paths))
        named = {Path(path) for path in paths}
        self._walked = {path for path in files if path not in named}
        inputs = self._inputs(files)
        try:
            return [self.load_input(file) for file in inputs]
        finally:
            inputs.close()  # stops the read-ahead process, if there is one
            self.close()

    def _inputs(self, files: list[Path]) -> Generator[FileInput, None, None]:
        read_ahead = self.read_ahead
        if read_ahead is None:
            read_ahead = sum(path.stat().st_size for path in files
                             if path.is_file()) >= readahead.MIN_BYTES
        if not read_ahead:
            return (FileInput(path, self.format_module, self.vocabulary) for path in files)
        loaded = {row[0] for row in self.conn.execute(
            "SELECT sha256 FROM sources WHERE status = 'loaded'")}
        return readahead.read_ahead(files, self.format_module, self.vocabulary, loaded)

    def close(self):
        """Index and commit the files loaded since the last commit."""
        if self.conn.in_transaction:
            self._index_new_rows()
            self.conn.execute("COMMIT")

    def load_input(self, file: FileInput) -> FileResult:
        """Load one file inside its own savepoint. Files share a transaction
        that commits every COMMIT_EVERY seconds (a commit per small file would
        cost more than loading it); call close() after the last file."""
        started = time.monotonic()
        result = FileResult(path=str(file.path), status="failed")
        facts = None
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self._transaction_started = started
            # Rows above this id are not in the full-text index yet; they are
            # indexed in batches, and at the latest just before the commit.
            self._fts_indexed_upto = self.conn.execute(
                "SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
            if not self._vocabulary_stored:
                store_vocabulary(self.conn, self.vocabulary)
                self._vocabulary_stored = True
        try:
            facts = file.facts()
            existing = self.conn.execute(
                "SELECT id, path FROM sources WHERE sha256 = ? AND status = 'loaded'",
                [facts.sha256],
            ).fetchone()
            if existing:
                result.status = "skipped"
                result.source_id = existing[0]
                result.error = f"already loaded as source {existing[0]} ({existing[1]})"
                self.on_progress(facts.bytes)
            else:
                module, records = file.open()
                result.format = module.NAME
                self._load_in_savepoint(facts, module, records, result)
                result.status = "loaded"
        except LoadError as error:
            result.error = str(error)
        except (OSError, UnicodeError) as error:
            result.error = f"cannot read: {error}"
        finally:
            result.seconds = time.monotonic() - started
        if result.status == "failed" and file.path in self._walked \
                and formats.is_not_an_export(result.error):
            # Found by a folder walk and no bibliographic export: not a failure.
            result.status = "skipped"
            result.error = f"not a bibliographic export ({result.error.split(':')[0]})"
        if result.status == "failed":
            self._record_failure(file.path, facts, result)
        if time.monotonic() - self._transaction_started >= COMMIT_EVERY:
            self.close()
        return result

    def _record_failure(self, path: Path, facts: FileFacts | None, result: FileResult):
        cursor = self.conn.execute(
            "INSERT INTO sources (path, format, database, sha256, bytes, loaded_at, status, error)"
            " VALUES (?, ?, ?, ?, ?, ?, 'failed', ?)",
            [os.path.abspath(path), result.format, canonical_source(self.source_name),
             facts.sha256 if facts else "", facts.bytes if facts else 0, now(), result.error],
        )
        result.source_id = cursor.lastrowid

    def _load_in_savepoint(self, facts: FileFacts, module, records: PreparedRecords,
                           result: FileResult):
        self.conn.execute("SAVEPOINT load_file")
        indexed_before = self._fts_indexed_upto
        try:
            self._load(facts, module, records, result)
        except BaseException as error:
            # Undo this file only; files before it in the transaction stay,
            # and so does what of them was already indexed.
            self.conn.execute("ROLLBACK TO load_file")
            self.conn.execute("RELEASE load_file")
            self._fts_indexed_upto = indexed_before
            result.new = result.merged = 0
            if isinstance(error, (LoadError, KeyboardInterrupt, SystemExit)):
                raise
            raise LoadError(f"{type(error).__name__}: {error}",
                            f"record {self._position}") from error
        else:
            self.conn.execute("RELEASE load_file")

    def _load(self, facts: FileFacts, module, records: PreparedRecords, result: FileResult):
        conn = self.conn
        source_id = conn.execute(
            "INSERT INTO sources (path, format, database, sha256, bytes, loaded_at, status, method)"
            " VALUES (?, ?, ?, ?, ?, ?, 'loaded', ?)",
            [os.path.abspath(facts.path), module.NAME, canonical_source(self.source_name),
             facts.sha256, facts.bytes, now(), self.method],
        ).lastrowid
        result.source_id = source_id
        # What the command line says (--source), else what each record says;
        # never the file name (PRISMA counts records per database, and a file
        # name is no evidence of one). Names are stored normalised.
        named = canonical_source(self.source_name)
        databases: Counter[str] = Counter()
        self._stamp = now()  # one timestamp per file: the file's load time
        self._occurrences: list[tuple] = []
        self._terms: list[tuple] = []
        reported = 0
        position = self._position = 0
        for prepared in records:
            position = self._position = position + 1
            database = named or canonical_source(prepared.database)
            if database:
                databases[database] += 1
            record_id, matched_on = self._store(prepared, database)
            self._occurrences.append((source_id, position, prepared.line, record_id, database,
                                      matched_on, prepared.raw))
            if len(self._occurrences) >= OCCURRENCE_BATCH:
                self._flush_pending()
            if matched_on == "new":
                result.new += 1
            else:
                result.merged += 1
            if prepared.warning:
                result.warnings.append(f"record {position}: {prepared.warning}")
            if position % PROGRESS_EVERY == 0 and not facts.gzipped:
                self.on_progress(records.bytes_read - reported)
                reported = records.bytes_read
        if position == 0:
            raise LoadError(f"no records found in this {module.LABEL} file", "whole file")
        self._flush_pending()
        result.records = position
        result.database = named or (databases.most_common(1)[0][0] if databases else None)
        conn.execute(
            "UPDATE sources SET records = ?, new_records = ?, merged = ?, database = ?, warnings = ?"
            " WHERE id = ?",
            [position, result.new, result.merged, result.database,
             json.dumps(result.warnings) if result.warnings else None, source_id],
        )
        self.on_progress(facts.bytes - reported if not facts.gzipped else facts.bytes)

    # ------------------------------------------------------------ records

    def _flush_pending(self):
        """Write the buffered occurrence and facet-term rows."""
        self.conn.executemany(
            "INSERT INTO occurrences (source_id, position, line, record_id, database,"
            " matched_on, raw) VALUES (?, ?, ?, ?, ?, ?, ?)", self._occurrences)
        self._occurrences.clear()
        insert_terms(self.conn, self._terms)
        self._terms.clear()

    def _index_new_rows(self):
        """Add the rows inserted since the last call to the full-text index."""
        columns = ", ".join(FTS_COLUMNS)
        self.conn.execute(
            f"INSERT INTO records_fts (rowid, {columns}) SELECT id, {columns} FROM records"
            " WHERE id > ?",
            [self._fts_indexed_upto],
        )
        self._fts_indexed_upto = self.conn.execute(
            "SELECT coalesce(max(id), 0) FROM records").fetchone()[0]

    def _find_existing(self, prepared: Prepared):
        conn = self.conn
        doi, pmid, key = prepared.values["doi"], prepared.values["pmid"], prepared.key
        if doi:
            row = conn.execute("SELECT id FROM records WHERE doi = ? LIMIT 1", [doi]).fetchone()
            if row:
                return row[0], "doi"
        if pmid:
            row = conn.execute(
                "SELECT id FROM records WHERE pmid = ? AND (doi IS NULL OR ? IS NULL OR doi = ?)"
                " LIMIT 1", [pmid, doi, doi]).fetchone()
            if row:
                return row[0], "pmid"
        if key:
            row = conn.execute(
                "SELECT id FROM records WHERE dedup_key = ?"
                " AND (doi IS NULL OR ? IS NULL OR doi = ?)"
                " AND (pmid IS NULL OR ? IS NULL OR pmid = ?) LIMIT 1",
                [key, doi, doi, pmid, pmid]).fetchone()
            if row:
                return row[0], "title_year_author"
        return None, "new"

    def _store(self, prepared: Prepared, database: str | None) -> tuple[int, str]:
        existing_id, matched_on = self._find_existing(prepared)
        if existing_id is None:
            return self._insert(prepared, database), "new"
        self._merge(existing_id, prepared, database)
        return existing_id, matched_on

    def _insert(self, prepared: Prepared, database: str | None) -> int:
        values = prepared.values
        stamp = self._stamp
        tags = prepared.tags
        databases = json.dumps([database] if database else [], ensure_ascii=False)
        columns = list(RECORD_COLUMNS) + ["databases", "auto_tags", "missing_fields", "dedup_key",
                                           "extra", "created_at", "updated_at"]
        row = [values[c] for c in RECORD_COLUMNS] + [
            databases,
            json.dumps(tags, ensure_ascii=False),
            prepared.missing_json,
            prepared.key,
            prepared.extra_json,
            stamp,
            stamp,
        ]
        cursor = self.conn.execute(
            f"INSERT INTO records ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            row,
        )
        record_id = cursor.lastrowid
        self._terms += term_rows(record_id, values["publication_types"], databases, tags,
                                 values["mesh"])
        if record_id - self._fts_indexed_upto >= FTS_BATCH:
            self._index_new_rows()
        return record_id

    def _merge(self, record_id: int, prepared: Prepared, database: str | None):
        if record_id > self._fts_indexed_upto:
            # The update trigger removes the old text from the index, so the
            # row has to be in the index before it changes.
            self._index_new_rows()
        cursor = self.conn.execute("SELECT * FROM records WHERE id = ?", [record_id])
        names = [d[0] for d in cursor.description]
        current = dict(zip(names, cursor.fetchone()))
        incoming = prepared.values
        changes: dict[str, object] = {}
        for column in RECORD_COLUMNS:
            old, new = current[column], incoming[column]
            if column in UNION_FIELDS:
                merged = union_json(old, new)
                if merged != old:
                    changes[column] = merged
            elif column in LIST_FIELDS:
                if old in (None, "", "[]") and new not in (None, "", "[]"):
                    changes[column] = new
            elif old in (None, "") and new not in (None, ""):
                changes[column] = new
        merged_databases = union_json(current["databases"],
                                      json.dumps([database] if database else [],
                                                 ensure_ascii=False))
        if merged_databases != current["databases"]:
            changes["databases"] = merged_databases
        extra = json.loads(current["extra"] or "{}")
        added = {k: v for k, v in json.loads(prepared.extra_json).items() if k not in extra}
        if added:
            extra.update(added)
            changes["extra"] = json.dumps(extra, ensure_ascii=False, default=str)
        if changes:
            combined = {**current, **changes}
            filled = Record(**{name: decode_value(name, combined[name]) for name in RECORD_COLUMNS})
            changes["missing_fields"] = json.dumps(filled.missing_fields())
            if not current["dedup_key"]:
                changes["dedup_key"] = exact_duplicate_key(filled)
            if changes.keys() & TERM_SOURCES:
                self._refresh_terms(record_id, combined, changes)
        changes["occurrence_count"] = current["occurrence_count"] + 1
        changes["updated_at"] = self._stamp
        assignments = ", ".join(f"{name} = ?" for name in changes)
        self.conn.execute(f"UPDATE records SET {assignments} WHERE id = ?",
                          [*changes.values(), record_id])


    def _refresh_terms(self, record_id: int, combined: dict, changes: dict):
        """A merge changed what the record's facet terms derive from: rewrite them."""
        self._flush_pending()  # this record's own terms may still be buffered
        tags = tags_for(self.vocabulary, combined)
        changes["auto_tags"] = json.dumps(tags, ensure_ascii=False)
        self.conn.execute("DELETE FROM record_terms WHERE record_id = ?", [record_id])
        insert_terms(self.conn, term_rows(record_id, combined["publication_types"],
                                          combined["databases"], tags, combined["mesh"]))


def decode_value(column: str, value):
    if column in LIST_FIELDS:
        return json.loads(value) if value else []
    return value


def union_json(old: str | None, new: str | None) -> str | None:
    """Two JSON arrays as one, order kept, case-insensitive duplicates dropped."""
    old_items = json.loads(old) if old else []
    new_items = json.loads(new) if new else []
    seen = {str(item).casefold() for item in old_items}
    added = [item for item in new_items if str(item).casefold() not in seen]
    if not added:
        return old
    return json.dumps(old_items + added, ensure_ascii=False)
