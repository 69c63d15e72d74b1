"""The screening page: /<database>/-/screen (GET the next record, POST a
decision), /<database>/-/screen/undo and /<database>/-/screen/skip (POST).
Works as plain HTML forms; static/mscdm-screen.js adds keyboard shortcuts
and moves on without a full page load through the JSON endpoints in api.py.

After every key the reviewer is told what happened: a decision's
confirmation ("Excluded: Conference abstract only - u to undo"), an undo's
banner on the record it brings back, a skip's notice. Without JavaScript
the redirect names the decision (`?decided=<id>`, `?undone=<id>`,
`?skipped=<record id>`) and the page words it from the database, so no text
travels in a URL."""

from __future__ import annotations

import uuid

from datasette import Forbidden, Response

from ..highlight import record_links
from ..review_db import fetch_record, highlighter, read, vocabulary_groups
from ..screening import store
from . import inputs
from .common import (READ_ONLY, error_page, login_url, read_form, require_reviewer, safe_next,
                     screening_database, write_as, writer_session)

# The fields of the decision form (mscdm_decide_form.html). A reason ticked
# before another button than Exclude is sent too, and applies to exclusions only.
DECISION_FORM = ("record_id", "stage", "decision", "reason", "note", "request_id", "next")

DONE = {"include": "Included", "exclude": "Excluded", "maybe": "Maybe",
        "not_retrieved": "Reported not retrieved"}


def decision_notice(decision: dict) -> str:
    """What a reviewer is told after a decision: what was recorded, and how
    to take it back."""
    said = DONE.get(decision["decision"], decision["decision"])
    if decision.get("reason"):
        said += f": {decision['reason']}"
    return f"{said} (record #{decision['record_id']}) - u to undo"


def screen_url(datasette, db, stage: str, record_id: int | None = None, **extra) -> str:
    url = f"{datasette.urls.database(db.name)}/-/screen?stage={stage}"
    if record_id:
        url += f"&record={record_id}"
    return url + "".join(f"&{key}={value}" for key, value in extra.items())


async def default_stage(db, protocol, reviewer) -> str:
    """Title/abstract while it has work for this reviewer, then full text."""
    for stage in protocol.stages:
        if await read(db, lambda c: store.next_record_id(c, reviewer.name, stage.key)):
            return stage.key
    return "title_abstract"


async def card_context(datasette, db, protocol, reviewer, stage: str,
                       record_id: int | None, next_url: str | None = None,
                       undone: dict | None = None) -> dict:
    """What the record card (mscdm_screen_card.html) shows: the record, the
    eligibility criteria, the reviewer's own vote on it, the decision form,
    and (`undone`) the vote an undo just withdrew."""
    record = await fetch_record(db, record_id) if record_id else None
    stage_config = protocol.stage(stage)
    base = datasette.urls.database(db.name)
    context = {
        "database": db.name, "stage": stage, "stage_label": stage_config.label,
        "stage_config": stage_config, "record": record, "reviewer": reviewer,
        "protocol": protocol, "request_id": uuid.uuid4().hex,
        "screen_action": f"{base}/-/screen", "undo_action": f"{base}/-/screen/undo",
        "skip_action": f"{base}/-/screen/skip", "next": next_url or "",
        "undone": undone if undone and record and undone["record_id"] == record["id"] else None,
    }
    if record is None:
        return context
    marks = await highlighter(datasette, db, protocol)
    groups = await vocabulary_groups(db)
    context.update({
        "title_html": marks.markup(record["title"]),
        "abstract": marks.paragraphs(record["abstract"]),
        "tags": [{"label": groups.get(key, key), "terms": terms}
                 for key, terms in record["auto_tags"].items()],
        "my_vote": await read(db,
            lambda c: store.my_vote(c, reviewer.name, record["id"], stage)),
        # Why this reviewer can no longer vote here, if so (the form is then
        # not shown: the record has all its votes, or a lead settled it).
        "locked": await read(db, lambda c: store.vote_locked(
            c, protocol, reviewer.name, record["id"], stage)),
        "record_url": f"{base}/-/record/{record['id']}",
        "conflicts_url": f"{base}/-/conflicts",
        "links": record_links(record),
        "stage_status": record[store.STATUS_COLUMN[stage]],
    })
    return context


async def _own_decision(db, reviewer, value) -> dict | None:
    """A decision of this reviewer named in the query string, else None."""
    decision_id = inputs.optional_record_id(value, "decision")
    if decision_id is None:
        return None
    row = await read(db, lambda c: store.decision_row(c, decision_id))
    return row if row and row["reviewer"] == reviewer.name else None


async def screen_view(datasette, request):
    db = await screening_database(datasette, request)
    if request.method == "POST":
        return await _decide(datasette, request, db)
    if not db.is_mutable:
        raise Forbidden(READ_ONLY)
    try:
        reviewer, protocol = await require_reviewer(datasette, request, db)
    except Forbidden:
        return Response.redirect(login_url(datasette, db, request))
    try:
        requested = inputs.text(request.args.get("stage"), "stage")
        stage = (inputs.stage(requested, protocol) if requested
                 else await default_stage(db, protocol, reviewer))
        record_id = inputs.optional_record_id(request.args.get("record"), "record")
        notice, undone = None, None
        decided = await _own_decision(db, reviewer, request.args.get("decided"))
        if decided:
            notice = decision_notice(decided)
        undo_row = await _own_decision(db, reviewer, request.args.get("undone"))
        if undo_row and undo_row["undoes"]:
            undone = await read(db, lambda c: store.decision_row(c, undo_row["undoes"]))
        skipped = inputs.optional_record_id(request.args.get("skipped"), "skipped")
        if skipped:
            notice = f"Skipped record #{skipped}: it stays in your queue for later."
        if record_id is None:
            record_id = await write_as(datasette, request, db, lambda conn, me, protocol: (
                store.claim_next(conn, me.name, stage, protocol.stage(stage).reviewers)))
    except store.ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)
    return await _page(datasette, request, db, protocol, reviewer, stage, record_id,
                       notice=notice, undone=undone)


async def _page(datasette, request, db, protocol, reviewer, stage, record_id,
                error: str | None = None, status: int = 200, next_url: str | None = None,
                notice: str | None = None, undone: dict | None = None):
    card = await card_context(datasette, db, protocol, reviewer, stage, record_id, next_url,
                              undone)
    if record_id and card["record"] is None:
        error, status = f"No record {record_id}.", 404
    progress = await read(db, lambda c: store.progress(c, reviewer.name, stage))
    base = datasette.urls.database(db.name)
    context = dict(card, error=error, notice=notice, progress=progress,
                   stages=[{"key": s.key, "label": s.label, "url": screen_url(datasette, db, s.key),
                            "current": s.key == stage} for s in protocol.stages],
                   page_links={
                       "decide_json": f"{base}/-/screen/decisions.json?card=1",
                       "undo_json": f"{base}/-/screen/undo.json?card=1",
                       "skip_json": f"{base}/-/screen/skip.json?card=1",
                       "progress_json": f"{base}/-/screen/progress.json?stage={stage}",
                       "mine": f"{base}/-/screen/mine?stage={stage}",
                       "logout": f"{base}/-/logout", "conflicts": f"{base}/-/conflicts",
                       "protocol": f"{base}/-/protocol",
                       "js": datasette.urls.static_plugins("datasette_mscdm", "mscdm-screen.js"),
                       "table": datasette.urls.table(db.name, "records")})
    return Response.html(await datasette.render_template(
        "mscdm_screen.html", context, request=request), status=status)


async def _decide(datasette, request, db):
    """A decision posted by the page's plain HTML form."""
    form = {}
    try:
        await writer_session(datasette, request, db)
        form = await read_form(request, DECISION_FORM)
        record_id = inputs.record_id(form.get("record_id"))
        decision = inputs.text(form.get("decision"), "decision", required=True)
        reason = inputs.text(form.get("reason"), "reason")
        note = inputs.text(form.get("note"), "note")
        request_id = inputs.text(form.get("request_id"), "request_id")
        next_url = inputs.text(form.get("next"), "next")

        def decide(conn, reviewer, protocol):
            stage = inputs.stage(form.get("stage"), protocol, default="title_abstract")
            result = store.record_decision(conn, protocol, reviewer, record_id, stage,
                                           decision, reason, note, request_id=request_id)
            return stage, result["decision"]["id"]

        stage, decision_id = await write_as(datasette, request, db, decide)
    except store.ScreeningError as error:
        return await _form_error(datasette, request, db, error, form.get("stage"),
                                 form.get("record_id"), form.get("next"))
    return Response.redirect(
        safe_next(datasette, db, next_url,
                  screen_url(datasette, db, stage, decided=decision_id)), status=303)


async def _form_error(datasette, request, db, error, stage, record_id, next_url=None):
    """The screening page again with the error, when the reviewer and the
    stage and record are sound enough to show it; a plain error page else."""
    try:
        reviewer, protocol = await require_reviewer(datasette, request, db)
        stage = inputs.stage(stage, protocol, default="title_abstract")
        record_id = inputs.optional_record_id(record_id)
    except (Forbidden, store.ScreeningError):
        return await error_page(datasette, request, str(error), error.status)
    return await _page(datasette, request, db, protocol, reviewer, stage, record_id,
                       error=str(error), status=error.status,
                       next_url=next_url if isinstance(next_url, str) else None)


async def undo_view(datasette, request):
    db = await screening_database(datasette, request)
    if request.method != "POST":
        return Response.text("Undo with a POST (the undo button).", status=405)
    form = {}
    try:
        await writer_session(datasette, request, db)
        form = await read_form(request, ("stage", "request_id"))
        request_id = inputs.text(form.get("request_id"), "request_id")

        def undo(conn, reviewer, protocol):
            stage = inputs.stage(form.get("stage"), protocol, default="title_abstract")
            return stage, store.undo_last(conn, protocol, reviewer, stage, request_id=request_id)

        stage, result = await write_as(datasette, request, db, undo)
    except store.ScreeningError as error:
        return await _form_error(datasette, request, db, error, form.get("stage"), None)
    return Response.redirect(screen_url(
        datasette, db, stage, result["undone"]["record_id"], undone=result["undo"]["id"]),
        status=303)


async def skip_view(datasette, request):
    """Skip, from the plain form: the record stays in my queue for later."""
    db = await screening_database(datasette, request)
    if request.method != "POST":
        return Response.text("Skip with a POST (the skip button).", status=405)
    form = {}
    try:
        await writer_session(datasette, request, db)
        # The skip button posts the decision form (its other fields unused).
        form = await read_form(request, DECISION_FORM + ("skip",))
        record_id = inputs.record_id(form.get("record_id"))

        def skip(conn, reviewer, protocol):
            stage = inputs.stage(form.get("stage"), protocol, default="title_abstract")
            return stage, store.skip_record(conn, protocol, reviewer, record_id, stage)

        stage, result = await write_as(datasette, request, db, skip)
    except store.ScreeningError as error:
        return await _form_error(datasette, request, db, error, form.get("stage"),
                                 form.get("record_id"))
    following = result["next_record"]
    return Response.redirect(screen_url(datasette, db, stage,
                                        following["id"] if following else None,
                                        skipped=record_id), status=303)
