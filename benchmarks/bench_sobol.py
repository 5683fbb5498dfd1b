"""The full-size Sobol study on the process pool: its wall time against the one-minute
goal, and the per-run engine's time for the same runs, projected from a slice run side
by side in this process run.

    python -m benchmarks.bench_sobol --json results/bench/sobol.json [--quick]

The study is ``experiments/studies/sobol-all.toml`` at full size (``samples = 1024``,
``replications = 50``: 716,800 runs of 14,336 design points), on every core. The
per-run engine (``--engine per-run``) runs the same study's first ``--slice`` runs
(whole chunks of it), once before and once after the full sweep; its projection is its
median rate over the full study's runs. The largest peak memory of a worker is what Linux
reports for the processes waited for (``RUSAGE_CHILDREN``). ``--quick`` runs a study of
1/16 the size.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from experiments.executors import make_executor
from experiments.study import Study, parse_study
from experiments.sweep import run_sweep

STUDY = Path(__file__).resolve().parent.parent / "experiments" / "studies" / "sobol-all.toml"
GOAL_SECONDS = 60.0


def sobol_study(samples: int, replications: int) -> Study:
    """``sobol-all.toml`` with ``samples`` base samples and ``replications`` runs each."""
    raw = tomllib.loads(STUDY.read_text(encoding="utf-8"))
    raw["design"]["samples"] = samples
    raw["study"]["replications"] = replications
    return parse_study(raw, str(STUDY), STUDY.parent)


def sweep_seconds(study: Study, engine: str, workers: int) -> tuple[int, float]:
    """(runs, seconds) of ``study`` swept into a scratch folder on ``workers`` processes."""
    with tempfile.TemporaryDirectory() as tmp, make_executor("processes", workers) as pool:
        start = time.perf_counter()
        result = run_sweep(study, Path(tmp) / "out", pool, engine=engine)
        return result.ran_runs, time.perf_counter() - start


def bench_sobol(
    samples: int, replications: int, slice_samples: int, workers: int
) -> dict[str, Any]:
    """The full study's wall time on the lockstep engine, and the per-run engine's
    projected from its median rate on a slice (each ratio within this process run)."""
    full = sobol_study(samples, replications)
    part = sobol_study(slice_samples, replications)
    rates = []
    runs, _ = sweep_seconds(part, "per-run", workers)  # warm: the workers' first compile
    for _ in range(2):
        runs, seconds = sweep_seconds(part, "per-run", workers)
        rates.append(seconds / runs)
    total, lockstep = sweep_seconds(full, "auto", workers)
    projected = statistics.median(rates) * total
    # Linux: the largest peak resident set of the worker processes waited for so far
    largest_worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "sobol_runs": total,
        "sobol_points": total // replications,
        "sobol_workers": workers,
        "sobol_seconds": round(lockstep, 1),
        "sobol_goal_seconds": GOAL_SECONDS,
        "sobol_per_run_engine_seconds_projected": round(projected, 1),
        "sobol_speedup_over_per_run_engine": round(projected / lockstep, 2),
        "sobol_largest_worker_peak_rss_mb": round(largest_worker_kb / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--quick", action="store_true", help="a study of 1/16 the size")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    samples = 64 if args.quick else 1024
    figures = bench_sobol(samples, 50, 16 if args.quick else 32, args.workers)
    text = json.dumps(figures, indent=2)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
