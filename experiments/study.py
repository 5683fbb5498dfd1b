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

Random, Latin-hypercube, Morris and Sobol designs take ``{ low, high }`` ranges (within
the parameter's own range) and ``samples`` (Sobol: the base sample ``N`` of Saltelli's
scheme; Morris: trajectories); a grid takes no ``samples`` (its values give its size).
Behaviour parameters take a list of names in every design. Numbers must be finite, and
a study may not exceed :data:`MAX_RUNS` runs (points x replications), counted before
any design table is built. A relative scenario path is read from the study file's
folder; a built-in scenario name stays a name.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from negotiation import Scenario, ScenarioError, builtin_scenarios, load_scenario
from negotiation.files import read_utf8

DesignKind = Literal["grid", "random", "lhs", "sobol", "morris"]
MAX_RUNS = 50_000_000  # points x replications; far beyond any sweep this machine finishes
MAX_STUDY_BYTES = 5_000_000  # a study file is a few lines; this bounds what is parsed


class StudyError(ValueError):
    """A study file or definition that cannot be run; the message says why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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

    @field_validator("parameters", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        return _finite_numbers(value)

    @model_validator(mode="after")
    def _coherent(self) -> DesignSpec:
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"a {self.kind} design needs 'samples'")
        if self.kind == "grid" and self.samples is not None:
            raise ValueError(
                "a grid design takes no 'samples' (its size is the product of its values); "
                "remove it, or choose kind = random, lhs, morris or sobol"
            )
        for name, values in self.parameters.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"parameter {name!r} has an empty list of values")
            if self.kind != "grid" and isinstance(values, Range) and values.levels is not None:
                raise ValueError(f"parameter {name!r}: 'levels' only applies to grid designs")
            if self.kind == "grid" and isinstance(values, Range) and values.levels is None:
                raise ValueError(f"parameter {name!r}: a grid range needs 'levels'")
        return self

    def points(self) -> int:
        """How many design points this design has, computed without building them."""
        if self.kind == "grid":
            return math.prod(_axis_length(v) for v in self.parameters.values())
        assert self.samples is not None
        dims = len(self.parameters)
        factor = {"morris": dims + 1, "sobol": dims + 2}.get(self.kind, 1)
        return self.samples * factor


def _finite_numbers(value: Any, where: str = "") -> Any:
    """``value`` unchanged if every number in it is finite (TOML allows inf and nan)."""
    if isinstance(value, float) and not math.isfinite(value):
        place = f"{where} " if where else ""
        raise ValueError(f"{place}must be a finite number, got {value}")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite_numbers(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite_numbers(item, f"{where}[{index}]")
    return value


def _axis_length(values: list[Any] | Range) -> int:
    if isinstance(values, Range):
        assert values.levels is not None
        return values.levels
    return len(values)


class Study(_Strict):
    """A validated study, ready to expand into a design table."""

    study: StudyMeta
    design: DesignSpec
    fixed: dict[str, float | int | str | bool] = Field(default_factory=dict)

    @field_validator("fixed", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        return _finite_numbers(value)

    @model_validator(mode="after")
    def _bounded(self) -> Study:
        points = self.design.points()
        runs = points * self.study.replications
        if runs > MAX_RUNS:
            raise ValueError(
                f"the study has {points:,} design point(s) x {self.study.replications:,} "
                f"replication(s) = {runs:,} runs, above the cap of {MAX_RUNS:,}: "
                "use fewer levels, samples or replications, or split it into studies"
            )
        return self

    @property
    def total_runs(self) -> int:
        """Design points x replications."""
        return self.design.points() * self.study.replications

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
    text = _read_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise StudyError(f"{path}: not valid TOML: nested too deeply") from None
    return parse_study(raw, str(path), base=path.parent)


def _read_text(path: Path) -> str:
    """The study file's text, or a StudyError saying why it cannot be used."""
    return read_utf8(path, "study", StudyError, MAX_STUDY_BYTES)


def parse_study(raw: dict[str, Any], source: str = "<study>", base: Path | None = None) -> Study:
    """Validate a study given as a dict (the TOML tables).

    ``base`` is the folder a relative scenario path is read from (the study file's folder
    for :func:`load_study`; the working directory when None).
    """
    if base is not None:
        raw = _resolve_scenario(raw, base)
    try:
        study = Study.model_validate(raw)
    except RecursionError:
        raise StudyError(f"{source}: invalid study: nested too deeply") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
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


def _resolve_scenario(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """``raw`` with a relative scenario path made absolute against ``base`` (names kept)."""
    meta = raw.get("study")
    if not isinstance(meta, dict) or not isinstance(meta.get("scenario"), str):
        return raw
    name = meta["scenario"]
    if name in builtin_scenarios() or Path(name).is_absolute():
        return raw
    resolved = (base / name).resolve()
    return {**raw, "study": {**meta, "scenario": str(resolved)}}
