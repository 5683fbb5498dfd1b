"""The dashboard application: ``solara run dashboards.app`` (``negotiation dashboard``).

One page with tabs. Each browser session builds its own model and its own live settings
in ``Page`` (never at module level), so two tabs never step each other's run; both live
above the tabs, so leaving the live tab keeps them.

The page's address carries its settings (:mod:`dashboards.share`): a link such as
``/?scenario=kuala-lumpur-2025&seed=8&threat_credibility=0`` opens that run, and every
Reset writes the settings it applied back into the address, so the address bar is always
a link to the run on screen. Whatever part of a link cannot be used is named on the page.

The server is started (and listening) before a browser has loaded the page's scripts, and
idle while it does: :func:`prepare_first_page` uses that time, in a thread started when
the server imports this module, to do the first render's slowest work. The other tabs'
pages are imported when their tab is first opened.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable

import solara
import solara.lab

# The model, Mesa, numba and Altair: some 140,000 objects that live as long as the
# server. Python's collector would walk them over and over while they are created (three
# full and 28 middle collections, a quarter of a second); none is garbage, and Solara's
# server collects (then freezes what is left) once the app is loaded.
_collecting = gc.isenabled()
gc.disable()
try:
    from dashboards.live import LivePage, prepare_charts
    from dashboards.live_model import LiveChoices, LiveModel
    from dashboards.share import from_query, to_query
    from dashboards.widgets import AccessibilityFixes
    from dashboards.workers import warm_up
    from experiments.dashboard_cli import PAGE_TITLE
finally:
    if _collecting:
        gc.enable()

_log = logging.getLogger(__name__)
_prepared = threading.Event()


def prepare_first_page() -> None:
    """What the first render of an untouched link computes and keeps in caches: the
    built-in scenarios (a link's scenario is checked against them), and the default run's
    charts (:func:`dashboards.live.prepare_charts`). Pages wait for it, so these caches
    are never filled by two threads at once; should it fail, they fill them themselves."""
    try:
        prepare_charts(LiveModel(**from_query("").choices.model_kwargs()))
    except Exception:
        _log.exception("preparing the first page failed; the page computes it itself")
    finally:
        _prepared.set()


@solara.component
def EnsembleTab(model: solara.Reactive[LiveModel]) -> None:
    """The Ensemble page, imported when its tab is first opened."""
    from dashboards.ensemble_page import EnsemblePage

    EnsemblePage(model)


@solara.component
def CompareTab(model: solara.Reactive[LiveModel]) -> None:
    """The Two worlds page, imported when its tab is first opened."""
    from dashboards.compare_page import ComparePage

    ComparePage(model)


@solara.component
def SweepsTab(on_open: Callable[[LiveChoices], None]) -> None:
    """The sweep explorer, imported when its tab is first opened."""
    from dashboards.sweeps_page import SweepsPage

    SweepsPage(on_open=on_open)


@solara.component
def Page() -> None:
    """The dashboard: the live run, the ensemble, two worlds compared and the sweep
    explorer, in tabs."""
    _prepared.wait()
    router = solara.use_router()
    link = solara.use_memo(lambda: from_query(router.search or ""), [])
    session_model = solara.use_memo(lambda: LiveModel(**link.choices.model_kwargs()), [])
    model: solara.Reactive[LiveModel] = solara.use_reactive(session_model)
    choices: solara.Reactive[LiveChoices] = solara.use_reactive(link.choices)

    tab = solara.use_reactive(0)

    def on_reset(applied: LiveChoices) -> None:
        router.push(f"{router.path}?{to_query(applied)}")

    def open_run(wanted: LiveChoices) -> None:
        """A run picked on another tab, rebuilt and shown on the live tab."""
        choices.set(wanted)
        model.set(LiveModel(**wanted.model_kwargs()))
        on_reset(wanted)
        tab.set(0)

    solara.use_effect(warm_up, [])  # the background runs' workers, once per server
    AccessibilityFixes(language="en")
    solara.Title(PAGE_TITLE)
    for problem in link.problems:
        solara.Warning(f"Part of the link was left out: {problem}.")
    with solara.lab.Tabs(value=tab, lazy=True):
        with solara.lab.Tab("Live run"):
            LivePage(model, choices, on_reset)
        with solara.lab.Tab("Ensemble"):
            EnsembleTab(model)
        with solara.lab.Tab("Two worlds"):
            CompareTab(model)
        with solara.lab.Tab("Sweep explorer"):
            SweepsTab(on_open=open_run)


# Not a daemon: a process that exits while numba loads its kernels in a daemon thread
# aborts; the interpreter waits for this one (under a second) instead.
threading.Thread(target=prepare_first_page, name="prepare-first-page").start()
