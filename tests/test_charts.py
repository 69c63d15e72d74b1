"""The dashboard's server-side SVG charts and their data, as pure functions:
labels of 12 px or more that fit where they are drawn, progress bins that
span the review, the included-found curve from settled records."""

import datetime
import random
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from conftest import build_flow_review
from datasette_mscdm.reporting import fonts
from datasette_mscdm.reporting.charts import bar_chart, column_chart, line_chart, nice_ticks
from datasette_mscdm.reporting.dashboard import included_curve, progress_bins

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str):
    root = ET.fromstring(svg)
    width = float(root.get("width"))
    root_size = float(root.get("font-size"))
    for text in root.iter(f"{SVG}text"):
        shown = "".join(text.itertext()) if text.find(f"{SVG}title") is None else \
            (text.find(f"{SVG}title").tail or "")
        size = float(text.get("font-size", root_size))
        yield text, shown, size, width


def assert_labels_readable_and_inside(svg: str):
    """Every text is 12 px or more and, measured in the chart's font, lies
    within the chart's width (nothing clipped at either edge)."""
    for text, shown, size, width in texts(svg):
        assert size >= 12, shown
        measured = fonts.text_width(shown, size)
        x = float(text.get("x"))
        anchor = text.get("text-anchor", "start")
        left = {"start": x, "middle": x - measured / 2, "end": x - measured}[anchor]
        assert left >= -0.5 and left + measured <= width + 0.5, (shown, left, measured, width)


def test_bar_chart_draws_one_bar_per_item_and_escapes_labels():
    svg = bar_chart([('<script>alert("x")</script>', 3), ("Other", 1)], "Reasons & more")
    root = ET.fromstring(svg)  # well-formed: every label escaped
    assert "<script>" not in svg
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 2
    widths = [float(r.get("width")) for r in bars]
    assert abs(widths[0] - 3 * widths[1]) <= 2  # proportional, to the pixel
    assert root.find(f"{SVG}title").text == "Reasons & more"
    assert_labels_readable_and_inside(svg)


@pytest.mark.parametrize("width", [680, 340])
def test_bar_labels_fit_or_are_shortened_with_a_tooltip(width):
    rng = random.Random(width)
    words = "wrong population outcome study design insufficient data duplicate other".split()
    items = [(" ".join(rng.choices(words, k=rng.randint(1, 12))), rng.randint(0, 5000))
             for _ in range(15)]
    items.append(("A" * 200, 7))  # wider than any chart
    svg = bar_chart(items, "Reasons", width=width)
    assert_labels_readable_and_inside(svg)
    shortened = [(text, shown) for text, shown, _, _ in texts(svg) if shown.endswith("…")]
    assert shortened, "the 200-character label is shortened"
    for text, shown in shortened:
        full = text.find(f"{SVG}title").text
        assert full.startswith(shown[:-1]) and len(full) > len(shown) - 1


def test_short_labels_sit_beside_their_bars_long_ones_above():
    beside = ET.fromstring(bar_chart([("bob", 3), ("carol", 5)], "x", width=680))
    above = ET.fromstring(bar_chart([("a long exclusion reason " * 3, 3)], "x", width=340))
    label, bar = beside.find(f"{SVG}text"), beside.find(f"{SVG}rect")
    assert label.get("text-anchor") == "end" and float(bar.get("x")) > 0
    assert float(above.find(f"{SVG}rect").get("x")) == 0  # the label is on its own line


@pytest.mark.parametrize("width", [680, 340])
def test_column_chart_labels_never_overlap_or_clip(width):
    days = [((datetime.date(2026, 1, 1) + datetime.timedelta(days=i)).strftime("%-d %b"), i % 7)
            for i in range(62)]
    svg = column_chart(days, "Per day", width=width, line=list(range(62)))
    assert_labels_readable_and_inside(svg)
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 62 and root.find(f"{SVG}polyline") is not None
    labels = [t for t in root.iter(f"{SVG}text") if t.text in {label for label, _ in days}]
    spans = []
    for t in labels:
        w = fonts.text_width(t.text, 12)
        x = float(t.get("x"))
        start = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor")]
        spans.append((start, start + w))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "x labels overlap"
    assert len(labels) >= 3


def test_line_chart_and_ticks():
    points = [(i, i // 3) for i in range(1, 5001)]
    svg = line_chart([{"name": "included found", "points": points, "colour": "#3c8f49"},
                      {"name": "even rate", "points": [(0, 0), (5000, 1666)],
                       "colour": "#888", "dashed": True}],
                     "Curve", "records screened", "records included", width=340)
    assert_labels_readable_and_inside(svg)
    lines = ET.fromstring(svg).findall(f"{SVG}polyline")
    assert len(lines) == 2
    drawn = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
    assert len(drawn) <= 401 and drawn[-1] == max(drawn)  # last point kept
    assert nice_ticks(1537) == [0, 500, 1000, 1500, 2000]
    assert nice_ticks(7, 3) == [0, 5, 10] and nice_ticks(2) == [0, 1, 2]
    assert nice_ticks(0) == [0, 1]


def test_empty_charts_say_so():
    for svg in (bar_chart([], "x"), column_chart([], "y"),
                line_chart([{"name": "a", "points": [], "colour": "#000"}], "z", "x", "y")):
        assert "No data yet." in svg and ET.fromstring(svg) is not None


def test_progress_bins_span_the_review_with_empty_periods():
    today = datetime.date(2026, 12, 1)
    unit, bins = progress_bins({"2026-11-20": 5, "2026-11-23": 2}, today)
    assert unit == "day" and len(bins) == 12  # 20 Nov .. 1 Dec, empty days included
    assert [n for _, _, n in bins][:4] == [5, 0, 0, 2] and bins[-1][1] == "2026-12-01"
    unit, bins = progress_bins({"2026-03-02": 1, "2026-06-30": 4}, today)
    assert unit == "week" and sum(n for *_, n in bins) == 5
    assert bins[0][1] == "week of 2026-03-02" and bins[-1][1] == "week of 2026-11-30"
    unit, bins = progress_bins({"2024-01-15": 3, "2025-02-01": 2}, None)
    assert unit == "month" and len(bins) == 14 and bins[0][0] == "Jan 2024"
    assert [n for *_, n in bins] == [3] + [0] * 12 + [2]
    assert progress_bins({}, today) == ("day", [])


def test_included_curve_from_settled_records(tmp_path):
    db, ids = build_flow_review(tmp_path)
    conn = sqlite3.connect(db)
    curve = included_curve(conn, "title_abstract")
    settled = conn.execute("select count(*), sum(ta_status = 'included') from records"
                           " where ta_status not in ('unscreened', 'awaiting second reviewer')"
                           ).fetchone()
    assert len(curve) == settled[0] and curve[-1][1] == settled[1]
    assert [x for x, _ in curve] == list(range(1, len(curve) + 1))
    assert all(b[1] - a[1] in (0, 1) for a, b in zip(curve, curve[1:]))
    full_text = included_curve(conn, "full_text")
    assert full_text[-1][1] == conn.execute(
        "select count(*) from records where ft_status = 'included'").fetchone()[0]
    conn.close()


def test_wrap_and_truncate_measure_text():
    text = "Records marked as ineligible by automation tools (n = 0) " * 3
    lines = fonts.wrap(text, 200, 13)
    assert all(fonts.text_width(line, 13) <= 200 for line in lines)
    assert " ".join(lines).split() == text.split()
    assert fonts.wrap("x" * 80, 100, 13) and all(
        fonts.text_width(line, 13) <= 100 for line in fonts.wrap("x" * 80, 100, 13))
    short = fonts.truncate(text, 120, 12)
    assert short.endswith("…") and fonts.text_width(short, 12) <= 120
    assert fonts.truncate("bob", 120, 12) == "bob"
