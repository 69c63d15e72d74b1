"""Screening metrics and the simulation protocol of issue 14."""

import numpy as np
import pytest

from datasette_mscdm.ranking.metrics import screening_metrics
from datasette_mscdm.ranking.simulate import prior_positions, simulate


def test_metrics_of_a_hand_computed_order():
    # N = 10, R = 3; includes at positions 1, 4 and 8.
    order = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0]
    m = screening_metrics(order)
    assert (m["N"], m["R"]) == (10, 3)
    assert m["recall@10%"] == pytest.approx(1 / 3)   # first ceil(1.0) = 1 record
    assert m["recall@25%"] == pytest.approx(1 / 3)   # first ceil(2.5) = 3 records
    assert m["recall@50%"] == pytest.approx(2 / 3)   # first 5 records
    assert m["n@95"] == 8                            # ceil(0.95 * 3) = 3 includes
    assert m["WSS@95"] == pytest.approx((10 - 8) / 10 - 0.05)
    assert m["WSS@100"] == pytest.approx((10 - 8) / 10)


def test_ceilings_are_exact_where_floats_are_not():
    # 0.95 * 20 is 18.999999999999996 in floating point; ceil must still give 19,
    # and 0.1 * 30 = 3.0000000000000004 must give 3 records, not 4.
    labels = [1] * 19 + [0] * 10 + [1]
    m = screening_metrics(labels)
    assert m["n@95"] == 19
    assert m["n@100"] == 30
    assert m["recall@10%"] == pytest.approx(3 / 20)
    assert m["WSS@95"] == pytest.approx((30 - 19) / 30 - 0.05)


def test_metrics_refuse_a_set_without_includes():
    with pytest.raises(ValueError):
        screening_metrics([0, 0, 0])


def _fixed_scorer(values, calls):
    """Scores fixed per record (by its place in the original set)."""
    def make(permutation):
        shuffled = np.asarray(values, dtype=float)[permutation]

        def score(rows, labels):
            calls.append((list(rows), list(labels)))
            return shuffled
        return score
    return make


def test_priors_come_first_then_the_top_ranked_unlabelled_record_each_time():
    labels = np.array([0, 1, 0, 0, 1, 0, 1, 0])
    values = [0.1, 0.9, 0.8, 0.2, 0.5, 0.3, 0.7, 0.0]
    calls = []
    result = simulate(labels, _fixed_scorer(values, calls), seed=4, until_all_found=False)
    permutation = np.random.default_rng(4).permutation(len(labels))
    shuffled = labels[permutation]
    first_include = permutation[np.flatnonzero(shuffled == 1)[0]]
    first_exclude = permutation[np.flatnonzero(shuffled == 0)[0]]
    assert list(result.order[:2]) == [first_include, first_exclude]
    rest = [i for i in np.argsort(values)[::-1] if i not in (first_include, first_exclude)]
    assert list(result.order[2:]) == rest
    # Every refit saw every label revealed so far, in screening order.
    for step, (rows, seen_labels) in enumerate(calls):
        assert [permutation[r] for r in rows] == list(result.order[:step + 2])
        assert seen_labels == list(labels[result.order[:step + 2]])
    assert sorted(result.order) == list(range(len(labels)))
    assert result.metrics == screening_metrics(labels[result.order])


def test_ties_go_to_the_record_earlier_in_the_shuffled_order():
    labels = np.array([1, 0, 0, 0, 1, 0])
    result = simulate(labels, _fixed_scorer([0.0] * 6, []), seed=9, until_all_found=False)
    permutation = np.random.default_rng(9).permutation(6)
    priors = set(result.order[:2])
    assert list(result.order[2:]) == [p for p in permutation if p not in priors]


def test_stopping_early_keeps_every_metric():
    rng = np.random.default_rng(0)
    labels = (rng.random(60) < 0.15).astype(int)
    labels[:2] = [1, 0]
    values = rng.random(60) + labels  # includes mostly early: the last one well before the end
    full = simulate(labels, _fixed_scorer(values, []), seed=2, until_all_found=False)
    early_calls = []
    early = simulate(labels, _fixed_scorer(values, early_calls), seed=2)
    assert early.metrics == full.metrics
    assert len(early_calls) < len(labels) - 2


def test_several_priors_and_too_many_priors():
    labels = np.array([1, 1, 1, 0, 0, 0, 0])
    permutation = np.random.default_rng(1).permutation(7)
    positions = prior_positions(labels, permutation, 2, 3)
    assert [labels[permutation[p]] for p in positions] == [1, 1, 0, 0, 0]
    with pytest.raises(ValueError):
        prior_positions(labels, permutation, 4, 1)
