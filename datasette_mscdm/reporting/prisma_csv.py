"""The numbers of the PRISMA 2020 flow diagram as CSV: every number of
every box, one row each, in the diagram's order."""

from __future__ import annotations

import csv
import io

from .. import spreadsheet
from .prisma_svg import flow_rows, numbers

COLUMNS = ("column", "phase", "box", "item", "level", "n")


def numbers_csv(counts: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in numbers(flow_rows(counts)):
        # Source names and exclusion reasons are untrusted text.
        writer.writerow(spreadsheet.neutralise_row(row))
    return out.getvalue()
