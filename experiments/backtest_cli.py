"""``negotiation backtest``: score the model against the 2025 rounds of talks.

    negotiation backtest [--runs N] [--seed S] [--calibration abc|grid] [--no-calibration]
                         [--calibration-runs M] [--abc-population N] ... [--json] [--out DIR]

Prints the table (Markdown, readable in a terminal) or, with ``--json``, the same as JSON;
always writes ``backtest.md`` and the CSV files into ``--out`` (default
``results/backtest/``), each to a temporary name renamed into place
(:mod:`experiments.backtest_report`). The backtest and its report load when the command
runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("results") / "backtest"


# --- the sub-command --------------------------------------------------------------------
def _command_line(args: argparse.Namespace) -> str:
    from experiments.inference_cli import size_words

    words = ["negotiation", "backtest", "--runs", str(args.runs), "--seed", str(args.seed)]
    if args.no_calibration:
        words.append("--no-calibration")
    elif args.calibration == "grid":
        words += ["--calibration", "grid"]
        if args.calibration_runs is not None:
            words += ["--calibration-runs", str(args.calibration_runs)]
    else:
        words += size_words(args, ABC_PREFIX)
    if args.protocol != "shipped":
        words += ["--protocol", args.protocol]
    return shlex.join(words)


MAX_RUNS = 1_000_000  # per episode (and per grid point): beyond it a backtest takes days


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot become a folder of files before anything runs, so
    a long backtest does not end in an error (nothing is created here)."""
    from experiments.cli import UsageError

    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file: give a folder (default {DEFAULT_OUT})")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise UsageError(f"--out {str(out)!r}: {str(existing)!r} is a file, not a folder")
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {str(out)!r}: cannot write in {str(existing)!r}")


def _cmd_backtest(args: argparse.Namespace) -> int:
    from experiments.backtest import backtest
    from experiments.backtest_report import render_markdown, report_json, write_outputs

    out = Path(args.out)
    _check_out(out)
    inference = None
    if not args.no_calibration and args.calibration == "abc":
        from experiments.cli import UsageError
        from experiments.extras import require
        from experiments.inference_cli import settings_from

        if args.calibration_runs is not None:
            raise UsageError("--calibration-runs applies to --calibration grid only")
        require("pyabc", "calibration", "negotiation backtest --calibration abc")
        inference = settings_from(args, ABC_PREFIX, baseline_runs=0)
    result = backtest(
        args.runs,
        args.seed,
        calibrate=not args.no_calibration,
        calibration_runs=args.calibration_runs,
        protocol=args.protocol,
        calibration=args.calibration,
        inference=inference,
    )
    command = _command_line(args)
    files = write_outputs(result, out, command)
    if args.json:
        print(report_json(result, files))
    else:
        print(render_markdown(result, command))
        print("written: " + ", ".join(str(p) for p in files))
    return 0


ABC_PREFIX = "abc-"


def register(sub: Any) -> None:
    """Add ``negotiation backtest`` to the command line's sub-commands."""
    from experiments.cli import integer_argument, seed_argument
    from experiments.inference_cli import add_size_options

    runs = integer_argument(1, MAX_RUNS)
    bt = sub.add_parser(
        "backtest", help="score the model and the baselines against the 2025 rounds of talks"
    )
    bt.add_argument(
        "--runs", type=runs, default=200, help=f"runs per episode, 1 to {MAX_RUNS} (default 200)"
    )
    bt.add_argument("--seed", type=seed_argument, default=0, help="root seed (default 0)")
    bt.add_argument(
        "--calibration-runs",
        type=runs,
        default=None,
        help="with --calibration grid: runs per grid point and episode (default min(runs, 100))",
    )
    bt.add_argument(
        "--calibration",
        choices=["abc", "grid"],
        default="abc",
        help="how the calibrated rows are fitted: ABC-SMC on all episodes (default; see "
        "negotiation calibrate) or the 3 x 3 x 3 grid of the first backtest",
    )
    bt.add_argument("--no-calibration", action="store_true", help="skip the leave-one-out fit")
    add_size_options(bt.add_argument_group("ABC-SMC sizes (with --calibration abc)"), ABC_PREFIX)
    bt.add_argument(
        "--protocol",
        choices=["shipped", "first-release"],
        default="shipped",
        help="run the episodes as shipped (default) or with the first release's protocol",
    )
    bt.add_argument("--json", action="store_true", help="print the tables as JSON")
    bt.add_argument("--out", default=str(DEFAULT_OUT), help="folder for backtest.md and CSVs")
    bt.set_defaults(func=_cmd_backtest)


__all__ = ["register"]
