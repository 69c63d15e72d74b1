"""`mscdm reviewer add|list|remove|password|role`: the people who screen a review."""

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
    _change(db, store.add_reviewer, name, role, _password(password_stdin))
    click.echo(f"Added {role} {name.strip()}.")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _change(db, change, *args) -> None:
    """Apply one change to the reviewers of DB; its error as a ClickException."""
    database = open_database(db)
    try:
        change(database.conn, *args)
    except (store.ScreeningError, ValueError) as error:
        raise click.ClickException(str(error))
    finally:
        database.conn.close()


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
    """Remove reviewer NAME from DB: they can no longer log in or decide,
    and their open sessions end at their next request. Their decisions stay
    in the record of the review."""
    _change(db, store.remove_reviewer, name)
    click.echo(f"Removed {name}; their decisions stay.")


@reviewer.command("password")
@db_argument
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the new password from the first line of stdin instead of a prompt.")
def password(db, name, password_stdin):
    """Set a new password for reviewer NAME of DB. Every login they have
    open ends (on a running server too, at their next request).

    \b
    Example:
        mscdm reviewer password review.db bob
    """
    _change(db, store.set_password, name, _password(password_stdin))
    click.echo(f"New password set for {name}; their open logins have ended.")


@reviewer.command("role")
@db_argument
@click.argument("name")
@click.argument("role", type=click.Choice(store.ROLES))
def role(db, name, role):
    """Make reviewer NAME of DB a `lead` or a plain `reviewer`. Their open
    logins end; they log in again in the new role.

    \b
    Example:
        mscdm reviewer role review.db alice reviewer
    """
    _change(db, store.set_role, name, role)
    click.echo(f"{name} is now a {role}; their open logins have ended.")
