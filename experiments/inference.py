"""Likelihood-free calibration of the episodes' shared uncertain inputs (ABC-SMC).

The model has no likelihood to write down: an outcome comes out of a negotiation. What
it can do is simulate. Approximate Bayesian computation keeps the parameter values whose
simulated episodes come close to what happened (Pritchard et al. 1999; Beaumont, Zhang &
Balding 2002); the sequential Monte Carlo version moves a population of particles
through shrinking tolerances (Sisson, Fan & Tanaka 2007; Toni et al. 2009; Del Moral,
Doucet & Jasra 2012). The sampler is pyabc's ``ABCSMC`` (Klinger, Rickert & Hasenauer
2018; Schälte et al. 2022) with its defaults: a multivariate normal perturbation kernel
fitted to each population, tolerances at the median distance of the last.

- **Parameters**: the inputs every backtest episode names alike and whose values are
  judgement, not reported fact (:data:`DEFAULT_PARAMETERS`). Priors are uniform over the
  range every episode file allows (the intersection of their ranges).
- **Data and distance**: one simulation of a parameter value runs every episode
  ``runs`` times. Its distance to what happened is the backtest's calibration loss,
  averaged over episodes: the Brier score of the simulated agreement plus the mean
  normalised error of the agreed package (:func:`experiments.backtest.loss_of`).
- **Posterior predictive checks** (Gelman, Meng & Stern 1996): particles drawn from the
  posterior by weight, each episode simulated afresh; per episode the predictive
  P(agreement) against what happened, and the posterior predictive p-value of the
  number of agreements.
- **Leave-one-out predictive scores**: for every held-out episode, the ABC posterior
  given the other episodes only, at the final tolerance, by importance sampling from one
  table of simulations: parameter values drawn from a defensive mixture (Hesterberg 1995)
  of the posterior's kernel density and the prior, weighted prior / proposal, kept when
  their distance over the other episodes is within the tolerance. A held-out episode's
  simulated outcome plays no part in keeping its draw, so it is a draw of its predictive
  distribution. The effective sample size of each fold is reported: a fold with few
  draws has a noisy score.

Every random draw is seeded: a simulation's seeds derive from the root seed, its phase
and the parameter values, so they do not depend on which worker runs it; pyabc's own
draws come from NumPy's global generator, seeded once per calibration, and its particles
are sampled in tasks that each get a seed from it (:func:`seeded_sampler`; pyabc's
parallel samplers accept particles in the order workers finish, which is not
reproducible). The same seed gives the same posterior with any number of workers.
"""

from __future__ import annotations

import math
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.backtest import (
    EPISODES,
    PROTOCOLS,
    Forecast,
    agreement_days,
    episode_parameters,
    is_agreement,
    loss_of,
    model_forecast,
    observed_outcome,
    score,
)
from experiments.calibration import PARTNER_PREFIX
from negotiation import Scenario, load_scenario
from negotiation.lockstep import run_seeds

#: The inputs calibrated by default: the two sides' resolve and its uncertainty, the
#: widest gap the leaders can close at the summit, and the share of a side's groups
#: whose approval ratification needs. ``partner_*`` is the US counterpart's parameter.
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "us_resolve",
    "partner_resolve",
    "resolve_noise",
    "summit_max_gap",
    "ratification_threshold",
)

POSTERIOR = "model (ABC posterior)"
LOO = "model (ABC leave-one-out)"
UNCALIBRATED = "model (uncalibrated)"

# Phases of a calibration, each with its own random streams.
_SMC, _LOO, _CHECK = 1, 2, 3


class InferenceError(ValueError):
    """A calibration asked for something the episodes cannot give (named in the message)."""


@dataclass(frozen=True)
class InferenceSettings:
    """What a calibration runs; every field is recorded with the result.

    ``population`` particles per generation, at most ``generations`` generations and
    ``max_simulations`` simulations in the SMC (it stops at the first limit reached, or
    when a generation accepts fewer than ``min_acceptance`` of its proposals);
    ``runs`` runs of every episode per simulation; ``loo_draws`` draws in the
    leave-one-out table, ``check_draws`` in the posterior predictive check,
    ``baseline_runs`` runs per episode of the uncalibrated model (0: none); ``workers``
    processes (1: in this process); ``protocol`` how the episodes' protocol is set (as in
    :data:`experiments.backtest.PROTOCOLS`).
    """

    parameters: tuple[str, ...] = DEFAULT_PARAMETERS
    episodes: tuple[str, ...] = EPISODES
    population: int = 100
    generations: int = 6
    max_simulations: int = 2500
    min_acceptance: float = 0.05
    runs: int = 1
    loo_draws: int = 1000
    check_draws: int = 200
    baseline_runs: int = 100
    root_seed: int = 0
    workers: int = 1
    protocol: str = "shipped"

    def __post_init__(self) -> None:
        counts = {
            "population": (self.population, 2),
            "generations": (self.generations, 1),
            "max_simulations": (self.max_simulations, self.population),
            "runs": (self.runs, 1),
            "loo_draws": (self.loo_draws, 1),
            "check_draws": (self.check_draws, 1),
            "baseline_runs": (self.baseline_runs, 0),
            "workers": (self.workers, 1),
        }
        for name, (value, least) in counts.items():
            if value < least:
                raise InferenceError(f"{name} must be at least {least}, got {value}")
        if not 0.0 <= self.min_acceptance < 1.0:
            raise InferenceError(f"min_acceptance must be in [0, 1), got {self.min_acceptance}")
        if not self.parameters:
            raise InferenceError("name at least one parameter to calibrate")
        if len(set(self.parameters)) != len(self.parameters):
            raise InferenceError(f"a parameter is named twice in {list(self.parameters)}")
        if len(self.episodes) < 2:
            raise InferenceError("leave-one-out needs at least two episodes")
        if self.protocol not in PROTOCOLS:
            raise InferenceError(
                f"protocol {self.protocol!r}: choose one of {', '.join(PROTOCOLS)}"
            )


@dataclass(frozen=True)
class Draw:
    """One episode simulated at one parameter value: what the distance and checks need."""

    p_agreement: float
    loss: float
    package: tuple[float, ...]
    days: float | None


# --- priors ---------------------------------------------------------------------------------
def priors(
    scenarios: Mapping[str, Scenario], names: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """Uniform prior of each parameter: the range every episode allows (``partner_*`` is
    each episode's own counterpart name). Raises :class:`InferenceError` naming a
    parameter that an episode lacks, that is not a number, or whose ranges do not meet."""
    bounds: dict[str, tuple[float, float]] = {}
    for name in names:
        low, high = -math.inf, math.inf
        for episode, scenario in scenarios.items():
            (own,) = episode_parameters(scenario, {name: None})
            spec = scenario.parameters.get(own)
            if spec is None:
                shared = sorted(shared_parameters(scenarios))
                raise InferenceError(
                    f"parameter {name!r}: episode {episode} has no parameter {own!r}; "
                    f"the episodes share: {', '.join(shared)}"
                )
            if spec.kind != "number" or spec.low is None or spec.high is None:
                raise InferenceError(
                    f"parameter {name!r} is a {spec.kind} in {episode}: only numbers are calibrated"
                )
            low, high = max(low, spec.low), min(high, spec.high)
        if not low < high:
            raise InferenceError(f"parameter {name!r}: the episodes' ranges do not overlap")
        bounds[name] = (low, high)
    return bounds


def shared_parameters(scenarios: Mapping[str, Scenario]) -> set[str]:
    """The numeric parameters every episode names (``partner_*`` for the counterpart's)."""
    sets = []
    for scenario in scenarios.values():
        partner = scenario.sides[1].lower().replace(" ", "_") + "_"
        sets.append(
            {
                PARTNER_PREFIX + k.removeprefix(partner) if k.startswith(partner) else k
                for k, spec in scenario.parameters.items()
                if spec.kind == "number"
            }
        )
    return set.intersection(*sets)


# --- simulating episodes --------------------------------------------------------------------
@lru_cache(maxsize=64)
def _scenario(name: str, protocol: str = "shipped") -> Scenario:
    return PROTOCOLS[protocol](load_scenario(name))


def _entropy(root_seed: int, phase: int, episode: int, values: Sequence[float]) -> list[int]:
    """Seed material of one episode's runs at one parameter value: the root seed, the
    phase, the episode and the parameters' bits (same value, same runs, on any worker)."""
    bits = np.asarray(values, dtype=np.float64).view(np.uint64)
    return [root_seed, phase, episode, *(int(b) for b in bits)]


def simulate_episode(
    episode: str,
    index: int,
    params: dict[str, float],
    phase: int,
    root_seed: int,
    runs: int,
    protocol: str = "shipped",
) -> Draw:
    """``runs`` seeded runs of one episode at ``params`` (the calibration's names)."""
    scenario = _scenario(episode, protocol)
    values = episode_parameters(scenario, params)
    entropy = _entropy(root_seed, phase, index, list(params.values()))
    # Each run's key is the first word of its seed sequence, as the model takes it from a
    # SeedSequence; given as integers, the runs can share a lockstep batch.
    run_keys = [
        int(np.random.SeedSequence(entropy, spawn_key=(i,)).generate_state(1, np.uint64)[0])
        for i in range(runs)
    ]
    outcomes = run_seeds(scenario, run_keys, values)
    deals = [o for o in outcomes if is_agreement(o)]
    pool = deals or outcomes
    keys = scenario.space.keys
    package = {k: float(np.median([o.package[k] for o in pool])) for k in keys}
    forecast = Forecast("simulation", len(deals) / runs, package, None)
    days = float(np.median([agreement_days(o) for o in deals])) if deals else None
    row = score(forecast, observed_outcome(scenario), scenario)
    return Draw(len(deals) / runs, loss_of(row), tuple(package[k] for k in keys), days)


def _simulate_task(task: tuple[str, int, dict[str, float], int, int, int]) -> Draw:
    return simulate_episode(*task)


class EpisodeSimulator:
    """Simulates every episode at a parameter value (in this process); a table of
    parameter values is spread over ``executor`` one value per task."""

    def __init__(self, settings: InferenceSettings, executor: Executor | None = None) -> None:
        self.settings = settings
        self.executor = executor
        self.episodes = list(settings.episodes)

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings, "executor": None, "episodes": self.episodes}

    def __call__(self, params: Mapping[str, float], phase: int) -> list[Draw]:
        s = self.settings
        point = {name: float(params[name]) for name in s.parameters}
        return [
            simulate_episode(e, i, point, phase, s.root_seed, s.runs, s.protocol)
            for i, e in enumerate(self.episodes)
        ]

    def table(self, points: pd.DataFrame, phase: int) -> list[list[Draw]]:
        """Every row of ``points`` simulated (rows of draws, one per episode)."""
        rows = points.to_dict("records")
        task = partial(_simulate_point, self, phase=phase)
        if self.executor is None:
            return [task(row) for row in rows]
        return list(self.executor.map(task, rows, chunksize=max(1, len(rows) // 64)))


def _simulate_point(
    simulate: EpisodeSimulator, params: Mapping[str, float], phase: int
) -> list[Draw]:
    return simulate(params, phase)


def seeded_sampler(executor: Executor | None) -> Any:
    """pyabc's mapping sampler, made reproducible: each of a generation's ``n`` tasks
    samples until it accepts one particle, from NumPy's global generator seeded by a seed
    the main process draws for it (pyabc's own re-seeds from the operating system), so
    the population does not depend on which worker ran what, nor in which order. With no
    executor the tasks run here, one after the other."""
    import cloudpickle
    from pyabc.sampler import MappingSampler

    class SeededMappingSampler(MappingSampler):
        def sample_until_n_accepted(self, n: int, simulate_one: Any, t: int, **_: Any) -> Any:
            seeds = [int(x) for x in np.random.randint(0, 2**32 - 1, size=n, dtype=np.int64)]
            payload = cloudpickle.dumps((simulate_one, self.sample_factory))
            counted = list(self.map_(partial(_accept_one, payload), seeds))
            self.nr_evaluations_ = sum(count for _, count in counted)
            sample = self._create_empty_sample()
            for part, _ in counted:
                sample += part
            return sample

    return SeededMappingSampler(map if executor is None else executor.map)


def _accept_one(payload: bytes, seed: int) -> tuple[Any, int]:
    """One task of :func:`seeded_sampler`: sample until one particle is accepted."""
    import cloudpickle

    simulate_one, sample_factory = cloudpickle.loads(payload)
    outer = np.random.get_state()  # in the main process, the generator that draws seeds
    np.random.seed(seed)
    try:
        sample, count = sample_factory(), 0
        while True:
            particle = simulate_one()
            count += 1
            sample.append(particle)
            if particle.accepted:
                return sample, count
    finally:
        np.random.set_state(outer)


@contextmanager
def simulator(settings: InferenceSettings) -> Iterator[EpisodeSimulator]:
    """An :class:`EpisodeSimulator` with its worker processes, shut down afterwards."""
    if settings.workers == 1:
        yield EpisodeSimulator(settings)
        return
    # Spawned, not forked: the calling process may have threads (pyabc's database, a
    # dashboard's server), and forking a process with threads can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(settings.workers, context) as pool:
        yield EpisodeSimulator(settings, pool)


# --- the result ------------------------------------------------------------------------------
@dataclass
class InferenceResult:
    """A calibration: posterior, its checks and its out-of-sample scores.

    ``posterior``: the last population's particles with their ``weight``. ``summary``: per
    parameter, prior range and weighted mean, sd and 5/50/95% quantiles. ``generations``:
    pyabc's populations (tolerance, proposals, accepted). ``checks``: per episode, the
    posterior predictive P(agreement) and the share of replicates agreeing with what
    happened. ``folds``: per held-out episode, the leave-one-out predictive score and the
    fold's effective sample size. ``scores``: one row per (episode, predictor) as in the
    backtest's summary. ``scoreboard``: mean scores per predictor. ``settings``:
    everything that ran, the tolerance reached, the simulations spent and the time.
    ``forecasts``: per episode, each predictor's forecast.
    """

    posterior: pd.DataFrame
    summary: pd.DataFrame
    generations: pd.DataFrame
    checks: pd.DataFrame
    folds: pd.DataFrame
    scores: pd.DataFrame
    scoreboard: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    forecasts: dict[str, dict[str, Forecast]] = field(default_factory=dict)
    history: Any = None  # pyabc's History (its database), for pyabc's own plots


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under normalised ``weights`` (inverse of the
    weighted empirical distribution function)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    at = min(int(np.searchsorted(cumulative, q)), len(values) - 1)
    return float(values[order][at])


def summarise_posterior(
    posterior: pd.DataFrame, bounds: Mapping[str, tuple[float, float]]
) -> pd.DataFrame:
    """Per parameter: prior range, weighted mean, sd and 5/50/95% quantiles."""
    w = posterior["weight"].to_numpy()
    rows = []
    for name, (low, high) in bounds.items():
        x = posterior[name].to_numpy()
        mean = float(np.average(x, weights=w))
        rows.append(
            {
                "parameter": name,
                "prior_low": low,
                "prior_high": high,
                "mean": mean,
                "sd": float(np.sqrt(np.average((x - mean) ** 2, weights=w))),
                **{f"q{int(q * 100):02d}": weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95)},
            }
        )
    return pd.DataFrame(rows)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights, ``(sum w)^2 / sum w^2``."""
    total = float(weights.sum())
    return 0.0 if total == 0 else total * total / float((weights * weights).sum())


def predictive_forecast(
    scenario: Scenario, draws: Sequence[Draw], weights: np.ndarray, predictor: str
) -> Forecast:
    """The weighted predictive forecast of one episode from simulated draws: P(agreement)
    the weighted share, the package the weighted median of each issue."""
    w = np.asarray(weights, dtype=float)
    p = float(np.average([d.p_agreement for d in draws], weights=w))
    packages = np.array([d.package for d in draws])
    package = {
        k: weighted_quantile(packages[:, j], w, 0.5) for j, k in enumerate(scenario.space.keys)
    }
    days = [(d.days, wi) for d, wi in zip(draws, w, strict=True) if d.days is not None and wi > 0]
    timing = (
        weighted_quantile(np.array([d for d, _ in days]), np.array([x for _, x in days]), 0.5)
        if days
        else None
    )
    return Forecast(predictor, p, package, timing, runs=len(draws))


def leave_one_out(
    losses: np.ndarray, weights: np.ndarray, tolerance: float, least: int = 10
) -> tuple[list[np.ndarray], list[float]]:
    """Per held-out episode ``e`` (a column of ``losses``, draws by episodes), the
    importance weights of the draws whose mean loss over the other episodes is within the
    fold's tolerance (zero for the others), and that tolerance: ``tolerance``, or wider
    where fewer than ``least`` draws are within it (then the ``least`` nearest are kept,
    ABC's rejection by quantile; Beaumont, Zhang & Balding 2002)."""
    n = losses.shape[1]
    total = losses.sum(axis=1)
    folds, tolerances = [], []
    for e in range(n):
        others = (total - losses[:, e]) / (n - 1)
        fold = tolerance
        if int((others <= tolerance).sum()) < least:
            fold = float(np.sort(others)[min(least, len(others)) - 1])
        folds.append(np.where(others <= fold, weights, 0.0))
        tolerances.append(fold)
    return folds, tolerances


# --- the calibration ------------------------------------------------------------------------
ProgressFn = Callable[[str], None]


def calibrate(
    settings: InferenceSettings | None = None,
    *,
    database: Path | None = None,
    progress: ProgressFn | None = None,
) -> InferenceResult:
    """Run the ABC-SMC, the posterior predictive check and the leave-one-out scores.

    ``database`` is where pyabc keeps its history (SQLite; a temporary file by default,
    removed afterwards). ``progress`` receives one line per phase.
    """
    s = settings or InferenceSettings()
    say = progress or (lambda _: None)
    scenarios = {name: _scenario(name, s.protocol) for name in s.episodes}
    bounds = priors(scenarios, s.parameters)
    import pyabc

    observed = {name: observed_outcome(sc) for name, sc in scenarios.items()}
    started = time.perf_counter()
    np.random.seed(s.root_seed % 2**32)
    prior = pyabc.Distribution(
        **{name: pyabc.RV("uniform", low, high - low) for name, (low, high) in bounds.items()}
    )
    with simulator(s) as simulate, _database(database) as db:

        def model(params: Mapping[str, float]) -> dict[str, float]:
            draws = simulate(params, _SMC)
            return {f"loss_{i}": d.loss for i, d in enumerate(draws)}

        def distance(x: Mapping[str, float], _: Mapping[str, float]) -> float:
            return float(np.mean([x[f"loss_{i}"] for i in range(len(s.episodes))]))

        abc = pyabc.ABCSMC(
            model,
            prior,
            distance,
            population_size=s.population,
            sampler=seeded_sampler(simulate.executor),
        )
        abc.new(db, {f"loss_{i}": 0.0 for i in range(len(s.episodes))})
        say(f"ABC-SMC: {len(s.parameters)} parameters, {len(s.episodes)} episodes")
        history = abc.run(
            minimum_epsilon=0.0,
            max_nr_populations=s.generations,
            min_acceptance_rate=s.min_acceptance,
            max_total_nr_simulations=s.max_simulations,
        )
        smc_seconds = time.perf_counter() - started
        frame, w = history.get_distribution(m=0, t=history.max_t)
        posterior = frame[list(bounds)].reset_index(drop=True)
        posterior["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
        generations = history.get_all_populations()
        tolerance = float(generations["epsilon"].iloc[-1])
        smc_generations = int(history.max_t + 1)
        smc_simulations = int(history.total_nr_simulations)
        say(f"posterior: {smc_generations} generations, tolerance {tolerance:.3f}")

        rng = np.random.default_rng([s.root_seed, _CHECK])
        picks = rng.choice(len(posterior), size=s.check_draws, p=posterior["weight"].to_numpy())
        check_points = posterior.iloc[picks][list(bounds)].reset_index(drop=True)
        check_draws = simulate.table(check_points, _CHECK)
        say(f"posterior predictive check: {s.check_draws} draws")

        loo_points, loo_weights = _loo_proposal(pyabc, posterior, bounds, s, rng)
        loo_draws = simulate.table(loo_points, _LOO)
        say(f"leave-one-out table: {len(loo_points)} draws")

        baseline = _baseline(scenarios, s, simulate.executor)
        if s.baseline_runs:
            say(f"uncalibrated model: {s.baseline_runs} runs per episode")
    episodes = list(s.episodes)
    simulations = smc_simulations + len(check_points) + len(loo_points)
    loss_matrix = np.array([[d.loss for d in row] for row in loo_draws])
    fold_weights, fold_tolerances = leave_one_out(loss_matrix, loo_weights, tolerance)
    checks, in_sample = _checks(scenarios, observed, check_draws)
    folds, held_out = _folds(scenarios, loo_draws, fold_weights)
    folds.insert(1, "tolerance", fold_tolerances)
    forecasts = {
        name: {
            f.predictor: f
            for f in (baseline.get(name), in_sample[name], held_out[name])
            if f is not None
        }
        for name in episodes
    }
    scores = pd.DataFrame(
        [
            score(forecast, observed[name], scenarios[name])
            for name in episodes
            for forecast in forecasts[name].values()
        ]
    )
    scores["loss"] = scores["brier"] + scores["package_error"]
    board = (
        scores.groupby("predictor", sort=False)[["brier", "log_score", "package_error", "loss"]]
        .mean()
        .reset_index()
    )
    seconds = time.perf_counter() - started
    record = asdict(s) | {
        "priors": {k: list(v) for k, v in bounds.items()},
        "tolerance": tolerance,
        "smc_generations": smc_generations,
        "smc_simulations": smc_simulations,
        "simulations": simulations,
        "runs_of_the_model": simulations * s.runs * len(episodes) + s.baseline_runs * len(episodes),
        "smc_seconds": round(smc_seconds, 1),
        "seconds": round(seconds, 1),
        "ppc_p_value": _ppc_p_value(observed, check_draws),
        "pyabc": pyabc.__version__,
    }
    return InferenceResult(
        posterior=posterior,
        summary=summarise_posterior(posterior, bounds),
        generations=generations,
        checks=checks,
        folds=folds,
        scores=scores,
        scoreboard=board,
        settings=record,
        forecasts=forecasts,
        history=history if database is not None else None,
    )


@contextmanager
def _database(path: Path | None) -> Iterator[str]:
    if path is not None:
        yield "sqlite:///" + str(Path(path).resolve())
        return
    with tempfile.TemporaryDirectory(prefix="abc-") as folder:
        yield "sqlite:///" + str(Path(folder) / "history.db")


def _loo_proposal(
    pyabc: Any,
    posterior: pd.DataFrame,
    bounds: Mapping[str, tuple[float, float]],
    s: InferenceSettings,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Draws for the leave-one-out table from half the posterior's kernel density, half
    the prior, and their importance weights prior / proposal (draws outside the prior's
    support are dropped before they are simulated)."""
    names = list(bounds)
    kernel = pyabc.MultivariateNormalTransition()
    kernel.fit(posterior[names], posterior["weight"].to_numpy())
    low = np.array([bounds[n][0] for n in names])
    high = np.array([bounds[n][1] for n in names])
    volume = float(np.prod(high - low))
    from_kernel = rng.random(s.loo_draws) < 0.5
    n_kernel = int(from_kernel.sum())
    kernel_points = kernel.rvs(size=n_kernel) if n_kernel else pd.DataFrame(columns=names)
    kernel_points = pd.DataFrame(np.atleast_2d(kernel_points[names].to_numpy()), columns=names)
    prior_points = pd.DataFrame(
        low + (high - low) * rng.random((s.loo_draws - n_kernel, len(names))), columns=names
    )
    points = pd.concat([kernel_points, prior_points], ignore_index=True)
    inside = ((points.to_numpy() >= low) & (points.to_numpy() <= high)).all(axis=1)
    points = points[inside].reset_index(drop=True)
    density = np.atleast_1d(np.asarray(kernel.pdf(points), dtype=float))
    proposal = 0.5 * density + 0.5 / volume
    return points, (1.0 / volume) / proposal


def _baseline(
    scenarios: Mapping[str, Scenario], s: InferenceSettings, executor: Executor | None
) -> dict[str, Forecast]:
    """The uncalibrated model's forecast of each episode (the backtest's, same seeds)."""
    if not s.baseline_runs:
        return {}
    names = list(scenarios)
    tasks = [(name, s.baseline_runs, s.root_seed, s.protocol) for name in names]
    results = executor.map(_baseline_task, tasks) if executor else map(_baseline_task, tasks)
    return dict(zip(names, results, strict=True))


def _baseline_task(task: tuple[str, int, int, str]) -> Forecast:
    name, runs, root_seed, protocol = task
    return model_forecast(_scenario(name, protocol), runs, root_seed, predictor=UNCALIBRATED)


def _checks(
    scenarios: Mapping[str, Scenario],
    observed: Mapping[str, Any],
    draws: Sequence[Sequence[Draw]],
) -> tuple[pd.DataFrame, dict[str, Forecast]]:
    """Per episode, the posterior predictive forecast and how often replicates agree
    with what happened."""
    rows, forecasts = [], {}
    ones = np.ones(len(draws))
    for i, (name, scenario) in enumerate(scenarios.items()):
        column = [row[i] for row in draws]
        forecast = predictive_forecast(scenario, column, ones, POSTERIOR)
        forecasts[name] = forecast
        happened = observed[name].truce
        p = forecast.p_agreement
        rows.append(
            {
                "episode": name,
                "observed_agreement": happened,
                "p_agreement": p,
                "p_replicate_as_observed": p if happened else 1.0 - p,
                "draws": len(column),
            }
        )
    return pd.DataFrame(rows), forecasts


def _folds(
    scenarios: Mapping[str, Scenario],
    draws: Sequence[Sequence[Draw]],
    fold_weights: Sequence[np.ndarray],
) -> tuple[pd.DataFrame, dict[str, Forecast]]:
    """Per held-out episode, its predictive forecast under the posterior of the others."""
    rows, forecasts = [], {}
    for i, (name, scenario) in enumerate(scenarios.items()):
        w = fold_weights[i]
        kept = np.flatnonzero(w > 0)
        column = [draws[int(j)][i] for j in kept]
        forecasts[name] = predictive_forecast(scenario, column, w[kept], LOO)
        rows.append(
            {
                "held_out": name,
                "kept_draws": len(kept),
                "effective_sample_size": effective_sample_size(w[kept]),
                "p_agreement": forecasts[name].p_agreement,
            }
        )
    return pd.DataFrame(rows), forecasts


def _ppc_p_value(observed: Mapping[str, Any], draws: Sequence[Sequence[Draw]]) -> float:
    """Posterior predictive p-value of the number of agreements: the share of replicate
    sets of episodes (one posterior draw, every episode simulated) with at least as many
    agreements as happened (Gelman, Meng & Stern 1996); with several runs per episode a
    replicate's count is its expected count."""
    happened = sum(o.truce for o in observed.values())
    counts = np.array([sum(d.p_agreement for d in row) for row in draws])
    return float(np.mean(counts >= happened))


__all__ = [
    "DEFAULT_PARAMETERS",
    "InferenceError",
    "InferenceResult",
    "InferenceSettings",
    "calibrate",
    "effective_sample_size",
    "leave_one_out",
    "priors",
    "shared_parameters",
    "simulate_episode",
    "weighted_quantile",
]
