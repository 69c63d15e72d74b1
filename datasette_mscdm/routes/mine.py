"""A reviewer's own work: /<database>/-/screen/mine. Their votes in force at
a stage, filtered (my includes, my maybes, my notes) and searched, each with
a link back to change it while the record still waits for votes; and a
search within the records they still have to screen."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

from datasette import Forbidden, Response
from datasette.utils import escape_fts

from ..review_db import read
from ..screening import rules, store
from . import inputs
from .common import error_page, login_url, require_reviewer, screening_database
from .screen import screen_url

PAGE_SIZE = 50
ANSWERS = ("include", "exclude", "maybe", "not_retrieved")


async def mine_view(datasette, request):
    db = await screening_database(datasette, request)
    try:
        reviewer, protocol = await require_reviewer(datasette, request, db)
    except Forbidden:
        return Response.redirect(login_url(datasette, db, request))
    args = request.args
    try:
        stage = inputs.stage(inputs.text(args.get("stage"), "stage"), protocol,
                             default="title_abstract")
        decision = inputs.text(args.get("decision"), "decision")
        if decision and decision not in ANSWERS:
            raise store.ScreeningError(f"decision must be one of {', '.join(ANSWERS)}")
        with_note = args.get("note") == "1"
        search = (inputs.text(args.get("q"), "q") or "").strip()
        queue_search = (inputs.text(args.get("todo"), "q") or "").strip()
        page = inputs.page_number(args.get("page"))
    except store.ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)

    def gather(conn):
        mine = store.my_decisions(conn, reviewer.name, stage, decision, with_note,
                                  escape_fts(search) if search else None, PAGE_SIZE,
                                  (page - 1) * PAGE_SIZE)
        queue = (store.my_queue(conn, reviewer.name, stage, escape_fts(queue_search))
                 if queue_search else None)
        return mine, queue

    try:
        mine, queue = await read(db, gather)
    except sqlite3.OperationalError as error:
        return await error_page(datasette, request, f"Search not understood: {error}", 400)
    single = protocol.stage(stage).reviewers == 1
    for row in mine["rows"]:
        # A vote can change while the record waits for votes (always, in a
        # single-reviewer stage); after that it is locked.
        row["changeable"] = single or row["status"] in rules.OPEN
        row["change_url"] = screen_url(datasette, db, stage, row["record_id"])
    for row in (queue or {}).get("rows", []):
        row["screen_url"] = screen_url(datasette, db, stage, row["id"])
    base = datasette.urls.database(db.name)
    kept = {"stage": stage, "decision": decision or "", "note": "1" if with_note else "",
            "q": search}
    return Response.html(await datasette.render_template("mscdm_mine.html", {
        "database": db.name, "reviewer": reviewer, "protocol": protocol, "stage": stage,
        "stage_label": protocol.stage(stage).label, "decision": decision, "with_note": with_note,
        "q": search, "todo": queue_search, "mine": mine, "queue": queue, "page": page,
        "pages": max((mine["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "page_url": f"{base}/-/screen/mine?{urlencode(kept)}&page=",
        "record_base": f"{base}/-/record/", "screen": screen_url(datasette, db, stage),
        "answers": ANSWERS,
    }, request=request))
