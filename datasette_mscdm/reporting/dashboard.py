"""The figures of the review dashboard (/<db>/-/review), from statuses and
decision counts. Nothing here shows an individual vote, and while screening
is blind no figure depends on how anyone voted on a record that is still
open (only on whether they voted), so the dashboard is safe on a blind,
live review."""

from __future__ import annotations

from itertools import accumulate

from ..screening import store
from ..screening.store import _rows
from .agreement import agreement
from .charts import COLOURS, bar_chart, column_chart

def per_reviewer_rows(conn, blind: bool) -> list[dict]:
    """Decisions in force per reviewer, stage and kind, and how they divide
    into include / exclude / maybe / not retrieved. While blind, only votes
    on records whose stage is settled are divided; votes on open records are
    one count (`open`), so nobody can watch a reviewer's votes appear."""
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
        WHERE d.decision NOT IN ('undo', 'reopen') AND {store.in_force('d')}
        GROUP BY d.reviewer, d.stage, d.kind
        ORDER BY d.stage DESC, decisions DESC, d.reviewer""")


def dashboard_data(conn, stages: list[str], groups: dict[str, str], blind: bool = True) -> dict:
    per_day = _rows(conn, "SELECT substr(created_at, 1, 10) AS day, count(*) AS decisions"
                          " FROM decisions WHERE decision NOT IN ('undo', 'reopen')"
                          " AND carried_from IS NULL"  # copies of votes of merged records
                          " GROUP BY day ORDER BY day")
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
    daily = [row["decisions"] for row in per_day]
    return {
        "remaining": [store.progress(conn, None, stage) for stage in stages],
        "final": final,
        "conflicts_open": store.lead_queue_count(conn),
        "per_day": per_day,
        "per_reviewer": per_reviewer,
        "reasons": reasons,
        "by_year": by_year,
        "by_tag": by_tag,
        "agreement": agreement(conn),
        "charts": {
            "per_day": column_chart([(r["day"], r["decisions"]) for r in per_day],
                                    "Decisions per day, with the cumulative total",
                                    line=list(accumulate(daily))),
            "per_reviewer": bar_chart(
                [(f"{r['reviewer']} · {r['stage'].replace('_', '/')}"
                  + ("" if r["kind"] == "screen" else f" · {r['kind']}"), r["decisions"])
                 for r in per_reviewer], "Decisions in force per reviewer and stage"),
            "reasons": bar_chart([(f"{r['reason']} ({r['stage'].replace('_', '/')})",
                                   r["records"]) for r in reasons],
                                 "Exclusion reasons", colour=COLOURS["exclude"], label_width=280),
            "by_year": column_chart([(str(r["year"]), r["records"]) for r in by_year],
                                    "Included at title/abstract, by year",
                                    colour=COLOURS["include"]),
            "by_tag": bar_chart([(f"{groups.get(r['facet'], r['facet'])}: {r['term']}",
                                  r["records"]) for r in by_tag],
                                "Included at title/abstract, by automatic tag",
                                colour=COLOURS["include"], label_width=280),
        },
    }
