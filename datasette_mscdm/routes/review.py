"""The review dashboard, /<database>/-/review, and its downloads:
/<database>/-/export.{ris,csv,bib,json} and /<database>/-/agreement.csv."""

from __future__ import annotations

import datetime

from datasette import NotFound, Response
from markupsafe import Markup

from ..reporting.agreement import agreement, agreement_csv
from ..reporting.dashboard import dashboard_data
from ..reporting.export import EXTENSIONS, FORMATS, ExportError, export
from ..review_db import read, vocabulary_groups
from ..screening.access import protocol_for
from ..screening.protocol import STAGES
from ..screening.access import LEAD
from ..screening.priority import stopping_data
from .common import can, screening_database

FORMAT_OF_EXTENSION = {extension: name for name, extension in EXTENSIONS.items()}
FORMAT_OF_EXTENSION["json"] = "csl-json"
# The dashboard's download rows: (label, stage, status). "Included" is the
# final status, so it fills only when full-text screening includes records;
# "Included at title/abstract" is what goes on to the full text.
DOWNLOAD_ROWS = [("Included at title/abstract", "title_abstract", "included"),
                 ("Included (final)", "", "included"), ("Excluded", "", "excluded"),
                 ("Maybe", "", "maybe"), ("Conflict", "", "conflict"),
                 ("Unscreened", "", "unscreened"), ("All records", "", "")]


async def review_view(datasette, request):
    db = await screening_database(datasette, request)
    protocol = await protocol_for(datasette, db)
    groups = await vocabulary_groups(db)
    stages = [stage.key for stage in protocol.stages]
    blind = protocol.blind and db.is_mutable
    # A live review's progress runs to today; a published copy's to its last decision.
    until = datetime.datetime.now(datetime.timezone.utc).date() if db.is_mutable else None
    data = await read(db, lambda conn: dashboard_data(conn, stages, groups, blind, until))
    data["stopping"] = await read(db, lambda conn: stopping_data(conn, protocol))
    data["charts"] = {name: {size: Markup(svg) for size, svg in sizes.items()}
                      for name, sizes in data["charts"].items()}
    base = datasette.urls.database(db.name)
    return Response.html(await datasette.render_template("mscdm_review.html", {
        "database": db.name, "data": data, "stage_labels": STAGES, "protocol": protocol,
        "stages": stages, "base": base, "export_formats": EXTENSIONS, "blind": blind,
        "downloads": DOWNLOAD_ROWS, "table_url": datasette.urls.table(db.name, "records"),
        "css": datasette.urls.static_plugins("datasette_mscdm", "mscdm-reporting.css"),
        "is_lead": await can(datasette, request, db, LEAD),
    }, request=request))


async def export_view(datasette, request):
    db = await screening_database(datasette, request)
    format_name = FORMAT_OF_EXTENSION.get(request.url_vars["extension"])
    if format_name is None:
        raise NotFound("Unknown export format")
    protocol = await protocol_for(datasette, db)
    # While blind screening runs, the web export carries statuses only: the
    # individual decisions would show votes a reviewer may not see yet.
    with_decisions = not (protocol.blind and db.is_mutable)
    stage = request.args.get("stage") or None
    status = request.args.get("status") or None
    try:
        text = await read(db, lambda conn: export(conn, format_name, stage, status,
                                                  with_decisions))
    except ExportError as error:
        return Response.text(str(error), status=400)
    name = (f"{db.name}-{f'{stage}-' if stage else ''}{(status or 'all').replace(' ', '-')}"
            f".{EXTENSIONS[format_name]}")
    return Response(text, content_type=f"{FORMATS[format_name]}; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


async def agreement_csv_view(datasette, request):
    db = await screening_database(datasette, request)
    text = agreement_csv(await read(db, agreement))
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{db.name}-agreement.csv"'})


