"""Screening in headless Chromium against a real `datasette serve`: two
reviewers log in and screen by keyboard, produce a conflict, and a lead
resolves it. Also the same page without JavaScript. Screenshots are kept in
tests/artefacts/."""

import sqlite3

import pytest
from serve import serve

from conftest import (add_reviewers, build_review_db, needs_chromium, password_of, press_and_wait,
                      record_on, shot)

pytestmark = needs_chromium


@pytest.fixture
def server(tmp_path):
    path = build_review_db(tmp_path / "review.db", tmp_path)
    add_reviewers(path)
    with serve(path) as base:
        yield base, path


def votes(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select reviewer, record_id, decision, reason from decisions"
                            " order by id").fetchall()
    finally:
        conn.close()


def statuses(path):
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("select id, ta_status from records"))
    finally:
        conn.close()


def log_in(browser, base, name, javascript=True):
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{base}/review/-/screen")
    assert "/review/-/login" in page.url  # sent to log in first, then back
    page.fill("#mscdm-name", name)
    page.fill("#mscdm-password", password_of(name))
    page.click("input[type=submit]")
    page.wait_for_url("**/review/-/screen**")
    return context, page


def test_two_reviewers_by_keyboard_then_a_lead_resolves_the_conflict(server, browser):
    base, path = server
    bob_context, bob = log_in(browser, base, "bob")
    # A marker that a full page load would wipe out.
    bob.evaluate("window.mscdmSamePage = true")
    first = record_on(bob)
    shot(bob, "screen-bob-first-record.png")
    press_and_wait(bob, "i")                 # include
    second = record_on(bob)
    assert second != first
    press_and_wait(bob, "1")                 # exclude with reason 1
    assert bob.evaluate("window.mscdmSamePage") is True
    progress = bob.locator("[data-field=my_done]")
    progress.filter(has_text="2").wait_for()
    # Undo the exclusion by keyboard: the second record comes back.
    press_and_wait(bob, "u")
    assert record_on(bob) == second
    press_and_wait(bob, "1")
    bob_votes = votes(path)
    assert [(v[0], v[1], v[2]) for v in bob_votes][:2] == [
        ("bob", first, "include"), ("bob", second, "exclude")]
    assert bob_votes[1][3]  # reason 1 of the protocol

    carol_context, carol = log_in(browser, base, "carol")
    # Records bob voted on a moment ago come after the others: he may still
    # undo them before a second vote locks them.
    assert record_on(carol) not in (first, second)
    carol.goto(f"{base}/review/-/screen?record={first}")
    assert record_on(carol) == first
    # Blind: nothing of bob's vote is on carol's page before she decides.
    assert "bob" not in carol.locator("main, .content, body").first.inner_text().split(
        "Log out")[-1]
    carol.goto(f"{base}/review/-/record/{first}")
    assert carol.locator(".mscdm-history td", has_text="bob").count() == 0
    for record in (first, second):
        carol.goto(f"{base}/review/-/screen?record={record}")
        carol.evaluate("window.mscdmSamePage = true")
        # Reason 2: disagrees with bob's include of the first, agrees with
        # his exclusion of the second.
        press_and_wait(carol, "2")
        assert carol.evaluate("window.mscdmSamePage") is True
    shot(carol, "screen-carol-after-two.png")
    assert statuses(path)[first] == "conflict"
    assert statuses(path)[second] == "excluded"

    alice_context, alice = log_in(browser, base, "alice")
    alice.goto(f"{base}/review/-/conflicts")
    section = alice.locator(f"section.mscdm-conflict[data-record-id='{first}']")
    assert "bob" in section.inner_text() and "carol" in section.inner_text()
    shot(alice, "conflicts-before-resolution.png")
    section.locator("input[name=note]").fill("Primary study in db/db mice")
    section.locator("button[value=include]").click()
    alice.wait_for_load_state()
    assert alice.locator(f"section.mscdm-conflict[data-record-id='{first}']").count() == 0
    shot(alice, "conflicts-after-resolution.png")
    assert statuses(path)[first] == "included"
    # The record page now shows the whole history to everyone.
    alice.goto(f"{base}/review/-/record/{first}")
    history = alice.locator(".mscdm-history").inner_text()
    assert "bob" in history and "carol" in history and "lead resolution" in history
    shot(alice, "record-history-after-resolution.png")
    for context in (bob_context, carol_context, alice_context):
        context.close()


def test_screening_without_javascript_is_plain_forms(server, browser):
    base, path = server
    context, page = log_in(browser, base, "bob", javascript=False)
    first = record_on(page)
    page.locator("input[name=reason]").first.check()
    page.click("button[value=exclude]")
    page.wait_for_load_state()
    assert record_on(page) != first
    assert votes(path)[0][:3] == ("bob", first, "exclude")
    page.click(".mscdm-undo button")
    page.wait_for_load_state()
    assert record_on(page) == first
    shot(page, "screen-without-javascript.png")
    context.close()
