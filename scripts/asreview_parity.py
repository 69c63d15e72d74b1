#!/usr/bin/env python
"""Our ELAS u4 against ASReview LAB's own code, same shuffle, same priors.

For each shared labelled set and seed, draws the issue 14 protocol's shuffle
and priors once (`simulate.protocol_start`), runs our ELAS u4
(`simulate.simulate_elas`) and ASReview LAB's own simulation loop with its
default model on exactly that shuffle and those priors
(scripts/asreview_parity_worker.py, in an interpreter that has asreview
installed), and compares the two screening orders record by record, then the
metrics, beside issue 14's ASReview figures.

    python -m venv /tmp/asr && /tmp/asr/bin/pip install asreview==3.0.8
    python scripts/asreview_parity.py --asreview-python /tmp/asr/bin/python
    python scripts/asreview_parity.py --asreview-python /tmp/asr/bin/python \\
        --sets demo_data,Meijboom_2021 --seeds 1,2,3 --json parity.json

asreview is not a dependency of this project and nothing of it is copied
here: the worker imports it and calls it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_rank import SCREENING, SETS  # noqa: E402

from datasette_mscdm.ranking.features import TextSettings, record_text  # noqa: E402
from datasette_mscdm.ranking.labelled import read_labelled  # noqa: E402
from datasette_mscdm.ranking.metrics import screening_metrics  # noqa: E402
from datasette_mscdm.ranking.simulate import protocol_start, simulate_elas  # noqa: E402

WORKER = REPO / "scripts" / "asreview_parity_worker.py"


def first_difference(ours: list[int], theirs: list[int]) -> int | None:
    """0-based position of the first record the two orders disagree on
    (within the shorter one: asreview stops at the last include), or None."""
    for position, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            return position
    return None


def padded(order: list[int], n: int) -> list[int]:
    """An order cut at the last include, completed with the records left (all
    excludes, so no metric depends on their order)."""
    seen = set(order)
    return list(order) + [i for i in range(n) if i not in seen]


def compare_set(name: str, seeds, asreview_python: str) -> dict:
    labelled = read_labelled(SCREENING / SETS[name][0])
    starts = {seed: protocol_start(labelled.labels, seed) for seed in seeds}
    job = {"file": str(SCREENING / SETS[name][0]), "rows": list(labelled.rows), "ai": "elas_u4",
           "runs": [{"seed": seed, "permutation": permutation.tolist(), "priors": priors}
                    for seed, (permutation, priors) in starts.items()]}
    started = time.monotonic()
    done = subprocess.run([asreview_python, str(WORKER)], input=json.dumps(job), text=True,
                          capture_output=True, check=False)
    if done.returncode:
        raise SystemExit(f"{WORKER.name} failed on {name}:\n{done.stderr[-2000:]}")
    theirs = json.loads(done.stdout)
    asreview_seconds = time.monotonic() - started
    if [int(v) for v in theirs["labels"]] != labelled.labels.tolist():
        raise SystemExit(f"{name}: asreview reads other labels than ours")
    # Same words for the model? Compare what the TF-IDF analyser makes of each text.
    analyse = TextSettings().vectoriser().build_analyzer()
    ours_texts = [record_text(t, a) for t, a in zip(labelled.titles, labelled.abstracts)]
    text_differs = sum(analyse(a) != analyse(b) for a, b in zip(ours_texts, theirs["texts"]))
    started = time.monotonic()
    runs = []
    n = len(labelled)
    for seed in seeds:
        ours = simulate_elas(labelled, seed=seed).order.tolist()
        asreview_order = theirs["orders"][str(seed)]
        last_include = int(np.flatnonzero(labelled.labels[asreview_order] == 1)[-1])
        differs_at = first_difference(ours, asreview_order)
        ours_metrics = screening_metrics(labelled.labels[ours])
        their_metrics = screening_metrics(labelled.labels[padded(asreview_order, n)])
        runs.append({"seed": seed, "first_difference": differs_at,
                     "same_through_last_include": differs_at is None or differs_at > last_include,
                     "ours": ours_metrics, "asreview": their_metrics})
    return {"N": n, "R": labelled.includes, "tokens_differ": text_differs,
            "asreview_version": theirs["asreview_version"], "runs": runs,
            "seconds": {"asreview": round(asreview_seconds, 1),
                        "ours": round(time.monotonic() - started, 1)}}


def mean(runs, who, metric):
    return float(np.mean([run[who][metric] for run in runs]))


def print_table(results: dict, seeds) -> None:
    version = next(iter(results.values()))["asreview_version"]
    print(f"\nELAS u4: ASReview LAB {version}'s own simulation vs ours, same shuffle and priors "
          f"(seeds {','.join(map(str, seeds))}); issue 14's ASReview figures beside them")
    print("| set | records | includes | issue WSS@95 | ASReview here WSS@95 | ours WSS@95 | "
          "issue recall@10% | ASReview here recall@10% | ours recall@10% | same order through "
          "the last include | texts tokenised differently |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        runs = r["runs"]
        same = sum(run["same_through_last_include"] for run in runs)
        print(f"| {name} | {r['N']:,} | {r['R']} | {SETS[name][1]:.3f} | "
              f"{mean(runs, 'asreview', 'WSS@95'):.3f} | {mean(runs, 'ours', 'WSS@95'):.3f} | "
              f"{SETS[name][2]:.3f} | {mean(runs, 'asreview', 'recall@10%'):.3f} | "
              f"{mean(runs, 'ours', 'recall@10%'):.3f} | {same}/{len(runs)} | "
              f"{r['tokens_differ']} |")
    names = list(results)
    row = [np.mean([SETS[n][1] for n in names]),
           np.mean([mean(results[n]["runs"], "asreview", "WSS@95") for n in names]),
           np.mean([mean(results[n]["runs"], "ours", "WSS@95") for n in names]),
           np.mean([SETS[n][2] for n in names]),
           np.mean([mean(results[n]["runs"], "asreview", "recall@10%") for n in names]),
           np.mean([mean(results[n]["runs"], "ours", "recall@10%") for n in names])]
    print("| **mean** | | | " + " | ".join(f"{v:.3f}" for v in row) + " | | |")
    parted = [(name, run) for name, r in results.items() for run in r["runs"]
              if not run["same_through_last_include"]]
    print("\nRuns whose orders part before the last include (a near tie that the solver's "
          f"tolerance decides): {len(parted) or 'none'}")
    for name, run in parted:
        print(f"  {name} seed {run['seed']}: from position {run['first_difference'] + 1}; "
              f"WSS@95 {run['asreview']['WSS@95']:.3f} vs ours {run['ours']['WSS@95']:.3f}, "
              f"recall@10% {run['asreview']['recall@10%']:.3f} vs ours "
              f"{run['ours']['recall@10%']:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--asreview-python", required=True,
                        help="a Python interpreter with asreview installed")
    parser.add_argument("--sets", help="comma-separated set names (default: all six)")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.sets.split(",") if args.sets else list(SETS)
    results = {}
    for name in names:
        results[name] = compare_set(name, seeds, args.asreview_python)
        r = results[name]
        print(f"  {name}: ASReview {r['seconds']['asreview']:.0f} s, ours "
              f"{r['seconds']['ours']:.0f} s", file=sys.stderr, flush=True)
        if args.json:
            args.json.write_text(json.dumps({"seeds": seeds, "sets": results}, indent=1))
    print_table(results, seeds)


if __name__ == "__main__":
    main()
