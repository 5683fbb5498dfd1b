"""Analysing sweeps: P(truce) by parameter, sensitivity indices, scenario discovery.

- :func:`p_truce_by` — P(truce) with Wilson 95% intervals by one or two parameters.
- :func:`sobol_indices` — first-order and total Sobol indices (Sobol 2001; Saltelli 2002)
  from a ``sobol`` study, for P(truce) or any numeric outcome column, with replications
  averaged per design point first (SALib is given numpy arrays).
- :func:`morris_indices` — elementary effects (Morris 1991; Campolongo et al. 2007) from
  a ``morris`` study.
- :func:`prim` — the Patient Rule Induction Method (Friedman & Fisher 1999), as used for
  scenario discovery (Bryant & Lempert 2010): peel the parameter box toward where truces
  are likely, and report the peeling trajectory (coverage, density, bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.design import sobol_problem
from experiments.intervals import wilson_interval
from experiments.study import Study

PARAM = "param__"


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    """Runs that finished (a run that raised has an error and no outcome)."""
    return table[table["error"].isna()] if "error" in table else table


def p_truce_by(table: pd.DataFrame, x: str, y: str | None = None) -> pd.DataFrame:
    """P(truce) per value of ``x`` (and ``y``): runs, truces, p_truce, ci_low, ci_high."""
    keys = [PARAM + x] + ([PARAM + y] if y else [])
    grouped = _ok(table).groupby(keys)["truce"].agg(runs="count", truces="sum").reset_index()
    grouped["truces"] = grouped["truces"].astype(int)
    grouped["p_truce"] = grouped["truces"] / grouped["runs"]
    bounds = [
        wilson_interval(t, n) for t, n in zip(grouped["truces"], grouped["runs"], strict=True)
    ]
    grouped["ci_low"] = [b[0] for b in bounds]
    grouped["ci_high"] = [b[1] for b in bounds]
    return grouped.rename(columns={PARAM + x: x} | ({PARAM + y: y} if y else {}))


def _point_means(table: pd.DataFrame, output: str, points: int) -> np.ndarray:
    values = _ok(table).groupby("point")[output].mean().astype(float)
    if len(values) != points:
        raise ValueError(
            f"the sweep has outcomes for {len(values)} of {points} design points "
            "(unfinished, or runs raised): finish or resume it first"
        )
    return values.sort_index().to_numpy()


def sobol_indices(table: pd.DataFrame, study: Study, output: str = "truce") -> pd.DataFrame:
    """Sobol indices (S1, ST with confidence) of ``output`` averaged per design point."""
    from SALib.analyze import sobol

    if study.design.kind != "sobol":
        raise ValueError(f"Sobol indices need a 'sobol' design, not {study.design.kind!r}")
    problem = sobol_problem(study)
    points = (study.design.samples or 0) * (problem["num_vars"] + 2)
    y = _point_means(table, output, points)
    result = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False)
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    ).sort_values("ST", ascending=False, ignore_index=True)


def morris_indices(
    table: pd.DataFrame, study: Study, points: pd.DataFrame, output: str = "truce"
) -> pd.DataFrame:
    """Morris elementary effects (mu*, sigma) of ``output`` from a ``morris`` study."""
    from SALib.analyze import morris

    if study.design.kind != "morris":
        raise ValueError(f"Morris indices need a 'morris' design, not {study.design.kind!r}")
    problem = sobol_problem(study)
    x = points[problem["names"]].to_numpy(dtype=float)
    y = _point_means(table, output, len(points))
    result = morris.analyze(problem, x, y, print_to_console=False)
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu_star": result["mu_star"],
            "mu_star_conf": result["mu_star_conf"],
            "sigma": result["sigma"],
        }
    ).sort_values("mu_star", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class PrimBox:
    """One box of a PRIM peeling trajectory."""

    bounds: dict[str, tuple[float, float]]
    coverage: float  # share of all truces inside the box
    density: float  # P(truce) inside the box
    support: float  # share of runs inside the box


def prim(
    table: pd.DataFrame,
    parameters: list[str],
    outcome: str = "truce",
    alpha: float = 0.05,
    min_support: float = 0.05,
) -> list[PrimBox]:
    """PRIM peeling trajectory toward boxes where ``outcome`` is likely.

    At each step the box loses the ``alpha`` quantile slice (from the low or high end of
    one parameter) whose removal raises the density most, until fewer than
    ``min_support`` of the runs remain. Parameters are cast to float (integer columns
    break other PRIM implementations under pandas 3).
    """
    data = _ok(table)
    x = data[[PARAM + p for p in parameters]].astype(float).to_numpy()
    y = data[outcome].astype(float).to_numpy()
    total = y.sum()
    if total == 0:
        raise ValueError(f"no run has {outcome!r}: nothing to discover")
    inside = np.ones(len(y), dtype=bool)
    bounds = {p: (float(x[:, i].min()), float(x[:, i].max())) for i, p in enumerate(parameters)}
    boxes = [_box(bounds, inside, y, total)]
    while inside.mean() > min_support:
        best = None
        for i, p in enumerate(parameters):
            values = x[inside, i]
            for side, cut in (
                ("low", np.quantile(values, alpha)),
                ("high", np.quantile(values, 1 - alpha)),
            ):
                keep = inside & ((x[:, i] >= cut) if side == "low" else (x[:, i] <= cut))
                if keep.sum() == inside.sum() or keep.sum() == 0:
                    continue
                density = y[keep].mean()
                if best is None or density > best[0]:
                    best = (density, keep, p, side, float(cut))
        if best is None or best[1].mean() < min_support:
            break
        _, inside, p, side, cut = best
        low, high = bounds[p]
        bounds = {**bounds, p: (cut, high) if side == "low" else (low, cut)}
        boxes.append(_box(bounds, inside, y, total))
    return boxes


def _box(
    bounds: dict[str, tuple[float, float]], inside: np.ndarray, y: np.ndarray, total: float
) -> PrimBox:
    return PrimBox(
        dict(bounds), float(y[inside].sum() / total), float(y[inside].mean()), float(inside.mean())
    )
