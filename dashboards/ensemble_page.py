"""The ensemble page: N seeded runs of the live page's settings, with progress and Cancel.

Runs are driven from a background thread (a Solara task, one per browser session) and
run on the server's worker processes (:mod:`dashboards.workers`), so the page stays
responsive; they are :func:`experiments.ensemble.run_ensemble`'s runs, so
run ``i`` here is run ``i`` of ``negotiation ensemble`` with the same root seed. The
result says what it was run with; while a new ensemble runs, the previous result stays
on the page marked as the previous one.
"""

from __future__ import annotations

from typing import Any

import solara
import solara.lab

from dashboards.live_model import LiveModel
from dashboards.vega_charts import describe, histogram_chart
from dashboards.widgets import (
    PREVIOUS_RESULT_STYLE,
    Progress,
    Stopped,
    Table,
    VegaChart,
    fmt,
    throttled_progress,
)
from dashboards.workers import CHUNK_RUNS, on_workers
from experiments.ensemble import EnsembleSummary, run_ensemble
from negotiation import load_scenario

DEFAULT_RUNS = 200
MAX_RUNS = 100_000


@solara.lab.task(prefer_threaded=True)
def ensemble_task(
    scenario_name: str, params: dict[str, Any], runs: int, root_seed: int
) -> EnsembleSummary | None:
    progress = throttled_progress(ensemble_task, stop=lambda: not ensemble_task.is_current())

    try:
        return on_workers(
            lambda pool: run_ensemble(
                scenario_name,
                runs,
                params,
                root_seed=root_seed,
                executor=pool,
                chunk_size=CHUNK_RUNS,
                on_progress=progress,
            )
        )
    except Stopped:
        return None


def parameters_text(params: dict[str, Any]) -> str:
    """The named parameters an ensemble was run with, in words."""
    if not params:
        return "the scenario's defaults"
    return "; ".join(
        f"{name.replace('_', ' ')} = {value:g}"
        if isinstance(value, float)
        else f"{name.replace('_', ' ')} = {value}"
        for name, value in sorted(params.items())
    )


@solara.component
def EnsemblePage(model: solara.Reactive[LiveModel]) -> None:
    runs = solara.use_reactive(DEFAULT_RUNS)
    root_seed = solara.use_reactive(1)
    live = model.value
    # What the live run was given (not its effective values, which hold ``None`` for a
    # parameter that does not apply): the ensemble's runs are then the live run's setting.
    params = dict(live.plan.overrides)
    with solara.Card():
        solara.Markdown("# Ensemble of seeded runs")  # the tab's one h1
        solara.Text(
            f"Scenario {live.spec.name} with the live run's settings ({parameters_text(params)}); "
            "change them on the Live run tab and press Reset there."
        )
        if live.error:
            solara.Error(f"The live settings are invalid: {live.error}")
        # Committed as typed, as on the Two worlds tab (a value held back until Enter can
        # be put back by a render on its way).
        solara.InputInt("Runs", value=runs, continuous_update=True)
        solara.InputInt("Root seed", value=root_seed, continuous_update=True)
        bad = runs.value < 1 or runs.value > MAX_RUNS or root_seed.value < 0
        if bad:
            solara.Error(f"Runs must be between 1 and {MAX_RUNS} and the root seed not negative.")
        with solara.Row():
            solara.Button(
                "Run ensemble",
                color="primary",
                disabled=bad or bool(live.error) or ensemble_task.pending,
                on_click=lambda: ensemble_task(live.spec.name, params, runs.value, root_seed.value),
            )
            if ensemble_task.pending:
                solara.Button(
                    "Cancel", color="primary", outlined=True, on_click=ensemble_task.cancel
                )
        if ensemble_task.pending:
            Progress(ensemble_task.progress or None, "Progress of the ensemble")
            solara.Text(f"Running… {ensemble_task.progress or 0:.0f}%")
        elif ensemble_task.cancelled:
            solara.Info("Cancelled.")
        if ensemble_task.error:
            solara.Error(f"The ensemble failed: {ensemble_task.exception}")
    summary = ensemble_task.latest
    if summary is not None:
        stale = ensemble_task.pending or ensemble_task.cancelled
        EnsembleResults(summary, stale)


@solara.component
def EnsembleResults(summary: EnsembleSummary, stale: bool = False) -> None:
    low, high = summary.ci95
    with solara.Card(style=PREVIOUS_RESULT_STYLE if stale else {}):
        if stale:
            solara.Warning("Previous result (the one below), not of the ensemble now asked for.")
        solara.Markdown(f"## {summary.runs} runs of {summary.scenario}")
        solara.Text(
            f"Root seed {summary.root_seed}; parameters: {parameters_text(summary.params)}."
        )
        solara.Markdown(
            f"### P(truce) = {summary.p_truce:.1%}  (95% interval {low:.1%} – {high:.1%})"
        )
        solara.Text(
            f"Deal at the summit: {summary.p_summit_deal:.1%} · no deal: {summary.p_no_deal:.1%}"
            + (f" · runs that failed: {summary.errors}" if summary.errors else "")
        )
        days = summary.truce_days
        VegaChart(
            lambda: histogram_chart(days, "When truces land", "days before the summit"),
            [summary],
            describe(
                "histogram",
                title="the days before the summit at which truces land",
                runs=len(days),
                median=fmt(summary.median_days_before_summit, 1),
            ),
        )
    scenario = load_scenario(summary.scenario)
    with solara.Card(style=PREVIOUS_RESULT_STYLE if stale else {}):
        solara.Markdown("## Agreed value of each issue (truces only)")
        with solara.Row(style={"flex-wrap": "wrap"}):
            for issue in scenario.space:
                values = summary.agreed.get(issue.key, ())
                VegaChart(
                    lambda issue=issue, values=values: histogram_chart(
                        values, issue.label, issue.unit
                    ),
                    [summary, issue.key],
                    describe(
                        "histogram",
                        title=f"{issue.label} ({issue.unit})",
                        runs=len(values),
                        median=fmt(summary.median_package[issue.key]),
                    ),
                ).key(issue.key)
        rows = []
        for issue in scenario.space:
            rows.append((issue.label, fmt(summary.median_package[issue.key]), issue.unit))
        Table(["issue", "median agreed value", "unit"], rows)
