"""What every plugin page does first: find the review database and check
that the visitor may see it."""

from __future__ import annotations

from datasette import NotFound
from datasette.resources import DatabaseResource, TableResource

from ..review_db import is_review_database


async def review_database(datasette, request, table: str | None = None):
    """The Database named in the URL, after a permission check, or NotFound."""
    name = request.url_vars["database"]
    if name not in datasette.databases:
        raise NotFound(f"Database not found: {name}")
    db = datasette.get_database(name)
    await datasette.ensure_permission(action="view-database", resource=DatabaseResource(name),
                                      actor=request.actor)
    if table:
        await datasette.ensure_permission(action="view-table",
                                          resource=TableResource(name, table),
                                          actor=request.actor)
    if not await is_review_database(db):
        raise NotFound(f"{name} is not a review database (load one with `mscdm load`)")
    return db
