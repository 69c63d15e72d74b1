"""PRISMA 2020 numbers on a hand-checked fixture, the arithmetic checks, the
page, the downloads and `mscdm prisma`."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from conftest import A, build_flow_review, datasette_for, ris
from datasette_mscdm.screening.protocol import parse_protocol
from datasette_mscdm.cli import cli
from datasette_mscdm.reporting.prisma import prisma_counts
from datasette_mscdm.screening import store


@pytest.fixture
def review(tmp_path):
    return build_flow_review(tmp_path)


def test_every_box_on_the_hand_checked_fixture(review):
    db, _ = review
    conn = store.connect(db)
    counts = prisma_counts(conn)
    conn.close()
    assert [(r["database"], r["method"], r["records"]) for r in counts["identified"]] == [
        ("PubMed", "databases", 5), ("Scopus", "databases", 4),
        ("Citation searching", "other", 2)]
    assert counts["identified_databases"] == 9 and counts["identified_other"] == 2
    assert counts["identified_total"] == 11
    assert counts["duplicates_removed"] == 3
    # The lead's bulk exclusion (G) is a person's decision: excluded at screening.
    assert counts["removed_by_automation"] == 0
    assert counts["records_screened"] == 8
    assert counts["records_excluded"] == 3 and counts["records_excluded_in_bulk"] == 1
    assert counts["screening_open"] == {"conflict": 1}
    assert counts["reports_sought"] == 4
    assert counts["reports_not_retrieved"] == 1
    assert counts["reports_assessed"] == 3
    assert counts["reports_excluded"] == [{"reason": "Insufficient data", "records": 1},
                                          {"reason": "Wrong population", "records": 1}]
    assert counts["studies_included"] == 1
    assert counts["assessment_open"] == {}
    assert not counts["complete"]
    checks = {c["equation"].split(" =")[0]: c for c in counts["checks"]}
    assert all(c["consistent"] for c in checks.values())
    assert checks["records screened"]["holds"]
    assert not checks["reports sought"]["holds"] and checks["reports sought"]["open"] == 1
    assert checks["reports assessed"]["holds"] and checks["studies included"]["holds"]


def test_resolving_the_last_conflict_completes_the_arithmetic(review):
    db, ids = review
    conn = store.connect(db)
    with conn:
        store.record_decision(conn, parse_protocol(None), store.Reviewer("alice", "lead"),
                              ids["c"], "title_abstract", "exclude", "Other", kind="resolution")
    counts = prisma_counts(conn)
    conn.close()
    assert counts["complete"]
    assert counts["records_excluded"] == 4
    assert all(check["holds"] for check in counts["checks"])


@pytest.mark.asyncio
async def test_page_svg_and_json(review):
    db, _ = review
    ds = datasette_for(db)
    page = await ds.client.get("/review/-/prisma")
    assert page.status_code == 200
    assert "Studies included in review (n = 1)" in page.text
    assert "Citation searching (n = 2)" in page.text
    assert "not yet: 1 records still open" in page.text
    svg = await ds.client.get("/review/-/prisma.svg?download=1")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "attachment" in svg.headers["content-disposition"]
    root = ET.fromstring(svg.text)  # well-formed XML
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Duplicate records removed (n = 3)" in texts
    assert "Wrong population (n = 1)" in texts
    data = (await ds.client.get("/review/-/prisma.json")).json()
    assert data["records_screened"] == 8


def test_cli_writes_svg_and_json(review, tmp_path):
    db, _ = review
    out = tmp_path / "prisma.json"
    assert CliRunner().invoke(cli, ["prisma", str(db), "--format", "json", "-o",
                                    str(out)]).exit_code == 0
    assert json.loads(out.read_text())["duplicates_removed"] == 3
    result = CliRunner().invoke(cli, ["prisma", str(db)])
    assert result.exit_code == 0 and ET.fromstring(result.output).tag.endswith("svg")


def test_source_names_are_escaped_in_the_svg(tmp_path):
    db = tmp_path / "review.db"
    path = tmp_path / "x.ris"
    path.write_text(ris(A), encoding="utf-8")
    name = '<script>alert("x")</script> & Co'
    assert CliRunner().invoke(cli, ["load", str(db), str(path), "--source", name]).exit_code == 0
    result = CliRunner().invoke(cli, ["prisma", str(db)])
    assert "<script>" not in result.output
    texts = [t.text for t in ET.fromstring(result.output).iter(
        "{http://www.w3.org/2000/svg}text")]
    assert f"{name} (n = 1)" in [t.strip() for t in texts]
