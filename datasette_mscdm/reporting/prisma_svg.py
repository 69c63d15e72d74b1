"""The PRISMA 2020 flow diagram as SVG, drawn on the server.

Hand-written because no maintained Python library draws PRISMA 2020 (the
reference implementation is the R package PRISMA2020), and the layout is a
fixed grid of boxes and arrows. Every text is XML-escaped: source names come
from files and the command line.
"""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape, quoteattr

WIDTH = 900
LINE = 17          # px per text line at FONT px
FONT = 13
PAD = 9
GAP = 36           # vertical space between rows (for the arrows)
MAIN_X, MAIN_W = 60, 390
SIDE_X, SIDE_W = 500, 370
CHARS_MAIN, CHARS_SIDE = 56, 52   # wrap widths for Arial at 13 px


def n(value) -> str:
    return f"(n = {value:,})"


def _lines(texts: list[str], chars: int) -> list[str]:
    out = []
    for text in texts:
        indent = len(text) - len(text.lstrip(" "))
        out += textwrap.wrap(text.strip(), chars - indent, initial_indent=" " * indent,
                             subsequent_indent=" " * (indent + 2)) or [""]
    return out


def _box(x: int, y: int, width: int, lines: list[str], height: int, css: str) -> str:
    parts = [f'<rect x="{x}" y="{y}" width="{width}" height="{height}" class="{css}"/>']
    for i, line in enumerate(lines):
        indent = (len(line) - len(line.lstrip(" "))) * 4
        weight = ' font-weight="bold"' if i == 0 and line.endswith(":") else ""
        parts.append(f'<text x="{x + PAD + indent}" y="{y + PAD + (i + 1) * LINE - 4}"{weight}>'
                     f'{escape(line.strip())}</text>')
    return "\n".join(parts)


def _height(lines: list[str]) -> int:
    return len(lines) * LINE + 2 * PAD


def _open_note(open_counts: dict) -> list[str]:
    if not open_counts:
        return []
    total = sum(open_counts.values())
    detail = ", ".join(f"{status} {count:,}" for status, count in open_counts.items())
    return [f"Still open: {total:,} ({detail})"]


def flow_rows(c: dict) -> list[dict]:
    """The diagram's rows: phase, main box lines, side box lines."""
    identified = ["Records identified from:",
                  f"Databases and registers {n(c['identified_databases'])}"]
    identified += [f"  {row['database']} {n(row['records'])}" for row in c["identified"]
                   if row["method"] == "databases"]
    if c["identified_other"]:
        identified.append(f"Other methods {n(c['identified_other'])}")
        identified += [f"  {row['database']} {n(row['records'])}" for row in c["identified"]
                       if row["method"] == "other"]
    excluded = ["Reports excluded:"] + [f"  {row['reason']} {n(row['records'])}"
                                        for row in c["reports_excluded"]]
    if not c["reports_excluded"]:
        excluded = [f"Reports excluded {n(0)}"]
    return [
        {"phase": "Identification", "main": identified, "side": [
            "Records removed before screening:",
            f"  Duplicate records removed {n(c['duplicates_removed'])}",
            f"    automatically {n(c.get('duplicates_removed_automatically', 0))},"
            f" by a person {n(c.get('duplicates_removed_by_person', 0))}",
            f"  Records marked as ineligible by automation tools "
            f"{n(c['removed_by_automation'])}",
            f"  Records removed for other reasons {n(c['removed_other_reasons'])}"]},
        {"phase": "Screening", "main": [f"Records screened {n(c['records_screened'])}"],
         "side": [f"Records excluded {n(c['records_excluded'])}"]
         + ([f"  of which excluded in bulk by a lead {n(c['records_excluded_in_bulk'])}"]
            if c.get("records_excluded_in_bulk") else [])
         + _open_note(c["screening_open"])},
        {"phase": "Screening", "main": [f"Reports sought for retrieval {n(c['reports_sought'])}"],
         "side": [f"Reports not retrieved {n(c['reports_not_retrieved'])}"]},
        {"phase": "Screening",
         "main": [f"Reports assessed for eligibility {n(c['reports_assessed'])}"],
         "side": excluded + _open_note(c["assessment_open"])},
        {"phase": "Included", "main": [f"Studies included in review {n(c['studies_included'])}"],
         "side": None},
    ]


def prisma_svg(c: dict, title: str = "PRISMA 2020 flow diagram") -> str:
    rows = flow_rows(c)
    y = 70
    body, phases = [], []
    previous_bottom = None
    for row in rows:
        main = _lines(row["main"], CHARS_MAIN)
        side = _lines(row["side"], CHARS_SIDE) if row["side"] else []
        # A phase band needs room for its rotated label.
        height = max(_height(main), _height(side) if side else 0,
                     len(row["phase"]) * 8 + 16 if row["phase"] == "Included" else 0)
        body.append(_box(MAIN_X, y, MAIN_W, main, height, "box"))
        if side:
            body.append(_box(SIDE_X, y, SIDE_W, side, height, "box side"))
            body.append(f'<line x1="{MAIN_X + MAIN_W}" y1="{y + height // 2}" x2="{SIDE_X - 2}"'
                        f' y2="{y + height // 2}" class="arrow"/>')
        if previous_bottom is not None:
            middle = MAIN_X + MAIN_W // 2
            body.append(f'<line x1="{middle}" y1="{previous_bottom}" x2="{middle}" y2="{y - 2}"'
                        f' class="arrow"/>')
        if phases and phases[-1]["phase"] == row["phase"]:
            phases[-1]["bottom"] = y + height
        else:
            phases.append({"phase": row["phase"], "top": y, "bottom": y + height})
        previous_bottom = y + height
        y += height + GAP
    height_total = y - GAP + 30
    bands = []
    for phase in phases:
        middle = (phase["top"] + phase["bottom"]) // 2
        bands.append(
            f'<rect x="10" y="{phase["top"]}" width="30" height="{phase["bottom"] - phase["top"]}"'
            f' rx="6" class="phase"/><text x="25" y="{middle}" class="phase-label"'
            f' transform="rotate(-90 25 {middle})">{escape(phase["phase"])}</text>')
    status = ("Screening complete." if c["complete"]
              else "Screening in progress: boxes with open records are not final.")
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height_total}" viewBox="0 0 {WIDTH} {height_total}" role="img" aria-label={quoteattr(title)} font-family="Arial, Helvetica, sans-serif" font-size="{FONT}">
<title>{escape(title)}</title>
<defs><marker id="arrowhead" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#222"/></marker></defs>
<style>
.box {{ fill: #fff; stroke: #222; stroke-width: 1.2; }}
.side {{ fill: #f7f7f7; }}
.arrow {{ stroke: #222; stroke-width: 1.4; marker-end: url(#arrowhead); }}
.phase {{ fill: #cfe0f1; stroke: #4a78a8; }}
.phase-label {{ font-weight: bold; text-anchor: middle; dominant-baseline: middle; }}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="{WIDTH // 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">{escape(title)}</text>
<text x="{WIDTH // 2}" y="50" text-anchor="middle" font-size="12" fill="#444">{escape(status)}</text>
{chr(10).join(bands)}
{chr(10).join(body)}
</svg>
"""
