"""The dashboard's live estimate: time from a change of settings to the final estimate.

    python -m benchmarks.bench_live [--json PATH] [--repeats N] [--runs N]

Runs :func:`dashboards.live_estimate.estimate` as the page does: ``--runs`` seeded runs
(the page's 1,000) on the server's shared worker pool, already started and warm, for a
new setting each repeat (so no worker reuses a result), and the same estimate in the
server's own process (how it ran before the pool), side by side in one run. Reports
medians, the ratio, and the runs the first second gives. The pool's start (once per
server, on the first estimate) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from dashboards.live_estimate import estimate
from dashboards.workers import CHUNK_RUNS, shared_pool
from experiments.executors import check_workers

SCENARIO = "kuala-lumpur-2025"


GOAL_RUNS = 1000  # the goal: a thousand runs of the live estimate within a second


def _timed(runs: int, credibility: float, executor: Any) -> tuple[float, int]:
    """Seconds to the final estimate, and the runs published within the first second."""
    start = time.perf_counter()
    first_second = 0

    def publish(summary: Any) -> None:
        nonlocal first_second
        if time.perf_counter() - start <= 1.0:
            first_second = summary.runs

    estimate(
        SCENARIO,
        {"threat_credibility": credibility},
        runs,
        publish=publish,
        refresh_s=0.05,
        executor=executor,
    )
    return time.perf_counter() - start, first_second


def bench(repeats: int, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    pool = shared_pool()
    warm = 2 * CHUNK_RUNS * check_workers(None)  # two chunks a worker: every one warm
    estimate(SCENARIO, {}, warm, executor=pool)
    start_s = time.perf_counter() - started
    pooled, serial, early = [], [], []
    for r in range(repeats):
        seconds, first = _timed(runs, 0.30 + 0.01 * r, pool)
        pooled.append(seconds)
        early.append(first)
        serial.append(_timed(runs, 0.30 + 0.01 * r, None)[0])
    return {
        "live_runs": runs,
        "live_pool_start_s": start_s,
        "live_estimate_s": statistics.median(pooled),
        "live_estimate_in_process_s": statistics.median(serial),
        "ratio_in_process_to_pool": statistics.median(serial) / statistics.median(pooled),
        "live_runs_in_first_second": statistics.median(early),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=GOAL_RUNS)
    args = parser.parse_args(argv)
    results = bench(args.repeats, args.runs)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
