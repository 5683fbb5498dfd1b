"""The dashboard application: ``solara run dashboards.app`` (``negotiation dashboard``).

One page with three tabs. Each browser session builds its own model and its own live
settings in ``Page`` (never at module level), so two tabs never step each other's run;
both live above the tabs, so leaving the live tab keeps them.
"""

from __future__ import annotations

import solara
import solara.lab

from dashboards.ensemble_page import EnsemblePage
from dashboards.live import LivePage
from dashboards.live_model import LiveChoices, LiveModel
from dashboards.sweeps_page import SweepsPage


@solara.component
def Page() -> None:
    """The dashboard: the live run, the ensemble and the sweep explorer, in tabs."""
    session_model = solara.use_memo(LiveModel, [])
    model: solara.Reactive[LiveModel] = solara.use_reactive(session_model)
    choices: solara.Reactive[LiveChoices] = solara.use_reactive(LiveChoices())
    solara.Title("US–China trade talks")
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Live run"):
            LivePage(model, choices)
        with solara.lab.Tab("Ensemble"):
            EnsemblePage(model)
        with solara.lab.Tab("Sweep explorer"):
            SweepsPage()
