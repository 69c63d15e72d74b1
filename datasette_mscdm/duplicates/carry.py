"""Carrying screening decisions to the record a merged record joins.

Why copies. Decisions are append-only and tied to the record they were made
on (`decisions.record_id`); nothing may rewrite them, not even a merge. Every
read of decisions (the status rules, the SQL of "my vote" and "in force",
locks, agreement, exports, the history a reviewer may see) is per record id.
So when record B is merged into A, each of B's decisions in force is
appended again on A as a new row naming the row it copies
(`carried_from`), and B's own rows stay as they were under B's id:

- every read of A sees B's votes with no change to the reads: `in_force`,
  `_MY_VOTE` (a reviewer who voted on B has a vote on A and is not offered
  it again), locks, undo rows and reopenings work on the copies as on any row;
- the status rules (screening/rules.py) know a copy by its origin: one
  reviewer's votes on the two copies both count, and when they differ it is
  a conflict for a lead, as is any disagreement; a vote made afterwards on
  the merged record replaces them;
- blind rules hold: a copy keeps its reviewer, so it is visible to exactly
  the people who could see the original, and only while the merged record's
  stage is settled does anyone else see it (as for any vote);
- agreement counts the originals only (a copy is not a second judgement);
- an unmerge appends undo rows for the copies: A's decisions in force are
  those of before the merge, and B, restored under its own id, has its own
  rows, which never changed.

Only what is in force on B is carried (for each stage: each reviewer's votes
in force and the lead's rulings in force, rules.effective): votes B's
reviewers replaced, undid, or that a reopening set aside stay in B's history.
"""

from __future__ import annotations

from ..screening import rules
from ..screening.protocol import STAGES
from ..screening.store import stage_rows


def carry_decisions(conn, source_id: int, target_id: int, stamp: str) -> list[int]:
    """Append copies of the decisions in force on `source_id` to `target_id`.
    Returns the ids of the copies."""
    copies = []
    for stage in STAGES:
        votes, rulings = rules.effective(stage_rows(conn, source_id, stage))
        rows = sorted([*(row for mine in votes.values() for row in mine), *rulings],
                      key=lambda row: row["id"])
        for row in rows:
            cursor = conn.execute(
                "INSERT INTO decisions (record_id, stage, reviewer, decision, reason, note, kind,"
                " created_at, carried_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [target_id, stage, row["reviewer"], row["decision"], row["reason"], row["note"],
                 row["kind"], stamp, row["carried_from"] or row["id"]])
            copies.append(cursor.lastrowid)
    return copies


def undo_carried(conn, copy_ids: list[int], stamp: str) -> int:
    """Undo the copies still in force (an unmerge). Each undo row is in the
    name of the copy's reviewer, so blind screening shows it to them only."""
    undone = 0
    for copy_id in copy_ids:
        if conn.execute("SELECT 1 FROM decisions WHERE undoes = ?", [copy_id]).fetchone():
            continue
        conn.execute(
            "INSERT INTO decisions (record_id, stage, reviewer, decision, kind, undoes, note,"
            " created_at) SELECT record_id, stage, reviewer, 'undo', kind, id,"
            " 'record unmerged', ? FROM decisions WHERE id = ?", [stamp, copy_id])
        undone += 1
    return undone
