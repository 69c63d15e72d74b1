"""`mscdm prisma`: reporting commands of the `mscdm` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .loader import open_database
from .reporting.prisma import prisma_counts
from .reporting.prisma_svg import prisma_svg

db_argument = click.argument("db", type=click.Path(dir_okay=False, exists=True, path_type=Path))
output_option = click.option("-o", "--output", type=click.File("w", encoding="utf-8"),
                             default="-", help="File to write (default: stdout).")


@click.command()
@db_argument
@click.option("--format", "format_name", type=click.Choice(["svg", "json"]), default="svg",
              show_default=True)
@output_option
def prisma(db, format_name, output):
    """Write the PRISMA 2020 flow diagram of DB as SVG, or its numbers as JSON.

    The numbers come from the loaded sources, duplicate merging and the
    screening decisions. While screening is in progress, the open records
    are named in the diagram and in the JSON (`screening_open`,
    `assessment_open`, `complete`).

    \b
    Examples:
        mscdm prisma review.db -o prisma.svg
        mscdm prisma review.db --format json -o prisma.json
    """
    database = open_database(db)
    try:
        counts = prisma_counts(database.conn)
    finally:
        database.conn.close()
    if format_name == "json":
        output.write(json.dumps(counts, indent=2, ensure_ascii=False) + "\n")
    else:
        output.write(prisma_svg(counts))
