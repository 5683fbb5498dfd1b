"""What a sweep worker's memory is made of: the imports, the compiled protocol, and the
chunks it runs.

A fresh Python process (a lean worker, forked from nothing heavier than the imports a
worker needs) imports what a sweep's worker imports, then runs the first chunks of the
full-size Sobol study (``experiments/studies/sobol-all.toml``) one after another, as a
pool worker does. It reports its resident set (RSS) after the imports, after the first
chunk (which loads the compiled protocol from numba's cache), and its peak over all
chunks, with its proportional set size (PSS: shared pages divided among the processes
that share them) at the end. The floor a worker cannot go below is the RSS after the
imports plus the compiled code; the rest is the chunks' working set.

    python -m benchmarks.bench_worker_memory [--chunks 10] [--json FILE]

Linux only (it reads ``/proc/self/status`` and ``/proc/self/smaps_rollup``).
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

GOAL_MB = 300.0  # the lockstep issue's goal for a worker's peak RSS


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    text = Path("/proc/self/status").read_text()
    return int(text.split(f"{field}:")[1].split()[0]) / 1024


def _pss_mb() -> float:
    text = Path("/proc/self/smaps_rollup").read_text()
    return int(text.split("Pss:")[1].split()[0]) / 1024


def _worker(tasks_file: Path) -> dict[str, Any]:
    """Run in the fresh process: import, run each chunk, report memory by phase."""
    from experiments.sweep import packed_chunk_table

    imports = _status_mb("VmRSS")
    tasks = pickle.loads(tasks_file.read_bytes())
    after: list[float] = []
    for task in tasks:
        packed_chunk_table(task)
        after.append(round(_status_mb("VmRSS"), 1))
    return {
        "worker_rss_after_imports_mb": round(imports, 1),
        "worker_rss_after_first_chunk_mb": after[0],
        "worker_rss_after_each_chunk_mb": after,
        "worker_peak_rss_mb": round(_status_mb("VmHWM"), 1),
        "worker_pss_at_end_mb": round(_pss_mb(), 1),
        "worker_peak_rss_goal_mb": GOAL_MB,
        "worker_chunks": len(tasks),
        "worker_runs_per_chunk": tasks[0].stop_run - tasks[0].first_run,
    }


def _tasks(chunks: int) -> list[Any]:
    """The first ``chunks`` tasks of the full-size Sobol study, spread over its design."""
    from benchmarks.bench_sobol import sobol_study
    from experiments import sweep

    plan = sweep._plan(sobol_study(1024, 50))
    size = sweep._auto_chunk_size(plan)
    count = -(-plan.total // size)
    step = max(count // chunks, 1)
    return [sweep._task(plan, size, i) for i in range(0, count, step)[:chunks]]


def bench_worker_memory(chunks: int = 10) -> dict[str, Any]:
    """The figures of a fresh worker process running ``chunks`` chunks of the study."""
    with tempfile.TemporaryDirectory() as tmp:
        tasks_file = Path(tmp) / "tasks.pickle"
        tasks_file.write_bytes(pickle.dumps(_tasks(chunks)))
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_worker_memory", "--worker", str(tasks_file)],
            capture_output=True,
            text=True,
            check=True,
        )
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(_worker(args.worker)))
        return 0
    text = json.dumps(bench_worker_memory(args.chunks), indent=2)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
