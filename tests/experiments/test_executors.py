"""No worker process outlives its sweep, even when the parent is SIGKILLed, and none dies
before it (a spawned pool started from a thread that ends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import wait

import pytest

from experiments.executors import spawned_pool

PARENT = """
import os, sys, threading, time
from experiments.executors import process_pool, spawned_pool
make = spawned_pool if sys.argv[1] == "spawned" else process_pool
box = []
starter = threading.Thread(target=lambda: box.append(make(2)))  # a thread that ends
starter.start()
starter.join()
pool = box[0]
for started in [pool.submit(time.sleep, 0.5) for _ in range(2)]:  # both workers start
    started.result()
pids = set()
while len(pids) < 2:
    pids |= {f.result() for f in [pool.submit(os.getpid) for _ in range(8)]}
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("kind", ["fork", "spawned"])
def test_workers_die_with_a_killed_parent(kind: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, kind], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids), f"workers {pids} outlived their parent"


def test_spawned_workers_outlive_the_thread_that_started_them() -> None:
    """Linux sends the parent-death signal when the creating *thread* ends: a worker
    started by a page's task thread must still serve the next task."""
    box = []

    def start() -> None:
        pool = spawned_pool(2)
        box.append((pool, [pool.submit(os.getpid) for _ in range(2)]))
        wait(box[0][1], timeout=60)

    starter = threading.Thread(target=start)
    starter.start()
    starter.join()
    pool, first = box[0]
    with pool:
        time.sleep(1.0)  # a signal on the thread's end would have landed by now
        pids = {f.result() for f in first}
        assert all(_alive(p) for p in pids)
        assert pool.submit(int, "7").result(timeout=30) == 7
