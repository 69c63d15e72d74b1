"""`mscdm publish-copy`: the copy holds no password hash, the anonymised copy
no reviewer name or note, and served read-only (`datasette -i`) every page
works and nothing can be written."""

import json
import re
import sqlite3
import urllib.error
import urllib.request

from click.testing import CliRunner
from serve import serve

from conftest import add_reviewers, build_review_db
from datasette_mscdm.cli import cli
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

TEAM = {"quintessa-lead": "lead", "zebulon-screener": "reviewer", "ottoline-screener": "reviewer"}
NOTE = "private-note-about-the-abstract"


def screened_review(tmp_path):
    db = build_review_db(tmp_path / "review.db", tmp_path)
    add_reviewers(db, TEAM)
    conn = store.connect(db)
    protocol = parse_protocol(None)
    store.ensure_order(conn, protocol)
    people = [store.Reviewer(name, role) for name, role in TEAM.items()]
    ids = [r[0] for r in conn.execute("select id from records order by id")]
    with conn:
        for rid in ids:
            store.record_decision(conn, protocol, people[1], rid, "title_abstract", "include",
                                  note=NOTE)
            store.record_decision(conn, protocol, people[2], rid, "title_abstract", "exclude",
                                  reason="Other")
        store.record_decision(conn, protocol, people[0], ids[0], "title_abstract", "include",
                              kind="resolution", note=NOTE)
        store.save_protocol(conn, protocol, people[0].name)
    conn.close()
    return db


def publish(db, out, *options):
    result = CliRunner().invoke(cli, ["publish-copy", str(db), str(out), *options])
    assert result.exit_code == 0, result.output
    return result


def test_the_copy_keeps_decisions_and_drops_password_hashes(tmp_path):
    db = screened_review(tmp_path)
    out = tmp_path / "published" / "review.db"
    out.parent.mkdir()
    publish(db, out)
    data = out.read_bytes()
    assert b"scrypt$" not in data
    conn = sqlite3.connect(out)
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert "mscdm_reviewers" not in tables
    assert set(conn.execute("select name, role from review_team")) == set(TEAM.items())
    assert conn.execute("select count(*) from decisions").fetchone()[0] == 2 * 3 + 1
    conn.close()
    # Refuses to overwrite without --force.
    again = CliRunner().invoke(cli, ["publish-copy", str(db), str(out)])
    assert again.exit_code == 1 and "exists" in again.output


def test_the_anonymised_copy_holds_no_name_or_note(tmp_path):
    db = screened_review(tmp_path)
    out = tmp_path / "anonymous.db"
    result = publish(db, out, "--anonymise")
    assert "anonymised" in result.output
    data = out.read_bytes()
    for secret in [*TEAM, NOTE, "scrypt$"]:
        assert secret.encode() not in data, secret
    conn = sqlite3.connect(out)
    assert {r[0] for r in conn.execute("select reviewer from decisions")} == {
        "Reviewer 1", "Reviewer 2", "Reviewer 3"}
    assert conn.execute("select count(*) from decisions where note is not null").fetchone() == (0,)
    lead = conn.execute("select name from review_team where role = 'lead'").fetchone()
    assert conn.execute("select changed_by from mscdm_protocol").fetchone() == lead
    # Still append-only, and the pseudonyms are stable from one copy to the next.
    try:
        conn.execute("delete from decisions")
        raise AssertionError("decisions were deletable")
    except sqlite3.IntegrityError:
        pass
    first = conn.execute("select reviewer from decisions order by id").fetchall()
    conn.close()
    publish(db, tmp_path / "again.db", "--anonymise")
    conn = sqlite3.connect(tmp_path / "again.db")
    assert conn.execute("select reviewer from decisions order by id").fetchall() == first
    conn.close()


def get(base, path):
    return send(urllib.request.Request(base + path))


def post(base, path, body):
    return send(urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                       headers={"Content-Type": "application/json"}))


def send(request):
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_served_read_only_everything_works_and_nothing_writes(tmp_path):
    db = screened_review(tmp_path)
    out = tmp_path / "published" / "review.db"
    out.parent.mkdir()
    publish(db, out, "--anonymise")
    with serve(out, immutable=True) as base:
        status, body = get(base, "/review/records.json?_extra=facet_results&_size=1")
        assert status == 200
        facets = json.loads(body)["facet_results"]["results"]
        assert "screening_status" in facets and "year" in facets
        status, body = get(base, "/review/-/record/1")
        assert status == 200 and "Reviewer 2" in body and 'class="mscdm-decide"' not in body
        status, body = get(base, "/review/-/prisma")
        assert status == 200 and "Records screened" in body
        status, body = get(base, "/review/-/review")
        assert status == 200 and "Reviewer 2" in body and "<svg" in body
        status, body = get(base, "/review/-/export.ris?status=conflict")
        assert status == 200 and "Screening: conflict" in body
        assert re.search(r"Reviewer \d: exclude \(Other\)", body)
        # On the published copy decisions and SQL are open to readers.
        assert get(base, "/review/decisions.json")[0] == 200
        assert get(base, "/review/-/query.json?sql=select+count(*)+from+decisions")[0] == 200
        for path, payload in (("/review/-/screen/decisions.json",
                               {"record_id": 1, "decision": "include"}),
                              ("/review/decisions/-/insert", {"row": {"record_id": 1}}),
                              ("/review/-/screen", {})):
            status, body = post(base, path, payload)
            assert status == 403, (path, status)
    conn = sqlite3.connect(out)
    assert conn.execute("select count(*) from decisions").fetchone() == (7,)
    conn.close()
