"""What the plugin does when Datasette starts, and which review databases
the menus link to."""

from __future__ import annotations

import logging

from datasette.resources import DatabaseResource
from sqlite_utils import Database

from .review_db import CHART_QUERIES, chart_fragment, is_review_database
from .schema import has_review_schema, migrations, restore_append_only
from .screening.access import configured_protocol, protocol_for
from .screening.store import ensure_order


# Datasette counts a table page's rows up to Database.count_limit (10,000)
# and shows "10,000+" beyond. Counting a review's records is cheap (an index
# scan), so review databases count exactly up to this many.
COUNT_LIMIT = 250_000
log = logging.getLogger("datasette_mscdm")


async def start_up(datasette) -> None:
    await upgrade_review_databases(datasette)
    await prepare_screening(datasette)
    await register_chart_queries(datasette)
    for name in await review_database_names(datasette):
        datasette.get_database(name).count_limit = COUNT_LIMIT


async def upgrade_review_databases(datasette) -> None:
    """Apply pending schema migrations to every mutable review database, so a
    database loaded by an older version gains the new columns on first serve.
    Immutable (published) databases are left exactly as they are."""
    for name, database in datasette.databases.items():
        if not database.is_mutable or name.startswith("_"):
            continue

        def upgrade(conn):
            db = Database(conn)
            if not has_review_schema(db):
                return []
            if migrations.pending(db):
                migrations.apply(db)
            return restore_append_only(conn)

        restored = await database.execute_write_fn(upgrade, block=True)
        if restored:
            log.warning("%s: append-only triggers were missing (a table rebuilt by another"
                        " tool?) and are back: %s", name, ", ".join(restored))


async def prepare_screening(datasette) -> None:
    """Refuse to start on a protocol configuration that does not parse (the
    error names the key), and put writable reviews in screening order."""
    for name in await review_database_names(datasette):
        configured_protocol(datasette, name)
        db = datasette.get_database(name)
        if db.is_mutable and await db.table_exists("decisions"):
            protocol = await protocol_for(datasette, db)
            await db.execute_write_fn(lambda conn: ensure_order(conn, protocol), block=True)


async def review_database_names(datasette) -> list[str]:
    names = []
    for name, database in datasette.databases.items():
        if not name.startswith("_") and await is_review_database(database):
            names.append(name)
    return names


async def register_chart_queries(datasette) -> None:
    """The aggregate chart queries, as stored queries of every review
    database (whatever its file is called), each opening as a chart."""
    for name in await review_database_names(datasette):
        for query_name, spec in CHART_QUERIES.items():
            await datasette.add_query(
                name, query_name, spec["sql"], title=spec["title"],
                description="Opens as a datasette-vega chart of this aggregate.",
                fragment=chart_fragment(spec["chart"]), is_trusted=True, replace=True)


async def menu_links_for(datasette, actor, only: str | None = None) -> list[dict]:
    links = []
    for name in await review_database_names(datasette):
        if only and name != only:
            continue
        if await datasette.allowed(action="view-database", resource=DatabaseResource(name),
                                   actor=actor):
            base = datasette.urls.database(name)
            pages = [("overview", "Review overview"), ("review", "Review dashboard"),
                     ("prisma", "PRISMA flow diagram")]
            if datasette.get_database(name).is_mutable:
                pages.append(("screen", "Screen records"))
                session = (actor or {}).get("mscdm") if isinstance(actor, dict) else None
                if isinstance(session, dict) and session.get("db") == name \
                        and session.get("role") == "lead":
                    pages.append(("duplicates", "Possible duplicates"))
            else:
                pages.append(("duplicates", "Possible duplicates"))
            links += [{"href": f"{base}/-/{page}", "label": f"{label}: {name}"}
                      for page, label in pages]
    return links
