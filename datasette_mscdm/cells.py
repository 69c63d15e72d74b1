"""Cells of `records` in Datasette's table and row pages, so the table reads
as a work list (worklist.py): titles link to the record page; authors show
as "first author et al."; automatic tags as badges; abstracts are
highlighted (their start in tables, whole on the row page); stage statuses
carry the logged-in reviewer's own vote and a "decide" link.

Every value is record text and untrusted: each piece is escaped by
markupsafe before any markup goes around it."""

from __future__ import annotations

import json

from markupsafe import Markup

from .highlight import Highlighter
from .review_db import case_sensitive_terms, is_review_database, read
from .screening import rules, store
from .screening.access import current_reviewer
from .worklist import first_author_et_al, tag_badges

STAGE_OF_COLUMN = {"ta_status": "title_abstract", "ft_status": "full_text"}
RENDERED = {"title", "abstract", "authors", "auto_tags", "ta_status", "ft_status",
            "screening_status"}


async def _per_request(request, key: str, compute):
    """A value computed once per request (kept in the request's ASGI scope,
    which lives exactly as long as the request)."""
    scope = request.scope if request is not None else {}
    if key not in scope:
        scope[key] = await compute()
    return scope[key]


async def _my_votes(datasette, request, db) -> dict:
    """{(record id, stage): my vote} for the logged-in reviewer, or {}."""
    async def compute():
        reviewer = await current_reviewer(db, request.actor if request else None)
        if reviewer is None or not db.is_mutable:
            return {}
        return await read(db, lambda conn: store.my_votes(conn, reviewer.name))
    return await _per_request(request, f"mscdm_my_votes:{db.name}", compute)


def _status(row, value, column, database, datasette, my_votes: dict):
    """A status as a badge; on a writable review, stage statuses show my
    vote and link to the screening page for that record."""
    if value is None:
        return None
    badge = Markup('<span class="mscdm-status mscdm-status-{}">{}</span>').format(
        str(value).replace(" ", "-"), value)
    stage = STAGE_OF_COLUMN.get(column)
    if not stage or not datasette.get_database(database).is_mutable:
        return badge
    mine = my_votes.get((row["id"], stage))
    if mine:
        badge += Markup(' <span class="mscdm-my-vote">you: {}</span>').format(
            mine.replace("_", " "))
    if value not in rules.OPEN:
        return badge  # all its votes are in: nothing to decide here
    href = datasette.urls.database(database) + f"/-/screen?stage={stage}&record={row['id']}"
    return badge + Markup(' <a class="mscdm-decide-link" href="{}">decide</a>').format(href)


def _json(value, default):
    try:
        return json.loads(value) if isinstance(value, str) else default
    except ValueError:
        return default


def render_record_cell(row, value, column, table, database, datasette, request=None):
    if table != "records" or column not in RENDERED or row is None:
        return None

    async def render():
        db = datasette.get_database(database)
        if not await _per_request(request, f"mscdm_is_review:{database}",
                                  lambda: is_review_database(db)):
            return None
        if column in ("ta_status", "ft_status", "screening_status"):
            votes = await _my_votes(datasette, request, db) if column != "screening_status" \
                else {}
            return _status(row, value, column, database, datasette, votes)
        if column == "title":
            href = datasette.urls.database(database) + f"/-/record/{row['id']}"
            return Markup('<a class="mscdm-record-link" href="{}">{}</a>').format(
                href, value or "[no title]")
        whole = request is not None and "pks" in (request.url_vars or {})
        if column == "authors":
            authors = _json(value, [])
            # The row page shows one record: every author. Tables show the first.
            return "; ".join(authors) if whole else first_author_et_al(authors)
        if column == "auto_tags":
            return tag_badges(_json(value, {}))
        case_sensitive = await _per_request(request, f"mscdm_case_sensitive:{database}",
                                            lambda: case_sensitive_terms(db))
        marks = Highlighter.for_database(datasette, database, case_sensitive=case_sensitive)
        return marks.markup(value) if whole else marks.snippet(value)

    return render
