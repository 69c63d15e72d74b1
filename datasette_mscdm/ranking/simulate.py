"""Simulated screening: the issue 14 protocol, run with any ranker.

Shuffle the records with the seed; the priors (by default 1 include and 1
exclude, the first ones in the shuffled order) are screening positions 1
and 2; then, repeatedly, train on every label so far, offer the
highest-ranked unlabelled record (ties: the earlier in the shuffled order)
and reveal its label. Once every include is found, the records left are all
excludes and no metric depends on their order, so they follow in the last
model's ranking instead of costing one refit each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .features import FeatureStore, record_text
from .live import RankerSettings, score_records
from .metrics import screening_metrics
from .model import elas_u4_scores

# scores(train_rows, train_labels, step) -> one score per record (higher first);
# rows index the shuffled set.
ScoreFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class SimulationResult:
    order: np.ndarray      # record positions in the labelled set, screening order
    labels: np.ndarray     # their labels, in that order
    metrics: dict
    seed: int
    refits: int


def prior_positions(labels: np.ndarray, permutation: np.ndarray, n_included: int,
                    n_excluded: int) -> list[int]:
    """The priors, as positions in the shuffled order: the first n_included
    includes then the first n_excluded excludes."""
    shuffled = labels[permutation]
    includes = np.flatnonzero(shuffled == 1)
    excludes = np.flatnonzero(shuffled == 0)
    if len(includes) < n_included or len(excludes) < n_excluded:
        raise ValueError(f"the set has {len(includes)} includes and {len(excludes)} excludes; "
                         f"cannot take {n_included} and {n_excluded} as priors")
    return includes[:n_included].tolist() + excludes[:n_excluded].tolist()


def protocol_start(labels, seed: int, prior_included: int = 1,
                   prior_excluded: int = 1) -> tuple[np.ndarray, list[int]]:
    """The protocol's first step: the shuffle (`permutation`, record positions
    in shuffled order) and the priors (positions in that order). One function,
    so a comparison with another tool (scripts/asreview_parity.py) starts from
    the very same shuffle and priors as `simulate`."""
    labels = np.asarray(labels, dtype=np.int8)
    if prior_included < 1 or prior_excluded < 1:
        raise ValueError("a model needs at least one included and one excluded prior")
    permutation = np.random.default_rng(seed).permutation(len(labels))
    return permutation, prior_positions(labels, permutation, prior_included, prior_excluded)


def simulate(labels, make_scorer: Callable[[np.ndarray], ScoreFunction], seed: int = 1,
             prior_included: int = 1, prior_excluded: int = 1,
             until_all_found: bool = True, random_share: float = 0.0) -> SimulationResult:
    """Run the protocol. `make_scorer(permutation)` returns the score
    function over the records in shuffled order (it reorders its features
    once, so no step re-vectorises or re-slices the whole set).
    `random_share`: the chance that a step offers a random unscreened record
    instead of the top-ranked one (the server's guard against tunnel vision)."""
    labels = np.asarray(labels, dtype=np.int8)
    n = len(labels)
    permutation, order = protocol_start(labels, seed, prior_included, prior_excluded)
    shuffled = labels[permutation]
    score = make_scorer(permutation)
    seen = np.zeros(n, dtype=bool)
    seen[order] = True
    total = int(shuffled.sum())
    found = int(shuffled[order].sum())
    refits = 0
    scores = None
    explore = np.random.default_rng([seed, 1])
    while len(order) < n:
        train = np.asarray(order)
        scores = np.asarray(score(train, shuffled[train]), dtype=np.float64)
        refits += 1
        if until_all_found and found == total:
            break
        if random_share and explore.random() < random_share:
            pick = int(explore.choice(np.flatnonzero(~seen)))
        else:
            masked = np.where(seen, -np.inf, scores)
            pick = int(np.argmax(masked))  # first maximum: the earlier shuffled record
        order.append(pick)
        seen[pick] = True
        found += int(shuffled[pick])
    if len(order) < n:
        rest = np.flatnonzero(~seen)
        # Stable sort on -score keeps shuffled order among ties.
        rest = rest[np.argsort(-scores[rest], kind="stable")]
        order.extend(rest.tolist())
    order = permutation[np.asarray(order)]
    in_order = labels[order]
    return SimulationResult(order, in_order, screening_metrics(in_order), seed, refits)


def live_scorer(labelled, criteria: str | None = None, settings=None):
    """`make_scorer` running the live ranker (live.score_records) over a
    labelled set: one feature store for the set, reordered per seed."""
    settings = settings or RankerSettings()
    texts = [record_text(t, a, k) for t, a, k in
             zip(labelled.titles, labelled.abstracts, labelled.keywords)]
    store = FeatureStore.build(np.arange(len(texts)), texts)
    two_stage = labelled.ta_labels if settings.ft_excluded_weight is not None else None

    def make_scorer(permutation: np.ndarray, seed: int):
        shuffled = store.reordered(permutation)
        ta = two_stage[permutation] if two_stage is not None else None

        def score(rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
            weights = None
            if ta is not None:
                # Included at title/abstract, excluded at full text.
                near_miss = (labels == 0) & (ta[rows] == 1)
                if near_miss.any():
                    labels = np.where(near_miss, 1, labels).astype(np.int8)
                    weights = np.where(near_miss, settings.ft_excluded_weight, 1.0)
            return score_records(shuffled, shuffled.ids[rows], labels, weights, criteria,
                                 settings, seed, rows=rows)
        return score
    return make_scorer


def simulate_live(labelled, seed: int = 1, criteria: str | None = None, settings=None,
                  prior_included: int = 1, prior_excluded: int = 1,
                  until_all_found: bool = True) -> SimulationResult:
    """The issue 14 protocol with the live ranker on a LabelledSet."""
    make = live_scorer(labelled, criteria, settings)
    return simulate(labelled.labels, lambda permutation: make(permutation, seed), seed,
                    prior_included, prior_excluded, until_all_found)


def elas_scorer(labelled):
    """`make_scorer` for ASReview's ELAS u4 re-implemented (title + abstract
    text, as ASReview reads it), to compare with the live ranker."""
    texts = [record_text(t, a) for t, a in zip(labelled.titles, labelled.abstracts)]
    matrix = FeatureStore.build(np.arange(len(texts)), texts).matrix

    def make_scorer(permutation: np.ndarray, seed: int):
        shuffled = matrix[permutation]
        # One generator for the whole simulation, as `asreview simulate --seed`
        # leaves it: every fit draws liblinear's seed from it (model.elas_u4_scores).
        stream = np.random.RandomState(seed)
        return lambda rows, labels: elas_u4_scores(shuffled, rows, labels, seed,
                                                   random_state=stream)
    return make_scorer


def simulate_elas(labelled, seed: int = 1, prior_included: int = 1, prior_excluded: int = 1,
                  until_all_found: bool = True) -> SimulationResult:
    make = elas_scorer(labelled)
    return simulate(labelled.labels, lambda permutation: make(permutation, seed), seed,
                    prior_included, prior_excluded, until_all_found)
