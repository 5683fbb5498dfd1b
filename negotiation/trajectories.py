"""Per-round trajectories, collected with Mesa's DataCollector when asked for.

Each round records both delegations' offers per issue (in the issue's units), the
host's text if any, every actor's utility of each standing offer and its reservation,
each side's interest-group approval of the best package on the table, the gap between
the offers, goodwill and threat credibility. Sweeps build models with ``collect=False``
and skip all of this.

The snapshot is computed once per round and every reporter reads from it, so Mesa
calling reporters twice on the first collect costs nothing and cannot disagree.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
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
    """A DataCollector whose model reporters read the per-round snapshot."""
    model._snapshot = {}
    reporters = {key: partial(_column, key) for key in _columns(model)}
    return mesa.DataCollector(model_reporters=reporters)


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
    cols += [f"offer__{s}__{k}" for s in sides for k in space.keys]
    cols += [f"text__{k}" for k in space.keys]
    cols += [f"utility__{a}__{s}" for s in (*sides, "host") for a in keys]
    cols += [f"reservation__{a}" for a in keys]
    cols += [f"approval__{s}" for s in sides]
    cols += ["truce"]
    return cols
