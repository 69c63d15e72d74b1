"""The duplicate tables read and written on a plain sqlite3 connection, in
the caller's transaction: blocking keys, the engine's view of stored
records, record ids, merges in force, queued pairs and answers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable

from ..dedup import DedupRecord
from ..dedup.blocking import live_keys
from ..dedup.record import blocking_fields
from ..dedup.keys import split_authors

# The record columns the engine compares (abstracts are not compared).
VIEW_COLUMNS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi",
                "pmid", "publication_types")
INDEX_BATCH = 5000


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _authors(value) -> list[str]:
    if not value:
        return []
    try:
        items = json.loads(value)
    except ValueError:
        return split_authors(value)
    return [a for a in items if isinstance(a, str)] if isinstance(items, list) else []


def _types(value) -> list[str]:
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    return [t for t in items if isinstance(t, str)] if isinstance(items, list) else []


def view_of(record_id: int, parts: Iterable[dict]) -> DedupRecord:
    """The engine's view of a record from the values of its occurrences (or
    its row): every title, DOI, PMID, year, venue detail and type any of them
    had; the author list of the first that has one."""
    fields = {name: [] for name in ("title", "year", "journal", "volume", "issue", "pages",
                                    "doi", "pmid", "publication_types")}
    authors: list[str] = []
    for values in parts:
        for name in fields:
            value = values.get(name)
            if name == "publication_types":
                fields[name].extend(_types(value))
            elif value not in (None, "") and value not in fields[name]:
                fields[name].append(value)
        if not authors:
            authors = _authors(values.get("authors"))
    return DedupRecord.of(record_id, title=fields["title"], authors=authors, year=fields["year"],
                          journal=fields["journal"], volume=fields["volume"],
                          issue=fields["issue"], pages=fields["pages"], doi=fields["doi"],
                          pmid=fields["pmid"],
                          publication_types=list(dict.fromkeys(fields["publication_types"])))


def record_views(conn, ids: Iterable[int] | None = None) -> list[DedupRecord]:
    """Views of the given records (all records when None), in id order, from
    their rows, and from their occurrences' values when they have several."""
    columns = ", ".join(VIEW_COLUMNS)
    if ids is None:
        rows = conn.execute(f"SELECT id, {columns}, occurrence_count FROM records ORDER BY id")
    else:
        ids = sorted(set(ids))
        rows = conn.execute(
            f"SELECT id, {columns}, occurrence_count FROM records WHERE id IN"
            " (SELECT value FROM json_each(?)) ORDER BY id", [json.dumps(ids)])
    records: list[tuple[int, dict, int]] = []
    multi: list[int] = []
    for row in rows.fetchall():
        values = dict(zip(VIEW_COLUMNS, row[1:-1]))
        records.append((row[0], values, row[-1]))
        if row[-1] > 1:
            multi.append(row[0])
    parts: dict[int, list[dict]] = {}
    if multi:
        for record_id, text in conn.execute(
                "SELECT record_id, record_values FROM occurrences WHERE record_values IS NOT NULL"
                " AND record_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                [json.dumps(multi)]):
            parts.setdefault(record_id, []).append(json.loads(text))
    return [view_of(record_id, [values] + parts.get(record_id, []))
            for record_id, values, _ in records]


def add_keys(conn, rows: Iterable[tuple[int, int]]) -> None:
    """(hash, record id) rows of mscdm_dedup_keys."""
    conn.executemany("INSERT OR IGNORE INTO mscdm_dedup_keys (k, record_id) VALUES (?, ?)", rows)


def index_records(conn, ids: Iterable[int]) -> None:
    """Store the blocking keys of these records (from their current views)."""
    ids = list(ids)
    for start in range(0, len(ids), INDEX_BATCH):
        rows = []
        for view in record_views(conn, ids[start:start + INDEX_BATCH]):
            rows += [(k, view.id) for k in live_keys(blocking_fields(view))]
        add_keys(conn, rows)


def index_all_records(conn) -> int:
    """The keys of every record (the migration of a database loaded before)."""
    ids = [row[0] for row in conn.execute("SELECT id FROM records ORDER BY id")]
    index_records(conn, ids)
    return len(ids)


def next_record_id(conn) -> int:
    """The id for a new record: above every record id ever used, including
    records merged away (their decisions keep their ids, and an unmerge
    brings them back), so no id is ever given twice."""
    return 1 + conn.execute(
        "SELECT max(coalesce((SELECT max(id) FROM records), 0),"
        " coalesce((SELECT max(merged_id) FROM mscdm_merges), 0),"
        " coalesce((SELECT max(record_id) FROM decisions), 0))").fetchone()[0]


# Merges in force -------------------------------------------------------------

IN_FORCE = ("m.action = 'merge' AND NOT EXISTS (SELECT 1 FROM mscdm_merges u"
            " WHERE u.undoes = m.id)")


def merged_into(conn) -> dict[int, int]:
    """{record merged away: the record it was merged into}, for merges in force."""
    return dict(conn.execute(
        f"SELECT m.merged_id, m.kept_id FROM mscdm_merges m WHERE m.merged_id IS NOT NULL"
        f" AND {IN_FORCE}").fetchall())


def resolver(conn):
    """A function from any record id ever used to the record that holds it
    now (itself, or the record it was merged into, followed)."""
    into = merged_into(conn)

    def current(record_id: int) -> int:
        seen = 0
        while record_id in into and seen < 1000:
            record_id = into[record_id]
            seen += 1
        return record_id

    current.merged = bool(into)
    return current


def pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def not_duplicate_pairs(conn, current=None) -> set[tuple[int, int]]:
    """Pairs a person said are different works, as pairs of the records that
    hold them now."""
    current = current or resolver(conn)
    pairs = set()
    for a, b in conn.execute("SELECT a, b FROM mscdm_dedup_answers"
                             " WHERE answer = 'not_duplicates'"):
        x, y = current(a), current(b)
        if x != y:
            pairs.add(pair(x, y))
    return pairs


def queue_pairs(conn, decisions, found_by: str) -> int:
    """Queue "maybe" PairDecisions for people (each pair once). Returns how
    many were new."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO mscdm_dedup_pairs (a, b, score, reasons, vetoes, fields,"
        " found_by, found_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*pair(d.a, d.b), round(d.score, 4), json.dumps(d.reasons, ensure_ascii=False),
          json.dumps(d.vetoes, ensure_ascii=False), json.dumps(d.fields), found_by, now())
         for d in decisions if d.a != d.b])
    return conn.total_changes - before


def keep_first_values(conn, record_id: int, row: dict) -> None:
    """Before a record gets another occurrence: the values it shows now are
    its earliest occurrence's (it has one, or its copies were merged by a
    version that kept no values per copy), so that occurrence keeps them."""
    from .values import row_values

    conn.execute(
        "UPDATE occurrences SET record_values = ? WHERE id ="
        " (SELECT min(id) FROM occurrences WHERE record_id = ?)",
        [json.dumps(row_values(row), ensure_ascii=False), record_id])


def file_clusters(conn, source_id: int, ids: list) -> list[list]:
    """Which records of one loaded file ended up as one record: `ids` are the
    file's records in file order (its occurrences' positions); clusters of
    two or more, in file order (for measuring on labelled sets)."""
    by_record: dict[int, list] = {}
    for position, record_id in conn.execute(
            "SELECT position, record_id FROM occurrences WHERE source_id = ? ORDER BY position",
            [source_id]):
        by_record.setdefault(record_id, []).append(ids[position - 1])
    return sorted((members for members in by_record.values() if len(members) > 1),
                  key=lambda members: ids.index(members[0]))


def occurrence_views(conn, record_id: int) -> list[DedupRecord]:
    """One view per copy a record holds (the values each occurrence brought;
    the row for a record with one occurrence): what the cluster guard
    compares pairwise."""
    parts = [json.loads(text) for (text,) in conn.execute(
        "SELECT record_values FROM occurrences WHERE record_id = ? AND record_values IS NOT NULL"
        " ORDER BY id", [record_id])]
    if not parts:
        cursor = conn.execute(f"SELECT {', '.join(VIEW_COLUMNS)} FROM records WHERE id = ?",
                              [record_id])
        row = cursor.fetchone()
        parts = [dict(zip(VIEW_COLUMNS, row))] if row else []
    return [view_of(record_id, [values]) for values in parts]
