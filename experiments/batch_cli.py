"""``negotiation ensemble`` and ``negotiation sweep``: many runs from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from experiments.ensemble import run_ensemble
from experiments.executors import make_executor
from experiments.study import StudyError, load_study
from experiments.sweep import describe, run_sweep, summary_json
from negotiation import load_scenario


def _executor_kind(args: argparse.Namespace) -> str:
    if getattr(args, "scheduler", None) or getattr(args, "dask_local", False):
        return "dask"
    if args.workers == 1:
        return "serial"
    return "processes"


def _cmd_ensemble(args: argparse.Namespace) -> int:
    from experiments.cli import UsageError, parse_assignments

    if args.runs < 1:
        raise UsageError(f"--runs must be at least 1, got {args.runs}")
    scenario = load_scenario(args.scenario)
    params = parse_assignments(args.set)
    scenario.with_parameters(params)  # fail fast, before any worker starts
    with (
        make_executor(_executor_kind(args), args.workers, args.scheduler) as executor,
        tqdm(total=args.runs, unit="run", disable=args.json or not sys.stderr.isatty()) as bar,
    ):
        summary = run_ensemble(
            scenario,
            args.runs,
            params,
            root_seed=args.seed,
            executor=executor,
            on_progress=lambda done, total: bar.update(done - bar.n),
        )
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
        return 0
    low, high = summary.ci95
    print(f"{summary.runs} runs of {summary.scenario} (root seed {summary.root_seed})")
    print(f"P(truce) = {summary.p_truce:.1%}  (95% interval {low:.1%} – {high:.1%})")
    print(f"deal at the summit {summary.p_summit_deal:.1%} · no deal {summary.p_no_deal:.1%}")
    if summary.median_days_before_summit is not None:
        print(f"median truce {summary.median_days_before_summit:.1f} days before the summit")
    print("median agreed package (truces):")
    for issue in scenario.space:
        value = summary.median_package[issue.key]
        shown = "–" if value is None else f"{value:.1f}"
        print(f"  {issue.label:<62} {shown:>7} {issue.unit}")
    return 0


def _progress(total: int, done: int) -> Any:
    return tqdm(total=total, initial=done, unit="run", smoothing=0.1, dynamic_ncols=True)


def _cmd_sweep(args: argparse.Namespace) -> int:
    study = load_study(args.study)
    kind = _executor_kind(args)
    try:
        with make_executor(kind, args.workers, args.scheduler) as executor:
            result = run_sweep(
                study, Path(args.out), executor, resume=args.resume, progress=_progress
            )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished chunks are kept; continue with --resume --out {args.out}",
            file=sys.stderr,
        )
        return 130
    print(summary_json(result) if args.json else describe(result))
    return 0


def register(sub: Any) -> None:
    ens = sub.add_parser("ensemble", help="N seeded runs: P(truce) and the median deal")
    ens.add_argument("--scenario", default="kuala-lumpur-2025")
    ens.add_argument("--runs", type=int, default=1000)
    ens.add_argument("--seed", type=int, default=0, help="root seed of the ensemble")
    ens.add_argument("--set", action="append", metavar="NAME=VALUE")
    ens.add_argument(
        "--workers", type=int, default=None, help="processes (1 = serial; default all cores)"
    )
    ens.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT")
    ens.add_argument(
        "--dask-local", action="store_true", help="start a Dask LocalCluster on 127.0.0.1"
    )
    ens.add_argument("--json", action="store_true")
    ens.set_defaults(func=_cmd_ensemble)

    swp = sub.add_parser("sweep", help="run a study file into a Parquet result folder")
    swp.add_argument("study", help="study TOML file")
    swp.add_argument("--out", required=True, help="result folder")
    swp.add_argument(
        "--workers", type=int, default=None, help="processes (1 = serial; default all cores)"
    )
    swp.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT")
    swp.add_argument(
        "--dask-local", action="store_true", help="start a Dask LocalCluster on 127.0.0.1"
    )
    swp.add_argument("--resume", action="store_true", help="run only what is missing in --out")
    swp.add_argument("--json", action="store_true", help="print a JSON summary line")
    swp.set_defaults(func=_cmd_sweep)


__all__ = ["StudyError", "register"]
