"""A Solara page that shows the "Two worlds" view (``dashboards.compare_page``) for a fresh
live model, as the dashboard's tab would (served with ``solara run`` by its browser
test). Each browser session builds its own model, so tests never share one."""

from __future__ import annotations

import solara

from dashboards.compare_page import ComparePage
from dashboards.live_model import LiveModel


@solara.component
def Page() -> None:
    session_model = solara.use_memo(LiveModel, [])
    model: solara.Reactive[LiveModel] = solara.use_reactive(session_model)
    solara.Title("Two worlds")
    ComparePage(model)
