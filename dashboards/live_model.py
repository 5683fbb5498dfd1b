"""The model as the live page builds it, and the controls that build it.

What a run records is what it ran: the live page sends the model only the named
parameters the user moved away from their effective default, so a Reset with untouched
controls builds exactly the run ``negotiation run --seed N`` records (same record, same
``plan_digest``). Three things make that hold:

- the controls show each parameter's *effective* value for the current choices
  (:meth:`negotiation.scenario.Scenario.effective_values`): choosing Boulware shows its
  exponent 0.2, and a parameter that does not apply to the chosen behaviour (an exponent
  of the hardliner) is hidden and never sent;
- every slider's grid holds the values it can be asked to show (its ends, the scenario's
  default and, for a behaviour's field, each registered behaviour's default), because the
  browser's slider snaps a value off its grid and sends the snapped value back as if the
  user had moved it (0.25 became 0.252 on a 0.008 grid anchored at -0.3);
- a control moved back to its default counts as untouched.

SolaraViz rebuilds the model on Reset with the values the page gives it. An input text
arrives as a string (the seed), and a bad combination must show a clear message in the
page rather than a traceback, so :class:`LiveModel` never raises on bad input; it keeps
the message in ``error`` and stays stopped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from typing import Any

from negotiation import ScenarioError, TradeTalksModel, builtin_scenarios, load_scenario
from negotiation.behaviours import names, registry
from negotiation.behaviours.registry import BehaviourError
from negotiation.scenario import BEHAVIOUR_FIELDS, ParameterSpec, Scenario

DEFAULT_SCENARIO = "kuala-lumpur-2025"
DEFAULT_SEED = 7
# A float slider gets the coarsest "round" step (1, 2, 2.5 or 5 times a power of ten)
# that gives at least this many steps over its range and holds every anchor exactly.
MIN_SLIDER_STEPS = 100
# The browser formats a step below 1e-6 in exponent notation and then rounds slider
# values to whole numbers: finer grids are not offered (a text field is used instead).
FINEST_STEP = Fraction(1, 10**6)
ROUND_STEPS: tuple[Fraction, ...] = tuple(
    sorted(
        (
            Fraction(mantissa) * Fraction(10) ** exponent
            for exponent in range(-6, 4)
            for mantissa in (1, 2, Fraction(5, 2), 5)
            if Fraction(mantissa) * Fraction(10) ** exponent >= FINEST_STEP
        ),
        reverse=True,
    )
)


class LiveModel(TradeTalksModel):
    """A :class:`TradeTalksModel` built from dashboard controls, collecting trajectories.

    ``params`` are named parameters of the scenario, passed on unchanged (an unknown name
    or a bad value is reported in ``error``, like any other bad setting).
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        seed: Any = DEFAULT_SEED,
        scenario: Any = None,
        **params: Any,
    ) -> None:
        # ``scenario`` is Mesa's experimental Scenario, which Mesa's Reset passes on; this
        # model's own scenario is the one named ``scenario_name`` (``self.spec``).
        del scenario
        self.error: str | None = None
        # What this run was built from, as the live page's choices (the page compares
        # them with the settings shown to say what Reset would change).
        self.choices = LiveChoices(scenario_name, str(seed).strip(), dict(params))
        try:
            rng = parse_seed(seed)
            scenario = load_scenario(scenario_name)
            super().__init__(scenario, rng=rng, collect=True, **params)
        except (ScenarioError, BehaviourError, ValueError) as exc:
            super().__init__(DEFAULT_SCENARIO, rng=DEFAULT_SEED, collect=True)
            self.error = str(exc)
            self.running = False


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


# --------------------------------------------------------------------------- choices


@dataclass(frozen=True)
class LiveChoices:
    """What the user set on the live page: a scenario, a seed (as typed) and the named
    parameters moved away from their effective default (``changed``; never mutated, each
    change makes a new object so the page re-renders).

    Only ``changed`` goes to the model, so the record of an untouched page is the
    scenario's own record.
    """

    scenario_name: str = DEFAULT_SCENARIO
    seed: str = str(DEFAULT_SEED)
    changed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scenario(self) -> Scenario:
        """The chosen scenario (cached by :func:`load_scenario`)."""
        return load_scenario(self.scenario_name)

    def effective(self) -> dict[str, Any]:
        """The value every named parameter has with the current choices (``None`` where a
        parameter does not apply to the chosen behaviour). If the changes are invalid
        together, the scenario's own values (the model reports the error on Reset)."""
        try:
            return self.scenario.effective_values(self.changed)
        except ScenarioError:
            return self.scenario.effective_values({})

    def with_scenario(self, name: str) -> LiveChoices:
        """Another scenario: its parameters differ, so every change is dropped and the
        controls start at that scenario's defaults."""
        if name == self.scenario_name:
            return self
        return replace(self, scenario_name=name, changed={})

    def with_seed(self, text: str) -> LiveChoices:
        """The seed as typed (checked when the model is built)."""
        return replace(self, seed=str(text))

    def with_value(self, name: str, value: Any) -> LiveChoices:
        """Parameter ``name`` set to ``value``; a value equal to what the parameter would
        have anyway (its effective default under the other choices) counts as untouched."""
        rest = {k: v for k, v in self.changed.items() if k != name}
        scenario = self.scenario
        try:
            value = scenario.parameters[name].check(name, value)
            default = scenario.effective_values(rest)[name]
        except (KeyError, ScenarioError):
            return replace(self, changed={**rest, name: value})  # reported on Reset
        if value == default:
            return replace(self, changed=rest)
        return replace(self, changed={**rest, name: value})

    def model_kwargs(self) -> dict[str, Any]:
        """What Reset passes to :class:`LiveModel`: the scenario, the seed, and the changed
        parameters that apply to the chosen behaviours (a hidden one is not sent)."""
        effective = self.effective()
        params = {k: v for k, v in self.changed.items() if effective.get(k) is not None}
        return {"scenario_name": self.scenario_name, "seed": self.seed, **params}


def applied_changes(model: LiveModel, choices: LiveChoices) -> list[str]:
    """What building a model from ``choices`` would change in ``model``'s run, in words
    (``"seed 7 → 8"``, ``"threat credibility 0.6 → 0"``); empty when nothing would."""
    built = model.choices
    if built.scenario_name != choices.scenario_name:
        return [f"scenario {built.scenario_name} → {choices.scenario_name}"]
    changes = []
    if built.seed != choices.seed.strip():
        changes.append(f"seed {built.seed} → {choices.seed.strip()}")
    before, after = built.effective(), choices.effective()
    for name in sorted(set(built.model_kwargs()) | set(choices.model_kwargs())):
        if name in ("scenario_name", "seed") or before.get(name) == after.get(name):
            continue
        changes.append(f"{_label(name)} {_shown(before.get(name))} → {_shown(after.get(name))}")
    return changes


def _shown(value: Any) -> str:
    if value is None:
        return "(does not apply)"
    return f"{value:g}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- controls


def _exact(value: float | int) -> Fraction:
    """The decimal a number is written as (its shortest repr), as an exact fraction."""
    return Fraction(Decimal(repr(float(value))))


def slider_step(low: float, high: float, anchors: Iterable[float]) -> float | None:
    """A step for a float slider over ``[low, high]`` whose grid holds ``low``, ``high``
    and every anchor exactly, or ``None`` if no step of at least 1e-6 does.

    The browser's slider snaps a value to ``min % step + k * step`` and rounds it to the
    step's decimals; a grid of multiples of the step holds every value that is one. The
    coarsest round step with at least :data:`MIN_SLIDER_STEPS` steps is taken; failing
    that, the coarsest step that holds the points (their greatest common divisor).
    """
    points = [_exact(p) for p in (low, high, *anchors)]
    span = _exact(high) - _exact(low)
    if span <= 0:
        return None

    def holds(step: Fraction) -> bool:
        return all((p / step).denominator == 1 for p in points)

    for step in ROUND_STEPS:
        if span / step >= MIN_SLIDER_STEPS and holds(step):
            return float(step)
    common = reduce(_fraction_gcd, (p for p in points if p), Fraction(0))
    if common >= FINEST_STEP and _decimals(common) <= 6:
        return float(common)
    return None


def _fraction_gcd(a: Fraction, b: Fraction) -> Fraction:
    """Greatest common divisor of two fractions (the largest d with a/d, b/d integers)."""
    a, b = abs(a), abs(b)
    if not a:
        return b
    return Fraction(
        math.gcd(a.numerator * b.denominator, b.numerator * a.denominator),
        a.denominator * b.denominator,
    )


def _decimals(step: Fraction) -> int:
    """Decimal places of a step written in positional notation (as the browser writes it);
    a large number if the step has no finite decimal form."""
    text = format(Decimal(step.numerator) / Decimal(step.denominator), "f")
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def parameter_anchors(scenario: Scenario, name: str) -> list[float]:
    """The values parameter ``name`` can show before the user moves it: its default in the
    scenario and, if it targets a behaviour's field, each registered behaviour's default
    for that field (what picking that behaviour shows)."""
    param = scenario.parameters[name]
    anchors: list[float] = []
    if isinstance(param.default, int | float) and not isinstance(param.default, bool):
        anchors.append(float(param.default))
    for target in param.targets:
        parts = target.split(".")
        if len(parts) >= 3 and parts[-2] == "params" and parts[-3] in BEHAVIOUR_FIELDS:
            kind = BEHAVIOUR_FIELDS[parts[-3]][0]
            for behaviour in names(kind):
                declared = registry.get(kind, behaviour).params.get(parts[-1])
                if declared is not None and isinstance(declared[1], int | float):
                    anchors.append(float(declared[1]))
    return [a for a in anchors if param.low is None or param.high is None or _in(param, a)]


def _in(param: ParameterSpec, value: float) -> bool:
    assert param.low is not None and param.high is not None
    return param.low <= value <= param.high


def _label(name: str) -> str:
    return name.replace("_", " ")


def parameter_control(scenario: Scenario, name: str, value: Any) -> dict[str, Any]:
    """The control of one named parameter showing ``value``, in SolaraViz's
    ``model_params`` format: a select for a behaviour, a checkbox, an integer slider, a
    float slider whose grid holds ``value``, or a number field where no grid can."""
    param = scenario.parameters[name]
    label = _label(name)
    about = " ".join(param.description.split())
    if param.kind == "behaviour":
        assert param.behaviour_kind is not None
        values = names(param.behaviour_kind)
        return {
            "type": "Select",
            "value": value,
            "values": values,
            "label": label,
            "description": about,
        }
    if param.kind == "boolean":
        return {"type": "Checkbox", "value": bool(value), "label": label, "description": about}
    assert param.low is not None and param.high is not None
    if param.kind == "integer":
        return {
            "type": "SliderInt",
            "value": int(value),
            "min": math.ceil(param.low),
            "max": math.floor(param.high),
            "step": 1,
            "label": label,
            "description": about,
        }
    step = slider_step(param.low, param.high, [*parameter_anchors(scenario, name), value])
    if step is None:
        return {"type": "InputFloat", "value": value, "label": label, "description": about}
    return {
        "type": "SliderFloat",
        "value": value,
        "min": param.low,
        "max": param.high,
        "step": step,
        "label": label,
        "description": about,
    }


def control_specs(choices: LiveChoices | str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """The live page's controls for ``choices`` (or a scenario's untouched controls), in
    SolaraViz's ``model_params`` format: a scenario select, a seed, and one control per
    named parameter that applies with these choices, showing its effective value."""
    if isinstance(choices, str):
        choices = LiveChoices(scenario_name=choices)
    scenario = choices.scenario
    controls: dict[str, Any] = {
        "scenario_name": {
            "type": "Select",
            "value": choices.scenario_name,
            "values": list(builtin_scenarios()),
            "label": "Scenario",
        },
        "seed": {"type": "InputText", "value": choices.seed, "label": "Seed (integer)"},
    }
    for name, value in choices.effective().items():
        if value is not None:  # None: it does not apply to the chosen behaviour
            controls[name] = parameter_control(scenario, name, value)
    return controls
