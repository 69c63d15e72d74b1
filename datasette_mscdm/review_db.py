"""Read queries the plugin's pages run against a review database (a datasette
Database object). Kept here, out of the views, so each page is a thin view
over named queries."""

from __future__ import annotations

import functools
import json

from .highlight import Highlighter
from .tagging import load_vocabulary, parse_vocabulary
from .terms import BUILTIN_FACETS

# Canned aggregate queries opened as charts in datasette-vega. datasette-vega
# charts only the rows of one page, so every chart is of an aggregate; its
# settings travel in the URL fragment (g.mark, g.x_column, ...). The SQL is
# shown on the query page as written: short lines, so it fits a phone.
CHART_QUERIES = {
    # Years on a time axis (the year as text, which Vega reads as a date):
    # as labelled bars, 80 years of records made a chart wider than the page.
    "mscdm_records_per_year": {
        "title": "Records per publication year",
        "sql": "select cast(year as text) as year,\n  count(*) as records\nfrom records\n"
               "where year is not null\ngroup by year\norder by year",
        "chart": {"mark": "bar", "x_column": "year", "x_type": "temporal",
                  "y_column": "records", "y_type": "quantitative"},
    },
    "mscdm_records_per_journal": {
        "title": "Records per journal (top 30)",
        "sql": "select journal,\n  count(*) as records\nfrom records\n"
               "where journal is not null\ngroup by journal\n"
               "order by records desc, journal\nlimit 30",
        # Long category names: horizontal bars, one row per name (as columns
        # they made charts wider than the page).
        "chart": {"mark": "bar", "x_column": "records", "x_type": "quantitative",
                  "y_column": "journal", "y_type": "nominal"},
    },
    "mscdm_records_per_study_design": {
        "title": "Records per study design (automatic tags)",
        "sql": "select term as study_design,\n  count(*) as records\nfrom record_terms\n"
               "where facet = 'design'\ngroup by term\norder by records desc",
        "chart": {"mark": "bar", "x_column": "study_design", "x_type": "nominal",
                  "y_column": "records", "y_type": "quantitative"},
    },
    "mscdm_records_per_tag": {
        "title": "Records per automatic domain tag",
        "sql": "select facet as tag_group,\n  term as tag,\n  count(*) as records\n"
               "from record_terms\nwhere facet not in\n  ('publication_type', 'database')\n"
               "group by facet, term\norder by records desc",
        "chart": {"mark": "bar", "x_column": "records", "x_type": "quantitative",
                  "y_column": "tag", "y_type": "nominal", "color_column": "tag_group"},
    },
    "mscdm_records_per_source": {
        "title": "Records identified per source database",
        "sql": "select coalesce(database,\n    'not named') as source_database,\n"
               "  count(*) as records_identified\nfrom occurrences\n"
               "group by source_database\norder by records_identified desc",
        "chart": {"mark": "bar", "x_column": "source_database", "x_type": "nominal",
                  "y_column": "records_identified", "y_type": "quantitative"},
    },
    "mscdm_records_per_screening_status": {
        "title": "Records per screening status",
        "sql": "select screening_status,\n  count(*) as records\nfrom records\n"
               "group by screening_status\norder by records desc",
        "chart": {"mark": "bar", "x_column": "screening_status", "x_type": "nominal",
                  "y_column": "records", "y_type": "quantitative"},
    },
}


def in_snapshot(fn):
    """`fn(conn)` wrapped to run in one read transaction that always ends.

    Datasette serves reads from a pool of long-lived connections. A
    transaction left open on one of them pins that connection to an old
    snapshot of the database until the server restarts (stale pages, a
    removed reviewer still deciding, a WAL that never checkpoints). So every
    read the plugin runs on a pool connection goes through here: it begins
    (which also gives its several queries one consistent snapshot, so the
    numbers of a page agree with each other), and rolls back whatever
    happens, ending any implicit transaction a statement opened."""
    def run(conn):
        if conn.in_transaction:
            conn.rollback()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.rollback()

    return run


async def read(db, fn):
    """Run `fn(conn)` on one of Datasette's read connections (see in_snapshot)."""
    return await db.execute_fn(in_snapshot(fn))


def chart_fragment(chart: dict) -> str:
    return "&".join(f"g.{key}={value}" for key, value in chart.items())


async def review_tables(db) -> set[str]:
    """Which of the plugin's key tables this database has, in one query."""
    rows = await db.execute("select name from sqlite_master where type = 'table'"
                            " and name in ('records', 'record_terms', 'decisions')")
    return {row[0] for row in rows.rows}


async def is_review_database(db) -> bool:
    return {"records", "record_terms"} <= await review_tables(db)


async def vocabulary_groups(db) -> dict[str, str]:
    row = (await db.execute("select groups from tag_vocabulary order by id desc limit 1")).first()
    return json.loads(row["groups"]) if row else {}


@functools.lru_cache(maxsize=8)
def _case_sensitive_of(source: str | None) -> frozenset[str]:
    vocabulary = parse_vocabulary(source, "stored vocabulary") if source else load_vocabulary()
    return frozenset(vocabulary.case_sensitive_synonyms)


async def case_sensitive_terms(db) -> frozenset[str]:
    """The synonyms the vocabulary in force marks case-sensitive (SHED, EV)."""
    row = (await db.execute("select source from tag_vocabulary order by id desc limit 1")).first()
    return _case_sensitive_of(row["source"] if row else None)


async def highlighter(datasette, db, protocol=None) -> Highlighter:
    """The highlighter of a review database: configured include/exclude
    terms, the protocol's criterion terms, the vocabulary's case rules."""
    return Highlighter.for_database(datasette, db.name, protocol, await case_sensitive_terms(db))


async def fetch_record(db, record_id: int) -> dict | None:
    row = (await db.execute("select * from records where id = ?", [record_id])).first()
    if row is None:
        return None
    record = dict(row)
    for column in ("authors", "keywords", "publication_types", "claims", "databases",
                   "missing_fields"):
        record[column] = json.loads(record[column] or "[]")
    for column in ("extra", "auto_tags"):
        record[column] = json.loads(record[column] or "{}")
    return record


async def fetch_occurrences(db, record_id: int) -> list[dict]:
    rows = await db.execute(
        "select o.id, o.position, o.line, o.database, o.matched_on, o.raw, s.id as source_id,"
        " s.path, s.format, s.loaded_at from occurrences o join sources s on s.id = o.source_id"
        " where o.record_id = ? order by o.source_id, o.position", [record_id])
    return [dict(r) for r in rows.rows]


async def overview(db) -> dict:
    """The figures of the review overview page, from one snapshot."""
    return await read(db, overview_figures)


def overview_figures(conn) -> dict:
    def rows(sql, params=()):
        cursor = conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    totals = rows(
        "select (select count(*) from records) as records,"
        " (select count(*) from occurrences) as occurrences,"
        " (select count(*) from sources where status = 'loaded') as files,"
        " (select count(*) from sources where status = 'failed') as failed_files")[0]
    totals["merged"] = totals["occurrences"] - totals["records"]
    group_row = conn.execute("select groups from tag_vocabulary order by id desc limit 1"
                             ).fetchone()
    groups = json.loads(group_row[0]) if group_row else {}
    tags = rows(
        "select facet, term, count(*) as records from record_terms"
        f" where facet not in ({', '.join(repr(f) for f in BUILTIN_FACETS)})"
        " group by facet, term order by facet, records desc")
    tag_groups = [{"key": key, "label": label,
                   "terms": [t for t in tags if t["facet"] == key]} for key, label in groups.items()]
    return {
        "totals": totals,
        "sources": rows(
            "select database, count(*) as files, sum(records) as records,"
            " sum(new_records) as new_records, sum(merged) as merged from sources"
            " where status = 'loaded' group by database order by records desc"),
        "failed": rows(
            "select id, path, error, loaded_at from sources where status = 'failed'"
            " order by id desc limit 20"),
        "years": rows(
            "select year, count(*) as records from records where year is not null"
            " group by year order by year desc"),
        "statuses": rows(
            "select screening_status, count(*) as records from records"
            " group by screening_status order by records desc"),
        "publication_types": rows(
            "select term, count(*) as records from record_terms where facet = 'publication_type'"
            " group by term order by records desc limit 15"),
        "tag_groups": tag_groups,
        "builtin_facets": BUILTIN_FACETS,
    }
