"""Conflicts and maybes for leads: /<database>/-/conflicts. GET lists every
record where the votes disagree (or all said maybe), votes and reasons side
by side with the abstract (highlighted) and the eligibility criteria; POST
records the lead's resolution as a decision of the lead (include; exclude
with a reason; at title/abstract, maybe: send it on to the full text), or
reopens the stage so the reviewers vote again (`decision=reopen`). Nothing
is preselected: the lead picks every resolution. Keys in
static/mscdm-conflicts.js."""

from __future__ import annotations

import uuid

from datasette import Response

from ..review_db import highlighter, read
from ..screening import store
from . import inputs
from .common import (error_page, read_form, require_reviewer, safe_next, screening_database,
                     write_as, writer_session)

PAGE_SIZE = 20


async def conflicts_view(datasette, request):
    db = await screening_database(datasette, request)
    if request.method == "POST":
        return await _resolve(datasette, request, db)
    lead, protocol = await require_reviewer(datasette, request, db, lead=True)
    try:
        page = inputs.page_number(request.args.get("page"))
    except store.ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)
    return await _page(datasette, request, db, protocol, page)


async def _page(datasette, request, db, protocol, page: int = 1, error: str | None = None,
                status: int = 200):
    # The list and its counts from one snapshot, so the two always agree.
    records, counts = await read(db, lambda c: (
        store.lead_queue(c, PAGE_SIZE, (page - 1) * PAGE_SIZE), store.lead_queue_counts(c)))
    marks = await highlighter(datasette, db, protocol)
    for record in records:
        record["title_html"] = marks.markup(record["title"])
        record["abstract_html"] = marks.paragraphs(record["abstract"])
    total = counts["total"]
    return Response.html(await datasette.render_template("mscdm_conflicts.html", {
        "database": db.name, "records": records, "total": total, "counts": counts,
        "page": page, "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "protocol": protocol, "error": error, "request_id": uuid.uuid4().hex,
        "record_base": f"{datasette.urls.database(db.name)}/-/record/",
        "js": datasette.urls.static_plugins("datasette_mscdm", "mscdm-conflicts.js"),
        "keyed_list_js": datasette.urls.static_plugins("datasette_mscdm", "mscdm-keyed-list.js"),
    }, request=request), status=status)


async def _resolve(datasette, request, db):
    try:
        await writer_session(datasette, request, db, lead=True)
        form = await read_form(request, ("record_id", "stage", "decision", "reason", "note",
                                          "request_id", "next"))
        record_id = inputs.record_id(form.get("record_id"))
        decision = inputs.text(form.get("decision"), "decision", required=True)
        reason = inputs.text(form.get("reason"), "reason")
        note = inputs.text(form.get("note"), "note")
        request_id = inputs.text(form.get("request_id"), "request_id")
        next_url = inputs.text(form.get("next"), "next")

        def resolve(conn, lead, protocol):
            stage = inputs.stage(form.get("stage"), protocol)
            if decision == "reopen":
                store.reopen_stage(conn, protocol, lead, record_id, stage, note,
                                   request_id=request_id)
            else:
                store.record_decision(conn, protocol, lead, record_id, stage, decision,
                                      reason, note, kind="resolution", request_id=request_id)
            return resolved_message(record_id, protocol.stage(stage), decision, reason)

        message = await write_as(datasette, request, db, resolve, lead=True)
    except store.ScreeningError as error:
        try:
            _, protocol = await require_reviewer(datasette, request, db, lead=True)
        except Exception:
            return await error_page(datasette, request, str(error), error.status)
        return await _page(datasette, request, db, protocol, error=str(error),
                           status=error.status)
    # The page the lead goes back to says what was done (the record has left the list).
    datasette.add_message(request, message, datasette.INFO)
    return Response.redirect(safe_next(datasette, db, next_url, request.path), status=303)


def resolved_message(record_id: int, stage, decision: str, reason: str | None) -> str:
    """The confirmation a lead sees after resolving or reopening a record."""
    if decision == "reopen":
        return f"Record {record_id}: {stage.label} reopened; its reviewers vote again."
    done = {"include": "Included", "exclude": "Excluded",
            "maybe": ("Sent on to the full text" if stage.key == "title_abstract"
                      else "Left as maybe")}.get(decision, decision)
    because = f" ({reason})" if reason else ""
    return f"Record {record_id}: {done}{because} at {stage.label}, your resolution."
