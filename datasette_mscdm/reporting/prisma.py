"""PRISMA 2020 flow numbers, computed from the database (never typed).

Identification counts occurrences (a record found in PubMed and Scopus is
identified twice), grouped by database, register or other method under the
normalised source name (source_names.py), never by file name. Everything
after duplicate removal counts records and comes from the status columns
the decisions keep (screening/rules.py).

PRISMA 2020 has two identification columns. A record found by at least one
database or register is in the first; a record found only by other methods
(sources loaded with `--other-methods`, or named as one: citation searching,
websites, ...) is in the second, which has its own flow to the included
studies. Both are screened the same way here, so the second column keeps a
"Records screened" row that the template leaves out.

The arithmetic PRISMA implies is checked, not assumed: while screening is in
progress the open records are named instead of pretending a box is final.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from ..screening.store import in_force
from ..source_names import OTHER, REGISTER, canonical_source, is_file_name_fallback, key, \
    source_kind

NO_REASON = "No reason given"
UNNAMED_DATABASE = "Database not named (mscdm name-source)"
UNNAMED_OTHER = "Source not named (mscdm name-source)"
OPEN_STATUSES = ("unscreened", "awaiting second reviewer", "conflict", "maybe")
DUPLICATES_AUTOMATIC = "merged automatically"
DUPLICATES_PERSON = "merged by a person (review queue)"

# A bulk exclusion in force at title/abstract: a lead excluded the record
# after previewing a full-text search. That is a person's decision, so PRISMA
# counts it with the records excluded at screening ("automation tools" is for
# machine classifiers); the flow notes how many of them were excluded in bulk.
_BULK_IN_FORCE = (
    "EXISTS (SELECT 1 FROM decisions d WHERE d.record_id = r.id AND d.stage = 'title_abstract'"
    f" AND d.kind = 'bulk' AND {in_force('d')})")
# An early stop's exclusion in force: a lead stopped screening on the
# stopping estimate (screening/priority.py) and the records nobody had
# screened were excluded by it, unread: PRISMA's "marked as ineligible by
# automation tools", taken out of the records screened.
_AUTOMATION_IN_FORCE = (
    "EXISTS (SELECT 1 FROM decisions d WHERE d.record_id = r.id AND d.stage = 'title_abstract'"
    f" AND d.kind = 'automation' AND d.decision = 'exclude' AND {in_force('d')})")


def identification(conn: sqlite3.Connection) -> list[dict]:
    """One row per (source file, stored database name): where PRISMA counts
    its occurrences. `column` is databases or other; `group` is database,
    register or other; `name` the normalised name (None: not named)."""
    rows = conn.execute(
        "SELECT s.id, s.path, s.method, o.database, count(*) FROM occurrences o"
        " JOIN sources s ON s.id = o.source_id WHERE s.status = 'loaded'"
        " GROUP BY s.id, o.database").fetchall()
    values_per_source = Counter(source_id for source_id, *_ in rows)
    out = []
    for source_id, path, method, stored, occurrences in rows:
        # Older versions stored the file name when nothing named the database.
        fallback = is_file_name_fallback(stored, path, values_per_source[source_id] == 1)
        name = None if fallback else canonical_source(stored)
        kind = source_kind(name)
        column = "other" if method == "other" or kind == OTHER else "databases"
        group = "other" if column == "other" else "register" if kind == REGISTER else "database"
        out.append({"source_id": source_id, "stored": stored, "column": column,
                    "group": group, "name": name, "occurrences": occurrences})
    return out


def identified_by_name(pairs: list[dict]) -> list[dict]:
    """Occurrences per column, group and name: spellings of one unknown name
    that differ only in case or punctuation are one (the commonest spelling
    shown); names not given come last."""
    totals: dict[tuple, Counter] = {}
    for pair in pairs:
        group_key = (pair["column"], pair["group"], key(pair["name"]) if pair["name"] else "")
        totals.setdefault(group_key, Counter())[pair["name"]] += pair["occurrences"]
    rows = []
    for (column, group, name_key), spellings in totals.items():
        name = spellings.most_common(1)[0][0] if name_key else None
        rows.append({"database": name or (UNNAMED_OTHER if column == "other"
                                          else UNNAMED_DATABASE),
                     "named": bool(name_key), "method": column, "group": group,
                     "records": sum(spellings.values())})
    order = {"database": 0, "register": 1, "other": 2}
    rows.sort(key=lambda r: (order[r["group"]], not r["named"], -r["records"], r["database"]))
    return rows


def _membership_cte(pairs: list[dict]) -> tuple[str, list]:
    """SQL `WITH` naming the records found only through other methods
    (`other_only`) and the (source, database) pairs of the other-methods
    column (`other_pairs`)."""
    other = [(p["source_id"], p["stored"] or "") for p in pairs if p["column"] == "other"]
    if not other:
        return ("WITH other_pairs(source_id, database) AS (SELECT NULL, NULL WHERE 0),"
                " other_only(id) AS (SELECT NULL WHERE 0) "), []
    values = ", ".join("(?, ?)" for _ in other)
    params = [value for pair in other for value in pair]
    return (f"WITH other_pairs(source_id, database) AS (VALUES {values}),"
            " other_only(id) AS (SELECT o.record_id FROM occurrences o"
            " JOIN sources s ON s.id = o.source_id WHERE s.status = 'loaded'"
            " GROUP BY o.record_id HAVING min((o.source_id, coalesce(o.database, '')) IN"
            " (SELECT source_id, database FROM other_pairs)) = 1) "), params


def _column_flow(conn, cte: str, params: list, member: str, has_decisions: bool) -> dict:
    """Screening to inclusion for the records of one column (`member`: SQL
    on `r` that says a record belongs to it). Small queries, each on a
    status index, rather than one scan of the records' rows."""
    def counts(column, where="1"):
        return Counter(dict(conn.execute(
            f"{cte}SELECT r.{column}, count(*) FROM records r WHERE {member} AND {where}"
            f" GROUP BY r.{column}", params).fetchall()))

    ta = counts("ta_status")
    ft = counts("ft_status", "r.ft_status IS NOT NULL")
    final = counts("screening_status", "r.screening_status = 'included'")
    reasons = Counter({reason or NO_REASON: n for reason, n in counts(
        "exclusion_reason", "r.ft_status = 'excluded'").items()})
    in_bulk = conn.execute(
        f"{cte}SELECT count(*) FROM records r WHERE {member} AND r.ta_status = 'excluded'"
        f" AND {_BULK_IN_FORCE}", params).fetchone()[0] if has_decisions else 0
    records = sum(ta.values())
    automation = conn.execute(
        f"{cte}SELECT count(*) FROM records r WHERE {member} AND r.ta_status = 'excluded'"
        f" AND {_AUTOMATION_IN_FORCE}", params).fetchone()[0] if has_decisions else 0
    sought = ta["included"]
    not_retrieved = ft["not retrieved"]
    reports_excluded = [{"reason": reason, "records": n} for reason, n in
                        sorted(reasons.items(), key=lambda item: (-item[1], item[0]))]
    excluded_total = sum(reasons.values())
    # screening_status 'included' covers single-stage reviews (no full text).
    included = final["included"]
    assessment_open = {status: ft[status] for status in OPEN_STATUSES}
    # Included at title/abstract, full-text status not set: a single-stage
    # review's inclusions, or nothing open.
    assessment_open["unscreened"] += max(
        sought - not_retrieved - excluded_total - included - sum(assessment_open.values()), 0)
    return {
        "removed_by_automation": automation,
        "records_screened": records - automation,
        "records_excluded": ta["excluded"] - automation,
        "records_excluded_in_bulk": in_bulk,
        "screening_open": {s: ta[s] for s in OPEN_STATUSES if ta[s]},
        "reports_sought": sought,
        "reports_not_retrieved": not_retrieved,
        "reports_assessed": sought - not_retrieved,
        "reports_excluded": reports_excluded,
        "reports_excluded_total": excluded_total,
        "assessment_open": {s: n for s, n in assessment_open.items() if n},
        "studies_included": included,
    }


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

    pairs = identification(conn)
    identified = identified_by_name(pairs)
    cte, params = _membership_cte(pairs)
    has_merges = one("SELECT count(*) FROM sqlite_master WHERE name = 'mscdm_merges'") > 0
    by_person = one(DUPLICATES_BY_PERSON) if has_merges else 0
    has_decisions = one("SELECT count(*) FROM sqlite_master WHERE name = 'decisions'") > 0
    in_other = "(o.source_id, coalesce(o.database, '')) IN (SELECT source_id, database FROM" \
               " other_pairs)"
    if not params:
        # No other methods: every record with an occurrence is in the first
        # column (the sources of occurrences are loaded: a failed file leaves none).
        occurrence_counts = (one("SELECT count(DISTINCT record_id) FROM occurrences"), 0, 0)
    else:
        occurrence_counts = conn.execute(
            f"{cte}SELECT"
            f" count(DISTINCT CASE WHEN NOT {in_other} THEN o.record_id END),"
            f" sum(CASE WHEN {in_other} AND o.record_id NOT IN other_only THEN 1 ELSE 0 END),"
            f" count(DISTINCT CASE WHEN {in_other} AND o.record_id IN other_only"
            f" THEN o.record_id END)"
            " FROM occurrences o JOIN sources s ON s.id = o.source_id WHERE s.status = 'loaded'",
            params).fetchone()
    records_via_databases, other_found_via_databases, records_via_other = (
        value or 0 for value in occurrence_counts)

    def total(column, group=None):
        return sum(r["records"] for r in identified
                   if r["method"] == column and (group is None or r["group"] == group))

    identified_databases = total("databases")
    counts = {
        "identified": identified,
        "identified_databases": total("databases", "database"),
        "identified_registers": total("databases", "register"),
        "identified_other": total("other"),
        "identified_total": sum(r["records"] for r in identified),
        # The first column: records found by at least one database or register.
        "duplicates_removed": identified_databases - records_via_databases,
        "removed_other_reasons": 0,
        **_column_flow(conn, cte, params, "r.id NOT IN other_only", has_decisions),
    }
    # Duplicates a person merged (the review queue) and those merged
    # automatically (on load, or by `mscdm dedup`); a person's merges are of
    # records found by databases or registers unless all copies came by other
    # methods, which the review queue does not tell apart: they are counted here.
    by_person_here = min(by_person, counts["duplicates_removed"])
    counts["duplicates_removed_by_person"] = by_person_here
    counts["duplicates_removed_automatically"] = counts["duplicates_removed"] - by_person_here
    counts["duplicates_removed_by"] = [
        {"how": DUPLICATES_AUTOMATIC, "records": counts["duplicates_removed_automatically"]},
        {"how": DUPLICATES_PERSON, "records": by_person_here}]
    counts["other_methods"] = None
    if counts["identified_other"]:
        identified_other = counts["identified_other"]
        counts["other_methods"] = {
            "identified": identified_other,
            "found_via_databases": other_found_via_databases,
            "duplicates_removed": identified_other - other_found_via_databases
            - records_via_other,
            "removed_other_reasons": 0,
            **_column_flow(conn, cte, params, "r.id IN other_only", has_decisions),
        }
    other = counts["other_methods"] or {}
    counts["studies_included_via_databases"] = counts["studies_included"]
    counts["studies_included"] += other.get("studies_included", 0)
    # Each record is one report; reports of one study are not linked to each
    # other (yet), so every included report counts as a study of its own.
    counts["reports_of_included_studies"] = counts["studies_included"]
    counts["stopped_early"] = stopped_early(conn)
    counts["checks"] = arithmetic_checks(counts)
    counts["complete"] = not any(
        column.get(key_) for column in (counts, other)
        for key_ in ("screening_open", "assessment_open"))
    return counts


def stopped_early(conn) -> dict | None:
    """The early stop in force (who, when, why, and the stopping estimate it
    was taken on), or None."""
    if not conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'mscdm_stops'"
                        ).fetchone()[0]:
        return None
    row = conn.execute("SELECT action, by, at, reason, estimate, records FROM mscdm_stops"
                       " ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or row[0] != "stop":
        return None
    return {"by": row[1], "at": row[2], "reason": row[3],
            "estimate": json.loads(row[4]) if row[4] else None, "records": row[5]}


def _flow_checks(c: dict, identified: int, removed: list[tuple[str, int]], label: str):
    opened = sum(c["screening_open"].values())
    assessed_open = sum(c["assessment_open"].values())
    removed_text = "".join(f" − {name}" for name, _ in removed)
    return [
        (f"{label}records screened = identified{removed_text}", c["records_screened"],
         identified - sum(n for _, n in removed), 0),
        (f"{label}reports sought = records screened − records excluded", c["reports_sought"],
         c["records_screened"] - c["records_excluded"], opened),
        (f"{label}reports assessed = reports sought − reports not retrieved",
         c["reports_assessed"], c["reports_sought"] - c["reports_not_retrieved"], 0),
        (f"{label}studies included = reports assessed − reports excluded",
         c["studies_included"], c["reports_assessed"] - c["reports_excluded_total"],
         assessed_open),
    ]


def arithmetic_checks(c: dict) -> list[dict]:
    """PRISMA's arithmetic. `holds`: the equation is true now. While records
    are still open at a stage, an equation can only hold once they are
    decided; `consistent` says the numbers differ by exactly those records
    (anything else would be a bug, and the tests look for it)."""
    databases = dict(c, studies_included=c["studies_included_via_databases"])
    checks = _flow_checks(
        databases, c["identified_databases"] + c["identified_registers"],
        [("duplicates", c["duplicates_removed"]),
         ("removed by automation", c["removed_by_automation"]),
         ("other removals", c["removed_other_reasons"])], "")
    other = c.get("other_methods")
    if other:
        checks += _flow_checks(
            other, other["identified"],
            [("found via databases", other["found_via_databases"]),
             ("duplicates", other["duplicates_removed"]),
             ("removed by automation", other["removed_by_automation"]),
             ("other removals", other["removed_other_reasons"])], "other methods: ")
    checks.append((
        "studies included = included via databases and registers + via other methods",
        c["studies_included"],
        c["studies_included_via_databases"] + (other["studies_included"] if other else 0), 0))
    return [{"equation": equation, "left": left, "right": right, "open": open_,
             "holds": left == right, "consistent": left == right - open_}
            for equation, left, right, open_ in checks]
