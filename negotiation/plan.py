"""The resolved plan: a scenario compiled once, with its parameter values, for many runs.

Data flows one way: *scenario* (validated file) -> *plan* (this module) -> *model* (one
run) -> *outcome record*. A plan holds the scenario with the named parameters applied
(re-validated like a file), the effective value of every named parameter, a digest of
what will run, and everything derived from it that does not change between runs: the
calendar, the preference template, the mandate layout, each actor's behaviour classes
with their validated parameters, the event plan and the bargaining analysis. Runs read
the plan and copy what they change; neither the scenario nor the plan is ever written by
a run (the shared arrays are read-only).

:func:`plan_for` caches plans per scenario object (weakly, so a dropped scenario frees
its plans) and per distinct parameter values, so that a sweep that revisits a setting
compiles it once.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from negotiation.behaviours import registry
from negotiation.calendar import Calendar
from negotiation.mandate import Mandates
from negotiation.preferences import Preferences
from negotiation.scenario import BEHAVIOUR_FIELDS, ActorSpec, CalendarSpec, Scenario

if TYPE_CHECKING:
    from negotiation.events import EventPlan
    from negotiation.outcome import Analysis

PLAN_CACHE_SIZE = 64  # plans kept per scenario: sampled designs visit a setting once

BehaviourTable = dict[tuple[str, str], tuple[type, dict[str, Any]]]


class Plan:
    """One scenario setting, resolved and validated, shared by every run of it."""

    def __init__(self, base: Scenario, overrides: Mapping[str, Any] | None = None) -> None:
        checked = base.check_parameters(overrides or {})
        self.base = base
        self.overrides: dict[str, Any] = checked
        self.scenario: Scenario = base.with_parameters(checked)
        self.values: dict[str, Any] = base.effective_values(checked, applied=self.scenario)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the resolved scenario: two runs with the same digest and seed are the
        same run (given the same code version)."""
        text = self.scenario.run_json()
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @cached_property
    def calendar(self) -> Calendar:
        """The rounds: shared by the plans whose scenarios share the calendar (those that
        named parameters derive from one scenario, see ``Scenario.with_parameters``)."""
        return _shared_calendar(self.scenario.calendar)

    @cached_property
    def people(self) -> list[ActorSpec]:
        """Actors with preferences, in preference-row order: the delegations first (side
        order, so their mandates are one contiguous block), then the scenario's order."""
        return sorted(
            (a for a in self.scenario.actors if a.kind != "host"),
            key=lambda a: (
                a.kind != "delegation",
                self.scenario.sides.index(a.side) if a.kind == "delegation" and a.side else 0,
            ),
        )

    @cached_property
    def rows(self) -> dict[str, int]:
        """Preference row of each actor with preferences."""
        return {a.key: r for r, a in enumerate(self.people)}

    @cached_property
    def group_keys(self) -> dict[str, list[str]]:
        """Each side's interest groups, in the scenario's order."""
        out: dict[str, list[str]] = {side: [] for side in self.scenario.sides}
        for a in self.scenario.actors:
            if a.kind == "group" and a.side is not None:
                out[a.side].append(a.key)
        return out

    @cached_property
    def preferences(self) -> Preferences:
        """The opening preference arrays (read-only: every run copies them)."""
        space = self.scenario.space
        ideal = [[a.position.get(i.key, i.status_quo) for i in space] for a in self.people]
        salience = [[a.salience.get(i.key, 0.0) for i in space] for a in self.people]
        settings = self.scenario.settings
        shared = Preferences.build(
            ideal, salience, space, settings.loss_aversion, settings.issue_curvature
        )
        for array in (shared.ideal, shared.weight, shared.scale, shared.slope):
            array.setflags(write=False)
        return shared

    @cached_property
    def mandates(self) -> Mandates:
        """The shared (read-only) mandate layout; a run takes ``fresh`` copies."""
        delegations = {str(a.side): a.key for a in self.people if a.kind == "delegation"}
        return Mandates(
            self.preferences,
            self.scenario.space,
            [self.rows[delegations[side]] for side in self.scenario.sides],
            [[self.rows[k] for k in self.group_keys[side]] for side in self.scenario.sides],
        ).template()

    @cached_property
    def behaviours(self) -> BehaviourTable:
        """(actor key, behaviour field) -> (class, validated parameters), for every actor
        and every behaviour its kind has (the default of the kind where none is named)."""
        table: BehaviourTable = {}
        for actor in self.scenario.actors:
            for field, (kind, actor_kinds) in BEHAVIOUR_FIELDS.items():
                if actor.kind in actor_kinds:
                    spec = actor.behaviour(field)
                    info = registry.get(kind, spec.name)
                    table[(actor.key, field)] = (info.cls, info.validate(spec.params))
        return table

    @cached_property
    def events(self) -> EventPlan:
        from negotiation.events import event_plan

        return event_plan(self.scenario, self.calendar)

    @cached_property
    def analysis(self) -> Analysis:
        from negotiation.outcome import analyse

        return analyse(self.scenario)


# id(calendar spec) -> (a weak reference to it, its calendar)
_CALENDARS: dict[int, tuple[weakref.ref[CalendarSpec], Calendar]] = {}


def _shared_calendar(spec: CalendarSpec) -> Calendar:
    """The calendar of ``spec``, made once per spec object (specs are frozen)."""
    known = _CALENDARS.get(id(spec))
    if known is not None and known[0]() is spec:
        return known[1]
    calendar = Calendar(spec)
    _CALENDARS[id(spec)] = (weakref.ref(spec), calendar)
    weakref.finalize(spec, _CALENDARS.pop, id(spec), None)
    return calendar


# id(scenario) -> its plans; an entry is dropped when its scenario is collected (pydantic
# models of dicts are not hashable, so a WeakKeyDictionary cannot hold them).
_PLANS: dict[int, OrderedDict[tuple[tuple[str, Any], ...], Plan]] = {}


def plan_for(scenario: Scenario, params: Mapping[str, Any] | None = None) -> Plan:
    """The plan of ``scenario`` with named parameters ``params`` (cached).

    Unknown names and bad values raise :class:`~negotiation.scenario.ScenarioError`.
    """
    checked = scenario.check_parameters(params or {})
    key = tuple(sorted(checked.items()))
    plans = _PLANS.get(id(scenario))
    if plans is None:
        plans = _PLANS[id(scenario)] = OrderedDict()
        weakref.finalize(scenario, _PLANS.pop, id(scenario), None)
    plan = plans.get(key)
    if plan is None:
        plan = Plan(scenario, checked)
        if len(plans) >= PLAN_CACHE_SIZE:
            plans.popitem(last=False)
        plans[key] = plan
    return plan
