import csv
import os
import sqlite3
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
