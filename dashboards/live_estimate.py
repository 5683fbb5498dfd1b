"""A live estimate: P(agreement) and the median terms of the settings shown, refined in
the background while the analyst moves the controls.

Whenever the live page's settings change (before Reset: the settings *shown*), the
estimate starts again for them and grows up to :data:`MAX_RUNS` runs, publishing a
summary a few times a second, with its interval narrowing as runs come in. Run ``i``
is run ``i`` of ``negotiation ensemble --runs N --seed ROOT`` with the same settings, so
a finished estimate equals that ensemble (:func:`estimate`, which the page's task runs,
is tested against :func:`experiments.ensemble.run_ensemble`).

The runs go to the server's worker pool (:mod:`dashboards.workers`), one chunk per
worker at a time, so that after a change of settings only the chunks already running
finish (about 0.1 s). In lockstep batches (:mod:`negotiation.lockstep`, for settings it
covers) the first thousand runs take some 0.3 s on two cores (``python -m
benchmarks.bench_live``), so the estimate goes on to ten thousand (an interval of about
one point either way) in a few seconds. The estimate pauses while a run plays.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from contextlib import closing
from typing import Any

import solara
import solara.lab

from dashboards.live_model import LiveChoices
from dashboards.widgets import Line, Progress, fmt
from dashboards.workers import CHUNK_RUNS, on_workers
from experiments.design import run_seed
from experiments.ensemble import (
    EnsembleSummary,
    chunk_outcomes,
    summarise_finished,
)
from experiments.executors import ExecutorLost, check_workers
from negotiation import Outcome, Scenario, ScenarioError, load_scenario
from negotiation.lockstep import run_seeds

MAX_RUNS = 10_000  # runs of a finished estimate
LOCAL_RUNS = 10  # runs per lockstep batch in this process, between two summaries
ROOT_SEED = 0
REFRESH_S = 0.4  # how often a partial summary is published

Publish = Callable[[EnsembleSummary], None]


def estimate(
    scenario_name: str,
    params: Mapping[str, Any],
    runs: int,
    *,
    root_seed: int = ROOT_SEED,
    publish: Publish | None = None,
    keep_going: Callable[[], bool] = lambda: True,
    refresh_s: float = REFRESH_S,
    executor: Executor | None = None,
) -> EnsembleSummary | None:
    """Up to ``runs`` seeded runs of the settings, summarised as they come in:
    ``publish`` gets a summary every ``refresh_s`` seconds, and the whole one at the end
    (returned too). Stops, returning ``None``, as soon as ``keep_going()`` is false. On
    ``executor`` the runs go in chunks of :data:`CHUNK_RUNS`; without one they run here.

    Raises :class:`~negotiation.ScenarioError` for settings that cannot be run."""
    base = load_scenario(scenario_name)
    values = dict(params)
    setting = base.with_parameters(values)  # names a bad parameter before anything runs
    finished: list[tuple[int, Outcome]] = []
    errors = 0
    shown = time.monotonic()
    if executor is None:
        batches: Any = (
            _here(base, values, root_seed, start, runs) for start in range(0, runs, LOCAL_RUNS)
        )
    else:
        batches = chunk_outcomes(
            base,
            runs,
            values,
            root_seed=root_seed,
            executor=executor,
            chunk_size=CHUNK_RUNS,
            in_flight=check_workers(None),  # a chunk per core: a change waits for few
        )
    with closing(batches):
        while keep_going():
            batch = next(batches, None)
            if batch is None:
                summary = summarise_finished(setting, finished, root_seed, values, errors)
                if publish is not None:
                    publish(summary)
                return summary
            finished += batch[0]
            errors += batch[1]
            now = time.monotonic()
            if publish is not None and now - shown >= refresh_s and len(finished) < runs:
                shown = now
                publish(summarise_finished(setting, finished, root_seed, values, errors))
    return None


def _parameters(choices: LiveChoices) -> dict[str, Any]:
    return {k: v for k, v in choices.model_kwargs().items() if k not in ("scenario_name", "seed")}


latest: solara.Reactive[EnsembleSummary | None] = solara.reactive(None)  # per browser session
paused = solara.reactive(False)  # set while the live run plays


@solara.lab.task(prefer_threaded=True)
def estimate_task(scenario_name: str, params: dict[str, Any]) -> EnsembleSummary | None:
    latest.set(None)

    def keep_going() -> bool:
        while paused.value and estimate_task.is_current():
            time.sleep(0.1)
        return estimate_task.is_current()

    def publish(summary: EnsembleSummary) -> None:
        if estimate_task.is_current():
            latest.set(summary)
            estimate_task.progress = 100.0 * summary.runs / MAX_RUNS

    return on_workers(
        lambda pool: estimate(
            scenario_name,
            params,
            MAX_RUNS,
            publish=publish,
            keep_going=keep_going,
            executor=pool,
        )
    )


def estimate_text(summary: EnsembleSummary, total: int = MAX_RUNS) -> str:
    """The estimate in words: P(agreement), its interval, and how many runs it rests on."""
    low, high = summary.ci95
    state = "final" if summary.runs >= total else "refining"
    return (
        f"P(agreement) ≈ {summary.p_truce:.0%} (95% interval {low:.0%}–{high:.0%}) over "
        f"{summary.runs:,} of {total:,} runs ({state})"
    )


@solara.component
def LiveEstimate(choices: LiveChoices) -> None:
    """The switch, and the estimate for the settings shown, restarted when they change."""
    on = solara.use_reactive(False)
    scenario_name, params = choices.scenario_name, _parameters(choices)
    key = (scenario_name, tuple(sorted((k, repr(v)) for k, v in params.items())))

    def restart() -> None:
        if on.value:
            estimate_task(scenario_name, params)
        elif estimate_task.pending:  # a task never started cannot be cancelled
            estimate_task.cancel()

    solara.use_effect(restart, [on.value, key])
    solara.Switch(label="Live estimate of the settings shown", value=on)
    if not on.value:
        Line(
            "Off: when on, P(agreement) and the terms of the settings shown are estimated "
            "in the background, again whenever they change."
        )
        return
    if estimate_task.error:
        problem = estimate_task.exception
        if isinstance(problem, ExecutorLost):
            solara.Error(
                f"The background workers stopped ({problem}), twice; switch the estimate "
                "off and on to start them again."
            )
            return
        message = str(problem) if isinstance(problem, ScenarioError) else repr(problem)
        solara.Error(f"Cannot estimate these settings: {message}")
        return
    summary = latest.value
    if summary is None:
        Line("Starting…")
        return
    solara.Markdown(f"**{estimate_text(summary)}**")
    if estimate_task.pending:
        Progress(estimate_task.progress or None, "Progress of the live estimate")
    if paused.value and estimate_task.pending:
        Line("Paused while the run plays.")
    scenario = load_scenario(summary.scenario)
    terms = ", ".join(
        f"{issue.label} {fmt(summary.median_package[issue.key])} {issue.unit}"
        for issue in scenario.space
    )
    Line(f"Median terms of the truces: {terms}.")


def _here(
    base: Scenario, values: dict[str, Any], root_seed: int, start: int, runs: int
) -> tuple[list[tuple[int, Outcome]], int]:
    """One chunk of the estimate's runs in this process (a lockstep batch where the
    engine covers the settings)."""
    ids = range(start, min(start + LOCAL_RUNS, runs))
    outcomes = run_seeds(base, [run_seed(root_seed, i) for i in ids], values)
    return list(zip(ids, outcomes, strict=True)), 0
