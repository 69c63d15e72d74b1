"""SQL of screening, on a plain sqlite3 connection. The CLI calls these
directly; the plugin runs the writes on Datasette's write connection
(`execute_write_fn`, one transaction each) and the reads through
`execute_fn`."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import rules
from .passwords import dummy_hash, hash_password, verify_password
from .protocol import Protocol, parse_protocol

ROLES = ("reviewer", "lead")
STATUS_COLUMN = {"title_abstract": "ta_status", "full_text": "ft_status"}
QUEUE_INDEX = {"title_abstract": "records_ta_queue", "full_text": "records_ft_queue"}


class ScreeningError(Exception):
    """A decision or change that cannot be recorded; `status` is the HTTP
    status a page answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def now_precise() -> str:
    """For orderings within a second (skips)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _rows(conn, sql, params=()) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# Reviewers -----------------------------------------------------------------

@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str
    # Bumped by a password change, a role change, a removal or a re-add: a
    # login cookie carries the version it was issued under and stops
    # working once the two differ.
    session_version: int = 1

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


REVIEWER_COLUMNS = "name, role, session_version"


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(ch.isspace() and ch != " " for ch in name):
        raise ScreeningError("a reviewer name is 1-100 characters on one line")
    return name


def add_reviewer(conn, name: str, role: str, password: str) -> None:
    name = _check_name(name)
    if role not in ROLES:
        raise ScreeningError(f"role must be one of {', '.join(ROLES)}")
    hashed = hash_password(password)
    existing = conn.execute("SELECT removed_at FROM mscdm_reviewers WHERE name = ?",
                            [name]).fetchone()
    with conn:
        if existing is None:
            conn.execute("INSERT INTO mscdm_reviewers (name, role, password_hash, created_at)"
                         " VALUES (?, ?, ?, ?)", [name, role, hashed, now()])
        elif existing[0] is not None:
            # A removed reviewer comes back under the same name: their past
            # decisions are theirs again. Sessions from before the removal
            # stay ended.
            conn.execute("UPDATE mscdm_reviewers SET role = ?, password_hash = ?,"
                         " removed_at = NULL, session_version = session_version + 1"
                         " WHERE name = ?", [role, hashed, name])
        else:
            raise ScreeningError(f"reviewer {name!r} already exists")


def list_reviewers(conn) -> list[dict]:
    return _rows(conn, """
        SELECT r.name, r.role, r.created_at, r.removed_at,
               (SELECT count(*) FROM decisions d WHERE d.reviewer = r.name
                AND d.carried_from IS NULL) AS decisions
        FROM mscdm_reviewers r ORDER BY r.removed_at IS NOT NULL, r.name""")


def _change_active(conn, name: str, assignment: str, params: list) -> None:
    """Change an active reviewer and end their sessions, or 404."""
    with conn:
        changed = conn.execute(
            f"UPDATE mscdm_reviewers SET {assignment}, session_version = session_version + 1"
            " WHERE name = ? AND removed_at IS NULL", [*params, name]).rowcount
        end_sessions(conn, name)
    if not changed:
        raise ScreeningError(f"no active reviewer called {name!r}", 404)


# Sessions ----------------------------------------------------------------------

SESSION_SECONDS = 12 * 3600


def start_session(conn, reviewer: Reviewer, at: float) -> str:
    """A new login of this reviewer: the id the cookie carries."""
    conn.execute("DELETE FROM mscdm_sessions WHERE expires_at < ?", [at])
    session_id = secrets.token_urlsafe(24)
    conn.execute("INSERT INTO mscdm_sessions (id, reviewer, created_at, expires_at)"
                 " VALUES (?, ?, ?, ?)", [session_id, reviewer.name, now(), at + SESSION_SECONDS])
    return session_id


def end_session(conn, session_id: str) -> None:
    conn.execute("DELETE FROM mscdm_sessions WHERE id = ?", [session_id])


def end_sessions(conn, name: str) -> None:
    conn.execute("DELETE FROM mscdm_sessions WHERE reviewer = ?", [name])


def session_reviewer(conn, name: str, version: int, session_id: str) -> Reviewer | None:
    """The reviewer a login cookie stands for, if that login is still open:
    the reviewer active, their session version unchanged, and the session
    row there (not logged out, not expired)."""
    row = conn.execute(
        f"SELECT {', '.join('r.' + c.strip() for c in REVIEWER_COLUMNS.split(','))}"
        " FROM mscdm_reviewers r JOIN mscdm_sessions s ON s.reviewer = r.name"
        " WHERE r.name = ? AND r.removed_at IS NULL AND s.id = ? AND s.expires_at > ?",
        [name, session_id, time.time()]).fetchone()
    reviewer = Reviewer(*row) if row else None
    return reviewer if reviewer and reviewer.session_version == version else None


def remove_reviewer(conn, name: str) -> None:
    _change_active(conn, name, "removed_at = ?", [now()])


def set_password(conn, name: str, password: str) -> None:
    """A new password; the reviewer's existing logins end."""
    _change_active(conn, name, "password_hash = ?", [hash_password(password)])


def set_role(conn, name: str, role: str) -> None:
    """A new role; the reviewer's existing logins end (they log in again
    with the new role)."""
    if role not in ROLES:
        raise ScreeningError(f"role must be one of {', '.join(ROLES)}")
    _change_active(conn, name, "role = ?", [role])


def active_reviewer(conn, name: str) -> Reviewer | None:
    row = conn.execute(f"SELECT {REVIEWER_COLUMNS} FROM mscdm_reviewers WHERE name = ?"
                       " AND removed_at IS NULL", [name]).fetchone()
    return Reviewer(*row) if row else None


def acting_reviewer(conn, name: str | None, session_version, session_id,
                    lead: bool = False) -> Reviewer:
    """The reviewer a write acts as, checked on the connection (and in the
    transaction) that makes the write: still active, still in the role the
    action needs, logged in since their last password or role change, and
    that login not ended. Raises ScreeningError 403 otherwise."""
    reviewer = (session_reviewer(conn, name, session_version, session_id)
                if isinstance(name, str) and isinstance(session_id, str) else None)
    if reviewer is None:
        raise ScreeningError("Log in as a reviewer of this review to do this (your login has"
                             " ended, or you are not a reviewer of it).", 403)
    if lead and not reviewer.is_lead:
        raise ScreeningError("Only a lead of this review may do this.", 403)
    return reviewer


def check_login(conn, name: str, password: str) -> Reviewer | None:
    row = conn.execute(f"SELECT {REVIEWER_COLUMNS}, password_hash FROM mscdm_reviewers"
                       " WHERE name = ? AND removed_at IS NULL", [name]).fetchone()
    ok = verify_password(password, row[3] if row else dummy_hash())
    return Reviewer(*row[:3]) if row and ok else None


# Login throttling --------------------------------------------------------------

LOGIN_WINDOW_SECONDS = 600
LOGIN_FAILURES_ALLOWED = 10
# Attempts from one address whose passwords are being checked at once. A
# team behind one proxy logs in together; a guesser's burst stops here.
LOGIN_PENDING_ALLOWED = 25
PENDING_SECONDS = 60  # an attempt still pending after this died with its request


def login_wait(conn, name: str, address: str, at: float) -> int:
    """Seconds until another login may be tried for this name or from this
    address: 0 unless LOGIN_FAILURES_ALLOWED attempts failed, or are being
    checked, for the name, or failed from the address, within the last
    LOGIN_WINDOW_SECONDS; or LOGIN_PENDING_ALLOWED attempts from the address
    are being checked right now."""
    since = at - LOGIN_WINDOW_SECONDS
    live = "(pending = 0 OR failed_at > :recent)"
    checks = ((f"name = :name AND {live}", LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_SECONDS),
              ("address = :address AND pending = 0", LOGIN_FAILURES_ALLOWED,
               LOGIN_WINDOW_SECONDS),
              ("address = :address AND pending = 1 AND failed_at > :recent",
               LOGIN_PENDING_ALLOWED, PENDING_SECONDS))
    params = {"name": name, "address": address, "since": since, "recent": at - PENDING_SECONDS}
    wait = 0
    for where, allowed, window in checks:
        times = [row[0] for row in conn.execute(
            f"SELECT failed_at FROM mscdm_login_failures WHERE {where} AND failed_at > :since"
            f" ORDER BY failed_at DESC LIMIT {allowed}", params)]
        if len(times) >= allowed:
            # Open again when the oldest of the last N leaves the window.
            wait = max(wait, int(times[-1] + window - at) + 1)
    return wait


def record_login_failure(conn, name: str, address: str, at: float,
                         pending: bool = False) -> int:
    conn.execute("DELETE FROM mscdm_login_failures WHERE failed_at < ?", [at - 86400])
    return conn.execute(
        "INSERT INTO mscdm_login_failures (name, address, failed_at, pending)"
        " VALUES (?, ?, ?, ?)", [name[:200], address[:200], at, int(pending)]).lastrowid


def begin_login_attempt(conn, name: str, address: str, at: float) -> tuple[int, int | None]:
    """(seconds to wait, None), or (0, the attempt's id) after counting this
    attempt as pending. One write transaction: attempts made at once cannot
    all pass the check before any of them is counted."""
    wait = login_wait(conn, name, address, at)
    if wait:
        return wait, None
    return 0, record_login_failure(conn, name, address, at, pending=True)


def fail_login_attempt(conn, attempt_id: int) -> None:
    conn.execute("UPDATE mscdm_login_failures SET pending = 0 WHERE id = ?", [attempt_id])


def clear_login_failures(conn, name: str) -> None:
    conn.execute("DELETE FROM mscdm_login_failures WHERE name = ?", [name])


# Protocol ------------------------------------------------------------------

def stored_protocol(conn) -> Protocol | None:
    row = conn.execute("SELECT protocol FROM mscdm_protocol ORDER BY id DESC LIMIT 1").fetchone()
    return parse_protocol(json.loads(row[0])) if row else None


def protocol_history(conn) -> list[dict]:
    return _rows(conn, "SELECT id, protocol, changed_by, changed_at FROM mscdm_protocol"
                       " ORDER BY id DESC")


def save_protocol(conn, protocol: Protocol, changed_by: str) -> None:
    """Store a lead's protocol and bring order and statuses in line with it
    (reviewers per stage, or the stages themselves, may have changed)."""
    conn.execute("INSERT INTO mscdm_protocol (protocol, changed_by, changed_at)"
                 " VALUES (?, ?, ?)", [protocol.to_json(), changed_by, now()])
    ensure_order(conn, protocol)
    for (record_id,) in conn.execute("SELECT DISTINCT record_id FROM decisions").fetchall():
        update_status(conn, protocol, record_id)


# Screening order -------------------------------------------------------------

def _random_key(seed: int, record_id: int) -> int:
    # Stable per record: records loaded later fall into place without
    # reshuffling the ones already ordered.
    digest = hashlib.blake2b(f"{seed}:{record_id}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


def ensure_order(conn, protocol: Protocol) -> None:
    """Fill records.screen_order for the protocol's order, for every record
    when the order changed, else for records loaded since last time."""
    row = conn.execute("SELECT signature, max_record_id FROM mscdm_screen_order").fetchone()
    max_id = conn.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
    signature = protocol.order_signature
    if row and row[0] == signature and row[1] >= max_id:
        return
    after = row[1] if row and row[0] == signature else 0
    if protocol.order in ("random", "priority"):
        # Priority order starts as the random order; each rerank then writes
        # its head in front (screening/priority.py), and records loaded later
        # wait at random places after it until the next rerank ranks them.
        conn.create_function("mscdm_random_key", 2, _random_key, deterministic=True)
        conn.execute("UPDATE records SET screen_order = mscdm_random_key(?, id) WHERE id > ?",
                     [protocol.seed, after])
    else:
        # Year first (records without a year last), then id; newest first
        # for year_desc.
        year = "coalesce(year, 0)" if protocol.order == "year_desc" else "coalesce(year, 9999)"
        sign = -1 if protocol.order == "year_desc" else 1
        conn.execute(f"UPDATE records SET screen_order = {sign} * {year} * 4294967296 + id"
                     " WHERE id > ?", [after])
    conn.execute("INSERT OR REPLACE INTO mscdm_screen_order (id, signature, max_record_id)"
                 " VALUES (1, ?, ?)", [signature, max_id])


def order_is_current(conn, protocol: Protocol) -> bool:
    row = conn.execute("SELECT signature, max_record_id FROM mscdm_screen_order").fetchone()
    max_id = conn.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
    return bool(row) and row[0] == protocol.order_signature and row[1] >= max_id


# Decisions -------------------------------------------------------------------

def in_force(d: str = "d") -> str:
    """SQL: the decision row aliased `d` is in force (not undone, and its
    record's stage not reopened since). rules.standing says the same in Python."""
    return (f"NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = {d}.id)"
            f" AND NOT EXISTS (SELECT 1 FROM decisions o WHERE o.record_id = {d}.record_id"
            f" AND o.stage = {d}.stage AND o.decision = 'reopen' AND o.id > {d}.id)")


# A request id is the client's, and scoped to its reviewer: it is stored as
# "<reviewer>\x1f<client's id>" (a name cannot hold \x1f), so one reviewer's
# retry never returns another reviewer's decision, and nobody can take an id
# another reviewer's page will use. Reads give back the client's part.
REQUEST_SEPARATOR = "\x1f"
def decision_columns(alias: str = "") -> str:
    """The columns of a decision row (of table alias `alias`), the request id
    read back as the client's part."""
    t = f"{alias}." if alias else ""
    return (f"{t}id, {t}record_id, {t}stage, {t}reviewer, {t}decision, {t}reason, {t}note,"
            f" {t}kind, {t}undoes, substr({t}request_id, instr({t}request_id, char(31)) + 1)"
            f" AS request_id, {t}created_at, {t}carried_from")


DECISION_COLUMNS = decision_columns()


def request_key(reviewer: str, request_id: str | None) -> str | None:
    """How a reviewer's request id is stored."""
    return f"{reviewer}{REQUEST_SEPARATOR}{request_id}" if request_id else None


def _earlier_request(conn, reviewer: Reviewer, request_id: str | None, decision: str,
                     record_id: int | None = None, stage: str | None = None) -> dict | None:
    """The decision this reviewer's earlier request with the same id recorded
    (a retry records nothing twice), or None. An id used for a different
    request (another decision, record or stage) is refused: 409."""
    if not request_id:
        return None
    row = conn.execute("SELECT id FROM decisions WHERE request_id = ?",
                       [request_key(reviewer.name, request_id)]).fetchone()
    if row is None:
        return None
    earlier = _decision(conn, row[0])
    same_kind = (earlier["decision"] in ("undo", "reopen")) == (decision in ("undo", "reopen"))
    if not same_kind or (record_id is not None and earlier["record_id"] != record_id) or (
            stage is not None and earlier["stage"] != stage):
        raise ScreeningError(f"request_id {request_id!r} was used for another request of yours:"
                             " send a new one", 409)
    return earlier
# The rows of one record with `origin`: the record a carried vote was made on
# (rules.py), NULL for the record's own decisions.
_WITH_ORIGIN = (decision_columns("d")
                + ", CASE WHEN c.record_id = d.record_id THEN NULL ELSE c.record_id END AS origin"
                " FROM decisions d LEFT JOIN decisions c ON c.id = d.carried_from")


def stage_rows(conn, record_id: int, stage: str) -> list[dict]:
    return _rows(conn, f"SELECT {_WITH_ORIGIN} WHERE d.record_id = ? AND d.stage = ?"
                       " ORDER BY d.id", [record_id, stage])


def record_statuses(conn, record_id: int) -> dict | None:
    rows = _rows(conn, "SELECT id, ta_status, ft_status, screening_status, exclusion_reason"
                       " FROM records WHERE id = ?", [record_id])
    return rows[0] if rows else None


def update_status(conn, protocol: Protocol, record_id: int) -> dict:
    """Recompute the status columns of one record from its decisions."""
    ta, ta_reason = rules.stage_status(stage_rows(conn, record_id, "title_abstract"),
                                       protocol.stage("title_abstract").reviewers)
    ft, ft_reason = None, None
    has_full_text = protocol.has_stage("full_text")
    if ta == rules.INCLUDED and has_full_text:
        ft, ft_reason = rules.stage_status(stage_rows(conn, record_id, "full_text"),
                                           protocol.stage("full_text").reviewers)
    final = rules.final_status(ta, ft, has_full_text)
    reason = ta_reason if ta == rules.EXCLUDED else ft_reason if ft == rules.EXCLUDED else None
    conn.execute("UPDATE records SET ta_status = ?, ft_status = ?, screening_status = ?,"
                 " exclusion_reason = ? WHERE id = ?", [ta, ft, final, reason, record_id])
    return {"id": record_id, "ta_status": ta, "ft_status": ft, "screening_status": final,
            "exclusion_reason": reason}


def _decision(conn, decision_id: int) -> dict:
    return _rows(conn, f"SELECT {DECISION_COLUMNS} FROM decisions WHERE id = ?",
                 [decision_id])[0]


def decision_row(conn, decision_id: int) -> dict | None:
    rows = _rows(conn, f"SELECT {DECISION_COLUMNS} FROM decisions WHERE id = ?", [decision_id])
    return rows[0] if rows else None


def _validate(conn, protocol: Protocol, reviewer: Reviewer, record_id: int, stage: str,
              decision: str, reason: str | None, kind: str) -> dict:
    statuses = record_statuses(conn, record_id)
    if statuses is None:
        raise ScreeningError(f"no record {record_id}", 404)
    if not protocol.has_stage(stage):
        raise ScreeningError(f"this review has no {stage!r} stage")
    config = protocol.stage(stage)
    allowed = ("include", "exclude", "maybe") + (("not_retrieved",) if stage == "full_text"
                                                 else ())
    if kind == "resolution":
        # A lead's maybe at title/abstract sends the record on to full text.
        allowed = ("include", "exclude") + (("maybe",) if stage == "title_abstract" else ())
    elif kind != "screen":
        allowed = ("include", "exclude")
    if decision not in allowed:
        raise ScreeningError(f"decision must be one of {', '.join(allowed)}")
    if stage == "full_text" and statuses["ta_status"] != rules.INCLUDED:
        raise ScreeningError(f"record {record_id} is not in the full-text stage "
                             f"(title/abstract: {statuses['ta_status']})", 409)
    if decision == "exclude":
        if reason and config.reasons and reason not in config.reasons:
            raise ScreeningError(f"reason must be one of the protocol's {config.label} reasons")
        if not reason and (config.require_reason or kind != "screen" and config.reasons):
            # A lead's exclusion always gives one of the reasons: PRISMA reports them.
            raise ScreeningError(f"a reason is required to exclude at {config.label}")
    if reviewer.role != "lead" and kind != "screen":
        raise ScreeningError("only a lead resolves conflicts or excludes in bulk", 403)
    return statuses


def vote_locked(conn, protocol: Protocol, reviewer: str, record_id: int,
                stage: str) -> str | None:
    """Why `reviewer` may not vote on this stage of this record, or None."""
    statuses = record_statuses(conn, record_id)
    if statuses is None or statuses[STATUS_COLUMN[stage]] is None:
        return "the record is not in this stage"
    return rules.locked(stage_rows(conn, record_id, stage), protocol.stage(stage).reviewers,
                        reviewer)


def _refuse_if_locked(conn, protocol: Protocol, reviewer: Reviewer, record_id: int,
                      stage: str, changing: str = "vote on") -> None:
    """409 when the stage's votes are locked (rules.locked) for this reviewer."""
    why = rules.locked(stage_rows(conn, record_id, stage), protocol.stage(stage).reviewers,
                       reviewer.name)
    if why:
        raise ScreeningError(
            f"You cannot {changing} record {record_id} at {protocol.stage(stage).label} any "
            f"more: {why}, so its votes are locked. A lead resolves it or reopens it.", 409)


def record_decision(conn, protocol: Protocol, reviewer: Reviewer, record_id: int, stage: str,
                    decision: str, reason: str | None = None, note: str | None = None,
                    kind: str = "screen", request_id: str | None = None) -> dict:
    """Append one decision and update the record's statuses; returns both.
    Run inside one transaction. A request_id seen before records nothing and
    returns the decision it recorded then."""
    earlier = _earlier_request(conn, reviewer, request_id, decision, record_id, stage)
    if earlier:
        return {"decision": earlier, "status": record_statuses(conn, earlier["record_id"]),
                "repeated": True}
    reason = (reason or "").strip() or None
    note = (note or "").strip() or None
    if decision != "exclude":
        reason = None
    statuses = _validate(conn, protocol, reviewer, record_id, stage, decision, reason, kind)
    status_now = statuses[STATUS_COLUMN[stage]]
    if kind == "screen":
        _refuse_if_locked(conn, protocol, reviewer, record_id, stage)
    if kind == "resolution" and status_now not in rules.NEEDS_LEAD:
        raise ScreeningError(f"record {record_id} has no conflict or maybe to resolve at this "
                             f"stage (status: {status_now})", 409)
    cursor = conn.execute(
        "INSERT INTO decisions (record_id, stage, reviewer, decision, reason, note, kind,"
        " request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [record_id, stage, reviewer.name, decision, reason, note, kind,
         request_key(reviewer.name, request_id), now()])
    for table in ("mscdm_claims", "mscdm_skips"):
        conn.execute(f"DELETE FROM {table} WHERE record_id = ? AND stage = ? AND reviewer = ?",
                     [record_id, stage, reviewer.name])
    return {"decision": _decision(conn, cursor.lastrowid),
            "status": update_status(conn, protocol, record_id), "repeated": False}


def undo_last(conn, protocol: Protocol, reviewer: Reviewer, stage: str,
              request_id: str | None = None) -> dict:
    """Undo this reviewer's latest decision in force at this stage, by
    appending an undo row. Returns the undone decision and new statuses."""
    earlier = _earlier_request(conn, reviewer, request_id, "undo", stage=stage)
    if earlier:
        return {"undone": _decision(conn, earlier["undoes"]), "undo": earlier,
                "status": record_statuses(conn, earlier["record_id"]), "repeated": True}
    row = conn.execute(
        "SELECT d.id, d.record_id, d.kind FROM decisions d WHERE d.reviewer = ? AND d.stage = ?"
        # Their own decisions on records of the review: a vote carried from a
        # merged record was not made just now, and the original stays with
        # the record merged away (a lead undoes both by unmerging).
        " AND d.carried_from IS NULL AND EXISTS (SELECT 1 FROM records r WHERE r.id = d.record_id)"
        f" AND d.decision NOT IN ('undo', 'reopen') AND d.kind != 'automation'"
        f" AND {in_force('d')} ORDER BY d.id DESC LIMIT 1", [reviewer.name, stage]).fetchone()
    if row is None:
        raise ScreeningError("nothing of yours to undo at this stage", 409)
    target, record_id, kind = row
    if kind == "screen":
        _refuse_if_locked(conn, protocol, reviewer, record_id, stage, changing="undo your vote on")
    cursor = conn.execute(
        "INSERT INTO decisions (record_id, stage, reviewer, decision, kind, undoes, request_id,"
        " created_at) SELECT record_id, stage, reviewer, 'undo', kind, id, ?, ? FROM decisions"
        " WHERE id = ?", [request_key(reviewer.name, request_id), now(), target])
    return {"undone": _decision(conn, target), "undo": _decision(conn, cursor.lastrowid),
            "status": update_status(conn, protocol, record_id), "repeated": False}


def reopen_stage(conn, protocol: Protocol, lead: Reviewer, record_id: int, stage: str,
                 note: str | None = None, request_id: str | None = None) -> dict:
    """A lead starts a settled stage of a record afresh: the votes and
    rulings so far stay in the history but stop counting, and the record
    goes back to the reviewers' queues."""
    earlier = _earlier_request(conn, lead, request_id, "reopen", record_id, stage)
    if earlier:
        return {"decision": earlier, "status": record_statuses(conn, earlier["record_id"]),
                "repeated": True}
    if not lead.is_lead:
        raise ScreeningError("only a lead reopens a record", 403)
    statuses = record_statuses(conn, record_id)
    if statuses is None:
        raise ScreeningError(f"no record {record_id}", 404)
    if not protocol.has_stage(stage):
        raise ScreeningError(f"this review has no {stage!r} stage")
    status_now = statuses[STATUS_COLUMN[stage]]
    if status_now is None or status_now in rules.OPEN:
        raise ScreeningError(f"record {record_id} is still open at "
                             f"{protocol.stage(stage).label} ({status_now or 'not in it'}):"
                             " there is nothing to reopen", 409)
    if stage == "title_abstract" and rules.standing(stage_rows(conn, record_id, "full_text")):
        raise ScreeningError(f"record {record_id} has full-text decisions in force: reopen its"
                             " full text first", 409)
    cursor = conn.execute(
        "INSERT INTO decisions (record_id, stage, reviewer, decision, note, kind, request_id,"
        " created_at) VALUES (?, ?, ?, 'reopen', ?, 'resolution', ?, ?)",
        [record_id, stage, lead.name, (note or "").strip() or None,
         request_key(lead.name, request_id), now()])
    return {"decision": _decision(conn, cursor.lastrowid),
            "status": update_status(conn, protocol, record_id), "repeated": False}


def matches_digest(ids) -> str:
    """A short fingerprint of a set of record ids: what a lead previewed is
    what gets excluded, not just as many records."""
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]


def _bulk_matches(conn, query: str, stage: str, status: str = rules.UNSCREENED) -> list[int]:
    """Records matching the search at this stage with this status. Bulk
    exclusion takes only records nobody has voted on: a reviewer's vote on
    an open record is not overruled by a search."""
    return [r[0] for r in conn.execute(
        f"SELECT r.id FROM records r JOIN records_fts f ON f.rowid = r.id"
        f" WHERE records_fts MATCH ? AND r.{STATUS_COLUMN[stage]} = ? ORDER BY r.id",
        [query, status]).fetchall()]


def bulk_exclude(conn, protocol: Protocol, lead: Reviewer, query: str, stage: str,
                 reason: str | None, note: str | None, expected: int | None = None,
                 digest: str | None = None) -> int:
    """Exclude every record matching the full-text query that nobody has
    voted on at this stage yet, one bulk decision each (records a reviewer
    voted on are left to the reviewers). Returns how many. With `expected`
    (the number the lead confirmed) and `digest` (matches_digest of the
    records previewed), refuses when the matches changed since."""
    ids = _bulk_matches(conn, query, stage)
    config = protocol.stage(stage)
    if not reason and config.reasons:
        raise ScreeningError("a reason is required to exclude in bulk")
    if (expected is not None and expected != len(ids)) or (
            digest is not None and digest != matches_digest(ids)):
        raise ScreeningError(f"the records that match changed since you previewed them"
                             f" ({len(ids)} unscreened records match now): preview again", 409)
    for record_id in ids:
        record_decision(conn, protocol, lead, record_id, stage, "exclude", reason, note,
                        kind="bulk")
    return len(ids)


# Around the words a search matched, in a record's title or abstract
# (FTS5's snippet()); the route escapes the text and marks these spans.
MATCH_START, MATCH_END = "\x02", "\x03"


def bulk_preview(conn, query: str, stage: str, limit: int = 50, offset: int = 0) -> dict:
    """The records a full-text search matches that nobody has voted on at
    this stage: how many, their fingerprint (matches_digest), one page of
    them with the words that matched; and how many more match that already
    have a reviewer's vote (left alone)."""
    ids = _bulk_matches(conn, query, stage)
    page = ids[offset:offset + limit]
    column = STATUS_COLUMN[stage]
    rows = _rows(conn, f"SELECT r.id, r.title, r.year, r.journal, r.first_author,"
                       f" r.{column} AS status, snippet(records_fts, -1, ?, ?, '…', 16) AS matched"
                       f" FROM records r JOIN records_fts ON records_fts.rowid = r.id"
                       f" WHERE records_fts MATCH ? AND r.id IN ({', '.join('?' * len(page))})"
                       " ORDER BY r.id", [MATCH_START, MATCH_END, query, *page]) if page else []
    voted = len(_bulk_matches(conn, query, stage, rules.AWAITING))
    return {"count": len(ids), "digest": matches_digest(ids), "rows": rows,
            "voted": voted}


# Reading ---------------------------------------------------------------------

CLAIM_MINUTES = 10
# A record someone voted on this recently is offered to others only when
# nothing else is left: its voter has this long to take the vote back before
# a partner's vote locks it.
UNDO_GRACE_MINUTES = 2

_MY_VOTE = ("EXISTS (SELECT 1 FROM decisions d WHERE d.reviewer = :reviewer AND d.stage = :stage"
            " AND d.record_id = r.id AND d.kind = 'screen' AND d.decision != 'undo'"
            f" AND {in_force('d')})")


def _grace_cutoff() -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=UNDO_GRACE_MINUTES)).isoformat(
        timespec="seconds")


def _claim_cutoff() -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=CLAIM_MINUTES)).isoformat(
        timespec="seconds")


_NOT_SKIPPED = ("NOT EXISTS (SELECT 1 FROM mscdm_skips s WHERE s.record_id = r.id"
                " AND s.stage = :stage AND s.reviewer = :reviewer)")


def next_record_id(conn, reviewer: str, stage: str, required: int = 2) -> int | None:
    """The next record in screening order still open at this stage that this
    reviewer has no vote in force on (undone votes do not count, so an
    undone record comes back).

    Records other reviewers are holding (see claim_next) are passed over
    while their votes plus those claims already make up the votes the record
    needs, and so, at first, are records someone voted on in the last
    UNDO_GRACE_MINUTES (their voter may still undo: a second vote would lock
    it); if every open record is held, the first one is offered anyway: a
    spare vote is better than an idle reviewer. Records this reviewer
    skipped come last, the earliest skipped first."""
    column = STATUS_COLUMN[stage]
    base = (f"SELECT r.id FROM records r INDEXED BY {QUEUE_INDEX[stage]}"
            f" WHERE r.{column} IN ('unscreened', 'awaiting second reviewer')"
            f" AND NOT {_MY_VOTE}")
    params = {"reviewer": reviewer, "stage": stage, "required": required,
              "cutoff": _claim_cutoff(), "grace": _grace_cutoff()}
    held_enough = (f"(r.{column} = 'awaiting second reviewer')"
                   " + (SELECT count(*) FROM mscdm_claims c WHERE c.record_id = r.id"
                   " AND c.stage = :stage AND c.reviewer != :reviewer"
                   " AND c.claimed_at > :cutoff) < :required")
    # A vote since withdrawn has nothing left to undo, and must not move the
    # record for others: its status is unscreened again, and a later place
    # would tell them that someone voted and took it back (blind).
    just_voted = ("EXISTS (SELECT 1 FROM decisions v WHERE v.record_id = r.id"
                  " AND v.stage = :stage AND v.kind = 'screen' AND v.decision != 'undo'"
                  " AND v.created_at > :grace"
                  " AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = v.id))")
    row = conn.execute(
        base + f" AND {_NOT_SKIPPED} AND {held_enough} AND NOT {just_voted}"
        " ORDER BY r.screen_order, r.id LIMIT 1", params).fetchone()
    if row is None:
        row = conn.execute(base + f" AND {_NOT_SKIPPED} AND {held_enough}"
                           " ORDER BY r.screen_order, r.id LIMIT 1", params).fetchone()
    if row is None:
        row = conn.execute(base + f" AND {_NOT_SKIPPED} ORDER BY r.screen_order, r.id LIMIT 1",
                           params).fetchone()
    if row is None:
        row = conn.execute(
            f"SELECT r.id FROM mscdm_skips s JOIN records r ON r.id = s.record_id"
            f" WHERE s.reviewer = :reviewer AND s.stage = :stage"
            f" AND r.{column} IN ('unscreened', 'awaiting second reviewer') AND NOT {_MY_VOTE}"
            " ORDER BY s.skipped_at, r.screen_order LIMIT 1", params).fetchone()
    return row[0] if row else None


def skip_record(conn, protocol: Protocol, reviewer: Reviewer, record_id: int,
                stage: str) -> dict:
    """Put a record off for later: it leaves this reviewer's hold (teammates
    may take it) and comes back after the records they have not skipped.
    Returns the next record for them."""
    statuses = record_statuses(conn, record_id)
    if statuses is None:
        raise ScreeningError(f"no record {record_id}", 404)
    if statuses[STATUS_COLUMN[stage]] not in rules.OPEN:
        raise ScreeningError(f"record {record_id} is not open at {protocol.stage(stage).label}"
                             f" ({statuses[STATUS_COLUMN[stage]] or 'not in it'})", 409)
    conn.execute("INSERT OR REPLACE INTO mscdm_skips (record_id, stage, reviewer, skipped_at)"
                 " VALUES (?, ?, ?, ?)", [record_id, stage, reviewer.name, now_precise()])
    conn.execute("DELETE FROM mscdm_claims WHERE record_id = ? AND stage = ? AND reviewer = ?",
                 [record_id, stage, reviewer.name])
    return {"skipped": record_id, "next_record": record_summary(conn, claim_next(
        conn, reviewer.name, stage, protocol.stage(stage).reviewers))}


def claim_next(conn, reviewer: str, stage: str, required: int = 2) -> int | None:
    """This reviewer's next record, held for them for CLAIM_MINUTES so that
    teammates are offered other records meanwhile. A record they hold and
    have not decided yet (a reload, a second tab) is offered again first.
    Runs on the write connection."""
    params = {"reviewer": reviewer, "stage": stage, "cutoff": _claim_cutoff()}
    column = STATUS_COLUMN[stage]
    held = conn.execute(
        f"SELECT c.record_id FROM mscdm_claims c JOIN records r ON r.id = c.record_id"
        f" WHERE c.reviewer = :reviewer AND c.stage = :stage AND c.claimed_at > :cutoff"
        f" AND r.{column} IN ('unscreened', 'awaiting second reviewer') AND NOT {_MY_VOTE}"
        f" ORDER BY c.claimed_at DESC LIMIT 1", params).fetchone()
    record_id = held[0] if held else next_record_id(conn, reviewer, stage, required)
    # One record held per reviewer and stage: a new claim replaces the old.
    conn.execute("DELETE FROM mscdm_claims WHERE reviewer = ? AND stage = ?", [reviewer, stage])
    if record_id is not None:
        conn.execute("INSERT OR REPLACE INTO mscdm_claims (record_id, stage, reviewer,"
                     " claimed_at) VALUES (?, ?, ?, ?)", [record_id, stage, reviewer, now()])
    return record_id


SUMMARY_COLUMNS = ("id", "title", "abstract", "authors", "year", "journal", "doi", "pmid",
                   "ta_status", "ft_status", "screening_status")


def record_summary(conn, record_id: int | None) -> dict | None:
    """What a script needs to decide on a record (authors as a list)."""
    if record_id is None:
        return None
    rows = _rows(conn, f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM records WHERE id = ?",
                 [record_id])
    if not rows:
        return None
    rows[0]["authors"] = json.loads(rows[0]["authors"] or "[]")
    return rows[0]


def decide_and_next(conn, protocol: Protocol, reviewer: Reviewer, record_id: int, stage: str,
                    decision: str, **options) -> dict:
    """Record a decision, then find this reviewer's next record, in the same
    visit to the write connection (the round trip a screener waits for)."""
    result = record_decision(conn, protocol, reviewer, record_id, stage, decision, **options)
    result["next_record"] = record_summary(conn, claim_next(
        conn, reviewer.name, stage, protocol.stage(stage).reviewers))
    return result


def my_vote(conn, reviewer: str, record_id: int, stage: str) -> dict | None:
    # From every row of the stage: a lead's reopening (not the reviewer's
    # row) is what ends the votes before it.
    return rules.votes(stage_rows(conn, record_id, stage)).get(reviewer)


def progress(conn, reviewer: str | None, stage: str) -> dict:
    """Done and remaining, for this reviewer and for the team, at one stage."""
    column = STATUS_COLUMN[stage]
    counts = dict(conn.execute(f"SELECT {column}, count(*) FROM records"
                               f" WHERE {column} IS NOT NULL GROUP BY {column}").fetchall())
    in_stage = sum(counts.values())
    team_open = sum(counts.get(status, 0) for status in rules.OPEN)
    result = {"stage": stage, "in_stage": in_stage, "team_done": in_stage - team_open,
              "team_open": team_open, "counts": counts}
    if reviewer:
        mine = conn.execute(
            f"SELECT count(DISTINCT d.record_id), sum(r.{column} IN ('unscreened',"
            " 'awaiting second reviewer')) FROM decisions d JOIN records r ON r.id = d.record_id"
            " WHERE d.reviewer = ? AND d.stage = ? AND d.kind = 'screen'"
            f" AND d.decision != 'undo' AND {in_force('d')}",
            [reviewer, stage]).fetchone()
        result["my_done"] = mine[0]
        # Open records I have not voted on yet (one vote of mine per record).
        open_mine = conn.execute(
            f"SELECT count(DISTINCT d.record_id) FROM decisions d JOIN records r"
            f" ON r.id = d.record_id WHERE d.reviewer = ? AND d.stage = ? AND d.kind = 'screen'"
            f" AND d.decision != 'undo' AND r.{column} IN ('unscreened',"
            f" 'awaiting second reviewer') AND {in_force('d')}",
            [reviewer, stage]).fetchone()[0]
        result["my_remaining"] = team_open - open_mine
    return result


def _my_vote_filter(stage_only: bool = True) -> str:
    """SQL: `d` is :reviewer's vote in force on its record (their latest
    standing screening decision there)."""
    return (f"d.reviewer = :reviewer {'AND d.stage = :stage' if stage_only else ''}"
            f" AND d.kind = 'screen' AND d.decision NOT IN ('undo', 'reopen') AND {in_force('d')}"
            " AND NOT EXISTS (SELECT 1 FROM decisions l WHERE l.reviewer = d.reviewer"
            " AND l.record_id = d.record_id AND l.stage = d.stage AND l.kind = 'screen'"
            f" AND l.decision NOT IN ('undo', 'reopen') AND l.id > d.id AND {in_force('l')})")


def my_votes(conn, reviewer: str) -> dict[tuple[int, str], str]:
    """{(record id, stage): decision} of this reviewer's votes in force."""
    return {(record_id, stage): decision for record_id, stage, decision in conn.execute(
        f"SELECT d.record_id, d.stage, d.decision FROM decisions d"
        f" WHERE {_my_vote_filter(stage_only=False)}", {"reviewer": reviewer})}


def my_decisions(conn, reviewer: str, stage: str, decision: str | None = None,
                 with_note: bool = False, search: str | None = None, limit: int = 50,
                 offset: int = 0) -> dict:
    """A reviewer's own votes in force at a stage, newest first, optionally
    only one answer, only those with a note, or only records matching a
    full-text search (FTS5 syntax, already escaped by the caller)."""
    column = STATUS_COLUMN[stage]
    where = [_my_vote_filter()]
    params = {"reviewer": reviewer, "stage": stage, "limit": limit, "offset": offset}
    if decision:
        where.append("d.decision = :decision")
        params["decision"] = decision
    if with_note:
        where.append("d.note IS NOT NULL")
    if search:
        where.append("d.record_id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH :q)")
        params["q"] = search
    sql = (" FROM decisions d JOIN records r ON r.id = d.record_id WHERE "
           + " AND ".join(where))
    total = conn.execute("SELECT count(*)" + sql, params).fetchone()[0]
    rows = _rows(conn, f"SELECT d.id, d.record_id, d.decision, d.reason, d.note, d.created_at,"
                       f" r.title, r.year, r.journal, r.{column} AS status{sql}"
                       " ORDER BY d.id DESC LIMIT :limit OFFSET :offset", params)
    return {"rows": rows, "total": total}


def my_queue(conn, reviewer: str, stage: str, search: str, limit: int = 50) -> dict:
    """Records still waiting for this reviewer at a stage that match a
    full-text search, in screening order."""
    column = STATUS_COLUMN[stage]
    params = {"reviewer": reviewer, "stage": stage, "q": search, "limit": limit}
    sql = (f" FROM records r WHERE r.{column} IN ('unscreened', 'awaiting second reviewer')"
           f" AND NOT {_MY_VOTE} AND r.id IN (SELECT rowid FROM records_fts"
           " WHERE records_fts MATCH :q)")
    total = conn.execute("SELECT count(*)" + sql, params).fetchone()[0]
    rows = _rows(conn, f"SELECT r.id, r.title, r.year, r.journal, r.{column} AS status{sql}"
                       " ORDER BY r.screen_order, r.id LIMIT :limit", params)
    return {"rows": rows, "total": total}


def history(conn, record_id: int) -> dict[str, list[dict]]:
    """All decision rows of a record, by stage, oldest first."""
    by_stage = {"title_abstract": [], "full_text": []}
    for row in _rows(conn, f"SELECT {_WITH_ORIGIN} WHERE d.record_id = ? ORDER BY d.id",
                     [record_id]):
        by_stage[row["stage"]].append(row)
    return by_stage


def visible_history(conn, record_id: int, viewer: str | None, blind: bool) -> dict:
    """The history `viewer` may see (see rules.visible_rows), with statuses."""
    statuses = record_statuses(conn, record_id)
    if statuses is None:
        return {}
    stages = {}
    for stage, rows in history(conn, record_id).items():
        status = statuses[STATUS_COLUMN[stage]] or rules.UNSCREENED
        # A request id is its reviewer's business (a retry token): others see none.
        stages[stage] = [row if row["reviewer"] == viewer else dict(row, request_id=None)
                         for row in rules.visible_rows(rows, viewer, blind, status)]
    return {"statuses": statuses, "decisions": stages}


def lead_queue(conn, limit: int = 100, offset: int = 0) -> list[dict]:
    """Records with a conflict or a maybe at either stage, with what a lead
    needs to settle them: the record and the votes in force."""
    records = _rows(conn, """
        SELECT id, title, abstract, authors, year, journal, doi, pmid, publication_types,
               ta_status, ft_status FROM records
        WHERE ta_status IN ('conflict', 'maybe') OR ft_status IN ('conflict', 'maybe')
        ORDER BY id LIMIT ? OFFSET ?""", [limit, offset])
    for record in records:
        stage = "title_abstract" if record["ta_status"] in rules.NEEDS_LEAD else "full_text"
        record["stage"] = stage
        record["status"] = record[STATUS_COLUMN[stage]]
        record["authors"] = json.loads(record["authors"] or "[]")
        record["publication_types"] = json.loads(record["publication_types"] or "[]")
        # Every vote in force: two of one reviewer when they voted on two
        # copies of the work that were merged since.
        record["votes"] = rules.all_votes(stage_rows(conn, record["id"], stage))
    return records


def lead_queue_counts(conn) -> dict:
    """How many records wait for a lead: conflicts and maybes, per stage, and
    in all (each record counted once: it waits at one stage)."""
    counts = {"total": 0}
    for stage, column in STATUS_COLUMN.items():
        for status, n in conn.execute(f"SELECT {column}, count(*) FROM records WHERE {column}"
                                      " IN ('conflict', 'maybe') GROUP BY 1"):
            counts[f"{stage}:{status}"] = n
            counts["total"] += n
    return counts


def lead_queue_count(conn) -> int:
    return lead_queue_counts(conn)["total"]


def connect(path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn
