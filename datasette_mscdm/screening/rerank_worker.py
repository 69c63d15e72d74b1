"""What a rerank does in the worker process (screening/reranker.py runs it
there, or in the CLI's own process): read one snapshot of the review, keep
its feature store up to date, rank, choose the head.

The worker keeps each review's feature store (ranking/features.py) in
memory between reranks: built on the first, records loaded later added,
rebuilt when more than a fifth came after the fit. Nothing of it is stored
in the database (a restart vectorises again, in the background).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from urllib.parse import quote

from ..ranking import live
from ..ranking.blind import training_labels
from ..ranking.features import FeatureStore, record_text
from . import priority
from .protocol import Protocol

# path -> (file identity, FeatureStore), the most recently used last. A cache
# of this process, not state of the review: losing it costs one rebuild.
_STORES: dict[str, tuple[tuple, FeatureStore]] = {}
STORES_KEPT = 4


def _identity(path: str) -> tuple:
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino)


def _texts(conn, ids) -> list[str]:
    texts = {}
    ids = list(ids)
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for record_id, title, abstract, keywords in conn.execute(
                "SELECT id, title, abstract, keywords FROM records WHERE id IN"
                f" ({', '.join('?' * len(chunk))})", chunk):
            try:
                words = json.loads(keywords or "[]")
            except ValueError:
                words = []
            texts[record_id] = record_text(title, abstract,
                                           [str(w) for w in words] if isinstance(words, list)
                                           else [])
    return [texts.get(i, "") for i in ids]


def feature_store(path: str, conn) -> FeatureStore:
    """This review's feature store, brought up to date with its records."""
    identity = _identity(path)
    cached = _STORES.get(path)
    ids = [row[0] for row in conn.execute("SELECT id FROM records ORDER BY id")]
    if cached and cached[0] == identity:
        store = cached[1]
        missing = sorted(set(ids) - set(store.position))
        if missing:
            store.add(missing, _texts(conn, missing))
        if not store.needs_rebuild():
            return store
    store = FeatureStore.build(ids, _texts(conn, ids))
    _STORES.pop(path, None)
    _STORES[path] = (identity, store)
    while len(_STORES) > STORES_KEPT:
        _STORES.pop(next(iter(_STORES)))
    return store


def compute_plan(path: str, protocol: Protocol, trigger: str, include_terms=(),
                 exclude_terms=()) -> priority.RerankPlan:
    """Read the review (one snapshot), rank it, choose the head. Pure
    reading: the caller writes the plan (priority.record_plan, write_head)."""
    started = time.monotonic()
    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
    try:
        conn.execute("BEGIN")
        source = priority.read_input(conn, protocol)
        store = feature_store(path, conn)
    finally:
        conn.close()
    weight = protocol.priority.ft_excluded_weight
    ids, labels, weights = training_labels(source.outcomes, weight)
    settings = live.RankerSettings(ft_excluded_weight=weight)
    result = live.rerank(store, ids, labels, weights, criteria=source.criteria_text or None,
                         include_terms=list(include_terms), exclude_terms=list(exclude_terms),
                         settings=settings, seed=protocol.seed)
    recorded = {"random_share": protocol.priority.random_share,
                "include_terms": list(include_terms), "exclude_terms": list(exclude_terms),
                "features": len(store.vectoriser.vocabulary_), "store_records": len(store)}
    if result is None:
        # Nothing to rank by yet (no include, no criteria, no terms): the
        # random order stays.
        return priority.RerankPlan(trigger, [], 0, "random", len(ids), int(sum(labels)),
                                   time.monotonic() - started, protocol.seed,
                                   {**recorded, **settings.as_dict()}, source)
    digest = priority.labels_digest(ids, labels, weights)
    head, picks = priority.choose_head(result.order, source.candidates,
                                       protocol.priority.random_share, [protocol.seed, digest])
    record = result.record()
    return priority.RerankPlan(trigger, head, picks, result.mode, result.labels_used,
                               result.includes_used, time.monotonic() - started, protocol.seed,
                               {**recorded, "model": record["model"], **record["settings"]},
                               source)
