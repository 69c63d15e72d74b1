"""Merging records into one, and taking a merge apart again.

A merge of record B into record A (the earlier loaded, whose id stays):
- B's occurrences move to A; each occurrence keeps the values it brought
  (occurrences.record_values), so A's values are recomputed from all of them
  (values.py) and every value of every copy stays: A shows the best and its
  page lists the others;
- A keeps B's blocking keys, so later copies of either are found;
- B's votes are carried to A (carry.py) and A's statuses recomputed;
- B's row and facet terms are kept in the merge's log row (mscdm_merges,
  append-only), then B's row is deleted (its full-text entry goes with it).

An unmerge appends an `unmerge` row, restores B's row and terms exactly,
moves B's occurrences back, recomputes A from the occurrences it still has,
appends undo rows for the votes carried from B, recomputes both statuses,
and records that a person said the two are not duplicates (so the engine
never merges or proposes them again). Right after a merge it gives back
exactly the records, occurrences, terms, full-text entries, statuses and
decisions in force of before (tests/test_dedup_unmerge.py).

A copy merged as it loaded (no record of its own) is taken out the same
way, into a new record made of that occurrence's values.
"""

from __future__ import annotations

import json

from ..preparing import tags_for
from ..screening import store
from ..screening.store import ScreeningError
from ..terms import current_vocabulary, insert_terms, term_rows
from . import tables, values
from .carry import carry_decisions, undo_carried

# Columns a recomputation writes (values and what derives from them).
RECOMPUTED = values.VALUE_KEYS + ("databases", "missing_fields", "auto_tags",
                                  "occurrence_count")


class MergeError(ScreeningError):
    """A merge or unmerge that cannot be done (status: the HTTP status)."""


def _row(conn, record_id: int) -> dict | None:
    cursor = conn.execute("SELECT * FROM records WHERE id = ?", [record_id])
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


def _terms(conn, record_id: int) -> list[list]:
    return [list(r) for r in conn.execute(
        "SELECT facet, term FROM record_terms WHERE record_id = ? ORDER BY facet, term",
        [record_id])]


def _occurrences(conn, record_id: int) -> list[tuple[int, str | None, str | None]]:
    return conn.execute("SELECT id, database, record_values FROM occurrences"
                        " WHERE record_id = ? ORDER BY id", [record_id]).fetchall()


def keep_values(conn, record_id: int, row: dict) -> list[int]:
    """Make sure the record's occurrences hold its values before it gains or
    loses one: when none does (one occurrence, or copies merged by an older
    version), the earliest gets the values the record shows. Returns the
    occurrence ids given values."""
    occurrences = _occurrences(conn, record_id)
    if not occurrences or any(text is not None for _, _, text in occurrences):
        return []
    tables.keep_first_values(conn, record_id, row)
    return [occurrences[0][0]]


def recompute(conn, record_id: int, vocabulary, stamp: str) -> dict:
    """Rewrite a record's values (and terms, tags) from its occurrences."""
    occurrences = _occurrences(conn, record_id)
    parts = [(json.loads(text) if text else None, database)
             for _, database, text in occurrences]
    if parts[0][0] is None:
        raise MergeError(f"record {record_id}: its first occurrence has no values kept", 409)
    folded = values.fold(parts)
    folded["auto_tags"] = json.dumps(tags_for(vocabulary, folded), ensure_ascii=False)
    folded["occurrence_count"] = len(occurrences)
    changes = {key: folded[key] for key in RECOMPUTED}
    changes["updated_at"] = stamp
    conn.execute(f"UPDATE records SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                 [*changes.values(), record_id])
    conn.execute("DELETE FROM record_terms WHERE record_id = ?", [record_id])
    insert_terms(conn, term_rows(record_id, folded["publication_types"], folded["databases"],
                                 json.loads(folded["auto_tags"]), folded["mesh"]))
    return folded


def _restore_row(conn, row: dict) -> None:
    columns = [c for c in _columns(conn) if c in row]
    conn.execute(f"INSERT INTO records ({', '.join(columns)})"
                 f" VALUES ({', '.join('?' * len(columns))})", [row[c] for c in columns])
    conn.execute("INSERT INTO records_fts (rowid, title, abstract, keywords) VALUES (?, ?, ?, ?)",
                 [row["id"], row["title"], row["abstract"], row["keywords"]])


def _columns(conn) -> list[str]:
    return [r[1] for r in conn.execute("PRAGMA table_info(records)")]


def _forget_record(conn, record_id: int) -> None:
    """Delete a record merged away (its row lives on in the merge's log)."""
    conn.execute("DELETE FROM record_terms WHERE record_id = ?", [record_id])
    for table in ("mscdm_claims", "mscdm_skips"):
        conn.execute(f"DELETE FROM {table} WHERE record_id = ?", [record_id])
    conn.execute("DELETE FROM records WHERE id = ?", [record_id])


def _update_status(conn, protocol, record_id: int) -> None:
    if protocol is not None:
        store.update_status(conn, protocol, record_id)


def merge_records(conn, kept_id: int, merged_ids: list[int], *, by: str, protocol=None,
                  decisions: dict | None = None, matched_on: str = "person",
                  request_id: str | None = None, vocabulary=None) -> list[int]:
    """Merge each record of `merged_ids` into `kept_id`, one logged merge each
    (so each can be undone on its own). `decisions`: {merged id: the
    PairDecision that matched it} for the log. Runs in the caller's
    transaction. Returns the merge ids."""
    vocabulary = vocabulary or current_vocabulary(conn)
    decisions = decisions or {}
    if _row(conn, kept_id) is None:
        raise MergeError(f"no record {kept_id}", 404)
    merge_ids = []
    for merged_id in merged_ids:
        if merged_id == kept_id:
            raise MergeError(f"record {kept_id} cannot be merged into itself")
        kept = _row(conn, kept_id)
        merged = _row(conn, merged_id)
        if merged is None:
            raise MergeError(f"no record {merged_id}", 404)
        stamp = tables.now()
        given = keep_values(conn, kept_id, kept) + keep_values(conn, merged_id, merged)
        occurrence_ids = [o[0] for o in _occurrences(conn, merged_id)]
        snapshot = {"merged": merged, "merged_terms": _terms(conn, merged_id), "kept": kept,
                    "kept_occurrences": [o[0] for o in _occurrences(conn, kept_id)],
                    "values_kept": given}
        conn.execute("UPDATE occurrences SET record_id = ? WHERE record_id = ?",
                     [kept_id, merged_id])
        conn.execute("INSERT OR IGNORE INTO mscdm_dedup_keys (k, record_id)"
                     " SELECT k, ? FROM mscdm_dedup_keys WHERE record_id = ?",
                     [kept_id, merged_id])
        carried = carry_decisions(conn, merged_id, kept_id, stamp)
        _forget_record(conn, merged_id)
        recompute(conn, kept_id, vocabulary, stamp)
        decision = decisions.get(merged_id)
        cursor = conn.execute(
            "INSERT INTO mscdm_merges (action, kept_id, merged_id, occurrences, matched_on,"
            " merged_by, score, reasons, snapshot, carried, request_id, created_at)"
            " VALUES ('merge', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [kept_id, merged_id, json.dumps(occurrence_ids), matched_on, by,
             round(decision.score, 4) if decision else None,
             json.dumps(decision.reasons, ensure_ascii=False) if decision else None,
             json.dumps(snapshot, ensure_ascii=False, default=str), json.dumps(carried),
             request_id if len(merge_ids) == 0 else None, stamp])
        merge_ids.append(cursor.lastrowid)
    _update_status(conn, protocol, kept_id)
    return merge_ids


def merge_row(conn, merge_id: int) -> dict | None:
    cursor = conn.execute("SELECT * FROM mscdm_merges WHERE id = ?", [merge_id])
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


def merge_in_force_for(conn, record_id: int) -> dict | None:
    """The merge in force that took record `record_id` away, if any."""
    cursor = conn.execute(
        f"SELECT m.* FROM mscdm_merges m WHERE m.merged_id = ? AND {tables.IN_FORCE}"
        " ORDER BY m.id DESC LIMIT 1", [record_id])
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


def unmerge(conn, merge_id: int, *, by: str, protocol=None, vocabulary=None,
            request_id: str | None = None) -> dict:
    """Undo one merge in force (see the module docstring). Returns
    {"kept": id, "restored": id, "unmerge": id}. Runs in the caller's
    transaction."""
    if request_id:
        seen = conn.execute("SELECT id, kept_id, merged_id FROM mscdm_merges"
                            " WHERE request_id = ?", [request_id]).fetchone()
        if seen:
            return {"kept": seen[1], "restored": seen[2], "unmerge": seen[0], "repeated": True}
    merge = merge_row(conn, merge_id)
    if merge is None or merge["action"] != "merge":
        raise MergeError(f"no merge {merge_id}", 404)
    if conn.execute("SELECT 1 FROM mscdm_merges WHERE undoes = ?", [merge_id]).fetchone():
        raise MergeError(f"merge {merge_id} was undone already", 409)
    kept_id = merge["kept_id"]
    if _row(conn, kept_id) is None:
        holder = tables.resolver(conn)(kept_id)
        raise MergeError(f"record {kept_id} is itself merged into record {holder} now:"
                         f" unmerge it from {holder} first", 409)
    occurrence_ids = json.loads(merge["occurrences"])
    on_kept = conn.execute(
        "SELECT count(*) FROM occurrences WHERE record_id = ? AND id IN"
        " (SELECT value FROM json_each(?))", [kept_id, merge["occurrences"]]).fetchone()[0]
    if on_kept != len(occurrence_ids):
        raise MergeError(f"merge {merge_id}: some of its occurrences have left record"
                         f" {kept_id} since", 409)
    if len(occurrence_ids) == conn.execute(
            "SELECT count(*) FROM occurrences WHERE record_id = ?", [kept_id]).fetchone()[0]:
        raise MergeError(f"merge {merge_id}: record {kept_id} would keep no occurrence", 409)
    vocabulary = vocabulary or current_vocabulary(conn)
    stamp = tables.now()
    if merge["merged_id"] is not None:
        restored = _restore_merged(conn, merge, occurrence_ids)
    else:
        restored = _split_occurrence(conn, merge, occurrence_ids[0], vocabulary, stamp)
    undo_carried(conn, json.loads(merge["carried"] or "[]"), stamp)
    _recompute_after_unmerge(conn, merge, kept_id, vocabulary, stamp)
    cursor = conn.execute(
        "INSERT INTO mscdm_merges (action, undoes, kept_id, merged_id, occurrences, matched_on,"
        " merged_by, request_id, created_at) VALUES ('unmerge', ?, ?, ?, ?, 'person', ?, ?, ?)",
        [merge_id, kept_id, restored, merge["occurrences"], by, request_id, stamp])
    a, b = tables.pair(kept_id, restored)
    conn.execute("INSERT INTO mscdm_dedup_answers (a, b, answer, answered_by, score, reasons,"
                 " note, created_at) VALUES (?, ?, 'not_duplicates', ?, ?, ?, 'unmerge', ?)",
                 [a, b, by, merge["score"], merge["reasons"], stamp])
    _update_status(conn, protocol, kept_id)
    _update_status(conn, protocol, restored)
    return {"kept": kept_id, "restored": restored, "unmerge": cursor.lastrowid,
            "repeated": False}


def _restore_merged(conn, merge: dict, occurrence_ids: list[int]) -> int:
    snapshot = json.loads(merge["snapshot"])
    row = snapshot["merged"]
    if _row(conn, row["id"]) is not None:
        raise MergeError(f"record {row['id']} exists", 409)
    _restore_row(conn, row)
    insert_terms(conn, [(facet, term, row["id"]) for facet, term in snapshot["merged_terms"]])
    conn.execute("UPDATE occurrences SET record_id = ? WHERE id IN"
                 " (SELECT value FROM json_each(?))", [row["id"], merge["occurrences"]])
    return row["id"]


def _split_occurrence(conn, merge: dict, occurrence_id: int, vocabulary, stamp: str) -> int:
    """A copy merged as it loaded becomes a record of its own again."""
    text, database = conn.execute("SELECT record_values, database FROM occurrences"
                                  " WHERE id = ?", [occurrence_id]).fetchone()
    if text is None:
        raise MergeError(f"occurrence {occurrence_id} was merged by an older version that kept"
                         " no values of its own: it cannot be taken out", 409)
    record = values.start(json.loads(text), database)
    record["auto_tags"] = json.dumps(tags_for(vocabulary, record), ensure_ascii=False)
    record_id = tables.next_record_id(conn)
    row = {"id": record_id, **{k: record[k] for k in values.VALUE_KEYS},
           "databases": record["databases"], "missing_fields": record["missing_fields"],
           "auto_tags": record["auto_tags"], "occurrence_count": 1, "created_at": stamp,
           "updated_at": stamp}
    _restore_row(conn, row)
    insert_terms(conn, term_rows(record_id, row["publication_types"], row["databases"],
                                 json.loads(row["auto_tags"]), row["mesh"]))
    conn.execute("UPDATE occurrences SET record_id = ?, record_values = NULL WHERE id = ?",
                 [record_id, occurrence_id])
    tables.index_records(conn, [record_id])
    return record_id


def _recompute_after_unmerge(conn, merge: dict, kept_id: int, vocabulary, stamp: str) -> None:
    folded = recompute(conn, kept_id, vocabulary, stamp)
    snapshot = json.loads(merge["snapshot"]) if merge["snapshot"] else {}
    # A record left with one occurrence keeps its values in its row only; a
    # record back to the occurrences it had before the merge loses the values
    # the merge gave them (copies merged by an older version).
    cleared = []
    given = set(snapshot.get("values_kept", []))
    before_sets = {kept_id: snapshot.get("kept_occurrences"),
                   merge["merged_id"]: json.loads(merge["occurrences"])}
    for record_id, ids_before in before_sets.items():
        if record_id is None:
            continue
        ids = [o[0] for o in _occurrences(conn, record_id)]
        if len(ids) == 1:
            cleared += ids
        elif ids_before is not None and sorted(ids) == sorted(ids_before):
            cleared += [i for i in ids if i in given]
    if cleared:
        conn.execute("UPDATE occurrences SET record_values = NULL WHERE id IN"
                     " (SELECT value FROM json_each(?))", [json.dumps(cleared)])
    before = snapshot.get("kept")
    if before and all(folded.get(k) == before.get(k) for k in RECOMPUTED):
        # The record is as it was before the merge: so is when it last changed.
        conn.execute("UPDATE records SET updated_at = ? WHERE id = ?",
                     [before["updated_at"], kept_id])
