"""Ensembles: the same summary serially and on processes; the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.ensemble import MAX_ENSEMBLE_RUNS, run_ensemble
from experiments.executors import ExecutorError, make_executor, process_pool
from experiments.intervals import wilson_interval
from negotiation import ScenarioError

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics
# in Medicine 17, Table I, method 3 (Wilson score, no continuity correction); the same
# four decimals as scipy.stats.binomtest(k, n).proportion_ci(method="wilson").
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("successes", "trials", "low", "high"), NEWCOMBE)
def test_the_wilson_interval_matches_published_values(
    successes: int, trials: int, low: float, high: float
) -> None:
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize(("p", "n"), [(0.3, 60), (0.05, 40), (0.9, 200)])
def test_the_wilson_interval_covers_a_known_p_about_95_percent_of_the_time(
    p: float, n: int
) -> None:
    draws = np.random.default_rng(2024).binomial(n, p, size=4000)
    covered = [lo <= p <= hi for lo, hi in (wilson_interval(int(k), n) for k in draws)]
    assert 0.925 <= float(np.mean(covered)) <= 0.97


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
    assert serial.ci95 == wilson_interval(round(serial.p_truce * 60), 60)
    assert serial.p_truce + serial.p_summit_deal + serial.p_no_deal == pytest.approx(1.0)


def test_progress_and_bad_parameters() -> None:
    seen: list[tuple[int, int]] = []
    run_ensemble("kuala-lumpur-2025", 25, on_progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (25, 25)
    with pytest.raises(ScenarioError, match="unknown parameter 'nope'"):
        run_ensemble("kuala-lumpur-2025", 5, {"nope": 1})


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"runs": 0}, "runs must be an integer from 1"),
        ({"runs": MAX_ENSEMBLE_RUNS + 1}, "to 1,000,000"),
        ({"runs": 5, "root_seed": -1}, r"root_seed must be an integer from 0 to 2\*\*63 - 1"),
        ({"runs": 5, "root_seed": 2**63}, "root_seed must be"),
        ({"runs": 5, "chunk_size": 0}, "chunk_size must be"),
    ],
)
def test_bad_sizes_and_seeds_are_refused(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        run_ensemble("kuala-lumpur-2025", **kwargs)


@pytest.mark.parametrize("workers", [0, -1, 10_000, True, 2.0])
def test_bad_worker_counts_are_refused(workers: object) -> None:
    with pytest.raises(ExecutorError, match=r"workers must be an integer from 1 to \d+ \(4 x"):
        process_pool(workers)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--workers", "0"], r"--workers must be an integer from 1 to \d+ .*got 0"),
        (["--workers", "-1"], "--workers must be an integer from 1 to"),
        (["--workers", "1000"], "--workers must be an integer from 1 to"),
        (["--seed", "-1"], r"--seed must be an integer from 0 to 2\*\*63 - 1, got -1"),
        (["--scheduler", "not-an-address"], "tcp://host:port"),
        (["--runs", "0"], "--runs must be from 1"),
    ],
)
def test_the_command_refuses_bad_arguments_in_one_line(args: list[str], fragment: str) -> None:
    exe = Path(sys.executable).with_name("negotiation")
    done = subprocess.run(
        [str(exe), "ensemble", "--runs", "5", *args], capture_output=True, text=True
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert re.search(fragment, lines[0]), lines[0]


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


def test_summary_displays_as_html_in_notebooks() -> None:
    from experiments.ensemble import run_ensemble

    summary = run_ensemble("kuala-lumpur-2025", 5, {}, root_seed=1)
    html = summary._repr_html_()
    assert f"{summary.p_truce:.3f}" in html and "us_tariff_rate" in html
