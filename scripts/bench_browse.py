#!/usr/bin/env python
"""Benchmark browsing a large review database in a real `datasette` process.

Builds an N-record database (default 100k) from realistic synthetic records
with `mscdm load` (so tags, terms and the full-text index are real), serves
it with `datasette serve` on a free 127.0.0.1 port with this repository's
metadata.yml and datasette.yaml, and times the records table page with every
configured facet: plain, with a full-text search, with a tag filter, as HTML
and as JSON, the record, overview, PRISMA and dashboard pages (after adding
--decisions screening votes). Prints p50/p95 in ms and whether any facet
timed out.

    python scripts/bench_browse.py              # 100k records, 30 requests each
    python scripts/bench_browse.py --records 20000 --requests 10
    python scripts/bench_browse.py --db existing.db   # reuse a database
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import synthetic  # noqa: E402
from serve import serve  # noqa: E402

PAGES = {
    "table HTML, all facets": "/review/records",
    "table JSON, all facets": "/review/records.json?_extra=facet_results,facets_timed_out,count",
    "search 'exosome' HTML": "/review/records?_search=exosome",
    "search 'exosome' JSON": ("/review/records.json?_search=exosome"
                              "&_extra=facet_results,facets_timed_out,count"),
    "tag filter JSON": ("/review/records.json?_term=vesicle:Exosome"
                        "&_extra=facet_results,facets_timed_out,count"),
    "year + search JSON": ("/review/records.json?year=2020&_search=diabetes"
                           "&_extra=facet_results,facets_timed_out,count"),
    "record page": "/review/-/record/1",
    "overview page": "/review/-/overview",
    "PRISMA page": "/review/-/prisma",
    "dashboard page": "/review/-/review",
}


def build(db: Path, n: int):
    with tempfile.TemporaryDirectory() as tmp:
        ris = synthetic.write_ris(Path(tmp) / "records.ris", synthetic.make_records(n, seed=11))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "datasette_mscdm", "load", str(db), str(ris)],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"built {n:,} records in {time.perf_counter() - started:.1f} s", flush=True)


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", type=Path, help="an existing review database named review.db")
    parser.add_argument("--decisions", type=int, default=20_000,
                        help="title/abstract votes to add first (two per record; default "
                             "20,000), so PRISMA and the dashboard have work to show")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "review.db"
        if not args.db:
            build(db, args.records)
        if args.decisions:
            written = synthetic.screen_randomly(db, args.decisions // 2)
            print(f"added {written:,} screening decisions", flush=True)
        with serve(db) as base:
            print(f"{'page':<26} {'p50 ms':>8} {'p95 ms':>8}  facets timed out")
            for name, path in PAGES.items():
                times, timed_out, errors = [], set(), []
                for attempt in range(args.requests + 1):  # the first one warms the cache
                    started = time.perf_counter()
                    try:
                        body = urllib.request.urlopen(base + path).read()
                    except urllib.error.HTTPError as error:
                        errors.append(f"HTTP {error.code}: {error.read()[:300]!r}")
                        continue
                    if attempt:
                        times.append((time.perf_counter() - started) * 1000)
                    if ".json" in path and "facets_timed_out" in path:
                        timed_out.update(json.loads(body).get("facets_timed_out") or [])
                if errors:
                    print(f"{name:<26} {len(errors)} failed requests, e.g. {errors[0]}", flush=True)
                if times:
                    print(f"{name:<26} {statistics.median(times):>8.0f} "
                          f"{percentile(times, 0.95):>8.0f}  {', '.join(sorted(timed_out)) or 'none'}",
                          flush=True)


if __name__ == "__main__":
    main()
