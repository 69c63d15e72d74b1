"""The record page: /<database>/-/record/<id>."""

from __future__ import annotations

import uuid

from datasette import Response

from ..highlight import record_links
from ..review_db import (fetch_occurrences, fetch_record, highlighter, read,
                         vocabulary_groups)
from ..screening.access import SCREEN, current_reviewer, protocol_for
from ..screening.protocol import STAGES
from .api import visible_history
from ..screening import priority, rules
from ..screening.store import STATUS_COLUMN, ScreeningError
from . import inputs
from .common import can, error_page, ready_protocol, review_database
from .duplicates import merged_away_page, merges_context
from .screen import card_context


async def record_view(datasette, request):
    db, tables = await review_database(datasette, request, table="records")
    try:
        record_id = inputs.record_id(request.url_vars["record_id"])
    except ScreeningError as error:
        return await error_page(datasette, request, str(error), error.status)
    record = await fetch_record(db, record_id)
    if record is None:
        return await merged_away_page(datasette, request, db, record_id)
    protocol = await protocol_for(datasette, db) if "decisions" in tables else None
    marks = await highlighter(datasette, db, protocol)
    groups = await vocabulary_groups(db)
    context = {
        "database": db.name,
        "record": record,
        "abstract": marks.paragraphs(record["abstract"]),
        "title_html": marks.markup(record["title"]),
        "claims": [marks.markup(claim) for claim in record["claims"]],
        "tags": [{"label": groups.get(key, key), "key": key, "terms": terms}
                 for key, terms in record["auto_tags"].items()],
        "links": record_links(record),
        "occurrences": await fetch_occurrences(db, record_id),
        "row_url": datasette.urls.row(db.name, "records", str(record_id)),
        "table_url": datasette.urls.table(db.name, "records"),
        "overview_url": datasette.urls.database(db.name) + "/-/overview",
        "merges": await merges_context(datasette, request, db, record_id),
        "merges_css": datasette.urls.static_plugins("datasette_mscdm", "mscdm-duplicates.css"),
    }
    if "decisions" in tables:
        context["history"] = await visible_history(datasette, request, db, record_id)
        context["stage_labels"] = STAGES
        if await can(datasette, request, db, SCREEN):
            # Decide here, at the stage the record is in, and come back.
            protocol = await ready_protocol(datasette, db)
            stage = ("full_text" if record.get("ta_status") == "included"
                     and protocol.has_stage("full_text") else "title_abstract")
            reviewer = await current_reviewer(db, request.actor)
            context["decide"] = await card_context(
                datasette, db, protocol, reviewer, stage, record_id,
                next_url=request.path)
            if reviewer and reviewer.is_lead:
                context["reopen"] = reopenable(datasette, db, protocol, record, request.path)
                if await read(db, priority.has_priority_tables):
                    context["seed_action"] = (f"{datasette.urls.database(db.name)}/-/record/"
                                              f"{record_id}/seed")
        # A lead's "known relevant" mark would sway a blind reviewer's vote:
        # others see it once the record is settled at title/abstract.
        shown_to_all = not protocol.blind or record.get("ta_status") not in rules.OPEN
        if (context.get("seed_action") or shown_to_all) and await read(
                db, priority.has_priority_tables):
            context["seed"] = await read(db, lambda conn: priority.seed_mark(conn, record_id))
    return Response.html(await datasette.render_template(
        "mscdm_record.html", context, request=request))


def reopenable(datasette, db, protocol, record: dict, back: str) -> list[dict]:
    """The stages of a record a lead may reopen (settled ones), latest first."""
    forms = []
    for stage in reversed(protocol.stages):
        status = record.get(STATUS_COLUMN[stage.key])
        if status and status not in rules.OPEN:
            forms.append({"stage": stage.key, "label": stage.label, "next": back,
                          "action": f"{datasette.urls.database(db.name)}/-/conflicts",
                          "request_id": uuid.uuid4().hex})
            break
    return forms
