"""The figures of the review dashboard (/<db>/-/review), from statuses and
decision counts. Nothing here shows an individual vote, and while screening
is blind no figure depends on how anyone voted on a record that is still
open (only on whether they voted), so the dashboard is safe on a blind,
live review."""

from __future__ import annotations

import datetime
from itertools import accumulate

from ..screening import store
from ..terms import BUILTIN_FACETS
from ..screening.store import STATUS_COLUMN, _rows, in_force
from .agreement import agreement
from .charts import COLOURS, bar_chart, column_chart, line_chart

# The dashboard draws each chart twice: for wide screens, and for phones
# (390 px less the page's margins), never scaled.
WIDTHS = {"wide": 680, "narrow": 340}
OPEN = ("unscreened", "awaiting second reviewer")


# `d` is its reviewer's latest decision in force on its record, stage and
# kind: a changed mind is one vote, not two (and counting both would show,
# while blind, that someone changed their mind on an open record).
_LATEST = ("NOT EXISTS (SELECT 1 FROM decisions l WHERE l.reviewer = d.reviewer"
           " AND l.record_id = d.record_id AND l.stage = d.stage AND l.kind = d.kind"
           " AND l.decision NOT IN ('undo', 'reopen') AND l.id > d.id"
           f" AND {store.in_force('l')})")


def per_reviewer_rows(conn, blind: bool) -> list[dict]:
    """Decisions in force per reviewer, stage and kind (one per record: the
    latest), and how they divide into include / exclude / maybe / not
    retrieved. While blind, only votes on records whose stage is settled are
    divided; votes on open records are one count (`open`), so nobody can
    watch a reviewer's votes appear."""
    settled = ("(CASE d.stage WHEN 'title_abstract' THEN r.ta_status ELSE r.ft_status END)"
               " NOT IN ('unscreened', 'awaiting second reviewer')")
    shown = settled if blind else "1"
    return _rows(conn, f"""
        SELECT d.reviewer, d.stage, d.kind, count(*) AS decisions,
               sum({shown} AND d.decision = 'include') AS include,
               sum({shown} AND d.decision = 'exclude') AS exclude,
               sum({shown} AND d.decision = 'maybe') AS maybe,
               sum({shown} AND d.decision = 'not_retrieved') AS not_retrieved,
               sum(NOT ({shown})) AS open
        FROM decisions d JOIN records r ON r.id = d.record_id
        WHERE d.decision NOT IN ('undo', 'reopen') AND {store.in_force('d')} AND {_LATEST}
        GROUP BY d.reviewer, d.stage, d.kind
        ORDER BY d.stage DESC, decisions DESC, d.reviewer""")


def included_curve(conn, stage: str) -> list[tuple[int, int]]:
    """(records screened, records included so far) after each record the
    stage screened, in the order each was decided (by the decision in force
    that completed it). Screened: every vote in, or a lead's ruling; a
    conflict counts as screened and not (yet) included. Records still open
    to reviewers never count: while screening is blind, a vote on one moves
    nothing here."""
    column = STATUS_COLUMN[stage]
    rows = conn.execute(f"""
        SELECT r.{column} = 'included', max(d.id) AS settled_by
        FROM records r JOIN decisions d ON d.record_id = r.id AND d.stage = ?
        WHERE r.{column} IS NOT NULL AND r.{column} NOT IN ('unscreened',
              'awaiting second reviewer')
          AND d.decision NOT IN ('undo', 'reopen') AND {in_force('d')}
        GROUP BY r.id ORDER BY settled_by""", [stage]).fetchall()
    found = list(accumulate(included for included, _ in rows))
    return [(i + 1, n) for i, n in enumerate(found)]


def progress_bins(per_day: dict[str, int], until: datetime.date | None
                  ) -> tuple[str, list[tuple[str, str, int]]]:
    """Decisions per day, week or month from the first decision to `until`
    (today on a live review), empty periods included: ('day' | 'week' |
    'month', [(axis label, tooltip, decisions)]). Days up to two months,
    weeks (from Monday) up to a year, months beyond."""
    if not per_day:
        return "day", []
    days = {datetime.date.fromisoformat(day): n for day, n in per_day.items()}
    first, last = min(days), max(max(days), until or max(days))
    span = (last - first).days + 1
    if span <= 62:
        unit = "day"
        start_of = lambda day: day  # noqa: E731
    elif span <= 366:
        unit = "week"
        start_of = lambda day: day - datetime.timedelta(days=day.weekday())  # noqa: E731
    else:
        unit = "month"
        start_of = lambda day: day.replace(day=1)  # noqa: E731
    bins: dict[datetime.date, int] = {}
    day = start_of(first)
    while day <= last:
        bins[day] = 0
        if unit == "day":
            day += datetime.timedelta(days=1)
        elif unit == "week":
            day += datetime.timedelta(days=7)
        else:
            day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    for day, n in days.items():
        bins[start_of(day)] += n
    out = []
    for start, n in bins.items():
        if unit == "month":
            out.append((start.strftime("%b %Y"), start.strftime("%B %Y"), n))
        elif unit == "week":
            out.append((start.strftime("%-d %b"), f"week of {start.isoformat()}", n))
        else:
            out.append((start.strftime("%-d %b"), start.isoformat(), n))
    return unit, out


def _both(draw) -> dict[str, str]:
    return {size: draw(width) for size, width in WIDTHS.items()}


def dashboard_data(conn, stages: list[str], groups: dict[str, str], blind: bool = True,
                   until: datetime.date | None = None) -> dict:
    # Progress: each reviewer's vote on a record counted once, on the day they
    # first voted on it (a changed mind or an undone and recast vote adds
    # nothing: while blind, neither may show), if a vote of theirs is in force.
    per_day = dict(conn.execute(f"""
        SELECT day, count(*) FROM (
            SELECT substr(min(d.created_at), 1, 10) AS day FROM decisions d
            WHERE d.decision NOT IN ('undo', 'reopen')
              AND d.carried_from IS NULL  -- copies of the votes of merged records
            GROUP BY d.reviewer, d.record_id, d.stage, d.kind
            HAVING sum({store.in_force('d')}) > 0)
        GROUP BY day ORDER BY day""").fetchall())
    unit, bins = progress_bins(per_day, until)
    per_reviewer = per_reviewer_rows(conn, blind)
    reasons = _rows(conn, """
        SELECT CASE WHEN ta_status = 'excluded' THEN 'title_abstract' ELSE 'full_text' END
                   AS stage, coalesce(exclusion_reason, 'No reason given') AS reason,
               count(*) AS records
        FROM records WHERE screening_status = 'excluded' GROUP BY 1, 2
        ORDER BY stage DESC, records DESC""")
    by_year = _rows(conn, "SELECT year, count(*) AS records FROM records"
                          " WHERE ta_status = 'included' AND year IS NOT NULL"
                          " GROUP BY year ORDER BY year")
    by_tag = _rows(conn, """
        SELECT t.facet, t.term, count(*) AS records FROM record_terms t
        JOIN records r ON r.id = t.record_id
        WHERE r.ta_status = 'included' AND t.facet NOT IN ('publication_type', 'database')
        GROUP BY t.facet, t.term ORDER BY records DESC, t.term LIMIT 25""")
    final = dict(conn.execute("SELECT screening_status, count(*) FROM records"
                              " GROUP BY screening_status"))
    curves = {stage: included_curve(conn, stage) for stage in stages}
    stage_names = {"title_abstract": "title/abstract", "full_text": "full text"}
    charts = {
        "progress": _both(lambda w: column_chart(
            [(label, n) for label, _, n in bins], f"Decisions per {unit}, with the cumulative"
            " total", width=w, line=list(accumulate(n for _, _, n in bins)),
            tooltips=[tip for _, tip, _ in bins])),
        "per_reviewer": _both(lambda w: bar_chart(
            [(f"{r['reviewer']} · {stage_names[r['stage']]}"
              + ("" if r["kind"] == "screen" else f" · {r['kind']}"), r["decisions"])
             for r in per_reviewer], "Decisions in force per reviewer and stage", width=w)),
        "reasons": _both(lambda w: bar_chart(
            [(f"{r['reason']} ({stage_names[r['stage']]})", r["records"]) for r in reasons],
            "Exclusion reasons", width=w, colour=COLOURS["exclude"])),
        "by_year": _both(lambda w: column_chart(
            [(str(r["year"]), r["records"]) for r in by_year],
            "Included at title/abstract, by year", width=w, colour=COLOURS["include"])),
        "by_tag": _both(lambda w: bar_chart(
            [(f"{groups.get(r['facet'], BUILTIN_FACETS.get(r['facet'], r['facet']))}:"
              f" {r['term']}", r["records"]) for r in by_tag],
            "Included at title/abstract, by automatic tag and MeSH major topic", width=w,
            colour=COLOURS["include"])),
    }
    for stage, points in curves.items():
        total = points[-1][1] if points else 0
        charts[f"curve_{stage}"] = _both(lambda w, points=points, total=total, stage=stage:
                                         line_chart(
            [{"name": "included found", "points": [(0, 0)] + points,
              "colour": COLOURS["include"]},
             {"name": "if found at an even rate", "points": [(0, 0), (len(points), total)]
              if points else [], "colour": COLOURS["reference"], "dashed": True}],
            f"Included found vs records screened, {stage_names[stage]}",
            x_title="records screened (in the order decided)",
            y_title="records included", width=w))
    return {
        "remaining": [store.progress(conn, None, stage) for stage in stages],
        "final": final,
        "conflicts_open": store.lead_queue_count(conn),
        "progress_unit": unit,
        "progress_span": (bins[0][1], bins[-1][1]) if bins else None,
        "per_reviewer": per_reviewer,
        "reasons": reasons,
        "by_year": by_year,
        "by_tag": by_tag,
        "curves": {stage: {"screened": len(points), "included": points[-1][1] if points else 0}
                   for stage, points in curves.items()},
        "agreement": agreement(conn),
        "charts": charts,
    }
