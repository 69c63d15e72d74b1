"""Status rules: what a record's decisions mean. Pure functions over the
decision rows of one record, so every rule is unit-tested without a database.

A decision row is a mapping with id, reviewer, decision, reason, kind and
undoes, in the order they were recorded (ascending id).
"""

from __future__ import annotations

UNSCREENED = "unscreened"
AWAITING = "awaiting second reviewer"
INCLUDED = "included"
EXCLUDED = "excluded"
MAYBE = "maybe"
CONFLICT = "conflict"
NOT_RETRIEVED = "not retrieved"
AWAITING_FULL_TEXT = "awaiting full text"

# A stage is open to reviewers while it needs more votes.
OPEN = (UNSCREENED, AWAITING)
# A lead settles these.
NEEDS_LEAD = (CONFLICT, MAYBE)

OUTCOME = {"include": INCLUDED, "exclude": EXCLUDED, "maybe": MAYBE,
           "not_retrieved": NOT_RETRIEVED}


def standing(rows) -> list:
    """The rows still in force: every row except undo rows and the rows
    they undid."""
    undone = {row["undoes"] for row in rows if row["decision"] == "undo"}
    return [row for row in rows if row["decision"] != "undo" and row["id"] not in undone]


def votes(rows) -> dict:
    """Each reviewer's vote in force: their latest standing screening decision."""
    current = {}
    for row in standing(rows):
        if row["kind"] == "screen":
            current[row["reviewer"]] = row
    return current


def lead_ruling(rows):
    """The latest standing resolution or bulk decision of a lead, if any."""
    ruling = None
    for row in standing(rows):
        if row["kind"] in ("resolution", "bulk"):
            ruling = row
    return ruling


def stage_status(rows, required: int) -> tuple[str, str | None]:
    """(status, exclusion reason) of one stage of one record.

    - A lead's ruling (resolution or bulk exclusion) settles the stage.
    - No vote: unscreened. Fewer votes than required: awaiting second reviewer.
    - "Not retrieved" is a fact, not a judgement: one reviewer's mark is
      enough, unless another reviewer voted otherwise (then: conflict).
    - Enough votes that agree: that outcome (maybe stays maybe, for a lead);
      votes that differ: conflict. Votes beyond the required number (two
      reviewers opening the same record at once) count like the others.
    - The reason of an exclusion is the earliest reason among the votes.
    """
    ruling = lead_ruling(rows)
    if ruling is not None:
        return OUTCOME[ruling["decision"]], ruling["reason"] if ruling["decision"] == "exclude" \
            else None
    current = sorted(votes(rows).values(), key=lambda row: row["id"])
    if not current:
        return UNSCREENED, None
    decisions = {row["decision"] for row in current}
    if decisions == {"not_retrieved"}:
        return NOT_RETRIEVED, None
    if len(current) < required:
        return AWAITING, None
    if len(decisions) > 1:
        return CONFLICT, None
    decision = decisions.pop()
    reasons = [row["reason"] for row in current if row["reason"]]
    return OUTCOME[decision], reasons[0] if decision == "exclude" and reasons else None


def final_status(ta_status: str, ft_status: str | None, has_full_text: bool) -> str:
    """Where the record stands in the review as a whole."""
    if ta_status != INCLUDED:
        return ta_status
    if not has_full_text:
        return INCLUDED
    if ft_status in (None, UNSCREENED):
        return AWAITING_FULL_TEXT
    return ft_status


def visible_rows(rows, viewer: str | None, blind: bool, status: str) -> list:
    """The decision rows of one stage of one record that `viewer` may see.

    Blind screening: until the stage has all its votes (it is no longer
    open), a viewer sees only their own rows, and nobody else's, unless they
    have a vote in force on it themselves. Undone votes do not count: a
    reviewer who undid a vote must not see the others' before voting again.
    Anonymous viewers (viewer None) see a stage once it is no longer open.
    """
    if not blind or status not in OPEN:
        return list(rows)
    if viewer is not None and viewer in votes(rows):
        return list(rows)
    return [row for row in rows if row["reviewer"] == viewer]
