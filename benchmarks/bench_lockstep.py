"""The lockstep engine against the per-run model, side by side in one process.

For the flagship's default protocol: the cost of a run in ``run_once`` (outcome record
only), and in :class:`~negotiation.lockstep.model.LockstepTalks` with its outcome
columns, as a batch of one (the dashboard's path) and in batches of 1,000. Repeats
alternate between the two so that a busy machine slows both alike; figures are medians.

    python -m benchmarks.bench_lockstep [--repeats 7] [--runs 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

from negotiation.lockstep.columns import outcome_columns
from negotiation.lockstep.model import LockstepTalks
from negotiation.model import run_once

FLAGSHIP = "kuala-lumpur-2025"


def _lockstep_batch(seeds: np.ndarray) -> float:
    """Seconds for one batch of ``seeds``, from building the model to its columns."""
    start = time.perf_counter()
    model = LockstepTalks(FLAGSHIP, seeds)
    model.run()
    outcome_columns(model)
    return time.perf_counter() - start


def bench_lockstep(repeats: int = 7, runs: int = 1000) -> dict[str, Any]:
    """Medians of alternating repeats: per-run seconds of each path and their ratios."""
    _lockstep_batch(np.arange(2))  # load the compiled protocol (compiles it on first use)
    single_seeds = np.arange(min(runs, 200))
    per_run, single, batched = [], [], []
    for r in range(repeats):
        seeds = np.arange(runs) + r * runs
        start = time.perf_counter()
        for seed in single_seeds.tolist():
            run_once(FLAGSHIP, seed)
        per_run.append((time.perf_counter() - start) / len(single_seeds))
        single.append(sum(_lockstep_batch(single_seeds[i : i + 1]) for i in range(50)) / 50)
        batched.append(_lockstep_batch(seeds) / runs)
    base, one, many = (statistics.median(x) for x in (per_run, single, batched))
    return {
        "run_once_ms_per_run": base * 1e3,
        "lockstep_batch_of_one_ms": one * 1e3,
        "lockstep_us_per_run_in_batches": many * 1e6,
        "lockstep_batch_size": runs,
        "lockstep_speedup_over_run_once": base / many,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1000, help="runs per batch")
    args = parser.parse_args(argv)
    for key, value in bench_lockstep(args.repeats, args.runs).items():
        print(f"{key}: {value:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
