"""Cells of `records` in Datasette's table and row pages: titles link to the
record page; abstracts are highlighted (their start in tables, whole on the
row page)."""

from __future__ import annotations

from markupsafe import Markup

from .highlight import Highlighter
from .review_db import case_sensitive_terms


def _is_record_row(row, table) -> bool:
    # The records table of a review database: it has the plugin's columns.
    if table != "records" or row is None:
        return False
    try:
        keys = row.keys()
    except AttributeError:
        return False
    return "auto_tags" in keys and "id" in keys


STAGE_OF_COLUMN = {"ta_status": "title_abstract", "ft_status": "full_text"}


def status_cell(row, value, column, database, datasette):
    """A status as a badge; on a writable review, stage statuses link to
    the screening page for that record, so the table is a work list."""
    if value is None:
        return None
    badge = Markup('<span class="mscdm-status mscdm-status-{}">{}</span>').format(
        str(value).replace(" ", "-"), value)
    stage = STAGE_OF_COLUMN.get(column)
    if stage and datasette.get_database(database).is_mutable:
        href = (datasette.urls.database(database)
                + f"/-/screen?stage={stage}&record={row['id']}")
        return badge + Markup(' <a class="mscdm-decide-link" href="{}">decide</a>').format(href)
    return badge


def render_record_cell(row, value, column, table, database, datasette, request=None):
    if not _is_record_row(row, table):
        return None
    if column in ("ta_status", "ft_status", "screening_status"):
        return status_cell(row, value, column, database, datasette)
    if column not in ("title", "abstract"):
        return None
    if column == "title":
        href = datasette.urls.database(database) + f"/-/record/{row['id']}"
        text = value or "[no title]"
        return Markup('<a class="mscdm-record-link" href="{}">{}</a>').format(href, text)
    whole = request is not None and "pks" in (request.url_vars or {})

    async def highlighted():
        # The vocabulary's case rules, read once per request.
        scope = request.scope if request is not None else {}
        if "mscdm_case_sensitive" not in scope:
            scope["mscdm_case_sensitive"] = await case_sensitive_terms(
                datasette.get_database(database))
        marks = Highlighter.for_database(datasette, database,
                                         case_sensitive=scope["mscdm_case_sensitive"])
        # The row page shows one record: its whole abstract. Tables show the start.
        return marks.markup(value) if whole else marks.snippet(value)

    return highlighted
