"""The live page: watch one seeded run round by round (Mesa's SolaraViz pieces).

Components: a countdown to the summit with the truce status in words; each
delegation's offer per issue over time (with the host's text); each actor's utility of
the standing offers against its reservation; interest-group approval; the event
timeline; the package when the run ends.

The page is SolaraViz's layout (Play / Step / Reset in the sidebar, the model's
settings below them) built from Mesa's own ``ModelController``, with the settings drawn
by :func:`ParameterControls` instead of SolaraViz's fixed list: switching scenario
rebuilds them from that scenario's parameters, a parameter shows only while it applies
to the chosen behaviour, and Reset sends the model only what the user changed (see
:mod:`dashboards.live_model`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import solara
import solara.lab
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import ModelController, ShowSteps
from mesa.visualization.utils import update_counter

from dashboards.charts import approval_figure, offers_figure, utilities_figure
from dashboards.live_model import LiveChoices, LiveModel, control_specs
from dashboards.widgets import Line, PngFigure, Table, fmt
from negotiation.explain import explain

TITLE = "US–China trade talks: live run"
PLAY_INTERVAL_MS = 300


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
    """Scenario, seed and the parameters whose value in this run differs from the
    scenario's own (a parameter that does not apply to the chosen behaviour is left out:
    the behaviour's name says it)."""
    defaults = model.plan.base.effective_values({})
    changed = [
        f"{name.replace('_', ' ')} = {value:g}"
        if isinstance(value, float)
        else f"{name.replace('_', ' ')} = {value}"
        for name, value in model.params.items()
        if value is not None and name in defaults and value != defaults[name]
    ]
    tail = "; ".join(changed) if changed else "scenario defaults"
    return f"Scenario {model.spec.name}, seed {model.seed}: {tail}"


def digest_text(model: LiveModel) -> str:
    """The start of the run's plan digest: the outcome record's ``plan_digest``, so a run
    here can be matched with ``negotiation run --json``."""
    return f"Plan digest {model.plan.digest[:12]}"


def StatusCard(model: LiveModel) -> Any:
    with solara.Card("Countdown to the summit") as card:
        if model.error:
            solara.Error(f"Cannot build the model with these settings: {model.error}")
            solara.Text("Showing the default scenario instead; fix the settings and press Reset.")
        solara.Markdown(f"## {status_text(model)}")
        Line(countdown_text(model))
        Line(settings_text(model))
        Line(digest_text(model))
        if model.outcome is not None:
            solara.Markdown("**Why**\n\n" + "\n".join(f"- {line}" for line in explain(model)))
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


def _control(spec: dict[str, Any], on_value: Callable[[Any], None]) -> Any:
    """One control from a SolaraViz-style spec (see :func:`control_specs`)."""
    label, value = spec["label"], spec["value"]
    kind = spec["type"]
    if kind == "Select":
        return solara.Select(label, values=spec["values"], value=value, on_value=on_value)
    if kind == "Checkbox":
        return solara.Checkbox(label=label, value=value, on_value=on_value)
    if kind == "InputText":
        return solara.InputText(label, value=value, on_value=on_value)
    if kind == "InputFloat":
        return solara.InputFloat(label, value=value, on_value=on_value)
    slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
    return slider(
        label,
        value=value,
        min=spec["min"],
        max=spec["max"],
        step=spec["step"],
        on_value=on_value,
    )


@solara.component
def ParameterControls(choices: solara.Reactive[LiveChoices]) -> None:
    """The scenario, the seed and the named parameters that apply to the current choices.

    Handlers read ``choices.value`` when they run (not the render's copy), and each
    control is keyed by its scenario, so a control of the previous scenario can never
    write into the next one.
    """
    current = choices.value

    def on_scenario(name: str) -> None:
        choices.set(choices.value.with_scenario(name))

    def on_seed(text: str) -> None:
        choices.set(choices.value.with_seed(text))

    def setter(name: str) -> Callable[[Any], None]:
        def on_value(value: Any) -> None:
            choices.set(choices.value.with_value(name, value))

        return on_value

    for name, spec in control_specs(current).items():
        on_value: Callable[[Any], None]
        if name == "scenario_name":
            on_value = on_scenario
        elif name == "seed":
            on_value = on_seed
        else:
            on_value = setter(name)
        _control(spec, on_value).key(f"{current.scenario_name}:{name}")
    solara.Text("Settings apply on Reset.")


@solara.component
def LiveControls(model: solara.Reactive[LiveModel], settings: solara.Reactive[LiveChoices]) -> None:
    """The sidebar: SolaraViz's controls (Play / Step / Reset, with Mesa's own
    ``ModelController``), the settings (:func:`ParameterControls`) and the step count.
    Reset builds the model from ``settings`` (only what the user changed)."""
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    with solara.Column():
        with solara.Card("Controls"):
            solara.SliderInt("Play Interval (ms)", value=play_interval, min=10, max=500, step=10)
            solara.SliderInt(
                "Render Interval (steps)", value=render_interval, min=1, max=99, step=2
            )
            solara.Checkbox(label="Use Threads", value=use_threads)
            ModelController(
                model,
                model_parameters=settings.value.model_kwargs(),
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
        with solara.Card("Model Parameters"):
            ParameterControls(settings)
        with solara.Card("Information"):
            ShowSteps(model.value)


@solara.component
def LivePage(
    model: solara.Reactive[LiveModel], choices: solara.Reactive[LiveChoices] | None = None
) -> None:
    """SolaraViz's layout on this session's own model: the title bar, the controls and
    settings in the sidebar, the live board in the main area.

    ``choices`` holds the settings; the app keeps it above the tabs, so the settings
    shown survive a visit to another tab (a lazy tab is unmounted when left).
    """
    settings = solara.use_reactive(choices if choices is not None else LiveChoices())
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
        solara.lab.ThemeToggle()
    with solara.Sidebar():
        LiveControls(model, settings)
    LiveBoard(model.value)
