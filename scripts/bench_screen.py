#!/usr/bin/env python
"""Benchmark screening against a real `datasette` process.

Builds an N-record review database (default 100k) with `mscdm load`, adds R
reviewers (default 10), serves it with `datasette serve` on a free
127.0.0.1 port, and has every reviewer screen at once through the JSON
endpoint a script or the screening page uses: each request records a
decision and returns the next record for that reviewer. Prints p50/p95 of
that round trip in ms, decisions per second, and checks afterwards that
every decision was stored and every status matches.

    python scripts/bench_screen.py                  # 100k records, 10 reviewers
    python scripts/bench_screen.py --records 20000 --decisions 100
    python scripts/bench_screen.py --db existing.db  # reuse a database (copied first)
    python scripts/bench_screen.py --think 2         # reviewers pause ~2 s per record
    python scripts/bench_screen.py --order priority  # reranks in the background meanwhile

Without --think every reviewer posts again as soon as the answer arrives
(a closed loop: the server is never idle, the worst case). With --think,
each waits a random 0-2x that many seconds between records, as people do.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from bench_browse import build, percentile  # noqa: E402
from screen_client import ReviewerClient  # noqa: E402
from serve import serve  # noqa: E402

from datasette_mscdm.loader import open_database  # noqa: E402
from datasette_mscdm.screening import rules, store  # noqa: E402
from datasette_mscdm.screening.protocol import parse_protocol  # noqa: E402


def add_reviewers(db: Path, n: int) -> list[str]:
    # open_database brings a database built by an older version up to date.
    conn = open_database(db).conn
    names = [f"bench{i:02}" for i in range(n)]
    for name in names:
        if store.active_reviewer(conn, name) is None:
            store.add_reviewer(conn, name, "reviewer", f"{name}-password")
    conn.close()
    return names


def screen(base, name, decisions, times, failures, lock, think=0.0):
    try:
        client = ReviewerClient(base)
        client.login(name, f"{name}-password")
        record = client.next()["record"]
        chooser = random.Random(name)
        mine = []
        for _ in range(decisions):
            if think:
                time.sleep(chooser.uniform(0, 2 * think))
            decision = chooser.choice(("include", "exclude", "exclude", "maybe"))
            started = time.perf_counter()
            status, body = client.decide(record["id"], decision, request_id=uuid.uuid4().hex,
                                         reason="Other" if decision == "exclude" else None)
            mine.append((time.perf_counter() - started) * 1000)
            if status != 201:
                raise RuntimeError(f"HTTP {status}: {body}")
            record = body["next"]["record"]
        with lock:
            times.extend(mine)
    except Exception as error:
        failures.append(f"{name}: {error!r}")


def set_order(db: Path, order: str) -> None:
    conn = open_database(db).conn
    protocol = store.stored_protocol(conn) or parse_protocol({})
    if protocol.order != order:
        with conn:
            store.save_protocol(conn, parse_protocol(dict(protocol.to_config(), order=order)),
                                "bench")
    conn.close()


def wait_first_rerank(base: str, db: Path, timeout: float = 600) -> float:
    """Open a screening page (a rerank becomes due) and wait for it."""
    client = ReviewerClient(base)
    client.login("bench00", "bench00-password")
    started = time.perf_counter()
    client.get(f"{base}/review/-/screen")
    while time.perf_counter() - started < timeout:
        conn = sqlite3.connect(db)
        done = conn.execute("select count(*) from mscdm_retrains").fetchone()[0]
        conn.close()
        if done:
            return time.perf_counter() - started
        time.sleep(0.5)
    raise RuntimeError("no rerank within the timeout")


def reranks(db: Path) -> str:
    conn = sqlite3.connect(db)
    rows = conn.execute("select mode, labels_used, seconds from mscdm_retrains order by id"
                        ).fetchall()
    conn.close()
    if not rows:
        return "priority order: no rerank finished during the run"
    seconds = [r[2] for r in rows]
    return (f"priority order: {len(rows)} reranks finished during the run (modes "
            f"{sorted({r[0] for r in rows})}, up to {max(r[1] for r in rows)} labels); "
            f"seconds each (first includes building the feature store): "
            f"{', '.join(f'{x:.1f}' for x in seconds)}")


def check(db: Path) -> str:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    wrong = 0
    decided = [r[0] for r in conn.execute("select distinct record_id from decisions")]
    for record_id in decided:
        rows = [dict(r) for r in conn.execute(
            "select * from decisions where record_id = ? and stage = 'title_abstract'"
            " order by id", [record_id])]
        status = conn.execute("select ta_status from records where id = ?",
                              [record_id]).fetchone()[0]
        wrong += status != rules.stage_status(rows, 2)[0]
    total = conn.execute("select count(*) from decisions").fetchone()[0]
    conn.close()
    return f"{total} decisions stored on {len(decided)} records; statuses wrong: {wrong}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--decisions", type=int, default=200, help="per reviewer")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a reviewer reads each record (default 0)")
    parser.add_argument("--db", type=Path, help="an existing review database (copied first)")
    parser.add_argument("--order", choices=("random", "priority"), default="random",
                        help="the protocol's order; priority reranks in the background while "
                             "the reviewers screen, and the reranks are listed")
    parser.add_argument("--warm", action="store_true",
                        help="with --order priority, start the reviewers once the first rerank "
                             "(which builds the feature store) has finished")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "review.db"
        if args.db:
            shutil.copy(args.db, db)
        else:
            build(db, args.records)
        names = add_reviewers(db, args.reviewers)
        set_order(db, args.order)
        times, failures, lock = [], [], threading.Lock()
        with serve(db) as base:
            if args.order == "priority" and args.warm:
                print(f"first rerank (builds the feature store): {wait_first_rerank(base, db):.1f} s")
            threads = [threading.Thread(target=screen, args=(base, name, args.decisions, times,
                                                             failures, lock, args.think))
                       for name in names]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        if failures:
            print(f"{len(failures)} reviewers failed, e.g. {failures[0]}")
        print(f"{args.reviewers} reviewers x {args.decisions} decisions"
              f"{f', ~{args.think:g} s reading each' if args.think else ' back to back'}, "
              f"{len(times)} round trips in {elapsed:.1f} s ({len(times) / elapsed:.0f}/s)")
        print(f"record a decision + get the next record: p50 {statistics.median(times):.1f} ms,"
              f" p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms")
        print(check(db))
        if args.order == "priority":
            print(reranks(db))


if __name__ == "__main__":
    main()
