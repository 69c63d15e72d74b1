"""Helpers shared by the duplicate tests: CSV exports written like a
database's, loaded with the real CLI, and the state of a review database
read back for comparisons."""

from __future__ import annotations

import csv
import io
import sqlite3

from click.testing import CliRunner

from conftest import add_reviewers

from datasette_mscdm.cli import cli
from datasette_mscdm.screening import rules, store

COLUMNS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
           "type", "abstract", "keywords")


def csv_export(*records: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: record.get(k, "") for k in COLUMNS})
    return out.getvalue()


def run(*args, expect: int = 0, input: str | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    assert result.exit_code == expect, result.output
    return result


def load_files(db, tmp_path, *files: tuple[str, list[dict]]):
    """Load each (name, records) as its own CSV file, in order."""
    for name, records in files:
        path = tmp_path / f"{name}.csv"
        path.write_text(csv_export(*records), encoding="utf-8")
        run("load", db, path, "--source", name)


def partition(db) -> list[list[tuple[str, int]]]:
    """Which loaded rows are one record: [[(source name, position), ...]]."""
    conn = sqlite3.connect(db)
    try:
        groups: dict[int, list] = {}
        for record_id, name, position in conn.execute(
                "SELECT o.record_id, s.database, o.position FROM occurrences o"
                " JOIN sources s ON s.id = o.source_id ORDER BY o.id"):
            groups.setdefault(record_id, []).append((name, position))
        return sorted(sorted(group) for group in groups.values())
    finally:
        conn.close()


def table(conn, sql, params=()):
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def decisions_in_force(conn) -> dict:
    """{(record id, stage): sorted votes and rulings in force}: what the
    status rules read, carried copies named by their original."""
    state = {}
    for (record_id,) in conn.execute("SELECT id FROM records ORDER BY id"):
        for stage in ("title_abstract", "full_text"):
            rows = store.stage_rows(conn, record_id, stage)
            votes, rulings = rules.effective(rows)
            state[(record_id, stage)] = sorted(
                (row["reviewer"], row["decision"], row["reason"], row["note"], row["kind"],
                 row["carried_from"] or row["id"])
                for row in [*(r for mine in votes.values() for r in mine), *rulings])
    return state


def review_state(db) -> dict:
    """Everything an unmerge must give back: records (every column),
    occurrences (every column), facet terms, the full-text index (its rows
    and what a search finds), statuses and the decisions in force."""
    conn = sqlite3.connect(db)
    try:
        words = set()
        for (title,) in conn.execute("SELECT title FROM records WHERE title IS NOT NULL"):
            words.update(w.lower() for w in title.split() if w.isalpha() and len(w) > 3)
        return {
            "records": table(conn, "SELECT * FROM records ORDER BY id"),
            "occurrences": table(conn, "SELECT * FROM occurrences ORDER BY id"),
            "terms": table(conn, "SELECT * FROM record_terms ORDER BY record_id, facet, term"),
            "fts_rows": table(conn, "SELECT * FROM records_fts_docsize ORDER BY id"),
            "fts_search": {w: [r[0] for r in conn.execute(
                "SELECT rowid FROM records_fts WHERE records_fts MATCH ? ORDER BY rowid",
                [f'"{w}"'])] for w in sorted(words)},
            "fts_integrity": conn.execute(
                "INSERT INTO records_fts(records_fts) VALUES ('integrity-check')").rowcount,
            "decisions": decisions_in_force(conn),
        }
    finally:
        conn.close()


AUTHORS = "Kim J; Lee S; Park H"
BASE = {"authors": AUTHORS, "year": "2021", "journal": "Stem Cell Research & Therapy",
        "volume": "12", "issue": "1", "pages": "100-110", "abstract": "An abstract."}
# Three pairs a person has to answer: titles that differ in one word.
PAIRS = [("Exosomes from adipose stem cells heal diabetic wounds in &lt;script&gt;alert(1)"
          "&lt;/script&gt; rats", "rats", "mice"),
         ("Umbilical cord vesicles restore islet function in diabetic rats", "rats", "pigs"),
         ("Bone marrow exosomes reduce albuminuria in diabetic nephropathy of rats", "rats",
          "dogs")]


def build_queue_review(tmp_path):
    """Three pairs a person has to answer (titles that differ in a word), with
    lead alice and reviewers bob and carol."""
    db = tmp_path / "review.db"
    first = [{**BASE, "title": title, "doi": f"10.1000/a{n}", "pages": f"{n}00-{n}10"}
             for n, (title, _, _) in enumerate(PAIRS, 1)]
    second = [{**BASE, "title": title.replace(old, new), "pages": f"{n}00-{n}10",
               "abstract": "Another abstract."}
              for n, (title, old, new) in enumerate(PAIRS, 1)]
    load_files(db, tmp_path, ("PubMed", first), ("Embase", second))
    add_reviewers(db)
    return db
