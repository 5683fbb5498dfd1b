"""The model as the live page builds it, and the controls that build it.

SolaraViz rebuilds the model on Reset with the values of its controls. Two things need
care there: an input text arrives as a string (the seed), and a bad combination must
show a clear message in the page rather than a traceback, so :class:`LiveModel` never
raises on bad input; it keeps the message in ``error`` and stays stopped.
"""

from __future__ import annotations

from typing import Any

from negotiation import ScenarioError, TradeTalksModel, builtin_scenarios, load_scenario
from negotiation.behaviours import names
from negotiation.behaviours.registry import BehaviourError

DEFAULT_SCENARIO = "kuala-lumpur-2025"
DEFAULT_SEED = 7


class LiveModel(TradeTalksModel):
    """A :class:`TradeTalksModel` built from dashboard controls, collecting trajectories."""

    def __init__(
        self, scenario_name: str = DEFAULT_SCENARIO, seed: Any = DEFAULT_SEED, **params: Any
    ) -> None:
        self.error: str | None = None
        try:
            rng = parse_seed(seed)
            scenario = load_scenario(scenario_name)
            known = {k: v for k, v in params.items() if k in scenario.parameters}
            super().__init__(scenario, rng=rng, collect=True, **known)
        except (ScenarioError, BehaviourError, ValueError) as exc:
            super().__init__(DEFAULT_SCENARIO, rng=DEFAULT_SEED, collect=True)
            self.error = str(exc)
            self.running = False

    # Mesa's experimental Scenario object is not used by this model (its scenario is
    # ``spec``); hiding it stops SolaraViz's Reset from passing one as ``scenario``.
    @property
    def scenario(self) -> None:
        return None

    @scenario.setter
    def scenario(self, value: Any) -> None:
        self._mesa_scenario = value


def parse_seed(value: Any) -> int:
    """An integer seed from a control value (text fields give strings)."""
    text = str(value).strip()
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(f"the seed must be a whole number, got {text!r}") from None
    if seed < 0:
        raise ValueError(f"the seed must not be negative, got {seed}")
    return seed


def control_specs(scenario_name: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """SolaraViz ``model_params``: a scenario select, a seed, and one control per named
    parameter of the scenario (sliders for numbers, selects for behaviours)."""
    scenario = load_scenario(scenario_name)
    controls: dict[str, Any] = {
        "scenario_name": {
            "type": "Select",
            "value": scenario_name,
            "values": list(builtin_scenarios()),
            "label": "Scenario",
        },
        "seed": {"type": "InputText", "value": str(DEFAULT_SEED), "label": "Seed (integer)"},
    }
    for name, p in scenario.parameters.items():
        label = name.replace("_", " ")
        if p.kind == "behaviour":
            assert p.behaviour_kind is not None
            controls[name] = {
                "type": "Select",
                "value": p.default,
                "values": names(p.behaviour_kind),
                "label": label,
            }
        elif p.kind == "boolean":
            controls[name] = {"type": "Checkbox", "value": bool(p.default), "label": label}
        elif p.kind == "integer":
            controls[name] = {
                "type": "SliderInt",
                "value": int(p.default),
                "min": int(p.low or 0),
                "max": int(p.high or 0),
                "step": 1,
                "label": label,
            }
        else:
            low, high = float(p.low or 0.0), float(p.high or 0.0)
            controls[name] = {
                "type": "SliderFloat",
                "value": float(p.default),
                "min": low,
                "max": high,
                "step": round((high - low) / 100, 6) or 0.01,
                "label": label,
            }
    return controls
