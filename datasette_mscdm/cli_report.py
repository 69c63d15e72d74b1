"""`mscdm prisma`, `mscdm export` and `mscdm publish-copy`: reporting commands."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click

from .loader import open_database
from .reporting import publish
from .reporting.export import STATUSES, WRITERS, ExportError
from .reporting.export import export as export_records
from .reporting.prisma import prisma_counts
from .reporting.png import DEFAULT_SCALE, svg_to_png
from .reporting.prisma_csv import numbers_csv
from .reporting.prisma_svg import prisma_svg
from .screening.protocol import STAGES

db_argument = click.argument("db", type=click.Path(dir_okay=False, exists=True, path_type=Path))
output_option = click.option("-o", "--output", type=click.File("w", encoding="utf-8"),
                             default="-", help="File to write (default: stdout).")


@click.command()
@db_argument
@click.option("--format", "format_name", type=click.Choice(["svg", "png", "json", "csv"]),
              default="svg", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              default="-", help="File to write (default: stdout).")
@click.option("--scale", type=click.FloatRange(0.5, 8), default=DEFAULT_SCALE,
              show_default=True, help="PNG only: pixels per SVG pixel (2: a 1,800 px wide "
                                      "diagram for a 900 px one).")
def prisma(db, format_name, output, scale):
    """Write the PRISMA 2020 flow diagram of DB as SVG or PNG, or its numbers
    as JSON or CSV (every number of every box, one row each).

    The numbers come from the loaded sources, duplicate merging and the
    screening decisions. While screening is in progress, the open records
    are named in the diagram and in the JSON (`screening_open`,
    `assessment_open`, `complete`).

    \b
    Examples:
        mscdm prisma review.db -o prisma.svg
        mscdm prisma review.db --format png -o prisma.png
        mscdm prisma review.db --format csv -o prisma.csv
        mscdm prisma review.db --format json -o prisma.json
    """
    database = open_database(db)
    try:
        counts = prisma_counts(database.conn)
    finally:
        database.conn.close()
    if format_name == "png":
        data = svg_to_png(prisma_svg(counts), scale)
    elif format_name == "json":
        data = json.dumps(counts, indent=2, ensure_ascii=False) + "\n"
    elif format_name == "csv":
        data = numbers_csv(counts)
    else:
        data = prisma_svg(counts)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with click.open_file(str(output), "wb") as stream:  # "-": stdout
        stream.write(data)


@click.command("publish-copy")
@db_argument
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--anonymise", is_flag=True,
              help="Replace reviewer names by stable pseudonyms (Reviewer 1, 2, ...) and drop "
                   "decision notes.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def publish_copy(db, out, anonymise, force):
    """Write OUT, a copy of DB ready to publish read-only.

    Reviewer accounts and password hashes are left out (a `review_team`
    table keeps names and roles); the copy is one self-contained file to
    serve with `datasette -i OUT` or `datasette publish`. Taking the copy is
    safe while DB is being served.

    \b
    Examples:
        mscdm publish-copy review.db published.db --anonymise
        datasette publish cloudrun published.db --install datasette-mscdm ...
    """
    try:
        summary = publish.publish_copy(db, out, anonymise=anonymise, force=force)
    except publish.PublishError as error:
        raise click.ClickException(str(error))
    except (OSError, sqlite3.Error) as error:  # a folder that does not exist, a full disk
        raise click.ClickException(f"cannot write {out}: {error}")
    click.echo(f"Wrote {out}: {summary['records']} records, {summary['decisions']} decisions, "
               f"{summary['reviewers']} reviewers"
               f"{' (anonymised, notes dropped)' if anonymise else ''}.")


@click.command("export")
@db_argument
@click.option("--stage", type=click.Choice(list(STAGES)),
              help="Filter on this stage's status (default: the final status).")
@click.option("--status", type=click.Choice(STATUSES),
              help="Only records with this status (default: every record).")
@click.option("--format", "format_name", type=click.Choice(list(WRITERS)), required=True)
@output_option
def export(db, stage, status, format_name, output):
    """Export records of DB with their screening as RIS, CSV, BibTeX or CSL-JSON.

    Statuses and the exclusion reason travel as keywords ("Screening:
    included", "Exclusion reason: ..."), each decision as a note line (RIS
    N1, BibTeX/CSL note, CSV `decisions`), so a reference manager shows
    them. The file re-imports with `mscdm load`.

    \b
    Examples:
        mscdm export review.db --status included --format ris -o included.ris
        mscdm export review.db --stage full_text --status excluded --format csv -o ft.csv
    """
    database = open_database(db)
    try:
        output.write(export_records(database.conn, format_name, stage, status))
    except ExportError as error:
        raise click.UsageError(str(error))
    finally:
        database.conn.close()
