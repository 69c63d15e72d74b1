"""Bulk exclusion for leads: /<database>/-/bulk-exclude. GET previews the
records a full-text search matches that are still open at a stage; POST
excludes them, one decision of the lead marked `bulk` per record."""

from __future__ import annotations

import sqlite3

from datasette import Response

from ..screening import store
from .common import require_reviewer, screening_database, write
from .screen import stage_from


async def bulk_view(datasette, request):
    db = await screening_database(datasette, request)
    lead, protocol = await require_reviewer(datasette, request, db, lead=True)
    source = await request.post_vars() if request.method == "POST" else request.args
    query = (source.get("q") or "").strip()
    stage = stage_from(source.get("stage"), protocol)
    context = {"database": db.name, "q": query, "stage": stage, "protocol": protocol,
               "reasons": protocol.stage(stage).reasons, "preview": None, "done": None,
               "error": None}
    status = 200
    try:
        if request.method == "POST":
            if not query:
                raise store.ScreeningError("give a full-text search")
            context["done"] = await write(db, lambda conn: store.bulk_exclude(
                conn, protocol, lead, query, stage, source.get("reason"), source.get("note")))
        elif query:
            context["preview"] = await db.execute_fn(
                lambda c: store.bulk_preview(c, query, stage))
    except store.ScreeningError as error:
        context["error"], status = str(error), error.status
    except sqlite3.OperationalError as error:
        # An FTS5 syntax error in the search (unbalanced quotes, a bare AND).
        context["error"], status = f"Search not understood: {error}", 400
    return Response.html(await datasette.render_template(
        "mscdm_bulk.html", context, request=request), status=status)
