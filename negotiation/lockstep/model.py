"""Many seeded runs of one plan in lockstep, hosted by one Mesa model.

:class:`LockstepTalks` is to a batch of runs what :class:`~negotiation.model.
TradeTalksModel` is to one: one Mesa step plays one round of the calendar for every run
still going (``running`` while any is), dated events wait on Mesa's event list and
apply to the runs still going when they fire, and random shocks are per-run rounds
drawn when the batch is built. The round itself is one compiled call over the batch
(:mod:`negotiation.lockstep.protocol`). Each actor is a Mesa agent of the batch
(:class:`BatchActor`) with live views of its rows of the batch's arrays. A run's result
depends on its seed and its plan alone, never on the batch: the same seeds give the same
columns in batches of 1, 7 or 1,000, in any order.

The outcome columns (:func:`negotiation.lockstep.columns.outcome_columns`) are those
of the per-run outcome records for the same seeds; the record of one run, with its
reasons and timeline, is the per-run model's (``run_once``) for that seed.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import mesa
import numba
import numpy as np
import numpy.typing as npt

from negotiation import streams
from negotiation.lockstep.collection import collection_paused
from negotiation.lockstep.layout import Layout, by_side, coverage_problem, layout_for, stacked
from negotiation.lockstep.protocol import (
    apply_effect,
    conclude_round,
    endorse_round,
    escalate_round,
    finish_round,
    mandate_round,
    offer_round,
    open_round,
    play_round,
    propose_round,
)
from negotiation.lockstep.state import State, opening_state
from negotiation.lockstep.structs import Arrays, as_struct
from negotiation.lockstep.vectorised import (
    BatchArrays,
    BehaviourGroup,
    acceptance_groups,
    add_pressures,
    ask_at_agreement,
    ask_at_deadline,
    ask_at_endorsement,
    escalation_groups,
    lobbying_groups,
    mediation_groups,
    offer_groups,
    opponent_groups,
    ratification_groups,
    set_targets,
    set_verdicts,
    shift_threats,
    table_texts,
    update_beliefs,
)
from negotiation.outcome import Outcome
from negotiation.plan import Plan, plan_for
from negotiation.scenario import Scenario, load_scenario

DEFAULT_SCENARIO = "kuala-lumpur-2025"


class LockstepTalks(mesa.Model):
    """The talks for every seed in ``seeds``, one round of all of them per step.

    ``scenario`` is a :class:`Scenario` or the name/path of one; keyword arguments set
    its named parameters for every run, and ``points`` (one mapping per seed) adds each
    run's own, so that the runs of a sweep's design points share a batch; ``plans`` (one
    per seed, of ``scenario``) gives the runs' plans instead, when the caller has them. Raises
    :class:`~negotiation.lockstep.layout.NotCovered` for a plan the engine does not run.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = DEFAULT_SCENARIO,
        seeds: Iterable[int] | npt.NDArray[np.integer[Any]] = (0,),
        *,
        points: Sequence[Mapping[str, Any]] | None = None,
        plans: Sequence[Plan] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(rng=0)
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        words = seeds.reshape(-1).tolist() if isinstance(seeds, np.ndarray) else list(seeds)
        self.seeds = np.array([streams.seed_key(s) for s in words], dtype=np.uint64)
        for each in (points, plans):
            if each is not None and len(each) != len(self.seeds):
                raise ValueError(f"{len(each)} points for {len(self.seeds)} seeds: one per seed")
        if plans is None:
            plans = _per_run_plans(base, params, points, len(self.seeds))
        self.plans, plan_of_run = _distinct(plans)
        self.plan: Plan = self.plans[0]  # the plan of every run when no points are given
        if len(self.plans) == 1:
            self.layout, self._layout = _alone(self.plan)
        else:
            self.layout = stacked([_layout_of(plan) for plan in self.plans])
            self._layout = as_struct(self.layout)
        self.state: State = opening_state(self.plans, self.layout, self.seeds, plan_of_run)
        self._state = as_struct(self.state)  # what compiled code receives: the same arrays
        self.active = np.arange(len(self.seeds), dtype=np.int64)
        calendar = self.plan.calendar
        self._times = np.array([calendar.negotiation_time(n) for n in range(len(calendar) + 2)])
        self._events = [_DatedEvent(self, e) for e in range(self.layout.event_effect.shape[0])]
        numbers = np.repeat(
            np.arange(len(calendar) + 1), np.diff(self.layout.event_start)[: len(calendar) + 1]
        )
        for event, number in zip(self._events, numbers, strict=True):
            self.schedule_event(event.fire, at=float(number) - 0.5)
        groups = _vectorised(self.plans)
        self._offer_groups, self._acceptance_groups = groups[0], groups[1]
        self._lobbying_groups, self._escalation_groups = groups[2], groups[3]
        self._opponent_groups, self._ratification_groups = groups[4], groups[5]
        self._mediation_groups = groups[6]
        self._phased = any(groups)  # a vectorised behaviour is asked between phases
        self.actors: dict[str, BatchActor] = {
            a.key: BatchActor(self, a.key, a.label, a.kind, a.side, self.plan.rows.get(a.key))
            for a in self.plan.scenario.actors
        }
        self.running = len(self.seeds) > 0

    def step(self) -> None:
        """Play one round of every run still going."""
        number = self.steps
        if number > self.layout.rounds or not self.running:
            self.running = False
            return
        t, t_next = float(self._times[number]), float(self._times[number + 1])
        if self._phased:
            self._play_in_phases(number, t, t_next)
        else:
            play_round(self._layout, self._state, number, t, t_next, self.active)
        self.active = self.active[self.state.running[self.active]]
        self.running = self.active.size > 0

    def _play_in_phases(self, number: int, t: float, t_next: float) -> None:
        """The round with the vectorised behaviours asked between its phases: the
        lobbying rules' pressure before the mandates, the offer strategies' targets at
        time ``t`` for the offers and at ``t_next`` for acceptance's next offers, the
        opponent models' beliefs between them, the acceptance rules' verdicts, the
        escalation rules, leader by leader, when no agreement was reached, the
        ratification rules before each phase that puts a package to their leaders, and
        the host's mediation rule after the mandates."""
        layout, state, structure = self._layout, self.state, self._state
        batch = BatchArrays(self.layout, layout, state, structure)
        offers, leaders = self._offer_groups, self._ratification_groups
        open_round(layout, structure, number, self.active)
        self._endorse(batch, self.active, t, number)
        runs = self.active[state.bargaining[self.active]]
        add_pressures(self._lobbying_groups, batch, runs, t, number)
        mandate_round(layout, structure, runs)
        table_texts(self._mediation_groups, batch, runs, t, number)
        set_targets(offers, batch, runs, t, number, state.target)
        offer_round(layout, structure, number, t, runs)
        update_beliefs(self._opponent_groups, batch, runs, t, number)
        set_targets(offers, batch, runs, t_next, number, state.target_next)
        set_verdicts(self._acceptance_groups, batch, runs, t, t_next, number)
        propose_round(layout, structure, t_next, runs)
        ask_at_agreement(leaders, batch, runs, t, number)
        conclude_round(layout, structure, number, runs)
        self._endorse(batch, runs, t, number)
        going = runs[state.escalating[runs]]
        for side in self.layout.leader_order.tolist():
            shift_threats(self._escalation_groups, side, batch, going, t, number)
            escalate_round(layout, structure, number, side, going)
        ask_at_deadline(leaders, batch, going, t, number)
        finish_round(layout, structure, number, going)

    def _endorse(
        self, batch: BatchArrays, runs: npt.NDArray[np.int64], t: float, number: int
    ) -> None:
        """The summit's endorsements the phases marked among ``runs``, the vectorised
        ratification rules asked first."""
        ask_at_endorsement(self._ratification_groups, batch, runs, t, number)
        endorse_round(self._layout, self._state, runs)

    def run(self) -> State:
        """Play every round until every run has ended; return the final state."""
        while self.running:
            self.step()
        return self.state


_LAYOUTS: weakref.WeakKeyDictionary[Plan, Layout] = weakref.WeakKeyDictionary()
_ALONE: weakref.WeakKeyDictionary[Plan, tuple[Layout, Arrays]] = weakref.WeakKeyDictionary()


def _layout_of(plan: Plan) -> Layout:
    """The plan's layout, made once per plan (plans are cached, so the runs of a setting
    share it)."""
    layout = _LAYOUTS.get(plan)
    if layout is None:
        layout = _LAYOUTS[plan] = layout_for(plan)
    return layout


def _alone(plan: Plan) -> tuple[Layout, Arrays]:
    """The plan's layout stacked as a batch of its runs alone, and its structure for
    compiled code, made once per plan."""
    cached = _ALONE.get(plan)
    if cached is None:
        alone = stacked([_layout_of(plan)])
        cached = _ALONE[plan] = (alone, as_struct(alone))
    return cached


def _vectorised(plans: list[Plan]) -> tuple[list[BehaviourGroup], ...]:
    """The vectorised offer strategies, acceptance rules, lobbying rules, escalation
    rules, opponent models, ratification rules and mediation rules of a batch's plans
    (which share their actors)."""
    scenario = plans[0].scenario
    delegations = [a.key for a in by_side(scenario, "delegation")]
    leaders = [a.key for a in by_side(scenario, "leader")]
    groups = [key for side in scenario.sides for key in plans[0].group_keys[side]]
    return (
        offer_groups(plans, delegations),
        acceptance_groups(plans, delegations),
        lobbying_groups(plans, groups),
        escalation_groups(plans, leaders),
        opponent_groups(plans, delegations),
        ratification_groups(plans, leaders),
        mediation_groups(plans, [a.key for a in scenario.actors if a.kind == "host"][:1]),
    )


def _per_run_plans(
    base: Scenario,
    params: Mapping[str, Any],
    points: Sequence[Mapping[str, Any]] | None,
    runs: int,
) -> list[Plan]:
    """Each run's plan: ``params`` for all, with each run's point when given."""
    if points is None:
        return [plan_for(base, params)] * runs
    return [plan_for(base, {**params, **point}) for point in points]


def _distinct(plans: Sequence[Plan]) -> tuple[list[Plan], npt.NDArray[np.int64]]:
    """The distinct plans of a batch's runs, in order of first use, and each run's
    place among them."""
    index: dict[int, int] = {}
    distinct: list[Plan] = []
    for plan in plans:
        if id(plan) not in index:
            index[id(plan)] = len(distinct)
            distinct.append(plan)
    return distinct, np.array([index[id(plan)] for plan in plans], dtype=np.int64)


class BatchActor(mesa.Agent):
    """One actor of the talks across the batch: its identity and live, read-only views of
    its rows of the batch's arrays (the decisions are the compiled protocol's)."""

    model: LockstepTalks

    def __init__(
        self,
        model: LockstepTalks,
        key: str,
        label: str,
        kind: str,
        side: str | None,
        row: int | None,
    ) -> None:
        super().__init__(model)
        self.key, self.label, self.kind, self.side, self.row = key, label, kind, side, row

    def _rows(self, array: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if self.row is None:
            raise TypeError(f"{self.label} has no preferences over the issues")
        view = array[:, self.row]
        view.flags.writeable = False
        return view

    @property
    def ideal(self) -> npt.NDArray[np.float64]:
        """Each run's current ideal package of this actor, ``(runs, issues)``."""
        return self._rows(self.model.state.ideal)

    @property
    def weights(self) -> npt.NDArray[np.float64]:
        """Each run's current issue weights of this actor, ``(runs, issues)``."""
        return self._rows(self.model.state.weight)


class _DatedEvent:
    """One dated event on Mesa's event list: its effects, for every run still going
    (Mesa holds callbacks weakly, so the model keeps these alive)."""

    def __init__(self, model: LockstepTalks, index: int) -> None:
        self.model = model
        self.effect = int(model.layout.event_effect[index])

    def fire(self) -> None:
        model = self.model
        _apply_to(model._layout, model._state, self.effect, model.active)


@numba.njit(cache=True)
def _apply_to(layout: Any, state: Any, effect: int, runs: Any) -> None:
    for i in range(runs.shape[0]):
        if state.running[runs[i]]:
            apply_effect(layout, state, runs[i], effect)


def run_lockstep(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO,
    seeds: Iterable[int] | npt.NDArray[np.integer[Any]] = (0,),
    params: dict[str, Any] | None = None,
) -> State:
    """Every seed's run of ``scenario`` with ``params``, in one batch: the final state."""
    return LockstepTalks(scenario, seeds, **(params or {})).run()


BATCH_RUNS = 1000  # runs per lockstep batch in run_seeds: memory stays small and flat


def run_seeds(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO,
    seeds: Iterable[int] = (0,),
    params: dict[str, Any] | None = None,
) -> list[Outcome]:
    """The outcome record of each seed's run of ``scenario`` with ``params``, as
    ``run_once`` gives it: from lockstep batches where the engine covers the plan, one
    run at a time where it does not."""
    from negotiation.lockstep.columns import outcome_records
    from negotiation.model import run_once

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    values = dict(params or {})
    todo = [int(s) for s in seeds]
    if coverage_problem(plan_for(base, values)) is not None:
        return [run_once(base, seed, values) for seed in todo]
    records: list[Outcome] = []
    for start in range(0, len(todo), BATCH_RUNS):
        with collection_paused():
            model = LockstepTalks(base, todo[start : start + BATCH_RUNS], **values)
            model.run()
            records += outcome_records(model)
    return records
