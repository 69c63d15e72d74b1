"""`mscdm export`: each format carries the screening and re-imports with
`mscdm load` without losing a bibliographic field."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import CORPUS, DATA, HOSTILE_RIS
from datasette_mscdm.cli import cli
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

FIELDS = ("title", "abstract", "authors", "year", "journal", "volume", "issue", "pages", "doi",
          "pmid", "pmcid", "url", "language")
NOTE = "checked the dose in table 2"


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    db = tmp / "review.db"
    hostile = tmp / "hostile.ris"
    hostile.write_text(HOSTILE_RIS, encoding="utf-8")
    sources = [DATA, hostile, CORPUS / "exports" / "medline_nbib",
               CORPUS / "exports" / "ris" / "synthesisr"]
    result = CliRunner().invoke(cli, ["load", str(db), *map(str, sources)])
    assert result.exit_code == 0, result.output
    conn = store.connect(db)
    protocol = parse_protocol(None)
    bob, carol = store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer")
    ids = [r[0] for r in conn.execute("select id from records order by id limit 6")]
    with conn:
        for rid in ids[:4]:
            store.record_decision(conn, protocol, bob, rid, "title_abstract", "include",
                                  note=NOTE)
            store.record_decision(conn, protocol, carol, rid, "title_abstract", "include")
        for rid in ids[4:]:
            for who in (bob, carol):
                store.record_decision(conn, protocol, who, rid, "title_abstract", "exclude",
                                      reason="Wrong population")
    conn.close()
    return db, ids


def records(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("select * from records order by id")]
    conn.close()
    for row in rows:
        for column in ("authors", "keywords"):
            row[column] = json.loads(row[column])
    return rows


@pytest.mark.parametrize("format_name", ["ris", "csv", "bibtex", "csl-json"])
def test_round_trip(screened, tmp_path, format_name):
    db, ids = screened
    out = tmp_path / f"export.{format_name}"
    result = CliRunner().invoke(cli, ["export", str(db), "--format", format_name, "-o",
                                      str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if format_name == "csv":  # status columns instead of keywords
        assert "awaiting full text" in text and "Wrong population" in text
    else:
        assert "Screening: awaiting full text" in text
        assert "Exclusion reason: Wrong population" in text
    assert NOTE in text and "Title/abstract, bob: include" in text
    again = tmp_path / "again.db"
    result = CliRunner().invoke(cli, ["load", str(again), str(out)])
    assert result.exit_code == 0, result.output
    original, reloaded = records(db), records(again)
    assert len(reloaded) == len(original)
    by_title = {(r["title"], r["doi"]): r for r in reloaded}
    for before in original:
        after = by_title[(before["title"], before["doi"])]
        for field in FIELDS:
            assert after[field] == before[field], (format_name, field, before["id"])
        assert set(before["keywords"]) <= set(after["keywords"])


def test_filters_by_stage_and_status(screened):
    db, ids = screened
    result = CliRunner().invoke(cli, ["export", str(db), "--status", "excluded", "--format",
                                      "csl-json"])
    assert result.exit_code == 0
    assert len(json.loads(result.output)) == 2
    result = CliRunner().invoke(cli, ["export", str(db), "--stage", "title_abstract",
                                      "--status", "included", "--format", "csv"])
    assert result.output.count("Screening: ") == 0  # CSV has status columns instead
    assert len(result.output.strip().splitlines()) > 4
    bad = CliRunner().invoke(cli, ["export", str(db), "--status", "nonsense", "--format", "ris"])
    assert bad.exit_code == 2
