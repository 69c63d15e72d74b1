"""PRISMA 2020 numbers on a hand-checked fixture and against independent SQL
on a real corpus, identification by database (normalised names, older
databases' file-name fallbacks), the arithmetic checks, the page, every
download (SVG, PNG, JSON, CSV) and `mscdm prisma`."""

import csv
import io
import json
import random
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import A, B, CORPUS, H, build_flow_review, datasette_for, ris
from datasette_mscdm.cli import cli
from datasette_mscdm.reporting.prisma import UNNAMED_DATABASE, prisma_counts
from datasette_mscdm.reporting.prisma_svg import flow_rows, numbers
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def review(tmp_path):
    return build_flow_review(tmp_path)


def counts_of(db):
    conn = store.connect(db)
    try:
        return prisma_counts(conn)
    finally:
        conn.close()


def svg_texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_every_box_on_the_hand_checked_fixture(review):
    """PubMed A B C D E, Scopus B C F G, citation searching A H: A is found
    by a database too, so only H is in the other-methods column."""
    db, _ = review
    counts = counts_of(db)
    assert [(r["database"], r["method"], r["group"], r["records"])
            for r in counts["identified"]] == [
        ("PubMed", "databases", "database", 5), ("Scopus", "databases", "database", 4),
        ("Citation searching", "other", "other", 2)]
    assert counts["identified_databases"] == 9 and counts["identified_registers"] == 0
    assert counts["identified_other"] == 2 and counts["identified_total"] == 11
    # Databases and registers: B and C found twice.
    assert counts["duplicates_removed"] == 2
    assert counts["duplicates_removed_by"] == [
        {"how": "merged automatically", "records": 2},
        {"how": "merged by a person (review queue)", "records": 0}]
    # The lead's bulk exclusion (G) is a person's decision: excluded at screening.
    assert counts["removed_by_automation"] == 0
    assert counts["records_screened"] == 7  # A-G
    assert counts["records_excluded"] == 2 and counts["records_excluded_in_bulk"] == 1  # B, G
    assert counts["screening_open"] == {"conflict": 1}  # C
    assert counts["reports_sought"] == 4  # A D E F
    assert counts["reports_not_retrieved"] == 1  # D
    assert counts["reports_assessed"] == 3
    assert counts["reports_excluded"] == [{"reason": "Insufficient data", "records": 1},
                                          {"reason": "Wrong population", "records": 1}]
    assert counts["assessment_open"] == {}
    # Other methods: A again (already found via a database) and H, excluded.
    other = counts["other_methods"]
    assert other["identified"] == 2 and other["found_via_databases"] == 1
    assert other["duplicates_removed"] == 0 and other["records_screened"] == 1
    assert other["records_excluded"] == 1 and other["reports_sought"] == 0
    assert other["studies_included"] == 0
    assert counts["studies_included"] == 1 and counts["reports_of_included_studies"] == 1
    assert not counts["complete"]
    checks = {c["equation"]: c for c in counts["checks"]}
    assert all(c["consistent"] for c in checks.values())
    open_checks = [c for c in checks.values() if not c["holds"]]
    assert [(c["equation"].split(" =")[0], c["open"]) for c in open_checks] == [
        ("reports sought", 1)]


def test_resolving_the_last_conflict_completes_the_arithmetic(review):
    db, ids = review
    conn = store.connect(db)
    with conn:
        store.record_decision(conn, parse_protocol(None), store.Reviewer("alice", "lead"),
                              ids["c"], "title_abstract", "exclude", "Other", kind="resolution")
    counts = prisma_counts(conn)
    conn.close()
    assert counts["complete"]
    assert counts["records_excluded"] == 3
    assert all(check["holds"] for check in counts["checks"])


def load(db, path, *options):
    result = CliRunner().invoke(cli, ["load", str(db), str(path), *options])
    assert result.exit_code == 0, result.output


def test_registers_unnamed_databases_and_other_methods_by_name(tmp_path):
    db = tmp_path / "review.db"
    files = {"trials.ris": (ris(A), ["--source", "clinicaltrials_gov"]),
             "ictrp.ris": (ris(B), ["--source", "WHO ICTRP"]),
             "export.ris": (ris_record("u", "A record whose file names no database"), []),
             # Named as an other method, loaded without --other-methods: still one.
             "snowball.ris": (ris(H), ["--source", "snowballing"])}
    for name, (text, options) in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        load(db, path, *options)
    counts = counts_of(db)
    assert [(r["database"], r["group"], r["records"]) for r in counts["identified"]] == [
        (UNNAMED_DATABASE, "database", 1), ("ClinicalTrials.gov", "register", 1),
        ("WHO ICTRP", "register", 1), ("Citation searching", "other", 1)]
    assert counts["identified_registers"] == 2 and counts["identified_databases"] == 1
    main = flow_rows(counts)["columns"][0]["rows"][0]["main"]
    assert [(line["text"], line["n"], line["level"]) for line in main] == [
        ("Records identified from:", None, 0), ("Databases", 1, 1),
        (UNNAMED_DATABASE, 1, 2), ("Registers", 2, 1), ("ClinicalTrials.gov", 1, 2),
        ("WHO ICTRP", 1, 2)]
    assert counts["other_methods"]["records_screened"] == 1


def ris_record(key, title):
    return f"TY  - JOUR\nTI  - {title}\nPY  - 2020\nDO  - 10.1000/{key}\nER  - \n"


def test_databases_loaded_by_older_versions_group_by_database(tmp_path):
    """Older versions stored the file name when nothing named the database,
    and aliases as written; PRISMA groups them all the same."""
    db = tmp_path / "review.db"
    for name, key_ in (("web_of_science.txt", "w1"), ("wos_2.ris", "w2"), ("scopus_a.ris", "s1"),
                       ("zotero_export.ris", "z1"), ("Scopus.ris", "s2")):
        (tmp_path / name).write_text(ris_record(key_, f"Title {key_}") + "\n"
                                     + ris_record(key_ + "b", f"Other title {key_}"),
                                     encoding="utf-8")
        load(db, tmp_path / name)
    conn = sqlite3.connect(db)
    with conn:
        stored = {"web_of_science": ["web_of_science", "Web of Science"],  # one fallback
                  "wos_2": ["WOS", "WOS"], "scopus_a": ["{Scopus}", "SCOPUS"],
                  "zotero_export": ["zotero_export", "zotero_export"],  # whole-file fallback
                  "Scopus": ["Scopus", "Scopus"]}  # --source Scopus for Scopus.ris
        for stem, values in stored.items():
            ids = [r[0] for r in conn.execute(
                "select o.id from occurrences o join sources s on s.id = o.source_id"
                " where s.path like ? order by o.id", [f"%/{stem}.%"])]
            for occurrence, value in zip(ids, values):
                conn.execute("update occurrences set database = ? where id = ?",
                             [value, occurrence])
    conn.close()
    counts = counts_of(db)
    assert {r["database"]: r["records"] for r in counts["identified"]} == {
        "Scopus": 4, "Web of Science": 3, UNNAMED_DATABASE: 3}


def build_corpus_review(tmp_path, seed=11):
    """The real corpus exports as one review (a few files as other methods),
    with decisions drawn at random: every status and stage occurs."""
    db = tmp_path / "corpus.db"
    exports = CORPUS / "exports"
    load(db, exports / "medline_nbib")
    load(db, exports / "ris", "--source", "web_of_science")
    load(db, exports / "csv")
    load(db, exports / "wos_plaintext")
    load(db, exports / "endnote_xml")
    load(db, exports / "pubmed_xml", "--source", "Reference lists", "--other-methods")
    load(db, exports / "bibtex", "--other-methods")
    load(db, exports / "csl_json", "--other-methods")
    protocol = parse_protocol(None)
    bob, carol = store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer")
    lead = store.Reviewer("alice", "lead")
    conn = store.connect(db)
    rng = random.Random(seed)
    ids = [r[0] for r in conn.execute("select id from records order by id")]
    reasons = ["Wrong population", "Wrong outcome", None]
    with conn:
        for rid in rng.sample(ids, k=len(ids) * 2 // 3):
            first = rng.choice(["include", "include", "exclude", "maybe"])
            second = first if rng.random() < 0.8 else rng.choice(["include", "exclude"])
            store.record_decision(conn, protocol, bob, rid, "title_abstract", first,
                                  rng.choice(reasons) if first == "exclude" else None)
            if rng.random() < 0.9:
                store.record_decision(conn, protocol, carol, rid, "title_abstract", second,
                                      "Other" if second == "exclude" else None)
        included = [r[0] for r in conn.execute(
            "select id from records where ta_status = 'included'")]
        for rid in included[: len(included) * 3 // 4]:
            roll = rng.random()
            if roll < 0.1:
                store.record_decision(conn, protocol, bob, rid, "full_text", "not_retrieved")
                continue
            decision = "include" if roll < 0.6 else "exclude"
            reason = rng.choice(reasons[:2] + ["Insufficient data"]) \
                if decision == "exclude" else None
            store.record_decision(conn, protocol, bob, rid, "full_text", decision, reason)
            if rng.random() < 0.85:
                store.record_decision(conn, protocol, carol, rid, "full_text",
                                      decision if rng.random() < 0.9 else "include", reason)
        assert store.bulk_exclude(conn, protocol, lead, "mouse", "title_abstract",
                                  "Wrong population", None) >= 0
    conn.close()
    return db


def independent_counts(db) -> dict:
    """The PRISMA numbers in plain SQL, written apart from reporting/prisma.py
    (sources here are all named; other methods are the --other-methods ones)."""
    conn = sqlite3.connect(db)

    def one(sql):
        return conn.execute(sql).fetchone()[0] or 0

    other_only = ("SELECT o.record_id FROM occurrences o JOIN sources s ON s.id = o.source_id"
                  " GROUP BY o.record_id HAVING sum(s.method = 'databases') = 0")
    out = {}
    for column, member in (("databases", f"id NOT IN ({other_only})"),
                           ("other", f"id IN ({other_only})")):
        out[column] = {
            "screened": one(f"SELECT count(*) FROM records WHERE {member}"),
            "excluded": one(f"SELECT count(*) FROM records WHERE {member}"
                            " AND ta_status = 'excluded'"),
            "sought": one(f"SELECT count(*) FROM records WHERE {member}"
                          " AND ta_status = 'included'"),
            "not_retrieved": one(f"SELECT count(*) FROM records WHERE {member}"
                                 " AND ft_status = 'not retrieved'"),
            "reports_excluded": dict(conn.execute(
                f"SELECT coalesce(exclusion_reason, 'No reason given'), count(*) FROM records"
                f" WHERE {member} AND ft_status = 'excluded' GROUP BY 1")),
            "included": one(f"SELECT count(*) FROM records WHERE {member}"
                            " AND screening_status = 'included'"),
            "open": one(f"SELECT count(*) FROM records WHERE {member} AND ta_status IN"
                        " ('unscreened', 'awaiting second reviewer', 'conflict', 'maybe')"),
        }
    out["identified_databases"] = one("SELECT count(*) FROM occurrences o JOIN sources s"
                                      " ON s.id = o.source_id WHERE s.method = 'databases'")
    out["identified_other"] = one("SELECT count(*) FROM occurrences o JOIN sources s"
                                  " ON s.id = o.source_id WHERE s.method = 'other'")
    out["other_found_via_databases"] = one(
        f"SELECT count(*) FROM occurrences o JOIN sources s ON s.id = o.source_id"
        f" WHERE s.method = 'other' AND o.record_id NOT IN ({other_only})")
    out["per_database"] = dict(conn.execute(
        "SELECT coalesce(o.database, '-'), count(*) FROM occurrences o JOIN sources s"
        " ON s.id = o.source_id WHERE s.method = 'databases' GROUP BY 1"))
    out["bulk"] = one("SELECT count(DISTINCT record_id) FROM decisions WHERE kind = 'bulk'")
    conn.close()
    return out


def test_numbers_against_sql_on_the_real_corpus(tmp_path):
    db = build_corpus_review(tmp_path)
    counts, sql = counts_of(db), independent_counts(db)
    for column, flow in (("databases", counts), ("other", counts["other_methods"])):
        expected = sql[column]
        assert flow["records_screened"] == expected["screened"], column
        assert flow["records_excluded"] == expected["excluded"], column
        assert flow["reports_sought"] == expected["sought"], column
        assert flow["reports_not_retrieved"] == expected["not_retrieved"], column
        assert flow["reports_assessed"] == expected["sought"] - expected["not_retrieved"]
        assert {r["reason"]: r["records"] for r in flow["reports_excluded"]} == \
            expected["reports_excluded"], column
        assert sum(flow["screening_open"].values()) == expected["open"], column
    assert counts["studies_included"] == sql["databases"]["included"] + \
        sql["other"]["included"]
    assert counts["identified_databases"] + counts["identified_registers"] == \
        sql["identified_databases"]
    assert counts["identified_other"] == sql["identified_other"]
    assert counts["duplicates_removed"] == sql["identified_databases"] - \
        sql["databases"]["screened"]
    other = counts["other_methods"]
    assert other["found_via_databases"] == sql["other_found_via_databases"]
    assert other["duplicates_removed"] == sql["identified_other"] - \
        sql["other_found_via_databases"] - sql["other"]["screened"]
    assert counts["records_excluded_in_bulk"] + other["records_excluded_in_bulk"] == sql["bulk"]
    # Identification by database: every stored spelling lands in one group,
    # and only the exports that name no database are "not named".
    by_name = {r["database"]: r["records"] for r in counts["identified"]
               if r["method"] == "databases"}
    assert set(by_name) == {"PubMed", "Web of Science", "Scopus", "Embase", UNNAMED_DATABASE}
    assert sum(by_name.values()) == sum(sql["per_database"].values())
    assert by_name[UNNAMED_DATABASE] == sql["per_database"].get("-", 0) > 0
    assert all(check["consistent"] for check in counts["checks"]), counts["checks"]
    # Every box of the diagram is in the CSV rows, and only those.
    rows = numbers(flow_rows(counts))
    assert {(r["box"], r["item"]) for r in rows} >= {
        ("Records screened", "Records screened"), ("Reports excluded", "Wrong population"),
        ("Studies included in review", "Reports of included studies")}


@pytest.mark.asyncio
async def test_page_and_every_download(review):
    db, _ = review
    ds = datasette_for(db)
    page = await ds.client.get("/review/-/prisma")
    assert page.status_code == 200
    assert "Studies included in review (n = 1)" in page.text
    assert "Reports of included studies (n = 1)" in page.text
    assert "Citation searching (n = 2)" in page.text
    assert "Identification of studies via other methods" in page.text
    assert "not yet: 1 records still open" in page.text
    for extension in ("svg", "png", "csv", "json"):
        assert f'href="/review/-/prisma.{extension}?download=1"' in page.text
    svg = await ds.client.get("/review/-/prisma.svg?download=1")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "attachment" in svg.headers["content-disposition"]
    texts = svg_texts(svg.text)  # well-formed XML
    assert "Duplicate records removed (n = 2)" in [t.strip() for t in texts]
    assert "Wrong population (n = 1)" in texts
    assert "Identification of studies via databases and registers" in texts
    assert {"Identification", "Screening", "Included"} <= set(texts)
    data = (await ds.client.get("/review/-/prisma.json")).json()
    assert data["records_screened"] == 7
    png = await ds.client.get("/review/-/prisma.png?download=1")
    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == 'attachment; filename="review-prisma.png"'
    check_png(png.content, svg.text, scale=2)
    table = await ds.client.get("/review/-/prisma.csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert rows == [{key: str(value) for key, value in row.items()}
                    for row in numbers(flow_rows(counts_of(db)))]
    assert {"column": "Included", "phase": "Included", "box": "Studies included in review",
            "item": "Reports of included studies", "level": "0", "n": "1"} in rows


def check_png(data: bytes, svg: str, scale: float):
    """The PNG decodes, is the SVG's size times `scale`, and has its text:
    the title line (dark glyphs on white) is drawn."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    assert image.size == (round(width * scale), round(height * scale))
    grey = image.convert("L")
    title_band = grey.crop((0, int(10 * scale), grey.width, int(32 * scale)))
    dark = sum(1 for value in title_band.get_flattened_data() if value < 100)
    assert dark > 200 * scale, "the title's text was not drawn"
    assert grey.getpixel((2, grey.height // 2)) > 240  # white background, not transparent


def test_cli_writes_every_format(review, tmp_path):
    db, _ = review
    out = tmp_path / "prisma.json"
    assert CliRunner().invoke(cli, ["prisma", str(db), "--format", "json", "-o",
                                    str(out)]).exit_code == 0
    assert json.loads(out.read_text())["duplicates_removed"] == 2
    result = CliRunner().invoke(cli, ["prisma", str(db)])
    assert result.exit_code == 0 and ET.fromstring(result.output).tag.endswith("svg")
    png = tmp_path / "prisma.png"
    result = CliRunner().invoke(cli, ["prisma", str(db), "--format", "png", "--scale", "1",
                                      "-o", str(png)])
    assert result.exit_code == 0, result.output
    check_png(png.read_bytes(), CliRunner().invoke(cli, ["prisma", str(db)]).output, scale=1)
    result = CliRunner().invoke(cli, ["prisma", str(db), "--format", "csv"])
    assert result.output.splitlines()[0] == "column,phase,box,item,level,n"
    assert len(result.output.splitlines()) == len(numbers(flow_rows(counts_of(db)))) + 1


def test_source_names_are_escaped_and_neutralised(tmp_path):
    db = tmp_path / "review.db"
    path = tmp_path / "x.ris"
    path.write_text(ris(A), encoding="utf-8")
    name = '<script>alert("x")</script> & Co'
    load(db, path, "--source", name)
    other = tmp_path / "y.ris"
    other.write_text(ris(B), encoding="utf-8")
    load(db, other, "--source", "=HYPERLINK(\"http://x\")")
    result = CliRunner().invoke(cli, ["prisma", str(db)])
    assert "<script>" not in result.output
    assert f"{name} (n = 1)" in [t.strip() for t in svg_texts(result.output)]
    table = CliRunner().invoke(cli, ["prisma", str(db), "--format", "csv"]).output
    items = [row["item"] for row in csv.DictReader(io.StringIO(table))]
    assert "'=HYPERLINK(\"http://x\")" in items and name in items


@pytest.mark.asyncio
async def test_overview_names_files_whose_database_nobody_named(tmp_path):
    db = tmp_path / "review.db"
    path = tmp_path / "zotero_export.ris"
    path.write_text(ris_record("z", "A record whose file names no database"), encoding="utf-8")
    load(db, path)
    html = (await datasette_for(db).client.get("/review/-/overview")).text
    assert "Not named (<code>mscdm name-source</code>)" in html
    assert "zotero_export</a>" not in html and "database:None" not in html
