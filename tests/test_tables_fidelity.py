"""Tables and JSON keep every cell and take the columns that fit (audit of
issue 12: H3 repeated column names, M7 Covidence's columns, M2 a corporate
author holding "and")."""

import json

import pytest

from conftest import FIXTURES, load_files
from datasette_mscdm.formats.csv_table import unique_names
from datasette_mscdm.records import split_authors

AUDIT = FIXTURES / "audit"


def test_unique_names():
    assert unique_names(["Title", "Notes", "Notes", "Notes (2)", "Notes"]) == [
        "Title", "Notes", "Notes (2)", "Notes (2) (2)", "Notes (3)"]


def test_every_cell_of_a_repeated_csv_column_is_kept(fresh_db):
    _, (notes, embase) = load_files(fresh_db, AUDIT / "dup_header.csv",
                                    AUDIT / "embase_semicolon.csv")
    assert notes["extra"] == {"Notes": "first reviewer note", "Notes (2)": "second reviewer note"}
    # The first Title is the title; the second (a translation) stays in extra.
    assert embase["title"] == "Effect of café on naïve patients"
    assert embase["extra"]["Title (2)"] == "Effet du café chez les patients naïfs"
    assert (embase["extra"]["Notes"], embase["extra"]["Notes (2)"]) == ("first note", "second note")


def test_every_cell_of_a_repeated_workbook_column_is_kept_in_extra_and_raw(fresh_db):
    _, records = load_files(fresh_db, AUDIT / "screening.xlsx")
    first = records[0]
    assert (first["extra"]["Notes"], first["extra"]["Notes (2)"]) == ("note A", "note B")
    raw = json.loads(first["raw"])
    assert (raw["Notes"], raw["Notes (2)"]) == ("note A", "note B")


def test_repeated_json_keys_are_all_kept(tmp_path, fresh_db):
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"title": "One", "notes": "first", "notes": "second"}\n'
                     '{"title": "Two", "title": "Other title"}\n', encoding="utf-8")
    csl = tmp_path / "b.json"
    csl.write_text('[{"id": "x", "type": "book", "title": "Three", "note": "a", "note": "b"}]',
                   encoding="utf-8")
    _, (one, two, three) = load_files(fresh_db, lines, csl)
    assert one["extra"] == {"notes": "first", "notes (2)": "second"}
    assert two["title"] == "Two" and two["extra"]["title (2)"] == "Other title"
    assert (three["extra"]["note"], three["extra"]["note (2)"]) == ("a", "b")


def test_covidence_columns(fresh_db):
    _, [record] = load_files(fresh_db, AUDIT / "covidence.csv")
    assert record["year"] == 2020
    assert record["pmid"] == "32000000"
    assert "Published Year" not in record["extra"] and "Accession Number" not in record["extra"]
    assert record["extra"]["Published Month"] == "Apr"


@pytest.mark.parametrize("database,accession,pmid", [
    ("", "32000000", "32000000"),  # no database named: 1-8 digits are a PMID
    ("MEDLINE", "32000000", "32000000"),
    ("Embase", "2011234567", None),  # Embase's own number stays in extra
    ("Embase", "32000000", None),
    ("CINAHL", "109876543", None),
    ("", "WOS:000629386700001", None),
    ("", "PMID: 123", "123"),
])
def test_an_accession_column_is_the_pmid_only_when_it_is_one(tmp_path, fresh_db, database,
                                                              accession, pmid):
    path = tmp_path / "t.csv"
    path.write_text(f"Title,Database,Accession Number\nA title,{database},{accession}\n",
                    encoding="utf-8")
    _, [record] = load_files(fresh_db, path)
    assert record["pmid"] == pmid
    if pmid is None:
        assert record["extra"]["Accession Number"] == accession


@pytest.mark.parametrize("value,expected", [
    ("Centers for Disease Control and Prevention", ["Centers for Disease Control and Prevention"]),
    ("Bill and Melinda Gates Foundation", ["Bill and Melinda Gates Foundation"]),
    ("World Health Organization; Smith, J", ["World Health Organization", "Smith, J"]),
    ("Zuna, R E and Wang, S S", ["Zuna, R E", "Wang, S S"]),
    ("John Smith and Jane Doe", ["John Smith", "Jane Doe"]),
])
def test_an_organisation_holding_and_is_one_author(value, expected):
    assert split_authors(value) == expected


def test_corporate_authors_stay_whole_in_csv_and_json_lines(tmp_path, fresh_db):
    path = tmp_path / "t.csv"
    path.write_text("Title,Authors\nA title,Centers for Disease Control and Prevention\n",
                    encoding="utf-8")
    _, (row, jsonl, _second) = load_files(fresh_db, path, AUDIT / "asreview.jsonl")
    assert row["authors"] == ["Centers for Disease Control and Prevention"]
    assert jsonl["authors"] == ["Centers for Disease Control and Prevention"]
