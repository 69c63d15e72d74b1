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

    python scripts/bench_dedup.py                 # everything
    python scripts/bench_dedup.py --sizes 10000   # one synthetic size
    python scripts/bench_dedup.py --no-loso       # skip cross-validation
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

from datasette_mscdm.dedup import DEFAULT_THRESHOLDS, DedupRecord, find_duplicates  # noqa: E402
from datasette_mscdm.dedup.evaluate import (Counts, count, evaluate, evaluate_baseline,  # noqa: E402
                                            leave_one_set_out, load_benchmark)

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--no-loso", action="store_true")
    args = parser.parse_args()

    sets = benchmark_sets(args.corpus)
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
