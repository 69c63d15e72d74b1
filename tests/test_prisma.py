"""PRISMA 2020 numbers on a hand-checked fixture, the arithmetic checks, the
page, the downloads and `mscdm prisma`."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from conftest import datasette_for
from datasette_mscdm.cli import cli
from datasette_mscdm.reporting.prisma import prisma_counts
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol


def ris(*records):
    return "".join(f"TY  - JOUR\nTI  - {title}\nPY  - 2021\nDO  - 10.1000/{key}\n"
                   f"AB  - {abstract}\nER  - \n\n" for key, title, abstract in records)


A = ("a", "MSC exosomes heal diabetic wounds in mice", "Exosomes from MSCs.")
B = ("b", "Adipose stem cells in obesity", "Adipose tissue.")
C = ("c", "Vesicles and insulin secretion", "Islet vesicles.")
D = ("d", "Umbilical MSC exosomes in diabetic nephropathy", "Kidney.")
E = ("e", "Exosomal microRNA in retinopathy", "Retina.")
F = ("f", "Bone marrow MSC vesicles for neuropathy", "Nerves.")
G = ("g", "Editorial: the promise of exosomes", "An editorial opinion.")
H = ("h", "Cardiac exosomes after infarction", "Heart.")

PROTOCOL = parse_protocol(None)
BOB, CAROL, ALICE = (store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer"),
                     store.Reviewer("alice", "lead"))


@pytest.fixture
def review(tmp_path):
    """PubMed: A B C D E; Scopus: B C F G; citation searching (other
    methods): A H. 11 identified, 3 duplicates, 8 records. Then:
    G bulk-excluded; B, H excluded; C in conflict; A, D, E, F to full text,
    where D is not retrieved, E excluded (Insufficient data), F a conflict
    resolved as excluded (Wrong population), A included."""
    db = tmp_path / "review.db"
    files = {"pubmed.ris": ([A, B, C, D, E], ["--source", "PubMed"]),
             "scopus.ris": ([B, C, F, G], ["--source", "Scopus"]),
             "citations.ris": ([A, H], ["--source", "Citation searching", "--other-methods"])}
    for name, (records, options) in files.items():
        (tmp_path / name).write_text(ris(*records), encoding="utf-8")
        result = CliRunner().invoke(cli, ["load", str(db), str(tmp_path / name), *options])
        assert result.exit_code == 0, result.output
    conn = store.connect(db)
    ids = {doi.split("/")[-1]: rid for rid, doi in conn.execute("select id, doi from records")}

    def both(key, stage, decision, reason=None, other=None):
        store.record_decision(conn, PROTOCOL, BOB, ids[key.lower()], stage, decision, reason)
        store.record_decision(conn, PROTOCOL, CAROL, ids[key.lower()], stage, other or decision,
                              reason if (other or decision) == "exclude" else None)

    with conn:
        assert store.bulk_exclude(conn, PROTOCOL, ALICE, "editorial", "title_abstract",
                                  "Wrong publication type", None) == 1
        for key in "ADEF":
            both(key, "title_abstract", "include")
        both("B", "title_abstract", "exclude", "Other")
        both("H", "title_abstract", "exclude", "Other")
        both("C", "title_abstract", "include", other="exclude")
        both("A", "full_text", "include")
        store.record_decision(conn, PROTOCOL, BOB, ids["d"], "full_text", "not_retrieved")
        both("E", "full_text", "exclude", "Insufficient data")
        both("F", "full_text", "include", "Wrong outcome", other="exclude")
        store.record_decision(conn, PROTOCOL, ALICE, ids["f"], "full_text", "exclude",
                              "Wrong population", kind="resolution")
    conn.close()
    return db, ids


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
    assert counts["removed_by_automation"] == 1
    assert counts["records_screened"] == 7
    assert counts["records_excluded"] == 2
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
        store.record_decision(conn, PROTOCOL, ALICE, ids["c"], "title_abstract", "exclude",
                              "Other", kind="resolution")
    counts = prisma_counts(conn)
    conn.close()
    assert counts["complete"]
    assert counts["records_excluded"] == 3
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
    assert data["records_screened"] == 7


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
