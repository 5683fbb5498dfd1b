"""The ensemble page: N seeded runs of the live page's settings, with a progress bar.

Runs execute in a background thread (a Solara task, one per browser session), so the
page stays responsive; seeds come from ``SeedSequence(root_seed, spawn_key=(i,))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import solara
import solara.lab

from dashboards.charts import histogram_figure
from dashboards.live_model import LiveModel
from dashboards.widgets import Table, fmt
from experiments.intervals import wilson_interval
from negotiation import Outcome, load_scenario, run_once

DEFAULT_RUNS = 200


@dataclass(frozen=True)
class EnsembleSummary:
    """What the page shows about an ensemble."""

    scenario: str
    runs: int
    p_truce: float
    ci95: tuple[float, float]
    p_summit_deal: float
    p_no_deal: float
    days_before_summit: list[float]
    agreed: dict[str, list[float]]


def run_seed(root_seed: int, index: int) -> int:
    """The 64-bit seed of run ``index`` of an ensemble (independent of who runs it)."""
    state = np.random.SeedSequence(root_seed, spawn_key=(index,)).generate_state(1, dtype=np.uint64)
    return int(state[0])


def summarise(scenario: str, outcomes: list[Outcome]) -> EnsembleSummary:
    n = len(outcomes)
    truces = [o for o in outcomes if o.truce]
    agreed: dict[str, list[float]] = {}
    for o in truces:
        for key, value in o.package.items():
            agreed.setdefault(key, []).append(value)
    return EnsembleSummary(
        scenario=scenario,
        runs=n,
        p_truce=len(truces) / n if n else float("nan"),
        ci95=wilson_interval(len(truces), n),
        p_summit_deal=sum(o.summit_deal for o in outcomes) / n if n else float("nan"),
        p_no_deal=sum(o.outcome == "no deal" for o in outcomes) / n if n else float("nan"),
        days_before_summit=[
            o.days_before_summit for o in truces if o.days_before_summit is not None
        ],
        agreed=agreed,
    )


@solara.lab.task(prefer_threaded=True)
def ensemble_task(
    scenario_name: str, params: dict[str, Any], runs: int, root_seed: int
) -> EnsembleSummary:
    scenario = load_scenario(scenario_name).with_parameters(params)
    outcomes: list[Outcome] = []
    for i in range(runs):
        if not ensemble_task.is_current():
            break
        outcomes.append(run_once(scenario, seed=run_seed(root_seed, i)))
        if i % 5 == 0 or i == runs - 1:
            ensemble_task.progress = 100.0 * (i + 1) / runs
    return summarise(scenario_name, outcomes)


@solara.component
def EnsemblePage(model: solara.Reactive[LiveModel]) -> None:
    runs = solara.use_reactive(DEFAULT_RUNS)
    root_seed = solara.use_reactive(1)
    live = model.value
    params = {k: v for k, v in live.params.items()}
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
        solara.FigureMatplotlib(
            histogram_figure(
                summary.days_before_summit, "When truces land", "days before the summit", bins=16
            ),
            format="png",
        )
    scenario = load_scenario(summary.scenario)
    with solara.Card("Agreed value of each issue (truces only)"):
        with solara.Row(style={"flex-wrap": "wrap"}):
            for issue in scenario.space:
                solara.FigureMatplotlib(
                    histogram_figure(summary.agreed.get(issue.key, []), issue.label, issue.unit),
                    format="png",
                )
        rows = []
        for issue in scenario.space:
            values = summary.agreed.get(issue.key, [])
            median = float(np.median(values)) if values else None
            rows.append((issue.label, fmt(median), issue.unit))
        Table(["issue", "median agreed value", "unit"], rows)
