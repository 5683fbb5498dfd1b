"""The built wheel, installed without extras into a clean virtual environment (no
packages but its own dependencies), runs a negotiation and a small sweep, ships its
licence and scenarios, and names the extra a missing feature needs.

The wheel is built from this checkout with the build backend the project declares; uv
installs it (pip's resolver and installer, as a user runs ``pip install trade-talks``,
take minutes for the same environment; uv takes seconds from its cache). Dependencies
come from the package index, as for a user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STUDY = """
[study]
name = "wheel-check"
scenario = "kuala-lumpur-2025"
root_seed = 5
replications = 3

[design]
kind = "grid"

[design.parameters]
threat_credibility = [0.2, 0.9]
"""


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")
    return str(found) if found.exists() else (shutil.which("uv") or "uv")


def _run(*command: str | Path, timeout: float = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(
        [str(c) for c in command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        dist,
        REPO,
    )
    (found,) = dist.glob("trade_talks-*.whl")
    return found


@pytest.fixture(scope="module")
def clean_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv on this interpreter's Python with the wheel and its core dependencies."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    python = os.path.realpath(sys.executable)
    _run(_uv(), "venv", "--quiet", "--no-python-downloads", "--python", python, venv)
    _run(_uv(), "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel)
    return venv / "bin"


def test_the_wheel_ships_the_licence_and_the_scenarios(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "negotiation/scenarios/kuala-lumpur-2025.toml" in names
    assert not any(n.startswith("tests/") for n in names)


def test_a_core_install_runs_a_negotiation(clean_env: Path) -> None:
    record = json.loads(_run(clean_env / "negotiation", "run", "--seed", "7", "--json"))
    from negotiation import run_once

    here = run_once("kuala-lumpur-2025", seed=7)
    assert (record["plan_digest"], record["package"]) == (here.plan_digest, here.package)


def test_a_core_install_runs_a_small_sweep(clean_env: Path, tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(STUDY, encoding="utf-8")
    _run(clean_env / "negotiation", "sweep", study, "--out", tmp_path / "out", "--workers", "1")
    count = _run(
        clean_env / "python",
        "-c",
        "import sys, pyarrow.parquet as pq; print(pq.read_table(sys.argv[1]).num_rows)",
        tmp_path / "out" / "runs",
    )
    assert int(count) == 6


def test_a_core_install_stays_small_and_names_the_missing_extras(clean_env: Path) -> None:
    installed = _run(_uv(), "pip", "list", "--python", clean_env / "python", "--format", "json")
    names = {p["name"].lower() for p in json.loads(installed)}
    assert "trade-talks" in names
    assert not names & {"solara", "distributed", "ema-workbench", "pytest", "playwright"}
    done = subprocess.run(
        [str(clean_env / "negotiation"), "dashboard"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "pip install 'trade-talks[dashboard]'" in done.stderr
