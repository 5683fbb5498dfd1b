"""The interactive charts (dashboards.vega_charts): their specs, and drawn offline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboards.vega_charts import (
    FIRST,
    SECOND,
    approval_chart,
    approval_spec,
    describe,
    heatmap_chart,
    histogram_chart,
    moments,
    offers_chart,
    offers_spec,
    spec_of,
    utilities_chart,
    utilities_spec,
)
from negotiation import TradeTalksModel

CHARTS_PAGE = Path(__file__).parent / "pages" / "charts.py"


@pytest.fixture(scope="module")
def run() -> tuple[TradeTalksModel, pd.DataFrame, dict[str, Any]]:
    """The first seeded run with every moment: a framework the leaders endorse."""
    for seed in range(20):
        model = TradeTalksModel(rng=seed)
        outcome = model.run()
        if outcome.truce and model.framework is not None:
            return model, model.datacollector.get_model_vars_dataframe(), outcome.to_dict()
    raise AssertionError("no run of 20 reached a framework the leaders endorsed")


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["spec"]["layer"] if "spec" in spec else spec["layer"]


def _dataset(spec: dict[str, Any]) -> pd.DataFrame:
    (rows,) = spec["datasets"].values()
    return pd.DataFrame(rows)


def test_offers_are_drawn_over_calendar_time_one_panel_per_issue(run) -> None:  # type: ignore[no-untyped-def]
    model, trajectory, outcome = run
    spec = offers_chart(trajectory, model.spec, outcome).to_dict()
    panels = [f"{i.label} ({i.unit})" for i in model.spec.space]
    assert spec["facet"]["sort"] == panels and spec["columns"] == 3
    assert spec["resolve"]["scale"]["y"] == "independent"
    line = _layers(spec)[0]
    assert [layer["mark"]["type"] for layer in _layers(spec)][1:] == ["rule", "point", "rule"]
    assert line["encoding"]["x"] == {**line["encoding"]["x"], "field": "time", "type": "temporal"}
    assert {t["field"] for t in line["encoding"]["tooltip"]} >= {"who", "round", "time", "value"}
    assert line["encoding"]["color"]["scale"]["domain"] == ["US", "China", "host's text"]
    assert line["encoding"]["color"]["scale"]["range"][:2] == [FIRST, SECOND]
    data = _dataset(spec)
    for issue in model.spec.space:  # each axis spans the issue's bounds
        here = data[(data["issue"] == f"{issue.label} ({issue.unit})")]
        assert sorted(here.loc[here["layer"] == "bound", "value"]) == [issue.low, issue.high]
        assert list(here.loc[here["layer"] == "status quo", "value"]) == [issue.status_quo]
        assert set(here.loc[here["layer"] == "moment", "moment"]) == {
            "summit (deadline)",
            "framework",
            "endorsement",
        }
    offers = data[data["layer"] == "offer"]
    assert len(offers) >= 2 * len(model.spec.space) * len(trajectory)


def test_the_moments_are_where_the_run_reached_them(run) -> None:  # type: ignore[no-untyped-def]
    model, _, outcome = run
    at = dict(moments(model.spec, outcome).itertuples(index=False))
    summit = model.spec.calendar.summit
    assert at["summit (deadline)"] == summit
    assert at["endorsement"] == summit  # endorsed at the summit's opening
    assert at["framework"] == datetime.fromisoformat(outcome["time"]) < summit
    assert list(moments(model.spec, None)["moment"]) == ["summit (deadline)"]


def test_approval_keeps_the_sides_colours_and_draws_the_bar(run) -> None:  # type: ignore[no-untyped-def]
    model, trajectory, outcome = run
    spec = approval_chart(trajectory, model.spec, 0.6, outcome).to_dict()
    lines, needed, _ = spec["layer"]
    assert lines["encoding"]["color"]["scale"] == {
        "domain": ["US groups", "China groups"],
        "range": [FIRST, SECOND],
    }
    assert lines["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert needed["mark"]["type"] == "rule"


def test_utilities_show_each_reservation() -> None:
    spec = utilities_chart(["Trump", "Xi"], [0.8, 0.2], [0.3, 0.7], [0.5, 0.4]).to_dict()
    bars, ticks = spec["layer"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["US offer", "China's offer"]
    assert ticks["mark"]["type"] == "tick" and ticks["encoding"]["x"]["field"] == "reservation"


def test_a_histogram_names_its_axes_and_its_median() -> None:
    spec = histogram_chart([1.0, 2.0, 9.0, None, float("nan")], "soybeans", "Mt/year").to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["title"] == "runs"
    assert bars["encoding"]["x"]["title"] == "Mt/year"
    (row,) = next(iter(v for k, v in spec["datasets"].items() if "median" in v[0]))
    assert row["median"] == 2.0
    assert len(histogram_chart([], "soybeans", "Mt/year").to_dict()["layer"]) == 1


def test_a_histogram_of_a_large_ensemble_carries_its_bins_not_its_runs() -> None:
    values = [float(i % 97) for i in range(100_000)]
    spec = histogram_chart(values, "days", "days before the summit").to_dict()
    bins = next(v for v in spec["datasets"].values() if "runs" in v[0])
    assert len(bins) == 20
    assert sum(row["runs"] for row in bins) == 100_000


def test_the_heatmap_has_a_fixed_colour_scale_a_legend_and_intervals() -> None:
    cells = pd.DataFrame(
        {"a": [0, 1], "b": [0, 0], "p": [0.2, 0.8], "low": [0.1, 0.7], "high": [0.3, 0.9]}
    ).assign(runs=40)
    spec = heatmap_chart(cells, "a", "b", "farmer pressure", "credibility").to_dict()
    rect = spec["layer"][0]
    colour = rect["encoding"]["color"]
    assert colour["scale"]["domain"] == [0, 1] and colour["legend"]["format"] == ".0%"
    titles = {t.get("title") for t in rect["encoding"]["tooltip"]}
    assert {"95% from", "95% to", "P(agreement)"} <= titles
    params = spec.get("params", []) + rect.get("params", [])
    assert [p["name"] for p in params] == ["cell"]  # a cell can be picked


def test_every_chart_says_what_it_shows() -> None:
    assert "6 issues" in describe("offers", issues=6)
    assert "60%" in describe("approval", threshold=0.6)
    with pytest.raises(ValueError, match="known: offers"):
        describe("pie")


def test_the_charts_are_drawn_in_the_browser_offline(
    solara_server: Callable[..., Any], new_page: Callable[..., Any]
) -> None:
    """Through Solara's FigureAltair, with the Vega scripts from the local asset store:
    five charts drawn, nothing fetched from another host, no console error."""
    server = solara_server(CHARTS_PAGE)
    page, log = new_page(server.url, wait_for_text="Charts shown")
    page.locator(".vega-embed").nth(4).wait_for(timeout=60_000)
    assert page.locator(".vega-embed").count() == 5
    page.locator(".vega-embed svg.marks").nth(4).wait_for(timeout=60_000)
    text = page.locator(".vega-embed svg.marks").first.text_content() or ""
    assert "Chinese purchases of US soybeans (Mt/year)" in text
    assert "Thu 30 Oct" in text  # a calendar axis, not round numbers
    log.assert_clean()


def test_every_chart_is_strict_json_before_anything_ran() -> None:
    """The browser's JSON parser rejects NaN: a chart of a run that has not started (no
    rows yet) must carry nulls instead."""
    model = TradeTalksModel(rng=7)
    empty = model.datacollector.get_model_vars_dataframe()
    charts = [
        offers_chart(empty, model.spec),
        approval_chart(empty, model.spec, 0.6),
        histogram_chart([], "soybeans", "Mt/year"),
        utilities_chart(["a"], [float("nan")], [0.5], [0.2]),
    ]
    for chart in charts:
        json.dumps(spec_of(chart), allow_nan=False)


def _without_data(spec: dict[str, Any]) -> str:
    """A spec's structure: its data references and datasets left out."""
    text = json.dumps({k: v for k, v in spec.items() if k not in ("datasets", "data")})
    return re.sub(r'"data": \{[^}]*\}, ', "", text)


def test_the_live_specs_are_the_charts_with_their_rows_named(run) -> None:  # type: ignore[no-untyped-def]
    """What a Step sends (a cached structure and new rows) is the Altair chart itself."""
    model, trajectory, outcome = run
    pairs = [
        (
            offers_spec(trajectory, model.spec, outcome),
            offers_chart(trajectory, model.spec, outcome),
        ),
        (
            approval_spec(trajectory, model.spec, 0.6, outcome),
            approval_chart(trajectory, model.spec, 0.6, outcome),
        ),
        (
            utilities_spec(["Trump", "Xi"], [0.8, 0.2], [0.3, 0.7], [0.5, 0.4]),
            utilities_chart(["Trump", "Xi"], [0.8, 0.2], [0.3, 0.7], [0.5, 0.4]),
        ),
    ]
    for fast, chart in pairs:
        slow = spec_of(chart)
        assert sorted(map(json.dumps, fast["datasets"].values())) == sorted(
            map(json.dumps, slow["datasets"].values())
        )
        assert _without_data(fast) == _without_data(slow)
    again = offers_spec(trajectory.iloc[:3], model.spec, None)
    assert again["datasets"]["offers"] != pairs[0][0]["datasets"]["offers"]  # new rows
    assert again["facet"] is pairs[0][0]["facet"]  # the same structure, built once
