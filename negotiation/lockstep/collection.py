"""Python's cyclic garbage collector paused while a batch is built, run and read out.

Building a batch of a thousand design points allocates millions of small objects (each
point's scenario, plan and layout; then each run's record), and CPython starts a
collection every few hundred allocations, each older generation's collection walking
every object the process holds (the imported libraries' included). Measured on a sweep
chunk of 1,500 random flagship points, collections were a fifth of the chunk's time.
What a batch allocates is freed by reference counting as it goes (plans are not
cyclic); the one cycle, the batch's Mesa model and its agents, is collected after the
pause. The pause nests and is shared by threads: collection resumes when the last
pause ends, if it was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block (see the module's docstring)."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
