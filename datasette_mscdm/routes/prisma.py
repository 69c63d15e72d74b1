"""The PRISMA 2020 flow diagram: /<database>/-/prisma (page), and its
downloads /<database>/-/prisma.svg, .png, .json and .csv (`?download=1`
for an attachment)."""

from __future__ import annotations

import asyncio
import json
import math

from datasette import Response
from markupsafe import Markup

from ..reporting.prisma import prisma_counts
from ..reporting.prisma_svg import figure_width, flow_rows, label, numbers, prisma_svg
from ..reporting.png import svg_to_png
from ..reporting.prisma_csv import numbers_csv
from ..review_db import read
from .common import screening_database


async def _counts(datasette, request):
    db = await screening_database(datasette, request)
    return db, await read(db, prisma_counts)


def _download(request, name: str) -> dict:
    return ({"content-disposition": f'attachment; filename="{name}"'}
            if request.args.get("download") else {})


async def prisma_view(datasette, request):
    db, counts = await _counts(datasette, request)
    base = f"{datasette.urls.database(db.name)}/-/prisma"
    flow = flow_rows(counts)
    # Below this viewport width the diagram (scaled to the page's width, less
    # its 2 x 16 px margins) would shrink its 13 px text under 12 px: the page
    # shows the same boxes as HTML instead.
    narrow = math.ceil(figure_width(counts) * 12 / 13) + 33
    return Response.html(await datasette.render_template("mscdm_prisma.html", {
        "database": db.name, "counts": counts, "flow": flow, "numbers": numbers(flow),
        "label": label, "svg": Markup(prisma_svg(counts)), "base": base, "narrow": narrow,
        "css": datasette.urls.static_plugins("datasette_mscdm", "mscdm-reporting.css"),
    }, request=request))


async def prisma_svg_view(datasette, request):
    db, counts = await _counts(datasette, request)
    return Response(prisma_svg(counts), content_type="image/svg+xml; charset=utf-8",
                    headers=_download(request, f"{db.name}-prisma.svg"))


async def prisma_png_view(datasette, request):
    db, counts = await _counts(datasette, request)
    # Rendering takes tens of milliseconds: off the event loop.
    png = await asyncio.to_thread(svg_to_png, prisma_svg(counts))
    return Response(png, content_type="image/png",
                    headers=_download(request, f"{db.name}-prisma.png"))


async def prisma_json_view(datasette, request):
    db, counts = await _counts(datasette, request)
    return Response(json.dumps(counts, indent=2, ensure_ascii=False),
                    content_type="application/json; charset=utf-8",
                    headers=_download(request, f"{db.name}-prisma.json"))


async def prisma_csv_view(datasette, request):
    db, counts = await _counts(datasette, request)
    return Response(numbers_csv(counts), content_type="text/csv; charset=utf-8",
                    headers=_download(request, f"{db.name}-prisma.csv"))
