"""Study files: what a sweep runs, validated before anything runs.

A study names a scenario, a design over some of its named parameters (numbers, integers
or behaviour names), fixed values for others, replications per design point and a root
seed. Example (``experiments/studies/farmer-credibility.toml``)::

    [study]
    name = "farmer-credibility"
    scenario = "kuala-lumpur-2025"
    root_seed = 2025
    replications = 50

    [design]
    kind = "grid"                  # grid | random | lhs | sobol

    [design.parameters]
    farmer_pressure = [0.0, 1.0, 2.0, 3.0, 4.0]       # grid: the values
    threat_credibility = { low = 0.0, high = 1.0, levels = 5 }

    [fixed]
    hawk_influence = 1.5

Random, Latin-hypercube and Sobol designs take ``{ low, high }`` ranges (within the
parameter's own range) and ``samples`` (Sobol: the base sample ``N`` of Saltelli's
scheme); behaviour parameters take a list of names in every design.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from negotiation import Scenario, ScenarioError, load_scenario

DesignKind = Literal["grid", "random", "lhs", "sobol", "morris"]


class StudyError(ValueError):
    """A study file or definition that cannot be run; the message says why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    low: float
    high: float
    levels: Annotated[int, Field(ge=2, le=10_000)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


ParameterValues = list[float | int | str | bool] | Range


class StudyMeta(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    scenario: str
    root_seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    replications: Annotated[int, Field(ge=1, le=10_000_000)] = 1
    description: str = ""


class DesignSpec(_Strict):
    kind: DesignKind = "grid"
    samples: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    parameters: dict[str, ParameterValues] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> DesignSpec:
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"a {self.kind} design needs 'samples'")
        for name, values in self.parameters.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"parameter {name!r} has an empty list of values")
            if self.kind != "grid" and isinstance(values, Range) and values.levels is not None:
                raise ValueError(f"parameter {name!r}: 'levels' only applies to grid designs")
            if self.kind == "grid" and isinstance(values, Range) and values.levels is None:
                raise ValueError(f"parameter {name!r}: a grid range needs 'levels'")
        return self


class Study(_Strict):
    """A validated study, ready to expand into a design table."""

    study: StudyMeta
    design: DesignSpec
    fixed: dict[str, float | int | str | bool] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.study.name

    def scenario(self) -> Scenario:
        return load_scenario(self.study.scenario)

    def check_against(self, scenario: Scenario) -> None:
        """Every parameter must be a named parameter of the scenario, within its range."""
        allowed = sorted(scenario.parameters)
        both = set(self.design.parameters) & set(self.fixed)
        if both:
            raise StudyError(f"parameter(s) {sorted(both)} are both swept and fixed")
        for name, values in [*self.design.parameters.items(), *self.fixed.items()]:
            if name not in scenario.parameters:
                raise StudyError(
                    f"unknown parameter {name!r} for scenario {scenario.name!r}; "
                    f"its parameters are: {', '.join(allowed)}"
                )
            spec = scenario.parameters[name]
            if isinstance(values, Range):
                if spec.kind in ("behaviour", "boolean"):
                    raise StudyError(f"parameter {name!r} is a {spec.kind}: give a list of values")
                for bound in (values.low, values.high):
                    _check(scenario, name, bound)
            elif isinstance(values, list):
                for value in values:
                    _check(scenario, name, value)
                if self.design.kind != "grid" and spec.kind in ("number", "integer"):
                    raise StudyError(
                        f"parameter {name!r}: a {self.design.kind} design samples numbers from "
                        "{ low, high }, not from a list"
                    )
            else:
                _check(scenario, name, values)


def _check(scenario: Scenario, name: str, value: Any) -> None:
    try:
        scenario.parameters[name].check(name, value)
    except ScenarioError as exc:
        raise StudyError(str(exc)) from None


def load_study(path: str | Path) -> Study:
    """Read and validate a study TOML file against its scenario."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"no study file {str(path)!r}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: not valid TOML: {exc}") from None
    return parse_study(raw, str(path))


def parse_study(raw: dict[str, Any], source: str = "<study>") -> Study:
    """Validate a study given as a dict (the TOML tables)."""
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        raise StudyError(f"{source}: invalid study\n  " + "\n  ".join(problems)) from None
    try:
        scenario = study.scenario()
    except ScenarioError as exc:
        raise StudyError(f"{source}: study.scenario: {exc}") from None
    try:
        study.check_against(scenario)
    except StudyError as exc:
        raise StudyError(f"{source}: {exc}") from None
    return study
