"""Rankers: a model fitted on the labels so far scores every record.

`fit_scores` is the one ranking function: the live server's reranks and
`mscdm simulate` both call it, so a simulated figure is a figure of the code
that serves. The model is ASReview LAB's ELAS u4 (the default since ASReview
2): LinearSVC(C=0.11, squared hinge) on TF-IDF word 1-2 grams (sublinear tf,
max_df 0.95) with ASReview's "balanced" sample weights (ratio 9.8), ranking by
the decision value ("max" query). What a team tool adds goes in as training
rows and weights:

- `extra`: rows that are not records, e.g. the protocol's eligibility
  criteria vectorised as one more include;
- `weights`: a weight per label (a maybe, a record included at
  title/abstract and excluded at full text, ...), multiplied into the
  balanced weights.

The solver is bounded (`max_iter` passes, and at most `max_train` records:
beyond that the excludes are subsampled, every include kept and the
balanced weights restored), so a rerank costs about the same on any data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

# asreview/models/models.py, AI_MODEL_CONFIGURATIONS["elas_u4"].
ELAS_C = 0.11
ELAS_RATIO = 9.8


@dataclass(frozen=True)
class ModelSettings:
    C: float = ELAS_C
    ratio: float = ELAS_RATIO
    # liblinear's passes over the data. The fits here converge in 30-100
    # (ACEInhibitors, every label: 92; 20k records with random labels: 33);
    # 200 caps a fit that would not at about 7 s for 20k training records.
    max_iter: int = 200
    max_train: int = 20000    # records per fit; more excludes are subsampled


def balanced_weights(y: np.ndarray, ratio: float = ELAS_RATIO) -> np.ndarray:
    """ASReview's Balanced sample weights: each include weighs 1, each
    exclude n_includes / (ratio * n_excludes), so all includes together weigh
    `ratio` times all excludes; then scaled to sum to len(y)."""
    y = np.asarray(y)
    n_pos = int((y == 1).sum())
    n_neg = int((y == 0).sum())
    weights = np.where(y == 1, 1.0, n_pos / (ratio * n_neg))
    return weights * (len(y) / weights.sum())


def _bounded_rows(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray | None,
                  max_train: int, seed: int):
    """At most max_train training rows: every include, a random share of the
    excludes (the balanced weights are recomputed on what is kept, so the
    includes' share of the total weight is unchanged)."""
    if len(rows) <= max_train:
        return rows, labels, weights
    rng = np.random.default_rng(seed)
    positive = np.flatnonzero(labels == 1)
    negative = np.flatnonzero(labels != 1)
    room = max(max_train - len(positive), 1)
    keep = np.sort(np.concatenate([positive, rng.choice(negative, min(room, len(negative)),
                                                        replace=False)]))
    return rows[keep], labels[keep], None if weights is None else weights[keep]


def fit_scores(X: sp.csr_matrix, rows, labels, weights=None, extra=None,
               settings: ModelSettings = ModelSettings(), seed: int = 0,
               random_state: np.random.RandomState | None = None) -> np.ndarray:
    """Fit on the labelled records (`rows` of X, `labels` 1/0, optional
    per-label `weights`) plus `extra` = (matrix, labels, weights) rows that
    are not records, and return the decision value of every row of X.
    liblinear's shuffling is seeded by `seed`, or drawn from `random_state`
    when one is given (see elas_u4_scores)."""
    rows = np.asarray(rows, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int8)
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
    rows, labels, weights = _bounded_rows(rows, labels, weights, settings.max_train, seed)
    train = X[rows]
    y = labels
    multipliers = weights if weights is not None else np.ones(len(rows))
    if extra is not None:
        extra_matrix, extra_labels, extra_weights = extra
        train = sp.vstack([train, extra_matrix.astype(train.dtype)], format="csr")
        y = np.concatenate([y, np.asarray(extra_labels, dtype=np.int8)])
        multipliers = np.concatenate([multipliers, np.asarray(extra_weights, dtype=np.float64)])
    if y.min() == y.max():
        raise ValueError("ranking needs at least one include and one exclude")
    sample_weight = balanced_weights(y, settings.ratio) * multipliers
    model = LinearSVC(C=settings.C, loss="squared_hinge", max_iter=settings.max_iter,
                      random_state=seed if random_state is None else random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(train, y, sample_weight=sample_weight)
    return model.decision_function(X)


def elas_u4_scores(X: sp.csr_matrix, train_rows, train_labels, seed: int = 0,
                   random_state: np.random.RandomState | None = None) -> np.ndarray:
    """ASReview ELAS u4 exactly: no extra rows, no weights, no subsampling,
    liblinear's default 1000 passes.

    `random_state`: one np.random.RandomState(seed) shared by every fit of a
    simulation reproduces ASReview's screening order record for record.
    `asreview simulate --seed S` seeds numpy's global generator once, and each
    of its LinearSVC fits (random_state=None) draws liblinear's seed from it;
    liblinear's coordinate-descent order then decides near ties (decision
    values within ~1e-7, its tolerance), so a fresh seed per fit gives the
    same metrics but not always the same order (scripts/asreview_parity.py)."""
    return fit_scores(X, train_rows, train_labels,
                      settings=ModelSettings(max_iter=1000, max_train=np.iinfo(np.int64).max),
                      seed=seed, random_state=random_state)
