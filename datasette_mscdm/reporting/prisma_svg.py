"""The PRISMA 2020 flow diagram: its boxes as data (flow_rows), drawn as SVG.

Hand-written because no maintained Python library draws PRISMA 2020 (the
reference implementation is the R package PRISMA2020), and the layout is a
fixed grid of boxes and arrows: the template's header row, phase labels,
one identification column for databases and registers and one for other
methods when there are any, both flowing into the included box. Text is
wrapped by its measured width (fonts.py), so nothing spills out of a box in
a browser or in the PNG. Every text is XML-escaped: source names come from
files and the command line.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from . import fonts

FONT = 13
LINE = 17          # px per text line at FONT px
PAD = 9
INDENT = 14        # px per level of a line
GAP = 36           # vertical space between rows (for the arrows)
ARROW_GAP = 44     # between a main box and its side box
COLUMN_GAP = 46    # between the two identification columns
LEFT = 48          # right of the phase labels
HEADERS = {"databases": "Identification of studies via databases and registers",
           "other": "Identification of studies via other methods"}
# Box widths (main, side) with one identification column, and with two.
WIDTHS = {1: (390, 380), 2: (300, 290)}


def line(text: str, n: int | None = None, level: int = 0) -> dict:
    return {"text": text, "n": n, "level": level}


def label(item: dict, keep_together: bool = False) -> str:
    """A line as the template writes it: "Records screened (n = 1,234)".
    `keep_together`: "(n = 1,234)" joined by no-break spaces, never wrapped."""
    if item["n"] is None:
        return item["text"]
    space = "\u00a0" if keep_together else " "
    return f"{item['text']} (n{space}={space}{item['n']:,})"


def _open_lines(open_counts: dict) -> list[dict]:
    if not open_counts:
        return []
    return [line("Still open, not final", sum(open_counts.values()), 1)] + [
        line(status, count, 2) for status, count in open_counts.items()]


def _reports_excluded(c: dict) -> list[dict]:
    if not c["reports_excluded"]:
        return [line("Reports excluded", 0)] + _open_lines(c["assessment_open"])
    return ([line("Reports excluded:")]
            + [line(row["reason"], row["records"], 1) for row in c["reports_excluded"]]
            + _open_lines(c["assessment_open"]))


def _screening_rows(c: dict) -> list[dict]:
    excluded = [line("Records excluded", c["records_excluded"])]
    if c.get("records_excluded_in_bulk"):
        excluded.append(line("of which excluded in bulk by a lead",
                             c["records_excluded_in_bulk"], 1))
    return [
        {"phase": "Screening", "main": [line("Records screened", c["records_screened"])],
         "side": excluded + _open_lines(c["screening_open"])},
        {"phase": "Screening", "main": [line("Reports sought for retrieval", c["reports_sought"])],
         "side": [line("Reports not retrieved", c["reports_not_retrieved"])]},
        {"phase": "Screening",
         "main": [line("Reports assessed for eligibility", c["reports_assessed"])],
         "side": _reports_excluded(c)},
    ]


def _identified(c: dict, column: str) -> list[dict]:
    rows = [r for r in c["identified"] if r["method"] == column]
    if column == "other":
        return [line("Records identified from:")] + [
            line(r["database"], r["records"], 1) for r in rows]
    lines = [line("Records identified from:")]
    for group, title in (("database", "Databases"), ("register", "Registers")):
        members = [r for r in rows if r["group"] == group]
        if members or group == "database":
            lines.append(line(title, sum(r["records"] for r in members), 1))
            lines += [line(r["database"], r["records"], 2) for r in members]
    return lines


def _stopped_early(c: dict) -> list[dict]:
    """Under the automation line: the criterion an early stop was taken on."""
    stop = c.get("stopped_early")
    if not c["removed_by_automation"] or not stop or not stop.get("estimate"):
        return []
    e = stop["estimate"]
    return [line(f"screening stopped early: recall ≥ {e['recall_lower_bound']:.0%} at"
                 f" {e['confidence']:.0%} confidence (Callaghan & Müller-Hansen 2020)",
                 None, 2)]


def flow_rows(c: dict) -> dict:
    """The diagram as data: per identification column its header and rows
    (phase, main box lines, side box lines), and the included box. Each
    line is {text, n, level}; the page, the SVG, the phone layout and the
    CSV are all drawn from this."""
    removed = [line("Records removed before screening:"),
               line("Duplicate records removed", c["duplicates_removed"], 1)]
    removed += [line(entry["how"], entry["records"], 2)
                for entry in c.get("duplicates_removed_by", [])]
    removed.append(line("Records marked as ineligible by automation tools",
                        c["removed_by_automation"], 1))
    removed += _stopped_early(c)
    removed.append(line("Records removed for other reasons", c["removed_other_reasons"], 1))
    columns = [{"key": "databases", "header": HEADERS["databases"], "rows": [
        {"phase": "Identification", "main": _identified(c, "databases"), "side": removed},
        *_screening_rows(c)]}]
    other = c.get("other_methods")
    if other:
        columns.append({"key": "other", "header": HEADERS["other"], "rows": [
            {"phase": "Identification", "main": _identified(c, "other"), "side": [
                line("Records removed before screening:"),
                line("Already identified via databases and registers",
                     other["found_via_databases"], 1),
                line("Duplicate records removed", other["duplicates_removed"], 1)]},
            *_screening_rows(other)]})
    included = [line("Studies included in review", c["studies_included"]),
                line("Reports of included studies", c["reports_of_included_studies"])]
    return {"columns": columns, "included": included}


def numbers(flow: dict) -> list[dict]:
    """Every number of the diagram, one row each: column, phase, box, item,
    level, n (for the CSV and the numbers table)."""
    out = []

    def box(column: str, phase: str, lines: list[dict]):
        title = lines[0]["text"].rstrip(":")
        for item in lines:
            if item["n"] is not None:
                out.append({"column": column, "phase": phase, "box": title,
                            "item": item["text"], "level": item["level"], "n": item["n"]})

    for column in flow["columns"]:
        for row in column["rows"]:
            box(column["header"], row["phase"], row["main"])
            if row["side"]:
                box(column["header"], row["phase"], row["side"])
    box("Included", "Included", flow["included"])
    return out


# Drawing -------------------------------------------------------------------

def _wrapped(lines: list[dict], width: int) -> list[tuple[str, int, bool]]:
    """(text, x offset, bold) per drawn line of a box `width` px wide."""
    out = []
    for item in lines:
        bold = item["n"] is None and item["text"].endswith(":")
        offset = item["level"] * INDENT
        # "(n = 1,234)" is never broken (wrapped as if joined by no-break spaces).
        room = width - 2 * PAD - offset - INDENT // 2
        for i, text in enumerate(fonts.wrap(label(item, True), room, FONT, bold)):
            out.append((text.replace("\u00a0", " "), offset + (INDENT // 2 if i else 0), bold))
    return out


def _height(drawn: list) -> int:
    return len(drawn) * LINE + 2 * PAD


def _box(x: int, y: int, width: int, height: int, drawn: list, css: str) -> str:
    parts = [f'<rect x="{x}" y="{y}" width="{width}" height="{height}" class="{css}"/>']
    for i, (text, offset, bold) in enumerate(drawn):
        weight = ' font-weight="bold"' if bold else ""
        parts.append(f'<text x="{x + PAD + offset}" y="{y + PAD + (i + 1) * LINE - 4}"{weight}>'
                     f'{escape(text)}</text>')
    return "\n".join(parts)


def _arrow(x1, y1, x2, y2) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="arrow"/>'


def _layout(columns: int) -> tuple[int, int, int, list[int], int]:
    """(main box width, side box width, column width, column x's, figure width)."""
    main_w, side_w = WIDTHS[columns]
    column_w = main_w + ARROW_GAP + side_w
    xs = [LEFT + i * (column_w + COLUMN_GAP) for i in range(columns)]
    return main_w, side_w, column_w, xs, xs[-1] + column_w + 14


def figure_width(c: dict) -> int:
    return _layout(2 if c.get("other_methods") else 1)[-1]


def prisma_svg(c: dict, title: str = "PRISMA 2020 flow diagram") -> str:
    flow = flow_rows(c)
    columns = flow["columns"]
    main_w, side_w, column_w, xs, width = _layout(len(columns))
    body, y = [], 66
    for x, column in zip(xs, columns):
        lines = fonts.wrap(column["header"], column_w - 2 * PAD, FONT + 1, True)
        body.append(f'<rect x="{x}" y="{y}" width="{column_w}" height="{len(lines) * 18 + 14}"'
                    f' rx="5" class="header header-{column["key"]}"/>')
        body += [f'<text x="{x + column_w // 2}" y="{y + 20 + i * 18}" text-anchor="middle"'
                 f' font-weight="bold" font-size="{FONT + 1}">{escape(text)}</text>'
                 for i, text in enumerate(lines)]
    y += 18 * max(len(fonts.wrap(col["header"], column_w - 2 * PAD, FONT + 1, True))
                  for col in columns) + 14 + 26
    phases: list[dict] = []
    bottoms = [None] * len(columns)
    for index in range(len(columns[0]["rows"])):
        drawn = [(_wrapped(col["rows"][index]["main"], main_w),
                  _wrapped(col["rows"][index]["side"], side_w) if col["rows"][index]["side"]
                  else []) for col in columns]
        height = max(max(_height(main), _height(side) if side else 0) for main, side in drawn)
        for i, (x, (main, side)) in enumerate(zip(xs, drawn)):
            body.append(_box(x, y, main_w, height, main, "box"))
            if side:
                side_x = x + main_w + ARROW_GAP
                body.append(_box(side_x, y, side_w, height, side, "box side"))
                body.append(_arrow(x + main_w, y + height // 2, side_x - 2, y + height // 2))
            if bottoms[i] is not None:
                body.append(_arrow(x + main_w // 2, bottoms[i], x + main_w // 2, y - 2))
            bottoms[i] = y + height
        phase = columns[0]["rows"][index]["phase"]
        if phases and phases[-1]["phase"] == phase:
            phases[-1]["bottom"] = y + height
        else:
            phases.append({"phase": phase, "top": y, "bottom": y + height})
        y += height + GAP
    included = _wrapped(flow["included"], main_w)
    height = max(_height(included), 8 * len("Included") + 16)
    body.append(_box(xs[0], y, main_w, height, included, "box included"))
    body.append(_arrow(xs[0] + main_w // 2, bottoms[0], xs[0] + main_w // 2, y - 2))
    if len(columns) > 1:
        # The other-methods column flows down, then left into the included box.
        middle, x_other = y + height // 2, xs[1] + main_w // 2
        body.append(f'<polyline points="{x_other},{bottoms[1]} {x_other},{middle}'
                    f' {xs[0] + main_w + 2},{middle}" class="arrow"/>')
    phases.append({"phase": "Included", "top": y, "bottom": y + height})
    y += height
    bands = []
    for phase in phases:
        middle = (phase["top"] + phase["bottom"]) // 2
        bands.append(
            f'<rect x="10" y="{phase["top"]}" width="28" height="{phase["bottom"] - phase["top"]}"'
            f' rx="6" class="phase"/><text x="24" y="{middle}" class="phase-label"'
            f' transform="rotate(-90 24 {middle})">{escape(phase["phase"])}</text>')
    status = ("Screening complete." if c["complete"]
              else "Screening in progress: boxes with open records are not final.")
    source = ("Template: PRISMA 2020 flow diagram (Page MJ et al. BMJ 2021;372:n71)."
              " Numbers computed from the review database.")
    height_total = y + 40
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height_total}" viewBox="0 0 {width} {height_total}" role="img" aria-label={quoteattr(title)} font-family={quoteattr(fonts.FAMILY)} font-size="{FONT}">
<title>{escape(title)}</title>
<defs><marker id="arrowhead" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#222"/></marker></defs>
<style>
.box {{ fill: #fff; stroke: #222; stroke-width: 1.2; }}
.side {{ fill: #f7f7f7; }}
.included {{ fill: #fff; stroke-width: 1.6; }}
.arrow {{ stroke: #222; stroke-width: 1.4; fill: none; marker-end: url(#arrowhead); }}
.header-databases {{ fill: #f9d77e; stroke: #b8962e; }}
.header-other {{ fill: #dcdcdc; stroke: #8a8a8a; }}
.phase {{ fill: #cfe0f1; stroke: #4a78a8; }}
.phase-label {{ font-weight: bold; text-anchor: middle; dominant-baseline: middle; }}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="{width // 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">{escape(title)}</text>
<text x="{width // 2}" y="50" text-anchor="middle" fill="#444">{escape(status)}</text>
{chr(10).join(bands)}
{chr(10).join(body)}
<text x="10" y="{height_total - 12}" fill="#555">{escape(source)}</text>
</svg>
"""
