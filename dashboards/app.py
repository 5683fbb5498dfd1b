"""The dashboard application: ``solara run dashboards.app`` (``negotiation dashboard``).

One page with three tabs. Each browser session builds its own model in ``Page`` (never
at module level), so two tabs never step each other's run.
"""

from __future__ import annotations

import solara
import solara.lab

from dashboards.ensemble_page import EnsemblePage
from dashboards.live import LivePage
from dashboards.live_model import LiveModel
from dashboards.sweeps_page import SweepsPage


@solara.component
def Page() -> None:
    session_model = solara.use_memo(LiveModel, [])
    model: solara.Reactive[LiveModel] = solara.use_reactive(session_model)
    solara.Title("US–China trade talks")
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Live run"):
            LivePage(model)
        with solara.lab.Tab("Ensemble"):
            EnsemblePage(model)
        with solara.lab.Tab("Sweep explorer"):
            SweepsPage()
