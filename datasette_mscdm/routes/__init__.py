"""Plugin pages, one module per page, all under /<database>/-/."""

from .api import decisions_json, history_json, next_json, progress_json, skip_json, undo_json
from .auth import login_view, logout_view
from .bulk import bulk_view
from .conflicts import conflicts_view
from .duplicates import duplicates_json, duplicates_view, unmerge_view
from .overview import overview_view
from .priority import resume_view, seed_view, stop_view
from .prisma import (prisma_csv_view, prisma_json_view, prisma_png_view, prisma_svg_view,
                     prisma_view)
from .protocol import protocol_view
from .record import record_view
from .review import agreement_csv_view, export_view, review_view
from .mine import mine_view
from .screen import screen_view, skip_view, undo_view

DB = r"^/(?P<database>[^/]+)/-/"

ROUTES = [
    (DB + r"record/(?P<record_id>\d+)$", record_view),
    (DB + r"record/(?P<record_id>\d+)/history\.json$", history_json),
    (DB + r"record/(?P<record_id>\d+)/unmerge$", unmerge_view),
    (DB + r"record/(?P<record_id>\d+)/seed$", seed_view),
    (DB + r"duplicates$", duplicates_view),
    (DB + r"duplicates\.json$", duplicates_json),
    (DB + r"overview$", overview_view),
    (DB + r"login$", login_view),
    (DB + r"logout$", logout_view),
    (DB + r"screen$", screen_view),
    (DB + r"screen/undo$", undo_view),
    (DB + r"screen/skip$", skip_view),
    (DB + r"screen/skip\.json$", skip_json),
    (DB + r"screen/mine$", mine_view),
    (DB + r"screen/stop$", stop_view),
    (DB + r"screen/resume$", resume_view),
    (DB + r"screen/decisions\.json$", decisions_json),
    (DB + r"screen/undo\.json$", undo_json),
    (DB + r"screen/next\.json$", next_json),
    (DB + r"screen/progress\.json$", progress_json),
    (DB + r"conflicts$", conflicts_view),
    (DB + r"bulk-exclude$", bulk_view),
    (DB + r"protocol$", protocol_view),
    (DB + r"prisma$", prisma_view),
    (DB + r"prisma\.svg$", prisma_svg_view),
    (DB + r"prisma\.png$", prisma_png_view),
    (DB + r"prisma\.json$", prisma_json_view),
    (DB + r"prisma\.csv$", prisma_csv_view),
    (DB + r"review$", review_view),
    (DB + r"export\.(?P<extension>ris|csv|bib|json)$", export_view),
    (DB + r"agreement\.csv$", agreement_csv_view),
]
