"""Sweep benchmarks: throughput serial and on the process pool, Dask overhead per run,
peak memory of a large sweep, and the time to resume a half-finished one.

    python benchmarks/bench_sweep.py --json results/bench/sweep.json [--quick] [--runs N]

Each measurement runs the same study (a grid over threat credibility); figures are
medians of repeats, and ratios are taken within this one process run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from experiments.executors import make_executor
from experiments.study import Study, parse_study
from experiments.sweep import run_sweep


def study(runs: int) -> Study:
    levels = 10
    return parse_study(
        {
            "study": {
                "name": "bench",
                "scenario": "kuala-lumpur-2025",
                "root_seed": 1,
                "replications": max(1, runs // levels),
            },
            "design": {
                "kind": "grid",
                "parameters": {"threat_credibility": {"low": 0.0, "high": 1.0, "levels": levels}},
            },
        }
    )


def timed_sweep(kind: str, runs: int, workers: int | None, chunk: int | None = None) -> float:
    with tempfile.TemporaryDirectory() as tmp, make_executor(kind, workers) as executor:
        start = time.perf_counter()
        result = run_sweep(study(runs), Path(tmp) / "out", executor, chunk_size=chunk)
        return result.ran_runs / (time.perf_counter() - start)


def peak_rss_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"parent_peak_rss_mb": own, "largest_worker_peak_rss_mb": children}


def resume_time(runs: int) -> float:
    """Seconds for a resume to find that half the chunks are done and run the rest."""
    tmp = Path(tempfile.mkdtemp())
    try:
        s = study(runs)
        with make_executor("processes", None) as executor:
            run_sweep(s, tmp / "out", executor, chunk_size=max(1, runs // 20))
        chunks = sorted((tmp / "out" / "runs").glob("chunk-*.parquet"))
        for path in chunks[len(chunks) // 2 :]:
            path.unlink()
        start = time.perf_counter()
        with make_executor("processes", None) as executor:
            run_sweep(s, tmp / "out", executor, resume=True)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None, help="runs of the memory sweep")
    args = parser.parse_args(argv)
    size = 2_000 if args.quick else 6_000
    repeats = 1 if args.quick else 3
    cores = os.cpu_count() or 1
    serial = statistics.median(timed_sweep("serial", size, 1) for _ in range(repeats))
    pool = statistics.median(timed_sweep("processes", size, cores) for _ in range(repeats))
    dask = statistics.median(timed_sweep("dask", size, cores) for _ in range(repeats))
    results: dict[str, Any] = {
        "sweep_runs": size,
        "serial_runs_per_s": serial,
        "pool_runs_per_s": pool,
        "pool_parallel_efficiency": pool / (cores * serial),
        "dask_runs_per_s": dask,
        "dask_overhead_ms_per_run": (1 / dask - 1 / pool) * 1e3,
    }
    big = args.runs or (10_000 if args.quick else 100_000)
    results["memory_sweep_runs"] = big
    results["memory_sweep_runs_per_s"] = timed_sweep("processes", big, cores)
    results.update(peak_rss_mb())
    results["resume_half_of_runs"] = size
    results["resume_seconds"] = resume_time(size)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
