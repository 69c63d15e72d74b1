"""Bulk exclusion for leads: /<database>/-/bulk-exclude. GET previews the
records a full-text search matches that are still open at a stage; POST
excludes them, one decision of the lead marked `bulk` per record, only if
the number confirmed is still the number that match."""

from __future__ import annotations

import sqlite3

from datasette import Response

from ..review_db import read
from ..screening import store
from . import inputs
from .common import read_form, require_reviewer, screening_database, write_as


async def bulk_view(datasette, request):
    db = await screening_database(datasette, request)
    lead, protocol = await require_reviewer(datasette, request, db, lead=True)
    context = {"database": db.name, "q": "", "stage": "title_abstract", "protocol": protocol,
               "reasons": protocol.stage("title_abstract").reasons, "preview": None,
               "done": None, "error": None}
    status = 200
    try:
        source = await read_form(request) if request.method == "POST" else request.args
        query = (inputs.text(source.get("q"), "q") or "").strip()
        stage = inputs.stage(source.get("stage"), protocol, default="title_abstract")
        context.update(q=query, stage=stage, reasons=protocol.stage(stage).reasons)
        if request.method == "POST":
            context["done"] = await _exclude(datasette, request, db, source, query, stage)
        elif query:
            context["preview"] = await read(db, lambda c: store.bulk_preview(c, query, stage))
    except store.ScreeningError as error:
        context["error"], status = str(error), error.status
    except sqlite3.OperationalError as error:
        # An FTS5 syntax error in the search (unbalanced quotes, a bare AND).
        context["error"], status = f"Search not understood: {error}", 400
    return Response.html(await datasette.render_template(
        "mscdm_bulk.html", context, request=request), status=status)


async def _exclude(datasette, request, db, form, query: str, stage: str) -> int:
    if not query:
        raise store.ScreeningError("give a full-text search")
    confirmed = inputs.text(form.get("confirm"), "confirm", required=True)
    if not confirmed.isdigit():
        raise store.ScreeningError("confirm must be the number of records to exclude")
    reason = inputs.text(form.get("reason"), "reason")
    note = inputs.text(form.get("note"), "note")

    def exclude(conn, lead, protocol):
        return store.bulk_exclude(conn, protocol, lead, query, stage, reason, note,
                                  expected=int(confirmed))

    return await write_as(datasette, request, db, exclude, lead=True)
