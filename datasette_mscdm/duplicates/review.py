"""Duplicates over the whole review (`mscdm dedup`) and the review queue:
the pairs waiting for a person, their answers, "accept all above a score".

Everything runs on a plain sqlite3 connection in the caller's transaction
(the CLI's, or Datasette's write connection through write_as). Queued pairs
and answers name records as they were then; they are read through the merges
in force (tables.resolver), so a pair whose records were merged since is
gone, and an answer "not duplicates" holds for the records that hold the two
works now: such a pair is never proposed or merged again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace

from ..dedup import DISTINCT, DUPLICATE, MAYBE, PairDecision, find_duplicates, prepare, score_pair
from . import guard, tables
from .merge import MergeError, merge_records

ANSWERS = ("duplicate", "not_duplicates")


@dataclass
class DedupRun:
    records: int = 0
    compared: int = 0
    merged: list[dict] = field(default_factory=list)   # {"kept", "merged", "score", "reasons"}
    queued: list[dict] = field(default_factory=list)   # PairDecision.as_dict(), new in the queue
    seconds: float = 0.0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"records": self.records, "compared": self.compared, "dry_run": self.dry_run,
                "merged_records": sum(len(m["merged"]) for m in self.merged),
                "merged": self.merged, "queued_pairs": len(self.queued),
                "queued": self.queued, "seconds": round(self.seconds, 2)}


def run_dedup(conn, *, protocol=None, dry_run: bool = False) -> DedupRun:
    """Find the duplicates among every record of the review (the engine's
    whole method, rare-words blocking included): merge the clusters
    (automatically, `merged_by` = 'auto') and queue the maybe pairs that are
    not queued or answered yet."""
    started = time.perf_counter()
    views = tables.record_views(conn)
    current = tables.resolver(conn)
    apart = tables.not_duplicate_pairs(conn, current)
    result = find_duplicates(views, not_duplicates=apart)
    run = DedupRun(records=len(views), compared=result.compared, dry_run=dry_run)
    links: dict[int, PairDecision] = {}
    for decision in result.duplicates:
        for record_id in (decision.a, decision.b):
            if record_id not in links or links[record_id].score < decision.score:
                links[record_id] = decision
    several = {row[0] for row in conn.execute("SELECT id FROM records WHERE occurrence_count > 1")}
    held: list[PairDecision] = []
    for cluster in result.clusters:
        kept, merged = cluster[0], []
        group = guard.copies(conn, kept) if several & set(cluster) else None
        for member in cluster[1:]:
            if group is not None:
                mine = guard.copies(conn, member)
                why = guard.conflict(group, mine)
                if why:
                    held.append(replace(links[member], a=kept, b=member, outcome=MAYBE, vetoes=[
                        f"would join records that must stay apart: {why}"]
                        + links[member].vetoes))
                    continue
                group += mine
            merged.append(member)
        if not merged:
            continue
        run.merged.append({"kept": kept, "merged": merged,
                           "score": round(min(links[m].score for m in merged), 4),
                           "reasons": links[merged[0]].reasons})
        if not dry_run:
            merge_records(conn, kept, merged, by="auto", protocol=protocol,
                          decisions={m: links[m] for m in merged},
                          matched_on=_matched_on(links[merged[0]]))
    queued = {(p["a"], p["b"]) for p in pending_pairs(conn, current=tables.resolver(conn))}
    answered = answered_pairs(conn)
    fresh = [d for d in result.maybe + held
             if tables.pair(d.a, d.b) not in queued and tables.pair(d.a, d.b) not in answered]
    run.queued = [d.as_dict() for d in fresh]
    if not dry_run:
        tables.queue_pairs(conn, fresh, "dedup")
    run.seconds = time.perf_counter() - started
    return run


def _matched_on(decision: PairDecision) -> str:
    if decision.fields.get("doi") == "same":
        return "doi"
    if decision.fields.get("pmid") == "same":
        return "pmid"
    return "title_year_author"


def answered_pairs(conn, current=None) -> set[tuple[int, int]]:
    current = current or tables.resolver(conn)
    return {tables.pair(current(a), current(b))
            for a, b in conn.execute("SELECT a, b FROM mscdm_dedup_answers")}


def pending_pairs(conn, current=None, min_score: float | None = None) -> list[dict]:
    """The pairs waiting for a person, best score first (ties: first found),
    as pairs of the records that hold them now."""
    current = current or tables.resolver(conn)
    answered = answered_pairs(conn, current)
    out, seen = [], set()
    for pair_id, a, b, score, reasons, vetoes, fields, found_by, found_at in conn.execute(
            "SELECT id, a, b, score, reasons, vetoes, fields, found_by, found_at"
            " FROM mscdm_dedup_pairs ORDER BY score DESC, id"):
        if min_score is not None and score < min_score:
            break
        x, y = current(a), current(b)
        if x == y:
            continue
        key = tables.pair(x, y)
        if key in answered or key in seen:
            continue
        seen.add(key)
        out.append({"id": pair_id, "a": key[0], "b": key[1], "score": score,
                    "reasons": json.loads(reasons), "vetoes": json.loads(vetoes),
                    "fields": json.loads(fields), "found_by": found_by, "found_at": found_at,
                    "found_as": [a, b]})
    return out


def score_now(conn, a: int, b: int) -> PairDecision:
    """The engine's decision on two records as they are now."""
    views = {v.id: v for v in tables.record_views(conn, [a, b])}
    if a not in views or b not in views:
        missing = a if a not in views else b
        raise MergeError(f"no record {missing}", 404)
    return score_pair(prepare(views[a]), prepare(views[b]))


def answer(conn, a: int, b: int, verdict: str, *, by: str, protocol=None,
           request_id: str | None = None, note: str | None = None) -> dict:
    """A person's answer on a pair: "duplicate" merges the two (the earlier
    record kept), "not_duplicates" keeps them apart for good. Appended to
    mscdm_dedup_answers with the engine's score and reasons at the time."""
    if verdict not in ANSWERS:
        raise MergeError(f"answer must be one of {', '.join(ANSWERS)}")
    if request_id:
        seen = conn.execute("SELECT id, a, b, answer FROM mscdm_dedup_answers"
                            " WHERE request_id = ?", [request_id]).fetchone()
        if seen:
            return {"answer_id": seen[0], "a": seen[1], "b": seen[2], "answer": seen[3],
                    "repeated": True}
    current = tables.resolver(conn)
    x, y = tables.pair(current(a), current(b))
    if x == y:
        raise MergeError(f"records {a} and {b} are one record already ({x})", 409)
    decision = score_now(conn, x, y)
    result = {"a": x, "b": y, "answer": verdict, "score": round(decision.score, 4),
              "reasons": decision.reasons, "repeated": False}
    if verdict == "duplicate":
        result["kept"], result["merged"] = x, y
        result["merges"] = merge_records(conn, x, [y], by=by, protocol=protocol,
                                         decisions={y: decision}, matched_on="person")
    cursor = conn.execute(
        "INSERT INTO mscdm_dedup_answers (a, b, answer, answered_by, score, reasons, note,"
        " request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [x, y, verdict, by, round(decision.score, 4),
         json.dumps(decision.reasons, ensure_ascii=False), note, request_id, tables.now()])
    result["answer_id"] = cursor.lastrowid
    return result


def accept_above(conn, min_score: float, *, by: str, protocol=None,
                 expected: int | None = None) -> dict:
    """Answer "duplicate" for every pair waiting with a score of at least
    `min_score`, best first. With `expected` (the number the person
    confirmed), refuses when the queue changed since. A pair the engine now
    rules out (a merge before it in the same run brought a contradiction) is
    left in the queue, with why."""
    pairs = pending_pairs(conn, min_score=min_score)
    if expected is not None and expected != len(pairs):
        raise MergeError(f"{len(pairs)} pairs have a score of {min_score:.2f} or more now, not"
                         f" the {expected} you confirmed: look again", 409)
    merged, left = [], []
    for item in pairs:
        current = tables.resolver(conn)
        x, y = tables.pair(current(item["a"]), current(item["b"]))
        if x == y:
            continue
        decision = score_now(conn, x, y)
        if decision.outcome == DISTINCT:
            left.append({"a": x, "b": y, "why": decision.vetoes})
            continue
        merged.append(answer(conn, x, y, "duplicate", by=by, protocol=protocol,
                             note=f"accepted with every pair scoring {min_score:.2f} or more"))
    return {"merged": len(merged), "answers": merged, "left": left, "pairs": len(pairs)}


__all__ = ["ANSWERS", "DUPLICATE", "DedupRun", "accept_above", "answer", "answered_pairs",
           "pending_pairs", "run_dedup", "score_now"]
