"""Small building blocks shared by the pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import solara


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
