"""The EMA Workbench bridge: parameters, outcomes, seeds, experiments and EMA's analysis."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from experiments.analysis import quiet_ema
from experiments.ema import (
    REPLICATION,
    build_model,
    ema_parameter,
    ema_prim_inputs,
    feature_frame,
    outcome_names,
)
from negotiation import load_scenario, run_once
from negotiation.behaviours import names
from negotiation.scenario import ParameterSpec

with quiet_ema():
    import ema_workbench as ema
    from ema_workbench.analysis import feature_scoring, prim

SCENARIO = "kuala-lumpur-2025"
LEVERS = ["us_offer_strategy", "china_offer_strategy"]


@pytest.fixture(scope="module")
def small_design() -> tuple[Any, pd.DataFrame, dict[str, np.ndarray]]:
    """20 scenarios x 2 policies of the flagship, on EMA's sequential evaluator."""
    model = build_model(SCENARIO, levers=LEVERS, root_seed=11)
    experiments, outcomes = _perform(model)
    return model, experiments, outcomes


def _perform(model: Any, scenarios: int = 20, policies: int = 2) -> Any:
    return ema.perform_experiments(
        model,
        scenarios,
        policies,
        evaluator=ema.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 1},
        lever_sampling_kwargs={"rng": 2},
        log_progress=True,
    )


def test_parameters_map_to_ema_parameters() -> None:
    spec = load_scenario(SCENARIO).parameters
    real = ema_parameter("threat_credibility", spec["threat_credibility"])
    assert isinstance(real, ema.RealParameter)
    assert (real.lower_bound, real.upper_bound) == (0.0, 1.0)
    assert isinstance(ema_parameter("focal_drafting", spec["focal_drafting"]), ema.BooleanParameter)
    strategy = ema_parameter("us_offer_strategy", spec["us_offer_strategy"])
    assert isinstance(strategy, ema.CategoricalParameter)
    assert [c.value for c in strategy.categories] == names("offer")
    integer = ParameterSpec(description="rounds", kind="integer", low=1, high=6, targets=["x"])
    made = ema_parameter("rounds", integer)
    assert isinstance(made, ema.IntegerParameter) and not isinstance(made, ema.CategoricalParameter)
    assert (made.lower_bound, made.upper_bound) == (1, 6)
    single = ParameterSpec(description="pinned", low=0.5, high=0.5, targets=["x"])
    with pytest.raises(ValueError, match="fix it instead"):
        ema_parameter("pinned", single)


def test_default_roles_levers_are_behaviours() -> None:
    scenario = load_scenario(SCENARIO)
    model = build_model(scenario, fixed={"hawk_influence": 2.0})
    levers = [p.name for p in model.levers]
    uncertainties = [p.name for p in model.uncertainties]
    behaviours = [n for n, p in scenario.parameters.items() if p.kind == "behaviour"]
    assert levers == behaviours
    assert set(uncertainties) == set(scenario.parameters) - set(behaviours) - {"hawk_influence"}
    assert [(c.name, c.value) for c in model.constants] == [("hawk_influence", 2.0)]
    assert [o.name for o in model.outcomes] == outcome_names(scenario)
    assert "package__us_tariff_rate" in outcome_names(scenario)
    assert model.name == "kuala_lumpur_2025"


def test_roles_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown parameters"):
        build_model(SCENARIO, uncertainties=["nope"])
    with pytest.raises(ValueError, match="in both uncertainties and levers"):
        build_model(SCENARIO, uncertainties=["shock_scale"], levers=["shock_scale"])
    with pytest.raises(ValueError, match="unknown outcomes"):
        build_model(SCENARIO, outcomes=["truce", "happiness"])
    with pytest.raises(ValueError, match="replications"):
        build_model(SCENARIO, replications=0)
    with pytest.raises(ValueError, match="root_seed"):
        build_model(SCENARIO, root_seed=-1)
    only = build_model(SCENARIO, uncertainties=["shock_scale"], levers=[])
    assert [p.name for p in only.uncertainties] == ["shock_scale"] and not list(only.levers)


def test_the_model_function_is_a_seeded_run_once() -> None:
    model = build_model(SCENARIO, uncertainties=["threat_credibility"], levers=LEVERS)
    function = pickle.loads(pickle.dumps(model.function))  # EMA's worker processes need it
    values = {"threat_credibility": np.float64(0.3), "us_offer_strategy": "boulware"}
    got = function(**values, **{REPLICATION: 1})
    seed = function.seed({"threat_credibility": 0.3}, 1)
    expected = run_once(SCENARIO, seed=seed, params={**values, "threat_credibility": 0.3})
    assert got["truce"] == float(expected.truce) and got["vetoes"] == expected.vetoes
    # Common random numbers: the seed depends on the uncertainties and the replication only.
    assert function.seed({"threat_credibility": 0.3, "us_offer_strategy": "x"}, 1) == seed
    assert function.seed({"threat_credibility": 0.3}, 0) != seed
    assert function.seed({"threat_credibility": 0.31}, 1) != seed


def test_perform_experiments_is_reproducible(small_design: Any) -> None:
    model, experiments, outcomes = small_design
    assert len(experiments) == 40 and set(outcomes) == set(outcome_names(load_scenario(SCENARIO)))
    assert set(np.unique(outcomes["truce"])) <= {0.0, 1.0}
    assert 0 < outcomes["truce"].mean() < 1
    truce = outcomes["truce"] == 1
    assert np.isnan(outcomes["days_before_summit"][~truce]).all()
    assert not np.isnan(outcomes["days_before_summit"][truce]).any()
    again = _perform(model)[1]
    for name, values in outcomes.items():
        np.testing.assert_array_equal(values, again[name])


def test_replications_average_into_p_truce() -> None:
    model = build_model(SCENARIO, uncertainties=["threat_credibility"], levers=[], replications=4)
    _, outcomes = _perform(model, scenarios=6, policies=0)
    p = outcomes["truce"]
    assert p.shape == (6,) and ((p >= 0) & (p <= 1)).all()
    assert np.allclose(p * 4, np.round(p * 4))


def test_ema_prim_and_feature_scoring_on_the_results(small_design: Any) -> None:
    model, experiments, outcomes = small_design
    x, y = ema_prim_inputs(experiments, outcomes, model)
    assert list(x.columns) == [p.name for p in model.uncertainties] + LEVERS
    assert isinstance(x["us_offer_strategy"].dtype, pd.CategoricalDtype)
    assert x["focal_drafting"].dtype == float
    with quiet_ema():
        box = prim.Prim(x, y, peel_alpha=0.1).find_box()
    trajectory = box.peeling_trajectory
    assert len(trajectory) > 1 and trajectory["density"].iloc[-1] > trajectory["density"].iloc[0]

    scores = feature_scoring.get_feature_scores_all(
        feature_frame(experiments, model),
        {"truce": outcomes["truce"], "vetoes": outcomes["vetoes"]},
        random_state=0,
    )
    assert set(scores.columns) == {"truce", "vetoes"}
    assert set(scores.index) == set(x.columns)
    assert np.allclose(scores.sum(), 1.0)
