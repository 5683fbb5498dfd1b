"""A finished batch as outcome columns: one array per field of the flat outcome record
(:meth:`negotiation.outcome.Outcome.to_row`), one entry per run.

The columns hold what a sweep tabulates: how each run ended, when, the terms, each
actor's utility of them and reservation, the final gap and the vetoes, rounded as the
record rounds them. The record's prose (its reason) and the bargaining analysis of the
terms are the per-run record's: ``run_once`` with the run's seed gives that record in
full, timeline included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import numpy.typing as npt

from negotiation.lockstep.protocol import (
    SOURCE_FIRST,
    SOURCE_SECOND,
    TRUCE,
    delegation_reservation,
    leader_reservation,
    utility,
)

if TYPE_CHECKING:
    from negotiation.lockstep.model import LockstepTalks

Column = npt.NDArray[Any]


def outcome_columns(model: LockstepTalks) -> dict[str, Column]:
    """The outcome columns of a finished batch, in the record's field order."""
    plan, state, seeds = model.plan, model.state, model.seeds
    scenario = plan.scenario
    space, sides = scenario.space, scenario.sides
    truce = state.ended == TRUCE
    summit = ~truce & state.has_summit
    agreed = truce | summit
    package = np.where(agreed[:, None], state.agreement, state.no_deal_perceived)
    kind = np.where(truce, "truce", np.where(summit, "summit deal", "no deal"))
    first, second = sides
    source = np.select(
        [summit, ~agreed, state.source == SOURCE_SECOND, state.source == SOURCE_FIRST],
        ["summit", "no deal", f"{second}'s offer", f"{first} offer"],
        "",
    )
    agreement_round = np.where(truce, state.agreement_round, -1)
    dates = np.array([""] + [r.at.date().isoformat() for r in plan.calendar.rounds], dtype=object)
    people = plan.people
    display = [plan.rows[a.key] for a in scenario.actors if a.kind != "host"]
    utilities, reservations = _valuations(model, package)
    columns: dict[str, Column] = {
        "seed": seeds.astype(np.uint64),
        "truce": truce,
        "outcome": kind.astype(object),
        "round": agreement_round,
        "date": np.where(agreement_round > 0, dates[np.maximum(agreement_round, 0)], None),  # type: ignore[call-overload]
        "rounds_played": state.rounds_played.copy(),
        "summit_deal": summit,
    }
    for j, key in enumerate(space.keys):
        columns[f"package__{key}"] = _rounded(package[:, j])
    columns["package_source"] = source.astype(object)
    for row in display:
        columns[f"utility__{people[row].key}"] = _rounded(utilities[:, row])
    for row in display:
        columns[f"reservation__{people[row].key}"] = _rounded(reservations[:, row])
    columns["final_gap"] = _rounded(state.gap)
    columns["vetoes"] = state.vetoes.copy()
    labels = [a.label for a in people]
    columns["vetoed_by"] = np.array(
        [
            sorted(labels[i] for i in range(len(labels)) if mask >> i & 1)
            for mask in state.vetoed_by.tolist()
        ]
        + [[]],
        dtype=object,
    )[:-1]
    return columns


def _rounded(values: Column) -> Column:
    """Rounded to 6 decimals as the record rounds (Python's correctly rounded
    ``round``; numpy's ``round`` scales and may round a tie the other way)."""
    return np.array([round(v, 6) for v in values.tolist()], dtype=float)


def _valuations(model: LockstepTalks, package: Column) -> tuple[Column, Column]:
    """Every actor's utility of each run's final package (as
    :meth:`~negotiation.preferences.Preferences.utility` computes it for the record:
    numpy's ``einsum``, which sums a row the same way with a run axis in front), and
    its reservation (as the actors compute it)."""
    layout, state = model.layout, model.state
    dist = np.abs(package[:, None, :] - state.ideal)
    if layout.extra:
        dist = dist + layout.extra * np.maximum(dist - state.ref_dist, 0.0)
    if layout.squared:
        closeness = dist / state.scale
        utilities = 1.0 - np.einsum("bij,bij->bi", state.weight, closeness * closeness)
    else:
        utilities = 1.0 - np.einsum("bij,bij->bi", state.slope, dist)
    reservations = np.empty(utilities.shape)
    _fill_reservations(model._layout, model._state, reservations)
    return utilities, reservations


@numba.njit(cache=True)
def _fill_reservations(layout: Any, state: Any, reservations: Any) -> None:
    for b in range(reservations.shape[0]):
        for row in range(reservations.shape[1]):
            reservations[b, row] = utility(layout, state, b, row, state.no_deal_perceived[b])
        for side in range(2):
            reservations[b, layout.delegation_row[side]] = delegation_reservation(
                layout, state, b, side
            )
            reservations[b, layout.leader_row[side]] = leader_reservation(layout, state, b, side)
