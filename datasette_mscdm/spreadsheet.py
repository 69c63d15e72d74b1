"""Text cells that spreadsheets must not run as formulas (CSV injection).

A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
is taken by Excel, LibreOffice and Google Sheets as a formula, and record
fields are untrusted text (a title can be `=HYPERLINK(...)`). OWASP's rule:
write such a cell with a leading apostrophe, which spreadsheets show as text.
`mscdm load` recognises its own CSV exports and takes the apostrophe off again,
so an export still re-imports without a character lost.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Columns that only the plugin's CSV export writes together.
EXPORT_SIGNATURE = {"ta_status", "ft_status", "screening_status", "decisions"}


def neutralise(value):
    """A cell value safe to open in a spreadsheet (non-text passes as is)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_row(row: dict) -> dict:
    return {key: neutralise(value) for key, value in row.items()}


def restore(value: str) -> str:
    """The text neutralise() was given."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def is_plugin_export(columns) -> bool:
    return EXPORT_SIGNATURE <= set(columns)
