"""Executors behind ``concurrent.futures.Executor``: serial, local processes, Dask.

- :class:`SerialExecutor` runs each task in the calling process (debugging, tests).
- :func:`process_pool` starts a pool of local worker processes (the default, all cores).
  It uses the ``fork`` start method for its own pool only (never the global default,
  unlike Mesa's ``batch_run``), so workers are the sweep's own children and see the
  behaviours registered in the session; every worker asks the kernel to kill it when
  its parent dies, so no worker outlives a sweep even when the parent is SIGKILLed.
- :func:`spawned_pool` starts local workers with ``spawn`` instead: what a threaded
  server (the dashboard) may start, since forking a process with threads can deadlock;
  its workers see only the behaviours that importing the package registers, and each
  ends within half a second of its parent process.
- :func:`dask_executor` connects to a Dask scheduler (``tcp://host:8786``) or starts a
  LocalCluster bound to 127.0.0.1 (its dashboard too), and returns the client's
  executor; the scheduler's workers must be able to import this package.

Inputs are checked before anything starts (:class:`ExecutorError`): a worker count is an
integer from 1 to :func:`max_workers`, a scheduler address has the form
``tcp://host:port`` and must answer within :data:`CONNECT_TIMEOUT` seconds. An executor
that dies under a running sweep (a killed pool worker, a lost scheduler) is reported by
:func:`lost_executor` as one sentence, so callers can end with a message instead of a
traceback.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from experiments.extras import require

PR_SET_PDEATHSIG = 1
WORKERS_PER_CORE = 4
CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler (Dask's default is 30)
PARENT_POLL_S = 0.5  # how often a spawned worker checks that its parent lives
WORKER_WAIT = 30.0  # seconds to wait for a scheduler to have at least one worker
SCHEDULER_FORM = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


class ExecutorError(ValueError):
    """An executor that cannot be set up as asked (bad worker count or scheduler)."""


class ExecutorLost(RuntimeError):
    """The executor died under a running batch (a worker killed, the scheduler lost)."""


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def max_workers() -> int:
    """The most worker processes one may ask for: 4 per core of this machine."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check_workers(workers: int | None) -> int:
    """The worker count to use: ``None`` means all cores; otherwise 1 .. max_workers()."""
    cores = os.cpu_count() or 1
    if workers is None:
        return cores
    cap = max_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= cap:
        raise ExecutorError(
            f"workers must be an integer from 1 to {cap} "
            f"({WORKERS_PER_CORE} x the {cores} core(s) of this machine), got {workers!r}"
        )
    return workers


def check_scheduler(address: str) -> str:
    """``address`` if it has the form ``tcp://host:port`` (or ``tls://``), else an error."""
    match = SCHEDULER_FORM.match(address.strip())
    if match is None or not 1 <= int(match.group(3)) <= 65535:
        raise ExecutorError(
            "a Dask scheduler address has the form tcp://host:port "
            f"(for example tcp://127.0.0.1:8786), got {address!r}"
        )
    return address.strip()


def lost_executor(exc: BaseException) -> str | None:
    """What ``exc`` says about the executor, if it means the executor died; else None."""
    if isinstance(exc, BrokenExecutor):
        return "a worker process died (killed, or out of memory)"
    if isinstance(exc, CancelledError):
        return "the Dask scheduler cancelled the work (scheduler lost or client closed)"
    if isinstance(exc, OSError):
        return f"the connection to the executor was lost ({type(exc).__name__}: {exc})"
    if type(exc).__name__ == "KilledWorker":
        return f"Dask workers kept dying on a task ({exc})"
    return None


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
    count = check_workers(workers)
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_worker_init)


def spawned_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A local pool of ``workers`` processes started with ``spawn`` (default: all cores),
    for a threaded parent; each worker still ends when its parent process does.

    Such a pool starts its workers from whichever thread submits, and Linux delivers the
    parent-death signal when that *thread* ends, so these workers watch their parent
    process instead (:func:`_watch_parent`)."""
    count = check_workers(workers)
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_spawned_worker_init
    )


def _spawned_worker_init() -> None:
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _watch_parent(parent: int, every_s: float = PARENT_POLL_S) -> None:
    """End this process within ``every_s`` seconds of its parent's death (it is then
    adopted by another process, so its parent id changes)."""
    while os.getppid() == parent:
        time.sleep(every_s)
    os._exit(1)


@contextmanager
def dask_executor(scheduler: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """A Dask executor: the given scheduler address, or a LocalCluster on 127.0.0.1."""
    require("distributed", "dask", "running on Dask")
    if scheduler:
        with _remote_client(check_scheduler(scheduler)) as client:
            yield client.get_executor()
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=check_workers(workers),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()


@contextmanager
def _remote_client(address: str) -> Iterator[Any]:
    """A client of the scheduler at ``address``, with short timeouts and a quiet log.

    Dask waits 30 s by default before giving up on a scheduler and logs each lost
    connection with a traceback; here a lost scheduler ends the batch with one message
    (:func:`lost_executor`), so the connect timeout is short and those logs are muted.
    """
    import dask
    from distributed import Client

    timeout = f"{CONNECT_TIMEOUT:g}s"
    with dask.config.set({"distributed.comm.timeouts.connect": timeout}), _quiet_dask_logs():
        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT:g} s "
                f"({type(exc).__name__}: {exc})"
            ) from None
        with client:
            _wait_for_a_worker(client, address)
            yield client


def _wait_for_a_worker(client: Any, address: str) -> None:
    """Refuse a scheduler that has no worker after WORKER_WAIT seconds (work would hang)."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"the Dask scheduler at {address} has no worker after {WORKER_WAIT:g} s "
            f"({type(exc).__name__}): start workers with `dask worker {address}`"
        ) from None


@contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Mute the tracebacks Dask and Tornado log when a scheduler connection drops."""
    names = (
        "distributed.client",
        "distributed.core",
        "distributed.batched",  # "Batched Comm Closed" with a traceback, when mid-send
        "tornado.application",
    )
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


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
