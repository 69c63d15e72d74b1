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
    python scripts/bench_load.py --floor    # also: SQLite alone writing the same rows

--floor copies each loaded database's rows into a fresh database with plain
INSERT ... SELECT (no Python per row: records, occurrences with their raw
text, facet terms, then the full-text index and the commit), which is the
most any loader of this schema can do on this machine.
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


def run_load(db: Path, target: Path) -> tuple[float, float, float, int]:
    """(seconds, CPU seconds, peak RSS in MB, exit status) of one load in a
    new process. CPU seconds (user + system, the loader and its read-ahead
    process) are the figure to compare on a shared machine, where wall time
    depends on what else runs."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "datasette_mscdm", "load", str(db),
                                str(target)], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also N = 1,000,000")
    parser.add_argument("--formats", nargs="*", default=list(synthetic.WRITERS))
    parser.add_argument("--floor", action="store_true",
                        help="also time SQLite alone writing the loaded rows into a fresh database")
    args = parser.parse_args()
    sizes = args.sizes + ([1_000_000] if args.million else [])
    print(f"{'format':<8} {'N':>9} {'seconds':>8} {'records/s':>10} {'CPU s':>8} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in sizes:
            targets = generate(tmp, n, args.formats)
            for name, target in targets.items():
                db = tmp / f"{name}-{n}.db"
                seconds, cpu, rss, status = run_load(db, target)
                flag = "" if status == 0 else f"  (exit {status})"
                print(f"{name:<8} {n:>9,} {seconds:>8.2f} {n / seconds:>10,.0f} {cpu:>8.2f}"
                      f" {rss:>12.0f}{flag}", flush=True)
                if args.floor:
                    floor = sqlite_floor(db, tmp / "floor.db")
                    print(f"{'  SQLite':<8} {n:>9,} {floor:>8.2f} {n / floor:>10,.0f}"
                          "  (SQLite alone writing the same rows)", flush=True)
                for path in [db, *db.parent.glob(db.name + "-*")]:
                    path.unlink()
                remove(target)


def sqlite_floor(loaded: Path, target: Path) -> float:
    """Seconds SQLite takes to write `loaded`'s rows into a fresh database of
    the same schema, with the settings `mscdm load` uses when it creates a
    database, in one transaction."""
    from datasette_mscdm.loader import open_database

    database = open_database(target)
    conn = database.conn
    conn.execute("PRAGMA journal_mode=DELETE")  # as `mscdm load` creating a database
    conn.execute("ATTACH ? AS loaded", [str(loaded)])
    started = time.perf_counter()
    conn.execute("BEGIN")
    for table in ("sources", "records", "occurrences", "record_terms"):
        columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA loaded.table_info({table})"))
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM loaded.{table}")
    conn.execute("INSERT INTO records_fts (rowid, title, abstract, keywords)"
                 " SELECT id, title, abstract, keywords FROM main.records")
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.execute("DETACH loaded")
    conn.close()
    for path in [target, *target.parent.glob(target.name + "-*")]:
        path.unlink()
    return seconds


def generate(tmp: Path, n: int, names: list[str]) -> dict[str, Path]:
    """Write the inputs in a child process, so the records it builds are not
    in this process's memory when it forks the loaders (a forked child's
    peak RSS would count them)."""
    script = (
        "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import synthetic\n"
        "n = int(sys.argv[2]); records = synthetic.make_records(n, seed=n)\n"
        "for name, path in zip(sys.argv[3::2], sys.argv[4::2]):\n"
        "    synthetic.WRITERS[name](pathlib.Path(path), records)\n"
    )
    targets = {}
    for name in names:
        if name == "seed-a" and n >= 1_000_000:
            continue  # a million files is a file-system benchmark
        targets[name] = tmp / (f"{name}-{n}" if name == "seed-a" else f"{name}-{n}.txt")
    pairs = [str(x) for name, path in targets.items() for x in (name, path)]
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).resolve().parent), str(n),
                    *pairs], check=True)
    return targets


def remove(target: Path):
    if target.is_dir():
        for path in target.iterdir():
            path.unlink()
        target.rmdir()
    else:
        target.unlink()


if __name__ == "__main__":
    main()
