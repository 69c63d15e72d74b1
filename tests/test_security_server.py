"""Security round 2 against a real `datasette serve` on a free 127.0.0.1
port: reads never freeze on an old snapshot (Datasette serves reads from a
pool of connections), the WAL stays bounded, and the login cookie and
throttle behave behind a reverse proxy."""

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request

from click.testing import CliRunner

import synthetic
from conftest import REPO, add_reviewers, build_review_db, password_of, record_id
from datasette_mscdm.cli import cli
from screen_client import ReviewerClient
from serve import serve

TITLE = "The Potential of Mesenchymal Stem Cell-Derived Exosomes%"

# Filtered pages of the records table: each one counts its facets on a read
# connection, the path that used to leave a transaction open there.
FILTERED = ["/review/records?ta_status=unscreened",
            "/review/records?_search=exosomes",
            "/review/records?_term=database:PubMed",
            "/review/records.json?ta_status=unscreened&_extra=facet_results",
            "/review/records?screening_status=unscreened&_search=diabetes"]


def browse_filtered(base, times=4):
    # More requests than Datasette has read connections (3 by default), so
    # every connection of the pool serves some of them.
    for _ in range(times):
        for path in FILTERED:
            with urllib.request.urlopen(base + path, timeout=30) as response:
                assert response.status == 200


def mscdm(*args, stdin=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=stdin)
    assert result.exit_code == 0, result.output


def sql_count(db, where):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"select count(*) from records where {where}").fetchone()[0]
    finally:
        conn.close()


def test_cli_changes_apply_on_the_very_next_request_after_filtered_pages(tmp_path):
    db = build_review_db(tmp_path / "review.db", tmp_path)
    add_reviewers(db)
    rid = record_id(db, TITLE)
    with serve(db) as base:
        bob, alice, carol = (ReviewerClient(base) for _ in range(3))
        bob.login("bob", password_of("bob"))
        alice.login("alice", password_of("alice"))
        carol.login("carol", password_of("carol"))
        browse_filtered(base)
        # A reviewer removed by the CLI can no longer decide.
        mscdm("reviewer", "remove", db, "bob")
        for _ in range(6):
            status, body = bob.decide(rid, "include")
            assert status == 403, body
        browse_filtered(base)
        # A lead demoted by the CLI can no longer save the protocol (blind off)...
        mscdm("reviewer", "role", db, "alice", "reviewer")
        for _ in range(6):
            status, _ = alice.post_form("/protocol", {"protocol": "blind: false"})
            assert status == 403
        # ...not even after logging in again as the reviewer she now is.
        alice.login("alice", password_of("alice"))
        assert alice.post_form("/protocol", {"protocol": "blind: false"})[0] == 403
        browse_filtered(base)
        # A reviewer added while the server runs logs in and decides at once.
        mscdm("reviewer", "add", db, "dave", "--password-stdin", stdin="dave-password-1\n")
        dave = ReviewerClient(base)
        dave.login("dave", "dave-password-1")
        status, _ = dave.decide(rid, "include")
        assert status == 201
        # Every page after that, on every connection, counts the new status.
        browse_filtered(base)
        expected = sql_count(db, "ta_status = 'awaiting second reviewer'")
        assert expected == 1
        for _ in range(12):
            status, body = carol.get(
                f"{base}/review/records.json?ta_status=awaiting+second+reviewer"
                "&_extra=count&_search=exosome")
            assert status == 200 and json.loads(body)["count"] == sql_count(
                db, "ta_status = 'awaiting second reviewer' and id in (select rowid from"
                    " records_fts where records_fts match 'exosome')")
            status, body = carol.get(f"{base}/review/-/screen/progress.json")
            assert json.loads(body)["counts"]["awaiting second reviewer"] == expected
    conn = sqlite3.connect(db)
    assert conn.execute("select reviewer from decisions").fetchall() == [("dave",)]
    assert conn.execute("select count(*) from mscdm_protocol").fetchone() == (0,)
    conn.close()


def test_the_wal_stays_bounded_over_a_thousand_decisions(tmp_path):
    db = tmp_path / "review.db"
    export = synthetic.write_ris(tmp_path / "records.ris", synthetic.make_records(560))
    mscdm("load", db, export)
    add_reviewers(db, {"bob": "reviewer", "carol": "reviewer"})
    wal = tmp_path / "review.db-wal"
    largest, decided = 0, 0
    with serve(db) as base:
        reviewers = []
        for name in ("bob", "carol"):
            client = ReviewerClient(base)
            client.login(name, password_of(name))
            reviewers.append([client, client.next()["record"]])
        while decided < 1000:
            for entry in reviewers:
                client, record = entry
                decision = ("include", "exclude")[decided % 2]
                status, body = client.decide(record["id"], decision,
                                             reason="Other" if decision == "exclude" else None)
                assert status == 201, body
                entry[1] = body["next"]["record"]
                decided += 1
            if decided % 50 == 0:
                browse_filtered(base, times=1)
                largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    print(f"largest WAL over {decided} decisions: {largest / 1e6:.1f} MB")
    # SQLite checkpoints every 1,000 pages (4 MB) unless a reader pins an old
    # snapshot; the old defect grew it by 126 MB per 1,000 decisions.
    assert largest < 16_000_000


def test_behind_a_https_proxy_the_cookie_is_secure_and_throttling_sees_each_client(tmp_path):
    db = build_review_db(tmp_path / "review.db", tmp_path)
    add_reviewers(db)
    with serve(db) as base:
        # uvicorn takes X-Forwarded-Proto/-For from a proxy on 127.0.0.1.
        request = urllib.request.Request(
            f"{base}/review/-/login", data=b"name=bob&password=" + password_of("bob").encode(),
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        client = ReviewerClient(base)
        status, _ = client._send(request)
        assert status == 302
        cookie = [c for c in client.opener.handlers
                  if hasattr(c, "cookiejar")][0].cookiejar
        (ds_actor,) = [c for c in cookie if c.name == "ds_actor"]
        assert ds_actor.secure and ds_actor.has_nonstandard_attr("HttpOnly")
        # Ten failures for one name from ten addresses: the name is throttled
        # for everyone, even with the right password...
        for i in range(10):
            status = ReviewerClient(base).try_login(
                "carol", "wrong-password", {"X-Forwarded-For": f"198.51.100.{i}"})
            assert status == 403
        status = ReviewerClient(base).try_login("carol", password_of("carol"),
                                                {"X-Forwarded-For": "198.51.100.99"})
        assert status == 429
        # ...while another reviewer, from another address, logs in as usual.
        assert ReviewerClient(base).try_login(
            "bob", password_of("bob"), {"X-Forwarded-For": "192.0.2.1"}) == 302
        # Ten failures from one address throttle that address for every name.
        for i in range(10):
            assert ReviewerClient(base).try_login(
                f"nobody{i}", "wrong-password", {"X-Forwarded-For": "192.0.2.66"}) == 403
        assert ReviewerClient(base).try_login(
            "bob", password_of("bob"), {"X-Forwarded-For": "192.0.2.66"}) == 429
        assert ReviewerClient(base).try_login(
            "bob", password_of("bob"), {"X-Forwarded-For": "192.0.2.67"}) == 302
    conn = sqlite3.connect(db)
    addresses = {row[0] for row in conn.execute("select address from mscdm_login_failures")}
    conn.close()
    assert "192.0.2.66" in addresses and "198.51.100.3" in addresses


def test_a_burst_of_logins_cannot_slip_past_the_throttle(tmp_path):
    """Attempts made at once are counted in the same write as the check, so
    no more than the allowed number of passwords is ever tried."""
    import concurrent.futures

    db = build_review_db(tmp_path / "review.db", tmp_path)
    add_reviewers(db)
    with serve(db) as base:
        def attempt(i):
            return ReviewerClient(base).try_login("alice", f"guess-number-{i}")

        with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(attempt, range(40)))
    assert statuses.count(403) <= 10 and statuses.count(429) >= 30, statuses
    assert set(statuses) <= {403, 429}
