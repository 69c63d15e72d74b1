#!/usr/bin/env python
"""Benchmark duplicate detection: accuracy on the shared labelled sets, and speed.

For each set in ../shared/corpus/dedup (or --corpus): today's exact rule
(the loader's same DOI / PMID / title+year+first author, replayed), the
engine with its shipped thresholds, and leave-one-set-out (thresholds chosen
on the other sets, counted on the held-out one). Counting is bib-dedupe's:
sensitivity = TP/(TP+FN), specificity = TN/(TN+FP) over records, each
predicted cluster keeping its first record; "maybe" pairs (queued for a
person) count as not merged and are reported apart. Then the time to find
duplicates among 10k and 100k synthetic records (scripts/synthetic.py:
translated titles, notes, typos, missing authors, percent-encoded DOIs,
supplement DOIs shared by different abstracts, errata, repeated editorials),
with their own sensitivity/specificity.

Then the live path, as a review uses it: each shared set (as CSV) and the
synthetic records (as RIS) loaded with `mscdm load` into a fresh database
(duplicates merged and queued as they load), then `mscdm dedup` over the
whole review, each in its own process: the time of both, and
sensitivity/specificity of the records the database ends with.

    python scripts/bench_dedup.py                 # everything
    python scripts/bench_dedup.py --sizes 10000   # one synthetic size
    python scripts/bench_dedup.py --no-loso       # skip cross-validation
    python scripts/bench_dedup.py --no-engine     # the live path only
    python scripts/bench_dedup.py --no-live       # the engine only
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

from datasette_mscdm.dedup import DEFAULT_THRESHOLDS, DedupRecord, find_duplicates  # noqa: E402
from datasette_mscdm.dedup.evaluate import (Counts, count, evaluate, evaluate_baseline,  # noqa: E402
                                            leave_one_set_out, load_benchmark)
from datasette_mscdm.duplicates.tables import file_clusters  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dedup"


def benchmark_sets(corpus: Path):
    folders = sorted(p for p in corpus.iterdir() if p.is_dir())
    return [load_benchmark(p) for p in folders]


def synthetic_records(n: int, seed: int = 7):
    rows = synthetic.make_dedup_records(n, seed=seed)
    records = [DedupRecord.of(i, title=r["title"], authors=r["authors"], year=r["year"],
                              journal=r["journal"], volume=r["volume"], issue=r["issue"],
                              pages=r["pages"], doi=r["doi"]) for i, r in enumerate(rows)]
    groups = {i: r["group"] for i, r in enumerate(rows)}
    return records, groups


def write_ris(path: Path, rows: list[dict]) -> Path:
    """The synthetic dedup records as a RIS export (one record per row, in order)."""
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(f"TY  - JOUR\nTI  - {r['title']}\n")
            for author in r["authors"]:
                f.write(f"AU  - {author}\n")
            f.write(f"PY  - {r['year']}\nT2  - {r['journal']}\nVL  - {r['volume']}\n"
                    f"IS  - {r['issue']}\n")
            start, _, end = (r["pages"] or "").partition("-")
            if start:
                f.write(f"SP  - {start}\n" + (f"EP  - {end}\n" if end else ""))
            if r["doi"]:
                f.write(f"DO  - {r['doi']}\n")
            f.write("ER  - \n\n")
    return path


def timed(*args) -> tuple[float, float, str]:
    """(seconds, CPU seconds, stdout) of `python -m datasette_mscdm ARGS` in
    its own process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "datasette_mscdm", *map(str, args)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"mscdm {args[0]} failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, out


def live(db: Path, export: Path, ids: list, groups: dict) -> str:
    """Load `export` into a fresh `db`, run `mscdm dedup`, count: one line."""
    load_s, load_cpu, _ = timed("load", db, export)
    dedup_s, dedup_cpu, out = timed("dedup", db, "--json")
    run = json.loads(out)
    conn = sqlite3.connect(db)
    clusters = file_clusters(conn, 1, ids)
    pairs = conn.execute("SELECT count(*) FROM mscdm_dedup_pairs").fetchone()[0]
    conn.close()
    counts = count(ids, groups, clusters, pairs)
    return (f"load {load_s:6.1f} s (CPU {load_cpu:5.1f}), mscdm dedup {dedup_s:6.1f} s "
            f"(CPU {dedup_cpu:5.1f}; merged {run['merged_records']}, queued "
            f"{run['queued_pairs']})\n    {counts.line()}")


def live_path(sets, corpus: Path, sizes: list[int]):
    print("\nLive path: `mscdm load` (duplicates merged and queued as they load), then"
          " `mscdm dedup` over the whole review; each in its own process")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for benchmark in sets:
            [export] = sorted((corpus / benchmark.name).glob("*records_with_groups.csv"))
            db = tmp / f"{benchmark.name}.db"
            print(f"  {benchmark.name}: "
                  + live(db, export, benchmark.ids, benchmark.groups), flush=True)
        for n in sizes:
            rows = synthetic.make_dedup_records(n, seed=7)
            export = write_ris(tmp / f"synthetic-{n}.ris", rows)
            ids = list(range(n))
            groups = {i: r["group"] for i, r in enumerate(rows)}
            print(f"  synthetic {n:>7,}: " + live(tmp / f"synthetic-{n}.db", export, ids, groups),
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--no-loso", action="store_true")
    parser.add_argument("--no-engine", action="store_true", help="the live path only")
    parser.add_argument("--no-live", action="store_true", help="the engine only")
    args = parser.parse_args()

    sets = benchmark_sets(args.corpus)
    if not args.no_engine:
        engine(args, sets)
    if not args.no_live:
        live_path(sets, args.corpus, args.sizes)


def engine(args, sets):
    print(f"Shared sets in {args.corpus} (thresholds: {DEFAULT_THRESHOLDS})")
    baseline_total, engine_total = Counts(), Counts()
    for benchmark in sets:
        started = time.perf_counter()
        counts, _ = evaluate(benchmark)
        seconds = time.perf_counter() - started
        baseline = evaluate_baseline(benchmark)
        baseline_total, engine_total = baseline_total + baseline, engine_total + counts
        print(f"\n{benchmark.name} ({len(benchmark.records)} records)")
        print(f"  today's exact rule  {baseline.line()}")
        print(f"  engine              {counts.line()}  [{seconds:.2f} s]")
    print("\nAll sets pooled")
    print(f"  today's exact rule  {baseline_total.line()}")
    print(f"  engine              {engine_total.line()}")

    if not args.no_loso and len(sets) > 1:
        print("\nLeave one set out (thresholds chosen on the other sets, counted on the held-out one)")
        pooled = Counts()
        for held in leave_one_set_out(sets):
            pooled = pooled + held.counts
            t = held.thresholds
            print(f"  {held.name:<34} title_duplicate={t.title_duplicate} "
                  f"title_with_id={t.title_with_id}")
            print(f"    held out  {held.counts.line()}")
        print(f"  pooled held-out  {pooled.line()}")

    for n in args.sizes:
        records, groups = synthetic_records(n)
        started = time.perf_counter()
        result = find_duplicates(records)
        seconds = time.perf_counter() - started
        counts = count([r.id for r in records], groups, result.clusters, len(result.maybe))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nsynthetic {n:>7,} records: {seconds:6.1f} s ({n / seconds:,.0f} records/s), "
              f"{result.compared:,} candidate pairs, peak RSS {peak:,.0f} MB")
        print(f"  {counts.line()}")


if __name__ == "__main__":
    main()
