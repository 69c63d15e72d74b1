"""find_duplicates(): blocking, scoring and clustering over a list of records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Iterable

from .blocking import candidate_pairs
from .clustering import cluster
from .record import DedupRecord, Features, prepare
from .scoring import (DEFAULT_THRESHOLDS, DISTINCT, DUPLICATE, MAYBE, PairDecision, Thresholds,
                      score_pair, title_similarity)


@dataclass
class DedupResult:
    """What find_duplicates found.

    clusters:   lists of record ids that are one record (2+ ids each, in input
                order: the first is the record to keep, the others merge into it).
    duplicates: the pairs that formed the clusters (outcome "duplicate").
    maybe:      pairs for a person, one per pair of clusters, best score first;
                includes links the cluster guard held back.
    distinct:   pairs that looked alike (title similarity >= title_maybe, or a
                shared identifier) but were ruled out, with the veto: why two
                near-identical records were not merged.
    compared:   how many candidate pairs blocking produced.
    """

    clusters: list[list[Hashable]] = field(default_factory=list)
    duplicates: list[PairDecision] = field(default_factory=list)
    maybe: list[PairDecision] = field(default_factory=list)
    distinct: list[PairDecision] = field(default_factory=list)
    compared: int = 0

    def cluster_of(self) -> dict[Hashable, int]:
        """Record id -> index in `clusters` (records in no cluster are absent)."""
        return {i: n for n, members in enumerate(self.clusters) for i in members}


def find_duplicates(records: Iterable[DedupRecord], *, new_ids: Iterable[Hashable] | None = None,
                    not_duplicates: Iterable[tuple[Hashable, Hashable]] = (),
                    thresholds: Thresholds = DEFAULT_THRESHOLDS) -> DedupResult:
    """Find the duplicates among `records` (ids must be unique).

    new_ids:        only pairs involving at least one of these are scored (a load
                    compares its new records with everything already there).
    not_duplicates: pairs a person answered "not duplicates": never proposed
                    again, and never joined through a chain of other links.
    """
    features: list[Features] = [prepare(r, n) for n, r in enumerate(records)]
    by_id = {f.id: f for f in features}
    if len(by_id) != len(features):
        raise ValueError("record ids must be unique")
    new_positions = None
    if new_ids is not None:
        new_positions = {by_id[i].position for i in new_ids if i in by_id}
    refused = {frozenset(p) for p in not_duplicates}
    pairs = candidate_pairs(features, new_positions)

    duplicates, maybe, distinct = [], [], []
    apart: list[tuple[Hashable, Hashable]] = [tuple(p) for p in refused if len(p) == 2]
    for i, j in pairs:
        a, b = features[i], features[j]
        if refused and frozenset((a.id, b.id)) in refused:
            continue
        title = title_similarity(a, b)
        shares_id = bool(a.dois & b.dois or a.pmids & b.pmids)
        if not shares_id and (title[0] is None or title[0] < thresholds.title_maybe):
            continue  # nothing in common worth a reason: the common case, kept cheap
        decision = score_pair(a, b, thresholds, title)
        if decision.outcome == DUPLICATE:
            duplicates.append(decision)
        elif decision.outcome == MAYBE:
            maybe.append(decision)
        else:
            distinct.append(decision)
            apart.append((a.id, b.id))

    ids = [f.id for f in features]
    clusters, used, held = cluster(ids, duplicates, by_id, apart)
    return DedupResult(clusters=clusters, duplicates=used,
                       maybe=_one_per_cluster_pair(maybe + held, clusters),
                       distinct=sorted(distinct, key=lambda p: -p.score), compared=len(pairs))


def _one_per_cluster_pair(pairs: list[PairDecision], clusters) -> list[PairDecision]:
    """Maybe pairs a person still has to answer: not inside one cluster, and
    one (the strongest) per pair of clusters."""
    where = {i: n for n, members in enumerate(clusters) for i in members}
    best: dict[tuple, PairDecision] = {}
    for pair in sorted(pairs, key=lambda p: -p.score):
        ka, kb = where.get(pair.a, ("record", pair.a)), where.get(pair.b, ("record", pair.b))
        if ka == kb:
            continue
        key = tuple(sorted((ka, kb), key=repr))
        best.setdefault(key, pair)
    return list(best.values())
