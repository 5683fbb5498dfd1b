"""Scenario files: one TOML file describes one episode of talks, validated on load.

A scenario holds the calendar (talk days, the summit deadline, dated events and random
shocks), the issues, the actors with their positions, saliences and behaviours, model
settings, and the *named parameters*: the knobs that sweeps, ``--set`` and dashboard
sliders move. A parameter points at one or more fields of the scenario (``targets``);
applying parameter values yields a new, re-validated scenario, so a bad value is caught
exactly like a bad file. Built-in scenarios ship as package data and are loaded by name;
a path loads a user's own file. Errors name the file, the field, the value and what is
allowed, and nothing is half-loaded.
"""

from __future__ import annotations

import contextlib
import math
import tomllib
import warnings
import weakref
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from negotiation.behaviours import registry
from negotiation.files import read_utf8
from negotiation.issues import Issue, IssueSpace

SIDES: tuple[str, str] = ("US", "China")  # the parties of a scenario that names none
PartyName = Annotated[str, Field(pattern=r"^[A-Z][A-Za-z .'-]{0,39}$")]
Side = PartyName
ActorKind = Literal["delegation", "leader", "host", "group"]
BEHAVIOUR_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # field name -> (behaviour kind, actor kinds that must have it)
    "offer": ("offer", ("delegation",)),
    "acceptance": ("acceptance", ("delegation",)),
    "opponent_model": ("opponent_model", ("delegation",)),
    "lobbying": ("lobbying", ("group",)),
    "mediation": ("mediation", ("host",)),
    "ratification": ("ratification", ("leader",)),
    "escalation": ("escalation", ("leader",)),
}

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
# Sizes a scenario may have: far above any negotiation, low enough that a bad file is
# refused at once rather than exhausting memory or time.
MAX_ISSUES = 200
MAX_ACTORS = 500
MAX_EVENTS = 10_000
MAX_PHASES = 366
MAX_ROUNDS = 100_000
# Validation context key: take each parameter's default from what it targets without a
# warning (a scenario made by applying parameters, whose defaults are the values it has).
ADOPT_DEFAULTS = "adopt_defaults"
# Validation context key: (base scenario, names of the parameters applied to it) for a
# scenario made by applying number parameters to a base, so that the parameters whose
# targets none of those touch keep the base's resolved entry (see _kept_parameters).
DERIVED_FROM = "derived_from"


class ScenarioError(ValueError):
    """A scenario file, or a parameter value, that cannot be used; the message says why."""


class ScenarioWarning(UserWarning):
    """A scenario that loads but says something it does not do (a parameter default that
    differs from the value of its target: the target's value is used)."""


class Strict(BaseModel):
    """Base for every table of the file: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class IssueSpec(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: str
    unit: str
    low: float
    high: float
    status_quo: float
    no_deal: float
    description: str = ""
    # Focal values (Schelling 1960): prominent numbers that drafted agreements gravitate
    # to, given as a list (durations of 3, 6, 12, 24 months) and/or a step (tariffs in
    # steps of 5 points: every multiple of the step within the bounds).
    focal: list[float] = Field(default_factory=list, max_length=1000)
    focal_step: Annotated[float, Field(gt=0.0)] | None = None
    # The value gains and losses are counted from, when it is not the status quo: an
    # expectation (Koszegi & Rabin 2006), e.g. the level of trade before a recent boycott.
    # Only matters with loss aversion (settings.loss_aversion > 1).
    reference: float | None = None

    @model_validator(mode="after")
    def _within_bounds(self) -> IssueSpec:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        for name in ("status_quo", "no_deal", "reference"):
            value = getattr(self, name)
            if value is not None and not self.low <= value <= self.high:
                raise ValueError(f"{name} = {value} is outside [{self.low}, {self.high}]")
        for value in self.focal:
            if not self.low <= value <= self.high:
                raise ValueError(f"focal value {value} is outside [{self.low}, {self.high}]")
        if self.focal_step is not None and (self.high - self.low) / self.focal_step > 1000:
            raise ValueError(
                f"focal_step = {self.focal_step} gives more than 1,000 focal values on "
                f"[{self.low}, {self.high}]; use a larger step"
            )
        return self

    def focal_values(self) -> tuple[float, ...]:
        """The declared focal values and the multiples of ``focal_step`` in the bounds."""
        values = set(self.focal)
        if self.focal_step is not None:
            step = self.focal_step
            first, last = math.ceil(self.low / step), math.floor(self.high / step)
            values.update(round(n * step, 10) for n in range(first, last + 1))
        return tuple(sorted(values))

    def to_issue(self) -> Issue:
        return Issue(
            self.key,
            self.label,
            self.unit,
            self.low,
            self.high,
            self.status_quo,
            self.no_deal,
            self.focal_values(),
            self.reference,
        )


def _behaviour_as_written(schema: dict[str, Any]) -> None:
    """A behaviour's JSON Schema as a file writes it (before ``_collect_params``)."""
    description = schema.get("description", "")
    schema.clear()
    schema["description"] = description
    schema["anyOf"] = [
        {"type": "string", "description": "a registered behaviour's name"},
        {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": True,
            "description": "a name and the behaviour's parameters",
        },
    ]


class BehaviourSpec(Strict):
    """A behaviour by name with its parameters: ``{ name = "boulware", e = 0.2 }``."""

    model_config = ConfigDict(json_schema_extra=_behaviour_as_written)

    name: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_params(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and "params" not in data:
            return {
                "name": data.get("name"),
                "params": {k: v for k, v in data.items() if k != "name"},
            }
        return data


class ActorSpec(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: str
    kind: ActorKind
    side: Side | None = None
    description: str = ""
    position: dict[str, float] = Field(default_factory=dict)
    salience: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    influence: Annotated[float, Field(ge=0.0)] = 1.0
    urgency: Annotated[float, Field(ge=0.0)] = 1.0
    reservation_shift: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    threat_issues: list[str] = Field(default_factory=list)
    summit_reach: Unit = 0.0
    offer: BehaviourSpec | None = None
    acceptance: BehaviourSpec | None = None
    opponent_model: BehaviourSpec | None = None
    lobbying: BehaviourSpec | None = None
    mediation: BehaviourSpec | None = None
    ratification: BehaviourSpec | None = None
    escalation: BehaviourSpec | None = None

    @model_validator(mode="after")
    def _roles(self) -> ActorSpec:
        if self.kind == "host":
            if self.side is not None:
                raise ValueError("a host belongs to no side: remove 'side'")
        elif self.side is None:
            raise ValueError(f"a {self.kind} needs a side: one of the scenario's parties")
        for fname, (bkind, actor_kinds) in BEHAVIOUR_FIELDS.items():
            spec: BehaviourSpec | None = getattr(self, fname)
            if spec is None:
                continue
            if self.kind not in actor_kinds:
                raise ValueError(
                    f"'{fname}' applies to {'/'.join(actor_kinds)} actors, not a {self.kind}"
                )
            try:
                registry.get(bkind, spec.name).validate(spec.params)
            except registry.BehaviourError as exc:
                raise ValueError(str(exc)) from None
        return self

    def behaviour(self, fname: str) -> BehaviourSpec:
        """The behaviour in ``fname``, or the default of its kind."""
        spec: BehaviourSpec | None = getattr(self, fname)
        return spec if spec is not None else BehaviourSpec(name=DEFAULT_BEHAVIOURS[fname])


DEFAULT_BEHAVIOURS: dict[str, str] = {
    "offer": "time-dependent",
    "acceptance": "ac-next",
    "opponent_model": "frequency",
    "lobbying": "pressure",
    "mediation": "convenor",
    "ratification": "win-set",
    "escalation": "stall-threat",
}


class PhaseSpec(Strict):
    label: str
    first_day: date
    last_day: date
    rounds_per_day: Annotated[int, Field(ge=1, le=1440)]

    @model_validator(mode="after")
    def _ordered(self) -> PhaseSpec:
        if self.last_day < self.first_day:
            raise ValueError(f"last_day {self.last_day} is before first_day {self.first_day}")
        return self


def _local_clock(value: datetime) -> datetime:
    """Calendar times are local clock times of the talks, without a UTC offset."""
    if value.tzinfo is not None:
        raise ValueError(
            f"{value.isoformat()} has a UTC offset; write local clock times of the talks "
            "without one (e.g. 2025-10-30T11:00:00)"
        )
    return value


LocalTime = Annotated[datetime, AfterValidator(_local_clock)]


class MilestoneSpec(Strict):
    at: LocalTime
    label: str


class CalendarSpec(Strict):
    summit: LocalTime
    day_start_hour: Annotated[int, Field(ge=0, le=23)] = 9
    day_end_hour: Annotated[int, Field(ge=1, le=24)] = 21
    phases: list[PhaseSpec] = Field(min_length=1, max_length=MAX_PHASES)
    milestones: list[MilestoneSpec] = Field(default_factory=list)
    # What time-dependent behaviours count: "rounds" (round n of N is at (n - 1) / N) or
    # "hours" (the share of calendar time from the first round to the summit), so that
    # concession follows the clock and not the number of sessions.
    clock: Literal["rounds", "hours"] = "rounds"

    @model_validator(mode="after")
    def _consistent(self) -> CalendarSpec:
        if self.day_end_hour <= self.day_start_hour:
            raise ValueError("day_end_hour must be after day_start_hour")
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if after.first_day <= before.last_day:
                raise ValueError(f"phase {after.label!r} overlaps or precedes {before.label!r}")
        if self.phases[-1].last_day >= self.summit.date():
            raise ValueError(
                f"the last phase ends on {self.phases[-1].last_day}, not before the summit "
                f"({self.summit.date()})"
            )
        rounds = sum(p.rounds_per_day * ((p.last_day - p.first_day).days + 1) for p in self.phases)
        if rounds > MAX_ROUNDS:
            raise ValueError(
                f"the calendar has {rounds:,} rounds; a scenario may have at most "
                f"{MAX_ROUNDS:,} (fewer rounds per day, or shorter phases)"
            )
        return self


class EffectSpec(Strict):
    """What an event does: shifts reservations, mobilises groups, moves threats."""

    reservation: dict[Side, Annotated[float, Field(ge=-1.0, le=1.0)]] = Field(default_factory=dict)
    credibility: dict[Side, Annotated[float, Field(ge=-1.0, le=1.0)]] = Field(default_factory=dict)
    mobilise: dict[str, Annotated[float, Field(ge=-10.0, le=10.0)]] = Field(default_factory=dict)
    goodwill: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    # A threat carried out (dated events only): if no deal has been agreed by the
    # event, these issues' status quo becomes these values (e.g. the tariff in force).
    status_quo: dict[str, float] = Field(default_factory=dict)


EventKind = Literal["threat", "deadline", "signal", "visit", "shock"]


class EventSpec(Strict):
    at: LocalTime
    label: str
    kind: EventKind = "signal"
    effects: EffectSpec = Field(default_factory=EffectSpec)


class ShockSpec(Strict):
    label: str
    kind: EventKind = "shock"
    rate_per_day: Annotated[float, Field(ge=0.0, le=10.0)]
    effects: EffectSpec = Field(default_factory=EffectSpec)


class SettingsSpec(Strict):
    threat_credibility: Unit = 0.7
    ratification_threshold: Unit = 0.5
    lobbying_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    shock_scale: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    summit_max_gap: Unit = 0.1
    summit_flexibility: Unit = 0.05
    veto_hardening: Annotated[float, Field(ge=0.0, le=5.0)] = 0.5
    max_reservation: Unit = 0.95
    resolve_noise: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0
    # Reference dependence (Kahneman & Tversky 1979; Levy 1996): a unit of distance from
    # the ideal beyond the status quo's costs this many units; 1 = linear utility.
    loss_aversion: Annotated[float, Field(ge=1.0, le=5.0)] = 1.0
    # Diminishing marginal utility per issue (Enelow & Hinich 1984): an issue's loss grows
    # as this power of its distance from the ideal; 1 = linear, 2 = quadratic loss.
    issue_curvature: Annotated[float, Field(ge=1.0, le=4.0)] = 1.0
    # Focal drafting (Schelling 1960): an agreed package moves, issue by issue, to the
    # nearest focal value when both delegations still accept it.
    focal_drafting: bool = False
    # Uncertain ratification (Putnam 1988; Iida 1993): groups approve smoothly in their
    # margin over no deal (logistic, this scale), and each run draws a domestic mood per
    # side (logistic, this scale) that moves the approval a package needs; 0 = the step
    # win-set.
    ratification_noise: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0
    # The summit as the moment of endorsement: the delegations agree a framework (one
    # their leaders would sign then), talks stop, and the leaders endorse or reject it
    # at the summit, after whatever happened in between.
    summit_endorsement: bool = False
    # Audience costs (Fearon 1994): a leader who softens a public threat pays at home;
    # its reservation rises by this much per unit of credibility withdrawn.
    audience_cost: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    # Anticipated ratification (Putnam 1988, "tying hands"; Iida 1993): a delegation
    # neither offers nor accepts a package it expects its own side to reject, judged at
    # the domestic mood it cannot see (its expected value), so the mood is its error.
    winset_anticipation: bool = False


ParameterKind = Literal["number", "integer", "behaviour", "boolean"]


class ParameterSpec(Strict):
    """A named knob: what it means, its range, and which scenario fields it sets."""

    description: str
    kind: ParameterKind = "number"
    # The value of what the parameter targets (derived on load when left out; a declared
    # default that differs is replaced by it, with a ScenarioWarning).
    default: float | int | str | bool | None = None
    low: float | None = None
    high: float | None = None
    behaviour_kind: str | None = None
    mode: Literal["set", "scale"] = "set"
    targets: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> ParameterSpec:
        numeric = self.kind in ("number", "integer")
        if numeric and (self.low is None or self.high is None or not self.low <= self.high):
            raise ValueError("a number parameter needs low <= high")
        if self.kind == "behaviour":
            if self.behaviour_kind not in registry.KINDS:
                raise ValueError(f"behaviour_kind must be one of {list(registry.KINDS)}")
            if self.mode != "set":
                raise ValueError("a behaviour parameter can only 'set'")
        return self

    def check(self, name: str, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise a clear error."""
        if self.kind == "behaviour":
            assert self.behaviour_kind is not None
            allowed = registry.names(self.behaviour_kind)
            if value not in allowed:
                raise ScenarioError(
                    f"parameter {name!r} = {value!r} is not a registered "
                    f"{self.behaviour_kind} behaviour; allowed: {', '.join(allowed)}"
                )
            return value
        if self.kind == "boolean":
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            if isinstance(value, bool):
                return value
            raise ScenarioError(f"parameter {name!r} = {value!r} must be true or false")
        if isinstance(value, bool):
            raise ScenarioError(f"parameter {name!r} = {value!r} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ScenarioError(f"parameter {name!r} = {value!r} is not a number") from None
        if not math.isfinite(number):
            raise ScenarioError(f"parameter {name!r} = {value!r} must be a finite number")
        if self.kind == "integer":
            if number != int(number):
                raise ScenarioError(f"parameter {name!r} = {value!r} must be an integer")
            number = int(number)
        assert self.low is not None and self.high is not None
        if not self.low <= number <= self.high:
            raise ScenarioError(
                f"parameter {name!r} = {value!r} is outside its range [{self.low}, {self.high}]"
            )
        return number


class ScenarioMeta(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    title: str
    description: str
    sources: list[str] = Field(default_factory=list)
    # The codes the file's labels and comments cite (``TS`` for ``[TS]``) and the source
    # each stands for; documentation only (left out of the plan digest).
    references: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,12}$")], str] = Field(
        default_factory=dict,
        description="The source codes cited as [CODE] in the file's labels and comments, "
        "each with the source it stands for (shown by the dashboard; not a model input).",
    )
    # The two parties, in the order the record and the charts use; the first is the side
    # whose leader makes the dated threats in the built-in scenarios.
    parties: Annotated[list[PartyName], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: list(SIDES)
    )

    @field_validator("parties")
    @classmethod
    def _distinct(cls, parties: list[str]) -> list[str]:
        if parties[0] == parties[1]:
            raise ValueError(f"the two parties must differ (got {parties})")
        return parties


class Scenario(Strict):
    """A validated episode of talks. Build with :func:`load_scenario`."""

    scenario: ScenarioMeta
    calendar: CalendarSpec
    issues: list[IssueSpec] = Field(min_length=1, max_length=MAX_ISSUES)
    actors: list[ActorSpec] = Field(min_length=1, max_length=MAX_ACTORS)
    events: list[EventSpec] = Field(default_factory=list, max_length=MAX_EVENTS)
    shocks: list[ShockSpec] = Field(default_factory=list, max_length=MAX_EVENTS)
    settings: SettingsSpec = Field(default_factory=SettingsSpec)
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    observed: dict[str, Any] | None = None

    _source: str = PrivateAttr(default="<memory>")

    @field_validator("issues")
    @classmethod
    def _unique_issues(cls, issues: list[IssueSpec]) -> list[IssueSpec]:
        _unique([i.key for i in issues], "issue key")
        return issues

    @model_validator(mode="after")
    def _cast(self, info: ValidationInfo) -> Scenario:
        _unique([a.key for a in self.actors], "actor key")
        issue_keys = {i.key for i in self.issues}
        sides = self.sides
        for actor in self.actors:
            if actor.side is not None and actor.side not in sides:
                raise ValueError(
                    f"actor {actor.key!r} side {actor.side!r} is not one of the scenario's "
                    f"parties {list(sides)} (set [scenario] parties to name them)"
                )
        for effect in [e.effects for e in self.events] + [s.effects for s in self.shocks]:
            for side in [*effect.reservation, *effect.credibility]:
                if side not in sides:
                    raise ValueError(
                        f"effects name side {side!r}, not one of the parties {list(sides)}"
                    )
        for side in sides:
            for kind in ("delegation", "leader"):
                found = [a.key for a in self.actors if a.side == side and a.kind == kind]
                if len(found) != 1:
                    raise ValueError(f"side {side} needs exactly one {kind}; found {found}")
        hosts = [a.key for a in self.actors if a.kind == "host"]
        if len(hosts) > 1:
            raise ValueError(f"at most one host; found {hosts}")
        for actor in self.actors:
            _check_issue_map(actor.position, issue_keys, f"actor {actor.key!r} position")
            _check_issue_map(actor.salience, issue_keys, f"actor {actor.key!r} salience")
            _check_issue_map(
                dict.fromkeys(actor.threat_issues, 0),
                issue_keys,
                f"actor {actor.key!r} threat_issues",
            )
            if actor.kind != "host" and not any(v > 0 for v in actor.salience.values()):
                raise ValueError(f"actor {actor.key!r} needs a positive salience on some issue")
            for issue in self.issues:
                value = actor.position.get(issue.key)
                if actor.salience.get(issue.key, 0) > 0 and value is None:
                    raise ValueError(
                        f"actor {actor.key!r} has salience but no position on {issue.key!r}"
                    )
                if value is not None and not issue.low <= value <= issue.high:
                    raise ValueError(
                        f"actor {actor.key!r} position {issue.key} = {value} is outside "
                        f"[{issue.low}, {issue.high}]"
                    )
        groups = {a.key for a in self.actors if a.kind == "group"}
        for effect in [e.effects for e in self.events] + [s.effects for s in self.shocks]:
            bad = set(effect.mobilise) - groups
            if bad:
                raise ValueError(
                    f"mobilise names unknown group(s) {sorted(bad)}; groups: {sorted(groups)}"
                )
        for shock in self.shocks:
            if shock.effects.status_quo:
                raise ValueError(
                    f"shock {shock.label!r} sets a status quo: only a dated event can carry "
                    "out a threat (put it in [[events]] with its date)"
                )
        issues = {i.key: i for i in self.issues}
        for event in self.events:
            for key, value in event.effects.status_quo.items():
                if key not in issues:
                    raise ValueError(
                        f"event {event.label!r} sets the status quo of unknown issue {key!r}; "
                        f"the issues are: {', '.join(issues)}"
                    )
                issue = issues[key]
                if not issue.low <= value <= issue.high:
                    raise ValueError(
                        f"event {event.label!r} sets {key} = {value}, outside "
                        f"[{issue.low}, {issue.high}]"
                    )
        summit = self.calendar.summit
        for event in self.events:
            if event.at >= summit:
                raise ValueError(
                    f"event {event.label!r} at {event.at} is not before the summit ({summit}); "
                    "what happens after the deadline belongs in an issue's no_deal value "
                    "or a calendar milestone"
                )
        adopt = bool((info.context or {}).get(ADOPT_DEFAULTS))
        derived = (info.context or {}).get(DERIVED_FROM)
        kept = _kept_parameters(*derived) if derived is not None else frozenset()
        resolved = {}
        memo = _walks_of(self)
        for name, param in self.parameters.items():
            if name in kept:  # as in the base: same targets, same values
                resolved[name] = param
                continue
            for target in param.targets:
                _resolve(self, target, name, memo)
            default = _target_default(self, name, param, memo)
            if param.default is not None and default != param.default and not adopt:
                warnings.warn(
                    ScenarioWarning(
                        f"parameter {name!r}: declared default {param.default!r} is not the "
                        f"value of what it targets ({default!r}); using {default!r}"
                    ),
                    stacklevel=2,
                )
            resolved[name] = (
                param
                if default == param.default
                else (param.model_copy(update={"default": default}))
            )
        if resolved:
            self.__dict__["parameters"] = resolved  # frozen model: set once, while validating
        return self

    # --- derived views -----------------------------------------------------------------
    @cached_property
    def space(self) -> IssueSpace:
        """The issues as an :class:`IssueSpace` (package order = file order)."""
        return IssueSpace([i.to_issue() for i in self.issues])

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def sides(self) -> tuple[str, str]:
        """The two parties (``[scenario] parties``; US and China when not given)."""
        first, second = self.scenario.parties
        return (first, second)

    @property
    def source(self) -> str:
        """Where the scenario was read from (a file path or built-in name)."""
        return self._source

    def actor(self, key: str) -> ActorSpec:
        for a in self.actors:
            if a.key == key:
                return a
        raise KeyError(f"no actor {key!r}; actors: {[a.key for a in self.actors]}")

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Scenario:
        """A copy (pydantic's), without the cached issue space: with ``update`` the copy
        may be a different scenario."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("space", None)  # the cached IssueSpace
        return copied

    def run_json(self) -> str:
        """JSON of everything a run reads: the scenario without its observed outcome and
        without the references its labels cite (documentation). Fields left at their
        defaults are left out, so a file's digest survives code versions that add
        optional fields (the code version is recorded beside it)."""
        return self.model_dump_json(
            exclude={"observed": True, "scenario": {"references": True}}, exclude_defaults=True
        )

    def parameter_defaults(self) -> dict[str, Any]:
        """Each named parameter's declared default (the value of what it targets)."""
        return {name: p.default for name, p in self.parameters.items()}

    # --- parameters ------------------------------------------------------------------------
    def check_parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` with each coerced to its parameter's type; unknown names and bad
        values raise :class:`ScenarioError` naming the parameter and what is allowed."""
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if name not in self.parameters:
                allowed = ", ".join(sorted(self.parameters)) or "none"
                raise ScenarioError(
                    f"unknown parameter {name!r} for scenario {self.name!r}; "
                    f"its parameters are: {allowed}"
                )
            checked[name] = self.parameters[name].check(name, value)
        return checked

    def with_parameters(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> Scenario:
        """A new scenario with the named parameters in ``values`` applied, re-validated.

        Only the parameters given are applied. Choosing a behaviour keeps the scenario's
        parameters of that behaviour when it is the one already there, and otherwise
        takes the new behaviour's own defaults; a parameter that targets a behaviour's
        field (a concession exponent) applies only where the chosen behaviour has that
        field. Unknown names and bad values raise :class:`ScenarioError`. Runs build
        from a cached :class:`~negotiation.plan.Plan` (:func:`negotiation.plan.plan_for`).
        """
        checked = self.check_parameters({**(values or {}), **kwargs})
        if not checked:
            return self
        # Only the tables the parameters change are dumped and validated again; the
        # others are the validated objects themselves, which pydantic takes as they are
        # (the scenario's own checks across tables all run again).
        data: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        # Behaviour choices first, so a behaviour's own parameters apply to the chosen one.
        order = sorted(checked, key=lambda n: self.parameters[n].kind != "behaviour")
        targets = [(name, target) for name in order for target in self.parameters[name].targets]
        for name, target in targets:
            with _applying(name, target):
                _thaw(data, target)
        memo: Walks | None = None  # shared once only values change, not tables
        for name, target in targets:
            param = self.parameters[name]
            if memo is None and param.kind != "behaviour":
                memo = {}
            with _applying(name, target):
                _apply(data, target, checked[name], param.mode, param.kind, memo)
        # The new scenario is a scenario as written, like a file: its parameters'
        # defaults are the values it now has.
        context: dict[str, Any] = {ADOPT_DEFAULTS: True}
        if all(self.parameters[name].kind != "behaviour" for name in checked):
            context[DERIVED_FROM] = (self, frozenset(checked))
        result = _validate(data, f"{self._source} with {_describe(checked)}", context)
        result._source = self._source
        return result

    def effective_values(
        self, values: Mapping[str, Any] | None = None, applied: Scenario | None = None
    ) -> dict[str, Any]:
        """The value every named parameter has when ``values`` are applied: what the
        outcome record reports. ``None`` marks a parameter that does not apply (an
        exponent of a behaviour that has none). ``applied``, when given, is
        ``self.with_parameters(values)``, already made (it is not made again)."""
        checked = self.check_parameters(values or {})
        scenario = self.with_parameters(checked) if applied is None else applied
        out: dict[str, Any] = {}
        memo = _walks_of(scenario)
        for name, param in self.parameters.items():
            if param.mode == "scale":
                out[name] = checked.get(name, param.default)
            else:
                out[name] = _target_value(scenario, param.targets[0], param.kind, memo)
        return out


@contextlib.contextmanager
def _applying(name: str, target: str) -> Iterator[None]:
    """A target that designates nothing, as the error of the parameter applied."""
    try:
        yield
    except KeyError as exc:
        raise ScenarioError(
            f"parameter {name!r} cannot apply to {target!r}: {exc.args[0]}"
        ) from None


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _unique(keys: list[str], what: str) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"duplicate {what} {key!r}")
        seen.add(key)
    return seen


def _check_issue_map(values: dict[str, Any], issue_keys: set[str], what: str) -> None:
    bad = set(values) - issue_keys
    if bad:
        raise ValueError(
            f"{what} names unknown issue(s) {sorted(bad)}; issues: {sorted(issue_keys)}"
        )


# --- parameter targets: dotted paths into the scenario ------------------------------------
KEYED_LISTS = ("actors", "issues")


def _child(node: Any, part: str) -> Any:
    """The table or list ``part`` of ``node`` (a dumped table or a validated model), or
    ``None`` when there is none."""
    value = _get(node, part) if isinstance(node, dict | BaseModel) else None
    return value if isinstance(value, dict | list | BaseModel) else None


def _has(node: Any, key: str) -> bool:
    if isinstance(node, BaseModel):
        return key in type(node).__pydantic_fields__
    return isinstance(node, dict) and key in node


def _get(node: Any, key: str, default: Any = None) -> Any:
    """Field ``key`` of a dumped table or a validated model."""
    if isinstance(node, BaseModel):
        return node.__dict__.get(key, default) if _has(node, key) else default
    return node.get(key, default)


# The tables at each path prefix walked in one unchanging scenario, and ("=" + path) what
# each whole path designates.
Walks = dict[str, list[Any]]


# id(scenario) -> the tables found along the paths walked in it (dropped with it)
_WALKS: dict[int, Walks] = {}


def _walks_of(scenario: Scenario) -> Walks:
    """The walks memo of a validated scenario (which never changes)."""
    memo = _WALKS.get(id(scenario))
    if memo is None:
        memo = _WALKS[id(scenario)] = {}
        weakref.finalize(scenario, _WALKS.pop, id(scenario), None)
    return memo


# id(scenario) -> {names applied: names kept} (see _kept_parameters; dropped with it)
_KEPT: dict[int, dict[frozenset[str], frozenset[str]]] = {}


def _kept_parameters(base: Scenario, applied: frozenset[str]) -> frozenset[str]:
    """The parameters of ``base`` that a scenario made from it by applying the number
    parameters ``applied`` resolves as ``base`` does: applying numbers changes no
    table's structure and no behaviour, so a parameter none of whose targets designates
    a field an applied target designates has the same targets, with the same values, and
    so the same default. Found once per base and set of names."""
    known = _KEPT.get(id(base))
    if known is None:
        known = _KEPT[id(base)] = {}
        weakref.finalize(base, _KEPT.pop, id(base), None)
    kept = known.get(applied)
    if kept is None:
        memo = _walks_of(base)

        def fields(name: str) -> set[tuple[int, str]]:
            targets = base.parameters[name].targets
            return {(id(node), key) for t in targets for node, key in _walk(base, t, memo)}

        touched = set().union(*(fields(name) for name in applied))
        kept = known[applied] = frozenset(
            name
            for name in base.parameters
            if name not in applied and fields(name).isdisjoint(touched)
        )
    return kept


def _walk(data: Any, path: str, memo: Walks | None = None) -> list[tuple[Any, str]]:
    """The tables and keys that dotted ``path`` designates in a scenario: its dump, the
    validated scenario itself, or a mix of the two (:meth:`Scenario.with_parameters`
    thaws only the tables it changes).

    List items (actors, issues) are chosen by their ``key``, by index, or all with ``*``.
    ``memo`` keeps the tables found along the paths walked in a scenario that does not
    change meanwhile, so that walks sharing a prefix find it once.
    """
    if memo is not None and f"={path}" in memo:
        return memo[f"={path}"]  # walked already, to the end
    parts = path.split(".")
    memo = {} if memo is None else memo
    nodes: list[Any] = [data]
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        known = memo.get(here)
        if known is None:
            known = memo[here] = _step(nodes, part, here, memo)
        nodes = known
    last = parts[-1]
    # A behaviour parameter may be absent (the behaviour's default applies); setting it
    # adds it, and the behaviour then validates it.
    optional = len(parts) > 1 and parts[-2] == "params"
    for node in nodes:
        if not isinstance(node, dict | BaseModel) or (not _has(node, last) and not optional):
            raise KeyError(f"{path!r} names no field ({last!r} is missing)")
    found = memo[f"={path}"] = [(node, last) for node in nodes]
    return found


def _step(nodes: list[Any], part: str, here: str, memo: Walks) -> list[Any]:
    """What ``part`` designates in each of ``nodes`` (``here`` is the path so far)."""
    out: list[Any] = []
    for node in nodes:
        if isinstance(node, list):
            if part == "*":
                out.extend(node)
            elif part.isdigit() and int(part) < len(node):
                out.append(node[int(part)])
            else:
                found = _keyed(node, memo).get(part, [])
                if not found:
                    keys = [_get(i, "key") for i in node if isinstance(i, dict | BaseModel)]
                    raise KeyError(f"{here!r} matches nothing; keys there: {keys}")
                out.extend(found)
        else:
            child = _child(node, part)
            if child is None:
                raise KeyError(f"{here!r} is not a table of the scenario")
            out.append(child)
    return out


def _keyed(items: list[Any], memo: Walks) -> dict[str, list[Any]]:
    """The items of a list by their ``key``, found once per list of the walked scenario."""
    name = f"#{id(items)}"  # not a path: paths name fields
    if name not in memo:
        index: dict[str, list[Any]] = {}
        for item in items:
            if isinstance(item, dict | BaseModel):
                index.setdefault(_get(item, "key", None), []).append(item)
        memo[name] = [index, items]  # the list is kept with its index, so its id is too
    index = memo[name][0]
    assert isinstance(index, dict)
    return index


def _thaw(data: dict[str, Any], path: str) -> None:
    """Make what dotted ``path`` designates in ``data`` (a scenario's top-level fields,
    validated tables among them) writable: the top-level table it starts in, and the
    list items it picks, are replaced by their dumps; the other tables stay the
    validated objects, shared with the scenario they come from."""
    parts = path.split(".")
    top = data.get(parts[0])
    if isinstance(top, BaseModel):
        data[parts[0]] = top.model_dump()
    elif isinstance(top, dict) and any(isinstance(v, BaseModel) for v in top.values()):
        data[parts[0]] = {k: _dumped(v) for k, v in top.items()}
    elif isinstance(top, list):
        if len(parts) < 3:
            data[parts[0]] = [_dumped(i) for i in top]
        else:
            pick = parts[1]
            data[parts[0]] = [
                _dumped(i) if pick == "*" or pick == str(n) or _get(i, "key", None) == pick else i
                for n, i in enumerate(top)
            ]


def _dumped(node: Any) -> Any:
    return node.model_dump() if isinstance(node, BaseModel) else node


def _resolve(scenario: Any, target: str, name: str, memo: Walks | None = None) -> None:
    """Check that ``target`` designates fields of the scenario; raise a clear error if not."""
    try:
        _walk(scenario, target, memo)
    except KeyError as exc:
        raise ValueError(f"parameter {name!r} target {target!r}: {exc.args[0]}") from None


def _behaviour_of(
    data: Any, target: str, memo: Walks | None = None
) -> list[tuple[str, str]] | None:
    """For a target inside a behaviour's parameters (``actors.X.offer.params.e``), the
    (behaviour kind, behaviour name) of each node it designates; ``None`` otherwise."""
    parts = target.split(".")
    if len(parts) < 3 or parts[-2] != "params" or parts[-3] not in BEHAVIOUR_FIELDS:
        return None
    kind = BEHAVIOUR_FIELDS[parts[-3]][0]
    nodes = _walk(data, ".".join(parts[:-2]), memo)
    return [(kind, str(_get(_get(node, key) or {}, "name"))) for node, key in nodes]


def _has_field(kind: str, name: str, field: str) -> bool:
    try:
        return field in registry.get(kind, name).params
    except registry.BehaviourError:
        return False


def _target_value(data: Any, target: str, kind: str, memo: Walks | None = None) -> Any:
    """The value ``target`` has in scenario ``data``, dumped or not (its first match): for a
    behaviour, its name; for a behaviour's parameter, the value it runs with (declared
    or the behaviour's default), or ``None`` if that behaviour has no such field."""
    node, key = _walk(data, target, memo)[0]
    if kind == "behaviour":
        spec = _get(node, key)
        return _get(spec, "name") if spec else DEFAULT_BEHAVIOURS[key]
    owners = _behaviour_of(data, target, memo)
    if owners is not None:
        bkind, bname = owners[0]
        if not _has_field(bkind, bname, key):
            return None
        if _has(node, key):
            return _get(node, key)
        return registry.get(bkind, bname).params[key][1]
    return _get(node, key)


def _apply(
    data: dict[str, Any], target: str, value: Any, mode: str, kind: str, memo: Walks | None
) -> None:
    """Set (or scale) what ``target`` designates in thawed scenario ``data`` to ``value``;
    ``memo`` as :func:`_walk` takes it (``None`` while behaviours are being replaced)."""
    owners = _behaviour_of(data, target, memo) if kind != "behaviour" else None
    for i, (node, key) in enumerate(_walk(data, target, memo)):
        if owners is not None and not _has_field(*owners[i], key):
            continue  # the chosen behaviour has no such field: the parameter does not apply
        if kind == "behaviour":
            current = node.get(key)
            if (current["name"] if current else DEFAULT_BEHAVIOURS[key]) != value:
                node[key] = {"name": value, "params": {}}
        elif mode == "scale":
            node[key] = node.get(key, 1.0) * value
        else:
            node[key] = value


def sync_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Set each 'set' parameter's default in dumped scenario ``data`` to the value of its
    (first) target, in place; for code that edits a scenario's data (a variant with other
    settings) and validates it as a new scenario. Returns ``data``."""
    for param in (data.get("parameters") or {}).values():
        if param.get("mode", "set") == "set" and param.get("targets"):
            try:
                value = _target_value(data, param["targets"][0], param.get("kind", "number"))
            except (KeyError, TypeError, IndexError):
                continue  # validation reports the bad target
            if value is not None:
                param["default"] = value
    return data


def set_delegation_offers(data: dict[str, Any], name: str) -> None:
    """Make both delegations of dumped scenario ``data`` bid with offer strategy
    ``name``, keeping their time-dependent exponent (0.5 when they had none)."""
    for actor in data["actors"]:
        if actor["kind"] == "delegation":
            offer = actor.get("offer") or {}
            exponent = (offer.get("params") or {}).get("e", 0.5)
            actor["offer"] = {"name": name, "params": {"e": exponent}}


def first_release_protocol(data: dict[str, Any]) -> dict[str, Any]:
    """Switch dumped scenario ``data`` to the first release's protocol, in place:
    time-dependent delegations (keeping their exponent, 0.5 if none), linear utility
    without loss aversion, texts as offered, a sure win-set, the rounds clock, no summit
    endorsement, no audience costs and no anticipated ratification. The shipped
    scenarios run a later default protocol (docs/validation.md, "Choosing the
    defaults"); this is the base for comparing the two. Returns ``data``; validate it
    with :func:`sync_defaults` as a new scenario."""
    set_delegation_offers(data, "time-dependent")
    data["calendar"]["clock"] = "rounds"
    data["settings"].update(
        loss_aversion=1.0,
        issue_curvature=1.0,
        focal_drafting=False,
        ratification_noise=0.0,
        summit_endorsement=False,
        audience_cost=0.0,
        winset_anticipation=False,
    )
    return data


def first_release(scenario: Scenario) -> Scenario:
    """``scenario`` with the first release's protocol (see
    :func:`first_release_protocol`), validated like a file."""
    return Scenario.model_validate(sync_defaults(first_release_protocol(scenario.model_dump())))


def _target_default(
    scenario: Any, name: str, param: ParameterSpec, memo: Walks | None = None
) -> Any:
    """A parameter's default: the value of what it targets, so that a run at the defaults
    is the scenario as written and records what it ran (1 for a 'scale' parameter). Raises
    if the targets disagree or the value is outside the parameter's range."""
    if param.mode == "scale":
        return 1.0
    values = []
    for target in param.targets:
        value = _target_value(scenario, target, param.kind, memo)
        if value is None and _behaviour_of(scenario, target, memo) is not None:
            continue  # not applicable to the behaviour there
        values.append((target, value))
    if not values:
        return param.default if param.default is not None else param.low
    if any(v != values[0][1] for _, v in values):
        shown = ", ".join(f"{t} = {v!r}" for t, v in values)
        raise ValueError(f"parameter {name!r}: its targets have different values ({shown})")
    default = values[0][1]
    try:
        param.check(name, default)
    except ScenarioError as exc:
        raise ValueError(f"{exc} (the value of {values[0][0]})") from None
    return default


# --- loading -------------------------------------------------------------------------------
SCENARIO_PACKAGE = "negotiation.scenarios"


def builtin_scenarios() -> dict[str, str]:
    """``{name: one-line description}`` of the scenarios shipped with the package."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files(SCENARIO_PACKAGE).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            scenario = load_scenario(entry.name[: -len(".toml")])
            out[scenario.name] = scenario.scenario.title
    return out


_BUILTIN_CACHE: dict[str, Scenario] = {}
MAX_SCENARIO_BYTES = 5_000_000


def _read_text(path: Path) -> str:
    """The file's text, or a :class:`ScenarioError` saying why it cannot be read."""
    return read_utf8(path, "scenario", ScenarioError, MAX_SCENARIO_BYTES)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a TOML file by path; validate it fully.

    Raises :class:`ScenarioError` with the file, field, value and what is allowed.
    """
    text_name = str(name_or_path)
    if text_name in _BUILTIN_CACHE:
        return _BUILTIN_CACHE[text_name]
    path = Path(name_or_path)
    builtin = resources.files(SCENARIO_PACKAGE).joinpath(f"{text_name}.toml")
    is_builtin = not path.suffix and builtin.is_file()
    if is_builtin:
        source, text = f"{text_name} (built-in)", builtin.read_text(encoding="utf-8")
    elif path.is_file():
        source, text = str(path), _read_text(path)
    elif path.exists():
        raise ScenarioError(f"{path}: not a file (a scenario is one TOML file)")
    else:
        names = sorted(
            p.name[:-5]
            for p in resources.files(SCENARIO_PACKAGE).iterdir()
            if p.name.endswith(".toml")
        )
        raise ScenarioError(
            f"no scenario {text_name!r}: neither a built-in name ({', '.join(names)}) "
            "nor an existing file"
        )
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: not valid TOML: nested too deeply") from None
    scenario = _validate(raw, source)
    scenario._source = source
    if is_builtin:
        _BUILTIN_CACHE[text_name] = scenario
    return scenario


def scenario_from_data(data: dict[str, Any], source: str) -> Scenario:
    """A scenario from data shaped like a scenario file (an edited copy of another
    scenario's dump, say), validated exactly as :func:`load_scenario` validates a file;
    ``source`` names it in the error message and in :attr:`Scenario.source`.

    Raises :class:`ScenarioError` with the field, value and what is allowed."""
    scenario = _validate(data, source)
    scenario._source = source
    return scenario


def _validate(raw: dict[str, Any], source: str, context: dict[str, Any] | None = None) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw, context=context)
    except ValidationError as exc:
        raise ScenarioError(_format_error(exc, raw, source)) from None
    except RecursionError:
        raise ScenarioError(f"{source}: invalid scenario: nested too deeply") from None
    return scenario


def _format_error(exc: ValidationError, raw: dict[str, Any], source: str) -> str:
    """One readable line per problem: file, field path (with actor keys), message, value."""
    lines = []
    for err in exc.errors():
        where = _location(err["loc"], raw)
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if isinstance(value, datetime | date):
            value = value.isoformat()
        shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
        allowed = ""
        ctx = err.get("ctx") or {}
        if "expected" in ctx:
            allowed = f"; allowed: {ctx['expected']}"
        lines.append(
            f"{where}: {message}{shown}{allowed}" if where else f"{message}{shown}{allowed}"
        )
    count = len(lines)
    head = f"{source}: invalid scenario ({count} problem{'s' if count > 1 else ''})"
    return head + "\n  " + "\n  ".join(lines)


def _location(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            label = ""
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                item = node[part]
                label = item.get("key") or item.get("label") or ""
            parts[-1] = (
                f"{parts[-1]}[{part}]" + (f" ({label})" if label else "") if parts else f"[{part}]"
            )
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)
