"""The benchmark suite: ``make bench`` (or ``python -m benchmarks.run``).

Measures, as medians over repeats, each ratio taken side by side in the same process:

1. one flagship run (kuala-lumpur-2025, outcome record only): ms per run, runs/s/core,
   split into construction, rounds and the outcome record;
2. the model's cost per round against Mesa's floor, measured in the same process: a bare
   Mesa model with as many agents as the flagship whose ``step`` does nothing, stepped
   as the flagship is. Two floors are reported: the model activates its idle agents each
   step (``agents.do("step")``, the floor of an ABM with that many agents: the headline
   ratio), and the model's own step is empty (Mesa's clock alone);
3. the bilateral workload of other frameworks: 4 issues, opposed weights, Boulware vs
   Conceder, 100 rounds, no host or groups; next to it, the same protocol written as one
   bare numpy loop (``benchmarks/bare_bilateral.py``), the floor of any Python version;
4. sweep throughput serial and on the process pool, and peak memory of a sweep
   (delegated to ``benchmarks/bench_sweep.py``), and the full-size Sobol study against
   the per-run engine (``benchmarks/bench_sobol.py``); the dashboard in a browser
   (``benchmarks/bench_dashboard.py``) and its live estimate of 1,000 runs
   (``benchmarks/bench_live.py``);
5. import time of ``negotiation`` beyond Mesa, and construction time of the flagship;
6. for scale, one numpy ufunc call on vectors as long as a package, and the flagship's
   round expressed in such calls.

Writes ``results/bench/latest.json`` and ``results/bench/latest.md`` (or ``--out DIR``),
each figure with its target where the project has one. This machine is shared and
noisy: read ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from benchmarks import bare_bilateral
from benchmarks.bench_lockstep import bench_lockstep
from negotiation import Scenario, TradeTalksModel, load_scenario, run_once
from negotiation.outcome import build_outcome

HERE = Path(__file__).parent
BILATERAL = HERE / "scenarios" / "bilateral-4.toml"

# measure -> (comparison, target): the performance goals of the project (2-core laptop).
TARGETS: dict[str, tuple[str, float]] = {
    "flagship_ms_per_run": ("<=", 2.0),
    "ratio_round_to_floor": ("<=", 3.0),
    "bilateral_ms_per_run": ("<=", 1.0),
    "import_negotiation_beyond_mesa_s": ("<", 1.0),
    "pool_parallel_efficiency": (">=", 0.85),
    "parent_peak_rss_mb": ("<=", 500.0),
    "largest_worker_peak_rss_mb": ("<=", 500.0),
    "live_estimate_s": ("<=", 1.0),
    "lockstep_batch_of_one_ms": ("<=", 2.0),
    "lockstep_speedup_over_run_once": (">=", 40.0),
    "lockstep_million_random_runs_s": ("<=", 20.0),
    "sobol_seconds": ("<=", 60.0),
    "sobol_largest_worker_peak_rss_mb": ("<=", 300.0),
}


def _median_time(fn: Callable[[int], object], seeds: Sequence[int], repeats: int) -> float:
    """Median over ``repeats`` of the mean seconds per call of ``fn(seed)`` over ``seeds``."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for seed in seeds:
            fn(seed)
        samples.append((time.perf_counter() - start) / len(seeds))
    return statistics.median(samples)


class _Idle(mesa.Agent):
    def step(self) -> None:
        return None


class BareModel(mesa.Model):
    """Mesa's floor: as many agents as the flagship, each with a step that does nothing.

    ``activate`` makes the model's step call every agent's step (``agents.do``, in a
    fixed order like the talks' protocol); without it the model's step is empty.
    """

    def __init__(self, n_agents: int, activate: bool, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.activate = activate
        _Idle.create_agents(self, n_agents)

    def step(self) -> None:
        if self.activate:
            self.agents.do("step")


def floor_per_step(n_agents: int, activate: bool, repeats: int, steps: int = 2000) -> float:
    """Median seconds per step of a bare Mesa model (steps timed in bulk)."""
    samples = []
    for _ in range(repeats):
        model = BareModel(n_agents, activate, rng=1)
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        samples.append((time.perf_counter() - start) / steps)
    return statistics.median(samples)


def small_array_op(k: int, repeats: int, number: int = 20_000) -> float:
    """Median seconds of one numpy ufunc call on ``k``-vectors (the issues of a package):
    the unit in which a round's work is counted."""
    a, b = np.linspace(0.0, 1.0, k), np.linspace(1.0, 0.0, k)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            np.subtract(a, b)
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def model_costs(scenario: Scenario, seeds: Sequence[int], repeats: int) -> dict[str, float]:
    """Seconds per run, per construction and per outcome record, and rounds per run,
    over the same seeds; the rounds' share is what is left."""
    for seed in seeds[:20]:  # warm the per-scenario caches
        run_once(scenario, seed=seed)
    per_run = _median_time(lambda s: run_once(scenario, seed=s), seeds, repeats)
    construct = _median_time(
        lambda s: TradeTalksModel(scenario, rng=s, collect=False), seeds, repeats
    )
    finished = [TradeTalksModel(scenario, rng=s, collect=False) for s in seeds]
    for model in finished:
        model.run()
    outcome = _median_time(lambda i: build_outcome(finished[i]), range(len(seeds)), repeats)
    rounds = statistics.mean(model.steps for model in finished)
    return {
        "run": per_run,
        "construct": construct,
        "outcome": outcome,
        "rounds": rounds,
        "round": (per_run - construct - outcome) / rounds,
    }


def bench_flagship(repeats: int, number: int) -> dict[str, Any]:
    scenario = load_scenario("kuala-lumpur-2025")
    costs = model_costs(scenario, range(number), repeats)
    n_agents = len(scenario.actors)
    activated = floor_per_step(n_agents, True, repeats)
    empty = floor_per_step(n_agents, False, repeats)
    floor_construct = _median_time(
        lambda s: BareModel(n_agents, True, rng=s), range(number), repeats
    )
    floor_run = floor_construct + costs["rounds"] * activated
    ufunc = small_array_op(len(scenario.space), repeats)
    return {
        "flagship_ms_per_run": costs["run"] * 1e3,
        "flagship_runs_per_s_per_core": 1.0 / costs["run"],
        "flagship_construct_ms": costs["construct"] * 1e3,
        "flagship_outcome_record_ms": costs["outcome"] * 1e3,
        "flagship_mean_rounds": costs["rounds"],
        "agents": n_agents,
        "model_us_per_round": costs["round"] * 1e6,
        "mesa_floor_us_per_step": activated * 1e6,
        "ratio_round_to_floor": costs["round"] / activated,
        "mesa_empty_step_us": empty * 1e6,
        "ratio_round_to_empty_step": costs["round"] / empty,
        "mesa_floor_construct_ms": floor_construct * 1e3,
        "ratio_run_to_floor_run": costs["run"] / floor_run,
        "numpy_small_op_us": ufunc * 1e6,
        "model_round_in_small_ops": costs["round"] / ufunc,
    }


def bench_bilateral(repeats: int, number: int) -> dict[str, Any]:
    scenario = load_scenario(BILATERAL)
    costs = model_costs(scenario, range(number), repeats)
    outcome = run_once(scenario, seed=0)
    bare = bare_bilateral.workload(scenario)
    bare_run = _median_time(lambda _: bare_bilateral.run(bare), range(number), repeats)
    return {
        "bilateral_ms_per_run": costs["run"] * 1e3,
        "bilateral_us_per_round": costs["round"] * 1e6,
        "bilateral_rounds": outcome.rounds_played,
        "bilateral_outcome": outcome.outcome,
        "bilateral_bare_numpy_ms_per_run": bare_run * 1e3,
        "ratio_bilateral_to_bare_numpy": costs["run"] / bare_run,
    }


def _python_time(code: str, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_import(repeats: int) -> dict[str, Any]:
    bare = _python_time("pass", repeats)
    mesa_only = _python_time("import mesa", repeats)
    ours = _python_time("import negotiation", repeats)
    return {
        "python_start_s": bare,
        "import_mesa_s": mesa_only - bare,
        "import_negotiation_s": ours - bare,
        "import_negotiation_beyond_mesa_s": ours - mesa_only,
    }


def _delegated(key: str, args: list[str]) -> dict[str, Any]:
    """``{key: figures}`` from a benchmark run as a child process that writes its figures
    as JSON to the path given after ``--json``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{key}.json"
        subprocess.run([sys.executable, *args, "--json", str(out)], check=True)
        return {key: json.loads(out.read_text())}


def bench_sweep(quick: bool) -> dict[str, Any]:
    script = HERE / "bench_sweep.py"
    if not script.exists():
        return {"sweep": "benchmarks/bench_sweep.py not present"}
    return _delegated("sweep", [str(script), *(["--quick"] if quick else [])])


def bench_sobol(quick: bool) -> dict[str, Any]:
    return _delegated("sobol", ["-m", "benchmarks.bench_sobol", *(["--quick"] if quick else [])])


def bench_dashboard() -> dict[str, Any]:
    return _delegated("dashboard", [str(HERE / "bench_dashboard.py")])


def bench_live(quick: bool) -> dict[str, Any]:
    small = ["--repeats", "1", "--runs", "200"] if quick else []
    return _delegated("live", ["-m", "benchmarks.bench_live", *small])


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["# Benchmark results", "", f"- machine: {results['machine']}"]
    lines += [f"- commit: {results['commit']}", ""]
    lines += ["| measure | value | target |", "| --- | --- | --- |"]
    for key, value in results.items():
        if key in ("machine", "commit", "sweep", "sobol", "dashboard", "live"):
            continue
        lines.append(f"| {key} | {_shown(value)} | {_verdict(key, value)} |")
    dashboard = results.get("dashboard")
    if isinstance(dashboard, dict):
        lines += ["", "## Dashboard", "", "| measure | value |", "| --- | --- |"]
        lines += [f"| {k} | {v:.3g} |" for k, v in dashboard.items()]
    live = results.get("live")
    if isinstance(live, dict):
        lines += ["", "## Live estimate", "", "| measure | value | target |", "| --- | --- | --- |"]
        lines += [f"| {k} | {_shown(v)} | {_verdict(k, v)} |" for k, v in live.items()]
    sobol = results.get("sobol")
    if isinstance(sobol, dict):
        lines += ["", "## Full-size Sobol study", "", "| measure | value | target |"]
        lines += ["| --- | --- | --- |"]
        lines += [f"| {k} | {_shown(v)} | {_verdict(k, v)} |" for k, v in sobol.items()]
    sweep = results.get("sweep")
    if isinstance(sweep, dict):
        lines += ["", "## Sweeps", "", "| measure | value | target |", "| --- | --- | --- |"]
        for key, value in sweep.items():
            lines.append(f"| {key} | {_shown(value)} | {_verdict(key, value)} |")
    elif sweep:
        lines += ["", f"Sweeps: {sweep}"]
    return "\n".join(lines) + "\n"


def _commit() -> str:
    """The measured commit (``+`` when the working tree differs from it), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=HERE, capture_output=True)
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def _shown(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _verdict(key: str, value: Any) -> str:
    """``<= 2 (met)`` / ``<= 2 (NOT met)`` for a measure with a target, else empty."""
    if key not in TARGETS or not isinstance(value, int | float):
        return ""
    op, target = TARGETS[key]
    met = {"<=": value <= target, "<": value < target, ">=": value >= target}[op]
    return f"{op} {target:g} ({'met' if met else 'NOT met'})"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--number", type=int, default=200, help="runs per repeat")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweep benchmarks")
    parser.add_argument(
        "--no-dashboard",
        action="store_true",
        help="skip the dashboard's benchmarks (the browser and the live estimate)",
    )
    args = parser.parse_args(argv)
    repeats, number = (3, 30) if args.quick else (args.repeats, args.number)
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Mesa {mesa.__version__}",
        "commit": _commit(),
    }
    results.update(bench_flagship(repeats, number))
    results.update(bench_bilateral(repeats, max(number // 4, 10)))
    results.update(bench_import(repeats if not args.quick else 3))
    results.update(bench_lockstep(2 if args.quick else 5, 100 if args.quick else 1000))
    if not args.no_sweep:
        results.update(bench_sweep(args.quick))
        results.update(bench_sobol(args.quick))
    if not args.no_dashboard:
        results.update(bench_dashboard())
        results.update(bench_live(args.quick))
    _write_atomic(args.out / "latest.json", json.dumps(results, indent=2) + "\n")
    markdown = to_markdown(results)
    _write_atomic(args.out / "latest.md", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
