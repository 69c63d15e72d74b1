"""PRISMA 2020 flow numbers, computed from the database (never typed).

Identification counts occurrences (a record found in PubMed and Scopus is
identified twice); everything after duplicate removal counts records and
comes from the status columns the decisions keep (screening/rules.py).
Records found only through sources loaded with `--other-methods` are counted
in their own identification box and screened in the same flow.

The arithmetic PRISMA implies is checked, not assumed: while screening is in
progress the open records are named instead of pretending a box is final.
"""

from __future__ import annotations

import sqlite3

from ..screening.store import in_force

NO_REASON = "No reason given"

# A bulk exclusion in force at title/abstract: a lead excluded the record
# after previewing a full-text search. That is a person's decision, so PRISMA
# counts it with the records excluded at screening ("automation tools" is for
# machine classifiers); the flow notes how many of them were excluded in bulk.
_BULK_IN_FORCE = (
    "EXISTS (SELECT 1 FROM decisions d WHERE d.record_id = r.id AND d.stage = 'title_abstract'"
    f" AND d.kind = 'bulk' AND {in_force('d')})")


# Duplicates a person merged (an answer on the review queue, "accept all
# above a score"), merges still in force; every other duplicate removed was
# merged automatically (on load, or by `mscdm dedup`). README "PRISMA" gives
# the SQL of both.
DUPLICATES_BY_PERSON = (
    "SELECT count(*) FROM mscdm_merges m WHERE m.action = 'merge' AND m.merged_by != 'auto'"
    " AND NOT EXISTS (SELECT 1 FROM mscdm_merges u WHERE u.undoes = m.id)")


def prisma_counts(conn: sqlite3.Connection) -> dict:
    """Every number of the PRISMA 2020 flow diagram, with the checks."""
    def one(sql, params=()):
        return conn.execute(sql, params).fetchone()[0] or 0

    identified = [
        {"database": database or "Unknown", "method": method, "records": n}
        for method, database, n in conn.execute(
            "SELECT s.method, o.database, count(*) FROM occurrences o"
            " JOIN sources s ON s.id = o.source_id WHERE s.status = 'loaded'"
            " GROUP BY s.method, o.database ORDER BY s.method, count(*) DESC, o.database")]
    identified_total = sum(row["records"] for row in identified)
    records = one("SELECT count(*) FROM records")
    has_merges = one("SELECT count(*) FROM sqlite_master WHERE name = 'mscdm_merges'") > 0
    by_person = one(DUPLICATES_BY_PERSON) if has_merges else 0
    has_decisions = one("SELECT count(*) FROM sqlite_master WHERE name = 'decisions'") > 0
    ta = dict(conn.execute("SELECT ta_status, count(*) FROM records GROUP BY ta_status"))
    ft = dict(conn.execute("SELECT ft_status, count(*) FROM records WHERE ft_status IS NOT NULL"
                           " GROUP BY ft_status"))
    bulk = one(f"SELECT count(*) FROM records r WHERE r.ta_status = 'excluded'"
               f" AND {_BULK_IN_FORCE}") if has_decisions else 0
    automation = 0
    screened = records - automation
    ta_excluded = ta.get("excluded", 0) - automation
    ta_open = {status: ta.get(status, 0)
               for status in ("unscreened", "awaiting second reviewer", "conflict", "maybe")}
    sought = ta.get("included", 0)
    not_retrieved = ft.get("not retrieved", 0)
    assessed = sought - not_retrieved
    reasons = [{"reason": reason or NO_REASON, "records": n} for reason, n in conn.execute(
        "SELECT exclusion_reason, count(*) FROM records WHERE ft_status = 'excluded'"
        " GROUP BY exclusion_reason ORDER BY count(*) DESC, exclusion_reason")]
    ft_excluded = sum(row["records"] for row in reasons)
    # screening_status 'included' covers single-stage reviews (no full text).
    included = one("SELECT count(*) FROM records WHERE screening_status = 'included'")
    ft_open = {status: ft.get(status, 0)
               for status in ("unscreened", "awaiting second reviewer", "conflict", "maybe")}
    # Included at title/abstract, full-text status not set: a single-stage
    # review's inclusions, or nothing open.
    ft_open["unscreened"] += max(
        sought - not_retrieved - ft_excluded - included - sum(ft_open.values()), 0)

    counts = {
        "identified": identified,
        "identified_databases": sum(r["records"] for r in identified
                                    if r["method"] == "databases"),
        "identified_other": sum(r["records"] for r in identified if r["method"] == "other"),
        "identified_total": identified_total,
        "duplicates_removed": identified_total - records,
        "duplicates_removed_automatically": identified_total - records - by_person,
        "duplicates_removed_by_person": by_person,
        "removed_by_automation": automation,
        "removed_other_reasons": 0,
        "records_screened": screened,
        "records_excluded": ta_excluded,
        "records_excluded_in_bulk": bulk,
        "screening_open": {k: v for k, v in ta_open.items() if v},
        "reports_sought": sought,
        "reports_not_retrieved": not_retrieved,
        "reports_assessed": assessed,
        "reports_excluded": reasons,
        "reports_excluded_total": ft_excluded,
        "assessment_open": {k: v for k, v in ft_open.items() if v},
        "studies_included": included,
    }
    counts["checks"] = arithmetic_checks(counts)
    counts["complete"] = not counts["screening_open"] and not counts["assessment_open"]
    return counts


def arithmetic_checks(c: dict) -> list[dict]:
    """PRISMA's arithmetic. `holds`: the equation is true now. While records
    are still open at a stage, an equation can only hold once they are
    decided; `consistent` says the numbers differ by exactly those records
    (anything else would be a bug, and the tests look for it)."""
    screening_open = sum(c["screening_open"].values())
    assessment_open = sum(c["assessment_open"].values())
    checks = [
        ("records screened = identified − duplicates − removed by automation − other removals",
         c["records_screened"],
         c["identified_total"] - c["duplicates_removed"] - c["removed_by_automation"]
         - c["removed_other_reasons"], 0),
        ("reports sought = records screened − records excluded", c["reports_sought"],
         c["records_screened"] - c["records_excluded"], screening_open),
        ("reports assessed = reports sought − reports not retrieved", c["reports_assessed"],
         c["reports_sought"] - c["reports_not_retrieved"], 0),
        ("studies included = reports assessed − reports excluded", c["studies_included"],
         c["reports_assessed"] - c["reports_excluded_total"], assessment_open),
    ]
    return [{"equation": equation, "left": left, "right": right, "open": open_,
             "holds": left == right, "consistent": left == right - open_}
            for equation, left, right, open_ in checks]
