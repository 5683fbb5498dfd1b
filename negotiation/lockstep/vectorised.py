"""A batch's vectorised behaviours, asked once per phase for all their runs.

When some of a batch's plans give a delegation a
:class:`~negotiation.behaviours.vectorised.VectorisedOffer`, a group a
:class:`~negotiation.behaviours.vectorised.VectorisedLobbying`, a delegation a
:class:`~negotiation.behaviours.vectorised.VectorisedAcceptance` or a
:class:`~negotiation.behaviours.vectorised.VectorisedOpponent`, or a leader a
:class:`~negotiation.behaviours.vectorised.VectorisedEscalation` or a
:class:`~negotiation.behaviours.vectorised.VectorisedRatification`, or the host a
:class:`~negotiation.behaviours.vectorised.VectorisedMediation`, the lockstep model
plays the round in phases (:mod:`negotiation.lockstep.protocol`) and asks each such
behaviour between them: the lobbying rules before the mandates are updated, the
mediation rules after them (the host acts before the offers), the offer
strategies before the offers and again before acceptance (for the next offers), the
opponent models after the offers (before those next offers are bid), the
acceptance rules before the agreement phase, the escalation rules, leader by leader,
once no agreement was reached, and the ratification rules wherever a package is put to
their leader (the package agreed, the framework at the summit, the midpoint at the
deadline), before the compiled phase that reads the verdict. The
runs are grouped by the actor's behaviour class: each group is one call, on an instance
whose fields hold each run's parameter values (the runs of a sweep's batch may come
from different design points), gathered by each run's plan.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from negotiation.behaviours.vectorised import (
    AcceptRuns,
    HostRuns,
    LeaderRuns,
    LobbyRuns,
    OfferRuns,
    OpponentRuns,
    OverRuns,
    RatifyRuns,
    beliefs_of,
    changes_of,
    is_vectorised_acceptance,
    is_vectorised_escalation,
    is_vectorised_lobbying,
    is_vectorised_mediation,
    is_vectorised_offer,
    is_vectorised_opponent,
    is_vectorised_ratification,
    mediations_of,
    pressures_of,
    ratifications_of,
    targets_of,
    verdicts_of,
)
from negotiation.lockstep.layout import Layout, NotCovered
from negotiation.lockstep.protocol import (
    acceptance_inputs,
    first_accepts_text,
    ratification_inputs,
    reservations,
    set_texts,
    store_verdicts,
    summit_packages,
    threaten_round,
)
from negotiation.lockstep.state import State
from negotiation.plan import Plan

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class BatchArrays:
    """A batch's stacked layout and state, each as Python reads it (named tuples) and as
    compiled code receives it (structures sharing the same arrays)."""

    layout: Layout
    compiled_layout: Any
    state: State
    compiled_state: Any


@dataclass(frozen=True)
class BehaviourGroup:
    """The runs of a batch whose actor ``index`` (a side for a delegation, a group's
    place in the layout for a group) uses behaviour ``cls``: the plans that choose it
    (``member``, by plan) and each of its fields' values by plan."""

    index: int
    cls: type[OverRuns]
    member: Array
    values: dict[str, Array]

    def runs_of(self, state: State, runs: Array) -> Array:
        """Those of ``runs`` in this group."""
        return runs[self.member[state.plan[runs]]]

    def behaviour(self, state: State, runs: Array) -> Any:
        """The behaviour with each of ``runs``' own values (the group's runs)."""
        plan = state.plan[runs]
        return self.cls.over_runs({name: v[plan] for name, v in self.values.items()})


def _asked(
    groups: list[BehaviourGroup], state: State, runs: Array
) -> Iterator[tuple[BehaviourGroup, Array]]:
    """Each group with its runs among ``runs``, for the groups that have any."""
    for group in groups:
        mine = group.runs_of(state, runs)
        if mine.size:
            yield group, mine


def behaviour_groups(
    plans: list[Plan], keys: list[str], field: str, vectorised: Callable[[type], bool]
) -> list[BehaviourGroup]:
    """The vectorised behaviours (``vectorised(cls)``) in ``field`` of the actors
    ``keys`` across a batch's plans: one group per actor and class, in actor order and
    then in order of first use."""
    groups: list[BehaviourGroup] = []
    for index, key in enumerate(keys):
        chosen: dict[type, list[int]] = defaultdict(list)
        for p, plan in enumerate(plans):
            cls = plan.behaviours[(key, field)][0]
            if vectorised(cls):
                chosen[cls].append(p)
        for cls, members in chosen.items():
            member = np.zeros(len(plans), dtype=np.bool_)
            member[members] = True
            # each plan's instance, as the per-run model makes it (after __post_init__)
            built = [cls(**plans[p].behaviours[(key, field)][1]) for p in members]
            values = {}
            for spec in dataclasses.fields(cls):
                by_plan = _stacked([getattr(b, spec.name) for b in built], cls, spec.name)
                column = np.zeros((len(plans), *by_plan.shape[1:]), dtype=by_plan.dtype)
                column[members] = by_plan
                values[spec.name] = column
            groups.append(BehaviourGroup(index, cls, member, values))
    return groups


def _stacked(values: list[Any], cls: type, name: str) -> Array:
    """One field's values across plans as one array (plans along the first axis)."""
    try:
        return np.array(values)
    except ValueError:
        raise NotCovered(
            f"{cls.__name__}.{name} takes values of different shapes across the batch's "
            "plans: they cannot share a batch"
        ) from None


def offer_groups(plans: list[Plan], delegation_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised offer strategies (``index``: the side)."""
    return behaviour_groups(plans, delegation_keys, "offer", is_vectorised_offer)


def lobbying_groups(plans: list[Plan], group_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised lobbying rules (``index``: the group's place in the
    layout, ``Layout.group_row``)."""
    return behaviour_groups(plans, group_keys, "lobbying", is_vectorised_lobbying)


def acceptance_groups(plans: list[Plan], delegation_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised acceptance rules (``index``: the side)."""
    return behaviour_groups(plans, delegation_keys, "acceptance", is_vectorised_acceptance)


def opponent_groups(plans: list[Plan], delegation_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised opponent models (``index``: the side)."""
    return behaviour_groups(plans, delegation_keys, "opponent_model", is_vectorised_opponent)


def escalation_groups(plans: list[Plan], leader_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised escalation rules (``index``: the side; ``leader_keys`` in
    side order)."""
    return behaviour_groups(plans, leader_keys, "escalation", is_vectorised_escalation)


def mediation_groups(plans: list[Plan], host_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised mediation rules (``index``: 0, the host)."""
    return behaviour_groups(plans, host_keys, "mediation", is_vectorised_mediation)


def table_texts(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int
) -> None:
    """Each mediation group's goodwill and texts for its runs among ``runs`` (those
    bargaining this round), after the mandates and before the offers."""
    state = batch.state
    for group, mine in _asked(groups, state, runs):
        offers = state.offer[mine] if number > 1 else np.full(state.offer[mine].shape, np.nan)
        seen = HostRuns(
            round=number, t=t, offers=offers, gap=state.gap[mine], goodwill=state.goodwill[mine]
        )
        goodwill, texts = mediations_of(group.behaviour(state, mine), seen)
        goodwill, texts = np.ascontiguousarray(goodwill), np.ascontiguousarray(texts)
        set_texts(batch.compiled_layout, batch.compiled_state, mine, goodwill, texts)


def ratification_groups(plans: list[Plan], leader_keys: list[str]) -> list[BehaviourGroup]:
    """The batch's vectorised ratification rules (``index``: the side; ``leader_keys``
    in side order)."""
    return behaviour_groups(plans, leader_keys, "ratification", is_vectorised_ratification)


def ask_leaders(
    groups: list[BehaviourGroup],
    batch: BatchArrays,
    runs: Array,
    packages: Array,
    relax: Array,
    predicting: Array,
    t: float,
    number: int,
) -> None:
    """Each ratification group's verdicts on the packages put to its leader in ``runs``
    (``packages``, ``predicting`` one row each; ``relax`` one column per side), stored
    for the compiled phase that reads them (:func:`negotiation.lockstep.protocol.
    verdict`)."""
    layout, state = batch.layout, batch.state
    for group in groups:
        side = group.index
        asked = group.member[state.plan[runs]]
        if not asked.any():
            continue
        mine, package = runs[asked], np.ascontiguousarray(packages[asked])
        leader, margins, influence = ratification_inputs(
            batch.compiled_layout, batch.compiled_state, side, mine, package, predicting[asked]
        )
        plan = state.plan[mine]
        shown = package.copy()  # the rule's to read: the blockers' losses are from ours
        shown.flags.writeable = False
        seen = RatifyRuns(
            round=number,
            t=t,
            package=shown,
            relax=relax[asked, side],
            leader_utility=leader[0],
            leader_reservation=leader[1],
            margins=margins,
            influence=influence,
            threshold=layout.threshold[plan, side],
            noise=np.asarray(layout.ratification_noise)[plan],  # stacked: one a plan
            mood=leader[2],
        )
        ratified, _, blocked = ratifications_of(group.behaviour(state, mine), seen)
        store_verdicts(
            batch.compiled_layout, batch.compiled_state, side, mine, package, ratified, blocked
        )


def ask_at_agreement(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int
) -> None:
    """The verdicts on the packages agreed this round (``state.pending``), foreseen where
    a framework waits for the summit."""
    state = batch.state
    agreed = runs[state.pending_source[runs] >= 0]
    if groups and agreed.size:
        foreseen = np.asarray(batch.layout.endorsement)[state.plan[agreed]]
        relax = np.zeros((agreed.size, 2))
        ask_leaders(groups, batch, agreed, state.pending[agreed], relax, foreseen, t, number)


def ask_at_endorsement(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int
) -> None:
    """The verdicts on the frameworks put to the leaders at the summit now."""
    state = batch.state
    due = runs[state.endorsing[runs]]
    if groups and due.size:
        none = np.zeros(due.size, dtype=np.bool_)
        relax = np.zeros((due.size, 2))
        ask_leaders(groups, batch, due, state.agreement[due], relax, none, t, number)


def ask_at_deadline(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int
) -> None:
    """The verdicts on the midpoints put to the leaders at the deadline, where the
    summit can reach (``runs``: those still going after the last round)."""
    if not groups or number < int(batch.layout.rounds) or not runs.size:
        return
    packages, relax = summit_packages(batch.compiled_layout, batch.compiled_state, runs)
    reach = ~np.isnan(relax[:, 0])
    none = np.zeros(int(reach.sum()), dtype=np.bool_)
    ask_leaders(groups, batch, runs[reach], packages[reach], relax[reach], none, t, number)


def set_targets(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int, out: Array
) -> None:
    """Write each offer group's targets at time ``t`` for its runs among ``runs`` into
    ``out[run, side]``."""
    state = batch.state
    for group, mine in _asked(groups, state, runs):
        side = group.index
        seen = OfferRuns(
            t=t,
            round=number,
            rounds=int(batch.layout.rounds),
            reservation=reservations(batch.compiled_layout, batch.compiled_state, side, mine),
            gap=state.gap[mine],
            credibility=state.credibility[mine, side],
            goodwill=state.goodwill[mine],
        )
        out[mine, side] = targets_of(group.behaviour(state, mine), seen)


def add_pressures(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int
) -> None:
    """Add each lobbying group's pressure this round to its runs' pull."""
    layout, state = batch.layout, batch.state
    for group, mine in _asked(groups, state, runs):
        g = group.index
        plan = state.plan[mine]
        side = 0 if g < layout.group_start[1] else 1
        seen = LobbyRuns(
            round=number,
            t=t,
            urgency=state.urgency[mine, g],
            influence=layout.influence[plan, g],
            weights=state.weight[mine, layout.group_row[g]],
            lobbying_rate=np.asarray(layout.lobbying_rate)[plan],  # stacked: one a plan
            credibility=state.credibility[mine, side],
            gap=state.gap[mine],
        )
        state.pull[mine, g] += pressures_of(group.behaviour(state, mine), seen)


def shift_threats(
    groups: list[BehaviourGroup],
    side: int,
    batch: BatchArrays,
    runs: Array,
    t: float,
    number: int,
) -> None:
    """Apply ``side``'s leader's vectorised escalation to its runs among ``runs`` (the
    runs still going after this round's agreement phase)."""
    state = batch.state
    for group, mine in _asked([g for g in groups if g.index == side], state, runs):
        seen = LeaderRuns(
            round=number,
            t=t,
            gaps=state.gaps[mine, :number],
            credibility=state.credibility[mine, side],
        )
        changes = changes_of(group.behaviour(state, mine), seen)
        threaten_round(batch.compiled_layout, batch.compiled_state, side, mine, changes)


def update_beliefs(
    groups: list[BehaviourGroup], batch: BatchArrays, runs: Array, t: float, number: int
) -> None:
    """Each opponent group's beliefs after the other side's offer this round, for its
    runs among ``runs`` (after the offer phase, which updates the compiled models'),
    with the previous offer kept for the next round."""
    layout, state = batch.layout, batch.state
    for group, mine in _asked(groups, state, runs):
        side = group.index
        offer = state.offer[mine, 1 - side]
        first = ~state.seen[mine, side]
        seen = OpponentRuns(
            round=number,
            t=t,
            offer=offer,
            previous=np.where(first[:, None], offer, state.previous[mine, side]),
            first=first,
            ideal=state.estimate_ideal[mine, side],
            weights=state.estimate_weight[mine, side],
            span=layout.span[state.plan[mine]],
        )
        ideal, weights = beliefs_of(group.behaviour(state, mine), seen)
        state.estimate_ideal[mine, side] = ideal
        state.estimate_weight[mine, side] = weights
        state.previous[mine, side] = state.offer[mine, 1 - side]  # not what the rule was shown
        state.seen[mine, side] = True


def set_verdicts(
    groups: list[BehaviourGroup],
    batch: BatchArrays,
    runs: Array,
    t: float,
    t_next: float,
    number: int,
) -> None:
    """Write each acceptance group's verdicts for its runs among ``runs`` before the
    agreement phase: on the other side's offer into ``state.accepted[run, side]``, and
    on the host's text, where there is one, into ``state.accepted_text[run, side]``.
    The rule is asked only where the package reaches the reservation, and about the
    text on the second side only where the first side accepts it, as the per-run model
    asks it; elsewhere the package is refused before the verdict is read."""
    if not groups:
        return
    state = batch.state
    for group, mine in _asked(groups, state, runs):
        offers = np.ascontiguousarray(state.offer[mine, 1 - group.index])
        _ask_acceptance(group, batch, mine, offers, t, t_next, number, state.accepted)
    first, second = ([g for g in groups if g.index == side] for side in (0, 1))
    texts = runs[state.has_text[runs]]
    for side_groups in (first, second):
        if side_groups is second and second and texts.size:
            # only where the first side accepts the text (its vectorised rule's verdict
            # just stored, or the compiled rule's made now)
            layout, structure = batch.compiled_layout, batch.compiled_state
            texts = texts[first_accepts_text(layout, structure, texts, t_next)]
        for group, mine in _asked(side_groups, state, texts):
            packages = np.ascontiguousarray(state.text[mine])
            _ask_acceptance(group, batch, mine, packages, t, t_next, number, state.accepted_text)


def _ask_acceptance(
    group: BehaviourGroup,
    batch: BatchArrays,
    mine: Array,
    packages: Array,
    t: float,
    t_next: float,
    number: int,
    out: Array,
) -> None:
    """The group's verdicts on ``packages`` (one a run of ``mine``) into ``out``."""
    state, side = batch.state, group.index
    offered, mine_next, reservation = acceptance_inputs(
        batch.compiled_layout, batch.compiled_state, side, mine, packages, t_next
    )
    asked = offered >= reservation
    if not asked.any():
        return
    chosen = mine[asked]
    seen = AcceptRuns(
        t=t,
        round=number,
        rounds=int(batch.layout.rounds),
        offered=offered[asked],
        next=mine_next[asked],
        reservation=reservation[asked],
    )
    out[chosen, side] = verdicts_of(group.behaviour(state, chosen), seen)
