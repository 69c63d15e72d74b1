"""Conflicts and maybes for leads: /<database>/-/conflicts. GET lists every
record where the votes disagree (or all said maybe), votes and reasons side
by side; POST records the lead's resolution as a decision of the lead."""

from __future__ import annotations

import uuid

from datasette import Response

from ..screening import store
from .common import require_reviewer, screening_database, write
from .screen import stage_from

PAGE_SIZE = 50


async def conflicts_view(datasette, request):
    db = await screening_database(datasette, request)
    lead, protocol = await require_reviewer(datasette, request, db, lead=True)
    error, status = None, 200
    if request.method == "POST":
        form = await request.post_vars()
        record_id = form.get("record_id") or ""
        try:
            if not record_id.isdigit():
                raise store.ScreeningError("which record? (record_id is missing)")
            await write(db, lambda conn: store.record_decision(
                conn, protocol, lead, int(record_id), stage_from(form.get("stage"), protocol),
                form.get("decision") or "", form.get("reason"), form.get("note"),
                kind="resolution", request_id=form.get("request_id") or None))
            return Response.redirect(request.path, status=303)
        except store.ScreeningError as failure:
            error, status = str(failure), failure.status
    page = max(int(request.args.get("page", "1")) if request.args.get("page", "").isdigit()
               else 1, 1)
    records = await db.execute_fn(
        lambda c: store.lead_queue(c, PAGE_SIZE, (page - 1) * PAGE_SIZE))
    total = await db.execute_fn(store.lead_queue_count)
    return Response.html(await datasette.render_template("mscdm_conflicts.html", {
        "database": db.name, "records": records, "total": total, "page": page,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), "protocol": protocol,
        "error": error, "request_id": uuid.uuid4().hex,
        "record_base": f"{datasette.urls.database(db.name)}/-/record/",
    }, request=request), status=status)
