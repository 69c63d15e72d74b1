"""Blind screening holds after a merge: the invariance of
test_blind_invariance (two copies of a review that differ only in bob's
votes on open records answer every read path identically for everyone
else) still holds when, in both copies, a record bob voted on is merged
into a record nobody voted on, and the merged record stays open. Bob sees
his carried vote; nobody else sees it, in any read path."""

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import datasette_for, login, ris
from datasette_mscdm.cli import cli
from datasette_mscdm.duplicates.merge import merge_records
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol
from test_blind_invariance import VOTES, _first_difference, answers, apply_votes, build_base

pytestmark = pytest.mark.asyncio

UNVOTED = ("z", "Mesenchymal stromal cell secretome in diabetic foot ulcers", "Feet.")


def merge_into_unvoted(db, ids):
    """Record i (bob's open vote, different in each copy) merged into z."""
    conn = store.connect(db)
    with conn:
        merge_records(conn, ids["z"], [ids["i"]], by="alice", protocol=parse_protocol(None))
    status = conn.execute("SELECT ta_status FROM records WHERE id = ?", [ids["z"]]).fetchone()[0]
    conn.close()
    return status


@pytest.mark.parametrize("viewer", [None, "carol", "dave", "alice"])
async def test_a_merge_shows_no_one_a_vote_they_could_not_see(tmp_path, viewer):
    base, ids = build_base(tmp_path)
    extra = tmp_path / "unvoted.ris"
    extra.write_text(ris(UNVOTED), encoding="utf-8")
    assert CliRunner().invoke(cli, ["load", str(base), str(extra), "--source", "WoS"]
                              ).exit_code == 0
    conn = sqlite3.connect(base)
    ids["z"] = conn.execute("SELECT id FROM records WHERE doi = '10.1000/z'").fetchone()[0]
    conn.close()
    copies = {}
    for name, votes in VOTES.items():
        path = tmp_path / name / "review.db"
        path.parent.mkdir()
        shutil.copy(base, path)
        apply_votes(path, ids, votes)
        assert merge_into_unvoted(path, ids) == "awaiting second reviewer"
        copies[name] = path
    a, b = copies["A"], copies["B"]
    # Bob's carried vote differs between the copies, and he sees his own.
    carried = ("SELECT decision FROM decisions WHERE record_id = ? AND carried_from IS NOT NULL")
    assert (sqlite3.connect(a).execute(carried, [ids["z"]]).fetchall()
            != sqlite3.connect(b).execute(carried, [ids["z"]]).fetchall())
    ds = datasette_for(a)
    await ds.invoke_startup()
    bob = await login(ds, "bob")
    mine = (await ds.client.get(f"/review/-/record/{ids['z']}/history.json", cookies=bob)).json()
    assert [d["origin"] for d in mine["decisions"]["title_abstract"]] == [ids["i"]]

    seen_a, seen_b = await answers(a, ids, viewer), await answers(b, ids, viewer)
    differences = [path for path in seen_a if seen_a[path] != seen_b[path]]
    assert differences == [], {path: _first_difference(seen_a[path][2], seen_b[path][2])
                               for path in differences[:5]}
    pages = [f"/review/-/record/{ids['z']}", f"/review/-/record/{ids['i']}"]
    assert all(seen_a[p][0] == 200 for p in pages)
    assert json.loads(seen_a[f"/review/-/record/{ids['z']}/history.json"][2]).get(
        "decisions", {}).get("title_abstract", []) == []
