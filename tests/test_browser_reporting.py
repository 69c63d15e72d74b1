"""The PRISMA page and the review dashboard in headless Chromium, on the
team's writable review and on a published read-only copy. Screenshots are
kept in tests/artefacts/."""


import pytest
from click.testing import CliRunner
from serve import serve

from conftest import build_flow_review, needs_chromium, shot
from datasette_mscdm.cli import cli

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reporting")
    db, _ = build_flow_review(tmp)
    published = tmp / "published" / "review.db"
    published.parent.mkdir()
    result = CliRunner().invoke(cli, ["publish-copy", str(db), str(published), "--anonymise"])
    assert result.exit_code == 0, result.output
    return db, published


@pytest.mark.parametrize("which", ["live", "published"])
def test_prisma_page_draws_the_diagram(reviews, page, which):
    db, published = reviews
    with serve(db if which == "live" else published, immutable=which == "published") as base:
        page.goto(f"{base}/review/-/prisma")
        figure = page.locator(".mscdm-prisma-figure svg")
        assert figure.is_visible()
        box = figure.bounding_box()
        assert box["width"] > 600 and box["height"] > 500  # readable at figure size
        text = figure.text_content()
        assert "Records identified from:" in text and "Citation searching (n = 2)" in text
        assert "Studies included in review (n = 1)" in text
        assert "not yet: 1 records still open" in page.locator(".mscdm-prisma-checks").inner_text()
        shot(page, f"prisma-{which}.png")
        download = page.locator("a", has_text="SVG")
        assert download.get_attribute("href").endswith("/review/-/prisma.svg?download=1")


@pytest.mark.parametrize("which", ["live", "published"])
def test_dashboard_charts_render(reviews, page, which):
    db, published = reviews
    with serve(db if which == "live" else published, immutable=which == "published") as base:
        page.goto(f"{base}/review/-/review")
        charts = page.locator(".mscdm-chart svg")
        assert charts.count() == 5
        for i in range(charts.count()):
            assert charts.nth(i).bounding_box()["height"] > 20
        assert page.locator(".mscdm-chart svg rect").count() > 5  # bars were drawn
        agreement = page.locator(".mscdm-agreement").inner_text()
        assert "Reviewer" in agreement if which == "published" else "bob" in agreement
        shot(page, f"dashboard-{which}.png")
        assert page.dialogs == []
