"""The live page: watch one seeded run round by round (Mesa's SolaraViz).

Components: a countdown to the summit with the truce status in words; each
delegation's offer per issue over time (with the host's text); each actor's utility of
the standing offers against its reservation; interest-group approval; the event
timeline; the package when the run ends.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from dashboards.charts import approval_figure, offers_figure, utilities_figure
from dashboards.live_model import LiveModel, control_specs
from dashboards.widgets import Line, PngFigure, Table, fmt


def status_text(model: LiveModel) -> str:
    """The truce status in words."""
    outcome = model.outcome
    if outcome is None:
        return "No truce yet"
    if outcome.truce:
        return f"Truce on {outcome.date}"
    if outcome.summit_deal:
        return "No truce before the summit: deal at the summit"
    return "No truce before the summit"


def countdown_text(model: LiveModel) -> str:
    """Where the run stands on the calendar."""
    cal = model.calendar
    if model.steps == 0:
        first = cal.round(1)
        return (
            f"Before round 1 of {len(cal)} · first round {first.at:%a %d %b %H:%M} · "
            f"{first.days_before_summit:.1f} days to the summit ({cal.summit:%a %d %b %H:%M})"
        )
    current = cal.round(min(model.steps, len(cal)))
    return (
        f"Round {current.number} of {len(cal)} · {current.at:%a %d %b %H:%M} ({current.phase}) · "
        f"{current.days_before_summit:.1f} days to the summit ({cal.summit:%a %d %b %H:%M})"
    )


def settings_text(model: LiveModel) -> str:
    """Scenario, seed and the parameters that differ from the scenario's defaults."""
    defaults = model.spec.parameter_defaults()
    changed = [
        f"{name.replace('_', ' ')} = {value:g}"
        if isinstance(value, float)
        else f"{name.replace('_', ' ')} = {value}"
        for name, value in model.params.items()
        if name in defaults and value != defaults[name]
    ]
    tail = "; ".join(changed) if changed else "scenario defaults"
    return f"Scenario {model.spec.name}, seed {model.seed}: {tail}"


def StatusCard(model: LiveModel) -> Any:
    with solara.Card("Countdown to the summit") as card:
        if model.error:
            solara.Error(f"Cannot build the model with these settings: {model.error}")
            solara.Text("Showing the default scenario instead; fix the settings and press Reset.")
        solara.Markdown(f"## {status_text(model)}")
        Line(countdown_text(model))
        Line(settings_text(model))
        if model.outcome is not None:
            Line(f"Why: {model.outcome.reason}")
    return card


def _trajectory(model: LiveModel) -> pd.DataFrame:
    assert model.datacollector is not None
    return model.datacollector.get_model_vars_dataframe()


def _drawn_for(model: LiveModel) -> list[Any]:
    """What a live chart depends on: this model (Reset builds another) and its round."""
    return [model, model.steps]


def OffersCard(model: LiveModel) -> Any:
    with solara.Card("Offers per issue") as card:
        PngFigure(lambda: offers_figure(_trajectory(model), model.spec), _drawn_for(model))
    return card


def _utilities(model: LiveModel) -> Figure:
    labels, of_us, of_china, reservations = [], [], [], []
    us_offer, china_offer = model.view.last_offer("US"), model.view.last_offer("China")
    for key in model.row_keys:
        actor = model.actors_by_key[key]
        labels.append(actor.label)
        of_us.append(actor.utility(us_offer) if us_offer is not None else 0.0)
        of_china.append(actor.utility(china_offer) if china_offer is not None else 0.0)
        reservations.append(actor.reservation)
    return utilities_figure(labels, of_us, of_china, reservations)


def UtilitiesCard(model: LiveModel) -> Any:
    with solara.Card("Utility of the standing offers against each reservation") as card:
        PngFigure(lambda: _utilities(model), _drawn_for(model))
    return card


def ApprovalCard(model: LiveModel) -> Any:
    with solara.Card("Interest-group approval of the best package on the table") as card:
        threshold = model.spec.settings.ratification_threshold
        PngFigure(lambda: approval_figure(_trajectory(model), threshold), _drawn_for(model))
    return card


def TimelineCard(model: LiveModel) -> Any:
    with solara.Card("Timeline") as card:
        rows = [(e.round, f"{e.at:%d %b %H:%M}", e.kind, e.label) for e in model.timeline]
        if rows:
            Table(["round", "when", "kind", "what"], rows)
        else:
            solara.Text("Nothing has happened yet.")
        milestones = [(f"{m.at:%d %b %H:%M}", m.label) for m in model.calendar.milestones]
        if milestones:
            solara.Text("Ahead:")
            Table(["when", "milestone"], milestones)
    return card


def PackageCard(model: LiveModel) -> Any:
    with solara.Card("Package") as card:
        outcome = model.outcome
        if outcome is None:
            solara.Text("The package appears here when the run ends.")
        else:
            solara.Text(f"Source: {outcome.package_source}")
            rows = [
                (i.label, fmt(outcome.package[i.key]), i.unit, fmt(i.status_quo), fmt(i.no_deal))
                for i in model.space
            ]
            Table(["issue", "value", "unit", "before the talks", "no deal"], rows)
    return card


COMPONENTS = [StatusCard, OffersCard, UtilitiesCard, ApprovalCard, TimelineCard, PackageCard]


@solara.component
def LiveBoard(model: LiveModel) -> None:
    """The live components in a readable flow layout, refreshed after every step."""
    update_counter.get()
    with solara.Column(style={"width": "100%"}):
        StatusCard(model)
        OffersCard(model)
        with solara.Columns([1, 1]):
            UtilitiesCard(model)
            ApprovalCard(model)
        with solara.Columns([3, 2]):
            TimelineCard(model)
            PackageCard(model)


@solara.component
def LivePage(model: solara.Reactive[LiveModel]) -> None:
    """SolaraViz's controls (Play / Step / Reset, the settings) on this session's own
    model, and the live board below them."""
    SolaraViz(
        model,
        components=[],
        model_params=control_specs(),
        name="US–China trade talks: live run",
        play_interval=300,
    )
    LiveBoard(model.value)
