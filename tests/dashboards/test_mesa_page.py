"""Mesa's own SolaraViz page (``dashboards.mesa_app``) in a real browser: the live cards
render as SolaraViz components, Step advances them, and a Reset with every control at
its default (SolaraViz passes them all) plays the CLI's run."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

from playwright.sync_api import Page

from dashboards.live_model import LiveModel
from dashboards.mesa_app import model_params
from negotiation import run_once

from .conftest import PageLog, SolaraServer

END = re.compile(r"Truce on \d{4}-\d\d-\d\d|No truce before the summit")
ROUND = re.compile(r"^(Round \d+ of|Before round 1)")


def test_every_control_at_its_default_is_the_scenario_run() -> None:
    values = {
        name: spec["value"] if isinstance(spec, dict) else spec
        for name, spec in model_params().items()
    }
    model = LiveModel(**values)
    assert model.error is None
    outcome = model.run()
    assert outcome.plan_digest == run_once("kuala-lumpur-2025", seed=7).plan_digest


def _open(
    new_page: Callable[..., tuple[Page, PageLog]], server: SolaraServer
) -> tuple[Page, PageLog]:
    page, log = new_page(server.url, wait_for_text="Offers per issue")
    page.get_by_role("button", name="Step").wait_for(timeout=90_000)
    page.get_by_text(ROUND).first.wait_for(timeout=90_000)
    return page, log


def test_the_live_cards_are_solaraviz_components(
    new_page: Callable[..., tuple[Page, PageLog]], solara_server: Callable[..., SolaraServer]
) -> None:
    page, log = _open(new_page, solara_server("dashboards.mesa_app"))
    for title in ("Offers per issue", "Timeline", "Package"):
        assert page.get_by_text(title, exact=True).first.is_visible()
    assert page.get_by_text("Not started: press Step or Play").count() == 1
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"^Round 1 of")).first.wait_for(timeout=30_000)
    log.assert_clean()


def test_reset_at_the_defaults_plays_the_cli_run(
    new_page: Callable[..., tuple[Page, PageLog]], solara_server: Callable[..., SolaraServer]
) -> None:
    expected = run_once("kuala-lumpur-2025", seed=7)
    page, log = _open(new_page, solara_server("dashboards.mesa_app"))
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(re.compile(r"^Before round 1")).first.wait_for(timeout=30_000)
    assert page.get_by_text(f"Plan digest {expected.plan_digest[:12]}").count() == 1
    page.get_by_role("button", name="▶").click()
    page.get_by_text(END).first.wait_for(timeout=90_000)
    row = page.get_by_role("row", name=re.compile("US additional tariff on Chinese goods"))
    assert (
        row.get_by_role("cell").nth(1).inner_text() == f"{expected.package['us_tariff_rate']:.1f}"
    )
    log.assert_clean()


def test_the_dashboard_does_not_load_mesas_visualisation() -> None:
    """The analyst's dashboard has its own step counter: importing Mesa's visualisation
    for it loaded matplotlib, half a second of every server start. Mesa's own page
    (``dashboards.mesa_app``) still uses it. Checked in a fresh interpreter."""
    code = (
        "import sys, dashboards.app; "
        "print(' '.join(m for m in ('mesa.visualization', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
