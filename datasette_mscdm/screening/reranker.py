"""Running a rerank: in a worker process while the server goes on, or in
the CLI's own process (`mscdm rerank`).

Why a process: vectorising 100k records and fitting the model is seconds of
Python and NumPy work that holds the GIL, and the server answers every
reviewer from one event loop. In one worker process (spawned, not forked: a
fork of a server with thread pools can inherit a held lock) the server's
requests never wait for it; the only thing a rerank puts on the server is
the head's writes (priority.write_head, a few milliseconds each).

The worker keeps each review's feature store (ranking/features.py) in
memory between reranks: built on the first, records loaded later added,
rebuilt when more than a fifth came after the fit. Nothing of it is stored
in the database (a restart vectorises again, in the background).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from urllib.parse import quote

from ..ranking import live
from ..ranking.blind import training_labels
from ..ranking.features import FeatureStore, record_text
from . import priority
from .protocol import Protocol

log = logging.getLogger(__name__)

PLUGIN = "datasette-mscdm"


def ranking_terms(plugin_config: dict | None, protocol: Protocol) -> tuple[list, list]:
    """(include terms, exclude terms) for cold start: the configured
    highlight terms and the protocol's criterion terms, wildcards dropped
    (cold start already matches terms at the start of words)."""
    highlight = (plugin_config or {}).get("highlight") or {}

    def clean(terms):
        return [str(t).replace("*", "").strip() for t in terms or [] if str(t).strip("* ")]

    include = clean(highlight.get("include")) + clean(
        term for criterion in protocol.criteria for term in criterion.highlight)
    return include, clean(highlight.get("exclude"))


# In the worker process -----------------------------------------------------------

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


# In the server -------------------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_THREAD_LIMITS = None
# database path -> the task reranking it (one at a time per review), and when
# a rerank of it last failed (not retried for RETRY_AFTER seconds, so a
# review that cannot be ranked does not cost a failed rerank per page view).
_RUNNING: dict[str, asyncio.Task] = {}
_FAILED_AT: dict[str, float] = {}
RETRY_AFTER = 60.0
# path -> when the worker may start the next rerank of it. After a rerank of
# s seconds the next waits 2 x s (at most COOLDOWN_MAX): the worker then uses at
# most a third of a core, which on a 2-core machine leaves the server the
# rest (with reranks back to back, reviewers deciding every 0.2 s saw their
# p95 rise by a quarter). The task waits, so a rerank that became due
# meanwhile still runs, only later.
_RESTING_UNTIL: dict[str, float] = {}
COOLDOWN_MAX = 10.0


def _worker_started() -> None:
    """In the worker: yield the CPU to the server (on a 2-core machine a
    rerank would otherwise compete with the requests it must not slow) and
    keep NumPy and SciPy to one thread."""
    try:
        os.nice(10)
    except OSError:  # pragma: no cover - not permitted here
        pass
    from threadpoolctl import threadpool_limits
    global _THREAD_LIMITS
    _THREAD_LIMITS = threadpool_limits(1)  # in force while the reference lives


def _pool() -> ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=1, initializer=_worker_started,
                                    mp_context=multiprocessing.get_context("spawn"))
    return _POOL


def _reset_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL = None


def schedule(datasette, db, protocol: Protocol) -> None:
    """Start a background rerank of this review if it may be due (it checks).
    Called after every write and on every screening page; returns at once."""
    if protocol.order != "priority" or not db.is_mutable or db.is_memory or not db.path:
        return
    task = _RUNNING.get(db.path)
    if task is not None and not task.done():
        return
    if time.monotonic() - _FAILED_AT.get(db.path, -RETRY_AFTER) < RETRY_AFTER:
        return
    _RUNNING[db.path] = asyncio.get_running_loop().create_task(_run_logged(datasette, db))


async def idle(db) -> None:
    """Wait until no rerank of this review is running (tests, shutdown)."""
    task = _RUNNING.get(db.path)
    if task is not None:
        await asyncio.shield(task)


async def _run_logged(datasette, db) -> None:
    """_run, its failures logged (a rerank never takes a request down)."""
    try:
        await _run(datasette, db)
    except BrokenProcessPool:
        log.exception("the rerank worker died while ranking %s; it restarts next time", db.name)
        _reset_pool()
        _FAILED_AT[db.path] = time.monotonic()
    except Exception:
        log.exception("rerank of %s failed; retried in %d s", db.name, RETRY_AFTER)
        _FAILED_AT[db.path] = time.monotonic()


async def _run(datasette, db) -> None:
    from ..review_db import read
    from .access import configured_protocol
    from .store import stored_protocol

    config = (datasette.plugin_config(PLUGIN, database=db.name)
              or datasette.plugin_config(PLUGIN) or {})
    configured = configured_protocol(datasette, db.name)
    loop = asyncio.get_running_loop()
    for _ in range(5):  # what became due while it ran, then stop
        rest = _RESTING_UNTIL.get(db.path, 0.0) - time.monotonic()
        if rest > 0:
            await asyncio.sleep(rest)
        protocol = await read(db, lambda conn: stored_protocol(conn) or configured)
        trigger = await read(db, lambda conn: priority.due(conn, protocol))
        if trigger is None:
            return
        include, exclude = ranking_terms(config, protocol)
        plan = await loop.run_in_executor(_pool(), compute_plan, db.path, protocol, trigger,
                                          include, exclude)
        _RESTING_UNTIL[db.path] = time.monotonic() + min(2 * plan.seconds, COOLDOWN_MAX)
        in_force = lambda conn: stored_protocol(conn) or configured  # noqa: E731
        generation = await db.execute_write_fn(
            lambda conn: priority.record_plan(conn, plan, in_force(conn)))
        for places in priority.head_parts(plan) if generation else ():
            if not await db.execute_write_fn(lambda conn, places=places: priority.write_head(
                    conn, plan, in_force(conn), generation, places)):
                break


def rerank_now(path: str, conn, protocol: Protocol, include_terms=(), exclude_terms=(),
               trigger: str = "manual") -> priority.RerankPlan | None:
    """`mscdm rerank`: compute in this process and write on `conn`, as the
    server does (None when the protocol changed meanwhile)."""
    plan = compute_plan(path, protocol, trigger, include_terms, exclude_terms)
    with conn:
        generation = priority.record_plan(conn, plan, protocol)
    if generation is None:
        return None
    for places in priority.head_parts(plan):
        with conn:
            priority.write_head(conn, plan, protocol, generation, places)
    return plan
