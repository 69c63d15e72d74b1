import csv
import os
import sqlite3
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The shared corpus sits beside the checkout (../shared), as on CI.
SHARED = Path(os.environ.get("MSCDM_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
DATA = REPO / "data"
ARTEFACTS = REPO / "tests" / "artefacts"


@pytest.fixture
def fresh_db(tmp_path):
    """Path of a review database that does not exist yet."""
    return tmp_path / "review.db"


@pytest.fixture
def rows():
    """Query a database file: rows(db, sql, params) -> list of dicts."""

    def query(db, sql, params=()):
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    return query


def manifest_rows():
    with open(CORPUS / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fts_matches_records(db) -> bool:
    """Every record is in the full-text index exactly once (FTS5 keeps one
    docsize row per indexed row; a count of the FTS table itself would only
    read the external content table)."""
    conn = sqlite3.connect(db)
    try:
        indexed = {r[0] for r in conn.execute("select id from records_fts_docsize")}
        records = {r[0] for r in conn.execute("select id from records")}
        return indexed == records
    finally:
        conn.close()


# scripts/synthetic.py writes the generated exports the load tests use.
if str(REPO / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO / "scripts"))
