"""What a person sees, in headless Chromium against a real `datasette serve`.
Screenshots are kept in tests/artefacts/."""


import pytest
from serve import serve

from conftest import build_review_db, needs_chromium, record_id, shot

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    path = build_review_db(tmp / "review.db", tmp)
    with serve(path) as base:
        yield base, path


def test_record_page_as_a_reviewer_sees_it(server, page):
    base, path = server
    page.goto(f"{base}/review/-/record/{record_id(path, 'The Potential%')}")
    heading = page.locator("article h1")
    assert heading.inner_text().startswith("The Potential of Mesenchymal Stem Cell-Derived Exosomes")
    assert page.locator(".mscdm-citation").inner_text() == "Biomimetics 2025; 10(1)"
    assert page.locator(".mscdm-abstract p").count() == 1
    marks = page.locator(".mscdm-abstract mark.mscdm-include")
    assert marks.count() >= 5
    assert marks.first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(200, 240, 200)"
    assert page.get_by_role("link", name="DOI 10.3390/biomimetics10010049").is_visible()
    assert "Vesicle type:" in page.locator("article").inner_text()
    assert "000_df040756cddb4234.txt" in page.locator(".mscdm-occurrences").inner_text()
    # The raw record opens on demand.
    page.locator(".mscdm-occurrences summary").first.click()
    assert page.locator(".mscdm-raw").first.is_visible()
    shot(page, "record-page.png")


def test_hostile_record_stays_inert(server, page):
    base, path = server
    page.goto(f"{base}/review/-/record/{record_id(path, 'Adipose-derived%')}")
    page.wait_for_load_state("networkidle")
    assert page.dialogs == []
    assert "<script>alert('title')</script>" in page.locator("article h1").inner_text()
    assert page.locator("article img").count() == 0
    assert page.locator("article script").count() == 0
    labels = page.locator(".mscdm-abstract .mscdm-label").all_inner_texts()
    assert labels == ["BACKGROUND:", "METHODS:"]
    shot(page, "record-page-hostile.png")
    page.goto(f"{base}/review/records")
    page.wait_for_load_state("networkidle")
    assert page.dialogs == []


def test_faceted_table_filters_by_a_tag(server, page):
    base, _ = server
    page.goto(f"{base}/review/records")
    # The facets fold into one panel above the rows; open it.
    page.locator("details.mscdm-facets > summary").click()
    facet = page.locator(".facet-info", has_text="Auto tag: Vesicle type")
    assert facet.is_visible()
    facet.get_by_role("link", name="Exosome").click()
    page.wait_for_url("**_term=vesicle*")
    assert "2 rows" in page.locator("h3").first.inner_text()
    assert 'Auto tag: Vesicle type is "Exosome"' in page.content()
    shot(page, "records-table-faceted.png")
    # Titles link to the record page.
    page.locator("a.mscdm-record-link").first.click()
    page.wait_for_url("**/-/record/*")
    assert page.locator("article h1").is_visible()


def test_overview_and_a_chart(server, page):
    base, _ = server
    page.goto(f"{base}/review/-/overview")
    assert "3 records" in page.locator(".mscdm-totals").inner_text()
    shot(page, "overview.png")
    page.get_by_role("link", name="Records per automatic domain tag").click()
    # datasette-vega reads the chart settings from the URL fragment and draws it.
    page.wait_for_selector("canvas, svg.marks", timeout=15000)
    shot(page, "chart-records-per-tag.png")
