"""The state of a batch of runs: one array per quantity, the run axis first.

A run's opening state is the per-run model's (:class:`negotiation.model.
TradeTalksModel` as built): the plan's preferences and mandates, the scenario's
credibility, and the run's own draws (private resolve, domestic mood, the rounds its
random shocks hit), each from the counter-based streams of its seed
(:mod:`negotiation.streams`), computed for the whole batch at once with the same
arithmetic, so that a run's draws are those it has alone.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from negotiation import streams
from negotiation.lockstep.layout import Layout
from negotiation.plan import Plan
from negotiation.streams import Stream

Array = npt.NDArray[Any]


class State(NamedTuple):
    """Every run's changing state (see :mod:`negotiation.lockstep.protocol`); ``plan``
    is each run's plan in the batch (its row of the stacked layout)."""

    plan: Array
    ideal: Array
    weight: Array
    scale: Array
    slope: Array
    ref_dist: Array
    no_deal_perceived: Array
    credibility: Array
    peak_credibility: Array
    delegation_shift: Array
    leader_shift: Array
    floor: Array
    mood: Array
    goodwill: Array
    urgency: Array
    pull: Array
    base: Array
    mandate_changed: Array
    estimate_ideal: Array
    estimate_weight: Array
    previous: Array
    seen: Array
    has_next: Array
    next_offer: Array
    offer: Array
    gap: Array
    gaps: Array
    running: Array
    ended: Array
    rounds_played: Array
    has_framework: Array
    has_summit: Array
    agreement: Array
    source: Array
    agreement_round: Array
    framework_round: Array
    vetoes: Array
    vetoed_by: Array
    shock_at: Array


def joined(states: list[State], order: Array) -> State:
    """One state of the runs of ``states`` (each the runs of one plan, numbered by its
    plan's place in ``states``): run ``i`` of the batch is run ``order[i]`` of the
    concatenation."""
    if len(states) == 1:
        return states[0]
    return State(*(np.concatenate(arrays)[order] for arrays in zip(*states, strict=True)))


def opening_state(plan: Plan, layout: Layout, seeds: npt.ArrayLike, index: int = 0) -> State:
    """The opening state of one run of ``plan`` per seed (integers from 0 to 2**64 - 1),
    the plan being the ``index``-th of its batch."""
    keys = np.asarray(seeds, dtype=np.uint64).reshape(-1)
    n = keys.shape[0]
    prefs, settings = plan.preferences, plan.scenario.settings
    k = layout.low.shape[0]
    groups = layout.group_row.shape[0]
    scenario = plan.scenario
    by_side = {
        kind: [
            next(a for a in scenario.actors if a.kind == kind and a.side == s)
            for s in scenario.sides
        ]
        for kind in ("delegation", "leader")
    }
    delegation_shift = np.tile([a.reservation_shift for a in by_side["delegation"]], (n, 1))
    leader_shift = np.tile([a.reservation_shift for a in by_side["leader"]], (n, 1))
    mood = np.zeros((n, 2))
    if settings.resolve_noise > 0:
        sd = settings.resolve_noise
        delegation_shift += sd * _normal(keys, Stream.DELEGATION_RESOLVE)
        leader_shift += sd * _normal(keys, Stream.LEADER_RESOLVE)
    if settings.ratification_noise > 0:
        mood = settings.ratification_noise * _logistic(keys, Stream.DOMESTIC_MOOD)
    credibility = np.full((n, 2), settings.threat_credibility)
    base = np.broadcast_to(plan.mandates._base, (n, *plan.mandates._base.shape)).copy()
    estimate_weight = np.full((n, 2, k), 1.0 / k)
    state = State(
        plan=np.full(n, index, dtype=np.int64),
        ideal=_tiled(prefs.ideal, n),
        weight=_tiled(prefs.weight, n),
        scale=_tiled(prefs.scale, n),
        slope=_tiled(prefs.slope, n),
        ref_dist=_tiled(prefs.ref_dist, n),
        no_deal_perceived=np.zeros((n, k)),
        credibility=credibility,
        peak_credibility=credibility.copy(),
        delegation_shift=delegation_shift,
        leader_shift=leader_shift,
        floor=np.full((n, 2), -np.inf),
        mood=mood,
        goodwill=np.zeros(n),
        urgency=np.tile([_group_urgency(plan, layout)], (n, 1)).reshape(n, groups),
        pull=np.zeros((n, groups, k)),
        base=base,
        mandate_changed=np.zeros(n, dtype=np.bool_),
        estimate_ideal=np.broadcast_to(layout.status_quo, (n, 2, k)).copy(),
        estimate_weight=estimate_weight,
        previous=np.zeros((n, 2, k)),
        seen=np.zeros((n, 2), dtype=np.bool_),
        has_next=np.zeros((n, 2), dtype=np.bool_),
        next_offer=np.zeros((n, 2, k)),
        offer=np.zeros((n, 2, k)),
        gap=np.ones(n),
        gaps=np.zeros((n, max(layout.rounds, 1))),
        running=np.ones(n, dtype=np.bool_),
        ended=np.zeros(n, dtype=np.int64),
        rounds_played=np.zeros(n, dtype=np.int64),
        has_framework=np.zeros(n, dtype=np.bool_),
        has_summit=np.zeros(n, dtype=np.bool_),
        agreement=np.zeros((n, k)),
        source=np.zeros(n, dtype=np.int64),
        agreement_round=np.full(n, -1, dtype=np.int64),
        framework_round=np.full(n, -1, dtype=np.int64),
        vetoes=np.zeros(n, dtype=np.int64),
        vetoed_by=np.zeros(n, dtype=np.int64),
        shock_at=_shock_rounds(plan, keys),
    )
    _perceive_no_deal(layout, state)
    return state


def _tiled(matrix: Array, n: int) -> Array:
    return np.broadcast_to(matrix, (n, *matrix.shape)).copy()


def _group_urgency(plan: Plan, layout: Layout) -> list[float]:
    actors = {a.key: a for a in plan.scenario.actors}
    keys = [key for side in plan.scenario.sides for key in plan.group_keys[side]]
    return [float(actors[key].urgency) for key in keys]


def _normal(keys: Array, stream: int) -> Array:
    """Each run's two normal variates of ``stream`` (:func:`negotiation.streams.normal`:
    the uniforms vectorised, the C library's functions element by element)."""
    u = streams.uniform(keys[:, None], stream, np.arange(4)).tolist()
    return np.array(
        [
            [
                math.sqrt(-2.0 * math.log(r[2 * i])) * math.cos(2.0 * math.pi * r[2 * i + 1])
                for i in range(2)
            ]
            for r in u
        ]
    ).reshape(len(keys), 2)


def _logistic(keys: Array, stream: int) -> Array:
    """Each run's two logistic variates of ``stream`` (:func:`negotiation.streams.logistic`)."""
    u = streams.uniform(keys[:, None], stream, np.arange(2)).tolist()
    return np.array([[math.log(x / (1.0 - x)) for x in r] for r in u]).reshape(len(keys), 2)


def _shock_rounds(plan: Plan, keys: Array) -> Array:
    """For each run, shock and calendar day, the round the shock hits on that day, or 0
    (:func:`negotiation.events.schedule_all`: a hit with the shock's daily
    probability, at a round of the day chosen uniformly)."""
    _, shocks, days = plan.events
    out = np.zeros((keys.shape[0], len(shocks), len(days)), dtype=np.int64)
    for s, (p, _, _, _) in enumerate(shocks):
        hit = streams.uniform(keys[:, None], Stream.SHOCK + s, np.arange(0, 2 * len(days), 2))
        at = streams.uniform(keys[:, None], Stream.SHOCK + s, np.arange(1, 2 * len(days), 2))
        for d, numbers in enumerate(days):
            pick = np.minimum((at[:, d] * len(numbers)).astype(np.int64), len(numbers) - 1)
            chosen = np.asarray(numbers, dtype=np.int64)[pick]
            out[:, s, d] = np.where(hit[:, d] < p, chosen, 0)
    return out


def _perceive_no_deal(layout: Layout, state: State) -> None:
    """The opening no-deal package as expected (credibility weighted)."""
    nd = np.broadcast_to(layout.no_deal, state.no_deal_perceived.shape).copy()
    for j, side in enumerate(layout.threatened_by):
        if side >= 0:
            nd[:, j] = layout.status_quo[j] + state.credibility[:, side] * (
                layout.no_deal[j] - layout.status_quo[j]
            )
    state.no_deal_perceived[:] = nd
