"""When may a team stop screening? A signal, never an automatic stop.

Callaghan & Müller-Hansen (2020), "Statistical stopping criteria for
automated screening in systematic reviews", Systematic Reviews 9:273,
doi:10.1186/s13643-020-01521-4. Treat the last n records screened as a
random sample, drawn without replacement, from an urn holding those n and
every record not yet screened (conservative: prioritisation puts includes
earlier, never later, than random would). If recall were below the target
tau, the urn would hold at least K = floor(found / tau) + 1 - (found - k)
includes, k being the includes among those n. The chance of seeing k or
fewer includes in n draws is the hypergeometric P(X <= k); its minimum over
every n (the last 1, 2, ... records screened) is the p value of "recall is
below tau". Below 1 - confidence, the criterion is met.

Turned around, the same test bounds what is left: "at least m includes are
still unscreened" is rejected when P(X <= k) < 1 - confidence with K = m + k;
the largest m not rejected is the most that can remain at that confidence,
and found / (found + m) the recall it supports.

Pure functions of the labels in screening order (1 include, 0 exclude) and
N, the records in the review.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import hypergeom


@dataclass(frozen=True)
class StoppingEstimate:
    records: int                 # N
    screened: int
    includes_found: int
    screened_since_last_include: int
    recall_target: float
    confidence: float
    p_value: float               # of "recall is below the target"
    criterion_met: bool
    max_includes_remaining: int  # at this confidence
    recall_lower_bound: float    # found / (found + max remaining), at this confidence

    def as_dict(self) -> dict:
        return asdict(self)


def _windows(labels: np.ndarray, records: int):
    """The windows worth testing (the last n screened), with the includes
    among them and the urn size (those n plus every record not screened).

    Only windows that reach back to just after an include (or to the first
    record) can hold the minimum: lengthening a window by one more exclude
    keeps k and adds a failure to the urn and a draw, and that makes k or
    fewer includes less likely (condition on whether the added exclude is
    drawn). So R + 1 windows stand for all of them; tests/test_ranking_stopping.py
    checks the minimum against every window with exact fractions.
    """
    screened = len(labels)
    starts = np.concatenate([[0], np.flatnonzero(labels) + 1])  # oldest record of each window
    starts = starts[starts < screened]
    sizes = screened - starts
    found_before = np.concatenate([[0], np.cumsum(labels)])[starts]
    in_window = int(labels.sum()) - found_before
    urns = records - screened + sizes
    return sizes, in_window, urns


def p_value_remaining(labels, records: int, remaining: int) -> float:
    """p value of "at least `remaining` includes are still unscreened"."""
    labels = np.asarray(labels, dtype=np.int64)
    unscreened = records - len(labels)
    if remaining <= 0:
        return 1.0
    if remaining > unscreened:
        return 0.0  # more includes than records left: impossible
    if len(labels) == 0:
        return 1.0
    sizes, in_window, urns = _windows(labels, records)
    p = hypergeom.cdf(in_window, urns, in_window + remaining, sizes)
    return float(np.nanmin(p))


def missed_for_target(found: int, recall_target: float) -> int:
    """Fewest unscreened includes that would put recall below the target."""
    if not 0 < recall_target <= 1:
        raise ValueError("recall_target must be in (0, 1]")
    # Exact for targets written as decimals: floor(found / tau) on a fraction.
    from fractions import Fraction
    total = math.floor(Fraction(found) / Fraction(str(recall_target)))
    return total + 1 - found


def stopping_estimate(labels, records: int, recall_target: float = 0.95,
                      confidence: float = 0.95) -> StoppingEstimate:
    """The stopping signal after screening `labels` (in order) of `records`."""
    labels = np.asarray(labels, dtype=np.int64)
    screened = len(labels)
    if records < screened:
        raise ValueError(f"{screened} records screened of only {records}")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    alpha = 1 - confidence
    found = int(labels.sum())
    hits = np.flatnonzero(labels)
    since_last = screened - (int(hits[-1]) + 1) if len(hits) else screened
    p = p_value_remaining(labels, records, missed_for_target(found, recall_target))
    # Largest m whose hypothesis "at least m remain" is not rejected; the p
    # value falls as m grows, so bisect on [0, unscreened].
    low, high = 0, records - screened
    while low < high:
        middle = (low + high + 1) // 2
        if p_value_remaining(labels, records, middle) >= alpha:
            low = middle
        else:
            high = middle - 1
    remaining = low
    bound = found / (found + remaining) if found + remaining else 1.0
    return StoppingEstimate(records, screened, found, since_last, recall_target, confidence,
                            p, p < alpha, remaining, bound)


def stopping_curve(labels, records: int, every: int = 1, **settings) -> list[dict]:
    """The estimate after every `every` records (for the dashboard's curve)."""
    labels = np.asarray(labels, dtype=np.int64)
    points = list(range(every, len(labels) + 1, every))
    if not points or points[-1] != len(labels):
        points.append(len(labels))
    return [stopping_estimate(labels[:n], records, **settings).as_dict() for n in points]
