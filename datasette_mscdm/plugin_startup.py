"""What the plugin does when Datasette starts."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import is_review_database, migrations


async def upgrade_review_databases(datasette) -> None:
    """Apply pending schema migrations to every mutable review database, so a
    database loaded by an older version gains the new columns on first serve.
    Immutable (published) databases are left exactly as they are."""
    for name, database in datasette.databases.items():
        if not database.is_mutable or name.startswith("_"):
            continue

        def upgrade(conn):
            db = Database(conn)
            if is_review_database(db) and migrations.pending(db):
                migrations.apply(db)

        await database.execute_write_fn(upgrade, block=True)
