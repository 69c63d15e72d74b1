"""Broken files are reported with their name and where they broke; the other
files still load; no half-loaded file remains; exit status 1. Every test runs
twice: files parsed in a read-ahead process, and in the loading process."""

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS, DATA, fts_matches_records
from datasette_mscdm.cli import cli

GOOD = CORPUS / "exports/medline_nbib/synthesisr/PubMed_example.txt"  # 3 records

PUBMED_HEAD = ('<?xml version="1.0"?>\n<PubmedArticleSet>\n<PubmedArticle><MedlineCitation>'
               '<PMID>1</PMID><Article><ArticleTitle>One</ArticleTitle></Article>'
               '</MedlineCitation></PubmedArticle>\n')

BAD_FILES = {
    "empty.ris": (b"", "empty file"),
    "junk.bin": (bytes(range(256)) * 64, "binary data"),
    "truncated.xml": ((PUBMED_HEAD + "<PubmedArticle><MedlineCitation><PMID>2</PMID>"
                       "<Article><ArticleTitle>Two").encode(), "malformed XML"),
    "bomb.xml": (('<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [\n <!ENTITY a "aaaaaaaaaa">\n'
                  ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">\n'
                  ']>\n<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>3</PMID><Article>'
                  '<ArticleTitle>&c;</ArticleTitle></Article></MedlineCitation></PubmedArticle>'
                  '</PubmedArticleSet>').encode(), "unsafe XML refused"),
    "unknown.txt": (b"Dear colleagues,\nplease find the minutes attached.\n", "unrecognised format"),
}


@pytest.fixture(params=["--read-ahead", "--serial"])
def invoke(request):
    def invoke(*args):
        return CliRunner().invoke(cli, ["load", *map(str, args), request.param])
    return invoke


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_reported_and_others_still_load(invoke, name, tmp_path, fresh_db, rows):
    content, message = BAD_FILES[name]
    bad = tmp_path / name
    bad.write_bytes(content)
    result = invoke(fresh_db, str(bad), str(GOOD))
    assert result.exit_code == 1
    assert f"error: {bad}: {message}" in result.output
    sources = {s["path"]: s for s in rows(fresh_db, "select * from sources")}
    assert sources[os.path.abspath(bad)]["status"] == "failed"
    assert message in sources[os.path.abspath(bad)]["error"]
    assert sources[os.path.abspath(GOOD)]["status"] == "loaded"
    # Nothing from the bad file is in the database.
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 3
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 3


def test_truncated_xml_reports_the_line(invoke, tmp_path, fresh_db):
    bad = tmp_path / "truncated.xml"
    bad.write_bytes(BAD_FILES["truncated.xml"][0])
    result = invoke(fresh_db, bad)
    assert "line 4" in result.output


def test_failure_mid_file_leaves_nothing_of_that_file(invoke, tmp_path, fresh_db, rows):
    # Two good rows, then a cell over the size limit: the two rows were
    # stored before the file broke, and must be rolled back with it.
    bad = tmp_path / "broken.csv"
    bad.write_text('title,abstract\n"A",x\n"B",y\n"C","' + "x" * (17 * 1024 * 1024) + '"\n',
                   encoding="utf-8")
    other = tmp_path / "other.ris"
    other.write_text("TY  - JOUR\nTI  - Loaded after the broken file\nER  - \n", encoding="utf-8")
    # Files share a commit; the broken one in the middle is undone alone.
    result = invoke(fresh_db, str(GOOD), str(bad), str(other))
    assert result.exit_code == 1
    assert "field larger than field limit" in result.output and "line 4" in result.output
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 4
    assert rows(fresh_db, "select count(*) n from occurrences")[0]["n"] == 4
    assert [s["status"] for s in rows(fresh_db, "select status from sources order by id")] == [
        "loaded", "failed", "loaded"]
    assert fts_matches_records(fresh_db)
    assert rows(fresh_db, "select rowid from records_fts where records_fts match 'broken'")


def test_fifty_megabyte_single_line(invoke, tmp_path, fresh_db, rows):
    bad = tmp_path / "oneline.txt"
    with open(bad, "wb") as f:
        f.write(b"TY  - JOUR\n")  # looks like RIS, then one 50 MB line
        f.write(b"x" * (50 * 1024 * 1024))
    result = invoke(fresh_db, str(bad), str(GOOD))
    assert result.exit_code == 1
    assert "line longer than" in result.output and "line 2" in result.output
    assert rows(fresh_db, "select count(*) n from records")[0]["n"] == 3


def test_missing_path_is_a_usage_error(invoke, fresh_db):
    result = invoke(fresh_db, "/no/such/file.ris")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_unknown_format_option_is_a_usage_error(invoke, fresh_db):
    result = invoke(fresh_db, str(GOOD), "--format", "docx")
    assert result.exit_code == 2


def test_forced_wrong_format_fails_clearly(invoke, fresh_db):
    result = invoke(fresh_db, str(GOOD), "--format", "ris")
    assert result.exit_code == 1
    assert "no records found in this RIS file" in result.output


def test_json_output_lists_failures(invoke, tmp_path, fresh_db):
    bad = tmp_path / "empty.ris"
    bad.write_bytes(b"")
    result = invoke(fresh_db, str(bad), str(DATA), "--json")
    assert result.exit_code == 1
    results = json.loads(result.output)
    assert [r["status"] for r in results] == ["failed", "loaded", "loaded"]
    assert results[0]["error"] == "empty file"
    assert os.path.exists(fresh_db)


def test_a_field_that_is_only_markup_or_an_entity_is_empty_and_the_file_loads(tmp_path):
    ris = ("TY  - JOUR\nTI  - A title\nKW  - <i></i>\nKW  - &nbsp;\n"
           "KW  - <script>alert(1)</script>\nKW  - kept\nT2  - <b></b>\nER  - \n")
    (tmp_path / "markup.ris").write_text(ris, encoding="utf-8")
    db = tmp_path / "review.db"
    result = CliRunner().invoke(cli, ["load", str(db), str(tmp_path / "markup.ris")])
    assert result.exit_code == 0, result.output
    assert _query(db, "select title, keywords, journal from records") == [
        ("A title", '["kept"]', None)]
    raw = _query(db, "select raw from occurrences")[0][0]
    assert "<script>alert(1)</script>" in raw and "&nbsp;" in raw


def _query(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
