"""JSON endpoints for scripts and for the screening page's JavaScript.

POST /<db>/-/screen/decisions.json   record a decision, get the next record
POST /<db>/-/screen/undo.json        undo my last decision at a stage
POST /<db>/-/screen/skip.json        skip a record for later, get the next one
GET  /<db>/-/screen/next.json        the next record for me at a stage
GET  /<db>/-/screen/progress.json    done / remaining for me and the team
GET  /<db>/-/record/<id>/history.json  statuses and the decisions I may see

Writes need a logged-in reviewer (the login cookie), pass Datasette's CSRF
protection, and check the reviewer again in the write's own transaction;
`?card=1` adds the rendered record card for the page. Every input goes
through inputs.py: a wrong type or an unknown stage is a 400.
"""

from __future__ import annotations

from datasette import NotFound, Response

from ..review_db import read
from ..screening import store
from ..screening.access import current_reviewer, protocol_for
from . import inputs
from .common import (json_view, read_json, require_reviewer, screening_database, write_as,
                     writer_session)
from .screen import card_context, decision_notice

DECISION_FIELDS = ("record_id", "stage", "decision", "reason", "note", "request_id")
UNDO_FIELDS = ("stage", "request_id")
SKIP_FIELDS = ("record_id", "stage")


async def _with_card(datasette, request, db, result: dict, stage: str, record_id,
                     undone: dict | None = None) -> dict:
    """With ?card=1, the card of `record_id` as the screening page shows it,
    for the page's script (`undone`: the vote an undo just withdrew)."""
    if request.args.get("card"):
        reviewer, protocol = await require_reviewer(datasette, request, db)
        context = await card_context(datasette, db, protocol, reviewer, stage, record_id,
                                     undone=undone)
        result["html"] = await datasette.render_template("mscdm_screen_card.html", context,
                                                         request=request)
    return result




def _post_only(request, what: str):
    if request.method != "POST":
        raise store.ScreeningError(f"POST {what} as JSON", 405)


@json_view
async def decisions_json(datasette, request):
    _post_only(request, "a decision")
    db = await screening_database(datasette, request)
    await writer_session(datasette, request, db)
    body = inputs.json_fields(await read_json(request), DECISION_FIELDS)
    record_id = inputs.record_id(body.get("record_id"), json=True)
    decision = inputs.text(body.get("decision"), "decision", required=True)
    reason = inputs.text(body.get("reason"), "reason")
    if reason and decision != "exclude":
        raise store.ScreeningError("a reason is given only to exclude")
    note = inputs.text(body.get("note"), "note")
    request_id = inputs.text(body.get("request_id"), "request_id")

    def decide(conn, reviewer, protocol):
        stage = inputs.stage(body.get("stage"), protocol, default="title_abstract")
        result = store.decide_and_next(conn, protocol, reviewer, record_id, stage, decision,
                                       reason=reason, note=note, request_id=request_id)
        return dict(result, stage=stage)

    result = await write_as(datasette, request, db, decide)
    result["notice"] = decision_notice(result["decision"])
    record = result.pop("next_record")
    result["next"] = await _with_card(datasette, request, db,
                                      {"stage": result["stage"], "record": record},
                                      result["stage"], record["id"] if record else None)
    return Response.json(dict(result, ok=True), status=200 if result["repeated"] else 201)


@json_view
async def undo_json(datasette, request):
    _post_only(request, "an undo")
    db = await screening_database(datasette, request)
    await writer_session(datasette, request, db)
    body = inputs.json_fields(await read_json(request), UNDO_FIELDS)
    request_id = inputs.text(body.get("request_id"), "request_id")

    def undo(conn, reviewer, protocol):
        stage = inputs.stage(body.get("stage"), protocol, default="title_abstract")
        return dict(store.undo_last(conn, protocol, reviewer, stage, request_id=request_id),
                    stage=stage)

    result = await write_as(datasette, request, db, undo)
    result = await _with_card(datasette, request, db, result, result["stage"],
                              result["undone"]["record_id"], undone=result["undone"])
    return Response.json(dict(result, ok=True))


@json_view
async def skip_json(datasette, request):
    """Skip a record for later; answers with my next record (and its card)."""
    _post_only(request, "a skip")
    db = await screening_database(datasette, request)
    await writer_session(datasette, request, db)
    body = inputs.json_fields(await read_json(request), SKIP_FIELDS)
    record_id = inputs.record_id(body.get("record_id"), json=True)

    def skip(conn, reviewer, protocol):
        stage = inputs.stage(body.get("stage"), protocol, default="title_abstract")
        return dict(store.skip_record(conn, protocol, reviewer, record_id, stage), stage=stage)

    result = await write_as(datasette, request, db, skip)
    record = result.pop("next_record")
    result["notice"] = f"Skipped record #{record_id}: it stays in your queue for later."
    result["next"] = await _with_card(datasette, request, db,
                                      {"stage": result["stage"], "record": record},
                                      result["stage"], record["id"] if record else None)
    return Response.json(dict(result, ok=True))


@json_view
async def next_json(datasette, request):
    db = await screening_database(datasette, request)
    await writer_session(datasette, request, db)
    requested = inputs.text(request.args.get("stage"), "stage")

    def claim(conn, reviewer, protocol):
        stage = inputs.stage(requested, protocol, default="title_abstract")
        return stage, store.record_summary(conn, store.claim_next(
            conn, reviewer.name, stage, protocol.stage(stage).reviewers))

    stage, record = await write_as(datasette, request, db, claim)
    result = await _with_card(datasette, request, db, {"stage": stage, "record": record}, stage,
                              record["id"] if record else None)
    return Response.json(dict(result, ok=True))


@json_view
async def progress_json(datasette, request):
    db = await screening_database(datasette, request)
    reviewer = await current_reviewer(db, request.actor)
    protocol = await protocol_for(datasette, db)
    stage = inputs.stage(inputs.text(request.args.get("stage"), "stage"), protocol,
                         default="title_abstract")
    return Response.json(dict(await read(db, lambda c: store.progress(
        c, reviewer.name if reviewer else None, stage)), ok=True))


@json_view
async def history_json(datasette, request):
    db = await screening_database(datasette, request)
    record_id = inputs.record_id(request.url_vars["record_id"])
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
    return await read(db, lambda c: store.visible_history(
        c, record_id, reviewer.name if reviewer else None, blind))
