"""Interactive charts of the dashboard (Vega-Lite through Altair), as pure functions.

Each function turns data (a run's trajectories, an ensemble's values, a sweep's grid)
into an :class:`altair.Chart` that the browser draws with tooltips, legends outside the
data and text at a readable size. Time runs on a calendar axis with the summit deadline
drawn, and the moments a run reached (framework, endorsement) marked, so that a reader
sees *when* things happened rather than round numbers. The page shows them with
``solara.FigureAltair``; the Vega scripts are served from the local asset store
(``dashboards.offline_assets``), never from a CDN.

Every chart also has a one-sentence description (:func:`describe`) for its alt text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import altair as alt
import numpy as np
import pandas as pd

from negotiation import Scenario

FIRST, SECOND, HOST = "#1f4e9c", "#c0392b", "#6b7780"  # first side, second side, host
HOST_TEXT = "host's text"
FONT_SIZE = 12
TITLE_SIZE = 13
WIDTH, HEIGHT = 230, 150  # one small multiple


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Readable text everywhere; the legend at the top, outside the data; drawn as SVG
    (vega-embed reads ``usermeta.embedOptions``), so that the text of a chart is in the
    page for screen readers and its export is a vector image."""
    return (
        chart.properties(usermeta={"embedOptions": {"renderer": "svg"}})
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_legend(
            labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="top", direction="horizontal"
        )
        .configure_header(labelFontSize=TITLE_SIZE, titleFontSize=TITLE_SIZE)
        .configure_title(fontSize=TITLE_SIZE)
        .configure_view(strokeWidth=0)
    )


def moments(scenario: Scenario, outcome: Mapping[str, object] | None = None) -> pd.DataFrame:
    """The dated moments drawn on time axes: the summit deadline always, and the
    framework and the endorsement once a run has reached them. The record dates them by
    day; the framework is drawn at the time of its round (the record's ``time``) and an
    endorsement at the summit at the summit's opening."""
    summit = scenario.calendar.summit
    rows = [{"moment": "summit (deadline)", "at": summit}]
    record = outcome or {}
    agreed = datetime.fromisoformat(str(record["time"])) if record.get("time") else None
    for key, label in (("framework_date", "framework"), ("endorsement_date", "endorsement")):
        day = record.get(key)
        if not day:
            continue
        if str(day) == summit.date().isoformat() and label == "endorsement":
            rows.append({"moment": label, "at": summit})
        elif agreed is not None and str(day) == agreed.date().isoformat():
            rows.append({"moment": label, "at": agreed})
        else:
            rows.append({"moment": label, "at": datetime.fromisoformat(str(day))})
    return pd.DataFrame(rows)


def offers_chart(
    trajectory: pd.DataFrame, scenario: Scenario, outcome: Mapping[str, object] | None = None
) -> alt.TopLevelMixin:
    """Each delegation's offer (and the host's text) per issue over calendar time, one
    panel per issue in its own units (the axis spans the issue's bounds), with the status
    quo, the summit and the run's framework and endorsement moments.

    One data set and one faceted chart: building and serialising it is what a Step of
    the live page waits for."""
    offers = _offer_rows(trajectory, scenario)
    offers["layer"] = "offer"
    marks = moments(scenario, outcome)
    extra = []
    for issue in scenario.space:
        extra.append(
            pd.DataFrame(
                {
                    "issue": _panel(issue.label, issue.unit),
                    "layer": ["status quo", "bound", "bound"],
                    "value": [issue.status_quo, issue.low, issue.high],
                }
            )
        )
        extra.append(marks.assign(issue=_panel(issue.label, issue.unit), layer="moment"))
    data = pd.concat([offers, *extra], ignore_index=True)
    colour = alt.Color(
        "who:N",
        title=None,
        scale=alt.Scale(domain=[*scenario.sides, HOST_TEXT], range=[FIRST, SECOND, HOST]),
    )
    value = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False, nice=False, padding=4))
    base = alt.Chart().encode(y=value)
    lines = (
        base.mark_line(point=alt.OverlayMarkDef(size=18), clip=True)
        .encode(
            x=alt.X("time:T", title=None, axis=alt.Axis(format="%a %d %b", labelAngle=0)),
            color=colour,
            tooltip=[
                alt.Tooltip("who:N", title="offer of"),
                alt.Tooltip("round:Q"),
                alt.Tooltip("time:T", format="%a %d %b %H:%M"),
                alt.Tooltip("value:Q", format=".1f"),
            ],
        )
        .transform_filter(alt.datum.layer == "offer")
    )
    status_quo = (
        alt.Chart()
        .mark_rule(strokeDash=[2, 3], color="#999999")
        .encode(y="value:Q", tooltip=[alt.Tooltip("value:Q", title="status quo")])
        .transform_filter(alt.datum.layer == "status quo")
    )
    bounds = base.mark_point(opacity=0).transform_filter(alt.datum.layer == "bound")
    rules = (
        alt.Chart()
        .mark_rule(strokeDash=[6, 3], color="#333333")
        .encode(
            x="at:T",
            tooltip=[alt.Tooltip("moment:N"), alt.Tooltip("at:T", format="%a %d %b %H:%M")],
        )
        .transform_filter(alt.datum.layer == "moment")
    )
    chart = (
        alt.layer(lines, status_quo, bounds, rules, data=data)
        .properties(width=WIDTH, height=HEIGHT)
        .facet(
            facet=alt.Facet(
                "issue:N", title=None, sort=[_panel(i.label, i.unit) for i in scenario.space]
            ),
            columns=3,
        )
        .resolve_scale(y="independent")
    )
    return _style(chart)


def _offer_rows(trajectory: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Long rows (issue, who, round, time, value) of the offers and the host's texts."""
    if not len(trajectory):
        return _no_offers()
    time = pd.to_datetime(trajectory["time"])
    parts = []
    for issue in scenario.space:
        for who, column in (
            (scenario.sides[0], f"offer__{scenario.sides[0]}__{issue.key}"),
            (scenario.sides[1], f"offer__{scenario.sides[1]}__{issue.key}"),
            (HOST_TEXT, f"text__{issue.key}"),
        ):
            if column in trajectory:
                part = pd.DataFrame(
                    {
                        "issue": _panel(issue.label, issue.unit),
                        "who": who,
                        "round": trajectory["round"],
                        "time": time,
                        "value": trajectory[column],
                    }
                )
                parts.append(part.dropna(subset=["value"]))
    return pd.concat(parts, ignore_index=True) if parts else _no_offers()


def _no_offers() -> pd.DataFrame:
    """No offer rows yet, with the columns' types (so the chart's data stays typed)."""
    return pd.DataFrame(
        {
            "issue": pd.Series(dtype=object),
            "who": pd.Series(dtype=object),
            "round": pd.Series(dtype=float),
            "time": pd.Series(dtype="datetime64[ns]"),
            "value": pd.Series(dtype=float),
        }
    )


def _panel(label: str, unit: str) -> str:
    """A panel's title: the issue and its unit."""
    return f"{label} ({unit})" if unit else label


def _moment_rules(marks: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(marks)
        .mark_rule(strokeDash=[6, 3], color="#333333")
        .encode(
            x="at:T",
            tooltip=[alt.Tooltip("moment:N"), alt.Tooltip("at:T", format="%a %d %b %H:%M")],
        )
    )


def utilities_chart(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    reservations: Sequence[float],
    sides: tuple[str, str] = ("US", "China"),
) -> alt.TopLevelMixin:
    """Each actor's utility of the two standing offers (``first``: of the first side's
    offer, ``second``: of the other's), against its reservation (a tick): an actor whose
    bar passes its tick would sign that offer."""
    names = (f"{sides[0]} offer", f"{sides[1]}'s offer")
    rows = [
        {"actor": label, "offer": name, "utility": u, "reservation": r}
        for label, a, b, r in zip(labels, first, second, reservations, strict=True)
        for name, u in zip(names, (a, b), strict=True)
    ]
    data = pd.DataFrame(rows)
    order = list(labels)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("actor:N", sort=order, title=None),
            yOffset=alt.YOffset("offer:N", sort=list(names)),
            x=alt.X("utility:Q", title="utility (0 = worst, 1 = ideal)"),
            color=alt.Color(
                "offer:N", title=None, scale=alt.Scale(domain=list(names), range=[FIRST, SECOND])
            ),
            tooltip=[
                "actor:N",
                "offer:N",
                alt.Tooltip("utility:Q", format=".3f"),
                alt.Tooltip("reservation:Q", format=".3f"),
            ],
        )
    )
    ticks = (
        alt.Chart(data.drop_duplicates("actor"))
        .mark_tick(color="black", thickness=2, size=18)
        .encode(
            y=alt.Y("actor:N", sort=order),
            x="reservation:Q",
            tooltip=["actor:N", alt.Tooltip("reservation:Q", format=".3f")],
        )
    )
    return _style(alt.layer(bars, ticks).properties(width=420, height=alt.Step(22)))


def approval_chart(
    trajectory: pd.DataFrame,
    scenario: Scenario,
    threshold: float,
    outcome: Mapping[str, object] | None = None,
) -> alt.TopLevelMixin:
    """Each side's influence-weighted approval of the best package on the table, over
    calendar time, against the approval needed, with the summit and the run's moments."""
    rows = []
    if len(trajectory):
        time = pd.to_datetime(trajectory["time"])
        for side in scenario.sides:
            rows.append(
                pd.DataFrame(
                    {
                        "who": f"{side} groups",
                        "round": trajectory["round"],
                        "time": time,
                        "approval": trajectory[f"approval__{side}"],
                    }
                )
            )
    data = pd.concat(rows) if rows else pd.DataFrame(columns=["who", "round", "time", "approval"])
    lines = (
        alt.Chart(data)
        .mark_line(point=True, clip=True)
        .encode(
            x=alt.X("time:T", title=None, axis=alt.Axis(format="%a %d %b", labelAngle=0)),
            y=alt.Y("approval:Q", title="approval", scale=alt.Scale(domain=[0, 1], padding=4)),
            color=alt.Color(
                "who:N",
                title=None,
                scale=alt.Scale(
                    domain=[f"{side} groups" for side in scenario.sides], range=[FIRST, SECOND]
                ),
            ),
            tooltip=["who:N", "round:Q", alt.Tooltip("approval:Q", format=".2f")],
        )
    )
    needed = (
        alt.Chart(pd.DataFrame({"approval needed": [threshold]}))
        .mark_rule(strokeDash=[4, 2], color="black")
        .encode(y="approval needed:Q", tooltip=["approval needed:Q"])
    )
    marks = _moment_rules(moments(scenario, outcome))
    return _style(alt.layer(lines, needed, marks).properties(width=420, height=200))


def histogram_chart(values: Sequence[float | None], title: str, unit: str) -> alt.TopLevelMixin:
    """The distribution of ``values`` (an issue's agreed value, days before the summit)
    over an ensemble's runs, with its median drawn and named. The bins are counted here
    (20 at most), so the chart carries 20 rows whatever the ensemble's size."""
    kept = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(kept):
        counts, edges = np.histogram(kept, bins=min(20, max(1, len(np.unique(kept)))))
        bins = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "runs": counts})
    else:
        bins = pd.DataFrame({"start": [], "end": [], "runs": []})
    bars = (
        alt.Chart(bins)
        .mark_bar(color=FIRST, opacity=0.85, binSpacing=1)
        .encode(
            x=alt.X("start:Q", title=unit, scale=alt.Scale(zero=False)),
            x2="end:Q",
            y=alt.Y("runs:Q", title="runs"),
            y2=alt.datum(0),  # a bar from zero (with x and x2 set, no default base)
            tooltip=[
                alt.Tooltip("start:Q", format=".2f", title="from"),
                alt.Tooltip("end:Q", format=".2f", title="to"),
                alt.Tooltip("runs:Q"),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if len(kept):
        median = float(np.median(kept))
        layers.append(
            alt.Chart(pd.DataFrame({"median": [median]}))
            .mark_rule(color="black", strokeDash=[4, 2])
            .encode(x="median:Q", tooltip=[alt.Tooltip("median:Q", format=".2f")])
        )
    return _style(alt.layer(*layers).properties(title=title, width=260, height=160))


def heatmap_chart(
    cells: pd.DataFrame, x: str, y: str, x_title: str, y_title: str
) -> alt.TopLevelMixin:
    """P(agreement) over a grid of two parameters: one cell per pair of values, coloured
    on a fixed 0–1 scale with its legend, and a tooltip with the runs and the 95%
    interval. ``cells`` has columns ``x``, ``y``, ``p``, ``low``, ``high`` and ``runs``.
    Cells can be selected (the page lists a selected cell's runs)."""
    pick = alt.selection_point(fields=[x, y], name="cell")
    chart = (
        alt.Chart(cells)
        .mark_rect(stroke="white")
        .encode(
            x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{y}:O", title=y_title, sort="descending"),
            color=alt.Color(
                "p:Q",
                title="P(agreement)",
                scale=alt.Scale(domain=[0, 1], scheme="blues"),
                legend=alt.Legend(orient="right", direction="vertical", format=".0%"),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=[
                alt.Tooltip(f"{x}:O", title=x_title),
                alt.Tooltip(f"{y}:O", title=y_title),
                alt.Tooltip("p:Q", format=".0%", title="P(agreement)"),
                alt.Tooltip("low:Q", format=".0%", title="95% from"),
                alt.Tooltip("high:Q", format=".0%", title="95% to"),
                alt.Tooltip("runs:Q"),
            ],
        )
        .add_params(pick)
    )
    text = (
        alt.Chart(cells)
        .mark_text(fontSize=FONT_SIZE)
        .encode(
            x=f"{x}:O",
            y=alt.Y(f"{y}:O", sort="descending"),
            text=alt.Text("p:Q", format=".0%"),
            color=alt.condition("datum.p > 0.6", alt.value("white"), alt.value("black")),
        )
    )
    return _style(alt.layer(chart, text).properties(width=alt.Step(48), height=alt.Step(32)))


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec as strict JSON values: a missing value (NaN, which JSON
    cannot carry and the browser's parser rejects) becomes ``null``, which Vega reads as
    missing."""
    return cast(dict[str, Any], _strict(chart.to_dict()))


def _strict(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict(v) for v in value]
    return value


def describe(kind: str, **facts: object) -> str:
    """One sentence that says what a chart shows (its alt text): ``kind`` is one of
    ``offers``, ``utilities``, ``approval``, ``histogram``, ``heatmap``."""
    templates = {
        "offers": "Each delegation's offer on each of the {issues} issues over time, with "
        "the status quo and the summit deadline.",
        "utilities": "Utility of the two standing offers for each of {actors} actors, each "
        "against its reservation.",
        "approval": "Each side's approval of the best package on the table over time, "
        "against the approval needed ({threshold:.0%}).",
        "histogram": "Distribution of {title} over {runs} agreements; median {median}.",
        "heatmap": "P(agreement) for each pair of {x} and {y} values; the darker, the likelier.",
    }
    if kind not in templates:
        raise ValueError(f"no description for chart kind {kind!r}; known: {', '.join(templates)}")
    return templates[kind].format(**facts)
