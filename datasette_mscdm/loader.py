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

Duplicates merge on load: each record read is compared with the review by
the duplicate engine (duplicates/live.py): a *duplicate* joins the record it
copies, a *maybe* pair is queued for a person, the rest are new records. The
existing record keeps its values; blank fields are filled from the newcomer;
list fields gain its new items (duplicates/values.py); every occurrence is
kept, with the values it brought once its record has more than one, and
each merge is logged (mscdm_merges) so that it can be undone.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterable, Iterator

from sqlite_utils import Database

from . import formats
from . import readahead
from .preparing import FileInput, Prepared, PreparedRecords, add_tags, tags_for
from .duplicates import tables as dedup_tables
from .duplicates import values as record_values
from .duplicates.live import LoadMatcher
from .schema import FTS_COLUMNS, RECORD_COLUMNS, ensure_schema, restore_append_only
from .source_names import canonical_source
from .tagging import Vocabulary
from .terms import current_vocabulary, insert_terms, store_vocabulary, term_rows
from .textio import FileFacts, LoadError

# Columns the facet terms and automatic tags are derived from.
TERM_SOURCES = {"title", "abstract", "keywords", "publication_types", "databases", "mesh"}
# Index new rows in the full-text table after this many inserts.
FTS_BATCH = 2000
# A new record's row (the statement built once: a load inserts per record).
_INSERTED_COLUMNS = ["id", *RECORD_COLUMNS, "databases", "auto_tags", "missing_fields",
                     "dedup_key", "extra", "created_at", "updated_at"]
_INSERT_RECORD = (f"INSERT INTO records ({', '.join(_INSERTED_COLUMNS)})"
                  f" VALUES ({', '.join('?' * len(_INSERTED_COLUMNS))})")
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
    queued: int = 0  # possible duplicate pairs this file added to the review queue
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


def warn(message: str) -> None:
    """A warning on stderr (the loader is used without click too)."""
    print(f"warning: {message}", file=sys.stderr)


def open_database(path: str | Path) -> Database:
    """The review database, created or migrated to the current schema."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    db = Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA cache_size=-131072")
    ensure_schema(db)
    restored = restore_append_only(db.conn)
    if restored:
        warn(f"{path}: append-only triggers were missing (a table rebuilt by"
                           f" another tool?) and are back: {', '.join(restored)}")
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
        self.matcher: LoadMatcher | None = None

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
            self._flush_pending()
            self.matcher.flush(everything=True)
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
            self._count_ids()
            if self.matcher is None:
                self.matcher = LoadMatcher(self.conn)
            else:
                self.matcher.begin()
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
        self.matcher.file_started()
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
            self._occurrences.clear()
            self._terms.clear()
            self.matcher.reset()
            self._count_ids()
            result.new = result.merged = result.queued = 0
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
        queued_before = self.matcher.queued_total
        reported = 0
        position = self._position = 0
        for prepared in records:
            position = self._position = position + 1
            database = named or canonical_source(prepared.database)
            if database:
                databases[database] += 1
            self._store(prepared, database, source_id, position)
            matched_on = self._matched_on
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
        if facts.warning:
            result.warnings.insert(0, f"whole file: {facts.warning}")
        result.queued = self.matcher.queued_total - queued_before
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

    def _count_ids(self):
        """Ids for the rows this transaction adds. Records never reuse the id
        of a record merged away (its decisions keep that id; an unmerge
        brings it back)."""
        self._next_record_id = dedup_tables.next_record_id(self.conn)
        self._next_occurrence_id = 1 + self.conn.execute(
            "SELECT coalesce(max(id), 0) FROM occurrences").fetchone()[0]
        self._occurrences: list[tuple] = []
        self._terms: list[tuple] = []
        # Records whose first occurrence is still in self._occurrences.
        self._buffered_records: set[int] = set()

    def _flush_pending(self):
        """Write the buffered occurrence, facet-term and key rows."""
        self.conn.executemany(
            "INSERT INTO occurrences (id, source_id, position, line, record_id, database,"
            " matched_on, raw, record_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._occurrences)
        self._occurrences.clear()
        self._buffered_records.clear()
        insert_terms(self.conn, self._terms)
        self._terms.clear()
        self.matcher.flush()

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

    def _store(self, prepared: Prepared, database: str, source_id: int, position: int):
        """Store one record read from a file: as a new record, or as one more
        occurrence of the record it duplicates."""
        match = self.matcher.match(prepared.values, prepared.dedup)
        occurrence_id = self._next_occurrence_id
        self._next_occurrence_id += 1
        if match.duplicate is None:
            record_id = self._insert(prepared, database)
            self._matched_on = "new"
            self._occurrences.append((occurrence_id, source_id, position, prepared.line,
                                      record_id, database, "new", prepared.raw, None))
            self._buffered_records.add(record_id)
        else:
            record_id = match.duplicate.b
            self._matched_on = matched_on(match.duplicate)
            self._merge(record_id, prepared, database, occurrence_id, source_id, position,
                        match.duplicate)
        self.matcher.stored(match, record_id, joined=match.duplicate is not None)

    def _insert(self, prepared: Prepared, database: str | None) -> int:
        add_tags(prepared, self.vocabulary)  # if the read-ahead process left them
        values = prepared.values
        stamp = self._stamp
        databases = json.dumps([database] if database else [], ensure_ascii=False)
        record_id = self._next_record_id
        self._next_record_id += 1
        row = [record_id] + [values[c] for c in RECORD_COLUMNS] + [
            databases,
            prepared.tags_json,
            prepared.missing_json,
            prepared.key,
            prepared.extra_json,
            stamp,
            stamp,
        ]
        self.conn.execute(_INSERT_RECORD, row)
        self._terms += [(facet, term, record_id) for facet, term in prepared.terms]
        if database:
            self._terms.append(("database", database, record_id))
        if record_id - self._fts_indexed_upto >= FTS_BATCH:
            self._index_new_rows()
        return record_id

    def _merge(self, record_id: int, prepared: Prepared, database: str, occurrence_id: int,
               source_id: int, position: int, decision):
        if record_id > self._fts_indexed_upto:
            # The update trigger removes the old text from the index, so the
            # row has to be in the index before it changes.
            self._index_new_rows()
        if record_id in self._buffered_records:
            self._flush_pending()  # its first occurrence gets its values below
        cursor = self.conn.execute("SELECT * FROM records WHERE id = ?", [record_id])
        names = [d[0] for d in cursor.description]
        current = dict(zip(names, cursor.fetchone()))
        if current["occurrence_count"] == 1 or not self.conn.execute(
                "SELECT 1 FROM occurrences WHERE record_id = ? AND record_values IS NOT NULL"
                " LIMIT 1", [record_id]).fetchone():
            dedup_tables.keep_first_values(self.conn, record_id, current)
        incoming = occurrence_values(prepared)
        self.conn.execute(
            "INSERT INTO occurrences (id, source_id, position, line, record_id, database,"
            " matched_on, raw, record_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [occurrence_id, source_id, position, prepared.line, record_id, database,
             self._matched_on, prepared.raw, json.dumps(incoming, ensure_ascii=False)])
        changes = record_values.add(current, incoming, database)
        if changes.keys() & TERM_SOURCES:
            self._refresh_terms(record_id, {**current, **changes}, changes)
        changes["occurrence_count"] = current["occurrence_count"] + 1
        changes["updated_at"] = self._stamp
        assignments = ", ".join(f"{name} = ?" for name in changes)
        self.conn.execute(f"UPDATE records SET {assignments} WHERE id = ?",
                          [*changes.values(), record_id])
        self.conn.execute(
            "INSERT INTO mscdm_merges (action, kept_id, merged_id, occurrences, matched_on,"
            " merged_by, score, reasons, created_at) VALUES ('merge', ?, NULL, ?, ?, 'auto',"
            " ?, ?, ?)",
            [record_id, json.dumps([occurrence_id]), self._matched_on, round(decision.score, 4),
             json.dumps(decision.reasons, ensure_ascii=False), self._stamp])

    def _refresh_terms(self, record_id: int, combined: dict, changes: dict):
        """A merge changed what the record's facet terms derive from: rewrite them."""
        self._flush_pending()  # this record's own terms may still be buffered
        tags = tags_for(self.vocabulary, combined)
        changes["auto_tags"] = json.dumps(tags, ensure_ascii=False)
        self.conn.execute("DELETE FROM record_terms WHERE record_id = ?", [record_id])
        insert_terms(self.conn, term_rows(record_id, combined["publication_types"],
                                          combined["databases"], tags, combined["mesh"]))


def occurrence_values(prepared: Prepared) -> dict:
    """What one occurrence brings to its record (duplicates/values.py)."""
    return {**prepared.values, "extra": prepared.extra_json, "dedup_key": prepared.key}


def matched_on(decision) -> str:
    """How a copy matched the record it joined, for occurrences.matched_on."""
    if decision.fields.get("doi") == "same":
        return "doi"
    if decision.fields.get("pmid") == "same":
        return "pmid"
    return "title_year_author"
