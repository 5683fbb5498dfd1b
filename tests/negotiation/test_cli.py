"""The command line as a user types it."""

from __future__ import annotations

import errno
import json
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from experiments.cli import (
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    main,
    parse_assignments,
)
from experiments.summary import json_text
from negotiation import ScenarioError, TradeTalksModel, load_scenario


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


def test_compile_fills_the_kernel_cache_and_names_a_bad_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from negotiation.lockstep import protocol

    assert main(["compile"]) == 0
    assert "kernels are compiled and cached" in capsys.readouterr().out
    assert protocol.play_round.signatures  # the lockstep protocol was compiled or loaded
    assert main(["compile", "--scenario", "no-such-talks"]) == EXIT_USAGE
    assert "no scenario 'no-such-talks'" in _one_line(capsys.readouterr().err)


# --- the command-line contract: exit codes, one-line errors, strict JSON ---------------
def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for code, meaning in EXIT_CODES.items():
        assert f"{code:<4} {meaning.split()[0]}" in out
    assert "NEGOTIATION_DEBUG=1" in out


def test_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--seed", "-1"]) == EXIT_USAGE
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("negotiation run: error: --seed must be at least 0 (and at most ")
    assert "9223372036854775807), got '-1'" in err


def test_seed_takes_the_whole_64_bit_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--seed", str(2**63 - 1), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 2**63 - 1


def test_set_values_are_checked_by_the_scenario() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    values = parse_assignments(
        ["threat_credibility=0.3", "us_offer_strategy=boulware", "farmer_pressure=2"], scenario
    )
    assert values == {
        "threat_credibility": 0.3,
        "us_offer_strategy": "boulware",
        "farmer_pressure": 2,
    }
    with pytest.raises(ScenarioError, match="'true' is not a number"):
        parse_assignments(["threat_credibility=true"], scenario)
    with pytest.raises(UsageError, match="given twice"):
        parse_assignments(["a=1", "a=2"])
    assert parse_assignments(["flag=true", "x=1e3", "n=3", "s=boulware"]) == {
        "flag": True,
        "x": 1000.0,
        "n": 3,
        "s": "boulware",
    }


def test_lists_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--json"]) == 0
    scenarios = json.loads(capsys.readouterr().out)
    assert any(s["name"] == "kuala-lumpur-2025" and s["title"] for s in scenarios)
    assert main(["parameters", "--json"]) == 0
    params = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    tc = params["threat_credibility"]
    assert (tc["kind"], tc["low"], tc["high"]) == ("number", 0.0, 1.0)
    assert tc["targets"] and tc["description"] and "default" in tc
    assert params["us_offer_strategy"]["kind"] == "behaviour"
    assert main(["behaviours", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    boulware = next(b for b in listing["behaviours"] if b["name"] == "boulware")
    assert boulware["kind"] == "offer" and boulware["summary"] and "e" in boulware["params"]
    assert isinstance(listing["broken_plugins"], list)


def test_behaviours_lists_broken_plugins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from negotiation.behaviours import registry

    monkeypatch.setattr(
        registry, "broken_plugins", lambda: {"shiny": "shiny_pkg: ImportError: no numpy"}
    )
    assert main(["behaviours"]) == 0
    out = capsys.readouterr().out
    assert "plug-ins that failed to load" in out and "shiny_pkg: ImportError" in out
    assert main(["behaviours", "--json"]) == 0
    broken = json.loads(capsys.readouterr().out)["broken_plugins"]
    assert broken == [{"name": "shiny", "reason": "shiny_pkg: ImportError: no numpy"}]


def _raising(exc: BaseException) -> Any:
    def run(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return run


def test_ctrl_c_in_run_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(TradeTalksModel, "run", _raising(KeyboardInterrupt()))
    assert main(["run"]) == EXIT_INTERRUPTED == 130
    assert _one_line(capsys.readouterr().err) == "negotiation run: interrupted\n"


def test_ctrl_c_in_backtest_exits_130_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import experiments.backtest

    monkeypatch.setattr(experiments.backtest, "backtest", _raising(KeyboardInterrupt()))
    assert main(["backtest", "--out", str(tmp_path / "bt")]) == 130
    assert _one_line(capsys.readouterr().err) == "negotiation backtest: interrupted\n"
    assert not (tmp_path / "bt").exists()


def test_internal_error_is_one_line_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEGOTIATION_DEBUG", raising=False)
    monkeypatch.setattr(TradeTalksModel, "run", _raising(RuntimeError("boom\n  on two lines")))
    assert main(["run"]) == EXIT_FAILURE
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("negotiation run: internal error: RuntimeError: boom on two lines")
    assert "NEGOTIATION_DEBUG=1" in err
    monkeypatch.setenv("NEGOTIATION_DEBUG", "1")
    assert main(["run"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("negotiation run: internal")


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "out/x"),
            2,
            "out/x: Permission denied",
        ),
        (OSError(errno.ENOSPC, "No space left on device", "out/y"), 1, "out/y: No space left"),
        (FileExistsError("out already holds a sweep"), 2, "out already holds a sweep"),
    ],
    ids=["permission", "disk-full", "message-only"],
)
def test_os_errors_print_path_and_reason(
    exc: OSError,
    code: int,
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(TradeTalksModel, "run", _raising(exc))
    assert main(["run"]) == code
    assert _one_line(capsys.readouterr().err).startswith(f"negotiation run: error: {line}")


def test_warnings_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import experiments.cli

    def warn(args: Any) -> int:
        warnings.warn("a default differs from its target", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(experiments.cli, "_cmd_scenarios", warn)
    assert main(["scenarios"]) == 0
    assert _one_line(capsys.readouterr().err) == (
        "negotiation: warning: a default differs from its target\n"
    )


def test_json_has_no_nan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Record:
        def to_dict(self) -> dict[str, Any]:
            return {"nash_product": float("nan"), "values": [float("inf"), np.float32(0.5)]}

    monkeypatch.setattr(TradeTalksModel, "run", lambda self: Record())
    assert main(["run", "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    assert json.loads(out) == {"nash_product": None, "values": [None, 0.5]}
    assert json.loads(json_text({"a": np.array([1.0, np.nan]), "b": (1, 2)})) == {
        "a": [1.0, None],
        "b": [1, 2],
    }


def test_dashboard_refuses_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == EXIT_USAGE
    err = _one_line(capsys.readouterr().err)
    assert f"cannot serve on 127.0.0.1:{port}" in err and "--port" in err


def test_version_comes_from_the_package_metadata(capsys) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    from experiments.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"trade-talks {version('trade-talks')}"


def test_the_parser_loads_neither_the_model_nor_the_batch_layer() -> None:
    """Every command starts by building the whole parser: with the model (Mesa), pandas
    or the store imported for it, ``negotiation dashboard`` waited over a second before
    Solara started. Checked in a fresh interpreter, where nothing is imported yet."""
    code = (
        "import sys; from experiments.cli import build_parser; build_parser(); "
        "print(' '.join(m for m in ('negotiation', 'mesa', 'pandas', 'pyarrow', "
        "'experiments.store', 'experiments.sweep') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_dashboard_command_leaves_solara_to_the_server() -> None:
    """``negotiation dashboard`` replaces itself with Solara's server, which imports Solara
    again: importing it (or tqdm) first cost half a second of the dashboard's start.
    Checked in a fresh interpreter, stopped where the server would start."""
    code = (
        "import os, sys; from experiments.cli import main\n"
        "def serve(*args): print(' '.join(m for m in ('solara', 'tqdm') if m in sys.modules)); "
        "os._exit(0)\n"
        "os.execve = serve; main(['dashboard', '--port', '0'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1].strip() == ""
