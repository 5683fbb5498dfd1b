"""Ensembles: many seeded runs of one setting, summarised as P(truce) and the median deal.

Run ``i`` of an ensemble with root seed ``r`` uses the seed of run id ``i`` of a sweep
with root seed ``r`` (:func:`experiments.design.run_seed`), on any executor. Inputs are
checked before anything runs: 1 to :data:`MAX_ENSEMBLE_RUNS` runs (an ensemble keeps
every outcome in memory; a sweep streams to disk), a root seed in [0, 2**63 - 1] and the
scenario's parameters. An executor that dies mid-way raises
:class:`~experiments.executors.ExecutorLost` (an ensemble keeps nothing partial).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any

import numpy as np

from experiments.design import check_seed, run_seed
from experiments.intervals import wilson_interval
from experiments.sweep import ChunkTask, _run_windowed, run_chunk
from negotiation import Outcome, Scenario, load_scenario
from negotiation.lockstep import run_seeds

MAX_ENSEMBLE_RUNS = 1_000_000
SERIAL_BATCH = 200  # runs between progress reports of a serial ensemble


@dataclass(frozen=True)
class EnsembleSummary:
    """P(truce) with its Wilson 95% interval, and what the truces agreed."""

    scenario: str
    runs: int
    root_seed: int
    params: dict[str, Any]
    p_truce: float
    ci95: tuple[float, float]
    p_summit_deal: float
    p_no_deal: float
    median_package: dict[str, float | None]
    median_days_before_summit: float | None
    errors: int
    # Per-truce values behind the medians (for histograms); left out of to_dict().
    truce_days: tuple[float, ...] = ()
    agreed: dict[str, tuple[float, ...]] = field(default_factory=dict)
    # Per finished run, in run order: its run id (its seed is run_seed(root_seed, id))
    # and whether it ended in a truce; ``agreed`` follows the truces in this order. What
    # pairs two ensembles run with the same root seed (experiments.compare).
    run_ids: tuple[int, ...] = ()
    truces: tuple[bool, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci95"] = list(self.ci95)
        for per_run in ("truce_days", "agreed", "run_ids", "truces"):
            del out[per_run]
        return out

    def _repr_html_(self) -> str:
        """A compact table for notebooks: P(truce) with its interval, and the medians."""
        low, high = self.ci95
        days = self.median_days_before_summit
        rows = "".join(
            f"<tr><td>{escape(k)}</td><td style='text-align:right'>"
            f"{'&ndash;' if v is None else f'{v:.4g}'}</td></tr>"
            for k, v in self.median_package.items()
        )
        return (
            f"<div><strong>P(truce) = {self.p_truce:.3f}</strong> (95% interval "
            f"{low:.3f}&ndash;{high:.3f}) over {self.runs:,} runs of {escape(self.scenario)}"
            f"<br>summit deal {self.p_summit_deal:.3f}, no deal {self.p_no_deal:.3f}"
            + (f", median truce {days:.1f} days before the summit" if days is not None else "")
            + f"<table><thead><tr><th>issue</th><th>median agreed</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )


def summarise(
    scenario: Scenario,
    outcomes: list[Outcome],
    root_seed: int,
    params: dict[str, Any],
    errors: int = 0,
    run_ids: Sequence[int] | None = None,
) -> EnsembleSummary:
    """Summary of finished runs (runs that raised count in ``errors`` only); ``run_ids``
    are the finished runs' ids, in the order of ``outcomes`` (default 0, 1, ...)."""
    n = len(outcomes)
    truces = [o for o in outcomes if o.truce]
    agreed = {key: tuple(o.package[key] for o in truces) for key in scenario.space.keys}
    median_package = {k: float(np.median(v)) if v else None for k, v in agreed.items()}
    days = [o.days_before_summit for o in truces if o.days_before_summit is not None]
    return EnsembleSummary(
        scenario=scenario.name,
        runs=n,
        root_seed=root_seed,
        params=params,
        p_truce=len(truces) / n if n else math.nan,
        ci95=wilson_interval(len(truces), n),
        p_summit_deal=sum(o.summit_deal for o in outcomes) / n if n else math.nan,
        p_no_deal=sum(o.outcome == "no deal" for o in outcomes) / n if n else math.nan,
        median_package=median_package,
        median_days_before_summit=float(np.median(days)) if days else None,
        errors=errors,
        truce_days=tuple(days),
        agreed=agreed,
        run_ids=tuple(range(n)) if run_ids is None else tuple(run_ids),
        truces=tuple(bool(o.truce) for o in outcomes),
    )


def run_ensemble(
    scenario: Scenario | str,
    runs: int,
    params: dict[str, Any] | None = None,
    *,
    root_seed: int = 0,
    executor: Executor | None = None,
    chunk_size: int = 250,
    on_progress: Callable[[int, int], None] | None = None,
) -> EnsembleSummary:
    """``runs`` seeded runs of ``scenario`` with ``params``; serial unless an executor is given.

    ``on_progress(done, runs)`` is called as runs finish. Parameters are validated before
    anything runs.
    """
    _check_sizes(runs, chunk_size)
    root_seed = check_seed(root_seed, "root_seed")
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    params = dict(params or {})
    setting = base.with_parameters(params)  # raises ScenarioError for bad parameters
    if executor is None:
        return _serial(base, setting, runs, params, root_seed, on_progress)
    finished: list[tuple[int, Outcome]] = []
    errors = 0
    for batch, failed in chunk_outcomes(
        base, runs, params, root_seed=root_seed, executor=executor, chunk_size=chunk_size
    ):
        finished += batch
        errors += failed
        if on_progress:
            on_progress(len(finished) + errors, runs)
    return summarise_finished(setting, finished, root_seed, params, errors)


def chunk_outcomes(
    base: Scenario,
    runs: int,
    params: dict[str, Any],
    *,
    root_seed: int,
    executor: Executor,
    chunk_size: int,
    in_flight: int = 4,
) -> Iterator[tuple[list[tuple[int, Outcome]], int]]:
    """The ensemble's runs on ``executor`` in chunks of ``chunk_size``, as they finish:
    per chunk, its (run id, outcome) pairs and how many of its runs raised. At most
    ``in_flight`` chunks are submitted at a time; closing the iterator early submits no
    more and cancels those the executor has not handed to a worker (a process pool hands
    over one more than it has workers at once). Inputs are assumed checked (see
    :func:`run_ensemble`)."""
    scenario_json = base.model_dump_json()  # once: every chunk carries the same text
    tasks = (
        ChunkTask(
            index=c,
            scenario_json=scenario_json,
            first_run=start,
            stop_run=min(start + chunk_size, runs),
            replications=runs,
            root_seed=root_seed,
            points={0: params},
        )
        for c, start in enumerate(range(0, runs, chunk_size))
    )
    for _, rows in _run_windowed(executor, tasks, in_flight, run_chunk):
        done = [
            (row["run_id"], _outcome_from_row(row, base)) for row in rows if row["error"] is None
        ]
        yield done, len(rows) - len(done)


def summarise_finished(
    setting: Scenario,
    finished: list[tuple[int, Outcome]],
    root_seed: int,
    params: dict[str, Any],
    errors: int = 0,
) -> EnsembleSummary:
    """:func:`summarise` of (run id, outcome) pairs finished in any order, in run order."""
    ordered = sorted(finished, key=lambda pair: pair[0])
    return summarise(
        setting, [o for _, o in ordered], root_seed, params, errors, [i for i, _ in ordered]
    )


def _check_sizes(runs: int, chunk_size: int) -> None:
    """Refuse run counts and chunk sizes that are not positive integers (or too many runs)."""
    for name, value, cap in (("runs", runs, MAX_ENSEMBLE_RUNS), ("chunk_size", chunk_size, None)):
        integer = isinstance(value, int) and not isinstance(value, bool)
        if not integer or value < 1 or (cap is not None and value > cap):
            most = f" to {cap:,}" if cap else ""
            raise ValueError(f"{name} must be an integer from 1{most}, got {value!r}")


def _serial(
    base: Scenario,
    setting: Scenario,
    runs: int,
    params: dict[str, Any],
    root_seed: int,
    on_progress: Callable[[int, int], None] | None,
) -> EnsembleSummary:
    outcomes: list[Outcome] = []
    for start in range(0, runs, SERIAL_BATCH):  # lockstep batches where the plan allows
        seeds = [run_seed(root_seed, i) for i in range(start, min(start + SERIAL_BATCH, runs))]
        outcomes += run_seeds(base, seeds, params)
        if on_progress:
            on_progress(len(outcomes), runs)
    return summarise(setting, outcomes, root_seed, params)


def _outcome_from_row(row: dict[str, Any], scenario: Scenario) -> Outcome:
    """Rebuild the parts of an outcome record an ensemble summary reads."""
    package = {k: row[f"package__{k}"] for k in scenario.space.keys}
    fields: dict[str, Any] = {f: row.get(f) for f in Outcome.__dataclass_fields__}
    fields.update(package=package, utilities={}, reservations={}, vetoed_by=[], params={})
    return Outcome(**fields)
