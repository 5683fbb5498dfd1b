"""The offer targets of a batch's vectorised strategies, one call per strategy a phase.

When a delegation of some of a batch's plans uses a
:class:`~negotiation.behaviours.vectorised.VectorisedOffer`, the lockstep model plays
the round in phases (:mod:`negotiation.lockstep.protocol`) and, before the offers and
again before acceptance, asks each such strategy for the targets of all its runs at
once. The runs are grouped by their delegation's strategy class: each group is one call,
on an instance whose fields hold each run's parameter values (the runs of a sweep's
batch may come from different design points), gathered by each run's plan.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from negotiation.behaviours.vectorised import OfferRuns, VectorisedOffer, is_vectorised, targets_of
from negotiation.lockstep.protocol import reservations
from negotiation.lockstep.state import State
from negotiation.plan import Plan

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class OfferGroup:
    """The runs of a batch whose ``side``'s delegation uses strategy ``cls``: the plans
    that choose it (``member``, by plan) and each field's value by plan."""

    side: int
    cls: type[VectorisedOffer]
    member: Array
    values: dict[str, Array]

    def runs_of(self, state: State, runs: Array) -> Array:
        """Those of ``runs`` in this group."""
        return runs[self.member[state.plan[runs]]]


def offer_groups(plans: list[Plan], delegation_keys: list[str]) -> list[OfferGroup]:
    """The vectorised strategies of a batch's plans, one group per side and class, in
    side order and then in order of first use."""
    groups: list[OfferGroup] = []
    for side, key in enumerate(delegation_keys):
        chosen: dict[type, list[int]] = defaultdict(list)
        for p, plan in enumerate(plans):
            cls = plan.behaviours[(key, "offer")][0]
            if is_vectorised(cls):
                chosen[cls].append(p)
        for cls, members in chosen.items():
            member = np.zeros(len(plans), dtype=np.bool_)
            member[members] = True
            values = {}
            for field in dataclasses.fields(cls):
                by_plan = [plans[p].behaviours[(key, "offer")][1][field.name] for p in members]
                column = np.empty(len(plans), dtype=np.asarray(by_plan).dtype)
                column[members] = by_plan
                values[field.name] = column
            groups.append(OfferGroup(side, cls, member, values))
    return groups


def set_targets(
    groups: list[OfferGroup],
    layout: Any,
    state: State,
    structure: Any,
    runs: Array,
    t: float,
    number: int,
    out: Array,
) -> None:
    """Write each group's targets at time ``t`` for its runs among ``runs`` into
    ``out[run, side]`` (``structure`` is ``state`` as compiled code receives it)."""
    for group in groups:
        mine = group.runs_of(state, runs)
        if mine.size == 0:
            continue
        plan = state.plan[mine]
        strategy = group.cls.over_runs({name: v[plan] for name, v in group.values.items()})
        seen = OfferRuns(
            t=t,
            round=number,
            reservation=reservations(layout, structure, group.side, mine),
            gap=state.gap[mine],
            credibility=state.credibility[mine, group.side],
            goodwill=state.goodwill[mine],
        )
        out[mine, group.side] = targets_of(strategy, seen)
