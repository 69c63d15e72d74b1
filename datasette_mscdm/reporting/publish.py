"""A copy of a review database ready to publish read-only.

The copy is taken with SQLite's online backup (safe while `datasette serve`
is writing), then: the reviewer accounts (password hashes) are replaced by
`review_team` (name and role only), and with --anonymise every reviewer name
becomes a stable pseudonym and notes and request ids are dropped. The copy
is VACUUMed so that no removed text survives in free pages, and written in
rollback-journal mode as one self-contained file for `datasette -i`.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

# Tables whose rows only ever accumulate (triggers refuse changes).
APPEND_ONLY_TABLES = ("decisions", "mscdm_protocol", "mscdm_dedup_answers", "mscdm_merges")
# Who answered a duplicate pair / merged records: a lead's name ('auto': the engine).
PEOPLE_COLUMNS = (("mscdm_dedup_answers", "answered_by"), ("mscdm_merges", "merged_by"))


class PublishError(Exception):
    pass


def pseudonyms(conn: sqlite3.Connection) -> dict[str, str]:
    """Reviewer name -> "Reviewer N", numbered in the order reviewers were
    added (then any other name found in decisions, alphabetically), so the
    same review gets the same pseudonyms every time it is published."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM mscdm_reviewers ORDER BY created_at, name")]
    found = {r[0] for r in conn.execute(
        "SELECT reviewer FROM decisions UNION SELECT changed_by FROM mscdm_protocol")}
    for table, column in _people_columns(conn):
        found |= {r[0] for r in conn.execute(
            f"SELECT {column} FROM {table} WHERE {column} != 'auto'")}
    others = sorted(found - set(names))
    return {name: f"Reviewer {i}" for i, name in enumerate(names + others, start=1)}


def publish_copy(source: Path, out: Path, anonymise: bool = False, force: bool = False) -> dict:
    if out.exists() and not force:
        raise PublishError(f"{out} exists (use --force to replace it)")
    if out.resolve() == source.resolve():
        raise PublishError("the copy must be a different file")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"records", "decisions", "mscdm_reviewers"} <= tables:
        src.close()
        raise PublishError(f"{source} is not a review database with screening tables")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        src.close()
        summary = _prepare(dst, anonymise)
        dst.execute("PRAGMA journal_mode = DELETE")
        dst.execute("VACUUM")
        dst.close()
        os.replace(partial, out)
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    return summary


def _prepare(conn: sqlite3.Connection, anonymise: bool) -> dict:
    mapping = pseudonyms(conn) if anonymise else {}
    conn.execute("CREATE TABLE review_team (name TEXT PRIMARY KEY, role TEXT NOT NULL)")
    team = conn.execute("SELECT name, role FROM mscdm_reviewers ORDER BY created_at, name"
                        ).fetchall()
    conn.executemany("INSERT INTO review_team VALUES (?, ?)",
                     [(mapping.get(name, name), role) for name, role in team])
    conn.execute("DROP TABLE mscdm_reviewers")
    conn.execute("DROP TABLE IF EXISTS mscdm_claims")  # who holds what: names, nothing else
    conn.execute("DROP TABLE IF EXISTS mscdm_login_failures")  # names and addresses
    conn.execute("DROP TABLE IF EXISTS mscdm_skips")  # a reviewer's work in progress
    conn.execute("DROP TABLE IF EXISTS mscdm_sessions")  # logins: nothing to log in to
    if anonymise:
        conn.execute("CREATE TEMP TABLE pseudonym (name TEXT PRIMARY KEY, alias TEXT)")
        conn.executemany("INSERT INTO pseudonym VALUES (?, ?)", mapping.items())
        # The append-only triggers come off for this one rewrite of the copy
        # and go back on, so the published copy stays append-only too.
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN"
            f" ({', '.join('?' * len(APPEND_ONLY_TABLES))})", APPEND_ONLY_TABLES).fetchall()
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE decisions SET reviewer = (SELECT alias FROM pseudonym"
                     " WHERE name = decisions.reviewer), note = NULL, request_id = NULL")
        conn.execute("UPDATE mscdm_protocol SET changed_by = (SELECT alias FROM pseudonym"
                     " WHERE name = mscdm_protocol.changed_by)")
        for table, column in _people_columns(conn):
            conn.execute(f"UPDATE {table} SET {column} = (SELECT alias FROM pseudonym WHERE"
                         f" name = {table}.{column}), request_id = NULL WHERE {column} != 'auto'")
        for _, sql in triggers:
            conn.execute(sql)
    conn.commit()
    decisions = conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
    records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    return {"records": records, "decisions": decisions, "reviewers": len(team),
            "anonymised": anonymise}


def _people_columns(conn) -> list[tuple[str, str]]:
    """The name columns of the duplicate tables this copy has (a review
    loaded before they existed has none)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [(table, column) for table, column in PEOPLE_COLUMNS if table in tables]
