"""The PRISMA 2020 flow diagram: /<database>/-/prisma (page),
/<database>/-/prisma.svg and /<database>/-/prisma.json (downloads)."""

from __future__ import annotations

import json

from datasette import Response
from markupsafe import Markup

from ..reporting.prisma import prisma_counts
from ..reporting.prisma_svg import flow_rows, prisma_svg
from .common import screening_database


async def _counts(datasette, request):
    db = await screening_database(datasette, request)
    return db, await db.execute_fn(prisma_counts)


def _download(request, name: str) -> dict:
    return ({"content-disposition": f'attachment; filename="{name}"'}
            if request.args.get("download") else {})


async def prisma_view(datasette, request):
    db, counts = await _counts(datasette, request)
    base = f"{datasette.urls.database(db.name)}/-/prisma"
    return Response.html(await datasette.render_template("mscdm_prisma.html", {
        "database": db.name, "counts": counts, "rows": flow_rows(counts),
        "svg": Markup(prisma_svg(counts)), "svg_url": f"{base}.svg", "json_url": f"{base}.json",
    }, request=request))


async def prisma_svg_view(datasette, request):
    db, counts = await _counts(datasette, request)
    return Response(prisma_svg(counts), content_type="image/svg+xml; charset=utf-8",
                    headers=_download(request, f"{db.name}-prisma.svg"))


async def prisma_json_view(datasette, request):
    db, counts = await _counts(datasette, request)
    return Response(json.dumps(counts, indent=2, ensure_ascii=False),
                    content_type="application/json; charset=utf-8",
                    headers=_download(request, f"{db.name}-prisma.json"))
