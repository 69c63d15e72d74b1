"""The PRISMA page, the review dashboard and the per-year datasette-vega
chart in headless Chromium at 1400x900 and 390x844, on the team's writable
review, on a published read-only copy and on the real corpus screened at
random: nothing pans sideways, every label is 12 px or more and inside its
figure, the downloads answer. Screenshots are kept in tests/artefacts/."""

import pytest
from click.testing import CliRunner
from serve import serve

from conftest import build_flow_review, needs_chromium, shot
from datasette_mscdm.cli import cli
from datasette_mscdm.review_db import CHART_QUERIES, chart_fragment
from test_prisma import build_corpus_review

pytestmark = needs_chromium

SIZES = {"wide": (1400, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reporting")
    db, _ = build_flow_review(tmp)
    published = tmp / "published" / "review.db"
    published.parent.mkdir()
    result = CliRunner().invoke(cli, ["publish-copy", str(db), str(published), "--anonymise"])
    assert result.exit_code == 0, result.output
    corpus_dir = tmp / "corpus"
    corpus_dir.mkdir()
    corpus = build_corpus_review(corpus_dir)
    return {"live": (db, False), "published": (published, True), "corpus": (corpus, False)}


@pytest.fixture
def viewer(browser, request):
    contexts = []

    def open_page(size):
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def assert_no_sideways_pan(page):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# For each visible <text> of the visible SVGs in `selector`: its rendered
# font size (font-size times the SVG's scale) and whether its box lies inside
# the SVG's box and the viewport.
SVG_TEXTS = """(selector) => {
  const out = [];
  for (const svg of document.querySelectorAll(selector)) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) continue;
    const scale = box.width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      const size = parseFloat(getComputedStyle(text).fontSize) * scale;
      const inside = r.left >= box.left - 1 && r.right <= box.right + 1
        && r.top >= box.top - 1 && r.bottom <= box.bottom + 1
        && r.right <= window.innerWidth + 1;
      out.push({text: text.textContent, size: size, inside: inside});
    }
  }
  return out;
}"""

# Font sizes of the visible text in the page's content (HTML, not SVG).
HTML_TEXTS = """(selector) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || !el.textContent.trim()) continue;
    out.push({text: el.textContent.trim().slice(0, 40),
              size: parseFloat(getComputedStyle(el).fontSize), right: r.right});
  }
  return out;
}"""


def assert_svg_labels_readable(page, selector):
    texts = page.evaluate(SVG_TEXTS, selector)
    assert texts, f"no text drawn in {selector}"
    small = [t for t in texts if t["size"] < 12 - 1e-6]
    outside = [t for t in texts if not t["inside"]]
    assert small == [], small[:5]
    assert outside == [], outside[:5]
    return texts


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("which", ["live", "published", "corpus"])
def test_prisma_page(reviews, viewer, which, size):
    db, immutable = reviews[which]
    with serve(db, immutable=immutable) as base:
        page = viewer(size)
        page.goto(f"{base}/{db.stem}/-/prisma")
        assert_no_sideways_pan(page)
        figure = page.locator(".mscdm-prisma-figure svg")
        boxes = page.locator(".mscdm-prisma-boxes")
        if size == "wide":
            assert figure.is_visible() and not boxes.is_visible()
            text = figure.text_content()
            assert_svg_labels_readable(page, ".mscdm-prisma-figure svg")
        else:
            # A phone gets the same boxes as HTML, in a readable size.
            assert boxes.is_visible() and not figure.is_visible()
            text = boxes.inner_text()
            sizes = page.evaluate(HTML_TEXTS, ".mscdm-prisma-boxes li, .mscdm-flow-header,"
                                              " .mscdm-prisma-numbers td")
            assert min(s["size"] for s in sizes) >= 12
            assert max(s["right"] for s in sizes) <= 390
        assert "Identification of studies via databases and registers" in text
        assert "Identification of studies via other methods" in text
        assert "Records identified from" in text and "Studies included in review (n = " in text
        assert "Reports of included studies (n = " in text
        if which != "corpus":
            assert "Citation searching (n = 2)" in text
            assert "Studies included in review (n = 1)" in text
            assert "not yet: 1 records still open" in page.locator(
                ".mscdm-prisma-checks").inner_text()
        else:
            assert "Database not named" in text  # (wrapped in the SVG)
        for extension, kind in (("svg", "image/svg+xml"), ("png", "image/png"),
                                ("csv", "text/csv"), ("json", "application/json")):
            link = page.locator(f"a[href$='/-/prisma.{extension}?download=1']")
            response = page.request.get(base + link.get_attribute("href"))
            assert response.ok and response.headers["content-type"].startswith(kind)
        shot(page, f"prisma-{which}-{size}.png")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("which", ["live", "published", "corpus"])
def test_dashboard(reviews, viewer, which, size):
    db, immutable = reviews[which]
    with serve(db, immutable=immutable) as base:
        page = viewer(size)
        page.goto(f"{base}/{db.stem}/-/review")
        assert_no_sideways_pan(page)
        shown, hidden = ("wide", "narrow") if size == "wide" else ("narrow", "wide")
        charts = page.locator(f".mscdm-chart-{shown} svg")
        # Progress, a curve per stage, reviewers, reasons, years, tags.
        assert charts.count() == 7
        assert all(charts.nth(i).is_visible() for i in range(7))
        assert not page.locator(f".mscdm-chart-{hidden} svg").first.is_visible()
        texts = assert_svg_labels_readable(page, f".mscdm-chart-{shown} svg")
        assert any("cumulative total" in t["text"] for t in texts)
        curves = page.locator(".mscdm-chart-curve_title_abstract, .mscdm-chart-curve_full_text")
        assert curves.count() == 2
        if which == "corpus":
            assert page.locator(f".mscdm-chart-curve_title_abstract .mscdm-chart-{shown}"
                                " polyline").count() == 2
        agreement = page.locator(".mscdm-agreement").inner_text()
        assert "Reviewer" in agreement if which == "published" else "bob" in agreement
        link = page.locator("tr", has_text="Included at title/abstract").locator("a",
                                                                                 has_text="json")
        assert "stage=title_abstract&status=included" in link.get_attribute("href")
        response = page.request.get(base + link.get_attribute("href"))
        assert response.ok and len(response.json()) > 0
        shot(page, f"dashboard-{which}-{size}.png")
        assert page.dialogs == [] if hasattr(page, "dialogs") else True


@pytest.mark.parametrize("size", SIZES)
def test_per_year_vega_chart_is_not_clipped(reviews, viewer, size):
    """The records-per-year chart (datasette-vega, opened from the overview
    through its URL fragment) fits its box on a wide screen and a phone,
    however many years the records span."""
    db, _ = reviews["corpus"]
    with serve(db) as base:
        page = viewer(size)
        page.goto(f"{base}/{db.stem}/-/overview")
        link = page.locator("a[href*='mscdm_records_per_year']").first.get_attribute("href")
        assert link.endswith(chart_fragment(CHART_QUERIES["mscdm_records_per_year"]["chart"]))
        page.goto(base + link)
        canvas = page.locator(".vega-embed canvas")
        canvas.wait_for(timeout=15000)
        years = page.locator("table.rows-and-columns tbody tr").count()
        assert years > 40  # the corpus spans two centuries
        chart = canvas.bounding_box()
        box = page.evaluate("""() => {
            const e = document.querySelector('.vega-embed').parentElement.parentElement;
            const r = e.getBoundingClientRect();
            return {left: r.left, right: r.right, scroll: e.scrollWidth, client: e.clientWidth};
        }""")
        assert chart["x"] >= box["left"] and chart["x"] + chart["width"] <= box["right"] + 1
        assert box["scroll"] <= box["client"]
        assert chart["width"] <= page.viewport_size["width"] - 20
        assert_no_sideways_pan(page)  # the query's SQL is written in short lines
        shot(page, f"vega-records-per-year-{size}.png")
