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

import numba
import numpy as np
import numpy.typing as npt

from negotiation import streams
from negotiation.lockstep.layout import Layout, NotCovered
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
    target: Array
    target_next: Array
    bargaining: Array
    escalating: Array
    endorsing: Array
    accepted: Array
    accepted_text: Array
    pending: Array
    text: Array
    has_text: Array
    pending_source: Array
    verdict_ok: Array
    verdict_failing: Array
    verdict_blockers: Array
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


def opening_state(
    plans: list[Plan], layout: Layout, seeds: npt.ArrayLike, plan_of_run: npt.ArrayLike
) -> State:
    """The opening state of a batch: run ``i`` is the run of seed ``seeds[i]`` (integers
    from 0 to 2**64 - 1) of plan ``plans[plan_of_run[i]]``, ``layout`` the plans'
    layouts stacked (:func:`~negotiation.lockstep.layout.stacked`).

    Each plan's opening values are taken once and gathered for its runs; the random
    draws are made for the whole batch at once, each with its run's own numbers."""
    keys = np.asarray(seeds, dtype=np.uint64).reshape(-1)
    run_plan = np.asarray(plan_of_run, dtype=np.int64).reshape(-1)
    n, k = keys.shape[0], layout.low.shape[1]
    groups = layout.group_row.shape[0]
    opening = [_opening_values(plan) for plan in plans]

    def gathered(name: str) -> Array:
        return np.stack([np.asarray(o[name], dtype=float) for o in opening])[run_plan]

    delegation_shift, leader_shift = gathered("delegation_shift"), gathered("leader_shift")
    resolve_noise = gathered("resolve_noise")
    if np.any(resolve_noise > 0):
        sd = resolve_noise[:, None]
        noisy = sd > 0
        drawn = delegation_shift + sd * _normal(keys, Stream.DELEGATION_RESOLVE)
        delegation_shift = np.where(noisy, drawn, delegation_shift)
        drawn = leader_shift + sd * _normal(keys, Stream.LEADER_RESOLVE)
        leader_shift = np.where(noisy, drawn, leader_shift)
    mood = np.zeros((n, 2))
    ratification_noise = gathered("ratification_noise")[:, None]
    if np.any(ratification_noise > 0):
        mood = np.where(
            ratification_noise > 0, ratification_noise * _logistic(keys, Stream.DOMESTIC_MOOD), 0.0
        )
    credibility = np.repeat(gathered("threat_credibility")[:, None], 2, axis=1)
    state = State(
        plan=run_plan.copy(),
        ideal=gathered("ideal"),
        weight=gathered("weight"),
        scale=gathered("scale"),
        slope=gathered("slope"),
        ref_dist=gathered("ref_dist"),
        no_deal_perceived=np.zeros((n, k)),
        credibility=credibility,
        peak_credibility=credibility.copy(),
        delegation_shift=delegation_shift,
        leader_shift=leader_shift,
        floor=np.full((n, 2), -np.inf),
        mood=mood,
        goodwill=np.zeros(n),
        urgency=gathered("urgency").reshape(n, groups),
        pull=np.zeros((n, groups, k)),
        base=gathered("base"),
        mandate_changed=np.zeros(n, dtype=np.bool_),
        estimate_ideal=np.repeat(layout.status_quo[run_plan][:, None, :], 2, axis=1),
        estimate_weight=np.full((n, 2, k), 1.0 / k),
        previous=np.zeros((n, 2, k)),
        seen=np.zeros((n, 2), dtype=np.bool_),
        has_next=np.zeros((n, 2), dtype=np.bool_),
        next_offer=np.zeros((n, 2, k)),
        target=np.zeros((n, 2)),
        target_next=np.zeros((n, 2)),
        bargaining=np.zeros(n, dtype=np.bool_),
        escalating=np.zeros(n, dtype=np.bool_),
        endorsing=np.zeros(n, dtype=np.bool_),
        accepted=np.zeros((n, 2), dtype=np.bool_),
        accepted_text=np.zeros((n, 2), dtype=np.bool_),
        pending=np.zeros((n, k)),
        text=np.zeros((n, k)),
        has_text=np.zeros(n, dtype=np.bool_),
        pending_source=np.full(n, -1, dtype=np.int64),
        verdict_ok=np.zeros((n, 2), dtype=np.bool_),
        verdict_failing=np.zeros((n, 2), dtype=np.int64),
        verdict_blockers=np.zeros((n, 2), dtype=np.int64),
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
        shock_at=_shock_rounds(plans, keys, run_plan),
    )
    _perceive_no_deal(layout, state)
    return state


def _opening_values(plan: Plan) -> dict[str, Any]:
    """What a run of ``plan`` opens with, before its own draws."""
    scenario, settings, prefs = plan.scenario, plan.scenario.settings, plan.preferences
    actors = {(a.kind, a.side): a for a in scenario.actors if a.kind in ("delegation", "leader")}
    return {
        "ideal": prefs.ideal,
        "weight": prefs.weight,
        "scale": prefs.scale,
        "slope": prefs.slope,
        "ref_dist": prefs.ref_dist,
        "base": plan.mandates._base,
        "urgency": _group_urgency(plan),
        "delegation_shift": [actors["delegation", s].reservation_shift for s in scenario.sides],
        "leader_shift": [actors["leader", s].reservation_shift for s in scenario.sides],
        "resolve_noise": settings.resolve_noise,
        "ratification_noise": settings.ratification_noise,
        "threat_credibility": settings.threat_credibility,
    }


def _tiled(matrix: Array, n: int) -> Array:
    return np.broadcast_to(matrix, (n, *matrix.shape)).copy()


def _group_urgency(plan: Plan) -> list[float]:
    actors = {a.key: a for a in plan.scenario.actors}
    keys = [key for side in plan.scenario.sides for key in plan.group_keys[side]]
    return [float(actors[key].urgency) for key in keys]


def _normal(keys: Array, stream: int) -> Array:
    """Each run's two normal variates of ``stream`` (:func:`negotiation.streams.normal`:
    the uniforms vectorised, Box–Muller in compiled code calling the C library's
    functions, as Python's ``math`` does, element by element)."""
    return _box_muller(streams.uniform(keys[:, None], stream, np.arange(4)))


def _logistic(keys: Array, stream: int) -> Array:
    """Each run's two logistic variates of ``stream`` (:func:`negotiation.streams.logistic`)."""
    return _logit(streams.uniform(keys[:, None], stream, np.arange(2)))


@numba.njit(cache=True)
def _box_muller(u: Array) -> Array:
    out = np.empty((u.shape[0], 2))
    for r in range(u.shape[0]):
        for i in range(2):
            radius = math.sqrt(-2.0 * math.log(u[r, 2 * i]))
            out[r, i] = radius * math.cos(2.0 * math.pi * u[r, 2 * i + 1])
    return out


@numba.njit(cache=True)
def _logit(u: Array) -> Array:
    out = np.empty(u.shape)
    for r in range(u.shape[0]):
        for i in range(u.shape[1]):
            out[r, i] = math.log(u[r, i] / (1.0 - u[r, i]))
    return out


def _shock_rounds(plans: list[Plan], keys: Array, run_plan: Array) -> Array:
    """For each run, shock and calendar day, the round the shock hits on that day, or 0
    (:func:`negotiation.events.schedule_all`: a hit with the shock's daily
    probability, at a round of the day chosen uniformly). The plans of a batch share
    their shocks and days (the layout's structure); the probabilities are each plan's."""
    _, shocks, days = plans[0].events
    if any(plan.events[2] != days for plan in plans[1:]):
        raise NotCovered("plans whose calendar days differ cannot share a batch")
    chance = np.array([[p for p, _, _, _ in plan.events[1]] for plan in plans]).reshape(
        len(plans), len(shocks)
    )[run_plan]
    out = np.zeros((keys.shape[0], len(shocks), len(days)), dtype=np.int64)
    for s in range(len(shocks)):
        hit = streams.uniform(keys[:, None], Stream.SHOCK + s, np.arange(0, 2 * len(days), 2))
        at = streams.uniform(keys[:, None], Stream.SHOCK + s, np.arange(1, 2 * len(days), 2))
        for d, numbers in enumerate(days):
            pick = np.minimum((at[:, d] * len(numbers)).astype(np.int64), len(numbers) - 1)
            chosen = np.asarray(numbers, dtype=np.int64)[pick]
            out[:, s, d] = np.where(hit[:, d] < chance[:, s], chosen, 0)
    return out


def _perceive_no_deal(layout: Layout, state: State) -> None:
    """The opening no-deal package as expected (credibility weighted)."""
    runs = np.arange(state.plan.shape[0])
    no_deal, status_quo = layout.no_deal[state.plan], layout.status_quo[state.plan]
    nd = no_deal.copy()
    for j in range(nd.shape[1]):
        side = layout.threatened_by[state.plan, j]
        threatened = side >= 0
        credibility = state.credibility[runs, np.maximum(side, 0)]
        moved = status_quo[:, j] + credibility * (no_deal[:, j] - status_quo[:, j])
        nd[:, j] = np.where(threatened, moved, nd[:, j])
    state.no_deal_perceived[:] = nd
