"""Blind-safe prioritisation: what the model may learn from, and where a
record is offered, so that the order never reveals another reviewer's vote.

Two rules, both pure functions here:

1. `training_labels`: the model learns only from records whose stage is
   settled (every vote it needs is in, agreeing, or a lead ruled) and from a
   lead's seed includes. A vote on a record still awaiting its second
   reviewer is not a label, so it cannot move any record, that one or its
   neighbours in feature space. A settled record's status is already shown
   to everyone, so learning from it reveals nothing new.
2. `offer_order`: a record keeps, from its first vote on, the rank it had at
   that moment (phase 2 stores it), however the model reranks afterwards, so
   even a record's own later history cannot move it in the other reviewer's
   queue.

Together: two reviews that differ only in one reviewer's vote on an open
record train the same model and offer every other reviewer the same records
in the same order (tests/test_ranking_blind.py checks it as an invariance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

SETTLED_INCLUDE = "included"
SETTLED_EXCLUDE = "excluded"


@dataclass(frozen=True)
class RecordOutcome:
    """What the review shows about one record (statuses, not votes)."""

    record_id: int
    ta_status: str = "unscreened"   # title/abstract status column
    ft_status: str | None = None    # full-text status column
    seed_include: bool = False      # marked known relevant by a lead


def training_labels(outcomes: Iterable[RecordOutcome],
                    ft_excluded_weight: float | None = None
                    ) -> tuple[list[int], list[int], list[float]]:
    """(record ids, labels, weights) the model may learn from.

    included at title/abstract -> 1; excluded -> 0; a seed include -> 1.
    A record included at title/abstract and excluded at full text counts as
    an exclude (its final outcome) or, with `ft_excluded_weight`, as an
    include of that weight. Open, conflicting and maybe records are not
    labels until settled (a lead resolves conflicts and maybes).
    """
    ids, labels, weights = [], [], []
    for outcome in outcomes:
        if outcome.seed_include:
            label, weight = 1, 1.0
        elif outcome.ta_status == SETTLED_INCLUDE:
            if outcome.ft_status == SETTLED_EXCLUDE:
                label, weight = ((1, ft_excluded_weight) if ft_excluded_weight is not None
                                 else (0, 1.0))
            else:
                label, weight = 1, 1.0
        elif outcome.ta_status == SETTLED_EXCLUDE:
            label, weight = 0, 1.0
        else:
            continue
        ids.append(outcome.record_id)
        labels.append(label)
        weights.append(weight)
    return ids, labels, weights


def offer_order(ranking: Sequence[int], frozen_ranks: Mapping[int, int]) -> list[int]:
    """The order to offer records in.

    `ranking`: every record id, best first, as the latest model ranks them.
    `frozen_ranks`: record id -> 0-based rank it had when it received its
    first vote. Those records sit at their frozen ranks (ties by rank, then
    id); the others fill the remaining places in model order. Frozen ids
    the ranking does not hold are ignored.
    """
    present = set(ranking)
    frozen = sorted(((rank, record) for record, rank in frozen_ranks.items()
                     if record in present), key=lambda item: (item[0], item[1]))
    frozen_ids = {record for _, record in frozen}
    free = [record for record in ranking if record not in frozen_ids]
    order: list[int] = []
    next_frozen = next_free = 0
    while len(order) < len(ranking):
        frozen_due = next_frozen < len(frozen) and frozen[next_frozen][0] <= len(order)
        if frozen_due or next_free == len(free):
            order.append(frozen[next_frozen][1])
            next_frozen += 1
        else:
            order.append(free[next_free])
            next_free += 1
    return order


def next_for(order: Sequence[int], needs: Iterable[int]) -> int | None:
    """The first record in offer order among those a reviewer still needs to screen."""
    wanted = set(needs)
    for record in order:
        if record in wanted:
            return record
    return None
