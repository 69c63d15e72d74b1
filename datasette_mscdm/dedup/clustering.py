"""Clusters from duplicate pairs, guarded against chaining false merges.

Union-find over the pairs judged duplicates, strongest first. Before two
clusters join, the guard checks every record of one against every record of
the other: two records with different DOIs (or PMIDs), or a pair that was
vetoed (or that a person said are not duplicates), must never end in one
cluster, however many plausible links lead from one to the other (A~B, B~C
with A and C different works). Such a link is held back and queued as
"maybe" with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Hashable, Iterable

from .record import Features
from .scoring import MAYBE, PairDecision, _doi_state, _set_state


class _Clusters:
    def __init__(self, ids: Iterable[Hashable]):
        self.parent = {i: i for i in ids}
        self.members = {i: [i] for i in self.parent}

    def find(self, i):
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def join(self, a, b):
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))


def _conflict(left: list, right: list, features: dict[Hashable, Features],
              apart: dict[Hashable, set]) -> str | None:
    """Why the records of `left` and `right` must not be one cluster, or None."""
    for x in left:
        partners = apart.get(x)
        fx = features[x]
        for y in right:
            if partners and y in partners:
                return f"{x} and {y} were judged different works"
            fy = features[y]
            if _doi_state(fx.dois, fy.dois) == "different":
                return f"{x} and {y} have different DOIs"
            if _set_state(fx.pmids, fy.pmids) == "different":
                return f"{x} and {y} have different PMIDs"
    return None


def cluster(ids: list[Hashable], duplicates: list[PairDecision],
            features: dict[Hashable, Features],
            apart_pairs: Iterable[tuple[Hashable, Hashable]] = ()
            ) -> tuple[list[list[Hashable]], list[PairDecision], list[PairDecision]]:
    """(clusters, links used, links held back as maybe).

    `ids` gives the order of records: each cluster lists its ids in that order,
    so its first id is the record kept (the earliest loaded). Clusters of one
    record are left out.
    """
    order = {i: n for n, i in enumerate(ids)}
    apart: dict[Hashable, set] = {}
    for x, y in apart_pairs:
        apart.setdefault(x, set()).add(y)
        apart.setdefault(y, set()).add(x)
    sets = _Clusters(ids)
    used, held = [], []
    for pair in sorted(duplicates, key=lambda p: (-p.score, order[p.a], order[p.b])):
        ra, rb = sets.find(pair.a), sets.find(pair.b)
        if ra == rb:
            used.append(pair)
            continue
        reason = _conflict(sets.members[ra], sets.members[rb], features, apart)
        if reason:
            held.append(replace(pair, outcome=MAYBE,
                                vetoes=pair.vetoes + [f"would join records that must stay apart: {reason}"]))
            continue
        sets.join(ra, rb)
        used.append(pair)
    clusters = [sorted(m, key=order.__getitem__) for m in sets.members.values() if len(m) > 1]
    clusters.sort(key=lambda m: order[m[0]])
    return clusters, used, held
