"""Running a rerank: in a worker process while the server goes on, or in
the CLI's own process (`mscdm rerank`).

Why a process: vectorising 100k records and fitting the model is seconds of
Python and NumPy work that holds the GIL, and the server answers every
reviewer from one event loop. In one worker process (spawned, not forked: a
fork of a server with thread pools can inherit a held lock) the server's
requests never wait for it; the only thing a rerank puts on the server is
the head's writes (priority.write_head, a few milliseconds each).

What the worker runs is in rerank_worker.py, imported only where a rerank
runs: scikit-learn and SciPy cost a second and 100 MB to import, which
`mscdm load` and every other command that imports the plugin must not pay.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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
    from . import rerank_worker
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
        plan = await loop.run_in_executor(_pool(), rerank_worker.compute_plan, db.path,
                                          protocol, trigger, include, exclude)
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
    from .rerank_worker import compute_plan

    plan = compute_plan(path, protocol, trigger, include_terms, exclude_terms)
    with conn:
        generation = priority.record_plan(conn, plan, protocol)
    if generation is None:
        return None
    for places in priority.head_parts(plan):
        with conn:
            priority.write_head(conn, plan, protocol, generation, places)
    return plan
