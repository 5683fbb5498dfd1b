"""Morris screening and the cliff scan find what moves the outcome."""

from __future__ import annotations

import pandas as pd

from experiments.screening import _levels, _value, cliffs, inert, morris
from negotiation import load_scenario
from negotiation.scenario import first_release


def test_levels_cover_every_parameter_and_map_the_unit_interval() -> None:
    flagship = load_scenario("kuala-lumpur-2025")
    levels = _levels(flagship)
    assert set(levels) == set(flagship.parameters)
    assert _value(levels["threat_credibility"], 0.25, False) == 0.25
    assert _value([False, True], 0.99, False) is True
    assert not any(
        flagship.parameters[n].kind == "behaviour" for n in _levels(flagship, behaviours=False)
    )


def test_inert_parameters_are_those_below_the_threshold_everywhere() -> None:
    table = pd.DataFrame(
        {
            "parameter": ["a", "a", "b", "b"],
            "output": ["p", "q", "p", "q"],
            "mu_star": [0.0, 0.001, 0.0, 0.2],
        }
    )
    assert inert(table) == ["a"]


def test_threat_credibility_moves_the_outcome_and_a_dead_parameter_does_not() -> None:
    # the first release's protocol (no focal rounding to hide small effects in a few runs),
    # without the utility's shape parameters, whose extremes swamp everything else, and
    # without random shocks, so that their scale has nothing to act on
    base = first_release(load_scenario("kuala-lumpur-2025"))
    kept = {
        k: p for k, p in base.parameters.items() if k not in ("loss_aversion", "issue_curvature")
    }
    flagship = base.model_copy(update={"parameters": kept, "shocks": []})
    table = morris(flagship, trajectories=6, runs=6, behaviours=False)
    top = table.groupby("parameter")["mu_star"].max()
    assert top["threat_credibility"] > 0.05
    assert top["shock_scale"] == 0.0


def test_cliff_scan_reports_the_largest_step() -> None:
    flagship = load_scenario("kuala-lumpur-2025")
    few = flagship.model_copy(
        update={"parameters": {"resolve_noise": flagship.parameters["resolve_noise"]}}
    )
    scan = cliffs(few, runs=4, steps=4)
    assert list(scan["parameter"]) == ["resolve_noise"]
    assert 0.0 <= scan["largest_step"].iloc[0] <= 1.0
