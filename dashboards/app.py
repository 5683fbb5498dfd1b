"""The dashboard application: ``solara run dashboards.app`` (``negotiation dashboard``).

One page with tabs. Each browser session builds its own model and its own live settings
in ``Page`` (never at module level), so two tabs never step each other's run; both live
above the tabs, so leaving the live tab keeps them.

The page's address carries its settings (:mod:`dashboards.share`): a link such as
``/?scenario=kuala-lumpur-2025&seed=8&threat_credibility=0`` opens that run, and every
Reset writes the settings it applied back into the address, so the address bar is always
a link to the run on screen. Whatever part of a link cannot be used is named on the page.
"""

from __future__ import annotations

import solara
import solara.lab

from dashboards.ensemble_page import EnsemblePage
from dashboards.live import LivePage
from dashboards.live_model import LiveChoices, LiveModel
from dashboards.share import from_query, to_query
from dashboards.sweeps_page import SweepsPage
from dashboards.widgets import PageLanguage


@solara.component
def Page() -> None:
    """The dashboard: the live run, the ensemble and the sweep explorer, in tabs."""
    router = solara.use_router()
    link = solara.use_memo(lambda: from_query(router.search or ""), [])
    session_model = solara.use_memo(lambda: LiveModel(**link.choices.model_kwargs()), [])
    model: solara.Reactive[LiveModel] = solara.use_reactive(session_model)
    choices: solara.Reactive[LiveChoices] = solara.use_reactive(link.choices)

    def on_reset(applied: LiveChoices) -> None:
        router.push(f"{router.path}?{to_query(applied)}")

    PageLanguage("en")
    solara.Title("US–China trade talks")
    for problem in link.problems:
        solara.Warning(f"Part of the link was left out: {problem}.")
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Live run"):
            LivePage(model, choices, on_reset)
        with solara.lab.Tab("Ensemble"):
            EnsemblePage(model)
        with solara.lab.Tab("Sweep explorer"):
            SweepsPage()
