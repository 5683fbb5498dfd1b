"""Small building blocks shared by the pages."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import altair as alt
import ipyvuetify
import solara
import solara.widgets
import traitlets

from dashboards.vega_charts import spec_of


class _VegaLite(solara.widgets.VegaLite):
    """Solara's Vega-Lite widget with the Vega modules loaded once per page, and no
    drawing by a chart removed from the page while it waited (see the template): without
    both, charts replaced in quick succession (SolaraViz re-renders them every step)
    raise errors in the page."""

    template_file = str(Path(__file__).resolve().parent / "vue" / "vegalite.vue")


@solara.component
def VegaChart(
    build: Callable[[], alt.TopLevelMixin | dict[str, Any]],
    dependencies: Sequence[Any],
    description: str,
    on_click: Callable[[dict[str, Any] | None], None] | None = None,
) -> Any:
    """An interactive chart (Vega-Lite, drawn by the browser from the local asset store),
    built only when ``dependencies`` change, with ``description`` as its caption and as
    the accessible name of the figure (its alt text). ``on_click`` is given the data
    row of the mark clicked (``None`` for the background).

    The spec is built once per change and handed to Solara's Vega-Lite widget directly:
    ``solara.FigureAltair`` would serialise the chart again on every render.

    A chart wider than the screen (the offers on a phone) scrolls sideways in its figure,
    not the page."""
    spec = solara.use_memo(lambda: spec_of(build()), list(dependencies))
    with solara.v.Html(
        tag="figure",
        attributes={"aria-label": description},
        style_="margin: 0; max-width: 100%; overflow-x: auto",
    ) as figure:
        _VegaLite.element(spec=spec, on_click=on_click, listen_to_click=on_click is not None)
        solara.v.Html(
            tag="figcaption",
            children=[description],
            class_="text--secondary",  # readable in both themes, unlike a fixed grey
            style_="font-size: 0.85rem; margin-top: 2px",
        )
    return figure


class _AccessibilityFixes(ipyvuetify.VuetifyTemplate):
    """Repairs of Solara's and Vuetify's markup that no Python argument reaches (names for
    the app bar's icon buttons, ARIA of selects and expansion panels, a phone-sized
    sidebar, zoom, the page's language): see ``vue/accessibility.vue``, which says what
    each works around."""

    template_file = str(Path(__file__).resolve().parent / "vue" / "accessibility.vue")
    language = traitlets.Unicode("en").tag(sync=True)
    sidebar_label = traitlets.Unicode("Show or hide the sidebar").tag(sync=True)
    theme_label = traitlets.Unicode("Colour theme: light, dark or automatic").tag(sync=True)


@solara.component
def AccessibilityFixes(language: str = "en") -> Any:
    """Once per page (the app's top level): the repairs of :class:`_AccessibilityFixes`,
    and the page's ``language`` (``<html lang>``, which Solara's page template leaves out
    and screen readers need to pick a voice)."""
    return _AccessibilityFixes.element(language=language)


# A result kept on the page while another is computed: framed, not dimmed (opacity took
# its text under the 4.5:1 contrast that text needs); a warning above it says so in words.
PREVIOUS_RESULT_STYLE = {"outline": "2px dashed #8a8a8a", "outline-offset": "-2px"}


def Progress(percent: float | None, label: str) -> Any:
    """``solara.ProgressLinear`` with a name for screen readers (Solara's has none; axe:
    aria-progressbar-name): ``percent`` done, or ``None`` while not known."""
    return solara.v.ProgressLinear(
        value=percent or 0.0,
        indeterminate=percent is None,
        color="primary",
        attributes={"aria-label": label},
    )


class Stopped(Exception):
    """Raised in a background task's thread when the task was cancelled or replaced."""


def throttled_progress(
    task: Any, stop: Callable[[], bool] | None = None, interval_s: float = 0.25
) -> Callable[[int, int], None]:
    """A progress callback for a background task's runs: it moves ``task.progress`` at
    most every ``interval_s`` seconds and at the end (each move re-renders the page: a
    few per second is enough), and, given ``stop``, raises :class:`Stopped` as soon as
    ``stop()`` says the task was cancelled or replaced."""
    shown = 0.0  # when the progress bar last moved

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if stop is not None and stop():
            raise Stopped
        now = time.monotonic()
        if now - shown >= interval_s or done == total:
            shown = now
            task.progress = 100.0 * done / total

    return progress


def ParameterInput(spec: dict[str, Any], on_value: Callable[[Any], None]) -> Any:
    """One control from a parameter's spec (:func:`dashboards.live_model.parameter_control`
    and the seed's): a select, a checkbox, a text or number field, or a slider whose
    label shows its value (not only while dragging)."""
    label, value, kind = spec["label"], spec["value"], spec["type"]
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
        f"{label}: {value:g}",
        value=value,
        min=spec["min"],
        max=spec["max"],
        step=spec["step"],
        on_value=on_value,
    )


def Table(headers: Sequence[str], rows: Sequence[Sequence[Any]], dense: bool = True) -> Any:
    """A plain HTML table (rendered server-side; needs no front-end assets).

    Its head and body are each one widget holding escaped HTML, so a table costs three
    widgets however many rows it has: a cell per widget made the timeline (which grows
    every round) the largest part of re-rendering the live page after a Step."""
    head = "<tr>" + "".join(f"<th>{escape(str(h))}</th>" for h in headers) + "</tr>"
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return solara.v.SimpleTable(
        dense=dense,
        children=[
            solara.HTML(tag="thead", unsafe_innerHTML=head),
            solara.HTML(tag="tbody", unsafe_innerHTML=body),
        ],
    )


def Line(text: str) -> Any:
    """One line of text in its own block."""
    return solara.v.Html(tag="div", children=[text])


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for display, or an en dash when missing."""
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}"
