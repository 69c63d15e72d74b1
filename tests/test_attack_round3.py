"""An outsider's attacks on the priority order, the stopping section and the
duplicate queue, through a real `datasette serve` on a free 127.0.0.1 port
(scripts/serve.py) with real review databases built by `mscdm load` and
reviewers added as the CLI does. Each test documents a defence: a refusal
(4xx, never a 500, nothing changed), escaped record text, or a blind
invariance (two copies of a review that differ only in one reviewer's vote
on an open record answer every read path identically for everyone else)."""

import json
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import add_reviewers, password_of, query
from dedup_fixtures import BASE, load_files
from datasette_mscdm.screening import priority, store
from datasette_mscdm.screening.protocol import parse_protocol

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestWarning")

XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def _serve(path, immutable=False):
    from serve import serve

    return serve(path, immutable=immutable)


def _client(base, name=None):
    from screen_client import ReviewerClient

    client = ReviewerClient(base)
    if name:
        client.login(name, password_of(name))
    return client


@pytest.fixture
def donners(donners_review):
    return donners_review


def copy_of(source, folder: Path, **screening) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "review.db"
    shutil.copy(source, path)
    conn = store.connect(path)
    with conn:
        store.save_protocol(conn, parse_protocol(screening), "alice")
    conn.close()
    return path


def truth(path) -> dict[int, bool]:
    return {rid: json.loads(extra)["label_included"] == "1"
            for rid, extra in query(path, "select id, extra from records")}


def wait_for_reranks(path, client, base, timeout=120):
    """Until no rerank is due (the server reranks in its worker process; a
    page view makes it check)."""
    conn = sqlite3.connect(path)
    deadline = time.monotonic() + timeout
    try:
        while True:
            client.get(f"{base}/review/-/protocol")  # a page that checks for a due rerank
            protocol = store.stored_protocol(conn)
            count = conn.execute("select count(*) from mscdm_retrains").fetchone()[0]
            if count and priority.due(conn, protocol) is None:
                time.sleep(0.3)  # the head's parts land after the retrain row
                if conn.execute("select count(*) from mscdm_retrains").fetchone()[0] == count \
                        and priority.due(conn, protocol) is None:
                    return
            assert time.monotonic() < deadline, "no rerank within the timeout"
            time.sleep(0.3)
    finally:
        conn.close()


def changes(path) -> tuple:
    return query(path, "select (select count(*) from decisions), (select count(*) from"
                       " mscdm_stops), (select count(*) from mscdm_seed_includes)")[0]


def post_json(client, path, body):
    return client._json("POST", path, body)


# 1. The lead's priority actions -----------------------------------------------------

def test_priority_actions_refuse_outsiders_bad_input_and_stale_states(donners, tmp_path):
    path = copy_of(donners, tmp_path / "a", order="priority", blind=True,
                   title_abstract={"reviewers": 2})
    some = query(path, "select id from records order by id limit 2")
    rid, other = some[0][0], some[1][0]
    with _serve(path) as base:
        anon, bob, alice = _client(base), _client(base, "bob"), _client(base, "alice")
        before = changes(path)
        unscreened = str(query(path, "select count(*) from records"
                                     " where ta_status = 'unscreened'")[0][0])
        forms = [(f"/record/{rid}/seed", {"action": "mark", "note": "x"}),
                 ("/screen/stop", {"reason": "enough", "confirm": unscreened}),
                 ("/screen/resume", {"reason": "more"})]
        # Anonymous, a reviewer, and the lead's cookie from another site: 403.
        for form_path, form in forms:
            assert anon.post_form(form_path, form)[0] == 403
            assert bob.post_form(form_path, form)[0] == 403
            for cross in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                          {"Origin": "http://evil.example"}, {"Origin": "null"}):
                assert alice.post_form(form_path, form, cross)[0] == 403
            # A GET is never an action.
            status, _ = alice.get(f"{base}/review/-{form_path}")
            assert status == 405
        # A JSON body instead of a form is not read as one.
        status, _ = alice._send(__import__("urllib.request").request.Request(
            f"{base}/review/-/record/{rid}/seed", data=b'{"action": "mark"}',
            headers={"Content-Type": "application/json"}))
        assert status == 400
        # Ids SQLite cannot hold, or that do not exist.
        for bad, expected in (("9223372036854775808", 400), ("0", 400), ("9" * 30, 400),
                              ("00000000000000000000000000000001", 400), ("999999", 404)):
            assert alice.post_form(f"/record/{bad}/seed", {"action": "mark"})[0] == expected
        assert alice.post_form(f"/record/{rid}/seed", {"action": "mark", "note": "n" * 10_001}
                               )[0] == 400
        for form in ({"action": "delete"}, {}, {"action": "mark", "record_id": str(other)},
                     {"action": "unmark "}):
            assert alice.post_form(f"/record/{rid}/seed", form)[0] == 400
        assert alice.post_form("/record/999999/seed", {"action": "unmark"})[0] == 404
        # Stop: wrong confirm types, no reason, a stale count; resume when not stopped.
        for form in ({"reason": "x", "confirm": "abc"}, {"reason": "x", "confirm": "-1"},
                     {"reason": "x", "confirm": "1e3"}, {"reason": "x", "confirm": "1" * 31},
                     {"reason": "x", "confirm": str(10**12)}, {"reason": " ", "confirm": "1"},
                     {"reason": "x" * 501, "confirm": unscreened},
                     {"reason": "x", "confirm": unscreened, "force": "1"}):
            assert alice.post_form("/screen/stop", form)[0] == 400, form
        assert alice.post_form("/screen/stop", {"reason": "x", "confirm": "1"})[0] == 409
        assert alice.post_form("/screen/resume", {})[0] == 409
        assert changes(path) == before
        # Stop while a seed is unscreened: 409; unmark it and the stop holds.
        assert alice.post_form(f"/record/{rid}/seed", {"action": "mark"})[0] == 303
        assert alice.post_form("/screen/stop", {"reason": "x", "confirm": unscreened})[0] == 409
        assert alice.post_form(f"/record/{rid}/seed", {"action": "unmark"})[0] == 303
        # A stale confirmed count: a vote lands between the view and the stop.
        assert bob.decide(other, "include")[0] == 201
        assert alice.post_form("/screen/stop", {"reason": "x", "confirm": unscreened})[0] == 409
        now_unscreened = str(int(unscreened) - 1)
        assert alice.post_form("/screen/stop", {"reason": "enough", "confirm": now_unscreened}
                               )[0] == 303
        # Replayed stop, then resume twice.
        assert alice.post_form("/screen/stop", {"reason": "enough", "confirm": now_unscreened}
                               )[0] == 409
        # Nobody may vote on a record the stop excluded, by id.
        status, body = bob.decide(rid, "include")
        assert status == 409, body
        assert alice.post_form("/screen/resume", {"reason": "back"})[0] == 303
        assert alice.post_form("/screen/resume", {"reason": "back"})[0] == 409
        assert query(path, "select count(*) from records where ta_status = 'unscreened'"
                     )[0][0] == int(now_unscreened)
        assert query(path, "select action from mscdm_stops order by id") == [("stop",),
                                                                            ("resume",)]


def test_a_read_only_instance_refuses_every_priority_action(donners, tmp_path):
    path = copy_of(donners, tmp_path / "ro", order="priority")
    before = changes(path)
    with _serve(path, immutable=True) as base:
        anon = _client(base)
        assert anon.try_login("alice", password_of("alice")) in (403, 400, 200)
        for form_path, form in ((f"/record/1/seed", {"action": "mark"}),
                                ("/screen/stop", {"reason": "x", "confirm": "1"}),
                                ("/screen/resume", {})):
            status, body = anon.post_form(form_path, form)
            assert status == 403 and b"read-only" in body
        status, page = anon.get(f"{base}/review/-/review")
        assert status == 200 and b"/-/screen/stop" not in page
    assert changes(path) == before


# 4. XSS in a seed note and a stop reason ---------------------------------------------

def test_a_seed_note_and_a_stop_reason_are_shown_as_text(donners, tmp_path):
    path = copy_of(donners, tmp_path / "x", order="priority", title_abstract={"reviewers": 1})
    rid = query(path, "select id from records order by id limit 1")[0][0]
    with _serve(path) as base:
        alice = _client(base, "alice")
        assert alice.post_form(f"/record/{rid}/seed", {"action": "mark", "note": XSS})[0] == 303
        assert alice.decide(rid, "include")[0] == 201  # settled: the mark is public
        unscreened = query(path, "select count(*) from records"
                                 " where ta_status = 'unscreened'")[0][0]
        assert alice.post_form("/screen/stop", {"reason": XSS, "confirm": str(unscreened)}
                               )[0] == 303
        anon = _client(base)
        for who in (alice, anon):
            for url in (f"/review/-/record/{rid}", "/review/-/review", "/review/-/prisma",
                        "/review/-/prisma.svg", f"/review/mscdm_seed_includes",
                        "/review/mscdm_stops"):
                status, body = who.get(base + url)
                text = body.decode()
                assert "<script>alert" not in text and "<img src=x" not in text, url
            status, body = who.get(base + f"/review/-/record/{rid}")
            assert "&lt;script&gt;alert(" in body.decode()


# 2. Blind probing through the order ------------------------------------------------

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z)?)?")


def _normal(text: str) -> str:
    text = TIMESTAMP.sub("TS", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "HOST", text)  # each copy has its own server
    text = re.sub(r'"query_ms": [0-9.e-]+|Queries took [0-9.]+ms', "QMS", text)
    text = re.sub(r'name="request_id" value="[0-9a-f]+"', "RID", text)
    text = re.sub(r'"seconds": [0-9.e-]+', '"seconds": S', text)
    text = re.sub(r"<td[^>]*>[0-9.]+</td>(?=</tr>)", "<td>S</td>", text)  # seconds column
    return text


def _viewer_paths(open_id):
    return ["/review/-/screen/next.json", "/review/-/screen/progress.json",
            "/review/-/review", "/review/-/prisma.json", "/review/-/prisma.svg",
            "/review/-/export.csv", "/review/-/export.ris", "/review/-/agreement.csv",
            f"/review/-/record/{open_id}", f"/review/-/record/{open_id}/history.json",
            "/review/records.json?_shape=array&_size=max&_sort=screen_order"
            "&_col=screen_order&_col=ta_status&_col=screening_status",
            "/review/records.csv?_size=max&_sort=screen_order&_col=screen_order"
            "&_col=ta_status",
            "/review/records?_sort=screen_order&_col=screen_order&_col=ta_status",
            f"/review/records/{open_id}.json",
            "/review/mscdm_retrains.json?_shape=array&_col=trigger&_col=mode&_col=labels_used"
            "&_col=includes_used&_col=label_state&_col=head&_col=random_picks&_col=records",
            "/review/mscdm_seed_includes.json?_shape=array",
            "/review/records.json?_facet=ta_status&_size=0"]


def _blind_world(donners, folder, hidden):
    """alice and bob settle 12 records in the offered order; then bob alone
    votes `hidden` on one open record; reranks run in the server's worker.
    Returns what carol and an anonymous visitor read, and the open id."""
    path = copy_of(donners, folder, order="priority", blind=True,
                   title_abstract={"reviewers": 2}, priority={"retrain_every": 1})
    labels = truth(path)
    with _serve(path) as base:
        alice, bob = _client(base, "alice"), _client(base, "bob")
        carol, anon = _client(base, "carol"), _client(base)
        wait_for_reranks(path, anon, base)
        for _ in range(12):
            rid = alice.next()["record"]["id"]
            assert alice.decide(rid, "include" if labels[rid] else "exclude")[0] == 201
            assert bob.decide(rid, "include" if labels[rid] else "exclude")[0] == 201
            wait_for_reranks(path, anon, base)
        # The open record: the first one the ranking offers that nobody voted on.
        open_id = query(path, "select id from records where ta_status = 'unscreened'"
                              " order by screen_order, id limit 1")[0][0]
        if hidden:
            assert bob.decide(open_id, hidden, reason="Other" if hidden == "exclude" else None
                              )[0] == 201
        else:
            assert bob.next()["record"]["id"]  # bob holds his next record, no vote
        wait_for_reranks(path, anon, base)
        seen = {}
        for name, who in (("carol", carol), ("anonymous", anon)):
            for url in _viewer_paths(open_id):
                status, body = who.get(base + url)
                seen[(name, url)] = (status, _normal(body.decode("utf-8", "replace")))
    return seen, open_id


def test_a_vote_on_an_open_record_moves_nothing_anyone_else_reads(donners, tmp_path):
    include, _ = _blind_world(donners, tmp_path / "inc", "include")
    exclude, _ = _blind_world(donners, tmp_path / "exc", "exclude")
    differ = [key for key in include if include[key] != exclude[key]]
    assert not differ, differ
    # The comparison has content: reranks happened and carol reads their log.
    retrains = next(v for k, v in include.items() if k[0] == "carol" and "retrains" in k[1])
    assert retrains[0] == 200 and '"model"' in retrains[1]


# The next record must not tell of a vote undone ---------------------------------------

def test_an_undone_vote_does_not_change_the_next_record_of_another_reviewer(donners,
                                                                             tmp_path):
    offered = {}
    for world in ("untouched", "voted and undone"):
        path = copy_of(donners, tmp_path / world.replace(" ", "_"), order="random",
                       blind=True, title_abstract={"reviewers": 2})
        with _serve(path) as base:
            bob, carol = _client(base, "bob"), _client(base, "carol")
            first = bob.next()["record"]["id"]
            if world != "untouched":
                assert bob.decide(first, "exclude", reason="Other")[0] == 201
                assert bob.undo()[0] == 200
            offered[world] = (carol.next()["record"]["id"],
                              query(path, "select ta_status from records where id = ?",
                                    [first])[0][0])
    assert offered["untouched"] == offered["voted and undone"]


# 3. The duplicate queue --------------------------------------------------------------

HOSTILE_PAIR = [
    {**BASE, "title": "Exosomes &lt;script&gt;alert('t')&lt;/script&gt; heal diabetic wounds"
                      " in rats", "authors": "Evil E; &lt;img src=x onerror=alert(1)&gt;",
     "journal": "J &lt;b onmouseover=alert(2)&gt;", "doi": "10.1000/evil1",
     "pages": "100-110"},
    {**BASE, "title": "Exosomes &lt;script&gt;alert('t')&lt;/script&gt; heal diabetic wounds"
                      " in mice", "authors": "Evil E; javascript:alert(3)",
     "journal": "javascript:alert(4)", "doi": "javascript:alert(5)", "pages": "100-110",
     "abstract": "Another abstract &lt;svg onload=alert(6)&gt;."},
]
PAIR2 = [
    {**BASE, "title": "Umbilical cord vesicles restore islet function in diabetic rats",
     "doi": "10.1000/p2", "pages": "200-210"},
    {**BASE, "title": "Umbilical cord vesicles restore islet function in diabetic pigs",
     "pages": "200-210", "abstract": "Another abstract."},
]


def _queue_review(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "review.db"
    load_files(db, tmp_path, ("PubMed", [HOSTILE_PAIR[0], PAIR2[0]]),
               ("Embase", [HOSTILE_PAIR[1], PAIR2[1]]))
    add_reviewers(db)
    return db


def _no_live_markup(text: str):
    for raw in ("<script>alert", "<img src=x", "<b onmouseover", "<svg onload",
                'href="javascript:', "href='javascript:"):
        assert raw not in text, raw


def test_the_duplicate_queue_refuses_outsiders_shows_text_and_answers_once(tmp_path):
    db = _queue_review(tmp_path)
    with _serve(db) as base:
        anon, bob, alice = _client(base), _client(base, "bob"), _client(base, "alice")
        status, page = alice.get(f"{base}/review/-/duplicates")
        assert status == 200 and page.count(b'class="mscdm-pair"') == 2
        _no_live_markup(page.decode())
        assert "&lt;script&gt;alert(" in page.decode()
        status, listing = alice.get(f"{base}/review/-/duplicates.json")
        pairs = json.loads(listing)["pairs"]
        hostile = next(p for p in pairs if "alert" in json.dumps(p))
        a, b = hostile["a"], hostile["b"]
        for rid in (a, b):
            status, record = anon.get(f"{base}/review/-/record/{rid}")
            _no_live_markup(record.decode())
        form = {"a": str(a), "b": str(b), "answer": "duplicate"}
        before = query(db, "select count(*) from mscdm_dedup_answers")
        assert anon.post_form("/duplicates", form)[0] == 403
        assert bob.post_form("/duplicates", form)[0] == 403
        assert bob.post_form("/duplicates", {"min_score": "0", "confirm": "2"})[0] == 403
        assert post_json(bob, "/duplicates.json", {"a": a, "b": b, "answer": "duplicate"}
                         )[0] == 403
        for cross in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}):
            assert alice.post_form("/duplicates", form, cross)[0] == 403
            assert alice.post_form(f"/record/{a}/unmerge", {"merge_id": "1"}, cross)[0] == 403
        for bad in ({"a": a, "b": 2**63, "answer": "duplicate"},
                    {"a": str(a), "b": b, "answer": "duplicate"},
                    {"a": a, "b": a, "answer": "duplicate"},
                    {"a": a, "b": b, "answer": "maybe"},
                    {"a": a, "b": b, "answer": ["duplicate"]},
                    {"a": a, "b": b, "answer": "duplicate", "request_id": 5},
                    {"min_score": "0.5"}, {"min_score": float("inf")},
                    {"min_score": 0.5, "expected": -1}, {"min_score": 0.5, "expected": True}):
            status, body = post_json(alice, "/duplicates.json", bad)
            assert status == 400, (bad, body)
        assert post_json(alice, "/duplicates.json", {"a": a, "b": 10**12, "answer": "duplicate"}
                         )[0] == 404
        assert query(db, "select count(*) from mscdm_dedup_answers") == before
        # Accept-all with a stale count is refused.
        assert post_json(alice, "/duplicates.json", {"min_score": 0.0, "expected": 7})[0] == 409
        # One answer; the same pair again (any answer) is a 409, not a second merge.
        status, body = post_json(alice, "/duplicates.json",
                                 {"a": a, "b": b, "answer": "duplicate", "request_id": "r1"})
        assert status == 200, body
        assert post_json(alice, "/duplicates.json",
                         {"a": a, "b": b, "answer": "duplicate", "request_id": "r1"})[0] == 200
        for answer in ("duplicate", "not_duplicates"):
            assert post_json(alice, "/duplicates.json", {"a": a, "b": b, "answer": answer,
                                                         "request_id": f"r-{answer}"}
                             )[0] == 409
        assert query(db, "select count(*) from mscdm_merges where action = 'merge'"
                     " and merged_by = 'alice'") == [(1,)]
        kept = min(a, b)
        status, page = alice.get(f"{base}/review/-/record/{kept}")
        _no_live_markup(page.decode())
        status, page = alice.get(f"{base}/review/-/record/{max(a, b)}")
        assert status == 200
        _no_live_markup(page.decode())
        merge_id = query(db, "select id from mscdm_merges where action = 'merge'"
                             " and merged_by = 'alice'")[0][0]
        # Unmerge: outsiders, ids out of range, a merge that does not exist.
        assert anon.post_form(f"/record/{kept}/unmerge", {"merge_id": str(merge_id)})[0] == 403
        assert bob.post_form(f"/record/{kept}/unmerge", {"merge_id": str(merge_id)})[0] == 403
        for bad, expected in (("9223372036854775808", 400), ("abc", 400), ("", 400),
                              ("999999", 404)):
            status, body = alice.post_form(f"/record/{kept}/unmerge", {"merge_id": bad})
            assert status == expected, (bad, status, body[:300])
        assert alice.post_form(f"/record/{kept}/unmerge", {"merge_id": str(merge_id)}
                               )[0] == 303
        # Twice: the merge is no longer in force.
        status, body = alice.post_form(f"/record/{kept}/unmerge", {"merge_id": str(merge_id)})
        assert status == 409, body[:300]
        # The unmerge row itself is not a merge to undo.
        unmerge_row = query(db, "select max(id) from mscdm_merges")[0][0]
        status, body = alice.post_form(f"/record/{kept}/unmerge", {"merge_id": str(unmerge_row)})
        assert status in (404, 409), body[:300]
        assert query(db, "select count(*) from records") == [(4,)]


def _merge_world(tmp_path, second_vote):
    """bob votes include on one copy and `second_vote` on the other (both
    records still open: two reviewers needed); alice merges them."""
    db = _queue_review(tmp_path)
    with _serve(db) as base:
        bob, alice, carol = _client(base, "bob"), _client(base, "alice"), _client(base, "carol")
        anon = _client(base)
        status, listing = alice.get(f"{base}/review/-/duplicates.json")
        pair = next(p for p in json.loads(listing)["pairs"] if "islet" in json.dumps(p))
        a, b = pair["a"], pair["b"]
        assert bob.decide(a, "include")[0] == 201
        assert bob.decide(b, second_vote, reason="Other" if second_vote == "exclude" else None
                          )[0] == 201
        assert post_json(alice, "/duplicates.json", {"a": a, "b": b, "answer": "duplicate"}
                         )[0] == 200
        kept = min(a, b)
        seen = {}
        for name, who in (("carol", carol), ("anonymous", anon)):
            for url in (f"/review/-/record/{kept}", f"/review/-/record/{kept}/history.json",
                        "/review/records.json?_shape=array&_col=ta_status&_col=screening_status",
                        "/review/-/screen/next.json", "/review/-/screen/progress.json",
                        "/review/-/review", "/review/-/prisma.json"):
                status, body = who.get(base + url)
                text = body.decode("utf-8", "replace").replace(str(tmp_path), "TMP")
                seen[(name, url)] = (status, _normal(text))
    return seen


def test_a_merge_of_two_records_one_reviewer_voted_on_differently_stays_blind(tmp_path):
    agree = _merge_world(tmp_path / "agree", "include")
    differ = _merge_world(tmp_path / "differ", "exclude")
    assert [key for key in agree if agree[key] != differ[key]] == []


# A seed mark is the lead's until the record is settled -----------------------------

def test_a_reviewer_cannot_read_the_seed_marks_of_open_records(donners, tmp_path):
    """README: the mark is shown to the lead, and to everyone once the record
    is settled at title/abstract; before that it would sway a vote."""
    path = copy_of(donners, tmp_path / "s", order="priority", blind=True,
                   title_abstract={"reviewers": 2})
    rid = query(path, "select id from records order by id desc limit 1")[0][0]
    with _serve(path) as base:
        alice, bob, anon = _client(base, "alice"), _client(base, "bob"), _client(base)
        assert alice.post_form(f"/record/{rid}/seed", {"action": "mark",
                                                       "note": "scoping search"})[0] == 303
        for who in (bob, anon):
            for url in ("/review/mscdm_seed_includes.json?_shape=array",
                        "/review/mscdm_seed_includes.csv",
                        f"/review/mscdm_seed_includes?record_id={rid}",
                        f"/review/mscdm_seed_includes/1.json",
                        f"/review/-/record/{rid}", f"/review/-/record/{rid}/history.json",
                        "/review/-/export.csv", "/review/-/export.ris"):
                status, body = who.get(base + url)
                text = body.decode("utf-8", "replace")
                assert "scoping search" not in text and "known relevant" not in text, url
                if "mscdm_seed_includes" in url:
                    assert status in (403, 404) or f'"record_id": {rid}' not in text, url
