"""The review overview: /<database>/-/overview."""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import Response

from ..review_db import CHART_QUERIES, chart_fragment, overview
from .common import review_database


async def overview_view(datasette, request):
    db, _ = await review_database(datasette, request, table="records")
    figures = await overview(db)
    table_url = datasette.urls.table(db.name, "records")

    def filtered(**args) -> str:
        return f"{table_url}?{urlencode(args)}"

    charts = [{"title": spec["title"],
               "url": f"{datasette.urls.database(db.name)}/{name}#{chart_fragment(spec['chart'])}"}
              for name, spec in CHART_QUERIES.items()]
    return Response.html(await datasette.render_template(
        "mscdm_overview.html",
        {"database": db.name, "figures": figures, "charts": charts, "table_url": table_url,
         "filtered": filtered},
        request=request))
