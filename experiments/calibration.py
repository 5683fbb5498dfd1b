"""Calibration with leave-one-out cross-validation over past episodes.

A few free parameters, named alike in every episode file, are fitted jointly over a
small grid: each grid point is scored on every episode by a loss (lower is better), and
for each episode in turn the point with the lowest mean loss on the *other* episodes is
chosen and scored on the held-out one. The mean held-out loss is the out-of-sample error;
the training loss of the chosen point is the in-sample error. With a handful of episodes
the gap between the two is the honest measure of how much the fit overfits (Stone 1974;
Hastie, Tibshirani & Friedman 2009, sec. 7.10). Every other metric ``evaluate`` returns
(Brier, log score, package error) is reported the same way, in and out of sample.

The module is generic: the caller supplies ``evaluate(episode, params) -> metrics``, so
it knows nothing of the model or of how forecasts are scored.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

LOSS = "loss"

# Resolve of each side and the uncertainty about it: the parameters the backtest
# episodes share whose values are most clearly judgement rather than reported fact.
# ``partner_resolve`` is the resolve of the US's counterpart, whoever it is: the caller
# maps it to the episode's own name (``china_resolve``, ``india_resolve``, ...).
PARTNER_PREFIX = "partner_"
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "us_resolve": (0.0, 0.15, 0.3),
    "partner_resolve": (0.0, 0.15, 0.3),
    "resolve_noise": (0.05, 0.15, 0.25),
}


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in a fixed order."""
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def evaluate_grid(
    episodes: Sequence[str],
    points: Sequence[Mapping[str, Any]],
    evaluate: Callable[[str, dict[str, Any]], Mapping[str, float]],
) -> pd.DataFrame:
    """One row per (point, episode): ``point`` index, ``param__<name>`` and the metrics
    ``evaluate`` returns (which must include ``loss``)."""
    rows: list[dict[str, Any]] = []
    for index, point in enumerate(points):
        for episode in episodes:
            metrics = dict(evaluate(episode, dict(point)))
            if LOSS not in metrics:
                raise ValueError(f"evaluate() must return a {LOSS!r} metric, got {sorted(metrics)}")
            row: dict[str, Any] = {"point": index, "episode": episode}
            row.update({f"param__{k}": v for k, v in point.items()})
            row.update(metrics)
            rows.append(row)
    return pd.DataFrame(rows)


def best_point(scores: pd.DataFrame, episodes: Sequence[str]) -> tuple[int, float]:
    """The grid point with the lowest mean loss over ``episodes`` (first on ties)."""
    mean = scores[scores["episode"].isin(list(episodes))].groupby("point")[LOSS].mean()
    point = int(mean.idxmin())
    return point, float(mean.loc[point])


def metric_columns(scores: pd.DataFrame) -> list[str]:
    """The metrics of a score table (every column but the point, episode and values)."""
    return [
        c for c in scores.columns if c not in ("point", "episode") and not c.startswith("param__")
    ]


def leave_one_out(scores: pd.DataFrame) -> pd.DataFrame:
    """For each held-out episode: the point fitted on the others, its in-sample (mean
    training) loss and its out-of-sample (held-out) loss, with the fitted values; and
    each other metric as ``in_sample__<metric>`` (mean over the training episodes at
    the fitted point) and ``out_of_sample__<metric>`` (on the held-out episode)."""
    episodes = list(dict.fromkeys(scores["episode"]))
    if len(episodes) < 2:
        raise ValueError("leave-one-out needs at least two episodes")
    params = [c for c in scores.columns if c.startswith("param__")]
    others = [m for m in metric_columns(scores) if m != LOSS]
    rows = []
    for held_out in episodes:
        train = [e for e in episodes if e != held_out]
        point, in_sample = best_point(scores, train)
        at_point = scores[scores["point"] == point]
        test = at_point[at_point["episode"] == held_out].iloc[0]
        fitted = at_point[at_point["episode"].isin(train)]
        row: dict[str, Any] = {"held_out": held_out, "point": point}
        row.update({p: test[p] for p in params})
        row.update(in_sample_loss=in_sample, out_of_sample_loss=float(test[LOSS]))
        for metric in others:
            row[f"in_sample__{metric}"] = float(fitted[metric].mean())
            row[f"out_of_sample__{metric}"] = float(test[metric])
        rows.append(row)
    return pd.DataFrame(rows)


def in_sample_fit(scores: pd.DataFrame) -> tuple[int, float]:
    """The grid point with the lowest mean loss over *all* episodes, and that loss: the
    in-sample fit that the leave-one-out folds are to be compared with."""
    return best_point(scores, list(dict.fromkeys(scores["episode"])))
