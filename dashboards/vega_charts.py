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
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import altair as alt
import numpy as np
import pandas as pd

from negotiation import Scenario

FIRST, SECOND, HOST = "#1f4e9c", "#c0392b", "#6b7780"  # first side, second side, host
HOST_TEXT = "host's text"
OFFERS, APPROVAL, NEEDED, MOMENTS = "offers", "approval", "needed", "moments"  # datasets
UTILITIES, RESERVATIONS = "utilities", "reservations"
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
    rows = [
        {"moment": m["moment"], "at": datetime.fromisoformat(m["at"])}
        for m in moment_records(scenario, outcome)
    ]
    return pd.DataFrame(rows)


def moment_records(
    scenario: Scenario, outcome: Mapping[str, object] | None = None
) -> list[dict[str, str]]:
    """:func:`moments` as chart rows (times as ISO text)."""
    summit = scenario.calendar.summit
    rows = [{"moment": "summit (deadline)", "at": summit.isoformat()}]
    record = outcome or {}
    agreed = datetime.fromisoformat(str(record["time"])) if record.get("time") else None
    for key, label in (("framework_date", "framework"), ("endorsement_date", "endorsement")):
        day = record.get(key)
        if not day:
            continue
        if str(day) == summit.date().isoformat() and label == "endorsement":
            at = summit
        elif agreed is not None and str(day) == agreed.date().isoformat():
            at = agreed
        else:
            at = datetime.fromisoformat(str(day))
        rows.append({"moment": label, "at": at.isoformat()})
    return rows


def offers_chart(
    trajectory: pd.DataFrame, scenario: Scenario, outcome: Mapping[str, object] | None = None
) -> alt.TopLevelMixin:
    """Each delegation's offer (and the host's text) per issue over calendar time, one
    panel per issue in its own units (the axis spans the issue's bounds), with the status
    quo, the summit and the run's framework and endorsement moments.

    One data set (:func:`offer_records`) and one faceted chart; :func:`offers_spec` is
    the same chart as a spec, built fast enough for every Step."""
    return _offers_structure(
        scenario, alt.InlineData(values=offer_records(trajectory, scenario, outcome))
    )


def offers_spec(
    trajectory: pd.DataFrame, scenario: Scenario, outcome: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """:func:`offers_chart` as a Vega-Lite spec: the chart's structure is built once per
    scenario (building it with Altair is most of a Step's time), only its rows are new."""
    structure = _cached(
        ("offers", id(scenario)),
        scenario,
        lambda: _offers_structure(scenario, alt.NamedData(name=OFFERS)),
    )
    return {**structure, "datasets": {OFFERS: offer_records(trajectory, scenario, outcome)}}


def _offers_structure(scenario: Scenario, data: alt.Data) -> alt.TopLevelMixin:
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


def offer_records(
    trajectory: pd.DataFrame, scenario: Scenario, outcome: Mapping[str, object] | None = None
) -> list[dict[str, Any]]:
    """The offers chart's rows: per issue, each side's offer and the host's text per
    round (``layer`` "offer"), the status quo, the issue's bounds (so the axis spans
    them) and the run's moments. Times as ISO text, which Vega reads as local time."""
    rows: list[dict[str, Any]] = []
    rounds, times = _round_times(trajectory)
    marks = moment_records(scenario, outcome)
    first, second = scenario.sides
    for issue in scenario.space:
        panel = _panel(issue.label, issue.unit)
        for who, column in (
            (first, f"offer__{first}__{issue.key}"),
            (second, f"offer__{second}__{issue.key}"),
            (HOST_TEXT, f"text__{issue.key}"),
        ):
            if column not in trajectory:
                continue
            values = trajectory[column].tolist()
            for number, at, value in zip(rounds, times, values, strict=True):
                if value is not None and math.isfinite(value):
                    rows.append(
                        {
                            "issue": panel,
                            "who": who,
                            "round": number,
                            "time": at,
                            "value": value,
                            "layer": "offer",
                        }
                    )
        rows.append({"issue": panel, "layer": "status quo", "value": issue.status_quo})
        rows += [{"issue": panel, "layer": "bound", "value": v} for v in (issue.low, issue.high)]
        rows += [{**mark, "issue": panel, "layer": "moment"} for mark in marks]
    return rows


def _round_times(trajectory: pd.DataFrame) -> tuple[list[int], list[str]]:
    """The trajectory's round numbers and times (ISO text)."""
    if not len(trajectory):
        return [], []
    rounds = [int(r) for r in trajectory["round"].tolist()]
    times = [pd.Timestamp(t).isoformat() for t in trajectory["time"].tolist()]
    return rounds, times


_STRUCTURES: dict[tuple[Any, ...], tuple[object, dict[str, Any]]] = {}
_MAX_STRUCTURES = 64


def _cached(
    key: tuple[Any, ...], owner: object | None, build: Callable[[], alt.TopLevelMixin]
) -> dict[str, Any]:
    """A chart's structure as a spec (its data named, not included), built once per
    ``key``. A key holding an object's id names that object as ``owner``: it is kept
    with the entry, so that the id is not taken by another object while the entry
    lives; a key of plain values has no owner."""
    entry = _STRUCTURES.get(key)
    if entry is None or (owner is not None and entry[0] is not owner):
        if len(_STRUCTURES) >= _MAX_STRUCTURES:
            _STRUCTURES.pop(next(iter(_STRUCTURES)))
        entry = (owner, spec_of(build()))
        _STRUCTURES[key] = entry
    return entry[1]


def _panel(label: str, unit: str) -> str:
    """A panel's title: the issue and its unit."""
    return f"{label} ({unit})" if unit else label


def _moment_rules(data: alt.Data) -> alt.Chart:
    return (
        alt.Chart(data)
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
    bar passes its tick would sign that offer. :func:`utilities_spec` is the same chart
    as a spec, built fast enough for every Step."""
    bars, ticks = utility_records(labels, first, second, reservations, sides)
    return _utilities_structure(
        labels, sides, alt.InlineData(values=bars), alt.InlineData(values=ticks)
    )


def utilities_spec(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    reservations: Sequence[float],
    sides: tuple[str, str] = ("US", "China"),
) -> dict[str, Any]:
    """:func:`utilities_chart` as a Vega-Lite spec, its structure built once per set of
    actors and sides."""
    structure = _cached(
        ("utilities", tuple(labels), tuple(sides)),
        None,
        lambda: _utilities_structure(
            labels, sides, alt.NamedData(name=UTILITIES), alt.NamedData(name=RESERVATIONS)
        ),
    )
    bars, ticks = utility_records(labels, first, second, reservations, sides)
    return {**structure, "datasets": {UTILITIES: bars, RESERVATIONS: ticks}}


def utility_records(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    reservations: Sequence[float],
    sides: tuple[str, str] = ("US", "China"),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The utilities chart's rows: one bar per actor and offer, one tick per actor."""
    names = _offer_names(sides)
    bars = [
        {"actor": label, "offer": name, "utility": u, "reservation": r}
        for label, a, b, r in zip(labels, first, second, reservations, strict=True)
        for name, u in zip(names, (a, b), strict=True)
    ]
    ticks = [
        {"actor": label, "reservation": r} for label, r in zip(labels, reservations, strict=True)
    ]
    return bars, ticks


def _offer_names(sides: Sequence[str]) -> tuple[str, str]:
    return f"{sides[0]} offer", f"{sides[1]}'s offer"


def _utilities_structure(
    labels: Sequence[str], sides: Sequence[str], bars_data: alt.Data, ticks_data: alt.Data
) -> alt.TopLevelMixin:
    names = _offer_names(sides)
    order = list(labels)
    bars = (
        alt.Chart(bars_data)
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
        alt.Chart(ticks_data)
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
    calendar time, against the approval needed, with the summit and the run's moments.
    :func:`approval_spec` is the same chart as a spec, built fast enough for every Step."""
    data = approval_records(trajectory, scenario, threshold, outcome)
    return _approval_structure(scenario, *(alt.InlineData(values=data[k]) for k in _APPROVAL))


def approval_spec(
    trajectory: pd.DataFrame,
    scenario: Scenario,
    threshold: float,
    outcome: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """:func:`approval_chart` as a Vega-Lite spec, its structure built once per scenario."""
    structure = _cached(
        ("approval", id(scenario)),
        scenario,
        lambda: _approval_structure(scenario, *(alt.NamedData(name=k) for k in _APPROVAL)),
    )
    return {**structure, "datasets": approval_records(trajectory, scenario, threshold, outcome)}


_APPROVAL = (APPROVAL, NEEDED, MOMENTS)


def approval_records(
    trajectory: pd.DataFrame,
    scenario: Scenario,
    threshold: float,
    outcome: Mapping[str, object] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The approval chart's rows: each side's approval per round, the approval needed
    and the run's moments."""
    rounds, times = _round_times(trajectory)
    lines = [
        {"who": f"{side} groups", "round": number, "time": at, "approval": value}
        for side in scenario.sides
        for number, at, value in zip(
            rounds, times, trajectory[f"approval__{side}"].tolist() if rounds else [], strict=True
        )
    ]
    return {
        APPROVAL: lines,
        NEEDED: [{"approval needed": threshold}],
        MOMENTS: list(moment_records(scenario, outcome)),
    }


def _approval_structure(
    scenario: Scenario, lines_data: alt.Data, needed_data: alt.Data, moments_data: alt.Data
) -> alt.TopLevelMixin:
    lines = (
        alt.Chart(lines_data)
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
        alt.Chart(needed_data)
        .mark_rule(strokeDash=[4, 2], color="black")
        .encode(y="approval needed:Q", tooltip=["approval needed:Q"])
    )
    marks = _moment_rules(moments_data)
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


def spec_of(chart: alt.TopLevelMixin | Mapping[str, Any]) -> dict[str, Any]:
    """The chart's Vega-Lite spec (an Altair chart, or a spec already) as strict JSON
    values: a missing value (NaN, which JSON cannot carry and the browser's parser
    rejects) becomes ``null``, which Vega reads as missing."""
    spec = dict(chart) if isinstance(chart, Mapping) else chart.to_dict()
    return cast(dict[str, Any], _strict(spec))


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
