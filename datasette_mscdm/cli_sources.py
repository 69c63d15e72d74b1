"""`mscdm sources` and `mscdm name-source`: the files a review was loaded
from, and naming the database of one after it was loaded."""

from __future__ import annotations

import json

import click

from .cli_dedup import db_argument, json_option
from .loader import open_database
from .sources import SourceError, find_source, list_sources, name_source


@click.command("sources")
@db_argument
@json_option
def sources_command(db, as_json):
    """List the files DB was loaded from: id, database (or register, or other
    method), PRISMA column, records, and how many of its records name no
    database (PRISMA shows those as "Database not named").

    \b
    Example:
        mscdm sources review.db
    """
    database = open_database(db)
    try:
        rows = list_sources(database.conn)
    finally:
        database.conn.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        named = row["database"] or "not named"
        unnamed = f", {row['not_named']} not named" if row["not_named"] else ""
        click.echo(f"{row['id']:>4}  {row['status']:<6}  {row['path']}  [{row['format']}]"
                   f"  {named} ({row['method']}; {row['records']} records{unnamed})")


@click.command("name-source")
@db_argument
@click.argument("source")
@click.option("--as", "name", required=True, metavar="NAME",
              help="The database, register or other method the file came from (PubMed, "
                   "Scopus, ClinicalTrials.gov, Citation searching, ...); spellings are "
                   "normalised as `mscdm load --source` does.")
@click.option("--other-methods/--databases", "other", default=None,
              help="Also move the file to PRISMA's other-methods column, or back to databases "
                   "and registers (default: leave it where it is).")
@json_option
def name_source_command(db, source, name, other, as_json):
    """Name the database of SOURCE, a file already loaded into DB (its id from
    `mscdm sources`, its path or its file name): a file is loaded once, so
    `mscdm load --source` cannot name it afterwards. The records of the file
    that name no database take NAME, for PRISMA's identification boxes and the
    Source database facet; records that name their own database (an
    aggregator's export) keep it. The change is noted among the file's
    warnings.

    \b
    Examples:
        mscdm name-source review.db 3 --as Embase
        mscdm name-source review.db exports/scopus_2024.ris --as Scopus
        mscdm name-source review.db hand-search.ris --as "Citation searching" --other-methods
    """
    database = open_database(db)
    conn = database.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            source_id = find_source(conn, source)
            result = name_source(conn, source_id, name,
                                 None if other is None else ("other" if other else "databases"))
        except SourceError as error:
            conn.execute("ROLLBACK")
            raise click.ClickException(str(error))
        conn.execute("COMMIT")
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{result['path']}: named {result['name']} ({result['method']});"
                   f" {result['occurrences']} occurrences of {result['records']} records"
                   " had no database named")
