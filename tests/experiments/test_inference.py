"""The ABC-SMC calibration: priors from the episode files, seeds that do not depend on
the worker, the leave-one-out weights, and the whole calibration end to end (small)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import extras
from experiments.cli import main
from experiments.inference import (
    LOO,
    POSTERIOR,
    UNCALIBRATED,
    EpisodeSimulator,
    InferenceError,
    InferenceResult,
    InferenceSettings,
    calibrate,
    effective_sample_size,
    leave_one_out,
    priors,
    shared_parameters,
    simulate_episode,
    weighted_quantile,
)
from negotiation import load_scenario

# The two cheapest episodes (about 7 ms a run), one that ended in a deal of each kind.
CHEAP = ("geneva-2025", "madrid-2025")
TINY = {
    "episodes": CHEAP,
    "population": 6,
    "generations": 2,
    "max_simulations": 40,
    "loo_draws": 12,
    "check_draws": 6,
    "baseline_runs": 2,
}


def test_priors_are_the_range_every_episode_allows() -> None:
    scenarios = {name: load_scenario(name) for name in ("geneva-2025", "india-2025")}
    bounds = priors(scenarios, ["us_resolve", "partner_resolve", "summit_max_gap"])
    india = scenarios["india-2025"].parameters["india_resolve"]
    china = scenarios["geneva-2025"].parameters["china_resolve"]
    assert bounds["partner_resolve"] == (max(india.low, china.low), min(india.high, china.high))
    assert bounds["summit_max_gap"] == (0.0, 0.5)


def test_a_parameter_an_episode_lacks_is_named_with_what_they_share() -> None:
    scenarios = {name: load_scenario(name) for name in CHEAP}
    with pytest.raises(InferenceError, match=r"'farmer_pres'.*share: .*us_resolve"):
        priors(scenarios, ["farmer_pres"])
    assert {"us_resolve", "partner_resolve", "resolve_noise"} <= shared_parameters(scenarios)


def test_a_behaviour_parameter_is_refused() -> None:
    scenarios = {name: load_scenario(name) for name in CHEAP}
    with pytest.raises(InferenceError, match="only numbers are calibrated"):
        priors(scenarios, ["us_offer_strategy"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("population", 1, "population must be at least 2"),
        ("episodes", ("geneva-2025",), "at least two episodes"),
        ("parameters", ("us_resolve", "us_resolve"), "named twice"),
        ("min_acceptance", 1.0, r"min_acceptance must be in \[0, 1\)"),
        ("max_simulations", 3, "max_simulations must be at least 6"),
    ],
)
def test_settings_refuse_what_cannot_run(field: str, value: object, message: str) -> None:
    with pytest.raises(InferenceError, match=message):
        InferenceSettings(**{**TINY, field: value})  # type: ignore[arg-type]


def test_an_episodes_runs_depend_only_on_the_seed_the_phase_and_the_values() -> None:
    params = {"us_resolve": 0.1, "partner_resolve": 0.2}
    first = simulate_episode("geneva-2025", 0, params, 1, 7, 3)
    assert simulate_episode("geneva-2025", 0, params, 1, 7, 3) == first
    others = [
        simulate_episode("geneva-2025", 0, params, 2, 7, 3),
        simulate_episode("geneva-2025", 0, params, 1, 8, 3),
        simulate_episode("geneva-2025", 0, {**params, "us_resolve": 0.1 + 1e-12}, 1, 7, 3),
    ]
    assert all(d.package != first.package or d.loss != first.loss for d in others)


def test_workers_give_the_draws_of_one_process() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    settings = InferenceSettings(**{**TINY, "parameters": ("us_resolve", "resolve_noise")})
    points = pd.DataFrame({"us_resolve": [0.0, 0.3], "resolve_noise": [0.05, 0.2]})
    alone = EpisodeSimulator(settings, None).table(points, 1)
    with ProcessPoolExecutor(2, multiprocessing.get_context("spawn")) as pool:
        spread = EpisodeSimulator(settings, pool).table(points, 1)
    assert spread == alone


def test_leave_one_out_keeps_draws_by_the_other_episodes_only() -> None:
    losses = np.array([[0.0, 0.0, 0.9], [0.9, 0.0, 0.0], [0.3, 0.3, 0.3]])
    weights = np.array([1.0, 2.0, 3.0])
    folds, tolerances = leave_one_out(losses, weights, tolerance=0.3, least=1)
    # Without episode 0: draw 0 (mean 0.45) is out, draw 1 (0.0) and draw 2 (0.3) are in.
    assert folds[0].tolist() == [0.0, 2.0, 3.0]
    assert folds[1].tolist() == [0.0, 0.0, 3.0]
    assert folds[2].tolist() == [1.0, 0.0, 3.0]
    assert tolerances == [0.3, 0.3, 0.3]


def test_a_fold_with_too_few_draws_keeps_the_nearest() -> None:
    losses = np.array([[0.0, 0.8, 0.8], [0.0, 0.6, 0.6], [0.0, 0.4, 0.4]])
    folds, tolerances = leave_one_out(losses, np.ones(3), tolerance=0.1, least=2)
    assert folds[0].tolist() == [0.0, 1.0, 1.0] and tolerances[0] == pytest.approx(0.6)
    assert tolerances[1] == pytest.approx(0.3)  # (0.0 + 0.6) / 2, the second nearest


def test_weighted_quantiles_and_the_effective_sample_size() -> None:
    values = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(values, np.ones(3), 0.5) == 2.0
    assert weighted_quantile(values, np.array([0.0, 0.0, 1.0]), 0.5) == 2.0
    assert weighted_quantile(values, np.array([1.0, 8.0, 1.0]), 0.05) == 1.0
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    assert effective_sample_size(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def tiny() -> InferenceResult:
    return calibrate(InferenceSettings(**TINY))  # type: ignore[arg-type]


def test_a_calibration_reports_posterior_checks_and_held_out_scores(tiny: InferenceResult) -> None:
    result = tiny
    posterior = result.posterior
    assert len(posterior) == TINY["population"]
    assert posterior["weight"].sum() == pytest.approx(1.0)
    settings = result.settings
    for name, (low, high) in settings["priors"].items():
        assert posterior[name].between(low, high).all()
    epsilons = result.generations["epsilon"].to_numpy()
    assert np.all(np.diff(epsilons[1:]) < 0)  # the tolerance shrinks after the prior's
    scores = result.scores
    assert set(scores["predictor"]) == {UNCALIBRATED, POSTERIOR, LOO}
    assert set(result.folds["held_out"]) == set(CHEAP)
    assert (result.folds["effective_sample_size"] >= 1.0).all()
    assert settings["smc_simulations"] <= TINY["max_simulations"] + TINY["population"]


def test_the_same_seed_gives_the_same_calibration(tiny: InferenceResult) -> None:
    again = calibrate(InferenceSettings(**TINY, workers=2))  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(again.posterior, tiny.posterior)
    pd.testing.assert_frame_equal(again.scores, tiny.scores)
    other = calibrate(InferenceSettings(**TINY, root_seed=1))  # type: ignore[arg-type]
    assert not other.posterior.equals(tiny.posterior)


def _tiny_args(out: Path) -> list[str]:
    return [
        "calibrate",
        "--episodes",
        ",".join(CHEAP),
        "--population",
        "6",
        "--generations",
        "2",
        "--max-simulations",
        "40",
        "--loo-draws",
        "12",
        "--check-draws",
        "6",
        "--baseline-runs",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
    ]


def test_the_command_writes_every_table_and_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_tiny_args(tmp_path), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    names = {Path(p).name for p in record["files"]}
    assert {"calibration.md", "posterior.csv", "folds.csv", "history.db"} <= names
    assert all((tmp_path / name).stat().st_size > 0 for name in names)
    assert not list(tmp_path.glob("*.tmp"))
    posterior = pd.read_csv(tmp_path / "posterior.csv")
    assert len(posterior) == 6 and posterior["weight"].sum() == pytest.approx(1.0)
    assert record["settings"]["episodes"] == list(CHEAP)
    assert "## Leave-one-out" in (tmp_path / "calibration.md").read_text()
    import pyabc

    history = pyabc.History(f"sqlite:///{tmp_path / 'history.db'}")
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    assert history.max_t == 1 and len(frame) == 6  # the two generations, as written
    np.testing.assert_allclose(np.sort(frame["us_resolve"]), np.sort(posterior["us_resolve"]))
    np.testing.assert_allclose(np.sort(weights / weights.sum()), np.sort(posterior["weight"]))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--parameters", "us_offer_strategy"], "only numbers are calibrated"),
        (["--parameters", "nowhere"], "has no parameter 'nowhere'"),
        (["--episodes", "geneva-2025,atlantis-2025"], "unknown episode.*atlantis-2025"),
        (["--episodes", "geneva-2025"], "at least two episodes"),
        (["--population", "1"], "--population must be at least 2"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main([*_tiny_args(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists()


def test_without_pyabc_the_command_names_its_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = extras.has
    monkeypatch.setattr(extras, "has", lambda m: not m.startswith("pyabc") and real(m))
    assert main(_tiny_args(tmp_path)) == 2
    assert "pip install 'trade-talks[calibration]'" in capsys.readouterr().err
