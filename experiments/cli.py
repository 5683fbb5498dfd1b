"""The ``negotiation`` command: a thin front door to the model, the batch layer and the
dashboard.

    negotiation run --scenario kuala-lumpur-2025 --seed 7 [--json] [--set name=value ...]
    negotiation scenarios [--json]
    negotiation parameters [--scenario NAME] [--json]
    negotiation behaviours [--json]
    negotiation schema scenario|study

(``ensemble``, ``sweep``, ``backtest`` and ``dashboard`` are added by their modules.)

Errors: every error is one line on stderr, ``negotiation CMD: error: ...``, naming the
value and what is allowed (a scenario file with several problems: one line per problem),
never a traceback. The exit codes are :data:`EXIT_CODES`; argparse's own usage errors
keep its code 2. Errors are caught in one place, :func:`main`, around every command.

This module imports only the standard library at load time (the domain and the batch
layer load when a command needs them), so that Ctrl-C during start-up is still caught.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import re
import sys
import textwrap
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from experiments.summary import json_text

if TYPE_CHECKING:
    from negotiation import Scenario

DEFAULT_SCENARIO = "kuala-lumpur-2025"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2  # argparse's own code for a usage error
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILURE: "a failure while running (a file that cannot be written, a worker that "
    "died, an internal error)",
    EXIT_USAGE: "a usage error or bad input (an argument, scenario, study file, parameter or "
    "result folder that cannot be used)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}
DEBUG_VARIABLE = "NEGOTIATION_DEBUG"  # set to 1 to see the traceback of an internal error
MAX_SEED = 2**63 - 1  # seeds are recorded as signed 64-bit integers (Parquet, pandas)

EPILOG = (
    "exit codes:\n"
    + "".join(
        textwrap.fill(meaning, 88, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7) + "\n"
        for code, meaning in EXIT_CODES.items()
    )
    + "\nEvery error is one line on stderr naming the value and what is allowed (a scenario\n"
    "file with several problems gets one line per problem); no traceback. An internal\n"
    f"error prints one line too: run again with {DEBUG_VARIABLE}=1 to see its traceback."
)
SHORT_EPILOG = "exit codes: 0 success, 1 failure while running, 2 usage error or bad input, " + (
    "130 interrupted (see negotiation --help)"
)


class UsageError(ValueError):
    """A command-line argument that cannot be used; the message says what is allowed."""


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (the usage itself is in ``--help``).

    ``argument --runs: must be at least 1`` reads ``--runs must be at least 1``: the
    argument types below say what is allowed after the option's name.
    """

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument (-[-\w]+)(?:/-[-\w]+)*: must ", r"\1 must ", message)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --- argument types ---------------------------------------------------------------------
def _shown(text: str, limit: int = 40) -> str:
    """``repr(text)``, shortened: an error line names the value, but stays one line."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def integer_argument(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number in ``[low, high]``, or a message saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            value = None
        if value is None:
            problem = f"must be a whole number from {low} to {high}"
        elif value < low:
            problem = f"must be at least {low} (and at most {high})"
        elif value > high:
            problem = f"must be at most {high} (and at least {low})"
        else:
            return value
        raise argparse.ArgumentTypeError(f"{problem}, got {_shown(text)}")

    parse.__name__ = f"integer from {low} to {high}"
    return parse


seed_argument = integer_argument(0, MAX_SEED)
port_argument = integer_argument(0, 65535)

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def host_argument(text: str) -> str:
    """An argparse ``type``: an IP address or a host name (RFC 1123), checked without any
    lookup, so that garbage is refused before anything is started."""
    host = text.strip()
    try:
        return str(ipaddress.ip_address(host.removeprefix("[").removesuffix("]")))
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if (
        0 < len(host) <= 253
        and all(_HOST_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()  # 999.1.1.1 is a bad address, not a name
    ):
        return host
    raise argparse.ArgumentTypeError(
        "must be an IP address or a host name such as 127.0.0.1 (this machine only), "
        f"0.0.0.0 (every interface), ::1 or localhost, got {_shown(text)}"
    )


# --- --set NAME=VALUE -------------------------------------------------------------------
def parse_assignments(
    items: Sequence[str] | None, scenario: Scenario | None = None
) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``.

    With ``scenario``, each value is checked and coerced by the scenario's own parameter
    (the domain decides what ``true`` or ``0.5`` means for a parameter, and refuses what
    it cannot use with a :class:`~negotiation.ScenarioError`). Without one, numbers are
    parsed and ``true``/``false`` become booleans (which number parameters refuse).
    A missing ``=``, an empty name or a name given twice is a :class:`UsageError`.
    """
    raw: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(
                f"--set expects name=value (a parameter name, '=', its value), got "
                f"{_shown(item)}; negotiation parameters lists the names"
            )
        if name in raw:
            raise UsageError(
                f"--set {name} is given twice ({_shown(raw[name])} and "
                f"{_shown(value.strip())}): give each parameter once"
            )
        raw[name] = value.strip()
    if scenario is not None:
        return scenario.check_parameters(raw)
    return {name: _parse_value(value) for name, value in raw.items()}


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


# --- commands ---------------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace) -> int:
    from experiments.summary import render_outcome
    from negotiation import TradeTalksModel, load_scenario
    from negotiation.explain import explain

    scenario = load_scenario(args.scenario)
    params = parse_assignments(args.set, scenario)  # checked before the model is built
    model = TradeTalksModel(scenario, rng=args.seed, collect=False, **params)
    outcome = model.run()
    if args.json:
        print(json_text(outcome.to_dict()))
    else:
        print(render_outcome(outcome, model.spec))
        print("\nWhy:")
        print("\n".join(f"- {line}" for line in explain(model)))
    return EXIT_OK


def _cmd_compile(args: argparse.Namespace) -> int:
    import time

    from negotiation.compilation import compile_kernels

    start = time.perf_counter()
    compile_kernels(args.scenario)
    print(f"the model's kernels are compiled and cached ({time.perf_counter() - start:.1f} s)")
    return EXIT_OK


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from negotiation import builtin_scenarios

    scenarios = builtin_scenarios()
    if args.json:
        print(json_text([{"name": n, "title": t} for n, t in scenarios.items()]))
        return EXIT_OK
    width = max((len(n) for n in scenarios), default=0)
    for name, title in scenarios.items():
        print(f"{name:<{width}}  {title}")
    return EXIT_OK


def _cmd_parameters(args: argparse.Namespace) -> int:
    from negotiation import load_scenario

    scenario = load_scenario(args.scenario)
    if args.json:
        listing = [
            {
                "name": name,
                "kind": p.kind,
                "low": p.low,
                "high": p.high,
                "default": p.default,
                "behaviour_kind": p.behaviour_kind,
                "mode": p.mode,
                "description": p.description,
                "targets": list(p.targets),
            }
            for name, p in scenario.parameters.items()
        ]
        print(json_text(listing))
        return EXIT_OK
    for name, p in scenario.parameters.items():
        if p.kind == "behaviour":
            allowed = f"one of the {p.behaviour_kind} behaviours"
        elif p.kind == "boolean":
            allowed = "true/false"
        else:
            allowed = f"{p.low:g} .. {p.high:g}"
        print(f"{name}  (default {p.default!r}; {allowed})\n    {p.description}")
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from experiments.schemas import json_schema

    print(json_text(json_schema(args.kind)))
    return EXIT_OK


def _cmd_behaviours(args: argparse.Namespace) -> int:
    from negotiation.behaviours import registry

    infos = registry.catalogue()
    broken = registry.broken_plugins()
    if args.json:
        listing = [
            {
                "kind": info.kind,
                "name": info.name,
                "summary": info.summary,
                "params": {
                    n: {"type": kind, "default": _jsonable(default)}
                    for n, (kind, default) in info.params.items()
                },
            }
            for info in infos
        ]
        failed = [{"name": n, "reason": why} for n, why in broken.items()]
        print(json_text({"behaviours": listing, "broken_plugins": failed}))
        return EXIT_OK
    current = None
    for info in infos:
        if info.kind != current:
            current = info.kind
            print(f"\n{info.kind}: {registry.KINDS[info.kind]}")
        params = ", ".join(f"{n}={d!r}" for n, (_, d) in info.params.items())
        print(f"  {info.name:<22} {info.summary}")
        if params:
            print(f"  {'':<22} parameters: {params}")
    if broken:
        print(f"\nplug-ins that failed to load ({registry.ENTRY_POINT_GROUP} entry points):")
        for name, why in broken.items():
            print(f"  {name:<22} {why}")
    return EXIT_OK


def _jsonable(value: Any) -> Any:
    """A behaviour default as JSON can hold it: plain values as they are, others as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple) and all(
        v is None or isinstance(v, bool | int | float | str) for v in value
    ):
        return list(value)
    return repr(value)


# --- the parser -------------------------------------------------------------------------
class _VersionAction(argparse.Action):
    """``--version``: reads the version only when asked, since importing the domain to
    learn it would slow every command's start (``negotiation dashboard`` the most)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from negotiation import __version__

        print(f"trade-talks {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, sub-commands of the batch and UI layers included."""
    from experiments import backtest_cli, batch_cli, dashboard_cli, inference_cli
    from experiments.schemas import KINDS as SCHEMA_KINDS

    parser = Parser(
        prog="negotiation",
        description="Agent-based model of the US–China trade talks (Kuala Lumpur, Oct 2025).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one seeded negotiation and summarise it")
    run.add_argument("--scenario", default=DEFAULT_SCENARIO, help="built-in name or TOML path")
    run.add_argument(
        "--seed",
        type=seed_argument,
        default=0,
        help=f"seed of the run's random draws, 0 to {MAX_SEED} (default 0)",
    )
    run.add_argument("--set", action="append", metavar="NAME=VALUE", help="set a named parameter")
    run.add_argument("--json", action="store_true", help="print the outcome record as JSON")
    run.set_defaults(func=_cmd_run)

    scen = sub.add_parser("scenarios", help="list the built-in scenarios")
    scen.add_argument("--json", action="store_true", help="print [{name, title}, ...] as JSON")
    scen.set_defaults(func=_cmd_scenarios)

    par = sub.add_parser("parameters", help="list a scenario's named parameters")
    par.add_argument("--scenario", default=DEFAULT_SCENARIO, help="built-in name or TOML path")
    par.add_argument("--json", action="store_true", help="print the parameters as JSON")
    par.set_defaults(func=_cmd_parameters)

    beh = sub.add_parser("behaviours", help="list registered behaviours by kind")
    beh.add_argument(
        "--json", action="store_true", help="print the behaviours and broken plug-ins as JSON"
    )
    beh.set_defaults(func=_cmd_behaviours)

    schema = sub.add_parser(
        "schema", help="print the JSON Schema of scenario or study files (for editors)"
    )
    schema.add_argument("kind", choices=SCHEMA_KINDS, help="which kind of file")
    schema.set_defaults(func=_cmd_schema)

    compile_ = sub.add_parser(
        "compile",
        help="compile the model's kernels into numba's cache now, so no run waits for it",
    )
    compile_.add_argument(
        "--scenario", default=DEFAULT_SCENARIO, help="built-in name or TOML path to run"
    )
    compile_.set_defaults(func=_cmd_compile)

    for module in (batch_cli, dashboard_cli, backtest_cli, inference_cli):
        module.register(sub)
    for command in sub.choices.values():
        command.epilog = command.epilog or SHORT_EPILOG
    return parser


# --- the one place errors are caught ----------------------------------------------------
# Bad input of the domain and the batch layer: (module, class). Looked up in sys.modules
# when an error is classified: an exception of a module that never loaded cannot be one
# of its classes, and classifying must never import (and so never fail) itself.
_BAD_INPUT = (
    ("negotiation.scenario", "ScenarioError"),
    ("negotiation.behaviours.registry", "BehaviourError"),
    ("experiments.study", "StudyError"),
    ("experiments.store", "ResumeError"),
    ("experiments.store", "StoreError"),
    ("experiments.executors", "ExecutorError"),
    ("experiments.extras", "MissingExtra"),
    ("experiments.inference", "InferenceError"),
)
# Failures while running that are not bugs (the message says what happened): exit 1.
_RUN_FAILURES = (
    ("experiments.executors", "ExecutorLost"),
    ("experiments.sweep", "SweepAborted"),
)
# An OSError about the path the user gave (its fix is another path) is bad input.
_PATH_ERRNOS = {
    errno.EEXIST,
    errno.ENOENT,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENAMETOOLONG,
    errno.ELOOP,
}
_PATH_ERRORS = (FileExistsError, FileNotFoundError, IsADirectoryError, NotADirectoryError)


def _loaded_types(names: Sequence[tuple[str, str]]) -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for module_name, class_name in names:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an OSError about a file, its message otherwise."""
    if exc.filename is not None and exc.strerror:
        where = _path_text(exc.filename)
        if exc.filename2 is not None:
            where += f" -> {_path_text(exc.filename2)}"
        return f"{where}: {exc.strerror}"
    return _one_line(str(exc)) or type(exc).__name__


def _path_text(name: Any) -> str:
    return os.fsdecode(name) if isinstance(name, str | bytes | os.PathLike) else str(name)


def _one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def classify(command: str, exc: Exception) -> int:
    """Print the one error line for ``exc`` raised by ``command``; return the exit code."""
    if isinstance(exc, (UsageError, *_loaded_types(_BAD_INPUT))):
        # A scenario's message may list several problems, one per line: printed as is.
        _say(f"{command}: error: {str(exc).strip() or type(exc).__name__}")
        return EXIT_USAGE
    if isinstance(exc, _loaded_types(_RUN_FAILURES)):
        _say(f"{command}: error: {_one_line(str(exc)) or type(exc).__name__}")
        return EXIT_FAILURE
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        _say(f"{command}: error: {describe_os_error(exc)}")
        path_error = isinstance(exc, _PATH_ERRORS) or exc.errno in _PATH_ERRNOS
        return EXIT_USAGE if path_error else EXIT_FAILURE
    if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
        traceback.print_exception(exc, file=sys.stderr)
    _say(
        f"{command}: internal error: {type(exc).__name__}: {_one_line(str(exc)) or '-'} "
        f"(a bug: please report it with the traceback {DEBUG_VARIABLE}=1 shows)"
    )
    return EXIT_FAILURE


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings as one line each, without the source line Python shows by default."""
    _say(f"negotiation: warning: {message}")


def _stdout_gone() -> int:
    """The reader of stdout left (``| head``): stop quietly, without a second error when
    Python flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, and turn whatever it raises into one line on
    stderr and an exit code (:data:`EXIT_CODES`), which is returned (argparse's usage
    errors too: 2), so that callers in Python get a code rather than a SystemExit."""
    command = "negotiation"
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            parser = build_parser()
            try:
                args = parser.parse_args(argv)
            except SystemExit as stop:  # --help (0) or a usage error (2), already printed
                return stop.code if isinstance(stop.code, int) else EXIT_USAGE
            command = f"negotiation {args.command}"
            code = int(args.func(args))
            sys.stdout.flush()
            return code
        except KeyboardInterrupt:
            _say(f"{command}: interrupted")
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            return _stdout_gone()
        except Exception as exc:
            return classify(command, exc)


if __name__ == "__main__":
    sys.exit(main())
