"""The ``negotiation`` command: a thin front door to the model, the batch layer and the
dashboard.

    negotiation run --scenario kuala-lumpur-2025 --seed 7 [--json] [--set name=value ...]
    negotiation scenarios
    negotiation parameters [--scenario NAME]
    negotiation behaviours
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from experiments.store import ResumeError
from experiments.study import StudyError
from experiments.summary import render_outcome
from negotiation import ScenarioError, TradeTalksModel, builtin_scenarios, load_scenario
from negotiation.behaviours import catalogue
from negotiation.behaviours.registry import KINDS, BehaviourError

DEFAULT_SCENARIO = "kuala-lumpur-2025"


class UsageError(ValueError):
    """A command-line argument that cannot be used; the message says what is allowed."""


def parse_assignments(items: Sequence[str] | None) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1.0, "b": "x"}`` (numbers parsed, rest kept)."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects name=value, got {item!r}")
        out[name.strip()] = _parse_value(value.strip())
    return out


def _parse_value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return (
        int(number)
        if number.is_integer() and "." not in text and "e" not in text.lower()
        else number
    )


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    params = parse_assignments(args.set)
    model = TradeTalksModel(scenario, rng=args.seed, collect=False, **params)
    outcome = model.run()
    if args.json:
        print(json.dumps(outcome.to_dict(), indent=2, sort_keys=False))
    else:
        print(render_outcome(outcome, model.spec))
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    scenarios = builtin_scenarios()
    width = max(len(n) for n in scenarios)
    for name, title in scenarios.items():
        print(f"{name:<{width}}  {title}")
    return 0


def _cmd_parameters(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    for name, p in scenario.parameters.items():
        if p.kind == "behaviour":
            rng = f"one of the {p.behaviour_kind} behaviours"
        elif p.kind == "boolean":
            rng = "true/false"
        else:
            rng = f"{p.low:g} .. {p.high:g}"
        print(f"{name}  (default {p.default!r}; {rng})\n    {p.description}")
    return 0


def _cmd_behaviours(args: argparse.Namespace) -> int:
    current = None
    for info in catalogue():
        if info.kind != current:
            current = info.kind
            print(f"\n{info.kind}: {KINDS[info.kind]}")
        params = ", ".join(f"{n}={d!r}" for n, (_, d) in info.params.items())
        print(f"  {info.name:<22} {info.summary}")
        if params:
            print(f"  {'':<22} parameters: {params}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="negotiation",
        description="Agent-based model of the US–China trade talks (Kuala Lumpur, Oct 2025).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one seeded negotiation and summarise it")
    run.add_argument("--scenario", default=DEFAULT_SCENARIO, help="built-in name or TOML path")
    run.add_argument("--seed", type=int, default=0, help="seed of the run's random draws")
    run.add_argument("--set", action="append", metavar="NAME=VALUE", help="set a named parameter")
    run.add_argument("--json", action="store_true", help="print the outcome record as JSON")
    run.set_defaults(func=_cmd_run)

    scen = sub.add_parser("scenarios", help="list the built-in scenarios")
    scen.set_defaults(func=_cmd_scenarios)

    par = sub.add_parser("parameters", help="list a scenario's named parameters")
    par.add_argument("--scenario", default=DEFAULT_SCENARIO)
    par.set_defaults(func=_cmd_parameters)

    beh = sub.add_parser("behaviours", help="list registered behaviours by kind")
    beh.set_defaults(func=_cmd_behaviours)

    for register in _EXTENSIONS:
        register(sub)
    return parser


# Sub-commands added by other modules of the batch and UI layers (ensemble, sweep, ...).
_EXTENSIONS: list[Any] = []

from experiments import batch_cli, dashboard_cli  # noqa: E402

_EXTENSIONS.extend([batch_cli.register, dashboard_cli.register])
from experiments import backtest_cli  # noqa: E402

_EXTENSIONS.append(backtest_cli.register)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (
        ScenarioError,
        BehaviourError,
        UsageError,
        StudyError,
        ResumeError,
        FileExistsError,
    ) as exc:
        print(f"negotiation {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
