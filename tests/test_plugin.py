"""The plugin in a real Datasette: listed, migrations on start-up, full-text search."""

import sqlite3

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from conftest import DATA, REPO
from datasette_mscdm.cli import cli
from datasette_mscdm.schema import migrations


@pytest.fixture
def loaded_db(fresh_db):
    assert CliRunner().invoke(cli, ["load", str(fresh_db), str(DATA)]).exit_code == 0
    return fresh_db


@pytest.mark.asyncio
async def test_plugin_is_listed(loaded_db):
    ds = Datasette([str(loaded_db)])
    response = await ds.client.get("/-/plugins.json")
    assert response.status_code == 200
    assert "datasette-mscdm" in {p["name"] for p in response.json()}


@pytest.mark.asyncio
async def test_records_are_searchable_through_datasette(loaded_db):
    ds = Datasette([str(loaded_db)], metadata=None)
    response = await ds.client.get("/review/records.json?_search=exosome&_shape=array")
    assert response.status_code == 200
    titles = [r["title"] for r in response.json()]
    assert titles == ["The Potential of Mesenchymal Stem Cell-Derived Exosomes to Treat "
                      "Diabetes Mellitus."]


@pytest.mark.asyncio
async def test_startup_applies_pending_migrations(loaded_db):
    # Simulate a database from before the latest migration.
    conn = sqlite3.connect(loaded_db)
    with conn:
        conn.execute("delete from _sqlite_migrations where name = 'm001_initial'")
        conn.execute("drop trigger records_fts_update")
    conn.close()

    @migrations()
    def m999_test_only(db):
        db.execute("create table test_marker (id integer)")

    try:
        # A migration already applied in another form must not run twice:
        # restore m001's row, and only the new one is pending.
        conn = sqlite3.connect(loaded_db)
        with conn:
            conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) "
                         "values ('datasette_mscdm', 'm001_initial', 'x')")
        conn.close()
        ds = Datasette([str(loaded_db)])
        await ds.invoke_startup()
        conn = sqlite3.connect(loaded_db)
        names = [r[0] for r in conn.execute("select name from sqlite_master")]
        conn.close()
        assert "test_marker" in names
    finally:
        migrations._migrations = [m for m in migrations._migrations if m.name != "m999_test_only"]


@pytest.mark.asyncio
async def test_immutable_database_is_left_alone(loaded_db):
    ds = Datasette(immutables=[str(loaded_db)])
    await ds.invoke_startup()
    response = await ds.client.get("/review/records.json?_shape=array")
    assert len(response.json()) == 2


def test_metadata_and_config_files_describe_the_review_database():
    import yaml

    metadata = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
    config = yaml.safe_load((REPO / "datasette.yaml").read_text(encoding="utf-8"))
    records_meta = metadata["databases"]["review"]["tables"]["records"]
    assert "screening_status" in records_meta["columns"]
    records_config = config["databases"]["review"]["tables"]["records"]
    assert records_config["fts_table"] == "records_fts"
    assert {"term": "auto_tags"} in records_config["facets"]
