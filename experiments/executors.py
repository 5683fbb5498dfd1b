"""Executors behind ``concurrent.futures.Executor``: serial, local processes, Dask.

- :class:`SerialExecutor` runs each task in the calling process (debugging, tests).
- :func:`process_pool` starts a pool of local worker processes (the default, all cores).
  It uses the ``fork`` start method for its own pool only (never the global default,
  unlike Mesa's ``batch_run``), so workers are the sweep's own children and see the
  behaviours registered in the session; every worker asks the kernel to kill it when
  its parent dies, so no worker outlives a sweep even when the parent is SIGKILLed.
- :func:`dask_executor` connects to a Dask scheduler (``tcp://host:8786``) or starts a
  LocalCluster bound to 127.0.0.1 (its dashboard too), and returns the client's
  executor; the scheduler's workers must be able to import this package.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

PR_SET_PDEATHSIG = 1


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _worker_init() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A local process pool of ``workers`` processes (default: all cores)."""
    count = workers or os.cpu_count() or 1
    if count < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_worker_init)


@contextmanager
def dask_executor(scheduler: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """A Dask executor: the given scheduler address, or a LocalCluster on 127.0.0.1."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client.get_executor()
        return
    with (
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()


@contextmanager
def make_executor(
    kind: str = "processes", workers: int | None = None, scheduler: str | None = None
) -> Iterator[Executor]:
    """The executor for ``kind``: ``serial``, ``processes`` or ``dask``."""
    if kind == "serial":
        yield SerialExecutor()
    elif kind == "processes":
        pool = process_pool(workers)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    elif kind == "dask":
        with dask_executor(scheduler, workers) as executor:
            yield executor
    else:
        raise ValueError(f"unknown executor {kind!r}; choose serial, processes or dask")
