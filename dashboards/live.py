"""The live page: watch one seeded run round by round.

What an analyst meets first is what the page is for: the question (does a truce emerge
before the leaders' summit, and on what terms), the scenario and its sources. Then the
run: a status in words (not started, under way, ended and why), a countdown to the
summit, each delegation's offer per issue over calendar time with the summit and the
run's framework and endorsement marked, each actor's utility of the standing offers
against its reservation, interest-group approval, the timeline and the package.

The sidebar holds the run controls (:func:`RunControls`: Play/Pause, Step and Reset on
this session's Mesa model), the settings (:func:`ParameterControls`: each named
parameter with its range and description; switching scenario rebuilds them, and a
parameter shows only while it applies to the chosen behaviour) with a notice of what
changes on Reset, a live estimate of the settings shown (:mod:`dashboards.live_estimate`),
and what the page hands out (:func:`ShareCard`: a link that reopens these settings, the
run's record and trajectories).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import solara
import solara.lab

from dashboards.live_estimate import LiveEstimate
from dashboards.live_estimate import paused as estimate_paused
from dashboards.live_model import LiveChoices, LiveModel, applied_changes, control_specs
from dashboards.share import record_json, to_query, trajectories_csv
from dashboards.vega_charts import approval_spec, describe, offers_spec, utilities_spec
from dashboards.widgets import Line, ParameterInput, Table, VegaChart, fmt
from negotiation import Scenario
from negotiation.explain import explain

TITLE = "US–China trade talks: live run"
PLAY_INTERVAL_MS = 200

# Bumped after every step so that the board, the controls and the downloads render the
# model's new state. The page's own, like ``mesa.visualization.utils.update_counter``
# but without importing Mesa's visualisation, which loads matplotlib (about half a
# second of the server's start). On Mesa's SolaraViz page (:mod:`dashboards.mesa_app`)
# SolaraViz renders the cards again after its steps with its own counter.
update_counter: solara.Reactive[int] = solara.reactive(0)


def force_update() -> None:
    """Tell every component that reads :data:`update_counter` that the model stepped."""
    update_counter.value += 1


QUESTION = "Does a truce emerge before the leaders' summit, and on what terms?"


def status_text(model: LiveModel) -> str:
    """The run's status in words: not started, under way, or how it ended."""
    outcome = model.outcome
    if outcome is None:
        if model.error:
            return "Not run: the settings are invalid"
        if model.steps == 0:
            return "Not started: press Step or Play"
        return "Talks under way"
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


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def settings_text(model: LiveModel) -> str:
    """Scenario, seed and the parameters whose value in this run differs from the
    scenario's own (a parameter that does not apply to the chosen behaviour is left out:
    the behaviour's name says it)."""
    defaults = model.plan.base.effective_values({})
    changed = [
        f"{name.replace('_', ' ')} = {_value_text(value)}"
        for name, value in model.params.items()
        if value is not None and name in defaults and value != defaults[name]
    ]
    tail = "; ".join(changed) if changed else "scenario defaults"
    return f"Scenario {model.spec.name}, seed {model.seed}: {tail}"


def digest_text(model: LiveModel) -> str:
    """The start of the run's plan digest: the outcome record's ``plan_digest``, so a run
    here can be matched with ``negotiation run --json``."""
    return f"Plan digest {model.plan.digest[:12]}"


def pending_text(model: LiveModel, choices: LiveChoices) -> str | None:
    """What Reset would change, in words, or ``None`` when the settings shown are the
    ones the run was built with."""
    changes = applied_changes(model, choices)
    if not changes:
        return None
    return "Press Reset to apply: " + "; ".join(changes) + "."


# --------------------------------------------------------------------------- main area


@solara.component
def IntroCard(scenario: Scenario) -> None:
    """What the page is, the question it answers, the scenario and its sources: a
    component of its own, so a Step (which changes none of it) does not render it again."""
    meta = scenario.scenario
    with solara.Card():
        solara.Markdown(f"# {TITLE}\n\n**{QUESTION}** Scenario: {meta.title}.")
        with solara.Details("About the scenario and the model", expand=False):
            solara.Markdown(
                f"{' '.join(meta.description.split())}\n\n"
                "Each round, the delegations exchange offers on every issue; interest "
                "groups lobby their side, the host drafts texts, threats fall due on their "
                "dates, and a package needs approval at home and the leaders' endorsement "
                "at the summit. Set the run in the sidebar, then press **Step** or **Play**."
            )
        SourcesList(scenario)


def SourcesList(scenario: Scenario) -> Any:
    """The scenario's sources, and the codes its labels cite (``[TS]``), in full."""
    meta = scenario.scenario
    lines = [f"- **[{code}]** {text}" for code, text in meta.references.items()]
    lines += [f"- {text}" for text in meta.sources]
    if not lines:
        return solara.Text("The scenario names no sources.")
    with solara.Details("Sources of the scenario", expand=False) as details:
        solara.Markdown("\n".join(lines))
    return details


def StatusCard(model: LiveModel) -> Any:
    """The status in words, the countdown, what the run was built with, and why it
    ended as it did."""
    with solara.Card() as card:
        solara.Markdown(f"## {status_text(model)}")
        if model.error:
            solara.Error(f"Cannot build the model with these settings: {model.error}")
            solara.Text("Fix the settings in the sidebar and press Reset.")
        Line(countdown_text(model))
        Line(settings_text(model))
        Line(digest_text(model))
        if model.outcome is not None:
            solara.Markdown("### Why\n\n" + "\n".join(f"- {line}" for line in explain(model)))
            Line("The run has ended: press Reset to run it again, or change the settings.")
    return card


def _trajectory(model: LiveModel) -> pd.DataFrame:
    assert model.datacollector is not None
    return model.datacollector.get_model_vars_dataframe()


def _outcome(model: LiveModel) -> Mapping[str, object] | None:
    return None if model.outcome is None else model.outcome.to_dict()


def _drawn_for(model: LiveModel) -> list[Any]:
    """What a live chart depends on: this model (Reset builds another) and its round."""
    return [model, model.steps]


def OffersCard(model: LiveModel) -> Any:
    with solara.Card() as card:
        solara.Markdown("## Offers per issue")
        VegaChart(
            lambda: offers_spec(_trajectory(model), model.spec, _outcome(model)),
            _drawn_for(model),
            describe("offers", issues=len(model.space)),
        )
    return card


def _utilities(model: LiveModel) -> dict[str, Any]:
    labels, of_first, of_second, reservations = [], [], [], []
    first, second = model.sides
    first_offer, second_offer = model.view.last_offer(first), model.view.last_offer(second)
    for key in model.row_keys:
        actor = model.actors_by_key[key]
        labels.append(actor.label)
        of_first.append(actor.utility(first_offer) if first_offer is not None else 0.0)
        of_second.append(actor.utility(second_offer) if second_offer is not None else 0.0)
        reservations.append(actor.reservation)
    return utilities_spec(labels, of_first, of_second, reservations, sides=(first, second))


def UtilitiesCard(model: LiveModel) -> Any:
    with solara.Card() as card:
        solara.Markdown("## Utility of the standing offers against each reservation")
        VegaChart(
            lambda: _utilities(model),
            _drawn_for(model),
            describe("utilities", actors=len(model.row_keys)),
        )
    return card


def ApprovalCard(model: LiveModel) -> Any:
    threshold = model.spec.settings.ratification_threshold
    with solara.Card() as card:
        solara.Markdown("## Interest-group approval of the best package on the table")
        VegaChart(
            lambda: approval_spec(_trajectory(model), model.spec, threshold, _outcome(model)),
            _drawn_for(model),
            describe("approval", threshold=threshold),
        )
    return card


def TimelineCard(model: LiveModel) -> Any:
    with solara.Card() as card:
        solara.Markdown("## Timeline")
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
    with solara.Card() as card:
        solara.Markdown("## Package")
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


def prepare_charts(model: LiveModel) -> None:
    """Compute the live charts of ``model`` once, for what it leaves in caches: each
    chart's structure for the model's scenario (built with Altair) and the model's
    compiled kernels (loaded from numba's cache), about 0.7 s the first time and 0.5 s
    of a first page's render when the page computes them itself."""
    offers_spec(_trajectory(model), model.spec, _outcome(model))
    _utilities(model)
    threshold = model.spec.settings.ratification_threshold
    approval_spec(_trajectory(model), model.spec, threshold, _outcome(model))


@solara.component
def LiveBoard(model: LiveModel) -> None:
    """The live components in a flow layout that wraps on narrow screens, refreshed
    after every step."""
    update_counter.get()
    with solara.Column(style={"width": "100%"}):
        IntroCard(model.spec)
        StatusCard(model)
        OffersCard(model)
        with solara.ColumnsResponsive(default=12, large=6):
            UtilitiesCard(model)
            ApprovalCard(model)
        with solara.ColumnsResponsive(default=12, large=[7, 5]):
            TimelineCard(model)
            PackageCard(model)


# --------------------------------------------------------------------------- sidebar


@solara.component
def RunControls(
    model: solara.Reactive[LiveModel],
    settings: solara.Reactive[LiveChoices],
    on_reset: Callable[[LiveChoices], None] | None = None,
) -> None:
    """Play/Pause, Step and Reset on this session's model, each button named in words.

    Play steps the model every ``interval`` milliseconds in a background task and stops
    by itself when the run ends; Step and Play are disabled on an ended run or one that
    could not be built (Reset is the way on). Reset builds a new model from ``settings``
    (only what the user changed), so a Reset with untouched settings is the scenario's
    own run."""
    update_counter.get()  # a step changes what may run next
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL_MS)
    failure: solara.Reactive[str | None] = solara.use_reactive(None)
    live = model.value

    def advance() -> None:
        try:
            model.value.step()
        except Exception as exc:  # shown in the page; the run is stopped, not half-drawn
            failure.set(f"The run stopped with an error: {exc}")
            model.value.running = False
            playing.set(False)
        force_update()

    def play() -> None:
        while playing.value and model.value.running:
            time.sleep(interval.value / 1000)
            if playing.value and model.value.running:
                advance()
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)
    solara.use_effect(lambda: estimate_paused.set(playing.value), [playing.value])

    def reset() -> None:
        playing.set(False)
        failure.set(None)
        model.set(LiveModel(**settings.value.model_kwargs()))
        if on_reset is not None:
            on_reset(settings.value)

    can_run = live.running and not live.error
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
        solara.Button(
            "Pause" if playing.value else "Play",
            icon_name="mdi-pause" if playing.value else "mdi-play",
            color="primary",
            disabled=not can_run,
            on_click=lambda: playing.set(not playing.value),
        )
        solara.Button(
            "Step",
            icon_name="mdi-step-forward",
            color="primary",
            disabled=playing.value or not can_run,
            on_click=advance,
        )
        solara.Button(
            "Reset", icon_name="mdi-restart", color="primary", outlined=True, on_click=reset
        )
    solara.SliderInt(
        f"Play speed: {interval.value} ms per round", value=interval, min=50, max=1000, step=50
    )
    if failure.value:
        solara.Error(failure.value)
    elif live.outcome is not None:
        solara.Info("The run has ended. Press Reset to run it again.")


def help_text(spec: dict[str, Any]) -> str | None:
    """The line under a control: what the parameter means and its range."""
    description = str(spec.get("description") or "").strip()
    if not description:
        return None
    if description[-1] not in ".!?)":
        description += "."
    if "min" in spec and "max" in spec:
        return f"{description} Range {spec['min']:g} to {spec['max']:g}."
    return description


@solara.component
def ParameterControls(choices: solara.Reactive[LiveChoices]) -> None:
    """The scenario, the seed and the named parameters that apply to the current choices,
    each with its description and range.

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
        with solara.Column(gap="0px").key(f"{current.scenario_name}:{name}:box"):
            ParameterInput(spec, on_value).key(f"{current.scenario_name}:{name}")
            text = help_text(spec)
            if text:
                # text--secondary: Vuetify's grey for both themes (a fixed #555 was 2.2:1
                # on the dark theme's cards)
                solara.v.Html(
                    tag="div",
                    children=[text],
                    class_="text--secondary",
                    style_="font-size: 0.8rem; margin: -6px 0 10px 0",
                )


@solara.component
def ShareCard(model: LiveModel, choices: LiveChoices) -> None:
    """A link that reopens the run's settings, and the run's data to download."""
    update_counter.get()  # the record exists once a step ends the run
    query = to_query(choices)
    solara.Markdown(f"[Link to these settings](?{query})")
    solara.Text("Download:")  # short labels below: a button's label never wraps
    solara.FileDownload(
        lambda: trajectories_csv(model),
        filename=f"{model.spec.name}-seed{model.seed}-trajectories.csv",
        label="Trajectories (CSV)",
    )
    if model.outcome is not None:
        solara.FileDownload(
            lambda: record_json(model),
            filename=f"{model.spec.name}-seed{model.seed}-record.json",
            label="Outcome record (JSON)",
        )
    else:
        solara.Text("The outcome record can be downloaded when the run ends.")
    solara.Text("Each chart's menu (…) saves it as SVG or PNG.")


@solara.component
def LiveControls(
    model: solara.Reactive[LiveModel],
    settings: solara.Reactive[LiveChoices],
    on_reset: Callable[[LiveChoices], None] | None = None,
) -> None:
    """The sidebar: the run controls, the settings with a notice of what Reset would
    change, and what the page hands out."""
    with solara.Column():
        with solara.Card("Run"):
            RunControls(model, settings, on_reset)
        with solara.Card("Settings"):
            solara.Text("Settings take effect when you press Reset.")
            pending = pending_text(model.value, settings.value)
            if pending:
                solara.Warning(pending)
            ParameterControls(settings)
        with solara.Card("Live estimate"):
            LiveEstimate(settings.value)
        with solara.Card("Share and export"):
            ShareCard(model.value, model.value.choices)


@solara.component
def LivePage(
    model: solara.Reactive[LiveModel],
    choices: solara.Reactive[LiveChoices] | None = None,
    on_reset: Callable[[LiveChoices], None] | None = None,
) -> None:
    """The title bar, the controls and settings in the sidebar, the live board in the
    main area, on this session's own model.

    ``choices`` holds the settings; the app keeps it above the tabs, so the settings
    shown survive a visit to another tab (a lazy tab is unmounted when left).
    ``on_reset`` is told the settings a Reset applied (the app writes them to the URL).
    """
    settings = solara.use_reactive(choices if choices is not None else LiveChoices())
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
        solara.lab.ThemeToggle()
    with solara.Sidebar():
        LiveControls(model, settings, on_reset)
    LiveBoard(model.value)
