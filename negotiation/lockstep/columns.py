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
    SOURCE_TEXT,
    TRUCE,
    delegation_reservation,
    leader_reservation,
    utility,
)
from negotiation.outcome import Outcome, bargaining_measures_of, reason_text

if TYPE_CHECKING:
    from negotiation.lockstep.model import LockstepTalks
    from negotiation.lockstep.state import State

Column = npt.NDArray[Any]


def outcome_columns(model: LockstepTalks) -> dict[str, Column]:
    """The outcome columns of a finished batch, in the record's field order."""
    plan, state, seeds = model.plan, model.state, model.seeds
    scenario = plan.scenario
    space, sides = scenario.space, scenario.sides
    truce, summit, package = _final_packages(state)
    agreed = truce | summit
    kind = np.where(truce, "truce", np.where(summit, "summit deal", "no deal"))
    first, second = sides
    source = np.select(
        [
            summit,
            ~agreed,
            state.source == SOURCE_SECOND,
            state.source == SOURCE_FIRST,
            state.source == SOURCE_TEXT,
        ],
        ["summit", "no deal", f"{second}'s offer", f"{first} offer", "host's text"],
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


def _measures(model: LockstepTalks, kinds: list[str]) -> list[tuple[float, ...]]:
    """The bargaining measures of each run's agreed package, rounded as the record rounds
    them, computed for the runs of each plan at once (zeros where no deal)."""
    state = model.state
    packages = _final_packages(state)[2]
    agreed = np.array([kind != "no deal" for kind in kinds], dtype=bool)
    found = np.zeros((len(kinds), 3))
    for index, plan in enumerate(model.plans):
        runs = np.flatnonzero(agreed & (state.plan == index))
        if runs.size:
            found[runs] = bargaining_measures_of(plan.analysis, packages[runs])
    rounded = np.column_stack([_rounded(found[:, m]) for m in range(3)])
    return [tuple(row) for row in rounded.tolist()]


def _final_packages(state: State) -> tuple[Column, Column, Column]:
    """Which runs ended in a truce, which in a summit deal, and each run's final
    package (the agreed terms, or the no deal as expected)."""
    truce = state.ended == TRUCE
    summit = ~truce & state.has_summit
    agreed = truce | summit
    return truce, summit, np.where(agreed[:, None], state.agreement, state.no_deal_perceived)


SMALL_COLUMN = 64  # values rounded one by one below this many (a batch of one, say)


def _rounded(values: Column) -> Column:
    """Rounded to 6 decimals as the record rounds: Python's ``round``, which rounds the
    exact decimal value, half to even.

    numpy's ``round`` gives the same number except where the scaled value
    ``fl(x * 1e6)``, whose rounding error is below ``|x| * 1e6 * 2**-53``, lies that
    close to a half (the exact product could then be on the other side of it), or is too
    large for its fraction to be exact; those values, rare, are rounded by Python. Both
    then divide the same integer by 10**6, correctly rounded."""
    x = np.asarray(values, dtype=float)
    if x.size <= SMALL_COLUMN:  # a few numpy calls cost more than rounding each value
        return np.array([round(v, 6) for v in x.tolist()], dtype=float)
    scaled = x * 1e6
    with np.errstate(invalid="ignore"):  # infinities: rounded by Python below
        fraction = np.abs(scaled - np.floor(scaled) - 0.5)
    doubtful = ~(fraction > np.abs(scaled) * 2.0**-50) | ~(np.abs(scaled) < 2.0**50)
    out = np.round(x, 6)
    if doubtful.any():
        finite = doubtful & np.isfinite(x)
        out[finite] = [round(v, 6) for v in x[finite].tolist()]
    return out


def _valuations(model: LockstepTalks, package: Column) -> tuple[Column, Column]:
    """Every actor's utility of each run's final package (as
    :meth:`~negotiation.preferences.Preferences.utility` computes it for the record:
    numpy's ``einsum``, which sums a row the same way with a run axis in front), and
    its reservation (as the actors compute it)."""
    layout, state = model.layout, model.state
    extra = np.asarray(layout.extra)[state.plan][:, None, None]
    squared = np.asarray(layout.squared)[state.plan][:, None]
    dist = np.abs(package[:, None, :] - state.ideal)
    dist = np.where(extra != 0.0, dist + extra * np.maximum(dist - state.ref_dist, 0.0), dist)
    closeness = dist / state.scale
    utilities = np.where(
        squared,
        1.0 - np.einsum("bij,bij->bi", state.weight, closeness * closeness),
        1.0 - np.einsum("bij,bij->bi", state.slope, dist),
    )
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


def outcome_rows(model: LockstepTalks) -> list[dict[str, Any]]:
    """Each run's flat outcome record (:meth:`negotiation.outcome.Outcome.to_row`),
    field for field what ``run_once`` gives for its seed: :func:`outcome_fields`
    zipped into rows."""
    fields = outcome_fields(model)
    keys = list(fields)
    return [dict(zip(keys, values, strict=True)) for values in zip(*fields.values(), strict=True)]


def outcome_fields(model: LockstepTalks) -> dict[str, list[Any]]:
    """Every field of the runs' flat outcome records, in the record's order, each a list
    over the batch (what a table is built from): the columns, and the fields written in
    words or read off the calendar and the bargaining analysis."""
    plan, state = model.plan, model.state
    calendar = plan.calendar
    columns = outcome_columns(model)
    names = list(columns)
    lists = {name: columns[name].tolist() for name in names}
    n = len(model.seeds)
    of_run = state.plan.tolist()
    summit_date = calendar.summit.date().isoformat()
    kinds = lists["outcome"]
    rounds = {k: calendar.round(k) for k in set(lists["round"]) if k > 0}
    when = [rounds.get(k) for k in lists["round"]]
    out: dict[str, list[Any]] = {"scenario": [plan.scenario.name] * n}
    for name in names[: names.index("date") + 1]:
        out[name] = lists[name]
    out["round"] = [k if w else None for k, w in zip(lists["round"], when, strict=True)]
    out["time"] = [w.at.isoformat() if w else None for w in when]
    out["days_before_summit"] = [w.days_before_summit if w else None for w in when]
    for name in names[names.index("date") + 1 : names.index("final_gap")]:
        out[name] = lists[name]
    measures = [
        found if kind != "no deal" else (None, None, None)
        for found, kind in zip(_measures(model, kinds), kinds, strict=True)
    ]
    for m, name in enumerate(("nash_product", "pareto_distance", "nash_distance")):
        out[name] = [row[m] for row in measures]
    for name in ("final_gap", "vetoes", "vetoed_by"):
        out[name] = lists[name]
    dates = {
        k: calendar.round(k).at.date().isoformat()
        for k in set(state.framework_round.tolist())
        if k > 0
    }
    framed = [dates.get(k) for k in state.framework_round.tolist()]
    widest = [p.scenario.settings.summit_max_gap for p in model.plans]
    out["reason"] = [
        reason_text(kind, source, date, vetoes, vetoed_by, gap, frame, summit_date, widest[p])
        for kind, source, date, vetoes, vetoed_by, gap, frame, p in zip(
            kinds,
            lists["package_source"],
            lists["date"],
            lists["vetoes"],
            lists["vetoed_by"],
            state.gap.tolist(),
            framed,
            of_run,
            strict=True,
        )
    ]
    for name in plan.values:
        values = [p.values[name] for p in model.plans]
        out[f"param__{name}"] = [values[p] for p in of_run]
    digests = [p.digest for p in model.plans]
    out["plan_digest"] = [digests[p] for p in of_run]
    out["framework_date"] = [
        frame if frame is not None else date
        for frame, date in zip(framed, lists["date"], strict=True)
    ]
    out["endorsement_date"] = [
        None if kind == "no deal" else summit_date if kind == "summit deal" or frame else date
        for kind, frame, date in zip(kinds, framed, lists["date"], strict=True)
    ]
    return out


_NESTED = {"package__": "package", "utility__": "utilities", "reservation__": "reservations"}


def outcome_records(model: LockstepTalks) -> list[Outcome]:
    """Each run's outcome record (:class:`~negotiation.outcome.Outcome`), equal to the
    one ``run_once`` returns for its seed."""
    params = [dict(p.values) for p in model.plans]
    records = []
    for row, index in zip(outcome_rows(model), model.state.plan.tolist(), strict=True):
        fields: dict[str, Any] = {"package": {}, "utilities": {}, "reservations": {}}
        for name, value in row.items():
            prefix = name[: name.find("__") + 2] if "__" in name else ""
            if prefix in _NESTED:
                fields[_NESTED[prefix]][name[len(prefix) :]] = value
            elif prefix != "param__":
                fields[name] = value
        records.append(Outcome(**fields, params=dict(params[index])))
    return records
