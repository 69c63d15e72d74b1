#!/usr/bin/env python
"""A digest of what `mscdm load` stores, to check that a change to the load
path changes no outcome (a speed-up must give byte-identical tables).

Loads the given files or folders into a fresh database with the CLI (in its
own process, so the checkout on PYTHONPATH is the code measured) and prints
one SHA-256 per table and one over all of them:

    python scripts/load_fingerprint.py /tmp/r10k.ris --serial
    python scripts/load_fingerprint.py corpus/exports            # read-ahead if large
    python scripts/load_fingerprint.py a.csv --keep /tmp/a.db     # keep the database

Timestamps (the wall clock of the load) are left out; ids are kept, as they follow from the order of the input, and a
change that renumbered records or occurrences would be a change of outcome.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

# table -> columns left out of the digest (they record when, not what)
TABLES = {
    "sources": {"loaded_at"},
    "records": {"created_at", "updated_at"},
    "occurrences": set(),
    "record_terms": set(),
    "mscdm_merges": {"created_at"},
    "mscdm_dedup_keys": set(),
    "mscdm_dedup_pairs": {"found_at"},
}


def table_digest(conn: sqlite3.Connection, table: str, skip: set[str]) -> tuple[str, int]:
    """(SHA-256 of the table's rows in a fixed order, row count)."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")
               if row[1] not in skip]
    listed = ", ".join(columns)
    digest = hashlib.sha256()
    count = 0
    for row in conn.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}"):
        digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
        count += 1
    return digest.hexdigest(), count


def fingerprint(db: Path) -> dict[str, tuple[str, int]]:
    conn = sqlite3.connect(str(db))
    try:
        return {table: table_digest(conn, table, skip) for table, skip in TABLES.items()}
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="files or folders to load")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--serial", action="store_const", const="--serial", dest="mode")
    mode.add_argument("--read-ahead", action="store_const", const="--read-ahead", dest="mode")
    parser.add_argument("--keep", type=Path, help="load into this (new) database and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "fingerprint.db"
        if db.exists():
            parser.error(f"{db} exists: the load must start from a fresh database")
        command = [sys.executable, "-m", "datasette_mscdm", "load", str(db), *args.paths]
        if args.mode:
            command.append(args.mode)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        tables = fingerprint(db)
    whole = hashlib.sha256()
    for table, (digest, count) in tables.items():
        print(f"{table:<20} {count:>8} {digest[:16]}")
        whole.update(f"{table} {count} {digest}\n".encode())
    print(f"{'all':<20} {'':>8} {whole.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
