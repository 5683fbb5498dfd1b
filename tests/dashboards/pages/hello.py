"""A tiny Solara page for the browser harness's own smoke test (served with ``solara run``).

It touches each front-end asset the dashboard relies on: the app shell and icons (every
page), require.js, mermaid and KaTeX (any Markdown; the formula below is typeset by KaTeX)
and vega / vega-lite / vega-embed (the Altair chart). A button whose label counts clicks
proves the page is live: the click goes to the server and the new state comes back.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import solara

TITLE = "Offline smoke page"


@solara.component
def Page() -> None:
    """The page: a heading, a formula, a click counter and a small bar chart."""
    clicks, set_clicks = solara.use_state(0)
    solara.Markdown(f"# {TITLE}\n\nEuler: $e^{{i\\pi}} + 1 = 0$\n\nClicked {clicks} times")
    solara.Button(f"Click me ({clicks})", on_click=lambda: set_clicks(clicks + 1))
    data = pd.DataFrame({"side": ["US", "China"], "offers": [3, 4]})
    solara.FigureAltair(alt.Chart(data).mark_bar().encode(x="side", y="offers"))
