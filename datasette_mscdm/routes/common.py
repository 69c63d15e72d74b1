"""What every plugin page does first: find the review database, check that
the visitor may see it, and (for screening pages) who the reviewer is."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote

from datasette import Forbidden, NotFound, Response
from datasette.utils.asgi import PayloadTooLarge
from datasette.resources import DatabaseResource, TableResource

from ..review_db import read, review_tables
from ..screening import reranker, store
from ..screening.access import (LEAD, SCREEN, configured_protocol, current_reviewer,
                                protocol_for, reviewer_session)
from ..screening.store import ScreeningError

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
    """The reviewer a page is shown to, and the protocol in force (with the
    screening order current). Read-only databases refuse with a 403 that
    says so; so do visitors who are not logged in as an active reviewer (or
    lead) of this database. Pages only read with this: every write checks
    the reviewer again in its own transaction (write_as)."""
    if not db.is_mutable:
        raise Forbidden(READ_ONLY)
    action = LEAD if lead else SCREEN
    allowed = await datasette.allowed(action=action, resource=DatabaseResource(db.name),
                                      actor=request.actor)
    reviewer = await current_reviewer(db, request.actor) if allowed else None
    if reviewer is None or (lead and not reviewer.is_lead):
        raise Forbidden(not_allowed(datasette, db, lead))
    return reviewer, await ready_protocol(datasette, db)


def not_allowed(datasette, db, lead: bool = False) -> str:
    who = "a lead" if lead else "a reviewer"
    return (f"Log in as {who} of {db.name} to do this "
            f"({datasette.urls.database(db.name)}/-/login).")


async def writer_session(datasette, request, db, lead: bool = False) -> tuple[str, int]:
    """The (name, session version) a write would act as, or ScreeningError
    403 for a read-only review or a visitor not logged in to it. Write
    endpoints call this before reading their input, so a read-only copy or
    an anonymous visitor is told 403 whatever they send; write_as checks the
    session against the database in the write's own transaction."""
    if not db.is_mutable:
        raise ScreeningError(READ_ONLY, 403)
    allowed = await datasette.allowed(action=LEAD if lead else SCREEN,
                                      resource=DatabaseResource(db.name), actor=request.actor)
    session = reviewer_session(db.name, request.actor) if allowed else None
    if session is None:
        raise ScreeningError(not_allowed(datasette, db, lead), 403)
    return session


async def write_as(datasette, request, db, fn, lead: bool = False):
    """Run `fn(conn, reviewer, protocol)` on Datasette's write connection, in
    one transaction that first checks, on that connection, that the
    request's reviewer is still active, in the role the action needs and
    logged in since their last password or role change, and reads the
    protocol in force. So a removal, a demotion or a protocol change made a
    moment ago (by the CLI, another process) applies to this very write.
    Raises ScreeningError (403 not allowed or read-only, ...)."""
    session = await writer_session(datasette, request, db, lead)
    configured = configured_protocol(datasette, db.name)
    in_force = []

    def run(conn):
        reviewer = store.acting_reviewer(conn, *session, lead=lead)
        protocol = store.stored_protocol(conn) or configured
        in_force.append(protocol)
        store.ensure_order(conn, protocol)
        return fn(conn, reviewer, protocol)

    result = await db.execute_write_fn(run)
    # A decision may have settled a record: the priority order checks
    # whether a rerank is due (in the background; never delays this answer).
    reranker.schedule(datasette, db, in_force[-1])
    return result


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
    if db.is_mutable and not await read(db, lambda c: store.order_is_current(c, protocol)):
        await db.execute_write_fn(lambda conn: store.ensure_order(conn, protocol))
    reranker.schedule(datasette, db, protocol)
    return protocol


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


def json_view(handler):
    """Errors as JSON with their status (403 read-only or not logged in,
    400 bad input, 404 unknown record, 405 wrong method, 409 wrong state)."""
    async def view(datasette, request):
        try:
            return await handler(datasette, request)
        except store.ScreeningError as error:
            return json_error(error)
        except Forbidden as error:
            return json_error(error, 403)
        except NotFound as error:
            return json_error(error, 404)
    return view


async def error_page(datasette, request, message: str, status: int) -> Response:
    """A form's error as an HTML page with its status (a 4xx, never a 500)."""
    return Response.html(await datasette.render_template(
        "mscdm_error.html", {"message": message, "status": status,
                             "database": request.url_vars.get("database")},
        request=request), status=status)


# A decision or an answer is a few hundred bytes; a protocol a few kilobytes.
MAX_BODY = 1_000_000


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ScreeningError("a field is given twice in the body")
    return dict(pairs)


async def _body(request) -> bytes:
    """The request body (read once: the stream cannot be read again)."""
    try:
        return await request.post_body(max_bytes=MAX_BODY)
    except PayloadTooLarge:
        raise ScreeningError(f"the body is larger than {MAX_BODY:,} bytes", 413) from None


async def read_json(request) -> dict:
    """The JSON object a request sends: 400 for anything else (not JSON, not
    an object, a field given twice, nesting too deep), 413 when too large."""
    try:
        body = json.loads((await _body(request)) or b"{}",
                          object_pairs_hook=_no_duplicate_keys)
    except (ValueError, UnicodeDecodeError) as error:
        raise ScreeningError(f"the body is not JSON: {error}"[:300]) from error
    except RecursionError:
        raise ScreeningError("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ScreeningError("the body must be a JSON object")
    return body


async def read_form(request, allowed: tuple[str, ...] | None = None) -> dict:
    """A form post's fields (the last value of each); with `allowed`, a
    field the form does not have is a 400 (a typo is never dropped)."""
    body = await _body(request)
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError) as error:
        raise ScreeningError(f"the form could not be read: {error}"[:300]) from error
    if allowed is not None:
        unknown = sorted(set(form) - set(allowed) - {"csrftoken"})
        if unknown:
            raise ScreeningError(f"unknown form field(s): {', '.join(unknown)[:200]}")
    return form
