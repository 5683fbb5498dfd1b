"""Backtest: episode scenarios, the observed outcomes the model never reads, baselines,
scores, leave-one-out calibration and the ``negotiation backtest`` command."""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import backtest_report, calibration
from experiments.backtest import (
    CALIBRATED,
    CHINA_EPISODES,
    EPISODES,
    IN_SAMPLE,
    KUALA_LUMPUR_OBSERVED,
    MODEL,
    P_CLIP,
    PARTNER_EPISODES,
    PREDICTORS,
    Forecast,
    Observed,
    backtest,
    brier,
    episode_parameters,
    issue_errors,
    issue_moves,
    leave_one_out_base_rates,
    log_score,
    model_forecast,
    observed_outcome,
    run_backtest,
    score,
    scoreboard,
)
from experiments.baselines import (
    ALWAYS_DEAL,
    BASE_RATE,
    NASH,
    SPLIT,
    STATUS_QUO,
    base_rate,
    baseline_forecasts,
    compromise,
    nash_package,
    split_the_difference,
)
from experiments.cli import main
from negotiation import Scenario, TradeTalksModel, builtin_scenarios, load_scenario
from negotiation.issues import Issue, IssueSpace
from negotiation.outcome import analyse
from negotiation.preferences import Preferences

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = ROOT / "negotiation" / "scenarios"
# Files with an [observed] table (the flagship's outcome is kept in the code instead).
OBSERVED_FILES = tuple(e for e in EPISODES if e != "kuala-lumpur-2025")
FAILURES = ("india-2025", "brazil-2025", "switzerland-2025", "canada-2025")
SHARED_PARAMETERS = {
    "threat_credibility",
    "us_resolve",
    "resolve_noise",
    "ratification_threshold",
    "lobbying_rate",
    "shock_scale",
    "summit_max_gap",
    "us_concession_exponent",
    "us_offer_strategy",
}


# --- the episode scenarios -----------------------------------------------------------------
@pytest.mark.parametrize("name", EPISODES)
def test_episode_loads_runs_and_gives_a_non_degenerate_ensemble(name: str) -> None:
    assert name in builtin_scenarios()
    scenario = load_scenario(name)
    observed = observed_outcome(scenario)
    assert observed.package
    assert observed.truce == (name not in FAILURES)
    assert (observed.agreement_at is not None) == observed.truce
    assert scenario.sides[0] == "US"
    hosts = [a for a in scenario.actors if a.kind == "host"]
    groups = [a.side for a in scenario.actors if a.kind == "group"]
    assert len(hosts) == (1 if name in CHINA_EPISODES else 0)
    assert set(groups) == set(scenario.sides)
    if name in PARTNER_EPISODES:  # the structure asked of the new episodes
        assert all(2 <= groups.count(side) <= 4 for side in scenario.sides)
        assert 3 <= len(scenario.space.keys) <= 6
    forecast = model_forecast(scenario, 30, root_seed=1)
    assert 0.0 <= forecast.p_agreement <= 1.0
    assert (forecast.days_before_deadline is not None) == (forecast.p_agreement > 0)
    runs = [TradeTalksModel(scenario, rng=seed, collect=False).run() for seed in range(12)]
    # runs differ: the ensemble is not one run
    assert len({json.dumps(o.to_dict(), sort_keys=True, default=str) for o in runs}) > 1


def test_episodes_share_the_calibrated_parameter_names() -> None:
    for name in EPISODES:
        scenario = load_scenario(name)
        partner = scenario.sides[1].lower().replace(" ", "_")
        own = {f"{partner}_resolve", f"{partner}_concession_exponent"}
        own.add(f"{partner}_offer_strategy")
        assert SHARED_PARAMETERS | own <= set(scenario.parameters)
        point = calibration.grid_points(calibration.DEFAULT_GRID)[-1]
        values = episode_parameters(scenario, point)
        assert set(values) == {"us_resolve", f"{partner}_resolve", "resolve_noise"}
        assert (
            scenario.with_parameters(values).actor(f"{partner}_delegation").reservation_shift
            == (point["partner_resolve"])
        )


@pytest.mark.parametrize("name", PARTNER_EPISODES)
def test_partner_episode_names_its_parties_and_threats(name: str) -> None:
    scenario = load_scenario(name)
    us, partner = scenario.sides
    leaders = {a.side: a for a in scenario.actors if a.kind == "leader"}
    issues = {issue.key: issue for issue in scenario.space}
    # The US leader threatens only issues whose no-deal value differs from the status quo.
    for key in leaders[us].threat_issues:
        assert issues[key].no_deal != issues[key].status_quo
    assert leaders[partner].threat_issues == []
    assert set(observed_outcome(scenario).package) <= set(issues)
    # The declared parameters all apply: a run at their defaults is the file as written.
    defaults = scenario.parameter_defaults()
    assert scenario.with_parameters(defaults).run_json() == scenario.run_json()


def test_kuala_lumpur_outcome_is_kept_out_of_the_flagship_file() -> None:
    flagship = load_scenario("kuala-lumpur-2025")
    assert flagship.observed is None
    assert observed_outcome(flagship).package == {
        k: float(v) for k, v in KUALA_LUMPUR_OBSERVED["package"].items()
    }


# --- the model never reads [observed] --------------------------------------------------------
def _variants(name: str, tmp_path: Path) -> list[Path]:
    """The episode file as shipped, without its [observed] tables, and with them changed."""
    text = (SCENARIO_DIR / f"{name}.toml").read_text(encoding="utf-8")
    start = re.search(r"^\[observed\]", text, flags=re.MULTILINE)
    assert start is not None, f"{name} has no [observed] table"
    body = text[: start.start()]
    assert tomllib.loads(body).get("observed") is None
    changed = body + (
        "[observed]\ntruce = false\nnotes = 'changed'\n"
        "[observed.package]\n" + "".join(f"{i.key} = {i.low}\n" for i in load_scenario(name).space)
    )
    paths = []
    for label, content in (("shipped", text), ("removed", body), ("changed", changed)):
        path = tmp_path / f"{name}-{label}.toml"
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def _trace(path: Path, seed: int, params: dict[str, float]) -> tuple[dict, pd.DataFrame, list]:
    model = TradeTalksModel(load_scenario(path), rng=seed, collect=True, **params)
    outcome = model.run()
    assert model.datacollector is not None
    return outcome.to_dict(), model.datacollector.get_model_vars_dataframe(), model.timeline


@pytest.mark.parametrize("name", OBSERVED_FILES)
def test_changing_or_removing_observed_changes_no_run(name: str, tmp_path: Path) -> None:
    shipped, removed, changed = _variants(name, tmp_path)
    assert load_scenario(removed).observed is None
    assert load_scenario(changed).observed["truce"] is False
    for seed, params in ((3, {}), (11, {"us_resolve": 0.3, "resolve_noise": 0.25})):
        reference = _trace(shipped, seed, params)
        for other in (removed, changed):
            outcome, frame, timeline = _trace(other, seed, params)
            assert outcome == reference[0]
            pd.testing.assert_frame_equal(frame, reference[1])
            assert timeline == reference[2]


def test_no_domain_module_but_the_schema_mentions_observed() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "negotiation").rglob("*.py")
        if path.name != "scenario.py" and "observed" in path.read_text(encoding="utf-8").lower()
    ]
    assert offenders == []
    assert "observed" in (ROOT / "negotiation" / "scenario.py").read_text(encoding="utf-8")


def test_observed_tables_are_checked() -> None:
    scenario = load_scenario("madrid-2025")
    raw = {**scenario.model_dump(), "observed": {"truce": True, "package": {"nope": 1}}}
    bad = Scenario.model_validate(raw)
    with pytest.raises(ValueError, match="unknown issue"):
        observed_outcome(bad)
    with pytest.raises(ValueError, match="truce must be true or false"):
        Observed.from_dict({"truce": "yes"}, "x")
    with pytest.raises(ValueError, match=r"5\.0 > 1\.0"):
        Observed.from_dict({"truce": True, "package_range": {"a": [5, 1]}}, "x")
    when = load_scenario("geneva-2025").observed["agreement_at"]
    with pytest.raises(ValueError, match="only where a deal happened"):
        Observed.from_dict({"truce": False, "agreement_at": when}, "x")
    with pytest.raises(ValueError, match="must be a date and time"):
        Observed.from_dict({"truce": True, "leaders_at": "soon"}, "x")


# --- baselines on hand-checkable toys --------------------------------------------------------
def _toy_space() -> IssueSpace:
    return IssueSpace([Issue("a", "A", "u", 0, 10, 5, 5), Issue("b", "B", "u", 0, 10, 5, 5)])


def test_split_the_difference_and_compromise_by_hand() -> None:
    assert split_the_difference([10, 0], [0, 6]).tolist() == [5.0, 3.0]
    positions = [[0.0, np.nan], [100.0, 40.0]]
    salience = [[0.2, 0.8], [0.6, 0.4]]
    influence = [1.0, 0.5]
    # issue a: (0 x 0.2 + 100 x 0.3) / (0.2 + 0.3) = 60; issue b: only actor 2 -> 40
    assert compromise(positions, salience, influence, np.array([7.0, 7.0])).tolist() == [
        pytest.approx(60.0),
        pytest.approx(40.0),
    ]
    # nobody takes a position: the fallback (the status quo)
    nobody = compromise([[np.nan]], [[1.0]], [1.0], np.array([7.0]))
    assert nobody.tolist() == [7.0]


def test_nash_gives_each_side_the_issue_it_cares_about_most() -> None:
    space = _toy_space()
    a = Preferences.build([10, 10], [0.75, 0.25], space)
    b = Preferences.build([0, 0], [0.25, 0.75], space)
    # Disagreement (5, 5) is worth 0.5 to each. The frontier runs (1, 0) -> (0.75, 0.75)
    # -> (0, 1); the product (u_a - 0.5)(u_b - 0.5) peaks at the middle vertex: A keeps
    # issue a, B gets issue b.
    assert nash_package(a, b, np.array([5.0, 5.0])).tolist() == [10.0, 0.0]


def test_scenario_baselines() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    forecasts = baseline_forecasts(scenario)
    us, china = (a for a in scenario.actors if a.kind == "delegation")
    for key in scenario.space.keys:
        mid = 0.5 * (us.position[key] + china.position[key])
        assert forecasts[SPLIT].package[key] == pytest.approx(mid)
    nash = analyse(scenario).nash.package
    assert list(forecasts[NASH].package.values()) == pytest.approx(list(nash))
    assert forecasts[STATUS_QUO].p_agreement == 0.0
    assert forecasts[STATUS_QUO].package == scenario.space.as_dict(scenario.space.status_quo)
    assert BASE_RATE not in forecasts  # no other episodes given
    assert {f.p_agreement for n, f in forecasts.items() if n != STATUS_QUO} == {1.0}
    with_rate = baseline_forecasts(scenario, 0.25)
    assert with_rate[BASE_RATE].p_agreement == 0.25
    assert with_rate[BASE_RATE].package == with_rate[SPLIT].package
    assert with_rate[ALWAYS_DEAL].package == with_rate[SPLIT].package
    with pytest.raises(ValueError, match="probability"):
        baseline_forecasts(scenario, 1.5)


# --- scores --------------------------------------------------------------------------------
def test_log_score_by_hand() -> None:
    assert log_score(0.8, True) == pytest.approx(-math.log(0.8))  # 0.2231
    assert log_score(0.8, False) == pytest.approx(-math.log(0.2))  # 1.6094
    assert log_score(0.5, True) == log_score(0.5, False) == pytest.approx(math.log(2))
    # clipped to [0.01, 0.99]: a certain forecast that fails costs ln 100, not infinity
    assert P_CLIP == 0.01
    assert log_score(1.0, False) == pytest.approx(math.log(100))  # 4.6052
    assert log_score(0.0, True) == pytest.approx(math.log(100))
    assert log_score(1.0, True) == pytest.approx(-math.log(0.99))  # 0.01005


def test_base_rate_is_the_share_of_the_other_episodes_by_hand() -> None:
    assert base_rate([True, False, True, True]) == 0.75
    with pytest.raises(ValueError, match="at least one"):
        base_rate([])
    rates = leave_one_out_base_rates({"a": True, "b": True, "c": False, "d": False, "e": True})
    # a: others b, c, d, e -> 2 of 4; c: others a, b, d, e -> 3 of 4
    assert rates == {"a": 0.5, "b": 0.5, "c": 0.75, "d": 0.75, "e": 0.5}


def test_base_rate_baseline_in_the_backtest_by_hand() -> None:
    # Geneva (deal), India and Brazil (failures): Geneva's others have 0 deals of 2,
    # India's 1 of 2 (Geneva), Brazil's 1 of 2.
    result = backtest(
        runs=2, episodes=("geneva-2025", "india-2025", "brazil-2025"), calibrate=False
    )
    rows = result.summary[result.summary["predictor"] == BASE_RATE].set_index("episode")
    assert rows["p_agreement"].to_dict() == {
        "geneva-2025": 0.0,
        "india-2025": 0.5,
        "brazil-2025": 0.5,
    }
    assert rows.loc["geneva-2025", "brier"] == pytest.approx(1.0)
    assert rows.loc["india-2025", "brier"] == pytest.approx(0.25)
    assert rows.loc["geneva-2025", "log_score"] == pytest.approx(math.log(100))
    assert rows.loc["india-2025", "log_score"] == pytest.approx(math.log(2))
    board = result.scoreboard.set_index("predictor")
    assert board.loc[BASE_RATE, "brier"] == pytest.approx((1.0 + 0.25 + 0.25) / 3)
    assert board.loc[BASE_RATE, "p_on_failures"] == pytest.approx(0.5)


def test_always_deal_has_brier_zero_on_a_deal_and_one_on_a_failure() -> None:
    for name, expected_brier in (("geneva-2025", 0.0), ("india-2025", 1.0)):
        scenario = load_scenario(name)
        forecast = baseline_forecasts(scenario)[ALWAYS_DEAL]
        assert forecast.p_agreement == 1.0
        row = score(
            Forecast(ALWAYS_DEAL, forecast.p_agreement, forecast.package, 0.0),
            observed_outcome(scenario),
            scenario,
        )
        assert row["brier"] == expected_brier
        assert row["log_score"] == pytest.approx(-math.log(0.99 if expected_brier == 0 else 0.01))


def test_moved_and_stayed_issues_by_hand() -> None:
    scenario = load_scenario("stockholm-2025")  # extension 0 -> 3 moved; the rest stayed
    observed = observed_outcome(scenario)
    package = {
        "truce_extension_months": 3.0,  # moved, as observed
        "us_tariff_rate": 30.5,  # within 2% of 0..60 of the status quo 30: stayed
        "china_tariff_rate": 5.0,  # moved, but it stayed: wrong
        "russian_oil_cut_pct": 0.0,  # stayed, as observed
    }
    moves = issue_moves(package, observed, scenario)
    assert moves == {
        "truce_extension_months": (True, True),
        "us_tariff_rate": (False, False),
        "china_tariff_rate": (False, True),
        "russian_oil_cut_pct": (False, False),
    }
    row = score(Forecast("x", 1.0, package, 0.0), observed, scenario)
    assert (row["issues_moved"], row["issues_stayed"]) == (1, 3)
    assert row["moved_accuracy"] == pytest.approx(0.75)
    assert row["package_error_moved"] == 0.0
    # stayed: |30.5 - 30| / 60, |5 - 10| / 40, 0 -> mean
    assert row["package_error_stayed"] == pytest.approx((0.5 / 60 + 5 / 40 + 0) / 3)


def test_episode_parameters_rename_the_partner() -> None:
    china, india = load_scenario("geneva-2025"), load_scenario("india-2025")
    values = {"partner_resolve": 0.2, "us_resolve": 0.1}
    assert episode_parameters(china, values) == {"china_resolve": 0.2, "us_resolve": 0.1}
    assert episode_parameters(india, values) == {"india_resolve": 0.2, "us_resolve": 0.1}


def test_scoreboard_splits_deals_and_failures() -> None:
    summary = pd.DataFrame(
        {
            "episode": ["a", "b", "a", "b"],
            "predictor": [MODEL, MODEL, SPLIT, SPLIT],
            "observed_agreement": [True, False, True, False],
            "p_agreement": [0.9, 0.6, 1.0, 1.0],
            "brier": [0.01, 0.36, 0.0, 1.0],
            "log_score": [0.1, 0.9, 0.0, 4.6],
            "package_error": [0.1, 0.3, 0.2, 0.4],
            "package_error_moved": [0.1, math.nan, 0.2, math.nan],
            "package_error_stayed": [math.nan, 0.3, math.nan, 0.4],
            "moved_accuracy": [1.0, 0.5, 1.0, 0.0],
            "timing_error_days": [1.0, math.nan, -2.0, math.nan],
        }
    )
    board = scoreboard(summary).set_index("predictor")
    assert board.loc[MODEL, "p_on_deals"] == 0.9 and board.loc[MODEL, "p_on_failures"] == 0.6
    assert board.loc[SPLIT, "package_error_failures"] == 0.4
    assert board.loc[MODEL, "brier"] == pytest.approx(0.185)
    assert board.loc[SPLIT, "abs_timing_error_days"] == 2.0


def test_brier_and_issue_errors_by_hand() -> None:
    assert brier(0.8, True) == pytest.approx(0.04)
    assert brier(0.8, False) == pytest.approx(0.64)
    scenario = load_scenario("madrid-2025")  # tiktok 0..100 with range 80-81; tariff 0..60
    observed = observed_outcome(scenario)
    package = {"tiktok_us_ownership_pct": 40.0, "us_tariff_rate": 15.0, "soybean_purchases_mmt": 0}
    errors = issue_errors(package, observed, scenario)
    assert errors["tiktok_us_ownership_pct"] == pytest.approx(0.40)  # 80 - 40 over 100
    assert errors["us_tariff_rate"] == pytest.approx(0.25)  # |15 - 30| over 60
    assert errors["soybean_purchases_mmt"] == 0.0


# --- the backtest table --------------------------------------------------------------------
SUMMARY_COLUMNS = {
    "episode",
    "predictor",
    "p_agreement",
    "observed_agreement",
    "brier",
    "package_error",
    "max_issue_error",
    "forecast_days",
    "observed_days",
    "timing_error_days",
}


def test_backtest_table_has_the_columns_and_finite_scores() -> None:
    table = run_backtest(runs=4, root_seed=2, calibrate=False)
    assert set(table.columns) >= SUMMARY_COLUMNS
    assert set(table["episode"]) == set(EPISODES)
    assert set(table["predictor"]) == set(PREDICTORS) - {CALIBRATED, IN_SAMPLE}
    assert len(table) == len(EPISODES) * (len(PREDICTORS) - 2)
    scores = ["p_agreement", "brier", "log_score", "package_error", "moved_accuracy"]
    assert np.isfinite(table[scores].to_numpy(float)).all()
    model = table[table["predictor"] == MODEL]
    deals = model[model["observed_agreement"].astype(bool)]
    assert np.isfinite(deals["observed_days"].to_numpy(float)).all()
    assert model[~model["observed_agreement"].astype(bool)]["observed_days"].isna().all()
    agreed = model[model["p_agreement"] > 0]
    assert np.isfinite(agreed["forecast_days"].to_numpy(float)).all()
    errors = table.filter(like="error__").to_numpy(float)
    assert np.nanmin(errors) >= 0.0 and np.nanmax(errors) <= 1.0
    again = run_backtest(runs=4, root_seed=2, calibrate=False)
    pd.testing.assert_frame_equal(table, again)  # seeded: the same table every time


def test_leave_one_out_by_hand() -> None:
    # Point 0 is best on e1 and e2, point 1 on e3.
    losses = {(0, "e1"): 0.1, (0, "e2"): 0.2, (0, "e3"): 0.9, (1, "e1"): 0.5, (1, "e2"): 0.4}
    losses[(1, "e3")] = 0.0
    points = [{"x": 0.0}, {"x": 1.0}]
    scores = calibration.evaluate_grid(
        ["e1", "e2", "e3"],
        points,
        lambda e, p: {"loss": losses[(int(p["x"]), e)]},
    )
    folds = calibration.leave_one_out(scores).set_index("held_out")
    # Holding out e1: mean training loss of point 0 is (0.2 + 0.9) / 2 = 0.55, of point
    # 1 is (0.4 + 0.0) / 2 = 0.2 -> point 1; scored on e1: 0.5.
    assert folds.loc["e1", "param__x"] == 1.0
    assert folds.loc["e1", "in_sample_loss"] == pytest.approx(0.2)
    assert folds.loc["e1", "out_of_sample_loss"] == pytest.approx(0.5)
    # Holding out e3: point 0 (0.15 vs 0.45), scored on e3: 0.9.
    assert folds.loc["e3", "point"] == 0
    assert folds.loc["e3", "in_sample_loss"] == pytest.approx(0.15)
    assert folds.loc["e3", "out_of_sample_loss"] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="'loss' metric"):
        calibration.evaluate_grid(["e1"], points, lambda e, p: {"brier": 0.0})


def test_backtest_calibration_reports_in_and_out_of_sample_errors() -> None:
    grid = {"partner_resolve": (0.0, 0.3), "resolve_noise": (0.1,)}
    result = backtest(runs=3, root_seed=1, grid=grid, calibration_runs=3, calibration="grid")
    folds = result.calibration
    assert folds is not None and list(folds["held_out"]) == list(EPISODES)
    columns = ["in_sample_loss", "out_of_sample_loss"]
    for metric in ("brier", "log_score", "package_error"):
        columns += [f"in_sample__{metric}", f"out_of_sample__{metric}"]
    assert np.isfinite(folds[columns].to_numpy(float)).all()
    assert set(folds["param__partner_resolve"]) <= {0.0, 0.3}
    assert result.settings["in_sample_point"]["partner_resolve"] in (0.0, 0.3)
    for predictor in (CALIBRATED, IN_SAMPLE):
        rows = result.summary[result.summary["predictor"] == predictor]
        assert len(rows) == len(EPISODES)
        assert all(math.isfinite(v) for v in rows["package_error"])
    assert any("does NOT beat" in v or "beats" in v for v in result.verdicts)


TINY_ABC = ["--abc-population", "4", "--abc-generations", "1", "--abc-max-simulations", "8"]
TINY_ABC += ["--abc-loo-draws", "8", "--abc-check-draws", "4", "--abc-workers", "1"]


def test_the_abc_calibration_fills_the_calibrated_rows() -> None:
    from experiments.inference import InferenceSettings

    episodes = ("geneva-2025", "madrid-2025", "india-2025")
    sizes = InferenceSettings(
        population=4, generations=1, max_simulations=8, loo_draws=8, check_draws=4
    )
    result = backtest(runs=2, root_seed=1, episodes=episodes, inference=sizes)
    assert result.inference is not None and result.settings["calibration"] == "abc"
    assert result.settings["inference"]["episodes"] == episodes
    assert result.settings["grid"] is None and result.settings["calibration_runs"] is None
    folds = result.calibration
    assert folds is not None and list(folds["held_out"]) == list(episodes)
    assert np.isfinite(folds[["in_sample_loss", "out_of_sample_loss"]].to_numpy(float)).all()
    for predictor in (CALIBRATED, IN_SAMPLE):
        rows = result.summary[result.summary["predictor"] == predictor]
        assert len(rows) == len(episodes) and rows["p_agreement"].between(0, 1).all()
    text = backtest_report.render_markdown(result, "cmd")
    assert "## Calibration (ABC-SMC, leave-one-out)" in text and "us_resolve" in text


def test_an_unknown_calibration_method_is_refused() -> None:
    with pytest.raises(ValueError, match="calibration 'bayes': choose one of abc, grid"):
        backtest(1, 0, episodes=("geneva-2025", "india-2025"), calibration="bayes")


# --- the command ---------------------------------------------------------------------------
def test_cli_backtest_with_abc_writes_the_posterior(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bt"
    assert main(["backtest", "--runs", "2", *TINY_ABC, "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["runs"] == 2  # per episode; --abc-runs is the calibration's
    assert report["settings"]["inference"]["runs"] == 1
    assert "backtest-posterior.csv" in {Path(f).name for f in report["files"]}
    assert report["settings"]["calibration"] == "abc"
    assert {row["parameter"] for row in report["posterior"]} >= {"us_resolve"}
    text = (out / "backtest.md").read_text(encoding="utf-8")
    assert "--abc-population 4" in text


def test_cli_backtest_refuses_grid_runs_with_abc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--calibration-runs", "3"]) == 2
    assert "--calibration-runs applies to --calibration grid only" in capsys.readouterr().err


def test_cli_writes_markdown_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bt"
    args = ["backtest", "--runs", "2", "--calibration", "grid", "--calibration-runs", "1"]
    args += ["--out", str(out), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "backtest-calibration.csv",
        "backtest-issues.csv",
        "backtest-scoreboard.csv",
        "backtest.csv",
        "backtest.md",
    ]  # and no temporary files left behind
    assert sorted(Path(f).name for f in report["files"]) == names
    table = pd.read_csv(out / "backtest.csv")
    assert set(table.columns) >= SUMMARY_COLUMNS and len(table) == len(EPISODES) * len(PREDICTORS)
    text = (out / "backtest.md").read_text(encoding="utf-8")
    assert "negotiation backtest --runs 2 --seed 0 --calibration grid --calibration-runs 1" in text
    assert "| predictor | episodes |" in text and "leave-one-out" in text


def test_cli_writes_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = backtest(runs=2, calibrate=False)
    out = tmp_path / "bt"
    backtest_report.write_outputs(result, out, "cmd")
    before = (out / "backtest.md").read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("experiments.store.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        backtest_report.write_outputs(result, out, "another command")
    assert (out / "backtest.md").read_bytes() == before  # the old report, whole
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_cli_rejects_bad_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--runs", "0"]) == 2
    assert "--runs must be at least 1" in capsys.readouterr().err


def test_markdown_table() -> None:
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.234, math.nan]})
    text = backtest_report.markdown_table(
        frame, {"a": ("A", None), "b": ("B", lambda v: f"{v:.1f}")}
    )
    assert text.splitlines() == ["| A | B |", "|---|---|", "| x | 1.2 |", "| y | nan |"]


def test_the_backtest_runs_either_protocol_and_refuses_others() -> None:
    kwargs = {"episodes": ["geneva-2025", "india-2025"], "calibrate": False}
    shipped = backtest(4, 0, **kwargs)
    old = backtest(4, 0, protocol="first-release", **kwargs)
    assert old.settings["protocol"] == "first-release" and shipped.settings["protocol"] == "shipped"
    model = shipped.summary["predictor"] == "model"
    assert not shipped.summary[model].equals(old.summary[old.summary["predictor"] == "model"])
    split = shipped.summary["predictor"] == "split the difference"  # baselines do not change
    assert shipped.summary[split]["package_error"].tolist() == (
        old.summary[old.summary["predictor"] == "split the difference"]["package_error"].tolist()
    )
    with pytest.raises(ValueError, match=r"protocol 'newest'.*shipped, first-release"):
        backtest(1, 0, protocol="newest", **kwargs)
