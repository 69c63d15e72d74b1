"""The files a review was loaded from, and naming the database of one after
it was loaded (`mscdm sources`, `mscdm name-source`).

Why a command: a file is loaded once (by its checksum), so a file whose
database nobody named (`mscdm load` without `--source`, on an export that
does not say where it came from) cannot be loaded again with `--source`;
PRISMA would show its records as "Database not named" for good. Naming it
afterwards changes where PRISMA counts its records and the records'
`databases` facet, never a record's content; the source row keeps a note of
the change among its warnings.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone

from .source_names import canonical_source, is_file_name_fallback
from .terms import insert_terms


class SourceError(Exception):
    """A source that cannot be found or named: said in one line."""


def list_sources(conn: sqlite3.Connection) -> list[dict]:
    """Every file loaded (or that failed), with how many of its occurrences
    name no database (PRISMA's "not named")."""
    rows = conn.execute(
        "SELECT s.id, s.path, s.format, s.database, s.method, s.records, s.status,"
        " s.loaded_at FROM sources s ORDER BY s.id").fetchall()
    out = []
    for source_id, path, fmt, database, method, records, status, loaded_at in rows:
        out.append({"id": source_id, "path": path, "format": fmt, "database": database,
                    "method": method, "records": records, "status": status,
                    "loaded_at": loaded_at,
                    "not_named": len(_unnamed(conn, source_id, path))})
    return out


def find_source(conn: sqlite3.Connection, ref: str) -> int:
    """A loaded source by id, by path (as given or resolved) or by file name
    when only one loaded file has it."""
    ref = ref.strip()
    if ref.isdigit():
        row = conn.execute("SELECT id FROM sources WHERE id = ? AND status = 'loaded'",
                           [int(ref)]).fetchone()
        if row:
            return row[0]
    loaded = conn.execute("SELECT id, path FROM sources WHERE status = 'loaded'").fetchall()
    by_path = [i for i, path in loaded if path in (ref, os.path.abspath(ref))]
    if by_path:
        return by_path[0]
    by_name = [i for i, path in loaded if os.path.basename(path) == os.path.basename(ref)]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise SourceError(f"{len(by_name)} loaded files are called {os.path.basename(ref)!r}:"
                          " give the id or the whole path (mscdm sources lists them)")
    raise SourceError(f"no loaded file {ref!r} (mscdm sources lists them)")


def _unnamed(conn, source_id: int, path: str) -> list[tuple[int, int]]:
    """(occurrence id, record id) of the occurrences of this source that
    name no database: none stored, or an older version's file-name
    fallback (as PRISMA reads them)."""
    rows = conn.execute("SELECT id, record_id, database FROM occurrences WHERE source_id = ?",
                        [source_id]).fetchall()
    whole_file = len({database for _, _, database in rows}) == 1
    return [(occurrence_id, record_id) for occurrence_id, record_id, database in rows
            if database is None or is_file_name_fallback(database, path, whole_file)]


def name_source(conn: sqlite3.Connection, source_id: int, name: str,
                method: str | None = None) -> dict:
    """Name the database (or register, or other method) of a loaded file:
    its occurrences that name none take `name` (normalised), and the
    records they belong to get their `databases` and database facet terms
    again. Occurrences that name a database keep it (an aggregator's export
    names one per record). `method` 'databases' or 'other' moves the file
    to that PRISMA column. Run inside the caller's transaction."""
    canonical = canonical_source(name)
    if not canonical:
        raise SourceError("give the name of the database, register or other method")
    if method not in (None, "databases", "other"):
        raise SourceError("method must be databases or other")
    row = conn.execute("SELECT path, database, method, warnings FROM sources"
                       " WHERE id = ? AND status = 'loaded'", [source_id]).fetchone()
    if row is None:
        raise SourceError(f"no loaded source {source_id}")
    path, before, method_before, warnings = row
    unnamed = _unnamed(conn, source_id, path)
    conn.executemany("UPDATE occurrences SET database = ? WHERE id = ?",
                     [(canonical, occurrence_id) for occurrence_id, _ in unnamed])
    records = sorted({record_id for _, record_id in unnamed})
    for record_id in records:
        _refresh_databases(conn, record_id)
    note = (f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}: named {canonical}"
            f" with mscdm name-source (was {before or 'not named'}"
            + (f", method {method_before} -> {method}" if method and method != method_before
               else "") + f"; {len(unnamed)} occurrences)")
    conn.execute("UPDATE sources SET database = ?, method = ?, warnings = ? WHERE id = ?",
                 [canonical, method or method_before,
                  json.dumps(json.loads(warnings or "[]") + [note], ensure_ascii=False),
                  source_id])
    return {"source": source_id, "path": path, "name": canonical,
            "method": method or method_before, "occurrences": len(unnamed),
            "records": len(records)}


def _refresh_databases(conn, record_id: int) -> None:
    """A record's databases are those its occurrences name, in the order
    they were found (as loading and merging build them)."""
    names: list[str] = []
    for (database,) in conn.execute("SELECT database FROM occurrences WHERE record_id = ?"
                                    " ORDER BY id", [record_id]):
        if database and database not in names:
            names.append(database)
    conn.execute("UPDATE records SET databases = ? WHERE id = ?",
                 [json.dumps(names, ensure_ascii=False), record_id])
    conn.execute("DELETE FROM record_terms WHERE record_id = ? AND facet = 'database'",
                 [record_id])
    insert_terms(conn, [("database", name, record_id) for name in names])
