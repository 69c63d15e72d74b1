"""The duplicate queue in headless Chromium against a real `datasette
serve`: a lead answers by keyboard (s skip, d duplicate, n not duplicates),
accepts the rest above a score after the confirmation, and undoes a merge
from the record page. Screenshots (1400x900 and a 390x844 phone) are kept
in tests/artefacts/."""

import sqlite3

import pytest
from serve import serve

from conftest import needs_chromium, password_of, shot
from dedup_fixtures import build_queue_review

pytestmark = needs_chromium


@pytest.fixture
def server(tmp_path):
    path = build_queue_review(tmp_path)
    with serve(path) as base:
        yield base, path


def log_in(browser, base, name, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{base}/review/-/duplicates")
    assert "/review/-/login" in page.url
    page.fill("#mscdm-name", name)
    page.fill("#mscdm-password", password_of(name))
    page.click("input[type=submit]")
    page.wait_for_url("**/review/-/duplicates**")
    return context, page


def answers(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT a, b, answer, answered_by FROM mscdm_dedup_answers"
                            " ORDER BY id").fetchall()
    finally:
        conn.close()


def pairs_on(page):
    return [(int(s.get_attribute("data-a")), int(s.get_attribute("data-b")))
            for s in page.locator("section.mscdm-pair").all()]


def focused(page):
    section = page.locator("section.mscdm-pair.mscdm-focused")
    return int(section.get_attribute("data-a")), int(section.get_attribute("data-b"))


def press_and_reload(page, key):
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def test_a_lead_answers_by_keyboard_accepts_above_a_score_and_unmerges(server, browser):
    base, path = server
    context, page = log_in(browser, base, "alice", {"width": 1400, "height": 900})
    shot(page, "duplicates-queue-1400x900.png")
    first, second, third = pairs_on(page)
    assert focused(page) == first
    # Record text is shown as text, differences marked.
    assert page.locator("mark.mscdm-diff").count() >= 6
    assert page.evaluate("document.querySelectorAll('.content script:not([src])').length") == 0
    page.keyboard.press("?")
    assert page.locator("#mscdm-help").is_visible()
    page.keyboard.press("?")

    page.keyboard.press("s")                       # skip the first pair
    assert focused(page) == second
    press_and_reload(page, "d")                    # the second: duplicate
    assert answers(path) == [(*second, "duplicate", "alice")]
    assert pairs_on(page) == [first, third]
    assert focused(page) == third                  # the pair after it is in focus
    press_and_reload(page, "n")                    # the third: not duplicates
    assert answers(path)[-1] == (*third, "not_duplicates", "alice")
    assert pairs_on(page) == [first]

    # Accept every pair above a score: the confirmation states the number.
    page.fill("input[name=min_score]", "0")
    page.click("form.mscdm-accept button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Yes, merge 1 pair").is_visible()
    shot(page, "duplicates-accept-confirmation.png")
    page.get_by_role("button", name="Yes, merge 1 pair").click()
    page.wait_for_load_state()
    assert "Merged 1 pair" in page.inner_text("body")
    assert pairs_on(page) == []

    # The record page shows the merge; the lead undoes it.
    page.goto(f"{base}/review/-/record/{second[0]}")
    assert "Merged copies" in page.inner_text("body")
    shot(page, "duplicates-record-merged-1400x900.png")
    with page.expect_navigation():
        page.locator("form.mscdm-unmerge button").first.click()
    page.goto(f"{base}/review/-/record/{second[1]}")
    assert "was merged" not in page.inner_text("body")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM records WHERE id = ?", [second[1]]).fetchone()[0] == 1
    conn.close()
    context.close()


def test_the_queue_on_a_phone(server, browser):
    base, path = server
    context, page = log_in(browser, base, "alice", {"width": 390, "height": 844})
    shot(page, "duplicates-queue-390x844.png")
    # Nothing wider than the screen but the table's own scroll box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    assert page.get_by_role("button", name="Duplicate d").first.is_visible()
    first = pairs_on(page)[0]
    press_and_reload(page, "d")
    assert answers(path) == [(*first, "duplicate", "alice")]
    context.close()
