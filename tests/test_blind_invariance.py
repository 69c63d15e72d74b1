"""Blind screening as an invariance: two copies of one review that differ
only in how one reviewer (bob) voted on records that are still open must
answer every read path identically for everyone else (anonymous visitors,
another reviewer, the lead), timestamps and tokens aside: every plugin page
and JSON/CSV endpoint, exports, PRISMA, dashboard, agreement, and Datasette's
own table, row, JSON and CSV pages and facets."""

import re
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import add_reviewers, build_flow_review, datasette_for, login, ris
from datasette_mscdm.cli import cli
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

pytestmark = pytest.mark.asyncio

# Records still open at title/abstract, where bob's votes differ between the copies.
OPEN = [("i", "Exosomes from adipose MSCs and insulin resistance", "Mice."),
        ("j", "Extracellular vesicles in type 1 diabetes", "Islets."),
        ("k", "Secretome of MSCs in diabetic wounds", "Wounds."),
        ("l", "MSC vesicles for diabetic retinopathy", "Retina."),
        ("m", "Exosomal miRNA in diabetic nephropathy", "Kidney.")]
# One record included at title/abstract whose full text only bob has voted on.
FULL_TEXT = ("n", "Umbilical MSC exosomes in type 2 diabetes", "Patients.")

# (stage, record key, decisions of bob in order: (decision, reason, note))
VOTES = {
    "A": [("title_abstract", "i", [("include", None, "note-A-i")]),
          ("title_abstract", "j", [("exclude", "Wrong population", "note-A-j")]),
          ("title_abstract", "k", [("maybe", None, None)]),
          ("title_abstract", "l", [("include", None, None), ("exclude", "Other", "x")]),
          ("full_text", "n", [("include", None, "fine")])],
    # B changes its mind more often: the number of decision rows differs too.
    "B": [("title_abstract", "i", [("maybe", None, None), ("include", None, None),
                                   ("exclude", "Duplicate", "note-B-i")]),
          ("title_abstract", "j", [("include", None, "note-B-j")]),
          ("title_abstract", "k", [("exclude", "Other", None)]),
          ("title_abstract", "l", [("exclude", "Other", "x"), ("include", None, None)]),
          ("full_text", "n", [("exclude", "Insufficient data", "missing data")])],
}


def build_base(tmp_path):
    db, ids = build_flow_review(tmp_path)
    extra = tmp_path / "open.ris"
    extra.write_text(ris(*OPEN, FULL_TEXT), encoding="utf-8")
    assert CliRunner().invoke(cli, ["load", str(db), str(extra), "--source", "Embase"]
                              ).exit_code == 0
    add_reviewers(db, {"alice": "lead", "bob": "reviewer", "carol": "reviewer",
                       "dave": "reviewer"})
    conn = store.connect(db)
    ids = {doi.split("/")[-1]: rid for rid, doi in conn.execute("select id, doi from records")}
    protocol = parse_protocol(None)
    bob, carol = store.Reviewer("bob", "reviewer"), store.Reviewer("carol", "reviewer")
    with conn:
        for reviewer in (bob, carol):
            store.record_decision(conn, protocol, reviewer, ids["n"], "title_abstract",
                                  "include")
        # carol's own open vote, the same in both copies.
        store.record_decision(conn, protocol, carol, ids["m"], "title_abstract", "exclude",
                              "Other", "carol's note")
    conn.close()
    return db, ids


def apply_votes(db, ids, votes):
    conn = store.connect(db)
    protocol = parse_protocol(None)
    bob = store.Reviewer("bob", "reviewer")
    with conn:
        for stage, key, decisions in votes:
            for decision, reason, note in decisions:
                store.record_decision(conn, protocol, bob, ids[key], stage, decision, reason,
                                      note)
    statuses = conn.execute("select id, ta_status, ft_status from records order by id"
                            ).fetchall()
    conn.close()
    return statuses


_VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?"), "<time>"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "<date>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<token>"),
    (re.compile(r'"query_ms":\s*[\d.e-]+'), '"query_ms": 0'),
    (re.compile(r"\d+(\.\d+)?ms"), "<ms>"),
    (re.compile(r'name="csrftoken" value="[^"]*"'), 'name="csrftoken"'),
]


def normalise(text: str, folder: str) -> str:
    text = text.replace(folder, "<folder>")
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def read_paths(ids):
    paths = ["/", "/review", "/review.json", "/-/databases.json",
             "/review/-/overview", "/review/-/review", "/review/-/prisma",
             "/review/-/prisma.svg", "/review/-/prisma.json", "/review/-/prisma.csv",
             "/review/-/prisma.png", "/review/-/agreement.csv",
             "/review/-/protocol", "/review/-/screen/progress.json",
             "/review/-/screen/progress.json?stage=full_text",
             "/review/records", "/review/records.json?_size=max&_extra=facet_results,count",
             "/review/records.csv?_size=max",
             "/review/records?ta_status=awaiting+second+reviewer",
             "/review/records.json?_extra=facet_results&ta_status=awaiting+second+reviewer",
             "/review/records.json?_extra=facet_results&_search=diabetes",
             "/review/records?_sort=exclusion_reason&_facet=exclusion_reason",
             "/review/records.json?_sort_desc=ta_status&_size=max",
             "/review/records.json?exclusion_reason__isnull=0&_size=max",
             "/review/records?_term=database:Embase",
             "/review/occurrences.json?_size=max", "/review/sources.json",
             "/review/record_terms.json?_size=max", "/review/mscdm_protocol.json",
             "/review/decisions.json", "/review/decisions", "/review/mscdm_reviewers.json",
             "/review/-/query.json?sql=select+*+from+decisions",
             "/review/mscdm_records_per_screening_status.json",
             "/review/mscdm_records_per_tag.json"]
    for extension in ("ris", "csv", "bib", "json"):
        paths.append(f"/review/-/export.{extension}")
        paths.append(f"/review/-/export.{extension}?status=awaiting+second+reviewer")
        paths.append(f"/review/-/export.{extension}?stage=full_text")
    for rid in sorted(ids.values()):
        paths += [f"/review/-/record/{rid}", f"/review/-/record/{rid}/history.json",
                  f"/review/records/{rid}", f"/review/records/{rid}.json",
                  f"/review/-/screen?record={rid}",
                  f"/review/-/screen?stage=full_text&record={rid}"]
    return paths


async def answers(db, ids, viewer):
    ds = datasette_for(db)
    await ds.invoke_startup()
    cookies = await login(ds, viewer) if viewer else {}
    result = {}
    # The lead's pages, and each reviewer's own queue (which claims a record).
    paths = read_paths(ids) + ["/review/-/conflicts", "/review/-/bulk-exclude?q=diabetes",
                               "/review/-/screen", "/review/-/screen/next.json",
                               "/review/-/screen?stage=full_text",
                               "/review/-/screen/next.json?stage=full_text"]
    for path in paths:
        response = await ds.client.get(path, cookies=cookies, follow_redirects=True)
        result[path] = (response.status_code, response.headers.get("content-type"),
                        normalise(response.text, str(db.parent)))
    return result


@pytest.mark.parametrize("viewer", [None, "carol", "dave", "alice"])
async def test_bobs_open_votes_change_nothing_anyone_else_can_read(tmp_path, viewer):
    base, ids = build_base(tmp_path)
    copies = {}
    for name, votes in VOTES.items():
        path = tmp_path / name / "review.db"
        path.parent.mkdir()
        shutil.copy(base, path)
        copies[name] = (path, apply_votes(path, ids, votes))
    # The copies really differ in bob's votes, and those records are still open.
    (a, statuses_a), (b, statuses_b) = copies["A"], copies["B"]
    assert statuses_a == statuses_b
    assert {row[1] for row in statuses_a if row[0] in (ids["i"], ids["j"], ids["k"])} == {
        "awaiting second reviewer"}
    bob_votes = "select decision, reason, note from decisions where reviewer = 'bob' order by id"
    conn_a, conn_b = sqlite3.connect(a), sqlite3.connect(b)
    assert conn_a.execute(bob_votes).fetchall() != conn_b.execute(bob_votes).fetchall()
    conn_a.close(), conn_b.close()

    seen_a, seen_b = await answers(a, ids, viewer), await answers(b, ids, viewer)
    assert seen_a.keys() == seen_b.keys()
    differences = [path for path in seen_a if seen_a[path] != seen_b[path]]
    assert differences == [], {path: _first_difference(seen_a[path][2], seen_b[path][2])
                               for path in differences[:5]}
    # The read paths did answer (not just two identical error pages).
    ok = [path for path, (status, _, _) in seen_a.items() if status == 200]
    assert len(ok) > len(seen_a) * 0.6
    assert "/review/-/review" in ok and "/review/-/export.csv" in ok


def _first_difference(one: str, other: str) -> str:
    for index, (x, y) in enumerate(zip(one, other)):
        if x != y:
            return f"...{one[max(0, index - 80):index + 80]!r} vs {other[max(0, index - 80):index + 80]!r}"
    return f"lengths {len(one)} vs {len(other)}"
