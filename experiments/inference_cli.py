"""``negotiation calibrate``: the ABC-SMC calibration on the backtest episodes.

    negotiation calibrate [--population N] [--generations G] [--max-simulations S]
                          [--runs R] [--loo-draws L] [--check-draws C]
                          [--baseline-runs B] [--parameters a,b,...] [--episodes a,b,...]
                          [--seed S] [--workers W] [--json] [--out DIR]

Writes into ``--out`` (default ``results/calibration/``), each file to a temporary name
renamed into place: ``calibration.md`` (the report), ``posterior.csv`` (the last
population's particles and weights), ``posterior-summary.csv``, ``generations.csv``,
``checks.csv`` (posterior predictive), ``folds.csv`` (leave-one-out),
``scores.csv`` and ``scoreboard.csv`` (as the backtest's), ``calibration.json`` and
``history.db`` (pyabc's database, for its plots). Needs the ``calibration`` extra.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("results") / "calibration"


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"must be comma-separated names, got {text!r}")
    return names


#: The sizes of a calibration, as options: (least, most, default, meaning).
SIZES: dict[str, tuple[int, int, int, str]] = {
    "population": (2, 100_000, 100, "particles per generation"),
    "generations": (1, 100, 6, "most generations of the SMC"),
    "max_simulations": (2, 10_000_000, 2500, "most simulations in the SMC"),
    "runs": (1, 10_000, 1, "runs of every episode per simulation"),
    "loo_draws": (1, 10_000_000, 1000, "draws in the leave-one-out table"),
    "check_draws": (1, 10_000_000, 200, "posterior draws in the predictive check"),
    "workers": (1, 256, 2, "worker processes"),
}


def _dest(prefix: str, name: str) -> str:
    return (prefix + name).replace("-", "_")


def add_size_options(parser: Any, prefix: str = "") -> None:
    """The calibration's sizes as options (``--<prefix><size>``, stored as
    ``<prefix>_<size>``, so that ``--abc-runs`` is not the backtest's ``--runs``), and
    ``--<prefix>parameters``."""
    from experiments.cli import integer_argument

    for name, (low, high, default, meaning) in SIZES.items():
        parser.add_argument(
            f"--{prefix}{name.replace('_', '-')}",
            dest=_dest(prefix, name),
            type=integer_argument(low, high),
            default=default,
            help=f"{meaning}, {low} to {high} (default {default})",
        )
    parser.add_argument(
        f"--{prefix}parameters",
        dest=_dest(prefix, "parameters"),
        type=_names,
        default=None,
        help="comma-separated parameters to fit (default: "
        "us_resolve,partner_resolve,resolve_noise,summit_max_gap,ratification_threshold)",
    )


def size_words(args: argparse.Namespace, prefix: str = "") -> list[str]:
    """The options of :func:`add_size_options`, as a command line would give them."""
    words = []
    for name in SIZES:
        words += [f"--{prefix}{name.replace('_', '-')}", str(getattr(args, _dest(prefix, name)))]
    parameters = getattr(args, _dest(prefix, "parameters"))
    if parameters is not None:
        words += [f"--{prefix}parameters", ",".join(parameters)]
    return words


def settings_from(args: argparse.Namespace, prefix: str = "", **fields: Any) -> Any:
    """The :class:`~experiments.inference.InferenceSettings` the options of
    :func:`add_size_options` ask for (a bad combination is a usage error naming it)."""
    from experiments.cli import UsageError
    from experiments.inference import DEFAULT_PARAMETERS, InferenceError, InferenceSettings

    try:
        return InferenceSettings(
            parameters=getattr(args, _dest(prefix, "parameters")) or DEFAULT_PARAMETERS,
            **{name: getattr(args, _dest(prefix, name)) for name in SIZES},
            **fields,
        )
    except InferenceError as error:
        raise UsageError(str(error)) from None


def _command_line(args: argparse.Namespace) -> str:
    words = ["negotiation", "calibrate", *size_words(args)]
    words += ["--baseline-runs", str(args.baseline_runs), "--seed", str(args.seed)]
    if args.episodes is not None:
        words += ["--episodes", ",".join(args.episodes)]
    return shlex.join(words)


def _settings(args: argparse.Namespace) -> Any:
    from experiments.backtest import EPISODES
    from experiments.cli import UsageError

    unknown = sorted(set(args.episodes or ()) - set(EPISODES))
    if unknown:
        raise UsageError(
            f"--episodes: unknown episode(s) {', '.join(unknown)}; "
            f"choose from {', '.join(EPISODES)}"
        )
    return settings_from(
        args,
        episodes=args.episodes or EPISODES,
        baseline_runs=args.baseline_runs,
        root_seed=args.seed,
    )


def _cmd_calibrate(args: argparse.Namespace) -> int:
    import logging

    from experiments.backtest_cli import _check_out
    from experiments.cli import UsageError
    from experiments.extras import require
    from experiments.inference import InferenceError, calibrate
    from experiments.inference_report import render_markdown, report_json, write_outputs

    require("pyabc", "calibration", "negotiation calibrate")
    out = Path(args.out)
    _check_out(out)
    settings = _settings(args)
    logging.getLogger("ABC").setLevel(logging.INFO if not args.json else logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="calibration-") as scratch:
        database = Path(scratch) / "history.db"
        try:
            result = calibrate(
                settings,
                database=database,
                progress=lambda line: print(line, file=sys.stderr, flush=True),
            )
        except InferenceError as error:
            raise UsageError(str(error)) from None
        command = _command_line(args)
        files = write_outputs(result, out, command)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(database, out / "history.db.tmp")
        (out / "history.db.tmp").replace(out / "history.db")
        files.append(out / "history.db")
    if args.json:
        print(report_json(result, files))
    else:
        print(render_markdown(result, command))
        print("written: " + ", ".join(str(p) for p in files))
    return 0


def register(sub: Any) -> None:
    """Add ``negotiation calibrate`` to the command line's sub-commands."""
    from experiments.cli import integer_argument, seed_argument

    cal = sub.add_parser(
        "calibrate",
        help="fit the episodes' shared uncertain inputs by ABC-SMC, with checks and "
        "leave-one-out scores",
    )
    add_size_options(cal)
    cal.add_argument(
        "--baseline-runs",
        type=integer_argument(0, 1_000_000),
        default=100,
        help="runs per episode of the uncalibrated model, 0 to 1000000 (default 100)",
    )
    cal.add_argument(
        "--episodes", type=_names, default=None, help="comma-separated episodes (default: all)"
    )
    cal.add_argument("--seed", type=seed_argument, default=0, help="root seed (default 0)")
    cal.add_argument("--json", action="store_true", help="print the tables as JSON")
    cal.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the report and tables")
    cal.set_defaults(func=_cmd_calibrate)


__all__ = ["SIZES", "add_size_options", "register", "settings_from", "size_words"]
