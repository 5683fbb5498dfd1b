"""The command line as a user types it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli import main


def _negotiation() -> list[str]:
    exe = Path(sys.executable).with_name("negotiation")
    return [str(exe)] if exe.exists() else [shutil.which("negotiation") or "negotiation"]


def test_run_json_has_the_documented_keys() -> None:
    out = subprocess.run(
        [*_negotiation(), "run", "--scenario", "kuala-lumpur-2025", "--seed", "7", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    record = json.loads(out)
    assert isinstance(record["truce"], bool)
    assert record["round"] is None or isinstance(record["round"], int)
    assert record["seed"] == 7
    for key in ("date", "days_before_summit", "package", "utilities", "reason"):
        assert key in record
    assert all(isinstance(v, float) for v in record["package"].values())


def test_run_summary_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--seed", "7"]) == 0
    text = capsys.readouterr().out
    assert "US additional tariff on Chinese goods" in text and "%" in text
    assert "President Xi" in text and "vs" in text
    assert "Why:" in text


def test_set_overrides_and_user_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flagship_text: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(flagship_text.replace('name = "kuala-lumpur-2025"', 'name = "mine"'))
    assert (
        main(
            [
                "run",
                "--scenario",
                str(path),
                "--seed",
                "1",
                "--set",
                "threat_credibility=0.1",
                "--json",
            ]
        )
        == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert record["scenario"] == "mine" and record["params"]["threat_credibility"] == 0.1


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", "--set", "nope=1"], "unknown parameter 'nope'"),
        (["run", "--set", "threat_credibility"], "--set expects name=value"),
        (["run", "--set", "threat_credibility=2"], "outside its range"),
        (["run", "--scenario", "atlantis"], "no scenario 'atlantis'"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_scenarios_and_parameters_lists(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    assert "kuala-lumpur-2025" in capsys.readouterr().out
    assert main(["parameters"]) == 0
    out = capsys.readouterr().out
    assert "threat_credibility" in out and "farmer_pressure" in out
