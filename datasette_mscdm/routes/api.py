"""JSON endpoints for scripts and for the screening page's JavaScript.

POST /<db>/-/screen/decisions.json   record a decision, get the next record
POST /<db>/-/screen/undo.json        undo my last decision at a stage
GET  /<db>/-/screen/next.json        the next record for me at a stage
GET  /<db>/-/screen/progress.json    done / remaining for me and the team
GET  /<db>/-/record/<id>/history.json  statuses and the decisions I may see

Writes need a logged-in reviewer (the login cookie) and pass Datasette's
CSRF protection; `?card=1` adds the rendered record card for the page.
"""

from __future__ import annotations

from datasette import Forbidden, NotFound, Response

from ..screening import store
from ..screening.access import current_reviewer, protocol_for
from .common import json_error, read_json, require_reviewer, screening_database, write
from .screen import card_context, stage_from

async def _next(datasette, request, db, protocol, reviewer, stage: str,
                record: dict | None | bool = False) -> dict:
    """The next record for this reviewer (`record`: already found), and with
    ?card=1 its card as the screening page shows it."""
    if record is False:
        record = await write(db, lambda conn: store.record_summary(conn, store.claim_next(
            conn, reviewer.name, stage, protocol.stage(stage).reviewers)))
    result = {"stage": stage, "record": record}
    if request.args.get("card"):
        result["html"] = await _card_html(datasette, request, db, protocol, reviewer, stage,
                                          record["id"] if record else None)
    return result


async def _card_html(datasette, request, db, protocol, reviewer, stage, record_id) -> str:
    """The record card as the screening page shows it, for the page's script."""
    context = await card_context(datasette, db, protocol, reviewer, stage, record_id)
    return await datasette.render_template("mscdm_screen_card.html", context, request=request)


async def _writer(datasette, request):
    db = await screening_database(datasette, request)
    reviewer, protocol = await require_reviewer(datasette, request, db)
    return db, reviewer, protocol


def _json_view(handler):
    """Errors as JSON with their status (403 read-only or not logged in,
    400 bad input, 404 unknown record, 409 wrong state)."""
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


@_json_view
async def decisions_json(datasette, request):
    if request.method != "POST":
        return json_error(store.ScreeningError("POST a decision as JSON"), 405)
    db, reviewer, protocol = await _writer(datasette, request)
    body = await read_json(request)
    stage = stage_from(body.get("stage"), protocol)
    record_id = body.get("record_id")
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise store.ScreeningError("record_id must be a whole number")
    result = await write(db, lambda conn: store.decide_and_next(
        conn, protocol, reviewer, record_id, stage, str(body.get("decision") or ""),
        reason=body.get("reason"), note=body.get("note"),
        request_id=body.get("request_id") or None))
    result["next"] = await _next(datasette, request, db, protocol, reviewer, stage,
                                 result.pop("next_record"))
    return Response.json(dict(result, ok=True), status=200 if result["repeated"] else 201)


@_json_view
async def undo_json(datasette, request):
    if request.method != "POST":
        return json_error(store.ScreeningError("POST to undo"), 405)
    db, reviewer, protocol = await _writer(datasette, request)
    body = await read_json(request)
    stage = stage_from(body.get("stage"), protocol)
    result = await write(db, lambda conn: store.undo_last(
        conn, protocol, reviewer, stage, request_id=body.get("request_id") or None))
    if request.args.get("card"):
        result["html"] = await _card_html(datasette, request, db, protocol, reviewer, stage,
                                          result["undone"]["record_id"])
    return Response.json(dict(result, ok=True))


@_json_view
async def next_json(datasette, request):
    db, reviewer, protocol = await _writer(datasette, request)
    stage = stage_from(request.args.get("stage"), protocol)
    return Response.json(dict(await _next(datasette, request, db, protocol, reviewer, stage),
                              ok=True))


@_json_view
async def progress_json(datasette, request):
    db = await screening_database(datasette, request)
    reviewer = await current_reviewer(db, request.actor)
    protocol = await protocol_for(datasette, db)
    stage = stage_from(request.args.get("stage"), protocol)
    return Response.json(dict(await db.execute_fn(
        lambda c: store.progress(c, reviewer.name if reviewer else None, stage)), ok=True))


@_json_view
async def history_json(datasette, request):
    db = await screening_database(datasette, request)
    record_id = int(request.url_vars["record_id"])
    history = await visible_history(datasette, request, db, record_id)
    if not history:
        raise NotFound(f"No record {record_id}")
    return Response.json(dict(history, record_id=record_id, ok=True))


async def visible_history(datasette, request, db, record_id: int) -> dict:
    """A record's statuses and the decisions this visitor may see: all of
    them on a read-only copy or when not blind, else per the blind rules."""
    reviewer = await current_reviewer(db, request.actor)
    protocol = await protocol_for(datasette, db)
    blind = protocol.blind and db.is_mutable
    return await db.execute_fn(lambda c: store.visible_history(
        c, record_id, reviewer.name if reviewer else None, blind))
