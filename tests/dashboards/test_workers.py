"""The server's shared worker pool (dashboards.workers): one pool for every session,
work that loses a worker run once more on a fresh pool."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from dashboards import workers
from experiments.executors import ExecutorLost


def test_work_that_loses_a_worker_runs_once_more_on_a_fresh_pool() -> None:
    pools: list[ProcessPoolExecutor] = []

    def work(pool: ProcessPoolExecutor) -> str:
        pools.append(pool)
        if len(pools) == 1:
            raise ExecutorLost("a worker process died")
        return "done"

    assert workers.on_workers(work) == "done"
    assert len(pools) == 2 and pools[0] is not pools[1]
    assert workers.shared_pool() is pools[1]  # the fresh pool is the shared one now


def test_a_second_loss_is_the_callers_to_report() -> None:
    def work(pool: ProcessPoolExecutor) -> None:
        raise ExecutorLost("a worker process died")

    with pytest.raises(ExecutorLost):
        workers.on_workers(work)
