"""Table cells of `records` in the faceted table: titles link to the record
page, abstracts show their start with include/exclude terms highlighted."""

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


def render_record_cell(row, value, column, table, database, datasette):
    if column not in ("title", "abstract") or not _is_record_row(row, table):
        return None
    if column == "title":
        href = datasette.urls.database(database) + f"/-/record/{row['id']}"
        text = value or "[no title]"
        return Markup('<a class="mscdm-record-link" href="{}">{}</a>').format(href, text)
    return Highlighter.for_database(datasette, database).snippet(value)
