#!/usr/bin/env python
"""Benchmark `mscdm load` end to end: records/s and peak RSS.

Generates N realistic records (~1.5 KB abstracts, 10% exact duplicates) in
seed format A (one file per record, as aggregator collections are), RIS and
MEDLINE, loads each into a fresh database with `python -m datasette_mscdm
load` in its own process (parse, normalise, exact dedup, occurrences with
raw text, FTS5 index, commit), and prints the figures.

    python scripts/bench_load.py            # N = 10k and 100k
    python scripts/bench_load.py --million  # also 1M (RIS and MEDLINE)
    python scripts/bench_load.py --sizes 5000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402


def run_load(db: Path, target: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of one load in a new process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "datasette_mscdm", "load", str(db),
                                str(target)], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also N = 1,000,000")
    parser.add_argument("--formats", nargs="*", default=list(synthetic.WRITERS))
    args = parser.parse_args()
    sizes = args.sizes + ([1_000_000] if args.million else [])
    print(f"{'format':<8} {'N':>9} {'seconds':>8} {'records/s':>10} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in sizes:
            records = synthetic.make_records(n, seed=n)
            for name in args.formats:
                if name == "seed-a" and n >= 1_000_000:
                    continue  # a million files is a file-system benchmark
                target = tmp / f"{name}-{n}"
                writer = synthetic.WRITERS[name]
                writer(target if name == "seed-a" else target.with_suffix(".txt"), records)
                if name != "seed-a":
                    target = target.with_suffix(".txt")
                db = tmp / f"{name}-{n}.db"
                seconds, rss, status = run_load(db, target)
                flag = "" if status == 0 else f"  (exit {status})"
                print(f"{name:<8} {n:>9,} {seconds:>8.2f} {n / seconds:>10,.0f} {rss:>12.0f}{flag}",
                      flush=True)
                db.unlink()
                if name == "seed-a":
                    for f in target.iterdir():
                        f.unlink()
                    target.rmdir()
                else:
                    target.unlink()
            del records


if __name__ == "__main__":
    main()
