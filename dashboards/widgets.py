"""Small building blocks shared by the pages."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import solara
from matplotlib.figure import Figure
from solara.alias import rw
from solara.server import kernel_context


@solara.component
def PngFigure(build: Callable[[], Figure], dependencies: Sequence[Any]) -> Any:
    """A matplotlib figure shown as a PNG, built and drawn only when ``dependencies``
    change (not on every render of the page).

    Solara scopes matplotlib's settings per browser session, which makes every settings
    look-up slow (drawing the offers figure took about 1.5x as long in the running
    server). This app never changes those settings, so figures are built and drawn
    outside the session's scope, with the global settings: ``build`` must read plain
    data only, not Solara state.
    """

    def draw() -> bytes:
        buffer = io.BytesIO()
        with kernel_context.without_context():
            build().savefig(buffer, format="png")
        return buffer.getvalue()

    image = solara.use_memo(draw, list(dependencies))
    return rw.Image(value=image, format="png")


def Table(headers: Sequence[str], rows: Sequence[Sequence[Any]], dense: bool = True) -> Any:
    """A plain HTML table (rendered server-side; needs no front-end assets)."""
    head = solara.v.Html(
        tag="thead",
        children=[
            solara.v.Html(
                tag="tr", children=[solara.v.Html(tag="th", children=[h]) for h in headers]
            )
        ],
    )
    body = solara.v.Html(
        tag="tbody",
        children=[
            solara.v.Html(
                tag="tr", children=[solara.v.Html(tag="td", children=[str(c)]) for c in row]
            )
            for row in rows
        ],
    )
    return solara.v.SimpleTable(dense=dense, children=[head, body])


def Line(text: str) -> Any:
    """One line of text in its own block."""
    return solara.v.Html(tag="div", children=[text])


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for display, or an en dash when missing."""
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}"
