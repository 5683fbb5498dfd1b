"""The server's pool of worker processes, shared by every session's background runs.

The live estimate, the ensemble and the two-worlds comparison send their runs here in
chunks of :data:`CHUNK_RUNS` (about 0.1 s each), so that the pages stay responsive and
a cancel or a change of settings leaves only the chunks already handed to a worker to
finish (a process pool hands over one chunk more than it has workers). The pool starts the
first time it is asked for, or a few seconds after the first page is shown
(:func:`warm_up`, so that its workers' imports neither slow that page nor make the first
ensemble wait), one worker per core, with ``spawn`` (the server has threads; forking it
could deadlock); work that loses a worker is run once more on a fresh pool
(:func:`on_workers`), and no worker outlives the server
(:func:`experiments.executors.spawned_pool`). Results equal those of the same runs in
one process, since every run's seed depends only on its run id.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from experiments.executors import ExecutorLost, check_workers, spawned_pool

CHUNK_RUNS = 50  # runs per task sent to a worker
WARM_UP_DELAY_S = 3.0  # after the first page, before the workers start

_pool: ProcessPoolExecutor | None = None
_warming = False
_lock = threading.Lock()


def shared_pool() -> ProcessPoolExecutor:
    """The server's worker pool, started on first use (again if it broke)."""
    global _pool
    with _lock:
        if _pool is None or getattr(_pool, "_broken", False):
            _pool = spawned_pool()
        return _pool


def on_workers[T](work: Callable[[ProcessPoolExecutor], T]) -> T:
    """``work(pool)`` on the shared pool; should a worker die under it
    (:class:`~experiments.executors.ExecutorLost`), once more on a fresh pool."""
    pool = shared_pool()
    try:
        return work(pool)
    except ExecutorLost:
        _discard(pool)
        return work(shared_pool())


def _discard(pool: ProcessPoolExecutor) -> None:
    """Forget a pool that lost a worker (the next call starts another), and stop it."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shut_down() -> None:
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)


def warm_up(delay_s: float = WARM_UP_DELAY_S) -> None:
    """Start the pool and have every worker import the model, ``delay_s`` seconds from
    now, in the background; only the first call does anything."""
    global _warming
    with _lock:
        if _warming:
            return
        _warming = True
    timer = threading.Timer(delay_s, _start_workers)
    timer.daemon = True
    timer.start()


def _start_workers() -> None:
    pool = shared_pool()
    # One worker first: on a cold cache it compiles the kernels alone, and the others
    # then load them instead of compiling the same code at once.
    try:
        pool.submit(_ready).result()
    except Exception:  # a warm-up only: the work that needs the pool reports a failure
        return
    for _ in range(check_workers(None)):
        pool.submit(_ready)


def _ready() -> bool:
    """Run in a worker: import the model and load its compiled kernels, the lockstep
    protocol's too (compiled here should the cache be cold)."""
    from negotiation.compilation import compile_kernels

    compile_kernels()
    return True
