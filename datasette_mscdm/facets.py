"""The `term` facet and its `_term` filter: facets over `record_terms`
(publication types, source databases, automatic vocabulary tags).

Configured per table as `{term: publication_type}`, `{term: database}`, a
vocabulary group key (`{term: msc_source}`), or `{term: auto_tags}` for every
group of the vocabulary in force. Selecting a value adds
`?_term=<facet>:<value>` to the URL, which `term_filters` turns into a WHERE
clause. Counting runs on the narrow, indexed `record_terms` table instead of
json_each over every wide `records` row, which at 100k records took longer
than Datasette allows a facet.
"""

from __future__ import annotations

import json
import re

from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args

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
    return await datasette.get_database(database).table_exists("record_terms")


async def facet_labels(db) -> dict[str, str]:
    """Facet key -> heading: the built-in ones, then the vocabulary's groups."""
    labels = dict(BUILTIN_FACETS)
    if await db.table_exists("tag_vocabulary"):
        row = (await db.execute(
            "select groups from tag_vocabulary order by id desc limit 1")).first()
        if row:
            groups = json.loads(row["groups"])
            labels.update({key: f"Auto tag: {label}" for key, label in groups.items()})
    return labels


class TermFacet(Facet):
    type = "term"

    async def suggest(self):
        return []

    def _configured_facets(self, labels: dict[str, str]) -> list[tuple[str, str]]:
        facets = []
        for item in self.get_configs():
            key = item["config"].get("simple") or item["config"].get("facet")
            keys = [k for k in labels if k not in BUILTIN_FACETS] if key == ALL_TAG_GROUPS else [key]
            facets += [(k, item["source"]) for k in keys if k in labels]
        return facets

    async def facet_results(self):
        results, timed_out = [], []
        if not await is_review_table(self.ds, self.database, self.table):
            return results, timed_out
        db = self.ds.get_database(self.database)
        labels = await facet_labels(db)
        size = self.get_facet_size()
        selected = set(parse_term_args(self.request.args.getlist(TERM_ARG)))
        # With no filter the whole table is counted: no need to intersect
        # with the table's rows at all.
        restrict = ("and record_id in (select id from ({}))".format(self.sql)
                    if _WHERE.search(self.sql) else "")
        for facet, source in self._configured_facets(labels):
            sql = (f"select term as value, count(*) as count from record_terms "
                   f"where facet = :mscdm_facet {restrict} "
                   f"group by term order by count(*) desc, term limit {size + 1}")
            params = dict(self.params) if isinstance(self.params, dict) else {}
            params["mscdm_facet"] = facet
            try:
                rows = await self.ds.execute(
                    self.database, sql, params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except Exception as error:  # QueryInterrupted and friends
                if type(error).__name__ == "QueryInterrupted":
                    timed_out.append(labels[facet])
                    continue
                raise
            values = []
            for row in rows.rows[:size]:
                arg = f"{facet}:{row['value']}"
                chosen = (facet, row["value"]) in selected
                toggle = (path_with_removed_args(self.request, {TERM_ARG: arg}) if chosen
                          else path_with_added_args(self.request, {TERM_ARG: arg}))
                values.append({
                    "value": row["value"],
                    "label": row["value"],
                    "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, toggle),
                    "selected": chosen,
                })
            results.append({
                "name": labels[facet],
                "type": self.type,
                "results": values,
                "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {"_facet_term": facet})),
                "truncated": len(rows.rows) > size,
            })
        return results, timed_out


async def term_filters(request, database, table, datasette):
    """`?_term=facet:value` (repeatable, all must hold) as WHERE clauses."""
    pairs = parse_term_args(request.args.getlist(TERM_ARG))
    if not pairs or not await is_review_table(datasette, database, table):
        return None
    labels = await facet_labels(datasette.get_database(database))
    clauses, params, descriptions = [], {}, []
    for i, (facet, term) in enumerate(pairs):
        clauses.append(f"id in (select record_id from record_terms "
                       f"where facet = :mscdm_tf{i} and term = :mscdm_tv{i})")
        params[f"mscdm_tf{i}"] = facet
        params[f"mscdm_tv{i}"] = term
        descriptions.append(f'{labels.get(facet, facet)} is "{term}"')
    return FilterArguments(clauses, params=params, human_descriptions=descriptions)
