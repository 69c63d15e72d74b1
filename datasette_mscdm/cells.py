"""Cells of `records` in Datasette's table and row pages: titles link to the
record page; abstracts are highlighted (their start in tables, whole on the
row page)."""

from __future__ import annotations

from markupsafe import Markup

from .highlight import Highlighter


def _is_record_row(row, table) -> bool:
    # The records table of a review database: it has the plugin's columns.
    if table != "records" or row is None:
        return False
    try:
        keys = row.keys()
    except AttributeError:
        return False
    return "auto_tags" in keys and "id" in keys


def render_record_cell(row, value, column, table, database, datasette, request=None):
    if column not in ("title", "abstract") or not _is_record_row(row, table):
        return None
    if column == "title":
        href = datasette.urls.database(database) + f"/-/record/{row['id']}"
        text = value or "[no title]"
        return Markup('<a class="mscdm-record-link" href="{}">{}</a>').format(href, text)
    marks = Highlighter.for_database(datasette, database)
    # The row page shows one record: its whole abstract. Tables show the start.
    if request is not None and "pks" in (request.url_vars or {}):
        return marks.markup(value)
    return marks.snippet(value)
