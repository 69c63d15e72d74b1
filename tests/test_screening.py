"""Screening through a real Datasette: login, decisions, statuses, conflicts,
bulk exclusion, protocol, and every permission and blind path."""

import json
import re
import sqlite3

import pytest
import pytest_asyncio

from conftest import datasette_for, login, record_id

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


def statuses(path, rid):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select ta_status, ft_status, screening_status, exclusion_reason"
                            " from records where id = ?", [rid]).fetchone()
    finally:
        conn.close()


def decision_count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select count(*) from decisions").fetchone()[0]
    finally:
        conn.close()


# Login and who may write ---------------------------------------------------------

async def test_login_refuses_a_wrong_password_and_an_unknown_name(ds):
    for name, password in (("bob", "wrong-password"), ("mallory", "whatever-password")):
        response = await ds.client.post("/review/-/login",
                                        data={"name": name, "password": password})
        assert response.status_code == 403
        assert "Unknown name or wrong password" in response.text
        assert "ds_actor" not in response.cookies


async def test_anonymous_visitors_browse_but_never_write(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    assert (await ds.client.get(f"/review/-/record/{rid}")).status_code == 200
    page = await ds.client.get("/review/-/screen")
    assert page.status_code == 302 and "/review/-/login" in page.headers["location"]
    response = await ds.client.post("/review/-/screen/decisions.json", content=json.dumps(
        {"record_id": rid, "decision": "include"}))
    assert response.status_code == 403 and "Log in" in response.json()["error"]
    form = await ds.client.post("/review/-/screen", data={"record_id": rid,
                                                         "decision": "include"})
    assert form.status_code == 403
    assert decision_count(screening_db) == 0


async def test_a_forged_actor_of_another_database_or_a_removed_reviewer_cannot_write(
        ds, screening_db):
    from datasette_mscdm.screening import store

    rid = record_id(screening_db, TITLE)
    other_db = {"ds_actor": ds.client.actor_cookie(
        {"id": "bob", "mscdm": {"db": "elsewhere", "role": "lead"}})}
    assert (await decide(ds, other_db, rid, "include")).status_code == 403
    cookies = await login(ds, "bob")
    conn = store.connect(screening_db)
    store.remove_reviewer(conn, "bob")
    conn.close()
    assert (await decide(ds, cookies, rid, "include")).status_code == 403
    assert decision_count(screening_db) == 0


async def test_a_reviewer_writes_only_as_themself(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob = await login(ds, "bob")
    # A body naming someone else is refused outright (no field is ignored)...
    response = await decide(ds, bob, rid, "include", reviewer="carol")
    assert response.status_code == 400 and "reviewer" in response.json()["error"]
    assert decision_count(screening_db) == 0
    # ...and the name always comes from the login.
    response = await decide(ds, bob, rid, "include")
    assert response.status_code == 201
    assert response.json()["decision"]["reviewer"] == "bob"


async def test_cross_site_posts_are_refused(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob = await login(ds, "bob")
    response = await ds.client.post(
        "/review/-/screen", cookies=bob, data={"record_id": rid, "decision": "include",
                                              "stage": "title_abstract"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert decision_count(screening_db) == 0


# Decisions and statuses ------------------------------------------------------------

async def test_the_screening_page_records_a_decision_and_moves_on(ds, screening_db):
    bob = await login(ds, "bob")
    page = await ds.client.get("/review/-/screen", cookies=bob)
    assert page.status_code == 200
    first = int(re.search(r'name="record_id" value="(\d+)"', page.text).group(1))
    request_id = re.search(r'name="request_id" value="(\w+)"', page.text).group(1)
    form = {"record_id": first, "stage": "title_abstract", "decision": "include",
            "request_id": request_id}
    response = await ds.client.post("/review/-/screen", cookies=bob, data=form)
    assert response.status_code == 303
    # The same form sent twice (a reload, a double click) records it once.
    assert (await ds.client.post("/review/-/screen", cookies=bob, data=form)).status_code == 303
    assert decision_count(screening_db) == 1
    assert statuses(screening_db, first)[0] == "awaiting second reviewer"
    page = await ds.client.get(response.headers["location"], cookies=bob)
    shown = int(re.search(r'name="record_id" value="(\d+)"', page.text).group(1))
    assert shown != first


async def test_two_agreeing_reviewers_include_and_full_text_follows(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    # Not in the full-text stage yet.
    assert (await decide(ds, bob, rid, "include", stage="full_text")).status_code == 409
    await decide(ds, bob, rid, "include")
    response = await decide(ds, carol, rid, "include")
    assert response.json()["status"]["ta_status"] == "included"
    assert statuses(screening_db, rid) == ("included", "unscreened", "awaiting full text", None)
    # A reason is required to exclude at full text, and must be a protocol reason.
    missing = await decide(ds, bob, rid, "exclude", stage="full_text")
    assert missing.status_code == 400 and "reason is required" in missing.json()["error"]
    invalid = await decide(ds, bob, rid, "exclude", stage="full_text", reason="I feel like it")
    assert invalid.status_code == 400
    reason = "Insufficient data"
    assert (await decide(ds, bob, rid, "exclude", stage="full_text",
                         reason=reason)).status_code == 201
    await decide(ds, carol, rid, "exclude", stage="full_text", reason=reason)
    assert statuses(screening_db, rid) == ("included", "excluded", "excluded", reason)


async def test_not_retrieved_only_at_full_text(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    assert (await decide(ds, bob, rid, "not_retrieved")).status_code == 400
    await decide(ds, bob, rid, "include")
    await decide(ds, carol, rid, "include")
    await decide(ds, bob, rid, "not_retrieved", stage="full_text")
    assert statuses(screening_db, rid)[1:3] == ("not retrieved", "not retrieved")


async def test_undo_appends_and_restores(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob = await login(ds, "bob")
    await decide(ds, bob, rid, "exclude", reason="Duplicate")
    response = await ds.client.post("/review/-/screen/undo.json", cookies=bob,
                                    content=json.dumps({"stage": "title_abstract"}))
    assert response.status_code == 200
    assert response.json()["undone"]["record_id"] == rid
    assert statuses(screening_db, rid)[0] == "unscreened"
    assert decision_count(screening_db) == 2  # the decision and its undo
    # The record comes back to bob.
    following = await ds.client.get("/review/-/screen/next.json", cookies=bob)
    assert following.json()["record"] is not None
    nothing = await ds.client.post("/review/-/screen/undo.json", cookies=bob,
                                   content=json.dumps({"stage": "title_abstract"}))
    assert nothing.status_code == 409


async def test_decisions_are_append_only_in_sqlite_itself(ds, screening_db):
    bob = await login(ds, "bob")
    await decide(ds, bob, record_id(screening_db, TITLE), "include")
    conn = sqlite3.connect(screening_db)
    for sql in ("update decisions set decision = 'exclude'", "delete from decisions"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()
    assert decision_count(screening_db) == 1


async def test_next_record_follows_the_protocol_order_and_skips_my_decisions(
        ds, screening_db):
    bob = await login(ds, "bob")
    seen = []
    for _ in range(3):
        response = await ds.client.get("/review/-/screen/next.json", cookies=bob)
        rid = response.json()["record"]["id"]
        assert rid not in seen
        seen.append(rid)
        await decide(ds, bob, rid, "maybe")
    conn = sqlite3.connect(screening_db)
    ordered = [r[0] for r in conn.execute("select id from records order by screen_order, id")]
    conn.close()
    assert seen == ordered[:3]


# Conflicts, bulk exclusion, protocol (leads) -------------------------------------

async def test_a_lead_resolves_a_conflict_and_reviewers_cannot(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    alice, bob, carol = [await login(ds, n) for n in ("alice", "bob", "carol")]
    await decide(ds, bob, rid, "include", note="MSC exosomes in db/db mice")
    await decide(ds, carol, rid, "exclude", reason="Duplicate")
    assert statuses(screening_db, rid)[0] == "conflict"
    assert (await ds.client.get("/review/-/conflicts", cookies=bob)).status_code == 403
    page = await ds.client.get("/review/-/conflicts", cookies=alice)
    assert page.status_code == 200
    assert "MSC exosomes in db/db mice" in page.text and "Duplicate" in page.text
    form = {"record_id": rid, "stage": "title_abstract", "decision": "include",
            "note": "Primary study"}
    assert (await ds.client.post("/review/-/conflicts", cookies=bob,
                                 data=form)).status_code == 403
    response = await ds.client.post("/review/-/conflicts", cookies=alice, data=form)
    assert response.status_code == 303
    assert statuses(screening_db, rid)[:3] == ("included", "unscreened", "awaiting full text")
    # The lead is told what was done: the record has left the list.
    after = await ds.client.get("/review/-/conflicts", cookies={
        **alice, "ds_messages": response.cookies["ds_messages"]})
    assert f"Record {rid}: Included at Title/abstract, your resolution." in after.text
    history = (await ds.client.get(f"/review/-/record/{rid}/history.json")).json()
    kinds = [d["kind"] for d in history["decisions"]["title_abstract"]]
    assert kinds == ["screen", "screen", "resolution"]


async def test_bulk_exclusion_by_search(ds, screening_db):
    alice, bob = await login(ds, "alice"), await login(ds, "bob")
    assert (await ds.client.get("/review/-/bulk-exclude?q=wounds",
                                cookies=bob)).status_code == 403
    preview = await ds.client.get("/review/-/bulk-exclude?q=wounds", cookies=alice)
    assert preview.status_code == 200
    count = int(re.search(r"(\d+) unscreened records? match", preview.text).group(1))
    assert count >= 1
    # Every match is listed, its title linked to its record page.
    assert len(re.findall(r'<a href="/review/-/record/\d+">', preview.text)) == count
    bad = await ds.client.get('/review/-/bulk-exclude?q="unbalanced', cookies=alice)
    assert bad.status_code == 400 and "Search not understood" in bad.text
    matches = re.search(r'name="matches" value="([0-9a-f]+)"', preview.text).group(1)
    form = {"q": "wounds", "stage": "title_abstract", "note": "out of scope", "matches": matches}
    # A reason is required...
    no_reason = await ds.client.post("/review/-/bulk-exclude", cookies=alice, data=form)
    assert no_reason.status_code == 400 and "reason" in no_reason.text
    form["reason"] = "Other"
    # ...then a confirmation step states the number...
    ask = await ds.client.post("/review/-/bulk-exclude", cookies=alice, data=form)
    assert ask.status_code == 200
    assert re.search(rf"Yes, exclude {count} records?", ask.text)
    assert f'name="confirm" value="{count}"' in ask.text
    assert decision_count(screening_db) == 0
    assert re.search(rf'name="matches" value="{matches}"', ask.text)
    # ...and only that number (and those records) is accepted.
    wrong = await ds.client.post("/review/-/bulk-exclude", cookies=alice,
                                 data=dict(form, confirm=str(count + 1)))
    assert wrong.status_code == 409 and decision_count(screening_db) == 0
    response = await ds.client.post("/review/-/bulk-exclude", cookies=alice,
                                    data=dict(form, confirm=str(count)))
    assert response.status_code == 200 and f"Excluded {count} records" in response.text
    assert decision_count(screening_db) == count
    conn = sqlite3.connect(screening_db)
    rows = conn.execute("select d.kind, d.reviewer, d.reason, r.ta_status from decisions d"
                        " join records r on r.id = d.record_id").fetchall()
    conn.close()
    assert rows and all(row == ("bulk", "alice", "Other", "excluded") for row in rows)


async def test_only_a_lead_changes_the_protocol_and_statuses_follow(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    alice, bob = await login(ds, "alice"), await login(ds, "bob")
    await decide(ds, bob, rid, "include")
    assert statuses(screening_db, rid)[0] == "awaiting second reviewer"
    page = await ds.client.get("/review/-/protocol", cookies=bob)
    assert page.status_code == 200 and "<textarea" not in page.text
    single = "title_abstract:\n  reviewers: 1\nfull_text: false\n"
    assert (await ds.client.post("/review/-/protocol", cookies=bob,
                                 data={"protocol": single})).status_code == 403
    bad = await ds.client.post("/review/-/protocol", cookies=alice,
                               data={"protocol": "order: alphabetical"})
    assert bad.status_code == 400 and "order" in bad.text
    response = await ds.client.post("/review/-/protocol", cookies=alice,
                                    data={"protocol": single})
    assert response.status_code == 303
    saved = await ds.client.get("/review/-/protocol", cookies={
        **alice, "ds_messages": response.cookies["ds_messages"]})
    assert "Protocol saved: the new version is in force" in saved.text
    assert statuses(screening_db, rid)[:3] == ("included", None, "included")
    page = await ds.client.get("/review/-/protocol")
    assert "by alice" in page.text


# Blind screening does not leak --------------------------------------------------

async def test_blind_votes_stay_hidden_on_every_path(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    await decide(ds, bob, rid, "exclude", reason="Duplicate", note="bob-secret-note")

    def leaks(text):
        return "bob-secret-note" in text or '"bob"' in text or ">bob<" in text

    for cookies in (carol, {}):
        history = await ds.client.get(f"/review/-/record/{rid}/history.json", cookies=cookies)
        assert history.status_code == 200
        assert history.json()["decisions"]["title_abstract"] == []
        assert history.json()["statuses"]["ta_status"] == "awaiting second reviewer"
        page = await ds.client.get(f"/review/-/record/{rid}", cookies=cookies)
        assert page.status_code == 200 and not leaks(page.text)
    screen = await ds.client.get(f"/review/-/screen?record={rid}", cookies=carol)
    assert screen.status_code == 200 and not leaks(screen.text)
    # Datasette's own pages: the decisions table, its JSON and CSV, arbitrary
    # SQL, ?_where= and ?_through= on records, stored user queries.
    for path in ("/review/decisions", "/review/decisions.json", "/review/decisions.csv",
                 f"/review/decisions/{rid}.json",
                 "/review/-/query.json?sql=select+*+from+decisions",
                 "/review/-/query.csv?sql=select+*+from+decisions",
                 "/review/records.json?_where=id+in+(select+record_id+from+decisions)",
                 '/review/records.json?_through={"table":"decisions","column":"reviewer",'
                 '"value":"bob"}'):
        for cookies in (carol, {}):
            response = await ds.client.get(path, cookies=cookies)
            assert response.status_code in (400, 403), (path, response.status_code)
            assert "bob-secret-note" not in response.text
    # The table of records still shows statuses (awaiting, never the vote).
    rows = (await ds.client.get(f"/review/records.json?id={rid}&_shape=array")).json()
    assert rows[0]["ta_status"] == "awaiting second reviewer"
    # Bob sees his own vote; once carol votes, everyone sees both.
    mine = (await ds.client.get(f"/review/-/record/{rid}/history.json", cookies=bob)).json()
    assert [d["reviewer"] for d in mine["decisions"]["title_abstract"]] == ["bob"]
    await decide(ds, carol, rid, "include")
    both = (await ds.client.get(f"/review/-/record/{rid}/history.json")).json()
    assert [d["reviewer"] for d in both["decisions"]["title_abstract"]] == ["bob", "carol"]


async def test_password_hashes_and_sql_are_closed_even_to_root(ds, screening_db):
    ds.root_enabled = True
    root = {"ds_actor": ds.client.actor_cookie({"id": "root"})}
    for path in ("/review/mscdm_reviewers.json", "/review/mscdm_reviewers",
                 "/review/-/query.json?sql=select+password_hash+from+mscdm_reviewers",
                 "/review.db"):
        for cookies in (root, {}):
            response = await ds.client.get(path, cookies=cookies)
            assert response.status_code in (403, 404), (path, response.status_code)
            assert "scrypt$" not in response.text
    # Datasette's write API cannot rewrite decisions behind the statuses.
    response = await ds.client.post("/review/decisions/-/insert", cookies=root, json={
        "row": {"record_id": 1, "stage": "title_abstract", "reviewer": "root",
                "decision": "include", "created_at": "now"}})
    assert response.status_code == 403
    assert decision_count(screening_db) == 0
    # The plugin's stored chart queries still run.
    chart = await ds.client.get("/review/mscdm_records_per_screening_status.json")
    assert chart.status_code == 200


async def test_not_blind_shows_votes_to_everyone(screening_db):
    datasette = datasette_for(screening_db)
    config = datasette.config["plugins"]["datasette-mscdm"]
    config["screening"] = dict(config["screening"], blind=False)
    await datasette.invoke_startup()
    rid = record_id(screening_db, TITLE)
    await decide(datasette, await login(datasette, "bob"), rid, "include")
    history = (await datasette.client.get(f"/review/-/record/{rid}/history.json")).json()
    assert [d["reviewer"] for d in history["decisions"]["title_abstract"]] == ["bob"]


# Read-only instances --------------------------------------------------------------

async def test_read_only_instances_show_history_and_refuse_every_write(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    await decide(ds, bob, rid, "include", note="visible later")
    before = decision_count(screening_db)
    # A published copy is a checkpointed file (immutable mode reads no WAL).
    conn = sqlite3.connect(screening_db)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    immutable = datasette_for(screening_db, immutables=[str(screening_db)])
    await immutable.invoke_startup()
    # Blind does not apply to a copy nobody screens on: history is visible.
    history = (await immutable.client.get(f"/review/-/record/{rid}/history.json")).json()
    assert [d["note"] for d in history["decisions"]["title_abstract"]] == ["visible later"]
    page = await immutable.client.get(f"/review/-/record/{rid}", cookies=carol)
    assert page.status_code == 200 and "visible later" in page.text
    assert 'class="mscdm-decide"' not in page.text and "decide</a>" not in page.text
    table = await immutable.client.get("/review/records", cookies=carol, follow_redirects=True)
    assert table.status_code == 200 and "mscdm-record-link" in table.text
    assert "decide</a>" not in table.text
    checks = [
        ("get", "/review/-/screen", {}),
        ("post", "/review/-/screen", {"data": {"record_id": rid, "decision": "include"}}),
        ("post", "/review/-/screen/decisions.json",
         {"content": json.dumps({"record_id": rid, "decision": "include"})}),
        ("post", "/review/-/screen/undo.json", {"content": "{}"}),
        ("post", "/review/-/conflicts", {"data": {"record_id": rid, "decision": "include"}}),
        ("post", "/review/-/bulk-exclude", {"data": {"q": "exosome"}}),
        ("post", "/review/-/protocol", {"data": {"protocol": "blind: false"}}),
        ("post", "/review/-/login", {"data": {"name": "bob", "password": "x"}}),
    ]
    for method, path, kwargs in checks:
        for cookies in (carol, {}):
            response = await getattr(immutable.client, method)(path, cookies=cookies,
                                                                **kwargs)
            assert response.status_code == 403, (method, path, response.status_code)
            assert "read-only" in response.text, (method, path)
    assert decision_count(screening_db) == before


# Deciding from the record page and the table ------------------------------------

async def test_decide_from_the_record_page_and_the_table(ds, screening_db):
    rid = record_id(screening_db, TITLE)
    bob = await login(ds, "bob")
    page = await ds.client.get(f"/review/-/record/{rid}", cookies=bob)
    assert 'class="mscdm-decide"' in page.text
    assert f'name="next" value="/review/-/record/{rid}"' in page.text
    anonymous = await ds.client.get(f"/review/-/record/{rid}")
    assert 'class="mscdm-decide"' not in anonymous.text
    response = await ds.client.post("/review/-/screen", cookies=bob, data={
        "record_id": rid, "stage": "title_abstract", "decision": "maybe",
        "next": f"/review/-/record/{rid}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/review/-/record/{rid}"
    page = await ds.client.get(f"/review/-/record/{rid}", cookies=bob)
    assert "(now: maybe)" in page.text
    table = await ds.client.get(f"/review/records?id={rid}", follow_redirects=True)
    assert f"/review/-/screen?stage=title_abstract&amp;record={rid}" in table.text


async def test_login_never_redirects_off_the_review(ds):
    for target in ("https://evil.example/", "//evil.example/review/", "/other-db/-/screen"):
        response = await ds.client.post("/review/-/login", data={
            "name": "bob", "password": "bob-secret-password", "next": target})
        assert response.status_code == 302
        assert response.headers["location"] == "/review/-/screen"
    response = await ds.client.post("/review/-/login", data={
        "name": "bob", "password": "bob-secret-password", "next": "/review/-/conflicts"})
    assert response.headers["location"] == "/review/-/conflicts"


async def test_records_loaded_while_serving_join_the_screening_order(ds, screening_db, tmp_path):
    from click.testing import CliRunner

    import synthetic
    from datasette_mscdm.cli import cli

    bob = await login(ds, "bob")
    assert (await ds.client.get("/review/-/screen/next.json", cookies=bob)).status_code == 200
    export = synthetic.write_ris(tmp_path / "more.ris", synthetic.make_records(20, seed=5))
    assert CliRunner().invoke(cli, ["load", str(screening_db), str(export)]).exit_code == 0
    seen = set()
    for _ in range(25):
        record = (await ds.client.get("/review/-/screen/next.json", cookies=bob)).json()["record"]
        if record is None:
            break
        seen.add(record["id"])
        await decide(ds, bob, record["id"], "maybe")
    conn = sqlite3.connect(screening_db)
    ids = {r[0] for r in conn.execute("select id from records")}
    unordered = conn.execute("select count(*) from records where screen_order is null").fetchone()
    conn.close()
    assert seen == ids and unordered == (0,)


async def test_a_protocol_that_does_not_parse_stops_startup(screening_db):
    from datasette_mscdm.screening.protocol import ProtocolError

    datasette = datasette_for(screening_db)
    config = datasette.config["plugins"]["datasette-mscdm"]["screening"]
    config["title_abstract"] = dict(config["title_abstract"], reviewers=5)
    with pytest.raises(ProtocolError, match="screening: title_abstract.reviewers"):
        await datasette.invoke_startup()


async def test_the_card_links_to_the_full_text_but_never_to_javascript(ds, screening_db):
    bob = await login(ds, "bob")
    seed = record_id(screening_db, TITLE)
    page = await ds.client.get(f"/review/-/screen?record={seed}", cookies=bob)
    assert 'href="https://doi.org/10.3390/biomimetics10010049"' in page.text
    hostile = record_id(screening_db, "Adipose-derived MSC exosomes%")
    page = await ds.client.get(f"/review/-/screen?record={hostile}", cookies=bob)
    assert page.status_code == 200
    assert "javascript:" not in page.text.split('id="mscdm-card"')[1]
    assert "<script>alert" not in page.text


async def test_a_team_spreads_over_the_records(ds, screening_db):
    """Two votes per record: two reviewers are offered the same record, a
    third is offered the next one; a reload offers the record held."""
    bob, carol, alice = [await login(ds, n) for n in ("bob", "carol", "alice")]

    async def next_for(cookies):
        response = await ds.client.get("/review/-/screen/next.json", cookies=cookies)
        return response.json()["record"]["id"]

    first = await next_for(bob)
    assert await next_for(carol) == first
    third = await next_for(alice)
    assert third != first
    assert await next_for(bob) == first  # held for bob until he decides
    response = await decide(ds, bob, first, "include")
    assert response.json()["next"]["record"]["id"] == third  # alice holds one of two votes
    # Who holds what is private.
    assert (await ds.client.get("/review/mscdm_claims.json", cookies=alice)).status_code == 403


async def test_a_leads_confirmation_says_what_was_done():
    from datasette_mscdm.routes.conflicts import resolved_message
    from datasette_mscdm.screening.protocol import Stage
    ta, ft = Stage("title_abstract"), Stage("full_text")
    assert resolved_message(7, ta, "reopen", None) == (
        "Record 7: Title/abstract reopened; its reviewers vote again.")
    assert resolved_message(7, ta, "maybe", None) == (
        "Record 7: Sent on to the full text at Title/abstract, your resolution.")
    assert resolved_message(7, ft, "maybe", None).startswith("Record 7: Left as maybe at Full text")
    assert resolved_message(7, ft, "exclude", "Wrong population") == (
        "Record 7: Excluded (Wrong population) at Full text, your resolution.")
