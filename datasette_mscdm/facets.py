"""The `term` facet and its `_term` filter.

One facet type serves every facet of the records table:

- multi-valued terms kept one row per (facet, term, record) in
  `record_terms`: `{term: publication_type}`, `{term: database}`, a vocabulary
  group (`{term: msc_source}`), or `{term: auto_tags}` for every group of the
  vocabulary in force. Selecting a value adds `?_term=<facet>:<value>`,
  which `term_filters` turns into a WHERE clause;
- plain columns of `records` (`{term: year}`), selected with Datasette's own
  `?year=2020` filter.

Why not Datasette's column and array facets: each facet re-runs the page's
filter, and under a broad full-text search at 100k records every run seeks
~90k wide rows (~150-250 ms), so a dozen facets took seconds and timed out.
Here a filtered page evaluates its filter once, into a temporary id table on
one connection, and every facet counts against it (a covering index or
`record_terms`), each within Datasette's facet time limit. Unfiltered pages
count each facet straight from its index, concurrently.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils.asgi import BadRequest
from datasette.filters import FilterArguments
from datasette.utils import (escape_sqlite, path_with_added_args, path_with_removed_args,
                             sqlite_timelimit)

from .review_db import is_review_database, read, vocabulary_groups
from .terms import BUILTIN_FACETS

TERM_ARG = "_term"
ALL_TAG_GROUPS = "auto_tags"
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)


def parse_term_args(values: list[str]) -> list[tuple[str, str]]:
    """`["msc_source:Adipose", ...]` -> `[("msc_source", "Adipose"), ...]`."""
    pairs = []
    for value in values:
        facet, sep, term = value.partition(":")
        if sep and facet and term:
            pairs.append((facet, term))
    return pairs


async def is_review_table(datasette, database: str, table: str | None) -> bool:
    if table != "records" or database not in datasette.databases:
        return False
    return await is_review_database(datasette.get_database(database))


async def facet_labels(db) -> dict[str, str]:
    """record_terms facet key -> heading: the built-in ones, then the vocabulary's groups."""
    groups = await vocabulary_groups(db)
    return {**BUILTIN_FACETS, **{key: f"Auto tag: {label}" for key, label in groups.items()}}


def _facet_sql(facet: dict, size: int, restricted: bool) -> str:
    if facet["column"]:
        column = escape_sqlite(facet["key"])
        # "+id": not the rowid to seek with (one wide row per id, ~150 ms at
        # 100k); scan the column's covering index and look each id up instead.
        restrict = "and +id in temp.mscdm_facet_ids" if restricted else ""
        return (f"select {column} as value, count(*) as count from records "
                f"where {column} is not null {restrict} group by {column} "
                f"order by count(*) desc, value limit {size + 1}")
    restrict = "and record_id in temp.mscdm_facet_ids" if restricted else ""
    return (f"select term as value, count(*) as count from record_terms "
            f"where facet = :facet {restrict} group by term "
            f"order by count(*) desc, term limit {size + 1}")


def _count_filtered(conn, sql, params, facets, size, build_ms, facet_ms):
    """On one connection: the filtered ids once, then each facet against them.
    Returns ({facet key: rows}, [timed-out keys]).

    Runs through review_db.in_snapshot: filling the temporary table opens a
    transaction, and one left open would freeze this pool connection on an
    old snapshot; the rollback at the end also empties the table."""
    counts, timed_out = {}, []
    conn.execute("create temp table if not exists mscdm_facet_ids (id integer primary key)")
    try:
        with sqlite_timelimit(conn, build_ms):
            conn.execute(f"insert or ignore into temp.mscdm_facet_ids select id from ({sql})",
                         params)
    except sqlite3.OperationalError:
        return counts, [facet["key"] for facet in facets]
    for facet in facets:
        try:
            with sqlite_timelimit(conn, facet_ms):
                counts[facet["key"]] = conn.execute(
                    _facet_sql(facet, size, restricted=True), {"facet": facet["key"]}).fetchall()
        except sqlite3.OperationalError:
            timed_out.append(facet["key"])
    return counts, timed_out


class TermFacet(Facet):
    type = "term"

    async def suggest(self):
        return []

    def _configured(self, labels: dict[str, str], columns: list[str]) -> list[dict]:
        facets = []
        for item in self.get_configs():
            key = item["config"].get("simple") or item["config"].get("facet")
            if key == ALL_TAG_GROUPS:
                keys = [k for k in labels if k not in BUILTIN_FACETS]
            else:
                keys = [key]
            for key in keys:
                if key in labels:
                    facets.append({"key": key, "name": labels[key], "column": False,
                                   "source": item["source"]})
                elif key in columns:
                    facets.append({"key": key, "name": key, "column": True,
                                   "source": item["source"]})
        return facets

    async def facet_results(self):
        if not await is_review_table(self.ds, self.database, self.table):
            return [], []
        db = self.ds.get_database(self.database)
        facets = self._configured(await facet_labels(db), await db.table_columns("records"))
        size = self.get_facet_size()
        facet_ms = self.ds.setting("facet_time_limit_ms")
        params = dict(self.params) if isinstance(self.params, dict) else list(self.params)
        if _WHERE.search(self.sql):
            counts, timed_out_keys = await read(db,
                lambda conn: _count_filtered(conn, self.sql, params, facets, size,
                                             self.ds.setting("sql_time_limit_ms"), facet_ms))
        else:
            counts, timed_out_keys = await self._count_unfiltered(facets, size, facet_ms)
        # A facet with no values (full text before anything reached it) is left out.
        results = [self._result(facet, counts[facet["key"]], size)
                   for facet in facets if counts.get(facet["key"])]
        names = {facet["key"]: facet["name"] for facet in facets}
        return results, [names[key] for key in timed_out_keys]

    async def _count_unfiltered(self, facets, size, facet_ms):
        async def one(facet):
            return await self.ds.execute(
                self.database, _facet_sql(facet, size, restricted=False), {"facet": facet["key"]},
                truncate=False, custom_time_limit=facet_ms)

        answers = await asyncio.gather(*(one(f) for f in facets), return_exceptions=True)
        counts, timed_out = {}, []
        for facet, answer in zip(facets, answers):
            if isinstance(answer, QueryInterrupted):
                timed_out.append(facet["key"])
            elif isinstance(answer, BaseException):
                raise answer
            else:
                counts[facet["key"]] = answer.rows
        return counts, timed_out

    def _result(self, facet: dict, rows, size: int) -> dict:
        pairs = self.get_querystring_pairs()
        values = []
        for row in rows[:size]:
            value = row["value"]
            if facet["column"]:
                arg = {facet["key"]: str(value)}
                chosen = (facet["key"], str(value)) in pairs
            else:
                arg = {TERM_ARG: f"{facet['key']}:{value}"}
                chosen = (TERM_ARG, arg[TERM_ARG]) in pairs
            toggle = (path_with_removed_args(self.request, arg) if chosen
                      else path_with_added_args(self.request, arg))
            values.append({"value": value, "label": value, "count": row["count"],
                           "toggle_url": self.ds.absolute_url(self.request, toggle),
                           "selected": chosen})
        return {
            "name": facet["name"],
            "type": self.type,
            "results": values,
            "hideable": facet["source"] != "metadata",
            "toggle_url": self.ds.urls.path(
                path_with_removed_args(self.request, {"_facet_term": facet["key"]})),
            "truncated": len(rows) > size,
        }


async def term_filters(request, database, table, datasette):
    """`?_term=facet:value` (repeatable, all must hold) as WHERE clauses. A
    value that is not `facet:term`, or names no facet, is a 400: a filter
    that is silently dropped would show every row as if it matched."""
    values = request.args.getlist(TERM_ARG)
    if not values or not await is_review_table(datasette, database, table):
        return None
    pairs = parse_term_args(values)
    if len(pairs) != len(values):
        raise BadRequest(f"{TERM_ARG} takes facet:term, e.g. publication_type:Review")
    labels = await facet_labels(datasette.get_database(database))
    unknown = sorted({facet for facet, _ in pairs} - set(labels))
    if unknown:
        raise BadRequest(f"no term facet called {', '.join(unknown)[:200]};"
                         f" the facets are {', '.join(labels)}")
    clauses, params, descriptions = [], {}, []
    for i, (facet, term) in enumerate(pairs):
        clauses.append(f"id in (select record_id from record_terms "
                       f"where facet = :mscdm_tf{i} and term = :mscdm_tv{i})")
        params[f"mscdm_tf{i}"] = facet
        params[f"mscdm_tv{i}"] = term
        descriptions.append(f'{labels.get(facet, facet)} is "{term}"')
    return FilterArguments(clauses, params=params, human_descriptions=descriptions)
