"""In-process tests of the dashboard's pieces (no browser): model building from controls,
status texts, ensemble summaries, the sweep explorer's tables, and rendered components."""

from __future__ import annotations

import ipyvuetify as v
import pytest
import solara
import solara.widgets

from dashboards import live
from dashboards.live_model import LiveChoices, LiveModel, control_specs, parse_seed
from dashboards.sweeps_page import load_sweep, sample_sweep_folder, swept_parameters, truce_grid
from experiments.ensemble import run_ensemble
from negotiation import run_once


def test_live_model_from_controls_runs_to_an_end() -> None:
    model = LiveModel(seed="7", threat_credibility=0.6)
    assert model.error is None and model.running
    model.run()
    assert model.outcome is not None
    assert live.status_text(model) in (
        f"Truce on {model.outcome.date}",
        "No truce before the summit",
        "No truce before the summit: deal at the summit",
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"seed": "seven"}, "the seed must be a whole number, got 'seven'"),
        ({"seed": "-3"}, "must not be negative"),
        ({"seed": "1", "us_concession_exponent": 99.0}, "outside its range"),
        ({"seed": "1", "no_such_knob": 1.0}, "unknown parameter 'no_such_knob'"),
        ({"seed": "1", "scenario_name": "atlantis"}, "no scenario 'atlantis'"),
    ],
)
def test_bad_settings_give_a_message_not_an_exception(kwargs: dict, fragment: str) -> None:
    model = LiveModel(**kwargs)
    assert model.error is not None and fragment in model.error
    assert not model.running


def test_controls_cover_every_named_parameter() -> None:
    controls = control_specs()
    assert controls["scenario_name"]["type"] == "Select"
    assert controls["seed"]["type"] == "InputText"
    assert controls["threat_credibility"]["type"] == "SliderFloat"
    assert "boulware" in controls["us_offer_strategy"]["values"]
    assert "convenor" in controls["host_behaviour"]["values"]
    assert parse_seed(" 12 ") == 12


def test_status_and_countdown_texts() -> None:
    model = LiveModel(seed="3")
    assert live.status_text(model) == "Not started: press Step or Play"
    assert "Before round 1 of 16" in live.countdown_text(model)
    model.step()
    assert live.status_text(model) == "Talks under way"
    assert live.countdown_text(model).startswith("Round 1 of 16 · Sat 25 Oct 09:00")
    assert live.status_text(LiveModel(seed="x")) == "Not run: the settings are invalid"


def test_the_page_says_what_reset_would_change() -> None:
    model = LiveModel(seed="7")
    choices = LiveChoices()
    assert live.pending_text(model, choices) is None
    changed = choices.with_seed("8").with_value("threat_credibility", 0.0)
    assert live.pending_text(model, changed) == (
        "Press Reset to apply: seed 7 → 8; threat credibility 0.6 → 0."
    )
    assert live.pending_text(LiveModel(**changed.model_kwargs()), changed) is None
    other = choices.with_scenario("geneva-2025")
    assert live.pending_text(model, other) == (
        "Press Reset to apply: scenario kuala-lumpur-2025 → geneva-2025."
    )


def test_every_control_says_what_it_means_and_its_range() -> None:
    for name, spec in control_specs().items():
        if name in ("scenario_name", "seed"):
            continue
        text = live.help_text(spec)
        assert text and len(text) > 20, name
        if spec["type"].startswith("Slider"):
            assert f"Range {spec['min']:g} to {spec['max']:g}." in text


@solara.component
def Wrapped(component, model):  # type: ignore[no-untyped-def]
    """What SolaraViz does with a plain component function."""
    return component(model)


def test_components_render_before_during_and_after_a_run() -> None:
    model = LiveModel(seed="7")
    for stage in range(3):
        for component in live.COMPONENTS:
            _, rc = solara.render(Wrapped(component, model), handle_error=False)
            rc.close()
        if stage == 0:
            model.step()
        else:
            model.run()
    _, rc = solara.render(Wrapped(live.PackageCard, model), handle_error=False)
    bodies = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML, tag="tbody").widgets]
    assert any("<td>US additional tariff on Chinese goods</td>" in b for b in bodies)
    rc.close()


def test_whole_page_renders_its_four_tabs() -> None:
    from dashboards.app import Page

    _, rc = solara.render(Page(), handle_error=False)
    for label in ("Live run", "Ensemble", "Two worlds", "Sweep explorer"):
        rc.find(v.Tab, children=[label]).assert_single()
    rc.close()


def test_the_first_page_is_prepared_in_the_background() -> None:
    """Importing the app starts computing what an untouched link's first render keeps in
    caches (the server is idle while the browser loads the page's scripts); a page
    waits for it, and then finds the default run's chart structures built."""
    from dashboards import app, vega_charts
    from negotiation import load_scenario

    assert app._prepared.wait(timeout=60)
    scenario = load_scenario("kuala-lumpur-2025")
    for kind in ("offers", "approval"):
        assert vega_charts._STRUCTURES[(kind, id(scenario))][0] is scenario


def test_a_failed_preparation_leaves_the_work_to_the_page(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from dashboards import app

    def broken(model: LiveModel) -> None:
        raise RuntimeError("no charts today")

    monkeypatch.setattr(app, "prepare_charts", broken)
    monkeypatch.setattr(app, "_prepared", app.threading.Event())
    app.prepare_first_page()
    assert app._prepared.is_set() and "no charts today" in caplog.text


def test_page_ensemble_is_the_batch_layer_ensemble() -> None:
    from dashboards.ensemble_page import ensemble_task  # noqa: F401 - the page's task exists
    from experiments.design import run_seed

    summary = run_ensemble("kuala-lumpur-2025", 40, root_seed=1)
    outcomes = [run_once("kuala-lumpur-2025", seed=run_seed(1, i)) for i in range(40)]
    truces = sum(o.truce for o in outcomes)
    assert summary.runs == 40 and summary.p_truce == truces / 40
    assert len(summary.agreed["us_tariff_rate"]) == truces == len(summary.truce_days)
    assert "agreed" not in summary.to_dict()


def test_sample_sweep_and_grid() -> None:
    table = load_sweep(sample_sweep_folder())
    params = swept_parameters(table)
    assert set(params) == {"farmer_pressure", "threat_credibility"}
    grid = truce_grid(table, "threat_credibility", "farmer_pressure")
    assert len(grid) == 25 and (grid["count"] == 8).all()
    cell = grid[(grid["x"] == 1.0) & (grid["y"] == 0.0)].iloc[0]
    rows = table[
        (table["param__threat_credibility"] == 1.0) & (table["param__farmer_pressure"] == 0.0)
    ]
    assert cell["p_truce"] == rows["truce"].mean()
    assert cell["low"] <= cell["p_truce"] <= cell["high"]


def test_a_table_is_three_widgets_whatever_its_rows_and_escapes_its_text() -> None:
    from dashboards.widgets import Table

    @solara.component
    def Shown() -> None:
        Table(["round", "what"], [(i, f"<b>offer</b> {i} & more") for i in range(50)])

    _, rc = solara.render(Shown(), handle_error=False)
    (body,) = (w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML, tag="tbody").widgets)
    assert body.count("<tr>") == 50
    assert "<td>&lt;b&gt;offer&lt;/b&gt; 49 &amp; more</td>" in body
    assert "<b>" not in body
    assert len(rc.find(solara.widgets.HTML).widgets) == 2  # the head and the body
    rc.close()
