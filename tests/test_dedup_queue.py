"""The duplicate queue and unmerging through a real Datasette: who may see
and answer, answers recorded append-only, "accept all above a score" with
its confirmation, JSON for scripts, every wrong input a 400, record text
escaped, the record page's merges and unmerge button, and PRISMA's
duplicate counts against SQL."""

import json
import re
import shutil
import sqlite3

import pytest
import pytest_asyncio

from conftest import datasette_for, login
from dedup_fixtures import BASE, PAIRS, build_queue_review as build, load_files, run

pytestmark = pytest.mark.asyncio

@pytest_asyncio.fixture
async def review(tmp_path):
    db = build(tmp_path)
    ds = datasette_for(db)
    await ds.invoke_startup()
    return ds, db


def pending(db):
    return json.loads(run("duplicates", "list", db, "--json").output)


async def test_only_leads_see_the_queue_on_a_writable_review(review):
    ds, db = review
    assert pending(db)["total"] == 3
    alice, bob = await login(ds, "alice"), await login(ds, "bob")
    page = await ds.client.get("/review/-/duplicates", cookies=alice)
    assert page.status_code == 200
    assert page.text.count('class="mscdm-pair"') == 3
    assert page.text.count('name="answer" value="duplicate"') == 3
    # Differences are marked, record text is escaped (it is untrusted).
    assert '<mark class="mscdm-diff">mice</mark>' in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    anonymous = await ds.client.get("/review/-/duplicates")
    assert anonymous.status_code == 302 and "/review/-/login?next=" in anonymous.headers["location"]
    for who in (bob, {}):
        if who:
            response = await ds.client.get("/review/-/duplicates", cookies=who)
            assert response.status_code == 403
        response = await ds.client.get("/review/-/duplicates.json", cookies=who)
        assert response.status_code == 403 and response.json()["ok"] is False


async def test_a_read_only_copy_shows_the_queue_without_controls(tmp_path):
    db = build(tmp_path)
    copy = tmp_path / "published" / "review.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    ds = datasette_for(copy, immutables=[str(copy)])
    await ds.invoke_startup()
    page = await ds.client.get("/review/-/duplicates")
    assert page.status_code == 200 and page.text.count('class="mscdm-pair"') == 3
    content = page.text.split('<section class="content">', 1)[1]
    assert 'name="answer"' not in content and 'name="min_score"' not in content
    assert "read-only" in page.text
    posted = await ds.client.post("/review/-/duplicates.json",
                                  content=json.dumps({"a": 1, "b": 4, "answer": "duplicate"}))
    assert posted.status_code == 403


async def test_answers_are_recorded_append_only_and_never_asked_again(review):
    ds, db = review
    alice = await login(ds, "alice")
    queue = (await ds.client.get("/review/-/duplicates.json", cookies=alice)).json()
    first, second = queue["pairs"][0], queue["pairs"][1]
    response = await ds.client.post("/review/-/duplicates", cookies=alice, data={
        "a": str(first["a"]), "b": str(first["b"]), "answer": "duplicate",
        "request_id": "r1", "next": "/review/-/duplicates?page=1&focus=0"})
    assert response.status_code == 303
    # The same request again records nothing twice.
    again = await ds.client.post("/review/-/duplicates.json", cookies=alice, content=json.dumps(
        {"a": first["a"], "b": first["b"], "answer": "duplicate", "request_id": "r1"}))
    assert again.status_code == 200 and again.json()["repeated"] is True
    answer = await ds.client.post("/review/-/duplicates.json", cookies=alice, content=json.dumps(
        {"a": second["a"], "b": second["b"], "answer": "not_duplicates"}))
    assert answer.status_code == 200 and answer.json()["ok"]
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT a, b, answer, answered_by, score, reasons, created_at"
                        " FROM mscdm_dedup_answers ORDER BY id").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (first["a"], first["b"], "duplicate", "alice"),
        (second["a"], second["b"], "not_duplicates", "alice")]
    assert all(r[4] > 0 and json.loads(r[5]) and r[6] for r in rows)
    assert conn.execute("SELECT count(*) FROM records WHERE id = ?",
                        [first["b"]]).fetchone()[0] == 0
    for sql in ("UPDATE mscdm_dedup_answers SET answer = 'duplicate'",
                "DELETE FROM mscdm_dedup_answers",
                "INSERT OR REPLACE INTO mscdm_dedup_answers (id, a, b, answer, answered_by,"
                " created_at) VALUES (1, 1, 2, 'duplicate', 'x', 'now')",
                "DELETE FROM mscdm_merges"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()
    assert pending(db)["total"] == 1
    # "Not duplicates" holds for good: the engine never merges or proposes them.
    result = json.loads(run("dedup", db, "--json").output)
    assert result["merged"] == [] and result["queued"] == []
    assert pending(db)["total"] == 1


async def test_accept_all_above_a_score_asks_with_the_number_first(review):
    ds, db = review
    alice = await login(ds, "alice")
    scores = [p["score"] for p in pending(db)["pairs"]]
    threshold = sorted(scores)[1]
    expected = sum(score >= threshold for score in scores)
    ask = await ds.client.post("/review/-/duplicates", cookies=alice,
                               data={"min_score": str(threshold)})
    assert ask.status_code == 200
    assert re.search(rf"Yes, merge {expected} pairs?", ask.text)
    assert pending(db)["total"] == 3  # nothing merged yet
    wrong = await ds.client.post("/review/-/duplicates", cookies=alice, data={
        "min_score": str(threshold), "confirm": str(expected + 1)})
    assert wrong.status_code == 409 and pending(db)["total"] == 3
    done = await ds.client.post("/review/-/duplicates", cookies=alice, data={
        "min_score": str(threshold), "confirm": str(expected)})
    assert done.status_code == 200 and f"Merged {expected} pair" in done.text
    assert pending(db)["total"] == 3 - expected
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM mscdm_merges WHERE merged_by = 'alice'"
                        ).fetchone()[0] == expected
    conn.close()


@pytest.mark.parametrize("body", [
    {"a": "1", "b": 4, "answer": "duplicate"}, {"a": 1, "b": 1, "answer": "duplicate"},
    {"a": 1, "b": 4, "answer": "maybe"}, {"a": 1, "b": 2**63, "answer": "duplicate"},
    {"a": 1, "b": 4}, {"a": 1, "b": 4, "answer": "duplicate", "extra": 1},
    {"min_score": "high"}, {"min_score": 2}, {"min_score": 0.9, "expected": -1},
    {"min_score": True}, [1, 2],
])
async def test_wrong_input_is_a_400_that_says_which(review, body):
    ds, db = review
    alice = await login(ds, "alice")
    response = await ds.client.post("/review/-/duplicates.json", cookies=alice,
                                    content=json.dumps(body))
    assert response.status_code == 400, response.text
    assert response.json()["ok"] is False and response.json()["error"]
    for path in ("/review/-/duplicates?page=0", "/review/-/duplicates?page=x",
                 "/review/-/duplicates.json?page=-1"):
        assert (await ds.client.get(path, cookies=alice)).status_code == 400
    form = await ds.client.post("/review/-/duplicates", cookies=alice,
                                data={"a": "1", "b": "x", "answer": "duplicate"})
    assert form.status_code == 400


async def test_unknown_records_are_a_404_and_one_record_a_409(review):
    ds, db = review
    alice = await login(ds, "alice")
    missing = await ds.client.post("/review/-/duplicates.json", cookies=alice, content=json.dumps(
        {"a": 1, "b": 999, "answer": "duplicate"}))
    assert missing.status_code == 404
    pair = pending(db)["pairs"][0]
    run("duplicates", "answer", db, pair["a"], pair["b"], "duplicate", "--by", "alice")
    same = await ds.client.post("/review/-/duplicates.json", cookies=alice, content=json.dumps(
        {"a": pair["a"], "b": pair["b"], "answer": "not_duplicates"}))
    assert same.status_code == 409


async def test_record_page_shows_the_merge_and_a_lead_undoes_it(review):
    ds, db = review
    pair = next(p for p in pending(db)["pairs"] if "alert" in p["titles"][0])
    run("duplicates", "answer", db, pair["a"], pair["b"], "duplicate", "--by", "alice")
    alice, bob = await login(ds, "alice"), await login(ds, "bob")
    page = await ds.client.get(f"/review/-/record/{pair['a']}", cookies=alice)
    assert page.status_code == 200
    assert "Merged copies" in page.text and "by alice" in page.text
    assert "Other values of the copies" in page.text and "Another abstract." in page.text
    assert "&lt;script&gt;alert(1)" in page.text and "<script>alert(1)" not in page.text
    assert 'class="mscdm-unmerge"' in page.text
    assert 'class="mscdm-unmerge"' not in (
        await ds.client.get(f"/review/-/record/{pair['a']}", cookies=bob)).text
    gone = await ds.client.get(f"/review/-/record/{pair['b']}")
    assert gone.status_code == 200 and "was merged into record" in gone.text
    merge_id = re.search(r'name="merge_id" value="(\d+)"', page.text).group(1)
    refused = await ds.client.post(f"/review/-/record/{pair['a']}/unmerge", cookies=bob,
                                   data={"merge_id": merge_id})
    assert refused.status_code == 403
    response = await ds.client.post(f"/review/-/record/{pair['a']}/unmerge", cookies=alice,
                                    data={"merge_id": merge_id, "request_id": "u1"})
    assert response.status_code == 303
    back = await ds.client.get(f"/review/-/record/{pair['b']}", cookies=alice)
    assert back.status_code == 200 and "was merged" not in back.text
    twice = await ds.client.post(f"/review/-/record/{pair['a']}/unmerge", cookies=alice,
                                 data={"merge_id": merge_id})
    assert twice.status_code == 409


async def test_prisma_duplicates_are_automatic_plus_by_a_person_as_sql_says(review):
    ds, db = review
    pair = pending(db)["pairs"][0]
    run("duplicates", "answer", db, pair["a"], pair["b"], "duplicate", "--by", "alice")
    # One more copy that merges automatically on load.
    load_files(db, db.parent, ("Scopus", [{**BASE, "title": PAIRS[1][0], "doi": "10.1000/a2",
                                           "pages": "200-210"}]))
    counts = (await ds.client.get("/review/-/prisma.json")).json()
    conn = sqlite3.connect(db)
    removed = conn.execute(
        "SELECT (SELECT count(*) FROM occurrences o JOIN sources s ON s.id = o.source_id"
        " WHERE s.status = 'loaded') - (SELECT count(*) FROM records)").fetchone()[0]
    by_person = conn.execute(
        "SELECT count(*) FROM mscdm_merges m WHERE m.action = 'merge' AND m.merged_by != 'auto'"
        " AND NOT EXISTS (SELECT 1 FROM mscdm_merges u WHERE u.undoes = m.id)").fetchone()[0]
    conn.close()
    assert (removed, by_person) == (2, 1)
    assert counts["duplicates_removed"] == removed
    assert counts["duplicates_removed_by_person"] == by_person
    assert counts["duplicates_removed_automatically"] == removed - by_person
    svg = (await ds.client.get("/review/-/prisma.svg")).text
    plain = svg.replace("\u00a0", " ")
    assert "merged automatically (n = 1)" in plain
    assert "merged by a person (review queue) (n = 1)" in plain
    # An unmerge takes it out of the count.
    run("unmerge", db, pair["b"], "--by", "alice")
    counts = (await ds.client.get("/review/-/prisma.json")).json()
    assert (counts["duplicates_removed"], counts["duplicates_removed_by_person"]) == (1, 0)


async def test_a_read_only_database_from_before_the_duplicate_tables(tmp_path):
    """An immutable copy made by an older version (no duplicate tables, and
    none can be added) still serves its record pages; the queue says why it
    has nothing to show."""
    db = build(tmp_path)
    conn = sqlite3.connect(db)
    for table in ("mscdm_dedup_pairs", "mscdm_dedup_answers", "mscdm_merges",
                  "mscdm_dedup_keys"):
        conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()
    ds = datasette_for(db, immutables=[str(db)])
    await ds.invoke_startup()
    assert (await ds.client.get("/review/-/record/1")).status_code == 200
    page = await ds.client.get("/review/-/duplicates")
    assert page.status_code == 404 and "older version" in page.text
    assert (await ds.client.get("/review/-/prisma.json")).status_code == 200
    assert (await ds.client.get("/review/-/record/999")).status_code == 404
