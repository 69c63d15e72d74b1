"""The records table as the team's work list.

`/<db>/records` of a review database opens on the columns a screener works
with: title (linked to the record page), first author et al., year,
journal, automatic tags, and the two stage statuses, each with the
logged-in reviewer's own vote and a "decide" link. Every other column is one
click away (the "All columns" link, or Datasette's own column chooser), and
every Datasette feature (facets, filters, search, sort, JSON, CSV) keeps
working, because the work list is only Datasette's `?_col=` selection: a
request for the HTML table without one is redirected to it.

Datasette has no setting for a table's default columns, hence the redirect,
done in the plugin's ASGI wrapper (request_guard.py) before Datasette sees
the request. `?_mscdm_columns=all` (the "All columns" link) asks for every
column and is kept by every link of the page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup

WORK_LIST = ("title", "authors", "year", "journal", "auto_tags", "ta_status", "ft_status")
ALL_COLUMNS_ARG = "_mscdm_columns"
_TABLE_PAGE = re.compile(r"^/(?P<database>[^/.]+)/records$")


def work_list_redirect(path: str, query_string: str) -> tuple[str, str] | None:
    """(database, location) when this request for a records table page
    should go to its work-list columns, else None."""
    match = _TABLE_PAGE.match(path)
    if not match:
        return None
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if any(key in ("_col", "_nocol", ALL_COLUMNS_ARG) for key, _ in pairs):
        return None
    pairs += [("_col", column) for column in WORK_LIST]
    return match.group("database"), f"{path}?{urlencode(pairs)}"


def column_links(request) -> dict:
    """The toolbar's two views of the same rows, filters and sort kept."""
    pairs = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True)
             if k not in ("_col", "_nocol", ALL_COLUMNS_ARG, "_next")]
    path = request.path
    return {
        "work_list": f"{path}?{urlencode(pairs + [('_col', c) for c in WORK_LIST])}",
        "all": f"{path}?{urlencode(pairs + [(ALL_COLUMNS_ARG, 'all')])}",
        "showing_all": ALL_COLUMNS_ARG in dict(parse_qsl(request.query_string)),
    }


def first_author_et_al(authors: list[str]) -> str:
    if not authors:
        return ""
    if len(authors) == 1:
        return authors[0]
    return f"{authors[0]} et al. ({len(authors)} authors)"


def tag_badges(tags: dict[str, list[str]]) -> Markup:
    """Automatic tags as small badges, escaped term by term."""
    badges = [Markup('<span class="mscdm-badge mscdm-auto">{}</span>').format(term)
              for terms in tags.values() for term in terms]
    return Markup("").join(badges)


async def toolbar(datasette, request, database: str, table: str) -> str | None:
    """HTML above the records table of a review database: the two column
    views, the reviewer's own pages, and the column descriptions folded away
    (Datasette prints them as a long glossary above the rows)."""
    from .review_db import is_review_database
    from .screening.access import current_reviewer

    if table != "records" or database not in datasette.databases:
        return None
    db = datasette.get_database(database)
    if not await is_review_database(db):
        return None
    links = column_links(request)
    base = datasette.urls.database(database)
    reviewer = await current_reviewer(db, request.actor) if db.is_mutable else None
    rows = await datasette.get_internal_database().execute(
        "SELECT column_name, value FROM metadata_columns WHERE database_name = ?"
        " AND resource_name = ? AND key = 'description' ORDER BY column_name",
        [database, table])
    descriptions = {row[0]: row[1] for row in rows.rows}
    return await datasette.render_template("mscdm_worklist_toolbar.html", {
        "links": links, "base": base, "reviewer": reviewer, "descriptions": descriptions,
        "work_list": WORK_LIST}, request=request)
