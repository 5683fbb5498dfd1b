"""Small studies for the batch-layer tests, and helpers for sweeps in other processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from experiments.study import Study, parse_study

# The command line in a child process, with small chunks (about 50 ms of work each) so a
# sweep of a few thousand runs has many chunks to kill or interrupt it between.
REPO = Path(__file__).resolve().parents[2]
FLAGSHIP_FILE = REPO / "negotiation" / "scenarios" / "kuala-lumpur-2025.toml"

SMALL_CHUNK_CLI = """
import sys
import experiments.sweep as sweep
sweep.TARGET_CHUNK_SECONDS = 0.05
from experiments.cli import main
sys.exit(main(sys.argv[1:]))
"""


def make_study(**overrides: Any) -> Study:
    raw: dict[str, Any] = {
        "study": {
            "name": "tiny",
            "scenario": "kuala-lumpur-2025",
            "root_seed": 3,
            "replications": 3,
        },
        "design": {
            "kind": "grid",
            "parameters": {
                "threat_credibility": [0.2, 0.9],
                "us_offer_strategy": ["time-dependent", "boulware"],
            },
        },
    }
    for key, value in overrides.items():
        raw[key] = value
    return parse_study(raw)


@pytest.fixture
def tiny_study() -> Study:
    return make_study()


def write_study(
    folder: Path, replications: int, description: str = "", name: str = "killable"
) -> Path:
    """A study file of 3 points x ``replications`` runs in ``folder``."""
    path = folder / "study.toml"
    path.write_text(
        f"""
[study]
name = "{name}"
scenario = "kuala-lumpur-2025"
root_seed = 9
replications = {replications}
description = "{description}"

[design]
kind = "grid"

[design.parameters]
threat_credibility = [0.1, 0.5, 0.9]
"""
    )
    return path


@lru_cache(maxsize=4)
def _reference(replications: int, folder: str) -> pd.DataFrame:
    from experiments.executors import SerialExecutor
    from experiments.study import load_study
    from experiments.sweep import run_sweep

    base = Path(folder) / f"reference-{replications}"
    base.mkdir(parents=True, exist_ok=True)
    study = load_study(write_study(base, replications))
    return run_sweep(study, base / "out", SerialExecutor(), chunk_size=500).table()


@pytest.fixture(scope="session")
def reference_table(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], pd.DataFrame]:
    """``reference_table(replications)``: the uninterrupted table of the 3-point study."""
    folder = tmp_path_factory.mktemp("reference")
    return lambda replications: _reference(replications, str(folder))


def _interruptible() -> None:
    """In the child, before Python starts: Ctrl-C does what it does in a terminal, even
    when the test run itself was started in the background (where a non-interactive
    shell sets SIGINT to be ignored, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli(*args: str, **popen: Any) -> subprocess.Popen[str]:
    """``negotiation ARGS`` (small chunks) in a new session, stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-c", SMALL_CHUNK_CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_interruptible,
        **popen,
    )
