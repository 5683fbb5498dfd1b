"""A corpus of bad inputs, run through the command line as a user types them.

Every case runs ``negotiation ...`` in an empty working folder and checks the
command-line contract (``negotiation --help`` lists it):

- the exit code: 2 for a usage error or bad input, 1 for a failure while running;
- stderr says what was wrong (a regex), with no traceback, on one line (a scenario or
  study file with several problems: one line per problem), and stdout is empty;
- nothing is half-written: the working folder (result folders, manifests, the default
  ``results/`` of a backtest) is byte for byte what it was before the command.

The whole corpus runs in this process through :func:`experiments.cli.main`, the console
script's entry function, with the output captured at file descriptors 1 and 2 (a fresh
interpreter per case cost about 1.5-3 s of start-up and imports each). One case per way
a command ends in ``main`` (argparse's usage error, bad input ``main`` classifies, an OS
error about a path, a command's own guard) also runs as the installed ``negotiation``
console script in a fresh process, so the real entry point keeps the same contract.

Cases build their input files in the working folder, so paths in the command lines are
relative. Each command is capped in memory (address space) and time, so that a case
whose refusal is missing cannot take the machine down (it fails instead).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psutil
import pytest

from experiments.cli import main

MEMORY_CAP = 6 * 2**30  # bytes of address space per command (a missing size cap fails)
TIMEOUT = 90.0  # seconds per command
# Exported to every command, as the tests always ran it (argparse reads COLUMNS).
ENV = {"OPENBLAS_NUM_THREADS": "1", "COLUMNS": "200"}

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments, the documented exit code and the expected message."""

    id: str
    argv: tuple[str, ...]
    stderr: str  # a regex that must match somewhere in stderr
    code: int = 2
    setup: Setup | None = None
    one_line: bool = True  # False: a file with several problems may take one line each


def _command() -> list[str]:
    exe = Path(sys.executable).with_name("negotiation")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "experiments.cli"]


def _limit_resources() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


# --- input files ------------------------------------------------------------------------
def _flagship() -> str:
    return resources.files("negotiation.scenarios").joinpath("kuala-lumpur-2025.toml").read_text()


def _scenario(name: str, *replacements: tuple[str, str]) -> Setup:
    """Write the flagship scenario as ``name`` with each (old, new) replaced once."""

    def setup(root: Path) -> None:
        text = _flagship()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new, 1)
        (root / name).write_text(text, encoding="utf-8")

    return setup


def _file(name: str, content: str | bytes) -> Setup:
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def _folder(name: str) -> Setup:
    def setup(root: Path) -> None:
        (root / name).mkdir(parents=True)

    return setup


def _all(*setups: Setup) -> Setup:
    def setup(root: Path) -> None:
        for step in setups:
            step(root)

    return setup


STUDY_HEAD = """\
[study]
name = "tiny"
scenario = "kuala-lumpur-2025"
root_seed = 1
replications = 1
"""
GRID = """
[design]
kind = "grid"

[design.parameters]
threat_credibility = [0.2, 0.8]
"""
TINY_STUDY = STUDY_HEAD + GRID


def _study(body: str, name: str = "study.toml") -> Setup:
    return _file(name, body)


DEEP_TOML = "a = " + "[" * 50_000 + "]" * 50_000 + "\n"
NUMBERS = ("threat_credibility", "farmer_pressure", "hawk_influence", "lobbying_rate")
HUGE_GRID = (
    STUDY_HEAD
    + '\n[design]\nkind = "grid"\n\n[design.parameters]\n'
    + "".join(f"{n} = {{ low = 0.0, high = 0.2, levels = 1000 }}\n" for n in NUMBERS)
)  # 1000**4 = 10**12 points
HUGE_SOBOL = (
    STUDY_HEAD
    + '\n[design]\nkind = "sobol"\nsamples = 10000000\n\n[design.parameters]\n'
    + "".join(f"{n} = {{ low = 0.0, high = 0.2 }}\n" for n in NUMBERS)
)
FOREIGN_MANIFEST = '{"study": {"study": {"name": "other"}}, "chunk_size": 10, "total_runs": 5}\n'


def _read_only_folder(name: str) -> tuple[str, Setup]:
    """A folder this process cannot write in: a chmod-ed one, or (as root, who may write
    anywhere) a folder under /sys, which the kernel refuses to create."""
    if os.geteuid() != 0:

        def setup(root: Path) -> None:
            (root / name).mkdir()
            (root / name).chmod(0o555)

        return f"{name}/out", setup
    return "/sys/negotiation-test-out", lambda root: None


READ_ONLY_OUT, READ_ONLY_SETUP = _read_only_folder("locked")
PATH_REFUSED = r"(Permission denied|Operation not permitted|Read-only|cannot write|No such file)"

# --- the corpus -------------------------------------------------------------------------
SEED = r"--seed must be [^,]*\b(0|9223372036854775807)\b[^,]*, got '{}'"
E1 = ("--workers", "1")  # keep a case that should be refused from starting a pool anyway

CASES: list[Case] = [
    # --- no command, unknown command, unknown options
    Case("no-command", (), r"required: COMMAND"),
    Case("unknown-command", ("frobnicate",), r"invalid choice: 'frobnicate'"),
    Case("run-unknown-option", ("run", "--frobnicate"), r"unrecognized arguments: --frobnicate"),
    Case("scenarios-extra-argument", ("scenarios", "extra"), r"unrecognized arguments: extra"),
    Case("behaviours-unknown-option", ("behaviours", "--all"), r"unrecognized arguments: --all"),
    # --- run: seeds
    Case("run-seed-negative", ("run", "--seed", "-1"), SEED.format("-1")),
    Case("run-seed-not-a-number", ("run", "--seed", "abc"), SEED.format("abc")),
    Case("run-seed-fraction", ("run", "--seed", "1.5"), SEED.format(r"1\.5")),
    Case("run-seed-2-to-the-63", ("run", "--seed", str(2**63)), SEED.format(str(2**63))),
    Case("run-seed-empty", ("run", "--seed", ""), SEED.format("")),
    # --- run: --set
    Case(
        "run-set-boolean-for-number",
        ("run", "--set", "threat_credibility=true"),
        r"parameter 'threat_credibility' = 'true' is not a number",
    ),
    Case(
        "run-set-without-equals",
        ("run", "--set", "threat_credibility"),
        r"--set expects name=value.*got 'threat_credibility'",
    ),
    Case("run-set-empty-name", ("run", "--set", "=0.5"), r"--set expects name=value.*got '=0\.5'"),
    Case(
        "run-set-unknown-parameter",
        ("run", "--set", "nope=1"),
        r"unknown parameter 'nope'.*its parameters are: .*threat_credibility",
    ),
    Case(
        "run-set-model-keyword",
        ("run", "--set", "collect=1"),
        r"unknown parameter 'collect'",
    ),
    Case(
        "run-set-out-of-range",
        ("run", "--set", "threat_credibility=2"),
        r"'threat_credibility' = '2' is outside its range \[0\.0, 1\.0\]",
    ),
    Case("run-set-nan", ("run", "--set", "threat_credibility=nan"), r"must be a finite number"),
    Case("run-set-inf", ("run", "--set", "farmer_pressure=inf"), r"must be a finite number"),
    Case("run-set-empty-value", ("run", "--set", "threat_credibility="), r"'' is not a number"),
    Case(
        "run-set-twice",
        ("run", "--set", "threat_credibility=0.1", "--set", "threat_credibility=0.2"),
        r"--set threat_credibility is given twice",
    ),
    Case(
        "run-set-unknown-behaviour",
        ("run", "--set", "us_offer_strategy=nope"),
        r"'nope' is not a registered offer behaviour; allowed: .*boulware",
    ),
    # --- run and parameters: scenarios
    Case(
        "run-unknown-scenario",
        ("run", "--scenario", "atlantis"),
        r"no scenario 'atlantis': neither a built-in name \(.*kuala-lumpur-2025.*\)",
    ),
    Case(
        "run-scenario-is-a-directory",
        ("run", "--scenario", "folder"),
        r"folder: not a file",
        setup=_folder("folder"),
    ),
    Case(
        "run-scenario-not-utf8",
        ("run", "--scenario", "latin1.toml"),
        r"latin1\.toml: not UTF-8 text",
        setup=_file("latin1.toml", b'[scenario]\nname = "caf\xe9"\n'),
    ),
    Case(
        "run-scenario-not-toml",
        ("run", "--scenario", "broken.toml"),
        r"broken\.toml: not valid TOML",
        setup=_file("broken.toml", "[scenario\nname = \n"),
    ),
    Case(
        "run-scenario-nested-too-deeply",
        ("run", "--scenario", "deep.toml"),
        r"deep\.toml: .*nested too deeply",
        setup=_file("deep.toml", DEEP_TOML),
    ),
    Case(
        "run-scenario-with-inf",
        ("run", "--scenario", "inf.toml"),
        r"inf\.toml: invalid scenario.*\n.*(finite|inf)",
        setup=_scenario("inf.toml", ("high = 130", "high = inf")),
        one_line=False,
    ),
    Case(
        "run-scenario-utc-offset",
        ("run", "--scenario", "offset.toml"),
        r"offset\.toml: invalid scenario.*\n.*has a UTC offset",
        setup=_scenario(
            "offset.toml", ("summit = 2025-10-30T11:00:00", "summit = 2025-10-30T11:00:00+08:00")
        ),
        one_line=False,
    ),
    Case(
        "run-scenario-empty-file",
        ("run", "--scenario", "empty.toml"),
        r"empty\.toml: invalid scenario",
        setup=_file("empty.toml", ""),
        one_line=False,
    ),
    Case(
        "run-scenario-unknown-key",
        ("run", "--scenario", "extra.toml"),
        r"extra\.toml: invalid scenario.*\n.*colour",
        setup=_scenario("extra.toml", ("[calendar]\n", '[calendar]\ncolour = "red"\n')),
        one_line=False,
    ),
    Case(
        "parameters-unknown-scenario",
        ("parameters", "--scenario", "atlantis.toml"),
        r"no scenario 'atlantis\.toml'",
    ),
    Case(
        "parameters-scenario-is-a-directory",
        ("parameters", "--scenario", "folder", "--json"),
        r"folder: not a file",
        setup=_folder("folder"),
    ),
    Case(
        "run-scenario-too-large",
        ("run", "--scenario", "large.toml"),
        r"large\.toml: [\d,]+ bytes; a scenario file may have at most 5,000,000",
        setup=_file("large.toml", "# padding\n" * 500_001),
    ),
    Case(
        "parameters-json-scenario-with-inf",
        ("parameters", "--json", "--scenario", "inf.toml"),
        r"inf\.toml: invalid scenario",
        setup=_scenario("inf.toml", ("high = 130", "high = inf")),
        one_line=False,
    ),
    # --- ensemble
    Case("ensemble-runs-zero", ("ensemble", "--runs", "0", *E1), r"--runs.*(at least 1|from 1)"),
    Case(
        "ensemble-runs-negative", ("ensemble", "--runs", "-5", *E1), r"--runs.*(at least 1|from 1)"
    ),
    Case("ensemble-runs-not-a-number", ("ensemble", "--runs", "many", *E1), r"--runs.*'many'"),
    Case(
        "ensemble-runs-beyond-the-cap",
        ("ensemble", "--runs", str(10**12), *E1),
        r"--runs.*(cap|at most|from 1 to)",
    ),
    Case(
        "ensemble-workers-zero",
        ("ensemble", "--runs", "2", "--workers", "0"),
        r"workers.*(from 1 to|at least 1)",
    ),
    Case(
        "ensemble-workers-negative",
        ("ensemble", "--runs", "2", "--workers", "-1"),
        r"workers.*(from 1 to|at least 1)",
    ),
    Case(
        "ensemble-workers-1000",
        ("ensemble", "--runs", "2", "--workers", "1000"),
        r"workers.*from 1 to \d+",
    ),
    Case(
        "ensemble-scheduler-not-an-address",
        ("ensemble", "--runs", "2", "--scheduler", "not-an-address"),
        r"tcp://host:port.*'not-an-address'",
    ),
    Case("ensemble-seed-negative", ("ensemble", "--runs", "2", "--seed", "-1", *E1), r"seed.*-1"),
    Case(
        "ensemble-set-boolean-for-number",
        ("ensemble", "--runs", "2", "--set", "threat_credibility=true", *E1),
        r"'threat_credibility' = (True|'true') is not a number",
    ),
    Case(
        "ensemble-set-without-equals",
        ("ensemble", "--runs", "2", "--set", "threat_credibility", *E1),
        r"--set expects name=value",
    ),
    Case(
        "ensemble-unknown-scenario",
        ("ensemble", "--runs", "2", "--scenario", "atlantis", *E1),
        r"no scenario 'atlantis'",
    ),
    # --- sweep: study files
    Case("sweep-no-study-file", ("sweep", "missing.toml", "--out", "out"), r"missing\.toml"),
    Case(
        "sweep-study-is-a-directory",
        ("sweep", "folder", "--out", "out"),
        r"folder",
        setup=_folder("folder"),
    ),
    Case(
        "sweep-study-not-toml",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: not valid TOML",
        setup=_study("[study\nname = "),
    ),
    Case(
        "sweep-study-not-utf8",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: .*UTF-8",
        setup=_file("study.toml", TINY_STUDY.encode() + b"# caf\xe9\n"),
    ),
    Case(
        "sweep-study-nested-too-deeply",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: .*(nested too deeply|not valid TOML)",
        setup=_study(DEEP_TOML),
    ),
    Case(
        "sweep-study-unknown-key",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*study\.colour",
        setup=_study(STUDY_HEAD + 'colour = "red"\n' + GRID),
        one_line=False,
    ),
    Case(
        "sweep-study-unknown-table",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*sweep",
        setup=_study(TINY_STUDY + "\n[sweep]\nfast = true\n"),
        one_line=False,
    ),
    Case(
        "sweep-study-inf-in-range",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*high must be a finite number",
        setup=_study(
            STUDY_HEAD + '[design]\nkind = "random"\nsamples = 4\n[design.parameters]\n'
            "threat_credibility = { low = 0.0, high = inf }\n"
        ),
        one_line=False,
    ),
    Case(
        "sweep-study-nan-in-values",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*must be a finite number, got nan",
        setup=_study(STUDY_HEAD + GRID.replace("[0.2, 0.8]", "[0.2, nan]")),
        one_line=False,
    ),
    Case(
        "sweep-study-unknown-parameter",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: unknown parameter 'nope'.*its parameters are",
        setup=_study(TINY_STUDY + "nope = [1, 2]\n"),
    ),
    Case(
        "sweep-study-value-out-of-range",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: parameter 'threat_credibility' = 2\.0 is outside its range",
        setup=_study(TINY_STUDY.replace("[0.2, 0.8]", "[0.2, 2.0]")),
    ),
    Case(
        "sweep-study-unknown-behaviour",
        ("sweep", "study.toml", "--out", "out"),
        r"'nope' is not a registered offer behaviour",
        setup=_study(TINY_STUDY + 'us_offer_strategy = ["boulware", "nope"]\n'),
    ),
    Case(
        "sweep-study-grid-with-samples",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*grid design takes no 'samples'",
        setup=_study(TINY_STUDY.replace('kind = "grid"', 'kind = "grid"\nsamples = 5')),
        one_line=False,
    ),
    Case(
        "sweep-study-10-to-the-12-points",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*1,000,000,000,000 design point.*above the cap",
        setup=_study(HUGE_GRID),
        one_line=False,
    ),
    Case(
        "sweep-study-sobol-beyond-the-cap",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*above the cap",
        setup=_study(HUGE_SOBOL),
        one_line=False,
    ),
    Case(
        "sweep-study-zero-replications",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*study\.replications",
        setup=_study(TINY_STUDY.replace("replications = 1", "replications = 0")),
        one_line=False,
    ),
    Case(
        "sweep-study-negative-root-seed",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: invalid study\n.*study\.root_seed",
        setup=_study(TINY_STUDY.replace("root_seed = 1", "root_seed = -1")),
        one_line=False,
    ),
    Case(
        "sweep-study-swept-and-fixed",
        ("sweep", "study.toml", "--out", "out"),
        r"both swept and fixed",
        setup=_study(TINY_STUDY + "\n[fixed]\nthreat_credibility = 0.5\n"),
    ),
    Case(
        "sweep-study-relative-scenario-path",
        ("sweep", "studies/study.toml", "--out", "out"),
        r"study\.scenario: .*mine\.toml",
        # The scenario is next to the working folder, not next to the study file, which
        # is where a relative path in a study is read from.
        setup=_all(
            _scenario("mine.toml"),
            _study(TINY_STUDY.replace('"kuala-lumpur-2025"', '"mine.toml"'), "studies/study.toml"),
        ),
        one_line=False,
    ),
    Case(
        "sweep-study-scenario-with-inf",
        ("sweep", "study.toml", "--out", "out"),
        r"study\.toml: study\.scenario: .*inf\.toml: invalid scenario",
        setup=_all(
            _scenario("inf.toml", ("high = 130", "high = inf")),
            _study(TINY_STUDY.replace('"kuala-lumpur-2025"', '"inf.toml"')),
        ),
        one_line=False,
    ),
    # --- sweep: executors
    Case(
        "sweep-workers-zero",
        ("sweep", "study.toml", "--out", "out", "--workers", "0"),
        r"workers.*(from 1 to|at least 1)",
        setup=_study(TINY_STUDY),
    ),
    Case(
        "sweep-scheduler-not-an-address",
        ("sweep", "study.toml", "--out", "out", "--scheduler", "not-an-address"),
        r"tcp://host:port.*'not-an-address'",
        setup=_study(TINY_STUDY),
    ),
    Case(
        "sweep-without-out",
        ("sweep", "study.toml"),
        r"the following arguments are required: --out",
        setup=_study(TINY_STUDY),
    ),
    Case(
        "sweep-workers-1000",
        ("sweep", "study.toml", "--out", "out", "--workers", "1000"),
        r"workers.*from 1 to \d+",
        setup=_study(TINY_STUDY),
    ),
    Case(
        "ensemble-scheduler-and-dask-local",
        ("ensemble", "--runs", "2", "--scheduler", "tcp://127.0.0.1:1", "--dask-local"),
        r"--scheduler or --dask-local, not both",
    ),
    # --- sweep: result folders
    Case(
        "sweep-out-is-a-file",
        ("sweep", "study.toml", "--out", "out", *E1),
        r"out.*(File exists|[Nn]ot a directory|is a file|not a folder)",
        setup=_all(_study(TINY_STUDY), _file("out", "a file, not a folder\n")),
    ),
    Case(
        "sweep-out-read-only",
        ("sweep", "study.toml", "--out", READ_ONLY_OUT, *E1),
        PATH_REFUSED,
        setup=_all(_study(TINY_STUDY), READ_ONLY_SETUP),
    ),
    Case(
        "sweep-out-truncated-manifest",
        ("sweep", "study.toml", "--out", "out", *E1),
        r"out/manifest\.json",
        setup=_all(_study(TINY_STUDY), _file("out/manifest.json", '{"study": {"stu')),
    ),
    Case(
        "sweep-resume-truncated-manifest",
        ("sweep", "study.toml", "--out", "out", "--resume", *E1),
        r"out/manifest\.json",
        setup=_all(_study(TINY_STUDY), _file("out/manifest.json", '{"study": {"stu')),
    ),
    Case(
        "sweep-out-manifest-is-a-directory",
        ("sweep", "study.toml", "--out", "out", "--resume", *E1),
        r"out/manifest\.json",
        setup=_all(_study(TINY_STUDY), _folder("out/manifest.json")),
    ),
    Case(
        "sweep-out-already-holds-a-sweep",
        ("sweep", "study.toml", "--out", "out", *E1),
        r"out already holds a sweep: use --resume",
        setup=_all(_study(TINY_STUDY), _file("out/manifest.json", FOREIGN_MANIFEST)),
    ),
    Case(
        "sweep-resume-a-different-sweep",
        ("sweep", "study.toml", "--out", "out", "--resume", *E1),
        r"(cannot resume|different sweep|manifest)",
        setup=_all(_study(TINY_STUDY), _file("out/manifest.json", FOREIGN_MANIFEST)),
    ),
    Case(
        "sweep-resume-without-a-manifest",
        ("sweep", "study.toml", "--out", "out", "--resume", *E1),
        r"--resume.*(no sweep|manifest)",
        setup=_all(_study(TINY_STUDY), _folder("out")),
    ),
    # --- backtest
    Case(
        "backtest-runs-zero",
        ("backtest", "--runs", "0"),
        r"--runs must be at least 1 \(and at most 1000000\), got '0'",
    ),
    Case(
        "backtest-runs-negative",
        ("backtest", "--runs", "-5"),
        r"--runs must be at least 1.*, got '-5'",
    ),
    Case(
        "backtest-runs-beyond-the-cap",
        ("backtest", "--runs", str(10**7)),
        r"--runs must be at most 1000000 \(and at least 1\), got '10000000'",
    ),
    Case(
        "backtest-calibration-runs-zero",
        ("backtest", "--calibration-runs", "0"),
        r"--calibration-runs must be at least 1",
    ),
    Case("backtest-seed-negative", ("backtest", "--seed", "-1"), SEED.format("-1")),
    Case("backtest-seed-not-a-number", ("backtest", "--seed", "x"), SEED.format("x")),
    Case(
        "backtest-out-is-a-file",
        ("backtest", "--runs", "1", "--no-calibration", "--out", "out"),
        r"--out 'out' is a file: give a folder",
        setup=_file("out", "a file\n"),
    ),
    Case(
        "backtest-out-under-a-file",
        ("backtest", "--runs", "1", "--no-calibration", "--out", "out/results"),
        r"--out 'out/results': 'out' is a file, not a folder",
        setup=_file("out", "a file\n"),
    ),
    Case(
        "backtest-out-read-only",
        ("backtest", "--runs", "1", "--no-calibration", "--out", READ_ONLY_OUT),
        PATH_REFUSED,
        setup=READ_ONLY_SETUP,
    ),
    # --- dashboard (refused before anything is served)
    Case(
        "dashboard-port-99999",
        ("dashboard", "--port", "99999"),
        r"--port must be at most 65535 \(and at least 0\), got '99999'",
    ),
    Case(
        "dashboard-port-negative",
        ("dashboard", "--port", "-1"),
        r"--port must be at least 0.*, got '-1'",
    ),
    Case(
        "dashboard-port-text",
        ("dashboard", "--port", "http"),
        r"--port must be a whole number from 0 to 65535, got 'http'",
    ),
    Case(
        "dashboard-host-garbage",
        ("dashboard", "--host", "not a host!"),
        r"--host must be an IP address or a host name such as 127\.0\.0\.1.*got 'not a host!'",
    ),
    Case(
        "dashboard-host-empty",
        ("dashboard", "--host", ""),
        r"--host must be an IP address.*, got ''",
    ),
    Case(
        "dashboard-host-bad-address",
        ("dashboard", "--host", "999.1.1.1"),
        r"--host must be an IP address.*, got '999\.1\.1\.1'",
    ),
    Case(
        "dashboard-host-url",
        ("dashboard", "--host", "http://127.0.0.1:8765"),
        r"--host must be an IP address.*, got 'http://127\.0\.0\.1:8765'",
    ),
]


# A sweep's lock file may stay in a result folder that already existed (an empty file
# held with flock; removing it would race with another sweep taking the lock).
LOCK_FILE = ".lock"


def _tree(root: Path) -> dict[str, str]:
    """Every folder and file under ``root`` with a hash of its bytes (or its mode), but
    for empty lock files."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.name == LOCK_FILE and path.is_file() and path.stat().st_size == 0:
            continue
        key = str(path.relative_to(root))
        if path.is_dir():
            out[key + "/"] = oct(path.stat().st_mode)
        else:
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# One case per way the corpus's commands end in ``main``, also run as the console script
# in a fresh process: the id, and the way it takes.
PROCESS_CASES = {
    "run-seed-negative": "argparse's usage error (its SystemExit, caught around parse_args)",
    "run-scenario-with-inf": "bad input a command raises, classified by main (several lines)",
    "backtest-out-read-only": "an OSError about a path the user gave, classified by main",
    "sweep-out-read-only": "a batch command's own guard, which prints and returns the code",
}
CASE_BY_ID = {c.id: c for c in CASES}


@dataclass(frozen=True)
class Done:
    """How a command ended: its exit code and what it printed."""

    code: int
    stdout: str
    stderr: str


def _in_a_fresh_process(case: Case, work: Path) -> Done:
    """``negotiation ARGV`` as a user runs it: the console script, a new interpreter."""
    env = {k: v for k, v in os.environ.items() if k != "NEGOTIATION_DEBUG"}
    env.update(ENV)
    done = subprocess.run(
        [*_command(), *case.argv],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_resources,
    )
    return Done(done.returncode, done.stdout, done.stderr)


@contextmanager
def _address_space_capped(extra: int) -> Iterator[None]:
    """This process's address space capped at what it holds now plus ``extra`` bytes (the
    room a fresh process had), and the old limit back afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = psutil.Process().memory_info().vms + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextmanager
def _process_state_restored() -> Iterator[None]:
    """Whatever a command may change for the rest of the process is put back: the
    environment, the root logger's handlers and level, and the signal handlers."""
    environ = dict(os.environ)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        root.handlers[:] = handlers
        root.setLevel(level)
        for number, handler in signals.items():
            signal.signal(number, handler)


def _in_this_process(
    case: Case, work: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> Done:
    """The same command through ``main``, the console script's entry function, in the
    working folder with the same environment; output captured at file descriptors 1 and
    2, so that anything written past ``sys.stdout``/``sys.stderr`` counts too."""
    monkeypatch.chdir(work)
    monkeypatch.delenv("NEGOTIATION_DEBUG", raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["negotiation", *case.argv])
    capfd.readouterr()  # nothing printed before the command counts
    with _process_state_restored(), _address_space_capped(MEMORY_CAP):
        try:
            code = main(list(case.argv))
        except SystemExit as stop:  # what the console script's sys.exit(main()) would see
            code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
    out, err = capfd.readouterr()
    return Done(code, out, err)


def _check(case: Case, work: Path, run: Callable[[], Done]) -> None:
    """Run the case in ``work`` (built by its setup) and check the contract."""
    if case.setup is not None:
        case.setup(work)
    before = _tree(work)
    try:
        done = run()
        after = _tree(work)
    finally:
        for path in work.rglob("*"):  # let pytest clean up a chmod-ed folder
            if path.is_dir():
                path.chmod(0o755)
    err = done.stderr
    assert "Traceback" not in err, err
    assert done.code == case.code, f"exit {done.code}, stderr:\n{err}"
    assert re.search(case.stderr, err), f"stderr does not match {case.stderr!r}:\n{err}"
    assert err.startswith("negotiation"), err
    if case.one_line:
        assert err.count("\n") == 1, f"not one line:\n{err}"
    assert done.stdout == "", done.stdout
    assert after == before, "the command changed the working folder"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty working folder for one command."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(PROCESS_CASES) <= set(CASE_BY_ID)


@pytest.mark.timeout(TIMEOUT)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_in_one_line(
    case: Case, work: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    _check(case, work, lambda: _in_this_process(case, work, monkeypatch, capfd))


@pytest.mark.parametrize("case_id", list(PROCESS_CASES))
def test_the_console_script_refuses_in_one_line_in_a_fresh_process(
    case_id: str, work: Path
) -> None:
    case = CASE_BY_ID[case_id]
    _check(case, work, lambda: _in_a_fresh_process(case, work))
