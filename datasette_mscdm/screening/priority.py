"""Priority order in a live review (issue 14, phase 2): when a rerank is
due, what the ranker may learn from, where its order is written, seed
includes, and a lead's early stop.

How the order reaches the reviewers. `records.screen_order` is what
next-record selection walks (store.next_record_id, on the queue indexes).
Priority order starts as the protocol's random order (store.ensure_order).
Each rerank then writes a *head*: the HEAD best-ranked records that are not
settled yet, with screen_order values below every earlier head (the head of
rerank g, its mscdm_retrains id, takes -g * 2**32 + place), so the newest ranking comes first,
older heads after it and records never ranked (loaded since) last, at their
random places. Writing the head, not all 100k places, and in parts of
HEAD_PART, keeps each write to a few milliseconds: decisions wait for the
write connection, and a team screens far fewer than HEAD records between
two reranks.

Blind screening. Everything a rerank reads is public while screening is
blind: the settled statuses (`ta_status` included / excluded, full-text
exclusions), a lead's seed includes, the records and the protocol. A vote
on a record still open is never a label, and never takes the record out of
the candidates, so two reviews that differ only in such a vote write the
same head (tests/test_priority_live.py checks it on a real server). A rerank
is due on the same public counts (`due`): settled records since the last
one, time, records loaded, a protocol change, never on an open vote.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..ranking.blind import RecordOutcome, training_labels
from . import rules
from .protocol import Protocol
from .store import ScreeningError, _rows, in_force, matches_digest, now, update_status

if TYPE_CHECKING:
    from ..ranking.stopping import StoppingEstimate

HEAD = 1000
HEAD_PART = 50
HEAD_STEP = 1 << 32
AUTOMATION_REASON = "Stopped screening early (stopping estimate)"

# A record settled at title/abstract by the reviewers or a lead's ruling; a
# lead's bulk exclusion by search and an early stop's exclusions are not
# screening (the ranker does not learn from them; the stopping estimate
# leaves them out of the records screened and of the records to screen).
_NOT_SCREENED_KINDS = (
    "EXISTS (SELECT 1 FROM decisions d WHERE d.record_id = r.id AND d.stage = 'title_abstract'"
    f" AND d.kind IN ('bulk', 'automation') AND d.decision != 'undo' AND {in_force('d')})")
_AUTOMATION_IN_FORCE = (
    "EXISTS (SELECT 1 FROM decisions d WHERE d.record_id = r.id AND d.stage = 'title_abstract'"
    f" AND d.kind = 'automation' AND d.decision != 'undo' AND {in_force('d')})")


# When -------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelState:
    """The public counts a rerank learns from; a change in them is what makes
    the next rerank due."""
    included: int = 0
    excluded: int = 0
    full_text_excluded: int = 0
    seeds: int = 0

    def changes_since(self, other: "LabelState") -> int:
        return sum(abs(a - b) for a, b in zip(asdict(self).values(), asdict(other).values()))

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> "LabelState":
        try:
            return cls(**json.loads(text or "{}"))
        except (TypeError, ValueError):
            return cls()


def label_state(conn) -> LabelState:
    """Counts on the status indexes: cheap enough to check on every page."""
    ta = dict(conn.execute("SELECT ta_status, count(*) FROM records"
                           " WHERE ta_status IN ('included', 'excluded') GROUP BY ta_status"))
    ft = conn.execute("SELECT count(*) FROM records WHERE ft_status = 'excluded'").fetchone()[0]
    seeds = conn.execute("SELECT count(*) FROM mscdm_seed_includes"
                         " WHERE removed_at IS NULL").fetchone()[0]
    return LabelState(ta.get("included", 0), ta.get("excluded", 0), ft, seeds)


def protocol_id(conn) -> int | None:
    return conn.execute("SELECT max(id) FROM mscdm_protocol").fetchone()[0]


def record_extent(conn) -> tuple[int, int]:
    """(highest record id, latest merge log row): both grow when records are
    loaded, merged or unmerged (the merge log is append-only). Two index
    lookups, where counting 100k records takes milliseconds."""
    return (conn.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0],
            conn.execute("SELECT coalesce(max(id), 0) FROM mscdm_merges").fetchone()[0])


def last_retrain(conn) -> dict | None:
    rows = _rows(conn, "SELECT * FROM mscdm_retrains ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def has_priority_tables(conn) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'mscdm_retrains'"
                        ).fetchone()[0] > 0


def due(conn, protocol: Protocol, at: datetime | None = None) -> str | None:
    """Why a rerank is due now (its trigger), or None."""
    if protocol.order != "priority" or not has_priority_tables(conn):
        return None
    last = last_retrain(conn)
    if last is None:
        return "first"
    if last["protocol_id"] != protocol_id(conn):
        return "protocol"
    if record_extent(conn) != (last["max_record_id"], last["merge_log_id"]):
        return "records"
    state, before = label_state(conn), LabelState.from_json(last["label_state"])
    if state.seeds != before.seeds:
        return "seed"  # a lead's deliberate act: ranked on at once
    changes = state.changes_since(before)
    if not changes:
        return None
    if changes >= protocol.priority.retrain_every:
        return "labels"
    at = at or datetime.now(timezone.utc)
    elapsed = (at - datetime.fromisoformat(last["at"])).total_seconds()
    return "time" if elapsed >= protocol.priority.retrain_seconds else None


# What -------------------------------------------------------------------------

@dataclass
class RerankInput:
    """Everything a rerank reads, from one snapshot of the database."""
    protocol: Protocol
    protocol_id: int | None
    outcomes: list[RecordOutcome]
    candidates: list[int]          # records the head is chosen from (not settled)
    state: LabelState
    max_record_id: int
    merge_log_id: int
    records: int

    @property
    def criteria_text(self) -> str:
        return "\n".join(c.include for c in self.protocol.criteria if c.include)

    @property
    def criteria_terms(self) -> list[str]:
        return [term for c in self.protocol.criteria for term in c.highlight]


def read_input(conn, protocol: Protocol) -> RerankInput:
    """The labels and candidates (run in one read transaction)."""
    settled = conn.execute(
        "SELECT r.id, r.ta_status, r.ft_status FROM records r"
        f" WHERE r.ta_status IN ('included', 'excluded') AND NOT {_AUTOMATION_IN_FORCE}"
    ).fetchall()
    seeds = {row[0] for row in conn.execute(
        "SELECT s.record_id FROM mscdm_seed_includes s JOIN records r ON r.id = s.record_id"
        " WHERE s.removed_at IS NULL")}
    outcomes = [RecordOutcome(record_id, ta, ft, record_id in seeds)
                for record_id, ta, ft in settled]
    known = {record_id for record_id, _, _ in settled}
    outcomes += [RecordOutcome(record_id, rules.UNSCREENED, None, True)
                 for record_id in sorted(seeds - known)]
    candidates = [row[0] for row in conn.execute(
        "SELECT id FROM records WHERE ta_status NOT IN ('included', 'excluded') ORDER BY id")]
    max_id, merge_log_id = record_extent(conn)
    records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    return RerankInput(protocol, protocol_id(conn), outcomes, candidates, label_state(conn),
                       max_id, merge_log_id, records)


def labels_digest(ids, labels, weights) -> int:
    """A number from the labels alone: seeds the random picks, so they too
    depend on nothing but what is public."""
    text = ",".join(f"{i}:{l}:{w}" for i, l, w in sorted(zip(ids, labels, weights)))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def choose_head(ranking, candidates, share: float, rng_seed, size: int = HEAD) -> tuple[list, int]:
    """The head: the best-ranked candidates, with about `share` of its places
    given to a candidate picked at random (ASReview-style exploration: the
    model also sees records unlike the includes so far). Returns (record ids
    best first, random picks)."""
    wanted = set(candidates)
    ranked = [int(r) for r in ranking if int(r) in wanted]
    size = min(size, len(ranked))
    if not size:
        return [], 0
    import numpy as np  # a rerank's (in its worker), not every command's

    rng = np.random.default_rng(rng_seed)
    explore = rng.random(size) < share
    pool = rng.permutation(np.asarray(sorted(wanted), dtype=np.int64)).tolist()
    head, used, picks = [], set(), 0
    ranked_iter = iter(ranked)
    for place in range(size):
        record = None
        if explore[place]:
            while pool and record is None:
                candidate = pool.pop()
                if candidate not in used:
                    record = candidate
                    picks += 1
        while record is None:
            candidate = next(ranked_iter)
            if candidate not in used:
                record = candidate
        used.add(record)
        head.append(record)
    return head, picks


@dataclass
class RerankPlan:
    """What one rerank decided: the head to write and what to record."""
    trigger: str
    head: list[int]
    random_picks: int
    mode: str
    labels_used: int
    includes_used: int
    seconds: float
    seed: int
    settings: dict
    source: RerankInput


def _still_in_force(conn, plan: RerankPlan, protocol: Protocol) -> bool:
    return protocol.order == "priority" and protocol_id(conn) == plan.source.protocol_id


def record_plan(conn, plan: RerankPlan, protocol: Protocol) -> int | None:
    """Log the rerank (its row's id is the head's generation), unless the
    protocol changed while it ranked (the order may no longer be priority).
    Then write the head with write_head, a part per transaction."""
    if not _still_in_force(conn, plan, protocol):
        return None
    return conn.execute(
        "INSERT INTO mscdm_retrains (at, trigger, mode, labels_used, includes_used, label_state,"
        " protocol_id, max_record_id, merge_log_id, records, head, random_picks, seconds, seed,"
        " settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [now(), plan.trigger, plan.mode, plan.labels_used, plan.includes_used,
         plan.source.state.to_json(), plan.source.protocol_id, plan.source.max_record_id,
         plan.source.merge_log_id, plan.source.records, len(plan.head), plan.random_picks,
         round(plan.seconds, 3), plan.seed, json.dumps(plan.settings, sort_keys=True)]
    ).lastrowid


def head_parts(plan: RerankPlan) -> list[range]:
    """The head's places in parts of HEAD_PART, best first. Each part is one
    short write (a record's row is rewritten: ~65 µs each on a 100k review
    here), so a decision never waits behind the whole head; while the parts
    land, the new head's best places already come first."""
    return [range(start, min(start + HEAD_PART, len(plan.head)))
            for start in range(0, len(plan.head), HEAD_PART)]


def write_head(conn, plan: RerankPlan, protocol: Protocol, generation: int,
               places: range) -> bool:
    """Write these places of the head (screen_order below every earlier
    head); False, writing nothing, when the protocol changed meanwhile."""
    if not _still_in_force(conn, plan, protocol):
        return False
    base = -generation * HEAD_STEP
    conn.executemany("UPDATE records SET screen_order = ? WHERE id = ?",
                     [(base + place, plan.head[place]) for place in places])
    return True


# Seed includes -----------------------------------------------------------------

def seed_ids(conn) -> set[int]:
    return {row[0] for row in conn.execute(
        "SELECT record_id FROM mscdm_seed_includes WHERE removed_at IS NULL")}


def mark_seed(conn, record_ids, lead: str, note: str | None = None) -> int:
    """Mark records as known relevant; returns how many were not marked yet."""
    marked = 0
    existing = seed_ids(conn)
    for record_id in record_ids:
        if conn.execute("SELECT 1 FROM records WHERE id = ?", [record_id]).fetchone() is None:
            raise ScreeningError(f"no record {record_id}", 404)
        if record_id in existing:
            continue
        conn.execute("INSERT INTO mscdm_seed_includes (record_id, marked_by, marked_at, note)"
                     " VALUES (?, ?, ?, ?)", [record_id, lead, now(), note])
        existing.add(record_id)
        marked += 1
    return marked


def unmark_seed(conn, record_ids, lead: str) -> int:
    stamp = now()
    return sum(conn.execute(
        "UPDATE mscdm_seed_includes SET removed_by = ?, removed_at = ?"
        " WHERE record_id = ? AND removed_at IS NULL", [lead, stamp, record_id]).rowcount
        for record_id in record_ids)


def seed_mark(conn, record_id: int) -> dict | None:
    rows = _rows(conn, "SELECT marked_by, marked_at, note FROM mscdm_seed_includes"
                       " WHERE record_id = ? AND removed_at IS NULL", [record_id])
    return rows[0] if rows else None


# Stopping ----------------------------------------------------------------------

def screening_sequence(conn) -> tuple[list[int], int]:
    """(labels of the records screened at title/abstract, in the order each
    was settled: 1 included, 0 excluded; the records to screen in all).

    Screened: settled by the reviewers (every vote in and agreeing) or a
    lead's ruling. Conflicts and maybes wait for a lead, so they count as
    not screened yet (the estimate stays conservative). Records a lead
    excluded in bulk by search, or that an early stop excluded, are neither
    screened nor left to screen."""
    rows = conn.execute(f"""
        SELECT r.ta_status = 'included', max(d.id) AS settled_by
        FROM records r JOIN decisions d ON d.record_id = r.id AND d.stage = 'title_abstract'
        WHERE r.ta_status IN ('included', 'excluded') AND NOT {_NOT_SCREENED_KINDS}
          AND d.decision NOT IN ('undo', 'reopen') AND {in_force('d')}
        GROUP BY r.id ORDER BY settled_by""").fetchall()
    not_screened = conn.execute(
        f"SELECT count(*) FROM records r WHERE r.ta_status = 'excluded'"
        f" AND {_NOT_SCREENED_KINDS}").fetchone()[0]
    total = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    return [int(row[0]) for row in rows], total - not_screened


def estimate(conn, protocol: Protocol) -> StoppingEstimate | None:
    # SciPy is imported where an estimate is made (the dashboard, a stop),
    # not by every command that imports the plugin.
    from ..ranking.stopping import stopping_estimate

    labels, records = screening_sequence(conn)
    if not labels:
        return None
    return stopping_estimate(labels, records, protocol.priority.recall_target,
                             protocol.priority.confidence)


def unscreened_ids(conn) -> list[int]:
    """Records nobody has voted on at title/abstract (no vote, no ruling in
    force): what an early stop excludes. Records with a vote in stay with
    the reviewers: a person's include is never overruled by a stop."""
    return [row[0] for row in conn.execute(
        "SELECT id FROM records WHERE ta_status = 'unscreened' ORDER BY id")]


def current_stop(conn) -> dict | None:
    """The stop in force (the latest action is a stop), or None."""
    rows = _rows(conn, "SELECT * FROM mscdm_stops ORDER BY id DESC LIMIT 1")
    if not rows or rows[0]["action"] != "stop":
        return None
    return dict(rows[0], estimate=json.loads(rows[0]["estimate"] or "null"))


def last_stop_action(conn) -> int:
    """Id of the latest stop or resume (0: none yet): a stop form carries it,
    so a form shown before a stop and a resume (a browser resubmitting it)
    cannot stop screening again."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM mscdm_stops").fetchone()[0]


def stop_screening(conn, protocol: Protocol, lead, reason: str,
                   expected: int | None = None, expected_records: str | None = None,
                   after_action: int | None = None) -> int:
    """A lead's early stop: every record nobody has voted on at
    title/abstract gets an 'automation' exclusion (PRISMA: marked as
    ineligible by automation tools), in one transaction. What the lead
    confirmed is checked when given: `expected` the number of records,
    `expected_records` their fingerprint (store.matches_digest: the same
    records, not just as many), `after_action` the latest stop or resume
    when the form was shown. Returns how many records were excluded."""
    if not lead.is_lead:
        raise ScreeningError("only a lead stops screening", 403)
    reason = (reason or "").strip()
    if not reason:
        raise ScreeningError("say why screening stops (the reason is reported with PRISMA)")
    if current_stop(conn):
        raise ScreeningError("screening is already stopped: resume it first", 409)
    ids = unscreened_ids(conn)
    waiting_seeds = seed_ids(conn) & set(ids)
    if waiting_seeds:
        raise ScreeningError(f"{len(waiting_seeds)} records a lead marked as known relevant are"
                             " not screened yet: screen them before stopping (SAFE: every key"
                             " paper found first)", 409)
    if not ids:
        raise ScreeningError("no record is left unscreened: there is nothing to stop", 409)
    if after_action is not None and after_action != last_stop_action(conn):
        raise ScreeningError("screening was stopped or resumed since this page was shown:"
                             " look at the estimate again", 409)
    if expected is not None and expected != len(ids):
        raise ScreeningError(f"{len(ids)} records are unscreened now, not {expected}:"
                             " look at the estimate again", 409)
    if expected_records is not None and expected_records != matches_digest(ids):
        raise ScreeningError("the unscreened records changed since this page was shown (as many,"
                             " but not the same): look at the estimate again", 409)
    # The estimate the stop was taken on, computed here, in the same
    # transaction: what the report cites is what the database held.
    taken_on = estimate(conn, protocol)
    stamp = now()
    conn.executemany(
        "INSERT INTO decisions (record_id, stage, reviewer, decision, reason, note, kind,"
        " created_at) VALUES (?, 'title_abstract', ?, 'exclude', ?, ?, 'automation', ?)",
        [(record_id, lead.name, AUTOMATION_REASON, reason, stamp) for record_id in ids])
    # What update_status works out for a record whose only decision in force
    # is this ruling (rules.stage_status), set in one statement: a stop at
    # 100k records must not hold the write connection for minutes.
    # tests/test_priority_live.py recomputes every record to check it.
    conn.execute("UPDATE records SET ta_status = 'excluded', ft_status = NULL,"
                 " screening_status = 'excluded', exclusion_reason = ?"
                 " WHERE ta_status = 'unscreened'", [AUTOMATION_REASON])
    conn.execute("INSERT INTO mscdm_stops (action, stage, by, at, reason, estimate, records)"
                 " VALUES ('stop', 'title_abstract', ?, ?, ?, ?, ?)",
                 [lead.name, stamp, reason,
                  json.dumps(taken_on.as_dict() if taken_on else None), len(ids)])
    return len(ids)


def resume_screening(conn, protocol: Protocol, lead, reason: str | None = None) -> int:
    """Undo the stop in force: each of its exclusions gets an undo row, so
    the records are unscreened again. Returns how many."""
    if not lead.is_lead:
        raise ScreeningError("only a lead resumes screening", 403)
    if not current_stop(conn):
        raise ScreeningError("screening is not stopped", 409)
    rows = conn.execute(
        "SELECT d.id, d.record_id FROM decisions d WHERE d.kind = 'automation'"
        f" AND d.decision = 'exclude' AND {in_force('d')} ORDER BY d.id").fetchall()
    stamp = now()
    conn.executemany(
        "INSERT INTO decisions (record_id, stage, reviewer, decision, kind, undoes, created_at)"
        " VALUES (?, 'title_abstract', ?, 'undo', 'automation', ?, ?)",
        [(record_id, lead.name, decision_id, stamp) for decision_id, record_id in rows])
    for _, record_id in rows:
        update_status(conn, protocol, record_id)
    conn.execute("INSERT INTO mscdm_stops (action, stage, by, at, reason, records)"
                 " VALUES ('resume', 'title_abstract', ?, ?, ?, ?)",
                 [lead.name, stamp, (reason or "").strip() or None, len(rows)])
    return len(rows)


# SAFE's heuristics (Boetje & van de Schoot 2024), checked for the dashboard
# beside the statistical estimate: README "Stopping signal".
SAFE_SHARE = 0.10
SAFE_RUN = 50


def stopping_data(conn, protocol: Protocol) -> dict:
    """The dashboard's stopping section: the estimate, SAFE's checks, the
    stop in force and the latest rerank."""
    has_tables = has_priority_tables(conn)
    found = estimate(conn, protocol) if has_tables else None
    seeds = seed_ids(conn) if has_tables else set()
    unscreened = unscreened_ids(conn)
    waiting_seeds = len(seeds & set(unscreened))
    safe = []
    if found is not None:
        safe = [
            {"check": f"at least {SAFE_SHARE:.0%} of the records screened",
             "met": found.screened >= SAFE_SHARE * found.records},
            {"check": f"the last {SAFE_RUN} records screened in a row were excluded",
             "met": found.screened_since_last_include >= SAFE_RUN},
            {"check": "every record marked as known relevant is screened"
                      + ("" if seeds else " (none is marked)"),
             "met": bool(seeds) and waiting_seeds == 0},
        ]
    return {
        "available": has_tables,
        "estimate": found.as_dict() if found else None,
        "safe": safe,
        "unscreened": len(unscreened),
        "unscreened_digest": matches_digest(unscreened),
        "last_action": last_stop_action(conn) if has_tables else 0,
        "waiting_seeds": waiting_seeds,
        "seeds": len(seeds),
        "stop": current_stop(conn) if has_tables else None,
        "last_retrain": last_retrain(conn) if has_tables else None,
        "retrains": conn.execute("SELECT count(*) FROM mscdm_retrains").fetchone()[0]
        if has_tables else 0,
        "order": protocol.order,
    }
