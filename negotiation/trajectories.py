"""Per-round trajectories, collected with Mesa's DataCollector when asked for.

Each round records both delegations' offers per issue (in the issue's units), the
host's text if any, every actor's utility of each standing offer and its reservation,
each side's interest-group approval of the best package on the table, the gap between
the offers, goodwill, threat credibility (and its peak, on which audience costs are
engaged), whether each delegation held its offer for fear of a veto at home, and the
status quo of each issue (a dated threat carried out moves it). Sweeps build models with
``collect=False``
and skip all of this.

The snapshot is computed once per round and every reporter reads from it, so Mesa
calling reporters twice on the first collect costs nothing and cannot disagree.

Per actor, in Mesa's long form (``get_agent_vars_dataframe()``: one row per round and
actor): its key, kind and side, its reservation, and its utility of each side's standing
offer and of the host's text. When the run has ended, the model reporters
``outcome__<field>`` carry the outcome record's fields, so that ``mesa.batch_run`` returns
them on the last row of every run.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
    from negotiation.agents import Actor
    from negotiation.model import TradeTalksModel


def snapshot(model: TradeTalksModel) -> dict[str, Any]:
    """Everything worth plotting about the current round, as a flat dict."""
    space = model.space
    rnd = model.calendar.round(max(model.steps, 1))
    row: dict[str, Any] = {
        "round": model.steps,
        "time": rnd.at.isoformat(),
        "days_before_summit": rnd.days_before_summit,
        "gap": model.gap,
        "goodwill": model.goodwill,
    }
    for side in model.sides:
        row[f"credibility__{side}"] = model.credibility[side]
        # the highest credibility reached: what the leader's audience cost is engaged on
        row[f"peak_credibility__{side}"] = model.peak_credibility[side]
        # the delegation held its offer: conceding more would fail at home (anticipation)
        row[f"holding__{side}"] = model.delegations[side].holding
    for key, i in space.index.items():  # moves when a dated threat is carried out
        row[f"status_quo__{key}"] = float(space.status_quo[i])
    on_table: dict[str, np.ndarray] = {}
    for side in model.sides:
        offer = model.offers[side][-1] if model.offers[side] else None
        for key, i in space.index.items():
            row[f"offer__{side}__{key}"] = float(offer[i]) if offer is not None else math.nan
        if offer is not None:
            on_table[side] = offer
    text = model.text
    for key, i in space.index.items():
        row[f"text__{key}"] = float(text[i]) if text is not None else math.nan
    if text is not None:
        on_table["host"] = text
    for side, package in on_table.items():
        utilities = model.prefs.utility(package)
        for key, u in zip(model.row_keys, utilities, strict=True):  # row order
            row[f"utility__{key}__{side}"] = float(u)
    for key in model.row_keys:
        row[f"reservation__{key}"] = float(model.actors_by_key[key].reservation)
    best = max(on_table.values(), key=model.joint_gain) if on_table else None
    for side in model.sides:
        row[f"approval__{side}"] = (
            model.leaders[side].ratify(best).approval if best is not None else math.nan
        )
    row["truce"] = model.agreement is not None
    return row


def make_datacollector(model: TradeTalksModel) -> mesa.DataCollector:
    """A DataCollector whose model reporters read the per-round snapshot (and, once the
    run has ended, the outcome record), with per-actor agent reporters."""
    model._snapshot = {}
    reporters: dict[str, Any] = {key: partial(_column, key) for key in _columns(model)}
    reporters.update({f"outcome__{key}": partial(_record, key) for key in _record_keys(model)})
    agent_reporters: dict[str, Any] = {
        "key": "key",
        "kind": _kind,
        "side": "side",
        "reservation": _reservation,
        **{f"utility_of_{side}_offer": partial(_utility_of_offer, side) for side in model.sides},
        "utility_of_text": _utility_of_text,
    }
    return mesa.DataCollector(model_reporters=reporters, agent_reporters=agent_reporters)


def _record_keys(model: TradeTalksModel) -> list[str]:
    """The flat fields of the outcome record (``Outcome.to_row``), in its order."""
    from negotiation.outcome import Outcome

    scalars = [k for k in Outcome.__dataclass_fields__ if k not in _NESTED]
    keys = model.space.keys
    actors = [model.row_keys[r] for r in model.display_order]
    return [
        *scalars,
        *(f"package__{k}" for k in keys),
        *(f"utility__{a}" for a in actors),
        *(f"reservation__{a}" for a in actors),
        *(f"param__{p}" for p in model.params),
    ]


_NESTED = ("package", "utilities", "reservations", "params")


def _record(key: str, model: TradeTalksModel) -> Any:
    """One field of the outcome record, or ``None`` while the run goes on (the flat
    row is built once per record, not once per field)."""
    outcome = model.outcome
    if outcome is None:
        return None
    cache = model._snapshot
    if cache.get("_record_of") is not outcome:
        cache["_record_of"], cache["_record_row"] = outcome, outcome.to_row()
    return cache["_record_row"].get(key)


def _kind(agent: Actor) -> str:
    return type(agent).__name__.lower()


def _reservation(agent: Actor) -> float:
    """The actor's reservation utility (the host has none)."""
    return float(getattr(agent, "reservation", math.nan)) if agent.row >= 0 else math.nan


def _utility(agent: Actor, package: np.ndarray | None) -> float:
    if package is None or agent.row < 0:
        return math.nan
    return float(agent.utility(package))


def _utility_of_offer(side: str, agent: Actor) -> float:
    offers = agent.model.offers[side]
    return _utility(agent, offers[-1] if offers else None)


def _utility_of_text(agent: Actor) -> float:
    return _utility(agent, agent.model.text)


def _column(key: str, model: TradeTalksModel) -> Any:
    """One column of the round's snapshot, computing the snapshot once per state."""
    cache = model._snapshot
    state = (model.steps, model.running, len(model.timeline))
    if cache.get("_state") != state:
        cache.clear()
        cache.update(snapshot(model))
        cache["_state"] = state
    return cache.get(key, math.nan)


def _columns(model: TradeTalksModel) -> list[str]:
    space, keys = model.space, model.row_keys
    cols = ["round", "time", "days_before_summit", "gap", "goodwill"]
    sides = model.sides
    cols += [f"credibility__{s}" for s in sides]
    cols += [f"peak_credibility__{s}" for s in sides] + [f"holding__{s}" for s in sides]
    cols += [f"status_quo__{k}" for k in space.keys]
    cols += [f"offer__{s}__{k}" for s in sides for k in space.keys]
    cols += [f"text__{k}" for k in space.keys]
    cols += [f"utility__{a}__{s}" for s in (*sides, "host") for a in keys]
    cols += [f"reservation__{a}" for a in keys]
    cols += [f"approval__{s}" for s in sides]
    cols += ["truce"]
    return cols
