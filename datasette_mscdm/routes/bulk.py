"""Bulk exclusion for leads: /<database>/-/bulk-exclude.

Three steps, so nobody excludes a thousand records by a slip:
1. GET ?q=...&stage=... previews every record the full-text search matches
   that is still open at the stage, paged, each title linked to its record;
2. POST with a reason (required) asks for confirmation, stating the number;
3. POST with `confirm=<that number>` excludes them, one decision of the lead
   marked `bulk` per record, refused if the matches changed meanwhile.
A bulk exclusion is a person's decision: PRISMA counts it with the records
excluded at title/abstract, not as "marked ineligible by automation tools".
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlencode

from datasette import Response
from markupsafe import Markup, escape

from ..review_db import read
from ..screening import store
from . import inputs
from .common import read_form, require_reviewer, screening_database, write_as

PAGE_SIZE = 50
BULK_FIELDS = ("q", "stage", "reason", "note", "confirm", "matches")


async def bulk_view(datasette, request):
    db = await screening_database(datasette, request)
    lead, protocol = await require_reviewer(datasette, request, db, lead=True)
    context = {"database": db.name, "q": "", "stage": "title_abstract", "protocol": protocol,
               "reasons": protocol.stage("title_abstract").reasons, "preview": None,
               "confirm": None, "done": None, "error": None, "reason": None, "note": None,
               "record_base": f"{datasette.urls.database(db.name)}/-/record/"}
    status = 200
    try:
        source = (await read_form(request, BULK_FIELDS) if request.method == "POST"
                  else request.args)
        typed = (inputs.text(source.get("q"), "q") or "").strip()
        query = fts_query(typed)
        stage = inputs.stage(source.get("stage"), protocol, default="title_abstract")
        reason = inputs.text(source.get("reason"), "reason")
        note = inputs.text(source.get("note"), "note")
        context.update(q=typed, stage=stage, reasons=protocol.stage(stage).reasons,
                       reason=reason, note=note)
        if request.method == "POST":
            if not query:
                raise store.ScreeningError("give a full-text search")
            if source.get("confirm") is None:
                context["confirm"] = await _confirmation(db, protocol, query, stage, reason,
                                                         source.get("matches"))
            else:
                context["done"] = await _exclude(datasette, request, db, source, query, stage,
                                                 reason, note)
        elif query:
            page = inputs.page_number(source.get("page"))
            preview = await read(db, lambda c: store.bulk_preview(
                c, query, stage, PAGE_SIZE, (page - 1) * PAGE_SIZE))
            preview.update(page=page, pages=max((preview["count"] + PAGE_SIZE - 1) // PAGE_SIZE, 1),
                           page_url="?" + urlencode({"q": query, "stage": stage}) + "&page=")
            for row in preview["rows"]:
                row["matched_html"] = marked_snippet(row["matched"])
            context["preview"] = preview
    except store.ScreeningError as error:
        context["error"], status = str(error), error.status
    except sqlite3.OperationalError as error:
        # An FTS5 syntax error in the search (unbalanced quotes, a bare AND).
        context["error"], status = f"Search not understood: {error}", 400
    return Response.html(await datasette.render_template(
        "mscdm_bulk.html", context, request=request), status=status)


def marked_snippet(text: str | None) -> Markup:
    """FTS5's snippet, escaped, with the matched words in <mark>."""
    out = []
    for i, part in enumerate((text or "").split(store.MATCH_START)):
        matched, _, rest = part.partition(store.MATCH_END) if i else ("", "", part)
        if matched:
            out.append(Markup("<mark>{}</mark>").format(matched))
        out.append(escape(rest))
    return Markup("").join(out)


def fts_query(text: str) -> str:
    """A search as typed, made valid FTS5: a hyphenated word (`cervical-cancer`)
    is a phrase, not `cervical` minus a column called `cancer`."""
    return re.sub(r'(?<!")\b(\w+(?:-\w+)+)\b(?!")', r'"\1"', text)


async def _confirmation(db, protocol, query: str, stage: str, reason: str | None,
                        previewed: str | None) -> dict:
    """Step 2: how many records would be excluded, with which reason; the
    matches must still be the ones previewed."""
    if protocol.stage(stage).reasons and not reason:
        raise store.ScreeningError("choose the reason these records are excluded for")
    now = await read(db, lambda c: store.bulk_preview(c, query, stage, 0))
    if not now["count"]:
        raise store.ScreeningError("no unscreened records match: nothing to exclude")
    if inputs.text(previewed, "matches", required=True) != now["digest"]:
        raise store.ScreeningError(f"the records that match changed since the preview"
                                   f" ({now['count']} unscreened records match now): preview again",
                                   409)
    return {"count": now["count"], "digest": now["digest"]}


async def _exclude(datasette, request, db, form, query: str, stage: str, reason, note) -> int:
    confirmed = inputs.count(form.get("confirm"), "confirm")
    digest = inputs.text(form.get("matches"), "matches", required=True)

    def exclude(conn, lead, protocol):
        return store.bulk_exclude(conn, protocol, lead, query, stage, reason, note,
                                  expected=confirmed, digest=digest)

    return await write_as(datasette, request, db, exclude, lead=True)
