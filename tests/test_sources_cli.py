"""`mscdm sources` and `mscdm name-source`: naming a loaded file's database
afterwards, checked through PRISMA, the records and their facet terms."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import A, B, C, query, ris

from datasette_mscdm.cli import cli
from datasette_mscdm.loader import open_database
from datasette_mscdm.reporting.prisma import UNNAMED_DATABASE, prisma_counts


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def load(db, path, *options):
    result = run("load", db, path, *options)
    assert result.exit_code == 0, result.output


def identified(db) -> dict:
    database = open_database(db)
    try:
        counts = prisma_counts(database.conn)
    finally:
        database.conn.close()
    return {row["database"]: (row["group"], row["records"]) for row in counts["identified"]}


def review(tmp_path):
    """PubMed holds A and B; an export naming no database holds B (a
    duplicate of PubMed's) and C."""
    db = tmp_path / "review.db"
    pubmed, unnamed = tmp_path / "pubmed.ris", tmp_path / "export.ris"
    pubmed.write_text(ris(A, B), encoding="utf-8")
    unnamed.write_text(ris(B, C), encoding="utf-8")
    load(db, pubmed, "--source", "PubMed")
    load(db, unnamed)
    return db, unnamed


def test_a_file_loaded_without_its_database_is_named_afterwards(tmp_path):
    db, unnamed = review(tmp_path)
    assert identified(db) == {"PubMed": ("database", 2), UNNAMED_DATABASE: ("database", 2)}
    listed = run("sources", db, "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["path"]: row for row in json.loads(listed.output)}
    assert rows[str(unnamed)]["not_named"] == 2 and rows[str(unnamed)]["database"] is None

    named = run("name-source", db, "export.ris", "--as", "web_of_science", "--json")
    assert named.exit_code == 0, named.output
    assert json.loads(named.output) == {
        "source": 2, "path": str(unnamed), "name": "Web of Science", "method": "databases",
        "occurrences": 2, "records": 2}
    assert identified(db) == {"PubMed": ("database", 2), "Web of Science": ("database", 2)}
    # The records found in both keep both, in the order found; the facet follows.
    databases = dict(query(db, "select title, databases from records"))
    assert json.loads(databases[B[1]]) == ["PubMed", "Web of Science"]
    assert json.loads(databases[C[1]]) == ["Web of Science"]
    assert json.loads(databases[A[1]]) == ["PubMed"]
    terms = query(db, "select r.title, t.term from record_terms t join records r"
                      " on r.id = t.record_id where t.facet = 'database' order by 1, 2")
    assert terms == sorted([(A[1], "PubMed"), (B[1], "PubMed"), (B[1], "Web of Science"),
                            (C[1], "Web of Science")])
    # The change is noted on the file, and nothing else of the records moved.
    warnings = json.loads(query(db, "select warnings from sources where id = 2")[0][0])
    assert "named Web of Science with mscdm name-source (was not named" in warnings[-1]
    assert query(db, "select count(*) from records") == [(3,)]


def test_naming_moves_a_file_to_other_methods_and_keeps_named_records(tmp_path):
    db = tmp_path / "review.db"
    mixed = tmp_path / "mixed.ris"
    # An aggregator's export: one record names its database, the other does not.
    mixed.write_text(ris(A).replace("ER  - ", "DB  - Scopus\nER  - ") + ris(C), encoding="utf-8")
    load(db, mixed)
    assert identified(db) == {"Scopus": ("database", 1), UNNAMED_DATABASE: ("database", 1)}
    named = run("name-source", db, "1", "--as", "citation searching", "--other-methods")
    assert named.exit_code == 0, named.output
    assert "named Citation searching (other); 1 occurrences of 1 records" in named.output
    assert query(db, "select method, database from sources") == [("other", "Citation searching")]
    assert query(db, "select database from occurrences order by id") == [
        ("Scopus",), ("Citation searching",)]
    assert identified(db) == {"Scopus": ("other", 1), "Citation searching": ("other", 1)}


def test_a_source_that_is_not_there_or_not_one_is_a_clear_error(tmp_path):
    db, _ = review(tmp_path)
    other = tmp_path / "again"
    other.mkdir()
    (other / "export.ris").write_text(ris(A), encoding="utf-8")
    load(db, other / "export.ris", "--source", "Embase")  # a second file of that name
    missing = run("name-source", db, "nothing.ris", "--as", "Scopus")
    assert missing.exit_code == 1 and "no loaded file 'nothing.ris'" in missing.output
    ambiguous = run("name-source", db, "export.ris", "--as", "Scopus")
    assert ambiguous.exit_code == 1 and "2 loaded files are called 'export.ris'" in ambiguous.output
    blank = run("name-source", db, "2", "--as", "  ")
    assert blank.exit_code == 1 and "give the name" in blank.output
    assert query(db, "select count(*) from occurrences where database is null") == [(2,)]
