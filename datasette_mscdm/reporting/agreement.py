"""Inter-reviewer agreement: Cohen's kappa and percent agreement per stage
and per pair of reviewers, on the records both screened.

Each reviewer's label on a record is their locked vote: the vote in force
when the record's stage had all its votes (screening/rules.py locks them
then). A lead may reopen a stage and the reviewers vote again, having seen
each other's votes; agreement keeps the first, independent round. Labels are include, exclude and
maybe, kept as three categories: "maybe" is a reviewer's real answer, and
folding it into include would hide exactly the disagreement a team wants to
see. "Not retrieved" is a fact about the report, not a judgement, and lead
resolutions and bulk exclusions are not votes: records with those are left
out of a pair's comparison.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections import defaultdict

from .. import spreadsheet
from ..screening import rules
from ..screening.store import _rows

LABELS = ["include", "exclude", "maybe"]


def kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa, or None when it is undefined (no items, or both
    reviewers used a single and the same label throughout: chance agreement
    is then 1)."""
    if not first:
        return None
    if len(set(first) | set(second)) == 1:
        return None
    # Imported here: scikit-learn (with NumPy and SciPy) adds ~80 MB to every
    # process that imports the plugin, `mscdm load` included.
    from sklearn.metrics import cohen_kappa_score

    value = cohen_kappa_score(first, second, labels=LABELS)
    return None if math.isnan(value) else float(value)


def pair_agreement(first: list[str], second: list[str]) -> dict:
    agreed = sum(a == b for a, b in zip(first, second))
    value = kappa(first, second)
    return {"records": len(first), "agreed": agreed,
            "percent_agreement": round(100 * agreed / len(first), 1) if first else None,
            "kappa": round(value, 3) if value is not None else None}


def agreement(conn) -> list[dict]:
    """One row per stage and pair of reviewers who both voted on a record."""
    votes_by_record: dict[tuple[int, str], list[dict]] = defaultdict(list)
    # Votes carried to a record merged with another are copies of votes
    # counted on the record they were made on (duplicates/carry.py).
    for row in _rows(conn, "SELECT id, record_id, stage, reviewer, decision, reason, kind,"
                           " undoes FROM decisions WHERE carried_from IS NULL ORDER BY id"):
        votes_by_record[(row["record_id"], row["stage"])].append(row)
    pairs: dict[tuple[str, str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    for (record_id, stage), rows in votes_by_record.items():
        votes = {name: row["decision"]
                 for name, row in rules.votes(rules.first_round(rows)).items()
                 if row["decision"] in LABELS}
        for a, b in itertools.combinations(sorted(votes), 2):
            first, second = pairs[(stage, a, b)]
            first.append(votes[a])
            second.append(votes[b])
    result = []
    for stage in ("title_abstract", "full_text"):
        for (pair_stage, a, b), (first, second) in sorted(pairs.items()):
            if pair_stage == stage:
                result.append({"stage": stage, "reviewer_a": a, "reviewer_b": b,
                               **pair_agreement(first, second)})
    return result


def agreement_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["stage", "reviewer_a", "reviewer_b", "records", "agreed",
                                  "percent_agreement", "kappa"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(spreadsheet.neutralise_row(row) for row in rows)
    return out.getvalue()
