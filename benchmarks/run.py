"""The benchmark suite: ``make bench`` (or ``python -m benchmarks.run``).

Measures, as medians over repeats, each ratio taken side by side in the same process:

1. one flagship run (kuala-lumpur-2025, outcome record only): ms per run, runs/s/core;
2. the model's cost per round against Mesa's floor: a bare Mesa model with the same
   number of agents whose step does nothing, run for the same number of steps;
3. the bilateral workload of other frameworks: 4 issues, opposed weights, Boulware vs
   Conceder, 100 rounds, no host or groups;
4. sweep throughput serial and on the process pool, and peak memory of a sweep
   (delegated to ``benchmarks/bench_sweep.py`` when present);
5. import time of ``negotiation`` beyond Mesa, and construction time of the flagship.

Writes ``results/bench/latest.json`` and ``results/bench/latest.md`` (or ``--out DIR``).
This machine is shared and noisy: read ratios, not absolute times.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesa

from negotiation import TradeTalksModel, load_scenario, run_once

HERE = Path(__file__).parent
BILATERAL = HERE / "scenarios" / "bilateral-4.toml"


def _median_time(fn: Callable[[], object], repeats: int, number: int) -> float:
    """Median over ``repeats`` of the mean seconds per call of ``fn`` over ``number`` calls."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


class _Idle(mesa.Agent):  # type: ignore[misc]
    def step(self) -> None:
        return None


class BareModel(mesa.Model):  # type: ignore[misc]
    """Mesa's floor: as many agents as the flagship, a step that does nothing."""

    def __init__(self, n_agents: int, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        _Idle.create_agents(self, n_agents)

    def step(self) -> None:
        return None


def bench_flagship(repeats: int, number: int) -> dict[str, Any]:
    scenario = load_scenario("kuala-lumpur-2025")
    seeds = iter(range(10**9))
    for s in range(20):
        run_once(scenario, seed=s)
    per_run = _median_time(lambda: run_once(scenario, seed=next(seeds)), repeats, number)
    construct = _median_time(
        lambda: TradeTalksModel(scenario, rng=next(seeds), collect=False), repeats, number
    )
    rounds = statistics.median(run_once(scenario, seed=s).rounds_played for s in range(200))
    n_agents = len(scenario.actors)
    steps = round(rounds)

    def floor_run() -> None:
        model = BareModel(n_agents, rng=1)
        for _ in range(steps):
            model.step()

    floor = _median_time(floor_run, repeats, number)
    floor_construct = _median_time(lambda: BareModel(n_agents, rng=1), repeats, number)
    model_round = (per_run - construct) / rounds
    floor_round = (floor - floor_construct) / steps
    return {
        "flagship_ms_per_run": per_run * 1e3,
        "flagship_runs_per_s_per_core": 1.0 / per_run,
        "flagship_construct_ms": construct * 1e3,
        "flagship_median_rounds": rounds,
        "agents": n_agents,
        "mesa_floor_ms_per_run": floor * 1e3,
        "ratio_run_to_floor": per_run / floor,
        "model_us_per_round": model_round * 1e6,
        "mesa_floor_us_per_round": floor_round * 1e6,
        "ratio_round_to_floor": model_round / floor_round,
    }


def bench_bilateral(repeats: int, number: int) -> dict[str, Any]:
    scenario = load_scenario(BILATERAL)
    seeds = iter(range(10**9))
    outcome = run_once(scenario, seed=0)
    per_run = _median_time(lambda: run_once(scenario, seed=next(seeds)), repeats, number)
    return {
        "bilateral_ms_per_run": per_run * 1e3,
        "bilateral_rounds": outcome.rounds_played,
        "bilateral_outcome": outcome.outcome,
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


def bench_sweep(quick: bool) -> dict[str, Any]:
    script = HERE / "bench_sweep.py"
    if not script.exists():
        return {"sweep": "benchmarks/bench_sweep.py not present"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep.json"
        args = [sys.executable, str(script), "--json", str(out)]
        if quick:
            args.append("--quick")
        subprocess.run(args, check=True)
        return {"sweep": json.loads(out.read_text())}


def bench_dashboard() -> dict[str, Any]:
    script = HERE / "bench_dashboard.py"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dashboard.json"
        subprocess.run([sys.executable, str(script), "--json", str(out)], check=True)
        return {"dashboard": json.loads(out.read_text())}


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["# Benchmark results", "", f"- machine: {results['machine']}", ""]
    lines += ["| measure | value |", "| --- | --- |"]
    for key, value in results.items():
        if key in ("machine", "sweep", "dashboard"):
            continue
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    dashboard = results.get("dashboard")
    if isinstance(dashboard, dict):
        lines += ["", "## Dashboard", "", "| measure | value |", "| --- | --- |"]
        lines += [f"| {k} | {v:.3g} |" for k, v in dashboard.items()]
    sweep = results.get("sweep")
    if isinstance(sweep, dict):
        lines += ["", "## Sweeps", "", "| measure | value |", "| --- | --- |"]
        for key, value in sweep.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            lines.append(f"| {key} | {shown} |")
    elif sweep:
        lines += ["", f"Sweeps: {sweep}"]
    return "\n".join(lines) + "\n"


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
    parser.add_argument("--no-dashboard", action="store_true", help="skip the browser benchmark")
    args = parser.parse_args(argv)
    repeats, number = (3, 30) if args.quick else (args.repeats, args.number)
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Mesa {mesa.__version__}",
    }
    results.update(bench_flagship(repeats, number))
    results.update(bench_bilateral(repeats, max(number // 4, 10)))
    results.update(bench_import(repeats if not args.quick else 3))
    if not args.no_sweep:
        results.update(bench_sweep(args.quick))
    if not args.no_dashboard:
        results.update(bench_dashboard())
    _write_atomic(args.out / "latest.json", json.dumps(results, indent=2) + "\n")
    markdown = to_markdown(results)
    _write_atomic(args.out / "latest.md", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
