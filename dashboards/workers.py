"""The server's pool of worker processes, shared by every session's background runs.

The live estimate, the ensemble and the two-worlds comparison send their runs here in
chunks of :data:`CHUNK_RUNS` (about 0.1 s each), so that a cancel or a change of
settings stops what has not started and the pages stay responsive. The pool starts the
first time it is asked for, one worker per core, with ``spawn`` (the server has
threads; forking it could deadlock), is started again if a worker died, and never
outlives the server (:func:`experiments.executors.spawned_pool`). Results equal those
of the same runs in one process, since every run's seed depends only on its run id.
"""

from __future__ import annotations

import atexit
import threading
from concurrent.futures import ProcessPoolExecutor

from experiments.executors import spawned_pool

CHUNK_RUNS = 50  # runs per task sent to a worker

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def shared_pool() -> ProcessPoolExecutor:
    """The server's worker pool, started on first use (again if it broke)."""
    global _pool
    with _lock:
        if _pool is None or getattr(_pool, "_broken", False):
            _pool = spawned_pool()
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
        return _pool
