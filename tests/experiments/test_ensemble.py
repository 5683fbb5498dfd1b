"""Ensembles: the same summary serially and on processes; the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.ensemble import run_ensemble
from experiments.executors import make_executor
from negotiation import ScenarioError


def test_same_summary_serial_and_on_processes() -> None:
    serial = run_ensemble("kuala-lumpur-2025", 60, {"threat_credibility": 0.2}, root_seed=5)
    with make_executor("processes", 2) as pool:
        parallel = run_ensemble(
            "kuala-lumpur-2025",
            60,
            {"threat_credibility": 0.2},
            root_seed=5,
            executor=pool,
            chunk_size=7,
        )
    assert serial.to_dict() == parallel.to_dict()
    assert serial.ci95[0] <= serial.p_truce <= serial.ci95[1]
    assert serial.p_truce + serial.p_summit_deal + serial.p_no_deal == pytest.approx(1.0)


def test_progress_and_bad_parameters() -> None:
    seen: list[tuple[int, int]] = []
    run_ensemble("kuala-lumpur-2025", 25, on_progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (25, 25)
    with pytest.raises(ScenarioError, match="unknown parameter 'nope'"):
        run_ensemble("kuala-lumpur-2025", 5, {"nope": 1})


def test_ensemble_command_json() -> None:
    exe = Path(sys.executable).with_name("negotiation")
    out = subprocess.run(
        [str(exe), "ensemble", "--runs", "80", "--workers", "2", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    record = json.loads(out)
    assert record["runs"] == 80
    low, high = record["ci95"]
    assert 0 <= low <= record["p_truce"] <= high <= 1
    assert set(record["median_package"]) >= {"us_tariff_rate", "soybean_purchases_mmt"}
    assert "median_days_before_summit" in record
