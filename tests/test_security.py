"""Security round 2 through a real Datasette (its test client, real SQLite
files): locked votes and reopening, sessions that end, login throttling,
bad requests that are 4xx and never 500, append-only tables, CSV formulas
and markup-only fields. The real-server half is in test_security_server.py."""

import csv
import io
import json
import re
import sqlite3

import pytest
import pytest_asyncio
from click.testing import CliRunner

from conftest import add_reviewers, datasette_for, login, password_of, query, record_id
from datasette_mscdm.cli import cli
from datasette_mscdm.reporting.agreement import agreement
from datasette_mscdm.screening import store

pytestmark = pytest.mark.asyncio

TITLE = "The Potential of Mesenchymal Stem Cell-Derived Exosomes%"


@pytest_asyncio.fixture
async def ds(screening_db):
    datasette = datasette_for(screening_db)
    await datasette.invoke_startup()
    return datasette


async def decide(ds, cookies, rid, decision, stage="title_abstract", **extra):
    return await ds.client.post("/review/-/screen/decisions.json", cookies=cookies,
                                content=json.dumps(dict(record_id=rid, stage=stage,
                                                        decision=decision, **extra)))


async def undo(ds, cookies, stage="title_abstract"):
    return await ds.client.post("/review/-/screen/undo.json", cookies=cookies,
                                content=json.dumps({"stage": stage}))


def count_decisions(path):
    return query(path, "select count(*) from decisions")[0][0]


# Locked votes ----------------------------------------------------------------------

async def test_votes_lock_once_the_record_has_them_and_a_lead_reopens(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    add_reviewers(screening_db, {"dave": "reviewer"})
    alice, bob, carol, dave = [await login(ds, n) for n in ("alice", "bob", "carol", "dave")]
    # While the record waits for a second vote, bob may change his mind.
    assert (await decide(ds, bob, rid, "exclude", reason="Other")).status_code == 201
    assert (await undo(ds, bob)).status_code == 200
    assert (await decide(ds, bob, rid, "include")).status_code == 201
    assert (await decide(ds, carol, rid, "exclude")).status_code == 201
    assert query(screening_db, "select ta_status from records where id = ?", [rid]) == [
        ("conflict",)]
    # Now the votes are locked: no change, no undo, no third vote.
    before = count_decisions(screening_db)
    for cookies, response in ((bob, await decide(ds, bob, rid, "exclude")),
                              (bob, await undo(ds, bob)),
                              (carol, await undo(ds, carol)),
                              (dave, await decide(ds, dave, rid, "include"))):
        assert response.status_code == 409, response.text
        assert "locked" in response.json()["error"] and "lead" in response.json()["error"]
    assert count_decisions(screening_db) == before
    # A reviewer cannot reopen; the lead can, and the record is back in the queues.
    page = await ds.client.get("/review/-/conflicts", cookies=alice)
    token = re.search(rf'name="request_id" value="([^"]+-{rid})"', page.text).group(1)
    form = {"record_id": str(rid), "stage": "title_abstract", "decision": "reopen",
            "request_id": token}
    assert (await ds.client.post("/review/-/conflicts", cookies=bob,
                                 data=form)).status_code == 403

    async def left_for_bob():
        return (await ds.client.get("/review/-/screen/progress.json", cookies=bob)
                ).json()["my_remaining"]

    left = await left_for_bob()
    assert (await ds.client.post("/review/-/conflicts", cookies=alice,
                                 data=form)).status_code == 303
    assert query(screening_db, "select ta_status from records where id = ?", [rid]) == [
        ("unscreened",)]
    assert await left_for_bob() == left + 1
    # A second round, in which they agree; agreement keeps the first round.
    assert (await decide(ds, bob, rid, "exclude", reason="Other")).status_code == 201
    assert (await decide(ds, carol, rid, "exclude", reason="Other")).status_code == 201
    assert query(screening_db, "select ta_status from records where id = ?", [rid]) == [
        ("excluded",)]
    conn = sqlite3.connect(screening_db)
    rows = agreement(conn)
    conn.close()
    assert [(r["reviewer_a"], r["reviewer_b"], r["records"], r["agreed"]) for r in rows] == [
        ("bob", "carol", 1, 0)]
    history = (await ds.client.get(f"/review/-/record/{rid}/history.json")).json()
    assert [d["decision"] for d in history["decisions"]["title_abstract"]][-3:] == [
        "reopen", "exclude", "exclude"]
    # Reopening an open stage is refused.
    unscreened = record_id(screening_db, "Adipose-derived MSC exosomes%")
    again = await ds.client.post("/review/-/conflicts", cookies=alice, data=dict(
        form, request_id="another", record_id=str(unscreened)))
    assert again.status_code == 409 and "nothing to reopen" in again.text


async def test_a_single_reviewer_stage_lets_its_reviewer_change_their_mind(ds, screening_db):
    conn = store.connect(screening_db)
    from datasette_mscdm.screening.protocol import parse_protocol
    with conn:
        store.save_protocol(conn, parse_protocol({"title_abstract": {"reviewers": 1}}), "alice")
    conn.close()
    rid = record_id(screening_db, TITLE)
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    assert (await decide(ds, bob, rid, "include")).status_code == 201
    assert (await decide(ds, bob, rid, "exclude")).status_code == 201
    assert (await undo(ds, bob)).status_code == 200
    assert (await decide(ds, bob, rid, "exclude")).status_code == 201
    # Somebody else's vote on a record that has the one vote it needs: refused.
    assert (await decide(ds, carol, rid, "include")).status_code == 409


# Sessions -----------------------------------------------------------------------

async def test_the_login_cookie_is_httponly_and_samesite_lax(ds, screening_db):
    response = await ds.client.post("/review/-/login", data={
        "name": "bob", "password": password_of("bob")})
    header = response.headers["set-cookie"]
    assert response.status_code == 302 and header.startswith("ds_actor=")
    assert "HttpOnly" in header and "SameSite=lax" in header.replace("Lax", "lax")
    assert "Secure" not in header  # plain http here; see test_security_server for https


async def test_secure_cookie_can_be_forced_by_configuration(screening_db):
    datasette = datasette_for(screening_db)
    datasette.config["plugins"]["datasette-mscdm"]["login"] = {"secure_cookie": True}
    await datasette.invoke_startup()
    response = await datasette.client.post("/review/-/login", data={
        "name": "bob", "password": password_of("bob")})
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("change", ["password", "remove_and_add", "role"])
async def test_a_password_role_or_account_change_ends_existing_sessions(ds, screening_db, change):
    rid = record_id(screening_db, TITLE)
    who = "alice" if change == "role" else "bob"
    old = await login(ds, who)
    runner = CliRunner()
    new_password = password_of(who)
    if change == "password":
        new_password = "a-brand-new-password"
        result = runner.invoke(cli, ["reviewer", "password", str(screening_db), who,
                                     "--password-stdin"], input=new_password + "\n")
    elif change == "role":
        result = runner.invoke(cli, ["reviewer", "role", str(screening_db), who, "reviewer"])
    else:
        assert runner.invoke(cli, ["reviewer", "remove", str(screening_db), who]).exit_code == 0
        result = runner.invoke(cli, ["reviewer", "add", str(screening_db), who,
                                     "--password-stdin"], input=new_password + "\n")
    assert result.exit_code == 0, result.output
    # The old cookie writes nothing and is shown no write controls.
    assert (await decide(ds, old, rid, "include")).status_code == 403
    page = await ds.client.get("/review/-/screen", cookies=old)
    assert page.status_code == 302 and "/-/login" in page.headers["location"]
    assert count_decisions(screening_db) == 0
    if change == "password":
        refused = await ds.client.post("/review/-/login", data={
            "name": who, "password": password_of(who)})
        assert refused.status_code == 403
    fresh = await login(ds, who, new_password)
    assert (await decide(ds, fresh, rid, "include")).status_code == 201
    if change == "role":
        # The demoted lead logs in again as a reviewer and may not save a protocol.
        saved = await ds.client.post("/review/-/protocol", cookies=fresh,
                                     data={"protocol": "blind: false"})
        assert saved.status_code == 403
        assert query(screening_db, "select count(*) from mscdm_protocol") == [(0,)]


async def test_a_cookie_without_a_session_version_is_not_a_login(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    forged = {"ds_actor": ds.client.actor_cookie(
        {"id": "bob", "mscdm": {"db": "review", "role": "reviewer"}})}
    assert (await decide(ds, forged, rid, "include")).status_code == 403
    stale = {"ds_actor": ds.client.actor_cookie(
        {"id": "bob", "mscdm": {"db": "review", "role": "lead", "v": 7}})}
    assert (await decide(ds, stale, rid, "include")).status_code == 403


async def test_failed_logins_are_throttled_per_name_and_per_address(ds, screening_db, caplog):
    for attempt in range(10):
        wrong = await ds.client.post("/review/-/login", data={"name": "bob",
                                                             "password": f"wrong-{attempt}"})
        assert wrong.status_code == 403
    # The eleventh attempt is refused even with the right password.
    right = await ds.client.post("/review/-/login", data={"name": "bob",
                                                         "password": password_of("bob")})
    assert right.status_code == 429 and "Too many failed logins" in right.text
    assert 0 < int(right.headers["retry-after"]) <= 600
    assert "ds_actor" not in right.cookies
    # The same client address is throttled for every name (the test client is one address).
    other = await ds.client.post("/review/-/login", data={"name": "carol",
                                                         "password": password_of("carol")})
    assert other.status_code == 429
    assert "failed login" in caplog.text and "login throttled" in caplog.text
    # The window passes (moved back in time here): the right password works again.
    conn = sqlite3.connect(screening_db)
    with conn:
        conn.execute("update mscdm_login_failures set failed_at = failed_at - 601")
    conn.close()
    assert (await ds.client.post("/review/-/login", data={
        "name": "bob", "password": password_of("bob")})).status_code == 302
    # A success clears that name's failures.
    assert query(screening_db, "select count(*) from mscdm_login_failures where name = 'bob'"
                 ) == [(0,)]


async def test_login_failures_are_private(ds, screening_db):
    await ds.client.post("/review/-/login", data={"name": "bob", "password": "wrong-one"})
    for path in ("/review/mscdm_login_failures", "/review/mscdm_login_failures.json"):
        assert (await ds.client.get(path)).status_code == 403


# Bad requests: 4xx, never 500, never the wrong stage --------------------------------

WRONG_IDS = [2**63, 10**30, -1, 0, "1", 1.5, True, None, [1], {"id": 1}]
WRONG_TEXTS = [5, 1.5, True, [], ["a"], {"a": 1}, "\ud800"]
WRONG_STAGES = ["fulltext", 5, ["title_abstract"], {"stage": 1}, True, "FULL_TEXT"]


def cases():
    for value in WRONG_IDS:
        yield "record_id", value
    for field in ("decision", "reason", "note", "request_id"):
        for value in WRONG_TEXTS:
            yield field, value
    for value in WRONG_STAGES:
        yield "stage", value
    yield "reviewer", "carol"  # a field the endpoint does not take


@pytest.mark.parametrize("field, value", list(cases()))
async def test_every_decision_field_with_every_wrong_type_is_a_400(ds, screening_db, field,
                                                                    value):
    bob = await login(ds, "bob")
    body = {"record_id": record_id(screening_db, TITLE), "stage": "title_abstract",
            "decision": "exclude", "reason": "Other", "note": "n", "request_id": "r1"}
    body[field] = value
    response = await ds.client.post("/review/-/screen/decisions.json", cookies=bob,
                                    content=json.dumps(body))
    assert response.status_code == 400, (field, value, response.text)
    assert response.json()["ok"] is False and response.json()["error"]
    assert count_decisions(screening_db) == 0


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "{", "null",
                                  '{"stage": 5}', '{"stage": "fulltext"}',
                                  '{"stage": "title_abstract", "request_id": 7}',
                                  '{"stage": "title_abstract", "extra": 1}'])
async def test_undo_refuses_bad_bodies_and_never_undoes_the_wrong_stage(ds, screening_db, body):
    bob = await login(ds, "bob")
    assert (await decide(ds, bob, record_id(screening_db, TITLE), "include")).status_code == 201
    response = await ds.client.post("/review/-/screen/undo.json", cookies=bob, content=body)
    assert response.status_code == 400, response.text
    assert query(screening_db, "select count(*) from decisions where decision = 'undo'") == [(0,)]


async def test_a_stage_the_protocol_does_not_have_is_refused(ds, screening_db):
    conn = store.connect(screening_db)
    from datasette_mscdm.screening.protocol import parse_protocol
    with conn:
        store.save_protocol(conn, parse_protocol({"full_text": False}), "alice")
    conn.close()
    bob = await login(ds, "bob")
    response = await decide(ds, bob, record_id(screening_db, TITLE), "include",
                            stage="full_text")
    assert response.status_code == 400 and "stage" in response.json()["error"]


@pytest.mark.parametrize("path", [
    "/review/-/screen/next.json?stage=fulltext",
    "/review/-/screen/progress.json?stage=5",
    "/review/-/screen?stage=fulltext",
    "/review/-/screen?record=99999999999999999999999999999",
    "/review/-/screen?record=9223372036854775808",
    "/review/-/screen?record=abc",
    "/review/-/conflicts?page=1000000000000000000000",
    "/review/-/conflicts?page=-1",
    "/review/-/bulk-exclude?q=wounds&stage=fulltext",
    "/review/-/record/9223372036854775808",
    "/review/-/record/99999999999999999999999999999",
    "/review/-/record/99999999999999999999999999999/history.json",
    "/review/records?id__gt=99999999999999999999999",
    "/review/records.json?year__lte=-99999999999999999999999",
    "/review/records.json?id__gt=99_999_999_999_999_999_999",
    "/review/-/screen?record=%C2%B2",
    "/review/-/screen?decided=%C2%B2",
    "/review/-/screen/mine?page=%C2%B2",
    "/review/-/conflicts?page=%C2%B2",
    "/review/-/bulk-exclude?q=diabetes&page=%C2%B2",
    "/review/records.json?_facet=nonexist",
    "/review/records.json?_facet_array=title",
    "/review/records.json?_through=notjson",
    "/review/records.json?_term=nonsense",
    "/review/records.json?_term=nofacet:value",
])
async def test_query_strings_and_paths_out_of_range_are_4xx(ds, path):
    alice = await login(ds, "alice")
    response = await ds.client.get(path, cookies=alice)
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("path, form", [
    ("/review/-/screen", {"record_id": str(2**63), "decision": "include"}),
    ("/review/-/screen", {"record_id": "1" * 30, "decision": "include"}),
    ("/review/-/screen", {"record_id": "abc", "decision": "include"}),
    ("/review/-/screen", {"record_id": "", "decision": "include"}),
    ("/review/-/screen", {"record_id": "1", "decision": "include", "stage": "fulltext"}),
    ("/review/-/screen", {"record_id": "1", "decision": "include", "reason": "x" * 600}),
    ("/review/-/screen/undo", {"stage": "fulltext"}),
    ("/review/-/conflicts", {"record_id": str(10**30), "decision": "include",
                             "stage": "title_abstract"}),
    ("/review/-/conflicts", {"record_id": "1", "decision": "include", "stage": "5"}),
    ("/review/-/bulk-exclude", {"q": "wounds", "stage": "fulltext", "confirm": "1"}),
    ("/review/-/bulk-exclude", {"q": "wounds", "stage": "title_abstract", "confirm": "x"}),
    ("/review/-/protocol", {"protocol": "- a list\n- not a mapping"}),
    ("/review/-/protocol", {"protocol": "seed: 99999999999999999999999"}),
    ("/review/-/protocol", {"protocol": "1: 2"}),
    ("/review/-/login", {"name": "n" * 500, "password": "whatever-password"}),
    ("/review/-/screen", {"record_id": "1", "decision": "include", "reviewer": "bob"}),
    ("/review/-/conflicts", {"record_id": "1", "decision": "include", "kind": "resolution"}),
    ("/review/-/bulk-exclude", {"q": "wounds", "stage": "title_abstract", "confirm": "\u00b2",
                                "matches": "x", "reason": "Other"}),
    ("/review/-/protocol", {"protocol": "title_abstract:\n  reasons: [\"\\ud800\"]\n"}),
    ("/review/-/protocol", {"protocol": "criteria:\n  population: \"\\ud800\"\n"}),
])
async def test_form_posts_with_bad_values_are_4xx_pages(ds, screening_db, path, form):
    alice = await login(ds, "alice")
    response = await ds.client.post(path, cookies=alice, data=form)
    assert 400 <= response.status_code < 500, (path, form, response.status_code)
    assert "text/html" in response.headers["content-type"]
    assert count_decisions(screening_db) == 0


# Append-only, exports, loader -----------------------------------------------------------

async def test_decisions_and_protocol_versions_refuse_insert_or_replace(ds, screening_db):
    bob = await login(ds, "bob")
    assert (await decide(ds, bob, record_id(screening_db, TITLE), "exclude",
                         request_id="original")).status_code == 201
    conn = sqlite3.connect(screening_db)
    with conn:
        conn.execute("insert into mscdm_protocol (protocol, changed_by, changed_at)"
                     " values ('{}', 'alice', 'now')")
    before = conn.execute("select * from decisions").fetchall()
    for sql in (
            "insert or replace into decisions (id, record_id, stage, reviewer, decision,"
            " created_at) values (1, 1, 'title_abstract', 'bob', 'include', 'now')",
            "replace into decisions (id, record_id, stage, reviewer, decision, created_at)"
            " values (1, 1, 'title_abstract', 'bob', 'include', 'now')",
            "insert or replace into decisions (record_id, stage, reviewer, decision,"
            " request_id, created_at) values (1, 'title_abstract', 'bob', 'include',"
            " 'bob' || char(31) || 'original', 'now')",
            "insert into decisions (id, record_id, stage, reviewer, decision, created_at)"
            " values (1, 1, 'title_abstract', 'bob', 'include', 'now')"
            " on conflict(id) do update set decision = 'include'",
            "update decisions set decision = 'include'",
            "delete from decisions",
            "insert or replace into mscdm_protocol (id, protocol, changed_by, changed_at)"
            " values (1, '{\"blind\": false}', 'mallory', 'now')",
            "update mscdm_protocol set protocol = '{}'",
            "delete from mscdm_protocol"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            with conn:
                conn.execute(sql)
    assert conn.execute("select * from decisions").fetchall() == before
    assert conn.execute("select changed_by from mscdm_protocol").fetchall() == [("alice",)]
    conn.close()


FORMULAS = """TY  - JOUR
TI  - =HYPERLINK("http://evil.example","click")
AU  - +Plus, Paul
AU  - @At, Ann
PY  - 2024
DO  - 10.9999/formula.1
AB  - -2+3 is a formula in a spreadsheet
KW  - =cmd|' /C calc'!A0
ER  - 
"""


async def test_csv_exports_neutralise_spreadsheet_formulas(tmp_path):
    db = tmp_path / "review.db"
    (tmp_path / "formulas.ris").write_text(FORMULAS, encoding="utf-8")
    assert CliRunner().invoke(cli, ["load", str(db), str(tmp_path / "formulas.ris")]
                              ).exit_code == 0
    add_reviewers(db, {"=evil": "reviewer", "+plus": "reviewer"})
    conn = store.connect(db)
    from datasette_mscdm.screening.protocol import parse_protocol
    protocol = parse_protocol(None)
    with conn:
        for name in ("=evil", "+plus"):
            store.record_decision(conn, protocol, store.Reviewer(name, "reviewer"), 1,
                                  "title_abstract", "include", note="-note")
    conn.close()
    cli_csv = tmp_path / "out.csv"
    assert CliRunner().invoke(cli, ["export", str(db), "--format", "csv", "-o", str(cli_csv)]
                              ).exit_code == 0
    datasette = datasette_for(db)
    await datasette.invoke_startup()
    page_csv = (await datasette.client.get("/review/-/export.csv")).text
    agreement_csv = (await datasette.client.get("/review/-/agreement.csv")).text
    for text in (cli_csv.read_text(encoding="utf-8"), page_csv, agreement_csv):
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    row = next(csv.DictReader(io.StringIO(page_csv)))
    assert row["title"].startswith("'=HYPERLINK")
    assert row["abstract"] == "'-2+3 is a formula in a spreadsheet"
    assert next(csv.DictReader(io.StringIO(agreement_csv)))["reviewer_a"].startswith("'")
    # `mscdm load` takes its own apostrophes off again: nothing is lost.
    again = tmp_path / "again.db"
    assert CliRunner().invoke(cli, ["load", str(again), str(cli_csv)]).exit_code == 0
    assert query(again, "select title, abstract, authors from records") == [
        ('=HYPERLINK("http://evil.example","click")', "-2+3 is a formula in a spreadsheet",
         '["+Plus, Paul", "@At, Ann"]')]


# Reads -----------------------------------------------------------------------------

async def test_no_page_leaves_a_transaction_open_on_a_read_connection(ds, screening_db):
    """Datasette serves reads from long-lived connections; one left inside a
    transaction would serve an old snapshot until restart."""
    alice = await login(ds, "alice")
    rid = record_id(screening_db, TITLE)
    db = ds.get_database("review")
    # Filtered table pages alone first: their facets fill a temporary table.
    for _ in range(4):
        for path in ("/review/records?ta_status=unscreened", "/review/records?_search=exosomes",
                     "/review/records.json?_term=database:PubMed&_extra=facet_results",
                     "/review/records?screening_status=unscreened&_facet=year"):
            assert (await ds.client.get(path, follow_redirects=True)).status_code == 200
    assert [conn for conn in db._all_connections if conn.in_transaction] == []
    paths = ["/review/-/overview", "/review/-/review", "/review/-/prisma",
             "/review/-/prisma.json", "/review/-/prisma.csv", "/review/-/prisma.png",
             "/review/-/export.csv", "/review/-/agreement.csv",
             f"/review/-/record/{rid}", f"/review/-/record/{rid}/history.json",
             "/review/-/screen", "/review/-/screen/progress.json", "/review/-/conflicts",
             "/review/-/bulk-exclude?q=exosomes", "/review/-/protocol"]
    for _ in range(3):
        for path in paths:
            response = await ds.client.get(path, cookies=alice)
            assert response.status_code in (200, 302), (path, response.status_code)
    open_ones = [conn for conn in db._all_connections if conn.in_transaction]
    assert open_ones == []


async def test_a_request_id_belongs_to_its_reviewer(ds, screening_db):
    """A retried request returns what it recorded, but only to the reviewer
    who sent it: another reviewer using the same id gets their own decision,
    never the first one's vote (which would leak it while blind)."""
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    rid = record_id(screening_db, TITLE)
    other = record_id(screening_db, "Adipose-derived MSC exosomes%")
    first = await decide(ds, bob, rid, "exclude", reason="Duplicate", note="bob's secret",
                         request_id="r-1")
    assert first.status_code == 201
    retry = await decide(ds, bob, rid, "exclude", reason="Duplicate", request_id="r-1")
    assert retry.status_code == 200 and retry.json()["repeated"]
    carols = await decide(ds, carol, other, "include", request_id="r-1")
    assert carols.status_code == 201, carols.text
    body = carols.json()
    assert body["decision"]["reviewer"] == "carol" and "bob's secret" not in carols.text
    # The same id for another request of one's own is refused, and an undo
    # with a decision's id is a 409, not a 500 or the wrong undo.
    assert (await decide(ds, bob, other, "include", request_id="r-1")).status_code == 409
    undo = await ds.client.post("/review/-/screen/undo.json", cookies=bob,
                                content=json.dumps({"stage": "title_abstract",
                                                    "request_id": "r-1"}))
    assert undo.status_code == 409
    # Others never see a reviewer's request ids in a history.
    assert (await decide(ds, bob, other, "include", request_id="r-2")).status_code == 201
    history = (await ds.client.get(f"/review/-/record/{other}/history.json")).json()
    rows = history["decisions"]["title_abstract"]
    assert len(rows) == 2 and all(row["request_id"] is None for row in rows)
    mine = (await ds.client.get(f"/review/-/record/{rid}/history.json", cookies=bob)).json()
    assert [row["request_id"] for row in mine["decisions"]["title_abstract"]] == ["r-1"]


async def test_json_bodies_nested_too_deep_or_with_a_field_twice_are_400(ds, screening_db):
    bob = await login(ds, "bob")
    rid = record_id(screening_db, TITLE)
    for body in ('{"a":' * 100_000 + "1" + "}" * 100_000,
                 f'{{"record_id": {rid}, "decision": "include", "decision": "exclude"}}',
                 json.dumps({"record_id": rid, "decision": "include", "reason": "Other"})):
        response = await ds.client.post("/review/-/screen/decisions.json", cookies=bob,
                                        content=body)
        assert response.status_code == 400, response.text[:200]
    assert count_decisions(screening_db) == 0


async def test_a_yaml_alias_bomb_in_a_protocol_is_answered_briefly(ds, screening_db):
    alice = await login(ds, "alice")
    levels = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
    levels += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb = "order: [" + ", ".join(levels) + "]\n"
    response = await ds.client.post("/review/-/protocol", cookies=alice, data={"protocol": bomb})
    assert response.status_code == 400 and len(response.text) < 50_000


async def test_logging_out_ends_the_session_on_the_server(ds, screening_db):
    bob = await login(ds, "bob")
    rid = record_id(screening_db, TITLE)
    out = await ds.client.post("/review/-/logout", cookies=bob)
    assert out.status_code == 302
    # A copy of the cookie kept from before is worth nothing now.
    assert (await decide(ds, bob, rid, "include")).status_code == 403
    assert (await ds.client.get("/review/-/screen/next.json", cookies=bob)).status_code == 403
    assert sql_rows(screening_db, "select count(*) from mscdm_sessions where reviewer = 'bob'"
                    ) == [(0,)]


async def test_a_cookie_from_another_server_with_the_same_secret_is_refused(tmp_path,
                                                                           screening_db):
    from conftest import build_review_db

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_db = build_review_db(other_dir / "review.db", other_dir)
    add_reviewers(other_db)
    one = datasette_for(screening_db, secret="shared-secret")
    two = datasette_for(other_db, secret="shared-secret")
    await one.invoke_startup()
    await two.invoke_startup()
    cookie = await login(one, "bob")
    assert (await two.client.get("/review/-/screen/next.json", cookies=cookie)).status_code == 403
    assert (await one.client.get("/review/-/screen/next.json", cookies=cookie)).status_code == 200


async def test_a_reviewer_called_root_is_not_datasettes_root(screening_db):
    add_reviewers(screening_db, {"root": "reviewer"})
    datasette = datasette_for(screening_db)
    datasette.root_enabled = True
    await datasette.invoke_startup()
    cookie = await login(datasette, "root")
    actor = datasette.unsign(cookie["ds_actor"], "actor")["a"]
    assert actor["id"] != "root" and actor["display"] == "root"
    assert (await datasette.client.get("/-/permissions", cookies=cookie)).status_code == 403


async def test_a_read_only_copy_ignores_a_live_reviewers_cookie(tmp_path, screening_db):
    from datasette_mscdm.reporting.publish import publish_copy

    live = datasette_for(screening_db, secret="shared-secret")
    await live.invoke_startup()
    cookie = await login(live, "bob")
    published = tmp_path / "published" / "review.db"
    published.parent.mkdir()
    publish_copy(screening_db, published)
    copy = datasette_for(published, immutables=[str(published)], secret="shared-secret")
    await copy.invoke_startup()
    rid = record_id(screening_db, TITLE)
    for path in ("/review/records", f"/review/-/record/{rid}",
                 f"/review/-/record/{rid}/history.json", "/review/-/screen/progress.json",
                 "/review/-/review", "/review/-/prisma"):
        response = await copy.client.get(path, cookies=cookie, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)


async def test_bulk_exclusion_excludes_the_records_previewed_not_just_as_many(ds, screening_db):
    conn = store.connect(screening_db)
    from datasette_mscdm.screening.protocol import parse_protocol
    protocol = parse_protocol(None)
    alice = store.Reviewer("alice", "lead")
    preview = store.bulk_preview(conn, "exosomes", "title_abstract")
    assert preview["count"] >= 1
    other_set = store.matches_digest([999_999] + [r["id"] for r in preview["rows"]][1:])
    with pytest.raises(store.ScreeningError, match="changed since you previewed") as refused:
        with conn:
            store.bulk_exclude(conn, protocol, alice, "exosomes", "title_abstract", "Other",
                               None, expected=preview["count"], digest=other_set)
    assert refused.value.status == 409
    with conn:
        done = store.bulk_exclude(conn, protocol, alice, "exosomes", "title_abstract", "Other",
                                  None, expected=preview["count"], digest=preview["digest"])
    conn.close()
    assert done == preview["count"]


async def test_append_only_triggers_come_back_after_a_table_rebuild(screening_db):
    import subprocess
    import sys

    from datasette_mscdm.loader import open_database

    subprocess.run([sys.executable, "-m", "sqlite_utils", "transform", str(screening_db),
                    "mscdm_protocol", "--type", "changed_by", "text"], check=True)
    assert sql_rows(screening_db, "select count(*) from sqlite_master where type = 'trigger'"
                    " and tbl_name = 'mscdm_protocol'") == [(0,)]
    open_database(screening_db).conn.close()
    assert sql_rows(screening_db, "select count(*) from sqlite_master where type = 'trigger'"
                    " and tbl_name = 'mscdm_protocol'") == [(3,)]
    conn = sqlite3.connect(screening_db)
    with conn:
        conn.execute("insert into mscdm_protocol (protocol, changed_by, changed_at)"
                     " values ('{}', 'alice', 'now')")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        with conn:
            conn.execute("delete from mscdm_protocol")
    conn.close()


def sql_rows(path, query):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()
