"""The model: ASReview ELAS u4's weights and classifier, team rows, the bound."""

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from datasette_mscdm.ranking import model
from datasette_mscdm.ranking.features import FeatureStore, record_text
from datasette_mscdm.ranking.labelled import read_labelled

from conftest import CORPUS


@pytest.fixture(scope="module")
def meijboom():
    labelled = read_labelled(CORPUS / "screening" / "synergy" / "Meijboom_2021.csv")
    texts = [record_text(t, a) for t, a in zip(labelled.titles, labelled.abstracts)]
    return FeatureStore.build(np.arange(len(texts)), texts), labelled


@pytest.mark.parametrize("n_pos,n_neg", [(1, 1), (3, 40), (37, 845)])
def test_balanced_weights_as_asreview_defines_them(n_pos, n_neg):
    y = np.array([1] * n_pos + [0] * n_neg)
    w = model.balanced_weights(y, 9.8)
    # All includes together weigh 9.8 times all excludes; the weights sum to len(y).
    assert w[y == 1].sum() / w[y == 0].sum() == pytest.approx(9.8)
    assert w.sum() == pytest.approx(len(y))
    assert np.ptp(w[y == 1]) == 0 and np.ptp(w[y == 0]) == 0


def test_elas_u4_is_linear_svc_with_those_weights(meijboom):
    store, labelled = meijboom
    rng = np.random.default_rng(3)
    rows = np.concatenate([np.flatnonzero(labelled.labels == 1)[:5],
                           rng.choice(np.flatnonzero(labelled.labels == 0), 60, replace=False)])
    y = labelled.labels[rows]
    n1, n0 = (y == 1).sum(), (y == 0).sum()
    weights = np.where(y == 1, 1.0, n1 / (9.8 * n0))
    weights *= len(y) / weights.sum()
    reference = LinearSVC(C=0.11, loss="squared_hinge", random_state=0)
    reference.fit(store.matrix[rows], y, sample_weight=weights)
    ours = model.elas_u4_scores(store.matrix, rows, y, seed=0)
    assert np.allclose(ours, reference.decision_function(store.matrix), atol=1e-6)


def test_the_fit_is_bounded_by_subsampling_excludes(meijboom):
    store, labelled = meijboom
    rows = np.arange(len(labelled))
    kept_rows, kept_labels, _ = model._bounded_rows(rows, labelled.labels, None, 300, seed=1)
    assert len(kept_rows) == 300
    assert kept_labels.sum() == labelled.includes  # every include kept
    settings = model.ModelSettings(max_train=300)
    scores = model.fit_scores(store.matrix, rows, labelled.labels, settings=settings, seed=1)
    again = model.fit_scores(store.matrix, rows, labelled.labels, settings=settings, seed=1)
    assert np.array_equal(scores, again)
    # Still a model of the includes: they score above the excludes on average.
    assert scores[labelled.labels == 1].mean() > scores[labelled.labels == 0].mean()


def test_extra_rows_and_weights(meijboom):
    store, labelled = meijboom
    include = np.flatnonzero(labelled.labels == 1)[0]
    exclude = np.flatnonzero(labelled.labels == 0)[0]
    rows, y = np.array([include, exclude]), np.array([1, 0])
    plain = model.fit_scores(store.matrix, rows, y)
    criteria = store.vectoriser.transform(["etanercept"])
    with_criteria = model.fit_scores(store.matrix, rows, y, extra=(criteria, [1], [1.0]))
    assert not np.allclose(plain, with_criteria)
    mentions = np.array(["etanercept" in f"{t} {a}".lower()
                         for t, a in zip(labelled.titles, labelled.abstracts)])
    assert (with_criteria - plain)[mentions].mean() > (with_criteria - plain)[~mentions].mean()
    # A weight of zero on a label is as if it were not there.
    third = np.flatnonzero(labelled.labels == 0)[1]
    weighted = model.fit_scores(store.matrix, np.array([include, exclude, third]),
                                np.array([1, 0, 1]), weights=np.array([1.0, 1.0, 1e-12]))
    assert np.corrcoef(weighted, plain)[0, 1] > 0.99
    with pytest.raises(ValueError):
        model.fit_scores(store.matrix, rows[:1], y[:1])


def test_one_generator_per_simulation_draws_each_fits_liblinear_seed(meijboom):
    """ASReview's simulate --seed seeds one generator that every fit draws
    liblinear's seed from; elas_u4_scores with a shared RandomState does the
    same, fit after fit (a LinearSVC fed the same stream agrees)."""
    store, labelled = meijboom
    rng = np.random.default_rng(5)
    includes = np.flatnonzero(labelled.labels == 1)
    excludes = np.flatnonzero(labelled.labels == 0)
    ours, reference = np.random.RandomState(7), np.random.RandomState(7)
    for size in (2, 3, 4):
        rows = np.concatenate([includes[:size], rng.choice(excludes, 20 * size, replace=False)])
        y = labelled.labels[rows]
        expected = LinearSVC(C=0.11, random_state=reference).fit(
            store.matrix[rows], y, sample_weight=model.balanced_weights(y))
        scores = model.elas_u4_scores(store.matrix, rows, y, random_state=ours)
        assert np.array_equal(scores, expected.decision_function(store.matrix))
    # One draw per fit from each stream: they are in step.
    assert np.array_equal(ours.get_state()[1], reference.get_state()[1])


def test_protocol_start_is_the_shuffle_and_priors_simulate_uses():
    from datasette_mscdm.ranking.simulate import protocol_start, simulate
    labels = np.array([0, 1, 0, 0, 1, 0, 1, 0, 0, 0], dtype=np.int8)
    for seed in (1, 2, 3):
        permutation, priors = protocol_start(labels, seed)
        assert sorted(permutation.tolist()) == list(range(len(labels)))
        assert labels[permutation[priors]].tolist() == [1, 0]
        result = simulate(labels, lambda p: (lambda rows, y: -np.arange(len(labels), dtype=float)),
                          seed)
        assert result.order[:2].tolist() == permutation[priors].tolist()
