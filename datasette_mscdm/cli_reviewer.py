"""`mscdm reviewer add|list|remove`: the people who screen a review."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .loader import open_database
from .screening import store

db_argument = click.argument("db", type=click.Path(dir_okay=False, exists=True, path_type=Path))


@click.group()
def reviewer():
    """Add, list and remove the reviewers of a review database.

    Reviewers log in at /<database>/-/login on `datasette serve`. A lead
    also resolves conflicts, excludes in bulk and edits the protocol.
    """


@reviewer.command("add")
@db_argument
@click.argument("name")
@click.option("--role", type=click.Choice(store.ROLES), default="reviewer", show_default=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of a prompt.")
def add(db, name, role, password_stdin):
    """Add reviewer NAME to DB (or bring back a removed one).

    The password is asked twice at a prompt (or read from stdin) and only a
    salted scrypt hash of it is stored.

    \b
    Examples:
        mscdm reviewer add review.db alice --role lead
        echo "$PASSWORD" | mscdm reviewer add review.db bob --password-stdin
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    database = open_database(db)
    try:
        store.add_reviewer(database.conn, name, role, password)
    except (store.ScreeningError, ValueError) as error:
        raise click.ClickException(str(error))
    finally:
        database.conn.close()
    click.echo(f"Added {role} {name.strip()}.")


@reviewer.command("list")
@db_argument
@click.option("--json", "as_json", is_flag=True, help="Print the reviewers as JSON.")
def list_(db, as_json):
    """List the reviewers of DB, with their role and number of decisions."""
    database = open_database(db)
    try:
        reviewers = store.list_reviewers(database.conn)
    finally:
        database.conn.close()
    if as_json:
        click.echo(json.dumps(reviewers, indent=2, ensure_ascii=False))
        return
    if not reviewers:
        click.echo("No reviewers yet: add one with `mscdm reviewer add DB NAME --role lead`.")
    for r in reviewers:
        removed = f"  (removed {r['removed_at']})" if r["removed_at"] else ""
        click.echo(f"{r['name']:<24} {r['role']:<9} {r['decisions']:>7} decisions{removed}")


@reviewer.command("remove")
@db_argument
@click.argument("name")
def remove(db, name):
    """Remove reviewer NAME from DB: they can no longer log in or decide.
    Their decisions stay in the record of the review."""
    database = open_database(db)
    try:
        store.remove_reviewer(database.conn, name)
    except store.ScreeningError as error:
        raise click.ClickException(str(error))
    finally:
        database.conn.close()
    click.echo(f"Removed {name}; their decisions stay.")
