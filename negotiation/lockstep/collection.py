"""Python's cyclic garbage collector paused while a batch is built, run and read out.

Building a batch of a thousand design points allocates millions of small objects (each
point's scenario, plan and layout; then each run's record), and CPython starts a
collection every few hundred allocations, each older generation's collection walking
every object the process holds (the imported libraries' included). Measured on a sweep
chunk of 1,500 random flagship points, collections were a fifth of the chunk's time.
What a batch allocates is freed by reference counting as it goes (plans are not
cyclic); the one cycle, the batch's Mesa model and its agents, is collected when the
pause ends, by a collection of the two younger generations, where everything the
batch allocated still is: the batch pays for its garbage, once, and what survives (the
plan cache, the records returned) goes to the oldest generation, which is collected
rarely. Collecting the youngest alone would leave those survivors in the middle
generation, walked again at every one of its collections: measured, that made the
next thousand per-run runs twice as slow. The pause nests, and it pauses only in a
process's main thread (a sweep's workers, a script), never in a server's or a Dask
worker's threads, where other threads' overlapping batches could keep it from ever
ending: there it does nothing.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0  # pauses open in the main thread
_resume = False  # whether collection was on when the first began


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block (see the module's docstring)."""
    global _depth, _resume
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _depth == 0:
        _resume = gc.isenabled()
        gc.disable()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _resume:
            gc.collect(1)
            gc.enable()
