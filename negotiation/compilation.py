"""Compiling the model's kernels ahead of use, so that no run waits for the compiler.

The model's inner loops are numba functions compiled on first call and cached as machine
code next to their sources (``cache=True``, or under ``NUMBA_CACHE_DIR``). The cache is
keyed by each source file: after a fresh clone, an upgrade or an edit, the first process
to run a kernel compiles it (about 11 s for the per-run kernels, 36 s for the lockstep
protocol and 3 s for its phases on two cores, measured with an empty
``NUMBA_CACHE_DIR``), and every later process loads it in a fraction of a second. A
dashboard whose first live estimate waits 45 s, or three processes compiling the same
protocol at once, is what :func:`compile_kernels` prevents: ``make dashboard`` and
``make test`` call it (``negotiation compile``) once after each change of the sources,
and the dashboard's workers call it as they start.

Reference: numba's documentation, "Notes on caching"
(https://numba.readthedocs.io/en/stable/developer/caching.html).
"""

from __future__ import annotations

import numpy as np

from negotiation.lockstep import LockstepTalks, run_seeds
from negotiation.lockstep.protocol import (
    acceptance_inputs,
    first_accepts_text,
    ratification_inputs,
    reservations,
    set_texts,
    store_verdicts,
    summit_packages,
    threaten_round,
)
from negotiation.model import DEFAULT_SCENARIO, run_once
from negotiation.scenario import load_scenario


def compile_kernels(scenario_name: str = DEFAULT_SCENARIO) -> None:
    """Run one seeded run of the scenario on each engine, the per-run model and the
    lockstep batch (its round whole, and in the phases that vectorised behaviours are
    asked between), so that numba compiles (or loads) every kernel they use. Another
    scenario needs no more compiling unless its lockstep layout has other field types."""
    scenario = load_scenario(scenario_name)
    run_once(scenario, seed=0)
    run_seeds(scenario, [0], {})
    phased = LockstepTalks(scenario, [0])
    phased._phased = True  # no behaviour is asked: the phases alone, the same run
    phased.run()
    # and what the phases show vectorised behaviours, for no runs (nothing changes)
    lay, st, none = phased._layout, phased._state, np.empty(0, dtype=np.int64)
    reservations(lay, st, 0, none)
    acceptance_inputs(lay, st, 0, none, np.empty((0, phased.layout.low.shape[1])), 1.0)
    threaten_round(lay, st, 0, none, np.empty(0))
    packages = np.empty((0, phased.layout.low.shape[1]))
    ratification_inputs(lay, st, 0, none, packages, np.empty(0, dtype=np.bool_))
    store_verdicts(lay, st, 0, none, packages, np.empty(0, dtype=np.bool_), np.empty((0, 1), bool))
    summit_packages(lay, st, none)
    set_texts(lay, st, none, np.empty(0), packages)
    first_accepts_text(lay, st, none, 1.0)
