#!/usr/bin/env python
"""Prioritised screening in simulation, beside ASReview, and rerank times.

Runs the issue 14 protocol (shuffle with the seed; 1 include + 1 exclude as
priors at positions 1-2; refit on every label, offer the top-ranked record)
over every shared labelled set, seeds 1-5, and prints WSS@95 and
recall@10% beside ASReview LAB 3.0.8's ELAS u4 figures from issue 14, with
the means. Then times a rerank (fit on the labels, score and order every
record) at 10k and 100k synthetic records (scripts/synthetic.py).

    python scripts/bench_rank.py                      # the live ranker + timings
    python scripts/bench_rank.py --variant elas_u4 --variant live
    python scripts/bench_rank.py --all-variants --no-timing --json out.json
    python scripts/bench_rank.py --timing-only

The criteria texts of the sets that have published ones are in
scripts/criteria/ (see its README); the live ranker reads them, as the
server reads the protocol's criteria.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from datasette_mscdm.ranking.labelled import read_labelled  # noqa: E402
from datasette_mscdm.ranking.simulate import simulate  # noqa: E402
from datasette_mscdm.ranking.variants import VARIANTS  # noqa: E402

SHARED = Path(os.environ.get("MSCDM_SHARED", REPO.parent / "shared"))
SCREENING = SHARED / "corpus" / "screening"
CRITERIA = REPO / "scripts" / "criteria"

# set -> (file, ASReview WSS@95, ASReview recall@10%) from issue 14.
SETS = {
    "demo_data": ("asreview_demo/demo_data.csv", 0.440, 0.700),
    "Donners_2021": ("synergy/Donners_2021.csv", 0.574, 0.733),
    "Meijboom_2021": ("synergy/Meijboom_2021.csv", 0.699, 0.811),
    "Jeyaraman_2020": ("synergy/Jeyaraman_2020.csv", 0.633, 0.667),
    "Kitchenham_2010": ("asreview_srd/Kitchenham_2010.csv", 0.672, 0.711),
    "ACEInhibitors": ("cohen_2006/ACEInhibitors.csv", 0.753, 0.829),
}
METRICS = ("WSS@95", "recall@10%", "WSS@100", "recall@25%", "recall@50%", "n@95")


def criteria_for(name: str) -> str | None:
    path = CRITERIA / f"{name}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def run_variant(variant_name: str, set_names, seeds, progress=True) -> dict:
    variant = VARIANTS[variant_name]
    results = {}
    for name in set_names:
        labelled = read_labelled(SCREENING / SETS[name][0])
        started = time.monotonic()
        make = variant.build(labelled, criteria_for(name))
        runs = [simulate(labelled.labels, lambda p, s=seed: make(p, s), seed,
                         random_share=variant.random_share).metrics
                for seed in seeds]
        results[name] = {
            "N": len(labelled), "R": labelled.includes,
            "seconds": round(time.monotonic() - started, 1),
            "per_seed": {m: [run[m] for run in runs] for m in METRICS},
            **{m: float(np.mean([run[m] for run in runs])) for m in METRICS},
        }
        if progress:
            r = results[name]
            print(f"  {variant_name}: {name} WSS@95 {r['WSS@95']:.3f} recall@10% "
                  f"{r['recall@10%']:.3f} ({r['seconds']:.0f} s)", file=sys.stderr, flush=True)
    return results


def print_table(variant_name: str, results: dict, seeds) -> None:
    print(f"\n{variant_name}: {VARIANTS[variant_name].description} (seeds "
          f"{','.join(map(str, seeds))})")
    header = ("| set | records | includes | ASReview WSS@95 | ours WSS@95 | ASReview recall@10% "
              "| ours recall@10% | ours WSS@100 | ours n@95 |")
    print(header)
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        _, asr_wss, asr_recall = SETS[name]
        print(f"| {name} | {r['N']:,} | {r['R']} | {asr_wss:.3f} | {r['WSS@95']:.3f} | "
              f"{asr_recall:.3f} | {r['recall@10%']:.3f} | {r['WSS@100']:.3f} | "
              f"{r['n@95']:.1f} |")
    names = list(results)
    asr_wss = np.mean([SETS[n][1] for n in names])
    asr_recall = np.mean([SETS[n][2] for n in names])
    wss = np.mean([results[n]["WSS@95"] for n in names])
    recall = np.mean([results[n]["recall@10%"] for n in names])
    wss100 = np.mean([results[n]["WSS@100"] for n in names])
    print(f"| **mean** | | | {asr_wss:.3f} | {wss:.3f} ({wss - asr_wss:+.3f}) | "
          f"{asr_recall:.3f} | {recall:.3f} ({recall - asr_recall:+.3f}) | {wss100:.3f} | |")


def time_reranks(sizes=(10_000, 100_000), labelled_shares=(0.1, 0.5), repeats=3) -> list[dict]:
    """Rerank = fit on the labels so far + score every record + order them,
    on a feature store built beforehand (as the server keeps one). Labels are
    random (10% includes): no signal in the text, the hardest case for the
    solver. Also times the stopping estimate and the store's bytes."""
    from synthetic import make_records

    from datasette_mscdm.ranking.features import FeatureStore, record_text
    from datasette_mscdm.ranking.live import rerank
    from datasette_mscdm.ranking.stopping import stopping_estimate

    timings = []
    for n in sizes:
        records = make_records(n, seed=7)
        texts = [record_text(r["title"], r["abstract"], r["keywords"]) for r in records]
        del records
        started = time.monotonic()
        store = FeatureStore.build(np.arange(1, n + 1), texts)
        build_seconds = time.monotonic() - started
        started = time.monotonic()
        blob = store.to_bytes()
        bytes_seconds = time.monotonic() - started
        print(f"{n:,} records: feature store built once in {build_seconds:.1f} s "
              f"({store.matrix.shape[1]:,} features, {store.matrix.nnz / n:.0f} per record); "
              f"to_bytes {bytes_seconds:.1f} s, {len(blob) / 1e6:.0f} MB", flush=True)
        for share in labelled_shares:
            rng = np.random.default_rng(1)
            screened = rng.choice(n, int(n * share), replace=False)
            labels = (rng.random(len(screened)) < 0.1).astype(np.int8)
            ids = store.ids[screened]
            seconds = []
            for repeat in range(repeats):
                started = time.monotonic()
                result = rerank(store, ids, labels, seed=repeat)
                seconds.append(time.monotonic() - started)
            assert result.mode == "model" and len(result.order) == n
            started = time.monotonic()
            stopping_estimate(labels, n)
            stopping_seconds = time.monotonic() - started
            timings.append({"records": n, "labelled": len(ids),
                            "features": store.matrix.shape[1],
                            "build_seconds": round(build_seconds, 2),
                            "store_megabytes": round(len(blob) / 1e6, 1),
                            "rerank_seconds": round(max(seconds), 3),
                            "rerank_seconds_all": [round(s, 3) for s in seconds],
                            "stopping_seconds": round(stopping_seconds, 3)})
            print(f"  rerank with {len(ids):,} labelled: {max(seconds):.2f} s (worst of "
                  f"{repeats}: {', '.join(f'{s:.2f}' for s in seconds)}); stopping estimate "
                  f"over {len(ids):,} screened in random order (its worst case): "
                  f"{stopping_seconds:.2f} s", flush=True)
        del store, blob, texts
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                        help="variant(s) to simulate (default: live)")
    parser.add_argument("--all-variants", action="store_true")
    parser.add_argument("--sets", help="comma-separated set names (default: all six)")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-only", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    set_names = args.sets.split(",") if args.sets else list(SETS)
    variants = sorted(VARIANTS) if args.all_variants else (args.variant or ["live"])
    report = {"seeds": seeds, "variants": {}, "timings": None}
    if not args.timing_only:
        for variant_name in variants:
            results = run_variant(variant_name, set_names, seeds)
            report["variants"][variant_name] = results
            print_table(variant_name, results, seeds)
            if args.json:
                args.json.write_text(json.dumps(report, indent=1))
    if not args.no_timing:
        print()
        report["timings"] = time_reranks()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
