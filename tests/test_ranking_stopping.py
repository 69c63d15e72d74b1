"""The stopping signal (Callaghan & Müller-Hansen 2020) on hand-checked
examples and against a brute force with exact binomial coefficients."""

from fractions import Fraction
from math import comb, floor

import numpy as np
import pytest

from datasette_mscdm.ranking.stopping import (missed_for_target, p_value_remaining,
                                              stopping_curve, stopping_estimate)


def brute_p(labels, records, remaining):
    """min over windows of P(X <= k), X hypergeometric, by exact fractions."""
    screened = len(labels)
    best = Fraction(1)
    for n in range(1, screened + 1):
        window = labels[screened - n:]
        k = sum(window)
        urn = records - screened + n
        K = k + remaining
        if K > urn:
            return Fraction(0)
        p = sum(Fraction(comb(K, i) * comb(urn - K, n - i), comb(urn, n)) for i in range(k + 1))
        best = min(best, p)
    return best


def test_hand_checked_example():
    # 1,000 records; 20 includes in the first 20 screened, then 880 excludes.
    labels = [1] * 20 + [0] * 880
    estimate = stopping_estimate(labels, 1000, recall_target=0.95, confidence=0.95)
    assert estimate.includes_found == 20
    assert estimate.screened_since_last_include == 880
    # Recall below 95% means at least floor(20 / 0.95) + 1 - 20 = 2 includes
    # among the 100 unscreened. The 880 excludes in a row are the telling window:
    # P(no include in 880 draws from 980 holding 2) = (100 * 99) / (980 * 979).
    assert missed_for_target(20, 0.95) == 2
    assert estimate.p_value == pytest.approx(100 * 99 / (980 * 979))
    assert estimate.criterion_met  # 0.0103 < 0.05
    # One missed include is not rejected: P = 100 / 980 = 0.102 >= 0.05.
    assert p_value_remaining(labels, 1000, 1) == pytest.approx(100 / 980)
    assert estimate.max_includes_remaining == 1
    assert estimate.recall_lower_bound == pytest.approx(20 / 21)


def test_not_met_when_too_few_screened_since_the_last_include():
    labels = [1] * 10 + [0] * 50   # 100 records, 40 unscreened
    estimate = stopping_estimate(labels, 100)
    # One missed include would make recall 10/11 < 0.95: P = (90 - 50) / 90.
    assert estimate.p_value == pytest.approx(40 / 90)
    assert not estimate.criterion_met
    assert estimate.max_includes_remaining >= 1


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    records = int(rng.integers(30, 80))
    screened = int(rng.integers(5, records))
    # Includes thinning out, as prioritised screening finds them.
    labels = [int(rng.random() < 0.5 * (1 - i / screened) ** 2) for i in range(screened)]
    for remaining in (1, 2, 3, 5):
        assert p_value_remaining(labels, records, remaining) == pytest.approx(
            float(brute_p(labels, records, remaining)), abs=1e-9)
    estimate = stopping_estimate(labels, records)
    found = sum(labels)
    target_missed = floor(Fraction(found) / Fraction("0.95")) + 1 - found
    assert estimate.p_value == pytest.approx(float(brute_p(labels, records, target_missed)))
    m = estimate.max_includes_remaining
    assert brute_p(labels, records, m) >= Fraction(5, 100) or m == 0
    if m < records - screened:
        assert brute_p(labels, records, m + 1) < Fraction(5, 100)


def test_more_screening_without_includes_tightens_the_bound():
    bounds = [stopping_estimate([1] * 5 + [0] * n, 300).max_includes_remaining
              for n in (10, 50, 150, 290)]
    assert bounds == sorted(bounds, reverse=True)
    assert bounds[0] > bounds[-1]
    assert stopping_estimate([1] * 5 + [0] * 295, 300).max_includes_remaining == 0


def test_edge_cases():
    nothing = stopping_estimate([], 50)
    assert nothing.includes_found == 0 and not nothing.criterion_met
    everything = stopping_estimate([1, 0, 0, 1], 4)
    assert everything.criterion_met and everything.max_includes_remaining == 0
    with pytest.raises(ValueError):
        stopping_estimate([0] * 5, 3)
    with pytest.raises(ValueError):
        stopping_estimate([0], 3, confidence=1.0)
    curve = stopping_curve([1, 0, 0, 1, 0, 0, 0], 20, every=3)
    assert [point["screened"] for point in curve] == [3, 6, 7]
