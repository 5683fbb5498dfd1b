"""The live page as an analyst first meets it and leaves it, in a real browser: what the
page is and what it answers, controls that say what they mean, a clear state before,
during and after a run, interactive charts on a calendar axis, and what the page hands
out (a link that reopens the settings, the record and trajectories as files)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from experiments.summary import json_text
from negotiation import run_once

from .conftest import screenshot

READY = re.compile(r"^(Round \d+ of|Before round 1)")
END = re.compile(r"Truce on \d{4}-\d\d-\d\d|No truce before the summit")


def _ready(page: Any) -> None:
    page.get_by_role("button", name="Step").wait_for(timeout=90_000)
    page.get_by_text(READY).first.wait_for(timeout=90_000)


def test_first_sight_says_what_the_page_is_and_asks_for_a_step(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    assert page.get_by_role("heading", level=1, name=re.compile("US–China trade talks")).count()
    assert page.get_by_text(re.compile(r"Does a truce emerge before the leaders' summit")).count()
    assert page.get_by_text("Not started: press Step or Play").count() == 1
    assert page.get_by_text("No truce yet").count() == 0
    for internal in ("Render Interval", "Use Threads", "Information"):
        assert page.get_by_text(internal).count() == 0, internal
    assert page.get_by_text("Settings take effect when you press Reset.").is_visible()
    # every named parameter says what it means and its range, and shows its value
    assert page.get_by_text(re.compile(r"^threat credibility: 0\.6$")).count() == 1
    assert page.get_by_text(
        re.compile(r"Credibility of the US 100% tariff threat.*Range 0 to 1\.")
    ).count()
    page.get_by_text("Sources of the scenario").click()
    page.get_by_text(re.compile(r"90 FR 47201")).first.wait_for(timeout=10_000)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title() == "US–China trade talks"
    assert page.get_by_text(re.compile("This website runs on")).count() == 0  # no banner
    log.assert_clean()


def test_play_runs_to_the_end_and_the_page_says_it_ended(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    page.get_by_role("button", name="Play").click()
    page.get_by_text(END).first.wait_for(timeout=90_000)
    page.get_by_text("The run has ended. Press Reset to run it again.").wait_for(timeout=30_000)
    play = page.get_by_role("button", name="Play")
    play.wait_for(timeout=10_000)  # back to Play (not a greyed Pause) ...
    expect(play).to_be_disabled(timeout=10_000)
    expect(page.get_by_role("button", name="Step")).to_be_disabled(timeout=10_000)
    assert page.get_by_role("button", name="Pause").count() == 0
    assert page.get_by_role("heading", name="Why").count() == 1  # ... and why, in words
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Not started: press Step or Play").wait_for(timeout=30_000)
    expect(page.get_by_role("button", name="Play")).to_be_enabled(timeout=10_000)
    log.assert_clean()


def test_the_charts_are_interactive_on_a_calendar_axis(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"^Round 1 of")).first.wait_for(timeout=30_000)
    marks = page.locator(".vega-embed svg.marks")
    marks.nth(2).wait_for(timeout=60_000)
    offers = page.locator("figure", has_text="Each delegation's offer").locator("svg.marks")
    text = offers.text_content() or ""
    assert "Thu 30 Oct" in text  # dates to the summit, not round numbers
    assert "Chinese purchases of US soybeans (Mt/year)" in text
    for name in ("Each delegation's offer", "Utility of the two standing offers", "approval"):
        assert page.locator(f'figure[aria-label*="{name}"]').count() == 1, name
    log.assert_clean()


# The drawing of every chart of the page, and a full drawing of each from its spec
# (what a chart does when its structure changes): a Step updates the drawn views' data.
MARKS = "[...document.querySelectorAll('.vega-embed svg.marks')]"
DRAWINGS = f"{MARKS}.map(s => s.innerHTML)"
SHAPES = re.compile(r'<path[^>]* d="([^"]*)"')
LABELS = re.compile(r"<text ([^>]*)>([^<]*)</text>")


def _assert_same_drawing(fresh: str, drawn: str) -> None:
    """Every mark's shape and every label's text, anchor and place within its group are
    those of a fresh drawing. Not compared: the order of the items (an update appends the
    entering ones), Vega's page-wide ids, and the offsets of a faceted chart's rows, laid
    out from the bounds of the pass before (a pixel, after a data update)."""
    assert sorted(SHAPES.findall(fresh)) == sorted(SHAPES.findall(drawn))
    assert sorted(LABELS.findall(fresh)) == sorted(LABELS.findall(drawn))


REDRAW = """async () => {
    for (const element of document.querySelectorAll('.vega-embed')) {
        let node = element;
        while (node && !node.__vue__) { node = node.parentElement; }
        let vm = node.__vue__;
        while (vm && !vm.do_plot) { vm = vm.$parent; }
        vm.do_plot();
    }
}"""


def test_a_step_updates_the_charts_data_as_a_fresh_drawing_would_show_it(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    for n in range(1, 5):
        if n == 4:  # the drawings of round 3, to tell an update from a new drawing
            page.evaluate(f"{MARKS}.forEach(s => s.dataset.old = 1)")
        before = page.evaluate(DRAWINGS)
        page.get_by_role("button", name="Step").click()
        page.get_by_text(re.compile(rf"^Round {n} of")).first.wait_for(timeout=30_000)
        page.wait_for_function(
            f"{MARKS}.length === 3 && JSON.stringify({DRAWINGS}) !== "
            f"{json.dumps(json.dumps(before))}",
            timeout=30_000,
        )
    page.wait_for_timeout(500)  # every chart's update drawn
    assert page.evaluate(f"{MARKS}.filter(s => s.dataset.old).length") == 3  # updated in place
    updated = page.evaluate(DRAWINGS)
    page.evaluate(REDRAW)
    page.wait_for_function(f"{MARKS}.filter(s => !s.dataset.old).length === 3", timeout=30_000)
    for fresh, drawn in zip(page.evaluate(DRAWINGS), updated, strict=True):
        _assert_same_drawing(fresh, drawn)
    log.assert_clean()


def test_a_changed_setting_is_announced_until_reset_applies_it(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    seed = page.get_by_label("Seed (integer)")
    seed.fill("8")
    seed.press("Enter")
    page.get_by_text("Press Reset to apply: seed 7 → 8.").wait_for(timeout=30_000)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(re.compile(r"^Scenario kuala-lumpur-2025, seed 8: ")).first.wait_for(
        timeout=30_000
    )
    assert page.get_by_text(re.compile("Press Reset to apply")).count() == 0
    page.wait_for_url(re.compile(r"\?scenario=kuala-lumpur-2025&seed=8$"), timeout=10_000)
    log.assert_clean()


def test_a_link_reopens_its_settings_and_names_what_it_left_out(new_page, dashboard_server) -> None:  # type: ignore[no-untyped-def]
    url = f"{dashboard_server.url}?seed=12&threat_credibility=0&warp_speed=9"
    page, log = new_page(url)
    _ready(page)
    settings = page.get_by_text(re.compile(r"^Scenario kuala-lumpur-2025, seed 12: ")).first
    assert settings.inner_text() == ("Scenario kuala-lumpur-2025, seed 12: threat credibility = 0")
    expected = run_once("kuala-lumpur-2025", seed=12, params={"threat_credibility": 0.0})
    assert page.get_by_text(f"Plan digest {expected.plan_digest[:12]}").count() == 1
    page.get_by_text(re.compile("'warp_speed' is not a parameter")).first.wait_for()
    log.assert_clean()


def test_the_downloaded_record_is_the_command_lines(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    page.get_by_role("button", name="Play").click()
    page.get_by_text(END).first.wait_for(timeout=90_000)
    with page.expect_download() as record:
        page.get_by_role("button", name="Outcome record (JSON)").click()
    text = Path(record.value.path()).read_text(encoding="utf-8")
    assert text == json_text(run_once("kuala-lumpur-2025", seed=7).to_dict())
    with page.expect_download() as rows:
        page.get_by_role("button", name="Trajectories (CSV)").click()
    lines = Path(rows.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("round,") and len(lines) == 1 + 16
    json.loads(text)
    overflow = page.evaluate(
        """() => {
        const drawer = document.querySelector('.v-navigation-drawer');
        const edge = drawer.getBoundingClientRect().right + 1;
        return [...drawer.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > edge)
            .map(e => (e.innerText || e.className).slice(0, 40));
        }"""
    )
    assert overflow == [], f"wider than the sidebar, over the page: {overflow}"
    screenshot(page, "live-downloads")
    log.assert_clean()
