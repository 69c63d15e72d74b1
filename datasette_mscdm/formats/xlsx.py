"""Excel workbooks (.xlsx), as review teams keep their searches and
screening sets: each sheet whose first row names a title- or abstract-like
column is a table of records, read with openpyxl in read-only mode (rows
stream; the workbook is never loaded whole). Columns are matched to record
fields exactly as CSV columns are (csv_table.py).

A workbook has no record text to cut out, so each record's raw text is the
row as read: a JSON object of its non-empty cells by column name."""

from __future__ import annotations

import datetime
import json
import zipfile

from ..textio import FileFacts, LoadError
from . import Parsed, csv_table

NAME = "xlsx"
LABEL = "Excel workbook (.xlsx)"


def cell_text(value) -> str:
    """A cell as the text a CSV export of the sheet would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year or a PMID typed as a number
    if isinstance(value, datetime.datetime):
        return (value.date().isoformat() if value.time() == datetime.time(0)
                else value.isoformat(sep=" "))
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _header(row) -> list[str]:
    return csv_table.unique_names(
        [cell_text(value).strip() or f"column {index}" for index, value in enumerate(row, 1)])


def parse_file(facts: FileFacts):
    import openpyxl  # imported here: only workbooks need it

    # A file object, not the path: openpyxl refuses names not ending in .xlsx,
    # and the format is known from the bytes already.
    source = open(facts.path, "rb")
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        source.close()
        raise LoadError(f"unreadable Excel workbook: {error}", "whole file") from error
    try:
        tables = 0
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = None
            for number, row in enumerate(rows, 1):
                if header is None:
                    if any(cell not in (None, "") for cell in row):
                        header = _header(row)
                        if not {csv_table._key(n) for n in header} & csv_table._TITLE_LIKE:
                            break  # not a table of records (a notes or search-history sheet)
                        tables += 1
                    continue
                cells = [cell_text(value) for value in row]
                if not any(cell.strip() for cell in cells):
                    continue
                values = dict(zip(header, cells))
                record = csv_table.to_record(values)
                surplus = [cell for cell in cells[len(header):] if cell.strip()]
                if surplus:
                    record.extra["(unnamed columns)"] = surplus
                if len(workbook.worksheets) > 1:
                    record.extra["(sheet)"] = sheet.title
                raw = {name: value for name, value in values.items() if value.strip()}
                if surplus:
                    raw["(unnamed columns)"] = surplus
                yield Parsed(record, json.dumps(raw, ensure_ascii=False),
                             number, None)
        if not tables:
            raise LoadError("no sheet has a title or abstract column", "whole file")
    finally:
        workbook.close()
        source.close()
