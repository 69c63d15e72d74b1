"""The screening team's day in headless Chromium against a real
`datasette serve`, at 1400x900 (a desk) and 390x844 (a phone): criteria
beside the record and remembered, a confirmation after every key, undo and
skip, the keyboard help, the decision bar on a phone, My work, the records
work list, the conflicts page by keyboard and bulk exclusion. Screenshots
are kept in tests/artefacts/ (team-*.png)."""


import pytest
from click.testing import CliRunner
from serve import serve

import synthetic
from conftest import (SCREEN_SIZES, add_reviewers, needs_chromium, open_as, password_of,
                      press_and_wait, query, record_on, shot)
from datasette_mscdm.cli import cli

pytestmark = needs_chromium



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("team")
    db = tmp / "review.db"
    export = synthetic.write_ris(tmp / "records.ris", synthetic.make_records(60, seed=7))
    assert CliRunner().invoke(cli, ["load", str(db), str(export)]).exit_code == 0
    add_reviewers(db)
    with serve(db) as base:
        yield base, db


def fits(page, width):
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_screening_feedback_skip_help_and_criteria(server, browser, size):
    base, db = server
    reviewer = "bob" if size == "desk" else "carol"
    context, page = open_as(browser, base, reviewer, size)
    width, height = SCREEN_SIZES[size]
    assert fits(page, width)
    shot(page, f"team-screen-{size}.png")
    # The decision buttons are on screen without scrolling (a bar at the
    # bottom on a phone, the side panel on a desk).
    include = page.locator("button[value=include]")
    box = include.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= height
    first = record_on(page)
    # A confirmation after the key, naming the reason and the undo.
    press_and_wait(page, "3")
    toast = page.locator("#mscdm-toast")
    reason = query(db, "select reason from decisions where record_id = ? and reviewer = ?",
                 [first, reviewer])[0][0]
    assert toast.is_visible() and toast.inner_text() == (
        f"Excluded: {reason} (record #{first}) - u to undo")
    shot(page, f"team-screen-confirmed-{size}.png")
    # Undo brings the record back with a visible note.
    press_and_wait(page, "u")
    assert record_on(page) == first
    assert "Undone: your exclude" in page.locator(".mscdm-undone").inner_text()
    shot(page, f"team-screen-undone-{size}.png")
    # Skip: the next record, and the skipped one stays in my queue.
    press_and_wait(page, "s")
    assert record_on(page) != first
    assert "stays in your queue" in toast.inner_text()
    assert query(db, "select count(*) from mscdm_skips where reviewer = ? and record_id = ?",
               [reviewer, first]) == [(1,)]
    # Keyboard help.
    page.keyboard.press("?")
    assert page.locator("#mscdm-help").is_visible()
    shot(page, f"team-screen-help-{size}.png")
    page.keyboard.press("?")
    assert not page.locator("#mscdm-help").is_visible()
    # The criteria fold away, and stay folded after a reload for this reviewer.
    criteria = page.locator("#mscdm-criteria")
    assert criteria.get_attribute("open") is not None
    page.keyboard.press("c")
    assert criteria.get_attribute("open") is None
    page.reload()
    assert page.locator("#mscdm-criteria").get_attribute("open") is None
    page.keyboard.press("c")
    context.close()


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_my_work_overview_and_the_work_list_fit_the_screen(server, browser, size):
    base, db = server
    context, page = open_as(browser, base, "bob", size)
    width, _ = SCREEN_SIZES[size]
    press_and_wait(page, "i")
    for path, name in (("/review/-/screen/mine", "mine"), ("/review/-/overview", "overview"),
                       ("/review/records?ta_status=awaiting+second+reviewer", "worklist")):
        page.goto(base + path)
        assert fits(page, width), (path, page.evaluate("document.documentElement.scrollWidth"))
        shot(page, f"team-{name}-{size}.png")
    # The work list: rows near the top, my vote and a decide link in them.
    first_row = page.locator("table.rows-and-columns tbody tr").first
    if size == "desk":
        assert first_row.bounding_box()["y"] < 900
    assert "you: include" in first_row.inner_text()
    assert page.locator("details.mscdm-facets").count() == 1
    assert page.locator("details.mscdm-facets").get_attribute("open") is None
    page.fill("#_search", "exosome")
    with page.expect_navigation():
        page.locator("#_search").press("Enter")
    assert page.locator("#_search").input_value() == "exosome"
    context.close()


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_a_lead_resolves_conflicts_by_keyboard_and_excludes_in_bulk(server, browser, size):
    base, db = server
    # Two conflicts of bob's and carol's, made through the JSON API as a script would.
    from screen_client import ReviewerClient
    made = []
    clients = {}
    for name in ("bob", "carol"):
        clients[name] = ReviewerClient(base)
        clients[name].login(name, password_of(name))
    open_ids = [row[0] for row in query(
        db, "select id from records where ta_status = 'unscreened' order by id limit 2")]
    for rid in open_ids:
        assert clients["bob"].decide(rid, "include")[0] == 201
        assert clients["carol"].decide(rid, "exclude", reason="Other")[0] == 201
        made.append(rid)
    context, page = open_as(browser, base, "alice", size)
    width, _ = SCREEN_SIZES[size]
    page.goto(f"{base}/review/-/conflicts")
    assert fits(page, width)
    shot(page, f"team-conflicts-{size}.png")
    count = query(db, "select count(*) from records where ta_status in ('conflict', 'maybe')")[0][0]
    assert f"Conflicts and maybes ({count})" in page.locator("h1").inner_text()
    sections = page.locator("section.mscdm-conflict")
    first_id = int(sections.first.get_attribute("data-record-id"))
    # Keys: i includes the record in focus.
    with page.expect_navigation():
        page.keyboard.press("i")
    assert query(db, "select ta_status from records where id = ?", [first_id]) == [("included",)]
    # The next record is in focus; 1 excludes it with the first reason.
    second = int(page.locator("section.mscdm-conflict").first.get_attribute("data-record-id"))
    with page.expect_navigation():
        page.keyboard.press("1")
    assert query(db, "select ta_status, exclusion_reason from records where id = ?",
               [second])[0][0] == "excluded"
    # Bulk exclusion: preview, reason, a confirmation that states the number.
    page.goto(f"{base}/review/-/bulk-exclude?q=editorial")
    shot(page, f"team-bulk-preview-{size}.png")
    matches = int(page.locator("h2").first.inner_text().split()[0])
    if matches:
        page.select_option("form.mscdm-bulk-ask select[name=reason]", index=1)
        with page.expect_navigation():
            page.click("form.mscdm-bulk-ask button[type=submit]")
        assert f"exclude {matches} record" in page.locator(".mscdm-confirm h2").inner_text()
        shot(page, f"team-bulk-confirm-{size}.png")
        with page.expect_navigation():
            page.click(".mscdm-bulk-confirm button[type=submit]")
        assert f"Excluded {matches} records" in page.locator(".mscdm-done").inner_text()
        assert query(db, "select count(*) from decisions where kind = 'bulk'")[0][0] >= matches
    assert fits(page, width)
    context.close()
