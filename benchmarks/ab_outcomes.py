"""Do two commits give the same distribution of outcomes? For changes that alter seeded
results on purpose (a new numerical method, new random streams).

    python -m benchmarks.ab_outcomes BASELINE [--runs 10000] [--scenario NAME ...]

Runs the same seeded runs (run ``i`` of ``negotiation ensemble --seed 0``) of each
scenario on ``BASELINE`` (any git revision, checked out into a temporary worktree) and
on the working tree, the two trees side by side in two processes. Per scenario it
reports P(truce) on each, with Wilson 95% intervals and a two-proportion z-test of the
difference, and per issue the mean and median agreed value among truces with a
bootstrap 95% interval of each difference (1,000 resamples). ``--json`` writes it all.
A difference whose interval excludes 0 is marked ``*``; with many comparisons a few
are expected by chance (1 in 20 at 95%).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.ab_runs import ROOT, checked_out
from experiments.intervals import wilson_interval

RUNS = """
import json, sys
from experiments.design import run_seed
from negotiation import load_scenario, run_once
out = {}
for name in sys.argv[2:]:
    scenario = load_scenario(name)
    rows = [run_once(scenario, seed=run_seed(0, i)) for i in range(int(sys.argv[1]))]
    out[name] = {
        "truce": [o.truce for o in rows],
        "package": {k: [o.package[k] for o in rows if o.truce] for k in scenario.space.keys},
    }
print(json.dumps(out))
"""


def outcomes(tree: Path, scenarios: list[str], runs: int) -> subprocess.Popen[str]:
    """Start the runs on ``tree`` in a fresh process (its JSON comes on stdout)."""
    return subprocess.Popen(
        [sys.executable, "-c", RUNS, str(runs), *scenarios],
        cwd=tempfile.gettempdir(),  # so that the working directory is not on the path
        env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.PIPE,
        text=True,
    )


def _bootstrap(a: np.ndarray, b: np.ndarray, stat: Any, rng: np.random.Generator) -> list[float]:
    """95% interval of ``stat(b) - stat(a)`` over 1,000 resamples of each."""
    if not len(a) or not len(b):
        return [math.nan, math.nan]
    draws = [stat(rng.choice(b, len(b))) - stat(rng.choice(a, len(a))) for _ in range(1000)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return [float(low), float(high)]


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """P(truce) and each issue's agreed terms, before and after, with their differences."""
    rng = np.random.default_rng(0)
    n1, n2 = len(before["truce"]), len(after["truce"])
    k1, k2 = sum(before["truce"]), sum(after["truce"])
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) if 0 < pooled < 1 else math.inf
    z = (k2 / n2 - k1 / n1) / se
    issues = {}
    for key in before["package"]:
        a, b = np.array(before["package"][key]), np.array(after["package"][key])
        issues[key] = {
            "mean": [float(a.mean()) if len(a) else None, float(b.mean()) if len(b) else None],
            "mean_difference_ci95": _bootstrap(a, b, np.mean, rng),
            "median": [
                float(np.median(a)) if len(a) else None,
                float(np.median(b)) if len(b) else None,
            ],
            "median_difference_ci95": _bootstrap(a, b, np.median, rng),
        }
    return {
        "p_truce": [k1 / n1, k2 / n2],
        "p_truce_ci95": [list(wilson_interval(k1, n1)), list(wilson_interval(k2, n2))],
        "z": z,
        "p_value": math.erfc(abs(z) / math.sqrt(2)),
        "issues": issues,
    }


def _mark(interval: list[float]) -> str:
    return "*" if interval[0] > 0 or interval[1] < 0 else " "


def report(name: str, result: dict[str, Any]) -> list[str]:
    before, after = result["p_truce"]
    lines = [
        f"{name}: P(truce) {before:.3f} -> {after:.3f} "
        f"(z = {result['z']:+.2f}, p = {result['p_value']:.2f})"
    ]
    for key, row in result["issues"].items():
        if row["mean"][0] is None or row["mean"][1] is None:
            continue
        m, d = row["mean"], row["mean_difference_ci95"]
        md, dd = row["median"], row["median_difference_ci95"]
        lines.append(
            f"  {key}: mean {m[0]:.3f} -> {m[1]:.3f} [{d[0]:+.3f}, {d[1]:+.3f}]{_mark(d)}"
            f" median {md[0]:g} -> {md[1]:g} [{dd[0]:+g}, {dd[1]:+g}]{_mark(dd)}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    from negotiation import builtin_scenarios

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="the git revision to compare against")
    parser.add_argument("--runs", type=int, default=10_000, help="runs per scenario")
    parser.add_argument("--scenario", action="append", help="default: every built-in one")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    scenarios = args.scenario or list(builtin_scenarios())
    with checked_out(args.baseline) as old:
        jobs = [outcomes(tree, scenarios, args.runs) for tree in (old, ROOT)]
        before, after = (json.loads(job.communicate()[0]) for job in jobs)
    results = {name: compare(before[name], after[name]) for name in scenarios}
    for name in scenarios:
        print("\n".join(report(name, results[name])))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
