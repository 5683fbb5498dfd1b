"""The ensemble page: N seeded runs of the live page's settings, with a progress bar.

Runs execute in a background thread (a Solara task, one per browser session), so the
page stays responsive; they are :func:`experiments.ensemble.run_ensemble`'s runs, so
run ``i`` here is run ``i`` of ``negotiation ensemble`` with the same root seed.
"""

from __future__ import annotations

import time
from typing import Any

import solara
import solara.lab

from dashboards.charts import histogram_figure
from dashboards.live_model import LiveModel
from dashboards.widgets import PngFigure, Table, fmt
from experiments.ensemble import EnsembleSummary, run_ensemble
from negotiation import load_scenario

DEFAULT_RUNS = 200
PROGRESS_INTERVAL_S = 0.25


class _Superseded(Exception):
    """Raised in the worker thread when a newer ensemble replaced this one."""


@solara.lab.task(prefer_threaded=True)
def ensemble_task(
    scenario_name: str, params: dict[str, Any], runs: int, root_seed: int
) -> EnsembleSummary | None:
    shown = 0.0  # when the progress bar last moved

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if not ensemble_task.is_current():
            raise _Superseded
        now = time.monotonic()
        if now - shown >= PROGRESS_INTERVAL_S or done == total:
            shown = now  # each move re-renders the page: a few per second is enough
            ensemble_task.progress = 100.0 * done / total

    try:
        return run_ensemble(scenario_name, runs, params, root_seed=root_seed, on_progress=progress)
    except _Superseded:
        return None


@solara.component
def EnsemblePage(model: solara.Reactive[LiveModel]) -> None:
    runs = solara.use_reactive(DEFAULT_RUNS)
    root_seed = solara.use_reactive(1)
    live = model.value
    # What the live run was given (not its effective values, which hold ``None`` for a
    # parameter that does not apply): the ensemble's runs are then the live run's setting.
    params = dict(live.plan.overrides)
    with solara.Card("Ensemble of seeded runs"):
        solara.Text(
            f"Scenario {live.spec.name} with the live page's settings "
            "(change them there and press Reset)."
        )
        if live.error:
            solara.Error(f"The live settings are invalid: {live.error}")
        solara.InputInt("Runs", value=runs)
        solara.InputInt("Root seed", value=root_seed)
        bad = runs.value < 1 or runs.value > 100_000 or root_seed.value < 0
        if bad:
            solara.Error("Runs must be between 1 and 100000 and the root seed not negative.")
        solara.Button(
            "Run ensemble",
            color="primary",
            disabled=bad or bool(live.error) or ensemble_task.pending,
            on_click=lambda: ensemble_task(live.spec.name, params, runs.value, root_seed.value),
        )
        if ensemble_task.pending:
            solara.ProgressLinear(ensemble_task.progress or True)
            solara.Text(f"Running… {ensemble_task.progress or 0:.0f}%")
        if ensemble_task.error:
            solara.Error(f"The ensemble failed: {ensemble_task.exception}")
    summary = ensemble_task.latest if ensemble_task.latest is not None else None
    if summary is not None:
        EnsembleResults(summary)


@solara.component
def EnsembleResults(summary: EnsembleSummary) -> None:
    low, high = summary.ci95
    with solara.Card(f"{summary.runs} runs of {summary.scenario}"):
        solara.Markdown(
            f"## P(truce) = {summary.p_truce:.1%}  (95% interval {low:.1%} – {high:.1%})"
        )
        solara.Text(
            f"Deal at the summit: {summary.p_summit_deal:.1%} · no deal: {summary.p_no_deal:.1%}"
        )
        PngFigure(
            lambda: histogram_figure(
                summary.truce_days, "When truces land", "days before the summit", bins=16
            ),
            [summary],
        )
    scenario = load_scenario(summary.scenario)
    with solara.Card("Agreed value of each issue (truces only)"):
        with solara.Row(style={"flex-wrap": "wrap"}):
            for issue in scenario.space:
                PngFigure(
                    lambda issue=issue: histogram_figure(
                        summary.agreed.get(issue.key, []), issue.label, issue.unit
                    ),
                    [summary, issue.key],
                )
        rows = []
        for issue in scenario.space:
            rows.append((issue.label, fmt(summary.median_package[issue.key]), issue.unit))
        Table(["issue", "median agreed value", "unit"], rows)
