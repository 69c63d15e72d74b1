"""The screening team's day through a real Datasette (test client, real
SQLite files): eligibility criteria, feedback after every key, skip, my work,
progress from the database, the records table as a work list, one
vocabulary of publication types, the conflicts page and bulk exclusion.
What people click is in test_browser_team.py."""

import json
import re
import sqlite3

import pytest
import pytest_asyncio
from click.testing import CliRunner

from conftest import add_reviewers, datasette_for, login, query, ris
from datasette_mscdm.cli import cli
from datasette_mscdm.screening import rules, store
from datasette_mscdm.screening.protocol import parse_protocol

pytestmark = pytest.mark.asyncio

RECORDS = [
    ("a", "MSC exosomes heal diabetic wounds in mice", "EVs evolved; exosomes in db/db mice."),
    ("b", "Adipose stem cells in obesity", "Adipose tissue."),
    ("c", "Vesicles and insulin secretion", "Islet vesicles."),
    ("d", "Umbilical MSC exosomes in diabetic nephropathy", "Kidney."),
    ("e", "Exosomal microRNA in retinopathy", "Retina."),
]


@pytest.fixture
def review(tmp_path):
    db = tmp_path / "review.db"
    (tmp_path / "pubmed.ris").write_text(ris(*RECORDS), encoding="utf-8")
    (tmp_path / "types.ris").write_text(
        "TY  - JOUR\nTI  - Typed one\nM3  - Journal Article\nER  - \n\n"
        "TY  - JOUR\nTI  - Typed two\nM3  - article-journal\nER  - \n\n"
        "TY  - JOUR\nTI  - Typed three\nM3  - Meeting Abstract\nER  - \n", encoding="utf-8")
    for name in ("pubmed.ris", "types.ris"):
        result = CliRunner().invoke(cli, ["load", str(db), str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    add_reviewers(db)
    return db


@pytest_asyncio.fixture
async def ds(review):
    datasette = datasette_for(review)
    await datasette.invoke_startup()
    return datasette


def ids(db):
    conn = sqlite3.connect(db)
    try:
        return {title: rid for rid, title in conn.execute("select id, title from records")}
    finally:
        conn.close()


async def decide(ds, cookies, rid, decision, **extra):
    response = await ds.client.post("/review/-/screen/decisions.json?card=1", cookies=cookies,
                                    content=json.dumps(dict(record_id=rid, decision=decision,
                                                            stage="title_abstract", **extra)))
    return response


# Criteria ---------------------------------------------------------------------------

async def test_criteria_are_in_the_protocol_beside_every_record_and_versioned(ds, review):
    alice, bob = await login(ds, "alice"), await login(ds, "bob")
    screen = await ds.client.get("/review/-/screen", cookies=bob)
    assert 'id="mscdm-criteria"' in screen.text and "Population" in screen.text
    assert "type 1 or type 2 diabetes" in screen.text  # datasette.yaml's criteria
    protocol = await ds.client.get("/review/-/protocol", cookies=alice)
    assert "criteria:" in protocol.text
    new = ("criteria:\n  population:\n    include: Adults with <b>type 2</b> diabetes\n"
           "    highlight: [db/db, nephropath*]\n  outcomes: Wound closure\n")
    saved = await ds.client.post("/review/-/protocol", cookies=alice, data={"protocol": new})
    assert saved.status_code == 303
    stored = json.loads(query(review, "select protocol from mscdm_protocol order by id desc")[0][0])
    assert stored["criteria"]["population"]["highlight"] == ["db/db", "nephropath*"]
    rid = ids(review)["MSC exosomes heal diabetic wounds in mice"]
    card = await ds.client.get(f"/review/-/screen?record={rid}", cookies=bob)
    assert "Adults with &lt;b&gt;type 2&lt;/b&gt; diabetes" in card.text  # escaped
    assert "Wound closure" in card.text and "type 1 or type 2 diabetes" not in card.text
    # Criterion terms are marked with their criterion.
    assert '<mark class="mscdm-include mscdm-criterion" title="Population">db/db</mark>' in card.text
    bad = await ds.client.post("/review/-/protocol", cookies=alice,
                               data={"protocol": "criteria:\n  populations: x\n"})
    assert bad.status_code == 400 and "unknown criteria" in bad.text


async def test_short_upper_case_highlight_terms_mark_whole_words_only(ds, review):
    bob = await login(ds, "bob")
    rid = ids(review)["MSC exosomes heal diabetic wounds in mice"]
    card = (await ds.client.get(f"/review/-/screen?record={rid}", cookies=bob)).text
    assert '<mark class="mscdm-include">EVs</mark> evolved' in card


# Feedback on every key --------------------------------------------------------------

async def test_every_decision_is_confirmed_and_an_undo_says_what_it_withdrew(ds, review):
    bob = await login(ds, "bob")
    rid = ids(review)["Vesicles and insulin secretion"]
    response = await decide(ds, bob, rid, "exclude", reason="Other")
    assert response.status_code == 201
    assert response.json()["notice"] == f"Excluded: Other (record #{rid}) - u to undo"
    undone = await ds.client.post("/review/-/screen/undo.json?card=1", cookies=bob,
                                  content=json.dumps({"stage": "title_abstract"}))
    assert undone.status_code == 200
    html = undone.json()["html"]
    assert "Undone: your <strong>exclude</strong> (Other) on this record is withdrawn" in html
    assert f'data-record-id="{rid}"' in html


async def test_without_javascript_the_page_words_the_confirmation_from_the_database(ds, review):
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    rid = ids(review)["Vesicles and insulin secretion"]
    form = {"record_id": str(rid), "stage": "title_abstract", "decision": "maybe"}
    posted = await ds.client.post("/review/-/screen", cookies=bob, data=form)
    assert posted.status_code == 303 and "decided=" in posted.headers["location"]
    page = await ds.client.get(posted.headers["location"], cookies=bob)
    assert f"Maybe (record #{rid}) - u to undo" in page.text
    # Another reviewer cannot read bob's decision through the same link.
    peek = await ds.client.get(posted.headers["location"], cookies=carol)
    assert "Maybe (record" not in peek.text
    undo = await ds.client.post("/review/-/screen/undo", cookies=bob,
                                data={"stage": "title_abstract"})
    assert undo.status_code == 303 and "undone=" in undo.headers["location"]
    page = await ds.client.get(undo.headers["location"], cookies=bob)
    assert "Undone: your <strong>maybe</strong>" in page.text


async def test_skip_keeps_a_record_in_my_queue_for_later(ds, review):
    bob = await login(ds, "bob")
    first = (await ds.client.get("/review/-/screen/next.json", cookies=bob)).json()["record"]
    skipped = await ds.client.post("/review/-/screen/skip.json?card=1", cookies=bob,
                                   content=json.dumps({"record_id": first["id"],
                                                       "stage": "title_abstract"}))
    assert skipped.status_code == 200
    assert "stays in your queue" in skipped.json()["notice"]
    following = skipped.json()["next"]["record"]
    assert following["id"] != first["id"]
    progress = (await ds.client.get("/review/-/screen/progress.json", cookies=bob)).json()
    assert progress["my_remaining"] == len(ids(review))  # a skip decides nothing
    # Decide every other record: the skipped one comes back last.
    record = following
    seen = []
    while record and record["id"] != first["id"]:
        seen.append(record["id"])
        record = (await decide(ds, bob, record["id"], "include")).json()["next"]["record"]
    assert record["id"] == first["id"] and first["id"] not in seen
    assert len(seen) == len(ids(review)) - 1
    # The plain form does the same; a record that is not open cannot be skipped.
    form = await ds.client.post("/review/-/screen/skip", cookies=bob, data={
        "record_id": str(first["id"]), "stage": "title_abstract"})
    assert form.status_code == 303 and f"skipped={first['id']}" in form.headers["location"]
    carol = await login(ds, "carol")
    await decide(ds, carol, seen[0], "include")
    closed = await ds.client.post("/review/-/screen/skip.json", cookies=carol, content=json.dumps(
        {"record_id": seen[0], "stage": "title_abstract"}))
    assert closed.status_code == 409


async def test_progress_is_read_from_the_database_on_every_request(ds, review):
    bob = await login(ds, "bob")
    conn = store.connect(review)
    carol = store.Reviewer("carol", "reviewer")
    protocol = parse_protocol(None)
    for rid in list(ids(review).values())[:4]:
        with conn:
            store.record_decision(conn, protocol, carol, rid, "title_abstract", "include")
        progress = (await ds.client.get("/review/-/screen/progress.json", cookies=bob)).json()
        counts = dict(query(review, "select ta_status, count(*) from records group by 1"))
        assert progress["counts"] == counts
        assert progress["team_done"] == sum(n for s, n in counts.items() if s not in rules.OPEN)
    conn.close()


# My work -------------------------------------------------------------------------------

async def test_my_work_lists_filters_and_searches_my_own_decisions(ds, review):
    bob, carol = await login(ds, "bob"), await login(ds, "carol")
    titles = ids(review)
    await decide(ds, bob, titles["MSC exosomes heal diabetic wounds in mice"], "include",
                 note="db/db mice, check dose")
    await decide(ds, bob, titles["Adipose stem cells in obesity"], "exclude", reason="Other")
    await decide(ds, bob, titles["Vesicles and insulin secretion"], "maybe")
    await decide(ds, carol, titles["Adipose stem cells in obesity"], "exclude", reason="Other")
    page = await ds.client.get("/review/-/screen/mine", cookies=bob)
    assert page.status_code == 200 and "My decisions (3)" in page.text
    includes = await ds.client.get("/review/-/screen/mine?decision=include", cookies=bob)
    assert "My decisions (1)" in includes.text and "heal diabetic wounds" in includes.text
    noted = await ds.client.get("/review/-/screen/mine?note=1", cookies=bob)
    assert "My decisions (1)" in noted.text and "check dose" in noted.text
    searched = await ds.client.get("/review/-/screen/mine?q=insulin", cookies=bob)
    assert "My decisions (1)" in searched.text and "insulin secretion" in searched.text
    # Open records can be changed; the one carol also voted on is locked.
    assert includes.text.count(">change</a>") == 1
    excluded = await ds.client.get("/review/-/screen/mine?decision=exclude", cookies=bob)
    assert ">locked</span>" in excluded.text and ">change</a>" not in excluded.text
    # Search what I still have to screen: open and without my vote.
    todo = await ds.client.get("/review/-/screen/mine?todo=retinopathy", cookies=bob)
    assert "Exosomal microRNA in retinopathy" in todo.text and "1 record waiting" in todo.text
    # Nobody else's decisions show, and a reviewer must be logged in.
    assert "My decisions (1)" in (await ds.client.get(
        "/review/-/screen/mine", cookies=carol)).text
    anonymous = await ds.client.get("/review/-/screen/mine")
    assert anonymous.status_code == 302


# The records table as a work list -----------------------------------------------------------

async def test_the_records_table_opens_on_the_work_list(ds, review):
    bob = await login(ds, "bob")
    rid = ids(review)["MSC exosomes heal diabetic wounds in mice"]
    await decide(ds, bob, rid, "include")
    redirect = await ds.client.get("/review/records?ta_status=awaiting+second+reviewer",
                                   cookies=bob)
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    assert "ta_status=awaiting+second+reviewer" in location and "_col=title" in location
    page = await ds.client.get(location, cookies=bob)
    html = page.text
    headers = re.findall(r'<th [^>]*data-column="([^"]+)"', html)
    assert headers == ["id", "title", "authors", "year", "journal", "auto_tags", "ta_status",
                       "ft_status"]
    assert f'href="/review/-/record/{rid}"' in html
    assert '<span class="mscdm-my-vote">you: include</span>' in html
    assert f"/review/-/screen?stage=title_abstract&amp;record={rid}" in html
    # Column descriptions are folded away, the page is the rows.
    assert '<details class="mscdm-column-descriptions">' in html
    # Every other column is one click away, and JSON/CSV are Datasette's own.
    assert "_mscdm_columns=all" in html
    everything = await ds.client.get("/review/records?_mscdm_columns=all", cookies=bob)
    assert 'data-column="abstract"' in everything.text
    data = (await ds.client.get("/review/records.json?_shape=array&_size=max")).json()
    assert len(data) == len(ids(review)) and "abstract" in data[0]
    csv_text = (await ds.client.get("/review/records.csv?_size=max")).text
    assert csv_text.splitlines()[0].startswith("id,title,abstract")
    # A visitor who is not a reviewer sees no vote.
    anonymous = await ds.client.get(location)
    assert "mscdm-my-vote" not in anonymous.text


async def test_the_search_box_keeps_its_query_and_empty_facets_are_hidden(ds, review):
    page = await ds.client.get("/review/records?_search=exosomes", follow_redirects=True)
    assert '<input id="_search" type="search" name="_search" value="exosomes">' in page.text
    facets = (await ds.client.get("/review/records.json?_extra=facet_results")).json()
    names = set(facets["facet_results"]["results"])
    # Nothing is at full text yet: no empty full-text facet.
    assert "ft_status" not in names and "ta_status" in names
    assert query(review, "select count(*) from records where ft_status is not null") == [(0,)]


async def test_publication_types_are_one_vocabulary_and_the_original_is_kept(ds, review):
    facets = (await ds.client.get("/review/records.json?_extra=facet_results")).json()
    types = {r["value"]: r["count"] for r in
             facets["facet_results"]["results"]["Publication type"]["results"]}
    # RIS "JOUR", PubMed "Journal Article" and CSL "article-journal" are one
    # type (once per record); the original types stay in the record.
    assert types == {"Journal article": 8, "Conference abstract": 1}
    assert query(review, "select publication_types from records where title like 'Typed%'"
               " order by id") == [('["Journal", "Journal Article"]',),
                                   ('["Journal", "article-journal"]',),
                                   ('["Journal", "Meeting Abstract"]',)]
    assert dict(query(review, "select term, count(*) from record_terms where"
                    " facet = 'publication_type' group by term")) == types


# Conflicts and bulk exclusion --------------------------------------------------------------

async def test_the_conflicts_page_shows_the_abstract_and_criteria_and_presets_nothing(ds, review):
    alice, bob, carol = [await login(ds, n) for n in ("alice", "bob", "carol")]
    titles = ids(review)
    a, d = titles["MSC exosomes heal diabetic wounds in mice"], \
        titles["Umbilical MSC exosomes in diabetic nephropathy"]
    for rid in (a, d):
        await decide(ds, bob, rid, "include")
        await decide(ds, carol, rid, "exclude", reason="Other")
    page = await ds.client.get("/review/-/conflicts", cookies=alice)
    assert "Conflicts and maybes (2)" in page.text
    assert query(review, "select count(*) from records where ta_status in ('conflict', 'maybe')"
               " or ft_status in ('conflict', 'maybe')") == [(2,)]
    plain = re.sub(r"</?mark[^>]*>", "", page.text)
    assert "exosomes in db/db mice" in plain and 'id="mscdm-criteria"' in page.text
    assert '<mark class="mscdm-include mscdm-criterion" title="Population">db/db</mark>' \
        in page.text  # the abstract, highlighted with the criteria's terms
    assert " selected" not in page.text.split('class="mscdm-conflict-list"')[1]
    # Excluding needs a reason; "send to full text" is the lead's maybe.
    no_reason = await ds.client.post("/review/-/conflicts", cookies=alice, data={
        "record_id": str(a), "stage": "title_abstract", "decision": "exclude"})
    assert no_reason.status_code == 400 and "reason is required" in no_reason.text
    sent = await ds.client.post("/review/-/conflicts", cookies=alice, data={
        "record_id": str(a), "stage": "title_abstract", "decision": "maybe"})
    assert sent.status_code == 303
    assert query(review, "select ta_status, ft_status, screening_status from records"
               " where id = ?", [a]) == [("included", "unscreened", "awaiting full text")]
    page = await ds.client.get("/review/-/conflicts", cookies=alice)
    assert "Conflicts and maybes (1)" in page.text
    # At full text a lead decides: no maybe there (the report settles it).
    conn = store.connect(review)
    with pytest.raises(store.ScreeningError, match="decision must be one of include, exclude$"):
        store.record_decision(conn, parse_protocol(None), store.Reviewer("alice", "lead"), a,
                              "full_text", "maybe", kind="resolution")
    conn.close()
