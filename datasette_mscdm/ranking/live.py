"""The ranker the server runs, and `mscdm simulate` with it (same code).

The server (screening/reranker.py) calls, per review database:

    store = FeatureStore.build(ids, texts)        # once; store.to_bytes() to keep it
    store.add(new_ids, new_texts)                 # records loaded later
    ids, labels, weights = blind.training_labels(outcomes)
    result = rerank(store, ids, labels, weights, criteria=..., include_terms=...)
    head = priority.choose_head(result.order, candidates, share, seed)

`rerank` falls back to the cold-start order (criteria and highlight terms)
while there is no include to learn from, and returns None when there is
neither an include nor a query (keep the protocol's random order then).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from . import coldstart, model
from .features import FeatureStore


@dataclass(frozen=True)
class RankerSettings:
    """The live recipe (see README, "Prioritised screening")."""

    # The protocol's eligibility criteria, vectorised, as one more include of this weight.
    criteria_weight: float = 1.0
    # A record included at title/abstract and excluded at full text: an
    # include of this weight (it is on topic; the full text excluded it), or
    # (None) an exclude.
    ft_excluded_weight: float | None = 0.5
    model: model.ModelSettings = field(default_factory=model.ModelSettings)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RerankResult:
    order: np.ndarray          # record ids, best first (every record in the store)
    scores: np.ndarray         # aligned with order
    mode: str                  # "model" or "cold start"
    labels_used: int
    includes_used: int
    seed: int
    seconds: float
    settings: dict

    def record(self) -> dict:
        """What phase 2 writes for each retrain (reproducibility)."""
        return {"mode": self.mode, "labels_used": self.labels_used,
                "includes_used": self.includes_used, "seed": self.seed,
                "seconds": round(self.seconds, 3), "settings": self.settings,
                "model": "ELAS u4 (LinearSVC C=0.11, TF-IDF 1-2 grams, balanced 9.8)"}


def _criteria_rows(store: FeatureStore, criteria: str | None, settings: RankerSettings):
    if not criteria or not criteria.strip() or settings.criteria_weight <= 0:
        return None
    vector = store.vectoriser.transform([criteria]).astype(np.float32)
    if vector.nnz == 0:
        return None
    return vector, [1], [settings.criteria_weight]


def score_records(store: FeatureStore, labelled_ids: Sequence[int], labels, weights=None,
                  criteria: str | None = None, settings: RankerSettings = RankerSettings(),
                  seed: int = 0, rows=None) -> np.ndarray:
    """The model's score of every record in the store (rows of store.ids).
    `rows` (the store rows of labelled_ids) saves the id lookup."""
    if rows is None:
        rows = store.rows(labelled_ids)
    return model.fit_scores(store.matrix, rows, labels, weights,
                            _criteria_rows(store, criteria, settings), settings.model, seed)


def rerank(store: FeatureStore, labelled_ids: Sequence[int], labels, weights=None,
           criteria: str | None = None, include_terms: Sequence[str] = (),
           exclude_terms: Sequence[str] = (), settings: RankerSettings = RankerSettings(),
           seed: int = 0) -> RerankResult | None:
    """Every record of the store ordered best first (ties: store order).

    With an include and an exclude: the model. With includes only (seed
    includes before any exclusion): cold start, the includes joining the
    query. Before the first include: cold start on the criteria and terms.
    Nothing to go on: None. Labels of records the store does not hold (not
    added yet) are left out.
    """
    started = time.monotonic()
    position = store.position
    known = np.array([int(i) in position for i in labelled_ids], dtype=bool)
    ids = np.asarray(labelled_ids, dtype=np.int64).reshape(-1)[known]
    labels = np.asarray(labels, dtype=np.int8).reshape(-1)[known]
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)[known]
    rows = store.rows(ids)
    includes = int((labels == 1).sum())
    if includes and includes < len(labels):
        scores = score_records(store, ids, labels, weights, criteria, settings, seed, rows)
        mode = "model"
    elif includes or (criteria and criteria.strip()) or include_terms:
        scores = coldstart.store_cold_start_scores(store, criteria, include_terms, exclude_terms,
                                                   include_rows=rows[labels == 1])
        mode = "cold start"
    else:
        return None
    best_first = np.argsort(-scores, kind="stable")
    return RerankResult(store.ids[best_first], scores[best_first], mode, len(ids), includes, seed,
                        time.monotonic() - started, settings.as_dict())
