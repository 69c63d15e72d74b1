"""Status rules: what a record's decisions mean. Pure functions over the
decision rows of one record, so every rule is unit-tested without a database.

A decision row is a mapping with id, reviewer, decision, reason, kind and
undoes, in the order they were recorded (ascending id), and `origin`: None
for a decision made on this record, else the record it was made on and
carried from when that record was merged into this one.

Carried votes (see duplicates/carry.py for why they are copies). Merging two
records that both have votes gives the merged record every vote: a
reviewer's vote on each copy counts, so one reviewer's include on one copy
and a second reviewer's include on the other make two agreeing votes. Per
reviewer, the votes in force are their latest vote made on this record plus
their latest vote carried from each merged record since; a vote they make
on the merged record afterwards replaces all of them. Two different votes
of one reviewer (they saw the work twice and answered differently) are a
conflict for a lead, as is any disagreement. A lead's ruling made on this
record settles everything recorded before it; a ruling carried from a
merged record settles the votes carried with it, and a conflict arises when
what is carried disagrees with it.
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

# A lead's decision that starts a stage of a record afresh.
REOPEN = "reopen"

OUTCOME = {"include": INCLUDED, "exclude": EXCLUDED, "maybe": MAYBE,
           "not_retrieved": NOT_RETRIEVED}
# A lead's ruling. A lead's "maybe" (title/abstract only) sends the record on
# to the full text, where the report settles it: the status is included.
RULING = dict(OUTCOME, maybe=INCLUDED)


def current_round(rows) -> list:
    """The rows since the latest reopening of the stage by a lead (all rows
    when it was never reopened): earlier votes and rulings no longer count."""
    start = 0
    for index, row in enumerate(rows):
        if row["decision"] == REOPEN:
            start = index + 1
    return list(rows[start:])


def first_round(rows) -> list:
    """The rows before the first reopening: the reviewers' independent votes."""
    for index, row in enumerate(rows):
        if row["decision"] == REOPEN:
            return list(rows[:index])
    return list(rows)


def standing(rows) -> list:
    """The rows still in force: those of the current round, except undo rows
    and the rows they undid."""
    rows = current_round(rows)
    undone = {row["undoes"] for row in rows if row["decision"] == "undo"}
    return [row for row in rows if row["decision"] != "undo" and row["id"] not in undone]


def effective(rows) -> tuple[dict[str, list], list]:
    """(votes, rulings) in force: {reviewer: [their vote rows]} and [ruling
    rows], each in recording order (see the module docstring for carried
    votes; a record that was never merged has one vote per reviewer and at
    most one ruling)."""
    votes: dict[str, dict] = {}
    rulings: dict = {}
    for row in standing(rows):
        origin = row.get("origin")
        if row["kind"] == "screen":
            mine = votes.setdefault(row["reviewer"], {})
            if origin is None:
                mine.clear()
            mine.pop(origin, None)
            mine[origin] = row
        else:
            if origin is None:
                rulings.clear()
            rulings.pop(origin, None)
            rulings[origin] = row
    return ({name: list(mine.values()) for name, mine in votes.items()},
            list(rulings.values()))


def votes(rows) -> dict:
    """Each reviewer's vote in force: their latest (see effective)."""
    return {name: mine[-1] for name, mine in effective(rows)[0].items()}


def all_votes(rows) -> list:
    """Every vote in force, in recording order: one per reviewer, or more
    when votes were carried from merged records."""
    return sorted((row for mine in effective(rows)[0].values() for row in mine),
                  key=lambda row: row["id"])


def lead_ruling(rows):
    """The latest standing resolution or bulk decision of a lead, if any."""
    rulings = effective(rows)[1]
    return rulings[-1] if rulings else None


def stage_status(rows, required: int) -> tuple[str, str | None]:
    """(status, exclusion reason) of one stage of one record.

    - A lead's ruling (resolution or bulk exclusion) settles the stage,
      unless what was carried from a merged record disagrees with it.
    - No vote: unscreened. Fewer votes than required: awaiting second reviewer.
    - "Not retrieved" is a fact, not a judgement: one reviewer's mark is
      enough, unless another reviewer voted otherwise (then: conflict).
    - Enough votes that agree: that outcome (maybe stays maybe, for a lead);
      votes that differ, or one reviewer's votes that differ: conflict (the
      latter only once the other reviewers have voted too: blind). Votes
      beyond the required number (two reviewers opening the same record at
      once) count like the others.
    - The reason of an exclusion is the earliest reason among the votes.
    """
    by_reviewer, rulings = effective(rows)
    if rulings:
        own = [r["id"] for r in rulings if r.get("origin") is None]
        settled_upto = own[0] if own else 0
        ruled = {r.get("origin") for r in rulings}
        unsettled = [row for mine in by_reviewer.values() for row in mine
                     if row["id"] > settled_upto and row.get("origin") not in ruled]
        outcomes = ({RULING[r["decision"]] for r in rulings}
                    | {OUTCOME[row["decision"]] for row in unsettled})
        if len(outcomes) > 1:
            return CONFLICT, None
        ruling = rulings[-1]
        return RULING[ruling["decision"]], ruling["reason"] if ruling["decision"] == "exclude" \
            else None
    current = sorted((row for mine in by_reviewer.values() for row in mine),
                     key=lambda row: row["id"])
    if not current:
        return UNSCREENED, None
    decisions = {row["decision"] for row in current}
    if decisions == {"not_retrieved"}:
        return NOT_RETRIEVED, None
    # Fewer reviewers than required: awaiting, even when one reviewer's
    # votes differ (two copies merged). Their conflict waits for the other
    # votes: while blind, a "conflict" status would tell everyone how that
    # reviewer voted on an open record and show them the votes.
    if len(by_reviewer) < required:
        return AWAITING, None
    if any(len({row["decision"] for row in mine}) > 1 for mine in by_reviewer.values()):
        return CONFLICT, None
    if len(decisions) > 1:
        return CONFLICT, None
    decision = decisions.pop()
    reasons = [row["reason"] for row in current if row["reason"]]
    return OUTCOME[decision], reasons[0] if decision == "exclude" and reasons else None


def locked(rows, required: int, reviewer: str) -> str | None:
    """Why `reviewer` may not add, change or undo a screening vote at this
    stage of this record, or None.

    Once a stage has all the votes it needs, its votes are locked and a lead
    resolves or reopens it. Otherwise a reviewer could vote, read the outcome
    ("conflict") while blind, undo and vote again to agree. A single-reviewer
    stage has no one else's vote to probe, so its reviewer may still change
    their mind; anyone else's vote on it is refused all the same."""
    if lead_ruling(rows) is not None:
        return "a lead has settled it"
    current = votes(rows)
    if len(current) < required or (required == 1 and set(current) == {reviewer}):
        return None
    return f"it has all the votes it needs ({len(current)} of {required})"


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
    open), a viewer sees only their own rows and nobody else's, not even
    votes the others undid (their retracted opinion is still theirs).
    Anonymous viewers (viewer None) see a stage once it is no longer open.
    """
    if not blind or status not in OPEN:
        return list(rows)
    # Rounds a lead closed by reopening the stage were complete, so public.
    earlier = len(rows) - len(current_round(rows))
    return list(rows[:earlier]) + [row for row in rows[earlier:] if row["reviewer"] == viewer]
