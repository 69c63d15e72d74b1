"""Blind-safe prioritisation: what the model may learn from, so that the
order records are offered in never reveals another reviewer's vote.

The rule: `training_labels` takes only records whose stage is settled
(every vote it needs is in and agreeing, or a lead ruled) and a lead's seed
includes. A vote on a record still awaiting its second reviewer is not a
label, so it cannot move any record, that one or its neighbours in feature
space; and the live server (screening/priority.py) ranks every record that
is not settled, so such a vote does not take its record out of the ranking
either. A settled record's status is already shown to everyone, so learning
from it reveals nothing new. The order is then a function of public facts
only, and two reviews that differ only in a vote on an open record (its
value, or whether it was cast) offer every other reviewer the same records
in the same order (tests/test_ranking_blind.py and
tests/test_priority_live.py check it as an invariance).

Issue 14 suggested freezing the rank a record had at its first vote. Under
this rule it is not needed (a record's own open votes never move it), and
it would leak: a record voted on would stay put while the same record,
unvoted, moved with the next rerank, so its place would tell the other
reviewer that someone had voted on it. The test shows that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

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
