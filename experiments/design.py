"""Design tables: the points of parameter space a sweep visits, and their run ids.

A design is a table of *points* (one row per parameter combination, columns = parameter
names). Run ``run_id`` visits point ``run_id // replications`` as replicate
``run_id % replications``, so a sweep of millions of runs never materialises a row per
run, and any chunk of run ids can be run anywhere. A run's seed is a counter-based hash
of the root seed and its id (:func:`run_seeds`, :mod:`negotiation.streams`): it depends
on nothing else, whatever the executor, chunking or batch.

Designs: full factorial grid; simple random sampling; Latin hypercube (McKay, Beckman &
Conover 1979); Morris trajectories for elementary effects (Morris 1991) and
Sobol/Saltelli sampling for variance-based sensitivity (SALib; Saltelli 2002).
Behaviour parameters (lists of names) are crossed in a grid and sampled uniformly
otherwise.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from experiments.study import MAX_RUNS, Range, Study, StudyError
from negotiation import streams
from negotiation.streams import Stream

MAX_SEED = 2**63 - 1


def check_seed(seed: object, what: str = "seed") -> int:
    """``seed`` if it is an integer in [0, 2**63 - 1] (what SeedSequence and Parquet hold)."""
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and 0 <= seed <= MAX_SEED:
        return int(seed)
    raise ValueError(f"{what} must be an integer from 0 to 2**63 - 1, got {seed!r}")


def run_seed(root_seed: int, run_id: int) -> int:
    """The seed of run ``run_id`` (63 bits, what Parquet's int64 holds)."""
    return int(run_seeds(root_seed, np.array([run_id]))[0])


def run_seeds(root_seed: int, run_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The seeds of many runs at once: a counter-based hash of the root seed and each run
    id (:mod:`negotiation.streams`), a few vectorised integer operations per run."""
    return (streams.words(root_seed, Stream.RUN_SEED, run_ids) >> np.uint64(1)).astype(np.int64)


def design_points(study: Study) -> pd.DataFrame:
    """The design points of a study (fixed parameters included as constant columns).

    The size is checked before anything is built (a study validated on load already is).
    """
    if study.total_runs > MAX_RUNS:
        raise StudyError(f"the study has {study.total_runs:,} runs, above the cap of {MAX_RUNS:,}")
    spec = study.design
    rng = np.random.default_rng(np.random.SeedSequence(study.study.root_seed, spawn_key=(2**32,)))
    names = list(spec.parameters)
    if spec.kind == "grid":
        axes = [_grid_axis(spec.parameters[n]) for n in names]
        points = pd.DataFrame(list(itertools.product(*axes)), columns=names)
    else:
        assert spec.samples is not None
        unit = _unit_sample(spec.kind, len(names), spec.samples, rng)
        points = pd.DataFrame(
            {n: _scale(spec.parameters[n], unit[:, i]) for i, n in enumerate(names)}
        )
    scenario = study.scenario()
    for name in names:
        if scenario.parameters[name].kind == "integer":
            points[name] = points[name].round().astype(int)
    for name, value in study.fixed.items():
        points[name] = value
    return points


def _grid_axis(values: list[Any] | Range) -> list[Any]:
    if isinstance(values, Range):
        assert values.levels is not None
        return [float(v) for v in np.linspace(values.low, values.high, values.levels)]
    return list(values)


def _unit_sample(kind: str, dims: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """Points in the unit hypercube: random, Latin hypercube, Morris or Sobol/Saltelli."""
    if kind == "random":
        return rng.random((samples, dims))
    if kind == "lhs":
        strata = np.stack([rng.permutation(samples) for _ in range(dims)], axis=1)
        return (strata + rng.random((samples, dims))) / samples
    problem = {"num_vars": dims, "names": [f"x{i}" for i in range(dims)], "bounds": [[0, 1]] * dims}
    seed = int(rng.integers(0, 2**31 - 1))
    if kind == "morris":
        from SALib.sample import morris as morris_sample

        return np.asarray(morris_sample.sample(problem, samples, num_levels=4, seed=seed))
    from SALib.sample import sobol as sobol_sample

    return np.asarray(sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed))


def _scale(values: list[Any] | Range, u: np.ndarray) -> list[Any]:
    if isinstance(values, Range):
        return list(values.low + u * (values.high - values.low))
    index = np.minimum((u * len(values)).astype(int), len(values) - 1)
    return [values[i] for i in index]


def sobol_problem(study: Study) -> dict[str, Any]:
    """SALib's problem definition for a Sobol study (numeric parameters only)."""
    names = list(study.design.parameters)
    bounds = []
    for n in names:
        v = study.design.parameters[n]
        bounds.append([v.low, v.high] if isinstance(v, Range) else [0, len(v)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}
