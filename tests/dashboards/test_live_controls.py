"""The live page's settings, in process (no browser): what a run records is what it ran.

- Reset with untouched controls builds exactly the CLI's run (same outcome record, same
  ``plan_digest``): the page sends the model only what the user changed;
- every slider's grid holds the values the slider can be asked to show, checked against
  the browser slider's own rounding (Vuetify 2's ``roundValue``, re-implemented below),
  so the browser never snaps a default and sends the snapped value back;
- switching scenario rebuilds the controls from that scenario's parameters;
- a parameter of a behaviour's field shows only while the chosen behaviour has the field,
  and follows that behaviour's default unless the user moved it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import ipyvuetify as v
import pytest
import solara

from dashboards.ensemble_page import EnsemblePage
from dashboards.live import LiveControls, settings_text
from dashboards.live_model import (
    LiveChoices,
    LiveModel,
    control_specs,
    parameter_anchors,
    slider_step,
)
from experiments.ensemble import run_ensemble
from negotiation import builtin_scenarios, load_scenario, run_once
from negotiation.behaviours import names

SCENARIOS = list(builtin_scenarios())


def browser_round(value: float, low: float, high: float, step: float) -> float:
    """What the browser's slider (Vuetify 2 ``VSlider.roundValue``) makes of ``value``:
    snapped to ``low % step + k * step`` and rounded to the step's decimals (JavaScript
    writes a step of at least 1e-6 positionally, which ``Decimal`` does too)."""
    text = format(Decimal(repr(step)), "f")
    decimals = len(text.split(".")[1]) if "." in text else 0
    offset = math.fmod(low, step)  # JavaScript's % keeps the sign of the dividend
    snapped = math.floor((min(max(value, low), high) - offset) / step + 0.5) * step + offset
    return float(f"{min(snapped, high):.{decimals}f}")


def _render_controls(
    choices: LiveChoices | None = None,
) -> tuple[solara.Reactive[LiveModel], solara.Reactive[LiveChoices], Any]:
    model = solara.reactive(LiveModel())
    settings = solara.reactive(choices or LiveChoices())
    _, rc = solara.render(LiveControls(model, settings), handle_error=False)
    return model, settings, rc


def _reset(rc: Any) -> None:
    (button,) = [b for b in rc.find(v.Btn).widgets if "Reset" in b.children]
    button.click()


def _slider(rc: Any, name: str) -> Any:
    """The slider of parameter ``name`` (labelled with its value: ``name: 0.6``), or
    ``None`` when the page shows none."""
    found = [w for w in rc.find(v.Slider).widgets if w.label.split(": ")[0] == name]
    assert len(found) <= 1, found
    return found[0] if found else None


# --------------------------------------------------------------------------- Reset


def test_reset_at_defaults_reproduces_the_cli_record() -> None:
    model, _, rc = _render_controls()
    before = model.value
    _reset(rc)
    assert model.value is not before and model.value.error is None
    live = model.value.run().to_dict()
    rc.close()
    assert live == run_once("kuala-lumpur-2025", seed=7).to_dict()
    cli = subprocess.run(
        [sys.executable, "-m", "experiments.cli", "run", "--seed", "7", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert json.loads(cli.stdout) == json.loads(json.dumps(live))


def test_untouched_controls_send_only_the_scenario_and_seed() -> None:
    for name in SCENARIOS:
        assert LiveChoices(scenario_name=name).model_kwargs() == {
            "scenario_name": name,
            "seed": "7",
        }


def test_a_changed_setting_is_sent_and_recorded_as_set() -> None:
    model, settings, rc = _render_controls()
    _slider(rc, "china resolve").v_model = 0.3
    rc.find(v.Select, label="us offer strategy").widget.v_model = "boulware"
    assert settings.value.model_kwargs() == {
        "scenario_name": "kuala-lumpur-2025",
        "seed": "7",
        "china_resolve": 0.3,
        "us_offer_strategy": "boulware",
    }
    _reset(rc)
    rc.close()
    expected = run_once(
        "kuala-lumpur-2025", seed=7, params={"china_resolve": 0.3, "us_offer_strategy": "boulware"}
    )
    assert model.value.run().to_dict() == expected.to_dict()
    assert model.value.params["us_concession_exponent"] == 0.2  # boulware's own exponent
    assert "china resolve = 0.3" in settings_text(model.value)


def test_a_control_moved_back_to_its_default_counts_as_untouched() -> None:
    choices = LiveChoices().with_value("threat_credibility", 0.9)
    assert choices.changed == {"threat_credibility": 0.9}
    assert choices.with_value("threat_credibility", 0.6).changed == {}
    # The browser sends what it shows: the same default again is no change either.
    assert (
        LiveChoices().with_value("us_resolve", 0.15).model_kwargs() == LiveChoices().model_kwargs()
    )


# --------------------------------------------------------------------------- slider grids


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_every_slider_holds_what_it_can_show(scenario_name: str) -> None:
    scenario = load_scenario(scenario_name)
    controls = control_specs(scenario_name)
    assert set(controls) == {"scenario_name", "seed", *scenario.parameters}
    for name, spec in controls.items():
        if spec["type"] != "SliderFloat":
            continue
        shown = [spec["value"], spec["min"], spec["max"], *parameter_anchors(scenario, name)]
        for value in shown:
            assert browser_round(value, spec["min"], spec["max"], spec["step"]) == value, (
                f"{scenario_name}: {name} = {value!r} is off its slider's grid "
                f"(min {spec['min']}, step {spec['step']})"
            )
        assert (spec["max"] - spec["min"]) / spec["step"] >= 100 - 1e-9
        assert spec["value"] == scenario.parameters[name].default  # never rounded


def test_the_reported_defaults_are_exact() -> None:
    controls = control_specs("kuala-lumpur-2025")
    assert controls["china_resolve"]["value"] == 0.25
    assert controls["us_resolve"]["value"] == 0.15
    assert controls["us_concession_exponent"]["value"] == 0.5
    for name in ("china_resolve", "us_resolve", "us_concession_exponent"):
        spec = controls[name]
        assert browser_round(spec["value"], spec["min"], spec["max"], spec["step"]) == spec["value"]


def test_slider_step_never_rounds_an_awkward_default() -> None:
    assert slider_step(0.0, 1.0, [0.6]) == 0.01
    assert slider_step(-0.3, 0.5, [0.25, 0.15]) == 0.005
    assert slider_step(0.0, 1.0, [0.123]) == 0.001
    assert slider_step(0.0, 1.0, [0.1234567]) is None  # a number field shows it instead
    assert slider_step(0.0, 1.0, [1 / 3]) is None
    model = LiveModel()
    spec = control_specs(LiveChoices())
    assert spec["threat_credibility"]["value"] == model.params["threat_credibility"]


# --------------------------------------------------------------------------- scenarios


def test_switching_scenario_rebuilds_the_controls() -> None:
    model, settings, rc = _render_controls()
    _slider(rc, "threat credibility").v_model = 0.9
    assert settings.value.changed == {"threat_credibility": 0.9}
    rc.find(v.Select, label="Scenario").widget.v_model = "geneva-2025"
    geneva = load_scenario("geneva-2025")
    assert settings.value == LiveChoices(scenario_name="geneva-2025")  # changes dropped
    labels = {w.label.split(": ")[0] for w in rc.find(v.Slider).widgets} | {
        w.label for w in rc.find(v.Select).widgets
    }
    assert {"china resolve", "host behaviour"} <= labels
    assert "farmer pressure" not in labels  # kuala-lumpur-2025 has it, geneva-2025 not
    assert "us acceptance" not in labels
    slider = _slider(rc, "china resolve")
    assert slider.v_model == geneva.parameters["china_resolve"].default == 0.15
    _reset(rc)
    rc.close()
    assert model.value.spec.name == "geneva-2025" and model.value.error is None
    assert model.value.run().to_dict() == run_once("geneva-2025", seed=7).to_dict()


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_each_scenario_shows_its_own_parameters(scenario_name: str) -> None:
    choices = LiveChoices().with_scenario(scenario_name)
    scenario = load_scenario(scenario_name)
    controls = control_specs(choices)
    for name, value in scenario.effective_values({}).items():
        assert controls[name]["value"] == value
    assert set(controls) - {"scenario_name", "seed"} == set(scenario.parameters)


# --------------------------------------------------------------------------- behaviours


@pytest.mark.parametrize(
    "strategy", ["hardliner", "zeuthen", "tit-for-tat-absolute", "tit-for-tat-relative"]
)
def test_an_exponent_is_hidden_and_not_sent_for_a_behaviour_without_one(strategy: str) -> None:
    choices = LiveChoices().with_value("us_concession_exponent", 0.3)
    choices = choices.with_value("us_offer_strategy", strategy)
    controls = control_specs(choices)
    assert "us_concession_exponent" not in controls
    assert "china_concession_exponent" in controls
    kwargs = choices.model_kwargs()
    assert "us_concession_exponent" not in kwargs
    model = LiveModel(**kwargs)
    assert model.error is None, model.error
    outcome = model.run()
    assert outcome.params["us_offer_strategy"] == strategy
    assert outcome.params["us_concession_exponent"] is None
    expected = run_once("kuala-lumpur-2025", seed=7, params={"us_offer_strategy": strategy})
    assert outcome.to_dict() == expected.to_dict()
    # Back to a behaviour with an exponent: the user's 0.3 is still theirs.
    back = choices.with_value("us_offer_strategy", "boulware")
    assert control_specs(back)["us_concession_exponent"]["value"] == 0.3
    assert back.model_kwargs()["us_concession_exponent"] == 0.3


def test_an_untouched_exponent_follows_the_chosen_behaviour() -> None:
    from negotiation.behaviours import registry

    for strategy in names("offer"):
        declared = registry.get("offer", strategy).params.get("e")
        choices = LiveChoices().with_value("us_offer_strategy", strategy)
        controls = control_specs(choices)
        if declared is None:
            assert "us_concession_exponent" not in controls
        elif strategy == "logrolling":
            assert controls["us_concession_exponent"]["value"] == 0.5  # the scenario's own
        else:
            assert controls["us_concession_exponent"]["value"] == declared[1]
        assert "us_concession_exponent" not in choices.model_kwargs()


def test_the_exponent_slider_disappears_for_the_hardliner_and_the_run_works() -> None:
    model, _, rc = _render_controls()
    assert _slider(rc, "us concession exponent") is not None
    rc.find(v.Select, label="us offer strategy").widget.v_model = "boulware"
    assert _slider(rc, "us concession exponent").v_model == 0.2
    rc.find(v.Select, label="us offer strategy").widget.v_model = "hardliner"
    assert _slider(rc, "us concession exponent") is None
    assert _slider(rc, "china concession exponent") is not None
    _reset(rc)
    rc.close()
    assert model.value.error is None, model.value.error
    assert model.value.run() is not None


def test_the_ensemble_runs_what_the_live_run_was_given() -> None:
    live = solara.reactive(LiveModel(us_offer_strategy="hardliner"))
    _, rc = solara.render(EnsemblePage(live), handle_error=False)
    rc.close()  # renders without error; the task gets the overrides, not None values
    summary = run_ensemble("kuala-lumpur-2025", 5, dict(live.value.plan.overrides), root_seed=1)
    assert summary.runs == 5


def test_mesas_own_scenario_is_not_hidden_and_reset_can_pass_it() -> None:
    """Mesa's experimental Model.scenario stays Mesa's (this model's scenario is
    ``spec``); Mesa's Reset passes it back as ``scenario=`` and the model accepts it."""
    from mesa.experimental.scenarios import Scenario as MesaScenario
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    from dashboards.live_model import LiveModel

    model = LiveModel(seed="7")
    assert isinstance(model.scenario, MesaScenario)
    kwargs = _build_model_init_kwargs(
        model,
        {"scenario_name": "kuala-lumpur-2025", "seed": "7"},
        add_scenario_when_empty=True,
        require_model_accepts_scenario=True,
    )
    again = LiveModel(**kwargs)
    assert again.error is None and again.spec.name == "kuala-lumpur-2025"
