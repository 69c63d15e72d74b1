"""Plugin pages, one module per page, all under /<database>/-/."""

from .overview import overview_view
from .record import record_view

ROUTES = [
    (r"^/(?P<database>[^/]+)/-/record/(?P<record_id>\d+)$", record_view),
    (r"^/(?P<database>[^/]+)/-/overview$", overview_view),
]
