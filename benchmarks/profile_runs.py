"""Where a run's time goes: the top lines of a cProfile of many seeded runs.

    python -m benchmarks.profile_runs [--scenario NAME|PATH] [--runs N] [--top N]

Prints, per function, its share of the self time, its cumulative time per run and its
calls per run (profiling slows everything down; read shares, not absolute times). For
the dashboard server, sample the running process instead (``pip install py-spy``, then
``py-spy record -p PID``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

from negotiation import load_scenario, run_once


def profile(scenario_name: str, runs: int) -> pstats.Stats:
    scenario = load_scenario(scenario_name)
    for seed in range(min(runs, 50)):  # warm the per-scenario caches
        run_once(scenario, seed=seed)
    profiler = cProfile.Profile()
    profiler.enable()
    for seed in range(runs):
        run_once(scenario, seed=seed)
    profiler.disable()
    return pstats.Stats(profiler)


def top_lines(stats: pstats.Stats, runs: int, top: int) -> list[str]:
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = path.split("site-packages/")[-1].removeprefix(os.getcwd() + os.sep)
        rows.append((own, cumulative, calls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    lines = [
        "| self share | cumulative µs/run | calls/run | function |",
        "| --- | --- | --- | --- |",
    ]
    for own, cumulative, calls, where in rows[:top]:
        lines.append(
            f"| {own / total:.1%} | {cumulative / runs * 1e6:.1f} | {calls / runs:.1f} | {where} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="kuala-lumpur-2025")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    stats = profile(args.scenario, args.runs)
    print("\n".join(top_lines(stats, args.runs, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
