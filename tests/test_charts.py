"""The dashboard's server-side SVG charts, as pure functions."""

import xml.etree.ElementTree as ET

from datasette_mscdm.reporting.charts import bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_draws_one_bar_per_item_and_escapes_labels():
    svg = bar_chart([('<script>alert("x")</script>', 3), ("Other", 1)], "Reasons & more")
    root = ET.fromstring(svg)  # well-formed: every label escaped
    assert "<script>" not in svg
    assert len(root.findall(f"{SVG}rect")) == 2
    widths = [float(r.get("width")) for r in root.findall(f"{SVG}rect")]
    assert abs(widths[0] - 3 * widths[1]) <= 2  # proportional, to the pixel
    assert root.find(f"{SVG}title").text == "Reasons & more"


def test_column_chart_with_a_cumulative_line():
    svg = column_chart([("2026-11-20", 2), ("2026-11-21", 5)], "Per day", line=[2, 7])
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 2
    assert root.find(f"{SVG}polyline") is not None
    assert "cumulative 7" in svg


def test_empty_charts_say_so():
    for svg in (bar_chart([], "x"), column_chart([], "y")):
        assert "No data yet." in svg and ET.fromstring(svg) is not None
