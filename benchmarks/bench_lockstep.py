"""The lockstep engine against the per-run model, side by side in one process.

For the flagship's default protocol, the cost of a run:

- in ``run_once`` (outcome record only), the baseline;
- in :class:`~negotiation.lockstep.model.LockstepTalks` as a batch of one (the
  dashboard's path), with its outcome columns;
- in batches of ``--runs`` runs of one setting (an ensemble), with the columns and with
  the full records (``outcome_rows``, what a sweep stores);
- the same with vectorised behaviours: both delegations' targets from the logrolling
  aspiration written over the runs (:class:`VectorisedAspiration`) and their verdicts
  from AC_next written over them (:class:`VectorisedACNext`), every group's
  pressure from the pressure rule written over them (:class:`VectorisedPressure`) and
  the US leader's threats from the stall-threat rule written over them
  (:class:`VectorisedStallThreat`), both delegations' beliefs from the frequency model
  written over them (:class:`VectorisedFrequency`) and both leaders' verdicts from the
  win-set written over them (:class:`VectorisedWinSet`), the same runs: the round in
  phases, the behaviours asked from Python between them; and with the opponent models
  alone, and the ratification rules alone, vectorised; and a host that splits the
  difference written over the runs (:class:`VectorisedSplit`) against the compiled
  one;
- in batches of ``--runs`` runs of as many settings, a dozen named parameters drawn at
  random per run (a sweep's chunk), plans included, against ``run_once`` on the same
  runs.

Repeats alternate between the paths so that a busy machine slows all alike; figures are
medians. The projection of a 10^6-run sweep divides by the machine's cores (the sweep's
process pool scales with them).

    python -m benchmarks.bench_lockstep [--repeats 5] [--runs 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import Field

from negotiation.behaviours import (
    AcceptRuns,
    HostRuns,
    LeaderRuns,
    LobbyRuns,
    OfferRuns,
    OpponentRuns,
    RatifyRuns,
    VectorisedAcceptance,
    VectorisedEscalation,
    VectorisedLobbying,
    VectorisedMediation,
    VectorisedOffer,
    VectorisedOpponent,
    VectorisedRatification,
    register,
    unregister,
)
from negotiation.behaviours.vectorised import Ratified
from negotiation.lockstep import LockstepTalks, outcome_columns, outcome_rows
from negotiation.lockstep.collection import collection_paused
from negotiation.model import run_once
from negotiation.scenario import load_scenario

FLAGSHIP = "kuala-lumpur-2025"
RANDOM_PARAMETERS = (  # the twelve of experiments/studies/sobol-all.toml
    "threat_credibility",
    "farmer_pressure",
    "hawk_influence",
    "china_resolve",
    "us_resolve",
    "ratification_threshold",
    "lobbying_rate",
    "shock_scale",
    "summit_max_gap",
    "resolve_noise",
    "us_concession_exponent",
    "china_concession_exponent",
)


VECTORISED = "benchmark-vectorised"  # the name of each vectorised behaviour here


@dataclass
class VectorisedAspiration(VectorisedOffer):
    """Faratin et al.'s (1998) time-dependent aspiration, written over the runs: the
    logrolling strategy's target, so the runs are logrolling's."""

    e: Annotated[float, Field(gt=0.0, le=50.0)] = 0.5

    def target_utilities(self, runs: OfferRuns) -> npt.NDArray[np.float64]:
        return 1.0 - (1.0 - runs.reservation) * (min(max(runs.t, 0.0), 1.0) ** (1.0 / self.e))


@dataclass
class VectorisedPressure(VectorisedLobbying):
    """Grossman & Helpman's (2001) pressure written over the runs: the pressure rule's,
    so the pull is the compiled rule's."""

    gain: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0

    def pressures(self, runs: LobbyRuns) -> npt.NDArray[np.float64]:
        rate = self.gain * runs.influence * runs.urgency * runs.lobbying_rate
        return rate[:, None] * runs.weights


@dataclass
class VectorisedStallThreat(VectorisedEscalation):
    """Schelling's (1966) stall threat written over the runs: the stall-threat rule's,
    so the threats are the compiled rule's."""

    patience: Annotated[int, Field(ge=1, le=50)] = 3
    min_progress: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    step: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    withdraw: bool = True

    def changes(self, runs: LeaderRuns) -> npt.NDArray[np.float64]:
        n, patience = runs.round, self.patience
        due = (n > patience) & ((n - 1) % patience == 0)
        before = runs.gaps[np.arange(runs.size), np.maximum(n - 1 - patience, 0)]
        progress = before - runs.gaps[:, n - 1]
        softened = self.withdraw & (progress > 2 * self.min_progress)
        change = np.where(softened, -self.step / 2, 0.0)
        change = np.where(progress < self.min_progress, self.step, change)
        return np.where(due, change, 0.0)


@dataclass
class VectorisedACNext(VectorisedAcceptance):
    """Baarslag, Hindriks & Jonker's (2011) AC_next written over the runs: the ac-next
    rule's, so the verdicts are the compiled rule's."""

    alpha: Annotated[float, Field(gt=0.0, le=2.0)] = 1.0
    beta: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0

    def accepted(self, runs: AcceptRuns) -> npt.NDArray[np.bool_]:
        result: npt.NDArray[np.bool_] = self.alpha * runs.offered + self.beta >= runs.next
        return result


@dataclass
class VectorisedFrequency(VectorisedOpponent):
    """The HardHeaded frequency model (van Krimpen, Looije & Hajizadeh 2013) written
    over the runs: the frequency model's, so the beliefs are the compiled model's."""

    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.2
    tolerance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01

    def beliefs(
        self, runs: OpponentRuns
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        still = np.reshape(self.tolerance, (-1, 1)) * runs.span  # a field: one value a run
        unchanged = np.where(np.abs(runs.offer - runs.previous) < still, 1.0, 0.0)
        raw = runs.weights + np.reshape(self.learning_rate, (-1, 1)) * unchanged
        first = runs.first[:, None]
        weights = np.where(first, runs.weights, raw / raw.sum(axis=1, keepdims=True))
        return np.where(first, runs.offer, runs.ideal), weights


@dataclass
class VectorisedWinSet(VectorisedRatification):
    """Putnam's (1988) win-set with Iida's (1993) uncertain mood written over the runs:
    the win-set rule's, so the verdicts are the compiled rule's (the approval summed in
    numpy's order, which can differ from a dot product's in the last bit: a verdict
    could differ only where the approval is the threshold to that bit)."""

    threshold: Annotated[float, Field(ge=0.0, le=1.0)] | None = None

    def verdicts(self, runs: RatifyRuns) -> Ratified:
        margin = runs.margins + runs.relax[:, None]
        noisy = runs.noise > 0
        scale = np.where(noisy, runs.noise, 1.0)[:, None]
        with np.errstate(over="ignore"):
            logistic = 1.0 / (1.0 + np.exp(-np.clip(margin / scale, -50.0, 50.0)))
        support = np.where(noisy[:, None], logistic, np.where(margin >= 0, 1.0, 0.0))
        approve = np.where(noisy[:, None], support >= 0.5, margin >= 0)
        total = runs.influence.sum(axis=1)
        approval = np.where(
            total > 0, (runs.influence * support).sum(axis=1) / np.where(total > 0, total, 1.0), 1.0
        )
        given = np.atleast_1d(np.asarray(self.threshold, dtype=object))  # a value a run
        chosen = np.array([np.nan if t is None else t for t in given], dtype=float)
        threshold = np.where(np.isnan(chosen), runs.threshold, chosen)
        threshold = threshold - np.where(noisy, runs.mood, 0.0)
        leader_ok = runs.leader_utility >= runs.leader_reservation - runs.relax
        groups_ok = approval >= threshold - runs.relax
        blocked = np.concatenate([~leader_ok[:, None], ~approve & ~groups_ok[:, None]], axis=1)
        return ~blocked.any(axis=1), approval, blocked  # ratified unless someone blocks


@dataclass
class VectorisedSplit(VectorisedMediation):
    """Splitting the difference (Schelling 1960; Raiffa 1982, ch. 4) written over the
    runs, with the convenor's goodwill: the split-the-difference rule's, so the texts
    and the goodwill are the compiled rule's."""

    goodwill: Annotated[float, Field(ge=0.0, le=0.2)] = 0.004
    cap: Annotated[float, Field(ge=0.0, le=0.2)] = 0.03

    def mediate(self, runs: HostRuns) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        added = np.minimum(self.cap, runs.goodwill + self.goodwill)
        goodwill = np.where(runs.goodwill < self.cap, added, runs.goodwill)
        return goodwill, 0.5 * (runs.offers[:, 0] + runs.offers[:, 1])  # NaN before offers


VECTORISED_CLASSES = {
    "offer": VectorisedAspiration,
    "acceptance": VectorisedACNext,
    "lobbying": VectorisedPressure,
    "escalation": VectorisedStallThreat,
    "opponent_model": VectorisedFrequency,
    "ratification": VectorisedWinSet,
    "mediation": VectorisedSplit,
}


@contextmanager
def vectorised_registered() -> Iterator[dict[str, Any]]:
    """The vectorised copies of the built-in rules registered, and the parameters that
    give both delegations the aspiration (with the flagship's exponents), AC_next and
    the frequency model, every group the pressure, the US leader the stall threat and
    both leaders the win-set."""
    for kind, cls in VECTORISED_CLASSES.items():
        register(kind, VECTORISED)(cls)
    try:
        yield {
            "us_offer_strategy": VECTORISED,
            "china_offer_strategy": VECTORISED,
            "china_concession_exponent": 0.5,
            "us_acceptance": VECTORISED,
            "china_acceptance": VECTORISED,
            "lobbying_behaviour": VECTORISED,
            "us_escalation": VECTORISED,
            "us_opponent_model": VECTORISED,
            "china_opponent_model": VECTORISED,
            "us_ratification": VECTORISED,
            "china_ratification": VECTORISED,
        }
    finally:
        for kind in VECTORISED_CLASSES:
            unregister(kind, VECTORISED)


def random_points(n: int, seed: int) -> list[dict[str, float]]:
    """``n`` draws of the twelve parameters, uniform in the ranges the flagship declares."""
    declared = load_scenario(FLAGSHIP).parameters
    ranges = [
        (n, float(declared[n].low or 0.0), float(declared[n].high or 0.0))
        for n in RANDOM_PARAMETERS
    ]
    rng = np.random.default_rng(seed)
    return [{name: float(rng.uniform(lo, hi)) for name, lo, hi in ranges} for _ in range(n)]


def _batch(
    seeds: list[int],
    records: bool,
    points: list[dict[str, float]] | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    with collection_paused():  # as run_seeds and a sweep's chunk run a batch
        model = LockstepTalks(FLAGSHIP, seeds, points=points, **(params or {}))
        model.run()
        if records:
            outcome_rows(model)
        else:
            outcome_columns(model)


def _one_repeat(r: int, runs: int, single: int, vectorised: dict[str, Any]) -> dict[str, float]:
    """Seconds per run of each path on repeat ``r``'s runs."""
    seeds = list(range(r * runs, (r + 1) * runs))
    points = random_points(runs, r + 1)
    clock = time.perf_counter
    out: dict[str, float] = {}
    start = clock()
    for seed in seeds[:single]:
        run_once(FLAGSHIP, seed)
    out["once"] = (clock() - start) / single
    start = clock()
    for seed in seeds[:50]:
        _batch([seed], False)
    out["alone"] = (clock() - start) / 50
    start = clock()
    _batch(seeds, False)
    out["columns"] = (clock() - start) / runs
    start = clock()
    _batch(seeds, False, params=vectorised)
    out["vectorised"] = (clock() - start) / runs
    start = clock()
    _batch(seeds, False, params={k: v for k, v in vectorised.items() if "opponent" in k})
    out["opponents"] = (clock() - start) / runs
    start = clock()
    _batch(seeds, False, params={k: v for k, v in vectorised.items() if "ratification" in k})
    out["ratification"] = (clock() - start) / runs
    start = clock()
    _batch(seeds, False, params={"host_behaviour": "split-the-difference"})
    out["split"] = (clock() - start) / runs
    start = clock()
    _batch(seeds, False, params={"host_behaviour": VECTORISED})
    out["mediation"] = (clock() - start) / runs
    start = clock()
    _batch(seeds, True)
    out["rows"] = (clock() - start) / runs
    start = clock()
    for seed, point in zip(seeds[:single], points[:single], strict=True):
        run_once(FLAGSHIP, seed, point)
    out["once_points"] = (clock() - start) / single
    start = clock()
    _batch(seeds, True, points)
    out["points"] = (clock() - start) / runs
    return out


def bench_lockstep(repeats: int = 5, runs: int = 1000) -> dict[str, Any]:
    """Medians of alternating repeats: seconds per run of each path, and their ratios."""
    with vectorised_registered() as vectorised:
        _batch([0, 1], True, random_points(2, 0))  # load the compiled protocol (or compile it)
        _batch([0, 1], False, params=vectorised)  # and its phases
        samples = [_one_repeat(r, runs, min(runs, 200), vectorised) for r in range(repeats)]
    m = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    cores = os.cpu_count() or 1
    return {
        "run_once_ms_per_run": m["once"] * 1e3,
        "lockstep_batch_of_one_ms": m["alone"] * 1e3,
        "lockstep_us_per_run_one_setting": m["columns"] * 1e6,
        "lockstep_us_per_run_one_setting_with_records": m["rows"] * 1e6,
        "lockstep_speedup_over_run_once": m["once"] / m["rows"],
        "lockstep_us_per_run_vectorised_behaviours": m["vectorised"] * 1e6,
        "lockstep_vectorised_behaviours_cost_ratio": m["vectorised"] / m["columns"],
        "lockstep_vectorised_opponents_cost_ratio": m["opponents"] / m["columns"],
        "lockstep_vectorised_ratification_cost_ratio": m["ratification"] / m["columns"],
        "lockstep_vectorised_mediation_cost_ratio": m["mediation"] / m["split"],
        "run_once_ms_per_run_random_parameters": m["once_points"] * 1e3,
        "lockstep_us_per_run_random_parameters": m["points"] * 1e6,
        "lockstep_speedup_random_parameters": m["once_points"] / m["points"],
        "lockstep_million_random_runs_s": 1e6 * m["points"] / cores,
        "lockstep_batch_size": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1000, help="runs per batch")
    args = parser.parse_args(argv)
    for key, value in bench_lockstep(args.repeats, args.runs).items():
        print(f"{key}: {value:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
