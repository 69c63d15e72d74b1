"""Screening-order metrics, as issue 14 defines them.

From the labels in the order records were screened (priors first):
N = labelled records, R = includes; recall@p% = includes found in the first
ceil(pN/100) / R; n@95 = first position (1-based) where found >= ceil(0.95 R);
WSS@95 = (N - n@95)/N - 0.05; WSS@100 = (N - n@100)/N, n@100 being the
position of the last include. Integer arithmetic for the ceilings, so
0.95 * 20 is 19, not 19.000000000000004 rounded up to 20.
"""

from __future__ import annotations

import numpy as np

RECALL_AT = (10, 25, 50)


def _ceil_percent(percent: int, n: int) -> int:
    return (percent * n + 99) // 100


def first_position_with(found: np.ndarray, target: int) -> int:
    """1-based position at which `found` (cumulative includes) reaches target."""
    return int(np.searchsorted(found, target, side="left")) + 1


def screening_metrics(labels_in_order) -> dict:
    labels = np.asarray(labels_in_order, dtype=np.int64)
    n = len(labels)
    r = int(labels.sum())
    if n == 0 or r == 0:
        raise ValueError("metrics need at least one record and one include")
    found = np.cumsum(labels)
    metrics = {"N": n, "R": r}
    for percent in RECALL_AT:
        metrics[f"recall@{percent}%"] = int(found[_ceil_percent(percent, n) - 1]) / r
    n95 = first_position_with(found, _ceil_percent(95, r))
    n100 = first_position_with(found, r)
    metrics["n@95"] = n95
    metrics["n@100"] = n100
    metrics["WSS@95"] = (n - n95) / n - 0.05
    metrics["WSS@100"] = (n - n100) / n
    return metrics
