"""Duplicate matching while a load stores its records.

Each record a load reads is compared, before it is stored, with the records
already in the review (those loaded earlier in the same load included): the
candidates are the records that share one of its blocking keys
(mscdm_dedup_keys, looked up by index, so the cost does not grow with the
review), candidates whose titles are not alike and who share no identifier
are passed over cheaply, and the rest are scored by the engine against the
candidate's whole view (every title, DOI and PMID of every copy it holds).

- a *duplicate* (the best, when several): the record joins it;
- *maybe*: queued for a person (mscdm_dedup_pairs);
- *distinct*: nothing.

A new record joins at most one record. If it is a duplicate of two records
that are still apart, the pair of them is queued for a person rather than
joined through it (`mscdm dedup` re-examines the whole review).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from ..dedup import DEFAULT_THRESHOLDS, DISTINCT, DUPLICATE, MAYBE, DedupRecord, PairDecision, prepare
from ..dedup import keys as dedup_keys
from ..dedup.blocking import LIVE_MAX_BLOCK, identifier_count, live_keys
from ..dedup.scoring import MIN_TRUNCATED_CHARS, TRUNCATION_FACTOR, score_pair
from rapidfuzz.distance import Indel
from rapidfuzz.process import extract
from . import guard, tables

# Placeholder id of the record being matched (it has no id yet).
NEW = 0
# LoadMatcher.memory_index is given up past this many keys (~130 MB; a load of
# about 190,000 records of the synthetic benchmark): the table is then searched.
MAX_KEYS_IN_MEMORY = 1_000_000
# Key rows held before they are written (see LoadMatcher.file_started).
KEY_BATCH = 20_000


@dataclass
class Match:
    keys: tuple[int, ...]
    compacts: tuple[str, ...]
    duplicate: PairDecision | None = None     # the record to join, if any (b = its id)
    maybe: list[PairDecision] = field(default_factory=list)
    also_duplicates: list[PairDecision] = field(default_factory=list)


def compacts_of(titles) -> tuple[str, ...]:
    out = []
    for title in titles:
        words = dedup_keys.title_words(title)
        if words:
            compact = dedup_keys.title_compact(words)
            if compact not in out:
                out.append(compact)
    return tuple(out)


def alike_titles(xs: tuple[str, ...], candidates: dict[int, tuple[str, ...]],
                 cutoff: float) -> set[int]:
    """The candidates (id -> compact titles) for which
    scoring.compacts_similarity(xs, titles) reaches `cutoff` (<= 0.97): a pair
    of titles whose similarity reaches it, or whose shorter title (of
    MIN_TRUNCATED_CHARS or more) reaches cutoff / TRUNCATION_FACTOR against
    the longer one's beginning.

    Most candidates of a load fail both, so both are decided from one
    rapidfuzz call over all candidates (it stops early on a pair that cannot
    reach its cutoff). The prefix test is made only for the pairs that call
    cannot rule out: Indel similarity is 2 LCS / (len a + len b), and the
    shorter title's LCS with the whole longer one is at least its LCS with
    that title's beginning, so a prefix similarity of p or more needs a
    whole similarity of 2 p S / (S + L) or more (S, L: the two lengths)."""
    # (Comprehensions: a load calls this for almost every record it reads.)
    owners = [candidate for candidate, titles in candidates.items() for _ in titles]
    ys = [y for titles in candidates.values() for y in titles]
    alike: set[int] = set()
    if not ys:
        return alike
    similarity = Indel.normalized_similarity
    prefix_cutoff = cutoff / TRUNCATION_FACTOR
    lengths = list(map(len, ys))
    shortest, longest = min(lengths), max(lengths)
    for x in xs:
        length = len(x)
        # The lowest whole similarity any prefix match can have here (the
        # bound falls as the lengths grow apart), less a rounding margin.
        short, long = min(length, shortest), max(length, longest)
        floor = min(cutoff, 2 * prefix_cutoff * short / (short + long)) - 1e-9
        for _, score, index in extract(x, ys, scorer=similarity, score_cutoff=max(floor, 0.0),
                                       limit=None):
            candidate = owners[index]
            if candidate in alike:
                continue
            if score >= cutoff:
                alike.add(candidate)
                continue
            y = ys[index]
            s, l = (len(y), length) if len(y) < length else (length, len(y))
            if s < MIN_TRUNCATED_CHARS or score < 2 * prefix_cutoff * s / (s + l) - 1e-9:
                continue
            if len(y) < length:
                if similarity(y, x[:len(y)], score_cutoff=prefix_cutoff):
                    alike.add(candidate)
            elif similarity(x, y[:length], score_cutoff=prefix_cutoff):
                alike.add(candidate)
    return alike


def view_of_values(values: dict) -> DedupRecord:
    return tables.view_of(NEW, [values])


class LoadMatcher:
    """The matching state of one load (see the module docstring). Keys of the
    records stored since the last flush are held here and written in batches."""

    def __init__(self, conn, thresholds=DEFAULT_THRESHOLDS):
        self.conn = conn
        self.thresholds = thresholds
        self.pending: list[tuple[int, int]] = []  # key rows held, not yet written
        self.pending_index: dict[int, list[int]] = {}  # the same by key (table mode)
        self._file_mark = 0  # pending[:mark] belong to files loaded whole
        self.compacts: dict[int, tuple[str, ...]] = {}
        self.big: set[int] = set()
        self._current = None
        self._not_duplicates = None
        self.queued: list[PairDecision] = []
        self.queued_total = 0  # pairs this load added to the queue
        # key -> the record (an int) or records (a list) this load stored it
        # for, written or not, when that is all mscdm_dedup_keys can hold:
        # the table was empty when the load began. Candidates are then found
        # here, without a query per record. None: the table may hold keys of
        # other loads, and is searched (see _candidates).
        self.memory_index: dict[int, int | list[int]] | None = (
            None if conn.execute("SELECT 1 FROM mscdm_dedup_keys LIMIT 1").fetchone() else {})
        self._data_version = self._version()

    # ------------------------------------------------------------ state

    def current(self, record_id: int) -> int:
        if self._current is None:
            self._current = tables.resolver(self.conn)
        return self._current(record_id)

    def answered_apart(self, a: int, b: int) -> bool:
        if self._not_duplicates is None:
            self._not_duplicates = tables.not_duplicate_pairs(self.conn)
        return tables.pair(a, b) in self._not_duplicates

    def _version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def begin(self):
        """The load started a new transaction: if another connection
        committed since the last one, the table may hold keys of its own."""
        version = self._version()
        if version != self._data_version:
            self.memory_index = None
            self._data_version = version

    def file_started(self):
        """A file begins loading in a savepoint of its own. The keys of the
        files before it are written once KEY_BATCH of them are held (a key
        write per file would cost a folder of one-record files more than
        matching); until then they stay held, out of reach of this file's
        rollback."""
        if len(self.pending) >= KEY_BATCH:
            self._write_keys(0)
        self._file_mark = len(self.pending)

    def flush(self, everything: bool = False):
        """Write the queued pairs, and the keys held: all of them when
        `everything` (the transaction ends), else this file's once there
        are KEY_BATCH of them (in its savepoint, so they roll back with it)."""
        if everything:
            self._write_keys(0)
            self._file_mark = 0
        elif len(self.pending) - self._file_mark >= KEY_BATCH:
            self._write_keys(self._file_mark)
        if self.queued:
            self.queued_total += tables.queue_pairs(self.conn, self.queued, "load")
            self.queued.clear()

    def _write_keys(self, start: int):
        """Write the held keys from pending[start] on, in key order (they go
        into one B-tree of random 64-bit keys, WITHOUT ROWID: sorted, they
        land page after page)."""
        if len(self.pending) > start:
            tables.add_keys(self.conn, sorted(self.pending[start:]))
            del self.pending[start:]
        if self.memory_index is not None and len(self.memory_index) > MAX_KEYS_IN_MEMORY:
            self.memory_index = None  # search the table from now on
        self._index_pending()

    def _index_pending(self):
        """pending_index: the keys held, by key (searched beside the table
        when the memory index is not kept)."""
        self.pending_index = {}
        if self.memory_index is None:
            for k, record_id in self.pending:
                self.pending_index.setdefault(k, []).append(record_id)

    def reset(self):
        """Forget this file's keys and pairs (its savepoint rolled back).
        Its keys are in the memory index too: search the table from now on."""
        self.memory_index = None
        del self.pending[self._file_mark:]
        self._index_pending()
        self.queued.clear()
        self.compacts.clear()

    # ------------------------------------------------------------ matching

    def match(self, values: dict, dedup: tuple | None = None) -> Match:
        """Compare a record about to be stored (`values` as the records row
        holds them; `dedup` as preparing.dedup_keys gives, else computed)."""
        features = None
        if dedup is None:
            features = prepare(view_of_values(values))
            keys, count, compacts = (tuple(live_keys(features)), identifier_count(features),
                                     features.compacts)
        else:
            keys, count, compacts = dedup
        identifiers = set(keys[:count])
        match = Match(keys, compacts)
        candidates, sharing_id = self._candidates(keys, identifiers)
        if not candidates:
            return match
        known = self.compacts
        unknown = [c for c in candidates if c not in known]
        if unknown:
            for view in tables.record_views(self.conn, unknown):
                known[view.id] = compacts_of(view.titles)
        # A candidate still unknown is a record merged away or deleted since.
        worth = {c for c in sharing_id if c in known}
        worth |= alike_titles(compacts, {c: known[c] for c in candidates
                                         if c not in worth and c in known},
                              self.thresholds.title_maybe)
        if not worth:
            return match
        features = features or prepare(view_of_values(values))
        views = tables.record_views(self.conn, worth)
        decisions = [score_pair(features, prepare(view), self.thresholds) for view in views]
        several = {view.id for view in views if self._holds_several(view)}
        duplicates, held = [], []
        for decision in sorted((d for d in decisions if d.outcome == DUPLICATE),
                               key=lambda d: (-d.score, d.b)):
            why = (guard.conflict([features], guard.copies(self.conn, decision.b),
                                  self.thresholds) if decision.b in several else None)
            if why:
                held.append(replace(decision, outcome=MAYBE, vetoes=[
                    f"would join records that must stay apart: {why}"] + decision.vetoes))
            else:
                duplicates.append(decision)
        if duplicates:
            match.duplicate, match.also_duplicates = duplicates[0], duplicates[1:]
        match.maybe = sorted([d for d in decisions if d.outcome == MAYBE] + held,
                             key=lambda d: -d.score)
        return match

    def _holds_several(self, view) -> bool:
        """Whether a candidate holds copies that differ (several titles,
        volumes, pages, ...): only then can its union be more lenient."""
        return any(len(values) > 1 for values in (
            view.titles, view.years, view.journals, view.volumes, view.issues, view.pages,
            view.dois, view.pmids))

    def _candidates(self, keys: list[int], identifiers: set[int]) -> tuple[set[int], set[int]]:
        """(the records sharing a key, those of them sharing a DOI/PMID key).
        A key shared by more than LIVE_MAX_BLOCK stored rows (and rows held
        for the next flush) is too common: it is left out, now and later."""
        found: set[int] = set()
        sharing_id: set[int] = set()
        memory = self.memory_index
        if memory is not None:
            big = self.big
            for k in keys:
                ids = memory.get(k)
                if ids is None or k in big:
                    continue
                if type(ids) is int:
                    found.add(ids)
                    if k in identifiers:
                        sharing_id.add(ids)
                elif len(ids) > LIVE_MAX_BLOCK:
                    big.add(k)
                else:
                    found.update(ids)
                    if k in identifiers:
                        sharing_id.update(ids)
        else:
            self._candidates_in_table(keys, identifiers, found, sharing_id)
        if self._current is None:
            self._current = tables.resolver(self.conn)
        if self._current.merged:
            found = {self._current(record_id) for record_id in found}
            sharing_id = {self._current(record_id) for record_id in sharing_id}
        return found, sharing_id

    def _candidates_in_table(self, keys: list[int], identifiers: set[int], found: set[int],
                             sharing_id: set[int]) -> None:
        wanted = [k for k in keys if k not in self.big]
        if not wanted:
            return
        stored = {k: json.loads(ids) for k, ids in self.conn.execute(
            "SELECT k, json_group_array(record_id) FROM mscdm_dedup_keys WHERE k IN"
            " (SELECT value FROM json_each(?)) GROUP BY k", [json.dumps(wanted)])}
        for k in wanted:
            ids = stored.get(k, [])
            held = self.pending_index.get(k)
            if held:
                ids = ids + held
            if len(ids) > LIVE_MAX_BLOCK:
                self.big.add(k)
                continue
            found.update(ids)
            if k in identifiers:
                sharing_id.update(ids)

    # ------------------------------------------------------------ outcome

    def stored(self, match: Match, record_id: int, joined: bool) -> None:
        """The record was stored as `record_id` (a new record, or the one it
        joined): remember its keys and queue its maybe pairs."""
        memory = self.memory_index
        for k in match.keys:
            if k in self.big:
                continue
            self.pending.append((k, record_id))
            if memory is None:
                self.pending_index.setdefault(k, []).append(record_id)
                continue
            ids = memory.get(k)
            if ids is None:
                memory[k] = record_id
            elif type(ids) is int:
                if ids != record_id:
                    memory[k] = [ids, record_id]
            elif record_id not in ids:
                ids.append(record_id)
        known = self.compacts.get(record_id, ())
        self.compacts[record_id] = known + tuple(c for c in match.compacts if c not in known)
        queue = [(d, None) for d in match.maybe]
        if joined and match.also_duplicates:
            # The copy matched two records that are apart: how do those two
            # compare now that one holds the copy? Ruled out: left apart.
            note = "a copy loaded later is a duplicate of both records"
            views = {v.id: v for v in tables.record_views(
                self.conn, [record_id] + [d.b for d in match.also_duplicates])}
            for decision in match.also_duplicates:
                if record_id in views and decision.b in views:
                    now = score_pair(prepare(views[record_id]), prepare(views[decision.b]),
                                     self.thresholds)
                    if now.outcome != DISTINCT:
                        queue.append((replace(now, outcome=MAYBE, vetoes=[note] + now.vetoes),
                                      now.b))
        for decision, other in queue:
            other = self.current(other if other is not None else decision.b)
            if other == record_id or self.answered_apart(record_id, other):
                continue
            self.queued.append(replace(decision, a=record_id, b=other))
