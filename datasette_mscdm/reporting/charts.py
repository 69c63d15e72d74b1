"""Small SVG charts for the review dashboard, drawn on the server so they
render on a read-only published copy with no JavaScript and no request to a
chart service. Pure functions of their data; every label is XML-escaped.
datasette-vega stays available for ad-hoc charts of any query.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

FONT = 12
COLOURS = {"include": "#3c8f49", "exclude": "#b03a3a", "maybe": "#b08a22",
           "not_retrieved": "#6b6b6b", "default": "#276890"}


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)}'
            f' font-family="Arial, Helvetica, sans-serif" font-size="{FONT}">'
            f'<title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _empty(title: str, width: int) -> str:
    return _svg(width, 40, title, ['<text x="4" y="24" fill="#666">No data yet.</text>'])


def bar_chart(items: list[tuple[str, int]], title: str, width: int = 560,
              colour: str = COLOURS["default"], label_width: int = 220) -> str:
    """Horizontal bars, one per (label, value), largest scale first given."""
    if not items:
        return _empty(title, width)
    bar, gap = 18, 6
    top = max(value for _, value in items) or 1
    room = width - label_width - 60
    body = []
    for i, (label, value) in enumerate(items):
        y = i * (bar + gap)
        fits = label_width // 7
        text = label if len(label) <= fits else label[:fits - 1] + "…"
        length = max(round(room * value / top), 1 if value else 0)
        body.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">'
                    f'<title>{escape(label)}</title>{escape(text)}</text>'
                    f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}"'
                    f' fill="{colour}"/>'
                    f'<text x="{label_width + length + 4}" y="{y + 13}">{value:,}</text>')
    return _svg(width, len(items) * (bar + gap), title, body)


def column_chart(items: list[tuple[str, int]], title: str, width: int = 560,
                 height: int = 180, colour: str = COLOURS["default"],
                 line: list[int] | None = None) -> str:
    """Vertical columns over an ordered axis (days, years); `line`, if given,
    is drawn over them on its own scale (a cumulative total)."""
    if not items:
        return _empty(title, width)
    left, bottom, top_pad = 40, 34, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    step = min(plot_w / len(items), 48.0)
    top = max(value for _, value in items) or 1
    body = [f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}"'
            f' y2="{top_pad + plot_h}" stroke="#999"/>',
            f'<text x="{left - 4}" y="{top_pad + 10}" text-anchor="end">{top:,}</text>']
    label_every = max(1, len(items) // 8)
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = left + i * step
        body.append(f'<rect x="{x + step * 0.1:.1f}" y="{top_pad + plot_h - h:.1f}"'
                    f' width="{step * 0.8:.1f}" height="{h:.1f}" fill="{colour}">'
                    f'<title>{escape(label)}: {value:,}</title></rect>')
        if i % label_every == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}"'
                        f' text-anchor="middle" font-size="10">{escape(label)}</text>')
    if line:
        peak = max(line) or 1
        points = " ".join(f"{left + (i + 0.5) * step:.1f},{top_pad + plot_h * (1 - v / peak):.1f}"
                          for i, v in enumerate(line))
        body.append(f'<polyline points="{points}" fill="none" stroke="#222" stroke-width="2"/>'
                    f'<text x="{width - 10}" y="{top_pad + 10}" text-anchor="end">'
                    f'cumulative {line[-1]:,}</text>')
    return _svg(width, height, title, body)
