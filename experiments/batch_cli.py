"""``negotiation ensemble`` and ``negotiation sweep``: many runs from the command line.

Every input is checked before any worker starts, and every way a batch can end is one
line on stderr and an exit code (documented in docs/experiments.md):

- 0: finished (runs that raised are recorded in the table and counted in the summary);
- 1: stopped while running (a worker or the scheduler died, a chunk could not be
  written); a sweep keeps its finished chunks and ``--resume`` continues;
- 2: refused before running: a bad argument, study or scenario, a result folder that
  cannot be used (locked by another sweep, holding a different sweep, unwritable,
  unreadable manifest), a scheduler that cannot be reached;
- 130: interrupted (Ctrl-C); a sweep keeps its finished chunks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.executors import (
    ExecutorError,
    ExecutorLost,
    check_scheduler,
    check_workers,
    make_executor,
)
from experiments.summary import json_text

# The domain, the store, the sweep and tqdm load when a command runs, not when the parser
# is built: every command (``negotiation dashboard`` too) would otherwise wait for them.

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _executor_kind(args: argparse.Namespace) -> str:
    if getattr(args, "scheduler", None) or getattr(args, "dask_local", False):
        return "dask"
    if args.workers == 1:
        return "serial"
    return "processes"


def _check_executor_args(args: argparse.Namespace) -> None:
    """Worker count, scheduler address and seed: refused at once, before anything starts."""
    from experiments.cli import UsageError

    try:
        check_workers(args.workers)
    except ExecutorError as exc:
        raise UsageError(f"--{exc}") from None
    try:
        if args.scheduler is not None:
            check_scheduler(args.scheduler)
    except ExecutorError as exc:
        raise UsageError(f"--scheduler: {exc}") from None
    if args.scheduler is not None and args.dask_local:
        raise UsageError("give --scheduler or --dask-local, not both")


def _say(command: str, text: str) -> None:
    print(f"negotiation {command}: {text}", file=sys.stderr, flush=True)


def _guarded(command: str, body: Callable[[], int], interrupted: str) -> int:
    """Run ``body``; turn the batch layer's own failures into one line and an exit code.

    Bad studies, scenarios and arguments propagate to the front door (exit 2 there).
    """
    from experiments.store import StoreError
    from experiments.sweep import SweepAborted, SweepInterrupted

    try:
        return body()
    except SweepInterrupted as exc:
        _say(command, str(exc))
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _say(command, interrupted)
        return EXIT_INTERRUPTED
    except (StoreError, ExecutorError) as exc:
        _say(command, f"error: {exc}")
        return EXIT_USAGE
    except (SweepAborted, ExecutorLost) as exc:
        _say(command, f"error: {exc}")
        return EXIT_FAILED


def _cmd_ensemble(args: argparse.Namespace) -> int:
    return _guarded(
        "ensemble",
        lambda: _ensemble(args),
        "interrupted; an ensemble saves nothing until it ends: run it again",
    )


def _ensemble(args: argparse.Namespace) -> int:
    from experiments.cli import UsageError
    from experiments.ensemble import MAX_ENSEMBLE_RUNS, run_ensemble
    from negotiation import load_scenario

    if not 1 <= args.runs <= MAX_ENSEMBLE_RUNS:
        raise UsageError(
            f"--runs must be from 1 to {MAX_ENSEMBLE_RUNS:,} (an ensemble keeps every outcome "
            f"in memory; use a sweep for more), got {args.runs}"
        )
    _check_seed_arg(args.seed)
    _check_executor_args(args)
    scenario = load_scenario(args.scenario)
    params = parse_params(args.set)
    scenario.with_parameters(params)  # fail fast, before any worker starts
    with (
        make_executor(_executor_kind(args), args.workers, args.scheduler) as executor,
        _bar(args.runs, disable=args.json or not sys.stderr.isatty()) as bar,
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
        return EXIT_OK
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
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    return _guarded(
        "compare",
        lambda: _compare(args),
        "interrupted; a comparison saves nothing until it ends: run it again",
    )


def _compare(args: argparse.Namespace) -> int:
    from experiments.cli import UsageError
    from experiments.compare import compare_worlds, render_comparison
    from experiments.ensemble import MAX_ENSEMBLE_RUNS
    from negotiation import load_scenario

    if not 1 <= args.runs <= MAX_ENSEMBLE_RUNS:
        raise UsageError(f"--runs must be from 1 to {MAX_ENSEMBLE_RUNS:,}, got {args.runs}")
    _check_seed_arg(args.seed)
    _check_executor_args(args)
    scenario = load_scenario(args.scenario)
    baseline, alternative = parse_params(args.base), parse_params(args.alt)
    if baseline == alternative:
        raise UsageError("--base and --alt give the same settings: change at least one value")
    with (
        make_executor(_executor_kind(args), args.workers, args.scheduler) as executor,
        _bar(2 * args.runs, disable=args.json or not sys.stderr.isatty()) as bar,
    ):
        comparison = compare_worlds(
            scenario,
            baseline,
            alternative,
            args.runs,
            root_seed=args.seed,
            executor=executor,
            on_progress=lambda done, total: bar.update(done - bar.n),
        )
    if args.json:
        print(json_text(comparison.to_dict()))
    else:
        print(render_comparison(comparison, scenario))
    return EXIT_OK


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``--set`` values, parsed by the front door's parser."""
    from experiments.cli import parse_assignments

    params: dict[str, Any] = parse_assignments(items)
    return params


def _check_seed_arg(seed: int) -> None:
    from experiments.cli import UsageError
    from experiments.design import check_seed

    try:
        check_seed(seed)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None


def _progress(total: int, done: int) -> Any:
    return _bar(total, initial=done, smoothing=0.1, dynamic_ncols=True)


def _bar(total: int, **options: Any) -> Any:
    """A tqdm bar of runs, without tqdm's monitor thread: the local workers are forked
    from this process after the bar starts, and forking a process with threads can
    deadlock the child (the bars are updated often enough not to need the monitor)."""
    from tqdm.auto import tqdm

    tqdm.monitor_interval = 0
    return tqdm(total=total, unit="run", **options)


def _cmd_sweep(args: argparse.Namespace) -> int:
    return _guarded("sweep", lambda: _sweep(args), "interrupted before the sweep started")


def _sweep(args: argparse.Namespace) -> int:
    from experiments.study import load_study
    from experiments.sweep import describe, run_sweep, summary_json

    _check_executor_args(args)
    study = load_study(args.study)
    out = Path(args.out)
    _check_resumable(out, args.resume)
    _check_unlocked(out)  # before starting workers or a cluster
    with make_executor(_executor_kind(args), args.workers, args.scheduler) as executor:
        result = run_sweep(
            study,
            out,
            executor,
            resume=args.resume,
            progress=_progress,
            on_notice=lambda text: _say("sweep", f"warning: {text}"),
            engine=args.engine,
        )
    print(summary_json(result) if args.json else describe(result))
    return EXIT_OK


def _check_resumable(out: Path, resume: bool) -> None:
    """``--resume`` needs a sweep to continue: refuse a folder without a manifest."""
    from experiments.cli import UsageError
    from experiments.store import MANIFEST, read_manifest

    if resume and out.is_dir() and read_manifest(out) is None:
        raise UsageError(
            f"--resume: {out} holds no sweep to continue (no {MANIFEST}); "
            "run without --resume to start one there"
        )


def _check_unlocked(out: Path) -> None:
    """Refuse a folder another sweep is writing to, before any worker starts (the sweep
    itself takes the lock for good; this only fails early)."""
    from experiments.store import lock_folder

    if not out.is_dir():
        return
    with lock_folder(out):
        pass


def register(sub: Any) -> None:
    """Add ``negotiation ensemble`` and ``negotiation sweep`` to the sub-commands."""
    ens = sub.add_parser("ensemble", help="N seeded runs: P(truce) and the median deal")
    ens.add_argument("--scenario", default="kuala-lumpur-2025")
    ens.add_argument("--runs", type=int, default=1000, help="number of runs (default 1000)")
    ens.add_argument("--seed", type=int, default=0, help="root seed, 0 to 2**63-1 (default 0)")
    ens.add_argument("--set", action="append", metavar="NAME=VALUE")
    _executor_arguments(ens)
    ens.add_argument("--json", action="store_true")
    ens.set_defaults(func=_cmd_ensemble)

    cmp = sub.add_parser(
        "compare", help="two worlds over the same seeded runs: P(truce), terms, difference"
    )
    cmp.add_argument("--scenario", default="kuala-lumpur-2025")
    cmp.add_argument("--runs", type=int, default=1000, help="runs per world (default 1000)")
    cmp.add_argument("--seed", type=int, default=0, help="root seed, 0 to 2**63-1 (default 0)")
    cmp.add_argument(
        "--base", action="append", metavar="NAME=VALUE", help="a baseline setting (repeat)"
    )
    cmp.add_argument(
        "--alt", action="append", metavar="NAME=VALUE", help="an alternative setting (repeat)"
    )
    _executor_arguments(cmp)
    cmp.add_argument("--json", action="store_true")
    cmp.set_defaults(func=_cmd_compare)

    swp = sub.add_parser("sweep", help="run a study file into a Parquet result folder")
    swp.add_argument("study", help="study TOML file")
    swp.add_argument("--out", required=True, help="result folder")
    _executor_arguments(swp)
    swp.add_argument("--resume", action="store_true", help="run only what is missing in --out")
    swp.add_argument("--json", action="store_true", help="print a JSON summary line")
    swp.add_argument(
        "--engine",
        choices=("auto", "per-run"),
        default="auto",
        help="auto (default): runs of a design point in lockstep batches where the lockstep "
        "engine covers its plan; per-run: every run alone (the same table)",
    )
    swp.set_defaults(func=_cmd_sweep)


def _executor_arguments(parser: Any) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes, 1 (serial) to 4 x cores (default: all cores)",
    )
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT")
    parser.add_argument(
        "--dask-local", action="store_true", help="start a Dask LocalCluster on 127.0.0.1"
    )


__all__ = ["register"]
