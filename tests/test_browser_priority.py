"""Priority order in headless Chromium against a real `datasette serve` on a
real labelled review (SYNERGY's Donners_2021): the screening page shows
the records in the order the background reranks write, so the includes
come early; the lead reads the stopping estimate on the dashboard and
stops screening, and PRISMA counts the records left. Screenshots in
tests/artefacts/ (priority-*.png)."""

import json
import shutil
import time

import pytest
from click.testing import CliRunner
from serve import serve

from conftest import (CORPUS, REPO, SCREEN_SIZES, add_reviewers, needs_chromium, open_as,
                      press_and_wait, query, record_on, shot)
from datasette_mscdm.cli import cli
from datasette_mscdm.screening import store
from datasette_mscdm.screening.protocol import parse_protocol

pytestmark = needs_chromium

CRITERIA = (REPO / "scripts" / "criteria" / "Donners_2021.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("priority")
    db = tmp / "review.db"
    result = CliRunner().invoke(cli, ["load", str(db),
                                      str(CORPUS / "screening" / "synergy" / "Donners_2021.csv")])
    assert result.exit_code == 0, result.output
    add_reviewers(db)
    conn = store.connect(db)
    with conn:
        store.save_protocol(conn, parse_protocol({
            "order": "priority", "title_abstract": {"reviewers": 1},
            "criteria": {"intervention": CRITERIA}, "priority": {"retrain_every": 3}}), "alice")
    conn.close()
    with serve(db) as base:
        yield base, db


def queue_top(db):
    return query(db, "select id from records where ta_status = 'unscreened'"
                   " order by screen_order, id limit 1")[0][0]


def test_the_screening_page_follows_the_priority_order(server, browser):
    base, db = server
    truth = {rid: json.loads(extra)["label_included"] == "1"
             for rid, extra in query(db, "select id, extra from records")}
    context, page = open_as(browser, base, "bob", "desk")
    # The first rerank (cold start on the criteria) runs in the background:
    # wait for it, then reload so the page offers its order.
    deadline = time.monotonic() + 60
    while not query(db, "select count(*) from mscdm_retrains")[0][0]:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    page.reload()
    found, matched = 0, 0
    for step in range(20):
        rid = record_on(page)
        found += truth[rid]
        before = query(db, "select count(*) from mscdm_retrains")
        press_and_wait(page, "i" if truth[rid] else "3")
        shown, top = record_on(page), queue_top(db)
        # The record shown next is the top of the order, unless a rerank
        # landed meanwhile (then the new order applies from the one after).
        if query(db, "select count(*) from mscdm_retrains") == before:
            assert shown == top
            matched += 1
        if step == 0:
            shot(page, "priority-screen-desk.png")
    context.close()
    retrains = query(db, "select mode from mscdm_retrains order by id")
    assert retrains[0] == ("cold start",) and ("model",) in retrains
    assert matched >= 10, matched
    # Random order would show 20/258 of the 15 includes (1.2) on average.
    assert found >= 4, found


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_the_lead_reads_the_stopping_estimate_and_stops(server, browser, size):
    base, db = server
    context, page = open_as(browser, base, "alice", size, "/review/-/review")
    width, _ = SCREEN_SIZES[size]
    section = page.locator("#stopping")
    assert section.is_visible()
    assert "priority order" in page.locator("p.mscdm-order").inner_text()
    table = page.locator("table.mscdm-stopping").inner_text()
    assert "Includes that may remain unscreened" in table and "Recall that supports" in table
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    section.scroll_into_view_if_needed()
    shot(page, f"priority-stopping-{size}.png")
    if size == "phone":
        context.close()
        return
    unscreened = query(db, "select count(*) from records where ta_status = 'unscreened'")[0][0]
    page.locator("details.mscdm-stop summary").click()
    page.fill("details.mscdm-stop textarea[name=reason]", "Piloting the early stop")
    with page.expect_navigation():
        page.locator("details.mscdm-stop button[type=submit]").click()
    assert "Title/abstract screening stopped" in page.content()
    assert page.locator("p.mscdm-stopped").is_visible()
    shot(page, "priority-stopped-desk.png")
    page.goto(f"{base}/review/-/prisma")
    assert "Piloting the early stop" in page.locator("p.mscdm-stopped").inner_text()
    numbers = page.locator("table.mscdm-prisma-numbers").inner_text()
    assert f"Records marked as ineligible by automation tools\t{unscreened:,}" in numbers
    page.goto(f"{base}/review/-/review")
    with page.expect_navigation():
        page.locator("form.mscdm-resume button").click()
    assert "screening resumed" in page.content()
    assert query(db, "select count(*) from records where ta_status = 'unscreened'")[0][0] == \
        unscreened
    context.close()
