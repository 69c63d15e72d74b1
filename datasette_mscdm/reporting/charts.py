"""Small SVG charts for the review dashboard, drawn on the server.

Server-drawn so they render with no JavaScript, on a read-only published
copy, in print and with no request to a chart service. (datasette-vega's
bundle would give tooltips and axes, but it keeps Vega inside a closed
webpack bundle that only mounts on table and query pages: using it here
would mean copying third-party JavaScript into the repository.)

Every label is 12 px or more and never clipped: texts are measured in the
figures' font (fonts.py) and laid out to fit, or shortened with an ellipsis
and their full text as a tooltip (<title>). Charts have a fixed pixel width
(the dashboard draws a wide and a narrow one) and are never scaled down, so
12 px stays 12 px on a phone. Pure functions of their data; every label is
XML-escaped.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from . import fonts

FONT = 12
COLOURS = {"include": "#3c8f49", "exclude": "#b03a3a", "maybe": "#b08a22",
           "not_retrieved": "#6b6b6b", "default": "#276890", "reference": "#8a8a8a"}


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)}'
            f' class="mscdm-svg-chart" font-family={quoteattr(fonts.FAMILY)}'
            f' font-size="{FONT}"><title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _empty(title: str, width: int) -> str:
    return _svg(width, 40, title, ['<text x="4" y="24" fill="#666">No data yet.</text>'])


def _width(text: str) -> float:
    return fonts.text_width(text, FONT)


def _label(x: float, y: float, text: str, room: float, anchor: str = "start",
           extra: str = "") -> str:
    """A text that fits in `room` px: shortened with an ellipsis when it must
    be, with the full text as its tooltip."""
    shown = fonts.truncate(text, room, FONT)
    tooltip = f"<title>{escape(text)}</title>" if shown != text else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{tooltip}'
            f'{escape(shown)}</text>')


def _y_gridlines(ticks, left: float, right: float, base: float, scale: float) -> list[str]:
    """A horizontal line and its label per tick of the value axis (the zero
    line darker)."""
    lines = []
    for tick in ticks:
        y = base - tick * scale
        lines.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"'
                     f' stroke="{"#999" if tick == 0 else "#e4e4e4"}"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_number(tick)}</text>')
    return lines


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round whole-number tick values from 0 to at least `top` (1, 2, 2.5
    or 5 times a power of ten apart)."""
    if top <= 0:
        return [0, 1]
    raw = max(top / count, 1)  # counts: whole-number ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10)
                if m * power >= raw and float(m * power).is_integer())
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def bar_chart(items: list[tuple[str, int]], title: str, width: int = 680,
              colour: str = COLOURS["default"]) -> str:
    """Horizontal bars, one per (label, value), in the order given. Labels
    sit left of the bars when they fit in 40% of the width, else above
    their bar (a phone), shortened only if wider than the chart."""
    if not items:
        return _empty(title, width)
    top = max(value for _, value in items) or 1
    value_room = max(_width(f"{value:,}") for _, value in items) + 8
    widest = max(_width(label) for label, _ in items)
    beside = widest + 10 <= width * 0.4
    label_w = widest + 10 if beside else 0
    row = 24 if beside else 40
    bar_y, bar_h = (4, 16) if beside else (20, 14)
    room = width - label_w - value_room - 2
    body = []
    for i, (label, value) in enumerate(items):
        y = i * row
        length = max(room * value / top, 1 if value else 0)
        if beside:
            body.append(_label(label_w - 6, y + bar_y + 12, label, label_w - 8, "end"))
        else:
            body.append(_label(0, y + 14, label, width - 2))
        body.append(f'<rect x="{label_w}" y="{y + bar_y}" width="{length:.1f}" height="{bar_h}"'
                    f' fill="{colour}"><title>{escape(label)}: {value:,}</title></rect>'
                    f'<text x="{label_w + length + 4:.1f}" y="{y + bar_y + bar_h - 3}">'
                    f'{value:,}</text>')
    return _svg(width, len(items) * row + 4, title, body)


def _x_labels(labels: list[str], centres: list[float], width: int, y: float) -> list[str]:
    """As many x-axis labels as fit side by side (evenly spaced), none
    clipped at the chart's edges."""
    if not labels:
        return []
    step = centres[1] - centres[0] if len(centres) > 1 else width
    widest = max(_width(label) for label in labels) + 12
    every = max(1, math.ceil(widest / step))
    out = []
    for i in range(0, len(labels), every):
        half = _width(labels[i]) / 2
        x, anchor = centres[i], "middle"
        if x - half < 0:
            x, anchor = 0, "start"
        elif x + half > width:
            x, anchor = width - 1, "end"
        out.append(f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}">'
                   f'{escape(labels[i])}</text>')
    return out


def column_chart(items: list[tuple[str, int]], title: str, width: int = 680,
                 height: int = 200, colour: str = COLOURS["default"],
                 line: list[int] | None = None, tooltips: list[str] | None = None) -> str:
    """Vertical columns over an ordered axis (days, weeks, years); `line`,
    if given, is drawn over them on its own scale (a cumulative total)."""
    if not items:
        return _empty(title, width)
    top = max(value for _, value in items) or 1
    ticks = nice_ticks(top, 3)
    left = max(_width(_number(t)) for t in ticks) + 8
    top_pad, bottom = 22, 24
    plot_w, plot_h = width - left - 4, height - top_pad - bottom
    step = min(plot_w / len(items), 48.0)  # a few columns stay column-wide
    scale = plot_h / ticks[-1]
    base = top_pad + plot_h
    body = []
    body += _y_gridlines(ticks, left, width - 4, base, scale)
    for i, (label, value) in enumerate(items):
        h = value * scale
        tip = tooltips[i] if tooltips else label
        body.append(f'<rect x="{left + i * step + step * 0.1:.1f}" y="{base - h:.1f}"'
                    f' width="{max(step * 0.8, 1):.1f}" height="{h:.1f}" fill="{colour}">'
                    f'<title>{escape(tip)}: {value:,}</title></rect>')
    centres = [left + (i + 0.5) * step for i in range(len(items))]
    body += _x_labels([label for label, _ in items], centres, width, height - 6)
    if line:
        peak = max(line) or 1
        points = " ".join(f"{centres[i]:.1f},{base - plot_h * v / peak:.1f}"
                          for i, v in enumerate(line))
        body.append(f'<polyline points="{points}" fill="none" stroke="#222" stroke-width="2"/>'
                    f'<circle cx="{centres[len(line) - 1]:.1f}"'
                    f' cy="{base - plot_h * line[-1] / peak:.1f}" r="3" fill="#222">'
                    f'<title>cumulative total: {line[-1]:,}</title></circle>'
                    f'<text x="{width - 4}" y="14" text-anchor="end">— cumulative total'
                    f' {line[-1]:,} (own scale)</text>')
    return _svg(width, height, title, body)


def _downsample(points: list[tuple[int, int]], limit: int = 400) -> list[tuple[int, int]]:
    if len(points) <= limit:
        return points
    every = math.ceil(len(points) / limit)
    return points[::every] + ([points[-1]] if (len(points) - 1) % every else [])


def line_chart(series: list[dict], title: str, x_title: str, y_title: str,
               width: int = 680, height: int = 240) -> str:
    """Lines over a numeric x axis from 0: each series {name, points [(x,
    y)], colour, dashed}. Axis titles sit above the y axis and right of the
    x axis; a legend names the series."""
    drawn = [s for s in series if s["points"]]
    if not drawn:
        return _empty(title, width)
    x_ticks = nice_ticks(max(x for s in drawn for x, _ in s["points"]), 4)
    y_ticks = nice_ticks(max(y for s in drawn for _, y in s["points"]) or 1, 4)
    left = max(_width(_number(t)) for t in y_ticks) + 8
    legend, x, y_legend = [], 0.0, 14
    for s in drawn:
        entry = _width(s["name"]) + 30
        if x and x + entry > width:
            x, y_legend = 0.0, y_legend + 18
        dash = ' stroke-dasharray="5 4"' if s.get("dashed") else ""
        legend.append(f'<line x1="{x:.1f}" y1="{y_legend - 4}" x2="{x + 20:.1f}"'
                      f' y2="{y_legend - 4}" stroke="{s["colour"]}" stroke-width="2.5"{dash}/>'
                      + _label(x + 24, y_legend, s["name"], width - x - 26))
        x += entry + 8
    top_pad = y_legend + 26
    bottom = 40
    plot_w, plot_h = width - left - 12, height - top_pad - bottom
    base = top_pad + plot_h
    sx, sy = plot_w / x_ticks[-1], plot_h / y_ticks[-1]
    body = legend + [_label(left, top_pad - 8, y_title, plot_w)]
    body += _y_gridlines(y_ticks, left, left + plot_w, base, sy)
    centres = [left + tick * sx for tick in x_ticks]
    body += _x_labels([_number(t) for t in x_ticks], centres, width, base + 17)
    body.append(_label(width - 1, height - 4, x_title, width - 2, "end"))
    for s in drawn:
        points = " ".join(f"{left + x * sx:.1f},{base - y * sy:.1f}"
                          for x, y in _downsample(s["points"]))
        dash = ' stroke-dasharray="5 4"' if s.get("dashed") else ""
        last_x, last_y = s["points"][-1]
        body.append(f'<polyline points="{points}" fill="none" stroke="{s["colour"]}"'
                    f' stroke-width="2"{dash}><title>{escape(s["name"])}: {last_y:,} after'
                    f' {last_x:,}</title></polyline>')
    return _svg(width, height, title, body)
