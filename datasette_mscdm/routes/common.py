"""What every plugin page does first: find the review database, check that
the visitor may see it, and (for screening pages) who the reviewer is."""

from __future__ import annotations

import json
from urllib.parse import quote

from datasette import Forbidden, NotFound, Response
from datasette.resources import DatabaseResource, TableResource

from ..review_db import review_tables
from ..screening.access import (LEAD, SCREEN, configured_protocol, current_reviewer,
                                protocol_for)
from ..screening.store import ScreeningError, ensure_order, order_is_current, session_state

READ_ONLY = ("This review is read-only (an immutable or published copy): decisions, protocol "
             "and reviewers cannot change here. Screen on the team's writable instance.")


async def review_database(datasette, request, table: str | None = None):
    """The Database named in the URL, after a permission check, or NotFound."""
    name = request.url_vars["database"]
    if name not in datasette.databases:
        raise NotFound(f"Database not found: {name}")
    db = datasette.get_database(name)
    await datasette.ensure_permission(action="view-database", resource=DatabaseResource(name),
                                      actor=request.actor)
    if table:
        await datasette.ensure_permission(action="view-table",
                                          resource=TableResource(name, table),
                                          actor=request.actor)
    tables = await review_tables(db)
    if not {"records", "record_terms"} <= tables:
        raise NotFound(f"{name} is not a review database (load one with `mscdm load`)")
    return db, tables


async def screening_database(datasette, request):
    """A review database with the screening tables (schema m003)."""
    db, tables = await review_database(datasette, request, table="records")
    if "decisions" not in tables:
        raise NotFound(f"{db.name} has no screening tables yet: serve it writable once, or "
                       "run `mscdm load` with this version")
    return db


async def require_reviewer(datasette, request, db, lead: bool = False):
    """The reviewer a write acts as, and the protocol in force (with the
    screening order current). Read-only databases refuse with a 403 that
    says so; so do visitors who are not logged in as an active reviewer (or
    lead) of this database."""
    if not db.is_mutable:
        raise Forbidden(READ_ONLY)
    action = LEAD if lead else SCREEN
    allowed = await datasette.allowed(action=action, resource=DatabaseResource(db.name),
                                      actor=request.actor)
    name = request.actor.get("id") if allowed and isinstance(request.actor, dict) else None
    configured = configured_protocol(datasette, db.name)
    # One trip to the database for the reviewer, the protocol and the order.
    reviewer, protocol, order_current = await db.execute_fn(
        lambda conn: session_state(conn, name, configured))
    if reviewer is None or (lead and not reviewer.is_lead) or not await current_reviewer(
            db, request.actor, reviewer):
        who = "a lead" if lead else "a reviewer"
        raise Forbidden(f"Log in as {who} of {db.name} to do this "
                        f"({datasette.urls.database(db.name)}/-/login).")
    if not order_current:
        await _put_in_order(db, protocol)
    return reviewer, protocol


async def can(datasette, request, db, action: str) -> bool:
    """Whether to show write controls: writable, allowed, and the reviewer
    still exists (a removed reviewer's cookie shows none)."""
    if not db.is_mutable:
        return False
    if not await datasette.allowed(action=action, resource=DatabaseResource(db.name),
                                   actor=request.actor):
        return False
    reviewer = await current_reviewer(db, request.actor)
    return reviewer is not None and (action == SCREEN or reviewer.is_lead)


async def ready_protocol(datasette, db):
    """The protocol in force, with the screening order filled in for every
    record (records loaded since the last check get their place)."""
    protocol = await protocol_for(datasette, db)
    if db.is_mutable and not await db.execute_fn(lambda c: order_is_current(c, protocol)):
        await _put_in_order(db, protocol)
    return protocol


async def _put_in_order(db, protocol) -> None:
    """Give records loaded since the last check (or all, after the order
    changed) their place in the protocol's screening order."""
    await db.execute_write_fn(lambda conn: ensure_order(conn, protocol))


async def write(db, fn):
    """Run a screening write in one transaction on the write connection."""
    return await db.execute_write_fn(fn)


def safe_next(datasette, db, value: str | None, default: str) -> str:
    """A redirect target inside this database's pages, never another site."""
    prefix = datasette.urls.database(db.name) + "/"
    if value and value.startswith(prefix) and not value.startswith("//") and "\\" not in value:
        return value
    return default


def login_url(datasette, db, request) -> str:
    return (f"{datasette.urls.database(db.name)}/-/login?next="
            f"{quote(request.full_path, safe='')}")


def json_error(error: Exception, status: int | None = None) -> Response:
    return Response.json({"ok": False, "error": str(error)},
                         status=status or getattr(error, "status", 400))


async def read_json(request) -> dict:
    try:
        body = json.loads((await request.post_body()) or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise ScreeningError(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ScreeningError("the body must be a JSON object")
    return body
