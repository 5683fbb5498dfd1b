"""Backtest: the model's forecasts of fifteen 2025 US trade negotiations against what
happened, beside the baselines of the bargaining literature.

Episodes: the five rounds of US–China talks (Geneva, London, Stockholm, Madrid, Kuala
Lumpur) and ten US negotiations with other partners, four of which failed (India,
Brazil, Switzerland, Canada in October) and six of which produced a deal (the UK,
Vietnam, Indonesia, Japan, the EU, Korea); see ``docs/backtest-episodes.md``. Each
scenario is calibrated only from what was public before its talks; the observed outcome
sits apart (an ``[observed]`` table the model never reads, or, for the flagship,
:data:`KUALA_LUMPUR_OBSERVED` here).

What is scored, per episode:

- **agreement** (the backtest's "truce"): the delegations reach a package that both
  leaders endorse by the end of the episode: at the leaders' summit where one applies,
  else at the deadline that ends the episode. In the model that is the outcome
  ``"truce"`` (ratified before the deadline) or ``"summit deal"`` (closed at it);
  ``"no deal"`` is its absence. P(agreement) is scored with the Brier (1950) score and
  the logarithmic score (Good 1952): ``-ln p`` if it happened, ``-ln(1 - p)`` if not,
  with p clipped to [0.01, 0.99] (:data:`P_CLIP`) so that a certain forecast that fails
  costs ln 100 = 4.6 rather than infinity. Both: lower is better.
- **package**: per issue, the absolute error of the median agreed package (over the
  runs that agreed; over all runs when none did), divided by the issue's range; where
  sources disagree the observed value is a range and the error is the distance to it
  (0 inside). For a failed episode the observed package is what applied after the
  deadline. Each issue is also marked as *moved* or *stayed* (at the status quo), in the
  observation and in each forecast (:data:`MOVE_TOLERANCE`): the errors are reported
  for each group, and ``moved_accuracy`` is the share of issues whose moving or staying
  the forecast got right.
- **timing**: days before the deadline, median over agreeing runs (a summit deal counts
  0) against the date of the delegations' agreement that the leaders then endorsed.

Baselines (:mod:`experiments.baselines`, including "always deal" and the leave-one-out
base rate) and a calibration (:mod:`experiments.calibration`) complete the table: the
``model (in-sample calibrated)`` rows use the grid point fitted on all episodes, the
``model (LOO-calibrated)`` rows the point fitted on the others. Seeds follow the sweep convention,
:func:`experiments.design.run_seed`, so run ``i`` here is run ``i`` of
``negotiation ensemble``. The ensemble API's summary counts only pre-deadline truces in
its median package; the backtest needs summit deals too, so it runs its own loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from experiments.baselines import BASELINES, base_rate, baseline_forecasts
from experiments.calibration import (
    DEFAULT_GRID,
    LOSS,
    PARTNER_PREFIX,
    evaluate_grid,
    grid_points,
    in_sample_fit,
    leave_one_out,
)
from experiments.design import run_seed
from negotiation import Outcome, Scenario, ScenarioError, load_scenario
from negotiation.lockstep import run_seeds
from negotiation.scenario import first_release

if TYPE_CHECKING:
    from experiments.inference import InferenceResult, InferenceSettings

CHINA_EPISODES: tuple[str, ...] = (
    "geneva-2025",
    "london-2025",
    "stockholm-2025",
    "madrid-2025",
    "kuala-lumpur-2025",
)
# The other partners, in the order of their decisive talks (docs/backtest-episodes.md).
PARTNER_EPISODES: tuple[str, ...] = (
    "uk-2025",
    "vietnam-2025",
    "indonesia-2025",
    "india-2025",
    "japan-2025",
    "eu-2025",
    "korea-2025",
    "brazil-2025",
    "switzerland-2025",
    "canada-2025",
)
EPISODES: tuple[str, ...] = CHINA_EPISODES + PARTNER_EPISODES
MODEL = "model"
IN_SAMPLE = "model (in-sample calibrated)"
CALIBRATED = "model (LOO-calibrated)"
PREDICTORS: tuple[str, ...] = (MODEL, IN_SAMPLE, CALIBRATED, *BASELINES)
P_CLIP = 0.01  # probabilities are clipped to [P_CLIP, 1 - P_CLIP] for the log score
MOVE_TOLERANCE = 0.02  # an issue "moved" if it ends > 2% of its range from the status quo

# The Kuala Lumpur outcome: post-talk facts, used only to score. Never put these in the
# flagship scenario. agreement_at: Li Chenggang announced a "preliminary consensus" when
# the talks ended on 26 October (Xinhua; Bessent on CBS, 26 Oct); leaders_at: the
# Trump–Xi meeting in Busan, 30 October.
KUALA_LUMPUR_OBSERVED: dict[str, Any] = {
    "truce": True,
    "agreement_at": datetime(2025, 10, 26, 16, 0),
    "leaders_at": datetime(2025, 10, 30, 11, 0),
    "package": {
        "us_tariff_rate": 20,  # fentanyl tariff 20% -> 10%, plus 10% reciprocal [WH]
        "affiliates_rule_suspension_months": 12,  # [WH]
        "rare_earth_controls_suspension_months": 12,  # the 9 Oct controls [WH] [MOF]
        "soybean_purchases_mmt": 25,  # 25 Mt/yr 2026-2028 [WH]
        "truce_extension_months": 12,  # to 10 Nov 2026 [WH]
        "port_fees_suspension_months": 12,  # [WH]
    },
    "package_range": {
        "soybean_purchases_mmt": (12, 25),  # 12 Mt in late 2025, 25 Mt/yr from 2026 [WH]
    },
    "notes": (
        "Preliminary consensus in Kuala Lumpur on 26 Oct; the leaders agreed in Busan on "
        "30 Oct. The US threat of an extra 100% from 1 Nov was dropped."
    ),
    "sources": (
        "[WH] White House fact sheet, 1 Nov 2025: 'President Donald J. Trump strikes "
        "historic economic and trade deal with China'; executive orders of 4 Nov 2025",
        "[MOF] MOFCOM statements of 30 Oct and 1 Nov 2025",
        "Xinhua, 26 Oct 2025: Li Chenggang on the preliminary consensus",
    ),
}


@dataclass(frozen=True)
class Observed:
    """What happened in an episode: agreement, its date, and the package per issue."""

    truce: bool
    agreement_at: datetime | None
    leaders_at: datetime | None
    package: dict[str, float]
    package_range: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: str = ""
    sources: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str) -> Observed:
        """Parse an ``[observed]`` table; raise :class:`ScenarioError` naming what is wrong."""
        if not isinstance(raw.get("truce"), bool):
            raise ScenarioError(f"{where}: observed.truce must be true or false")
        for name in ("agreement_at", "leaders_at"):
            value = raw.get(name)
            if value is not None and not isinstance(value, datetime):
                raise ScenarioError(f"{where}: observed.{name} must be a date and time")
            if value is not None and not raw["truce"]:
                raise ScenarioError(
                    f"{where}: observed.{name} is given but observed.truce is false "
                    "(dates only where a deal happened)"
                )
        ranges = {}
        for key, pair in dict(raw.get("package_range", {})).items():
            low, high = (float(v) for v in pair)
            if low > high:
                raise ScenarioError(f"{where}: observed.package_range.{key}: {low} > {high}")
            ranges[key] = (low, high)
        return cls(
            truce=raw["truce"],
            agreement_at=raw.get("agreement_at"),
            leaders_at=raw.get("leaders_at"),
            package={k: float(v) for k, v in dict(raw.get("package", {})).items()},
            package_range=ranges,
            notes=str(raw.get("notes", "")).strip(),
            sources=tuple(raw.get("sources", ())),
        )

    def interval(self, key: str) -> tuple[float, float]:
        """The observed value of issue ``key`` as an interval (a point is low = high)."""
        if key in self.package_range:
            return self.package_range[key]
        value = self.package[key]
        return value, value

    def days_before(self, deadline: datetime) -> float | None:
        """Days from the delegations' agreement to the deadline (None if no agreement)."""
        if not self.truce or self.agreement_at is None:
            return None
        return round((deadline - self.agreement_at).total_seconds() / 86400.0, 3)


def observed_outcome(scenario: Scenario) -> Observed:
    """The observed outcome of an episode, checked against the scenario's issues."""
    raw = scenario.observed
    if raw is None and scenario.name == "kuala-lumpur-2025":
        raw = KUALA_LUMPUR_OBSERVED
    if raw is None:
        raise ScenarioError(f"scenario {scenario.name!r} has no [observed] table to score")
    observed = Observed.from_dict(raw, scenario.name)
    unknown = sorted(
        (set(observed.package) | set(observed.package_range)) - set(scenario.space.keys)
    )
    if unknown:
        raise ScenarioError(
            f"{scenario.name}: observed values for unknown issue(s) {unknown}; "
            f"issues: {list(scenario.space.keys)}"
        )
    return observed


@dataclass(frozen=True)
class Forecast:
    """A predictor's forecast of one episode."""

    predictor: str
    p_agreement: float
    package: dict[str, float]
    days_before_deadline: float | None
    p_truce: float | None = None
    p_summit_deal: float | None = None
    runs: int | None = None


def is_agreement(outcome: Outcome) -> bool:
    """The backtest's 'truce': a ratified truce or a deal closed at the summit."""
    return outcome.outcome != "no deal"


def agreement_days(outcome: Outcome) -> float:
    """Days before the deadline of an agreement (a summit deal is at the deadline: 0)."""
    return 0.0 if outcome.days_before_summit is None else float(outcome.days_before_summit)


def summarise(scenario: Scenario, outcomes: Sequence[Outcome], predictor: str = MODEL) -> Forecast:
    """An ensemble's forecast: P(agreement), the median agreed package, median timing.

    With no agreement in any run the package is the median of what the runs ended with
    (the no-deal package), so that a package error can still be computed.
    """
    if not outcomes:
        raise ValueError("no outcomes to summarise")
    deals = [o for o in outcomes if is_agreement(o)]
    pool = deals or list(outcomes)
    package = {k: float(np.median([o.package[k] for o in pool])) for k in scenario.space.keys}
    n = len(outcomes)
    days = [agreement_days(o) for o in deals]
    return Forecast(
        predictor=predictor,
        p_agreement=len(deals) / n,
        package=package,
        days_before_deadline=float(np.median(days)) if days else None,
        p_truce=sum(o.truce for o in outcomes) / n,
        p_summit_deal=sum(o.summit_deal for o in outcomes) / n,
        runs=n,
    )


def model_forecast(
    scenario: Scenario,
    runs: int,
    root_seed: int = 0,
    params: Mapping[str, Any] | None = None,
    predictor: str = MODEL,
) -> Forecast:
    """``runs`` seeded runs of the model, summarised (run ``i`` has seed ``run_seed(root, i)``)."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    values = dict(params or {})
    outcomes = run_seeds(scenario, [run_seed(root_seed, i) for i in range(runs)], values)
    return summarise(scenario, outcomes, predictor)


# --- scores ---------------------------------------------------------------------------------
def brier(p: float, happened: bool) -> float:
    """Brier (1950) score of a probability for one binary event (0 best, 1 worst)."""
    return (p - float(happened)) ** 2


def log_score(p: float, happened: bool, clip: float = P_CLIP) -> float:
    """Logarithmic score (Good 1952) of a probability for one binary event, as a loss:
    ``-ln p`` if it happened, ``-ln(1 - p)`` if not (0 best). ``p`` is clipped to
    ``[clip, 1 - clip]``, so the worst score is ``-ln clip`` (4.61 for 0.01)."""
    q = min(max(p, clip), 1.0 - clip)
    return -math.log(q if happened else 1.0 - q)


def leave_one_out_base_rates(agreements: Mapping[str, bool]) -> dict[str, float]:
    """Per episode, the share of agreements among the *other* episodes."""
    return {
        name: base_rate([v for other, v in agreements.items() if other != name])
        for name in agreements
    }


def moved(low: float, high: float, status_quo: float, span: float) -> bool:
    """Whether ``[low, high]`` (a point when equal) lies farther than
    :data:`MOVE_TOLERANCE` of the issue's range ``span`` from the status quo."""
    distance = max(low - status_quo, 0.0, status_quo - high)
    return distance > MOVE_TOLERANCE * span


def issue_moves(
    package: Mapping[str, float], observed: Observed, scenario: Scenario
) -> dict[str, tuple[bool, bool]]:
    """Per observed issue: (the observation moved from the status quo, the forecast did)."""
    return {
        issue.key: (
            moved(low, high, issue.status_quo, issue.span),
            moved(value, value, issue.status_quo, issue.span),
        )
        for issue, low, high, value in _observed_issues(package, observed, scenario)
    }


def _observed_issues(
    package: Mapping[str, float], observed: Observed, scenario: Scenario
) -> list[tuple[Any, float, float, float]]:
    """The issues with an observed value: (issue, observed low, high, forecast value)."""
    return [
        (issue, *observed.interval(issue.key), package[issue.key])
        for issue in scenario.space
        if issue.key in observed.package or issue.key in observed.package_range
    ]


def issue_errors(
    package: Mapping[str, float], observed: Observed, scenario: Scenario
) -> dict[str, float]:
    """Per observed issue: distance from the forecast to the observed value (or range),
    divided by the issue's range."""
    return {
        issue.key: max(low - value, 0.0, value - high) / issue.span
        for issue, low, high, value in _observed_issues(package, observed, scenario)
    }


def score(forecast: Forecast, observed: Observed, scenario: Scenario) -> dict[str, Any]:
    """One row of the backtest table: the forecast against the observed outcome."""
    errors = issue_errors(forecast.package, observed, scenario)
    moves = issue_moves(forecast.package, observed, scenario)
    moved_errors = [errors[k] for k, (obs, _) in moves.items() if obs]
    stayed_errors = [errors[k] for k, (obs, _) in moves.items() if not obs]
    observed_days = observed.days_before(scenario.calendar.summit)
    timing = (
        forecast.days_before_deadline - observed_days
        if forecast.days_before_deadline is not None and observed_days is not None
        else math.nan
    )
    row: dict[str, Any] = {
        "episode": scenario.name,
        "predictor": forecast.predictor,
        "p_agreement": forecast.p_agreement,
        "observed_agreement": observed.truce,
        "brier": brier(forecast.p_agreement, observed.truce),
        "log_score": log_score(forecast.p_agreement, observed.truce),
        "package_error": float(np.mean(list(errors.values()))) if errors else math.nan,
        "package_error_moved": float(np.mean(moved_errors)) if moved_errors else math.nan,
        "package_error_stayed": float(np.mean(stayed_errors)) if stayed_errors else math.nan,
        "issues_moved": len(moved_errors),
        "issues_stayed": len(stayed_errors),
        "moved_accuracy": (
            float(np.mean([obs == fc for obs, fc in moves.values()])) if moves else math.nan
        ),
        "max_issue_error": max(errors.values()) if errors else math.nan,
        "forecast_days": _nan(forecast.days_before_deadline),
        "observed_days": _nan(observed_days),
        "timing_error_days": timing,
        "p_truce": _nan(forecast.p_truce),
        "p_summit_deal": _nan(forecast.p_summit_deal),
        "runs": forecast.runs if forecast.runs is not None else 0,
    }
    row.update({f"error__{k}": v for k, v in errors.items()})
    return row


def episode_parameters(scenario: Scenario, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with each ``partner_*`` name (:data:`~experiments.calibration.
    PARTNER_PREFIX`) renamed to the episode's own: ``partner_resolve`` is
    ``china_resolve`` in a US–China episode, ``india_resolve`` in the India one (the
    second party, lower case, spaces as underscores)."""
    partner = scenario.sides[1].lower().replace(" ", "_") + "_"
    return {
        (partner + k.removeprefix(PARTNER_PREFIX) if k.startswith(PARTNER_PREFIX) else k): v
        for k, v in params.items()
    }


def loss_of(row: Mapping[str, Any]) -> float:
    """Calibration loss: Brier score plus mean normalised package error (both 0..1)."""
    return float(row["brier"]) + float(row["package_error"])


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


# --- the backtest ---------------------------------------------------------------------------
@dataclass
class BacktestResult:
    """The backtest table and its parts.

    ``summary``: one row per (episode, predictor). ``issues``: one row per (episode,
    issue, predictor) with forecast, observed value or range, and error. ``scoreboard``:
    mean scores per predictor over episodes. ``calibration``: the leave-one-out folds
    (None when not calibrated). ``verdicts``: sentences saying whether the model beats
    each baseline. ``settings`` records the runs, seed, episodes, the calibration's
    method and settings, and (grid) the point fitted in sample. ``inference``: the
    ABC-SMC calibration (posterior, checks), when that was the method.
    """

    summary: pd.DataFrame
    issues: pd.DataFrame
    scoreboard: pd.DataFrame
    calibration: pd.DataFrame | None
    verdicts: list[str]
    settings: dict[str, Any]
    inference: InferenceResult | None = None


#: How the calibrated rows are fitted: ABC-SMC (:mod:`experiments.inference`), or the
#: grid of the first backtest (:mod:`experiments.calibration`), kept for comparison.
CALIBRATION_METHODS: tuple[str, ...] = ("abc", "grid")

#: How the episodes' protocol is set: as shipped, or the first release's.
PROTOCOLS: dict[str, Callable[[Scenario], Scenario]] = {
    "shipped": lambda scenario: scenario,
    "first-release": first_release,
}


def backtest(
    runs: int = 200,
    root_seed: int = 0,
    *,
    episodes: Sequence[str] = EPISODES,
    calibrate: bool = True,
    grid: Mapping[str, Sequence[Any]] | None = None,
    calibration_runs: int | None = None,
    protocol: str = "shipped",
    calibration: str = "abc",
    inference: InferenceSettings | None = None,
) -> BacktestResult:
    """Forecast each episode with the model and the baselines, and score them.

    ``protocol`` is ``"shipped"`` (the files as they are, with the default protocol) or
    ``"first-release"`` (every episode switched to the first release's protocol,
    :func:`negotiation.scenario.first_release`), for comparing the two.

    With ``calibrate``, two more rows per episode: ``model (in-sample calibrated)``,
    fitted on all episodes, and ``model (LOO-calibrated)``, fitted on the others. With
    ``calibration="abc"`` (the default) they are the ABC-SMC posterior's predictive
    forecasts (:func:`experiments.inference.calibrate`, with ``inference``'s sizes; its
    episodes, seed and protocol are this backtest's). With ``"grid"``, the grid (default
    :data:`~experiments.calibration.DEFAULT_GRID`) is fitted with ``calibration_runs``
    runs per point and episode (default ``min(runs, 100)``): the point best over all
    episodes, and for each episode the point best over the others. The base-rate
    baseline needs at least two episodes.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol {protocol!r}: choose one of {', '.join(PROTOCOLS)}")
    if calibration not in CALIBRATION_METHODS:
        raise ValueError(
            f"calibration {calibration!r}: choose one of {', '.join(CALIBRATION_METHODS)}"
        )
    scenarios = {name: PROTOCOLS[protocol](load_scenario(name)) for name in episodes}
    observed = {name: observed_outcome(s) for name, s in scenarios.items()}
    rates = (
        leave_one_out_base_rates({name: o.truce for name, o in observed.items()})
        if len(scenarios) > 1
        else {}
    )
    forecasts: dict[str, list[Forecast]] = {name: [] for name in episodes}
    for name, scenario in scenarios.items():
        forecasts[name].append(model_forecast(scenario, runs, root_seed))
        baselines = baseline_forecasts(scenario, rates.get(name))
        forecasts[name].extend(_as_forecast(b) for b in baselines.values())
    folds = None
    fitted_point: dict[str, Any] | None = None
    fitted: InferenceResult | None = None
    grid_search = calibrate and calibration == "grid"
    cal_runs = calibration_runs if calibration_runs is not None else min(runs, 100)
    if grid_search:
        folds, in_sample, calibrated, fitted_point = _calibrate(
            scenarios, observed, grid or DEFAULT_GRID, cal_runs, root_seed
        )
    elif calibrate:
        fitted, folds, in_sample, calibrated = _calibrate_abc(
            list(scenarios), root_seed, protocol, inference
        )
    if calibrate:
        for name in scenarios:
            forecasts[name][1:1] = [in_sample[name], calibrated[name]]
    summary, issues = _tables(scenarios, observed, forecasts)
    board = scoreboard(summary)
    return BacktestResult(
        summary=summary,
        issues=issues,
        scoreboard=board,
        calibration=folds,
        verdicts=verdicts(board),
        settings={
            "runs": runs,
            "root_seed": root_seed,
            "episodes": list(episodes),
            "protocol": protocol,
            "calibrated": calibrate,
            "calibration": calibration if calibrate else None,
            "calibration_runs": cal_runs if grid_search else None,
            "grid": {k: list(v) for k, v in (grid or DEFAULT_GRID).items()}
            if grid_search
            else None,
            "in_sample_point": fitted_point,
            "inference": fitted.settings if fitted is not None else None,
            "p_clip": P_CLIP,
            "move_tolerance": MOVE_TOLERANCE,
        },
        inference=fitted,
    )


def run_backtest(runs: int = 200, root_seed: int = 0, **kwargs: Any) -> pd.DataFrame:
    """The backtest table: one row per (episode, predictor). See :func:`backtest`."""
    return backtest(runs, root_seed, **kwargs).summary


def _as_forecast(baseline: Any) -> Forecast:
    return Forecast(
        predictor=baseline.name,
        p_agreement=baseline.p_agreement,
        package=baseline.package,
        days_before_deadline=baseline.days_before_deadline,
    )


def _calibrate_abc(
    episodes: Sequence[str], root_seed: int, protocol: str, sizes: InferenceSettings | None
) -> tuple[InferenceResult, pd.DataFrame, dict[str, Forecast], dict[str, Forecast]]:
    """The ABC-SMC calibration on the backtest's episodes: its result, the folds table
    (each held-out episode's tolerance, draws kept and scores) and each episode's
    posterior predictive and leave-one-out forecasts, named as the backtest's rows."""
    from experiments.inference import LOO, POSTERIOR, InferenceSettings, calibrate

    settings = replace(
        sizes or InferenceSettings(workers=2),
        episodes=tuple(episodes),
        root_seed=root_seed,
        protocol=protocol,
        baseline_runs=0,
    )
    fitted = calibrate(settings)
    in_sample = {e: replace(f[POSTERIOR], predictor=IN_SAMPLE) for e, f in fitted.forecasts.items()}
    held_out = {e: replace(f[LOO], predictor=CALIBRATED) for e, f in fitted.forecasts.items()}
    scores = fitted.scores.set_index(["episode", "predictor"])
    folds = fitted.folds.copy()
    for metric in ("brier", "log_score", "package_error"):
        folds[f"in_sample__{metric}"] = [scores.loc[(e, POSTERIOR), metric] for e in episodes]
        folds[f"out_of_sample__{metric}"] = [scores.loc[(e, LOO), metric] for e in episodes]
    folds["in_sample_loss"] = folds["in_sample__brier"] + folds["in_sample__package_error"]
    folds["out_of_sample_loss"] = (
        folds["out_of_sample__brier"] + folds["out_of_sample__package_error"]
    )
    return fitted, folds, in_sample, held_out


def _calibrate(
    scenarios: Mapping[str, Scenario],
    observed: Mapping[str, Observed],
    grid: Mapping[str, Sequence[Any]],
    runs: int,
    root_seed: int,
) -> tuple[pd.DataFrame, dict[str, Forecast], dict[str, Forecast], dict[str, Any]]:
    """The grid scored on every episode; the leave-one-out folds, each episode's
    in-sample and held-out forecasts, and the point fitted on all episodes."""
    cache: dict[tuple[str, int], Forecast] = {}
    points = grid_points(grid)
    index = {tuple(sorted(p.items())): i for i, p in enumerate(points)}

    def evaluate(episode: str, params: dict[str, Any]) -> dict[str, float]:
        scenario = scenarios[episode]
        values = episode_parameters(scenario, params)
        forecast = model_forecast(scenario, runs, root_seed, values)
        cache[(episode, index[tuple(sorted(params.items()))])] = forecast
        row = score(forecast, observed[episode], scenario)
        return {
            "brier": row["brier"],
            "log_score": row["log_score"],
            "package_error": row["package_error"],
            LOSS: loss_of(row),
        }

    scores = evaluate_grid(list(scenarios), points, evaluate)
    folds = leave_one_out(scores)
    best, _ = in_sample_fit(scores)

    calibrated = {
        str(row.held_out): replace(cache[(str(row.held_out), int(row.point))], predictor=CALIBRATED)
        for row in folds.itertuples()
    }
    in_sample = {name: replace(cache[(name, best)], predictor=IN_SAMPLE) for name in scenarios}
    return folds, in_sample, calibrated, dict(points[best])


def _tables(
    scenarios: Mapping[str, Scenario],
    observed: Mapping[str, Observed],
    forecasts: Mapping[str, list[Forecast]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, issue_rows = [], []
    for name, scenario in scenarios.items():
        obs = observed[name]
        for forecast in forecasts[name]:
            row = score(forecast, obs, scenario)
            rows.append(row)
            moves = issue_moves(forecast.package, obs, scenario)
            for issue in scenario.space:
                if f"error__{issue.key}" not in row:
                    continue
                low, high = obs.interval(issue.key)
                issue_rows.append(
                    {
                        "episode": name,
                        "issue": issue.key,
                        "unit": issue.unit,
                        "predictor": forecast.predictor,
                        "forecast": forecast.package[issue.key],
                        "observed": obs.package.get(issue.key, 0.5 * (low + high)),
                        "observed_low": low,
                        "observed_high": high,
                        "range": issue.span,
                        "status_quo": issue.status_quo,
                        "observed_moved": moves[issue.key][0],
                        "forecast_moved": moves[issue.key][1],
                        "error": row[f"error__{issue.key}"],
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(issue_rows)


def scoreboard(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per predictor over the episodes, in :data:`PREDICTORS` order.

    Besides the means over all episodes: the mean P(agreement) on the episodes that
    ended in a deal and on those that failed, and the package error on each group.
    """
    deal = summary["observed_agreement"].astype(bool)
    frame = summary.assign(
        abs_timing_error_days=summary["timing_error_days"].abs(),
        p_on_deals=summary["p_agreement"].where(deal),
        p_on_failures=summary["p_agreement"].where(~deal),
        package_error_deals=summary["package_error"].where(deal),
        package_error_failures=summary["package_error"].where(~deal),
    )
    board = frame.groupby("predictor", sort=False).agg(
        episodes=("episode", "nunique"),
        brier=("brier", "mean"),
        log_score=("log_score", "mean"),
        p_on_deals=("p_on_deals", "mean"),
        p_on_failures=("p_on_failures", "mean"),
        package_error=("package_error", "mean"),
        package_error_deals=("package_error_deals", "mean"),
        package_error_failures=("package_error_failures", "mean"),
        package_error_moved=("package_error_moved", "mean"),
        package_error_stayed=("package_error_stayed", "mean"),
        moved_accuracy=("moved_accuracy", "mean"),
        abs_timing_error_days=("abs_timing_error_days", "mean"),
    )
    order = [p for p in PREDICTORS if p in board.index]
    return board.loc[order].reset_index()


def verdicts(board: pd.DataFrame) -> list[str]:
    """Whether the model (and its calibrated variant) beats each baseline, per score."""
    rows = board.set_index("predictor")
    out = []
    for model in (MODEL, CALIBRATED):
        if model not in rows.index:
            continue
        for baseline in BASELINES:
            if baseline in rows.index:
                for metric, label in SCORED:
                    out.append(_verdict(rows, model, baseline, metric, label))
        # The baselines share one timing forecast, the deadline itself: one verdict.
        timed = [b for b in BASELINES if b in rows.index and not math.isnan(rows.loc[b, TIMING])]
        if timed and not math.isnan(rows.loc[model, TIMING]):
            out.append(_verdict(rows, model, timed[0], TIMING, "timing", "the deadline effect"))
    return out


TIMING = "abs_timing_error_days"
SCORED = (("package_error", "package error"), ("brier", "Brier score"), ("log_score", "log score"))


def _verdict(
    rows: pd.DataFrame, model: str, baseline: str, metric: str, label: str, name: str = ""
) -> str:
    mine, theirs = float(rows.loc[model, metric]), float(rows.loc[baseline, metric])
    if math.isnan(mine) or math.isnan(theirs):
        return f"{model} cannot be compared with {name or baseline} on {label} (undefined)"
    word = "ties" if mine == theirs else "beats" if mine < theirs else "does NOT beat"
    return f"{model} {word} {name or baseline} on {label} ({mine:.3f} vs {theirs:.3f})"
