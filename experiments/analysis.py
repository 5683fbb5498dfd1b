"""Analysing sweeps: P(truce) by parameter, sensitivity indices, scenario discovery.

- :func:`p_truce_by` — P(truce) with Wilson 95% intervals by one or two parameters.
- :func:`sobol_indices` — first-order and total Sobol indices (Sobol 2001; Saltelli 2002)
  from a ``sobol`` study, for P(truce) or any numeric outcome column, with replications
  averaged per design point first (SALib is given numpy arrays).
- :func:`morris_indices` — elementary effects (Morris 1991; Campolongo et al. 2007) from
  a ``morris`` study.
- :func:`prim` — scenario discovery (Bryant & Lempert 2010) with EMA Workbench's PRIM
  (Friedman & Fisher 1999; Kwakkel 2017): the peeling trajectory (coverage, density,
  support, bounds, kept categories) of the box toward where truces are likely, over
  numeric, integer, boolean and behaviour parameters. :func:`prim_inputs` and
  :func:`prim_frame` give EMA's ``Prim`` its inputs with the casts it needs (integer and
  boolean columns to float under pandas 3, behaviour names as ``category``) for
  interactive use. EMA Workbench is the ``analysis`` extra; it is imported on first use.

References: Friedman, J. H. & Fisher, N. I. (1999), Bump hunting in high-dimensional
data, Statistics and Computing 9, 123–143. Bryant, B. P. & Lempert, R. J. (2010),
Thinking inside the box, Technological Forecasting and Social Change 77, 34–49.
Kwakkel, J. H. (2017), The Exploratory Modeling Workbench, Environmental Modelling &
Software 96, 239–250.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.design import sobol_problem
from experiments.extras import require
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
    """One box of a PRIM peeling trajectory (numeric bounds, kept categories, statistics)."""

    bounds: dict[str, tuple[float, float]]  # numeric parameters: (low, high), inclusive
    coverage: float  # share of all cases of interest (truces) inside the box
    density: float  # share of the runs inside the box that are cases of interest
    support: float  # share of runs inside the box (EMA's "mass")
    # Categorical (behaviour) parameters: the values the box keeps, sorted.
    categories: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    restricted: tuple[str, ...] = ()  # the parameters the box restricts


def prim_frame(x: pd.DataFrame) -> pd.DataFrame:
    """``x`` with the column types EMA Workbench's PRIM handles.

    Integer and boolean columns become float (EMA's integer peel writes a float limit
    into an integer column, which pandas 3 refuses; a boolean column would otherwise be a
    two-category nominal); text and object columns (behaviour names) become pandas
    ``category`` columns, which EMA peels one category at a time. Float and category
    columns are kept. Missing values are refused, naming the column: PRIM cannot place
    a run whose parameter has no value (e.g. the exponent of a behaviour that has none).
    """
    out = pd.DataFrame(index=x.index)
    for column in x.columns:
        values = x[column]
        if values.isna().any():
            raise ValueError(
                f"column {column!r} has {int(values.isna().sum())} missing values: "
                "PRIM needs a value in every run (leave that parameter out)"
            )
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype(float)
        else:
            out[column] = values.astype("category")
    return out


def prim_inputs(
    table: pd.DataFrame, parameters: list[str], outcome: str = "truce"
) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``(x, y)`` EMA Workbench's ``Prim`` takes, from a sweep's table.

    ``x`` holds the ``param__`` columns of ``parameters`` (named without the prefix),
    cast by :func:`prim_frame`; ``y`` is ``outcome`` as 0/1 integers, for the runs that
    finished. For interactive use: ``Prim(*prim_inputs(table, names)).find_box()`` gives
    EMA's box with its plots (``show_tradeoff``, ``inspect``).
    """
    data = _ok(table)
    missing = [p for p in parameters if PARAM + p not in data]
    if missing:
        allowed = sorted(c.removeprefix(PARAM) for c in data if c.startswith(PARAM))
        raise ValueError(f"no parameter column for {missing}; the table has {allowed}")
    if outcome not in data:
        raise ValueError(f"no outcome column {outcome!r} in the table")
    x = prim_frame(data[[PARAM + p for p in parameters]].set_axis(parameters, axis=1))
    raw = data[outcome]
    if raw.isna().any() or not raw.astype(float).isin([0.0, 1.0]).all():
        raise ValueError(
            f"PRIM needs a yes/no outcome: {outcome!r} has values other than 0/1/True/False "
            "(make a boolean column first, e.g. table['deal'] = table['nash_product'] > 0.2)"
        )
    y = raw.astype(float).astype(int).to_numpy()
    if y.sum() == 0:
        raise ValueError(f"no run has {outcome!r}: nothing to discover")
    return x.reset_index(drop=True), y


def prim(
    table: pd.DataFrame,
    parameters: list[str],
    outcome: str = "truce",
    alpha: float = 0.05,
    min_support: float = 0.05,
) -> list[PrimBox]:
    """The peeling trajectory of the first PRIM box toward runs where ``outcome`` holds.

    EMA Workbench's :class:`~ema_workbench.analysis.prim.Prim` (Kwakkel 2017), the
    Patient Rule Induction Method of Friedman & Fisher (1999) as used for scenario
    discovery (Bryant & Lempert 2010). Each step peels the ``alpha`` share of the box
    from one side of one parameter (numeric ones, integers and booleans cast to float,
    at a quantile; categorical ones one category at a time), choosing the peel with
    EMA's default lenient objective, as long as the box keeps ``min_support`` of the
    runs; then it pastes back what raises the density. A bound of a discrete parameter
    may fall between two of its levels (2.5 for "3 and above"). The first box of the
    list is the whole space, later ones are smaller and denser: pick one on the
    trade-off between coverage and density. Columns are cast by :func:`prim_frame`.
    """
    prim_module = _ema_prim()
    x, y = prim_inputs(table, parameters, outcome)
    with quiet_ema():
        analysis = prim_module.Prim(x, y, peel_alpha=alpha, mass_min=min_support)
        found = analysis.find_box()
    if found is None:  # pragma: no cover - only with no data left, which inputs refuse
        raise ValueError("PRIM found no box")
    initial = found.box_lims[0]
    boxes = []
    for limits, (_, stats) in zip(found.box_lims, found.peeling_trajectory.iterrows(), strict=True):
        boxes.append(_box(x, limits, initial, stats))
    return boxes


@contextlib.contextmanager
def quiet_ema() -> Iterator[None]:
    """Silence EMA Workbench's own notices that say nothing about the user's data: that
    ipyparallel is not installed (on import) and pandas' deprecation of ``inplace``
    (EMA 3.0's PRIM drops a column in place)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        yield


def _ema_prim() -> Any:
    """EMA Workbench's PRIM module, imported on first use (a few seconds: it brings in
    matplotlib, seaborn and scikit-learn)."""
    with quiet_ema():
        return require("ema_workbench.analysis.prim", "analysis", "PRIM")


def _box(x: pd.DataFrame, limits: pd.DataFrame, initial: pd.DataFrame, stats: pd.Series) -> PrimBox:
    bounds: dict[str, tuple[float, float]] = {}
    categories: dict[str, tuple[Any, ...]] = {}
    restricted = []
    for column in x.columns:
        if isinstance(x[column].dtype, pd.CategoricalDtype):
            if column in limits:
                kept = limits.loc[0, column]
                if set(kept) != set(initial.loc[0, column]):
                    restricted.append(column)
            else:  # EMA leaves out a categorical column with one value
                kept = set(x[column].unique())
            categories[column] = tuple(sorted(kept, key=str))
        else:
            low, high = float(limits.loc[0, column]), float(limits.loc[1, column])
            bounds[column] = (low, high)
            if (low, high) != (float(initial.loc[0, column]), float(initial.loc[1, column])):
                restricted.append(column)
    return PrimBox(
        bounds=bounds,
        coverage=float(stats["coverage"]),
        density=float(stats["density"]),
        support=float(stats["mass"]),
        categories=categories,
        restricted=tuple(restricted),
    )
