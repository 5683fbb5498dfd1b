"""The dashboard for everyone, in a real browser: axe-core (bundled by
axe-playwright-python, injected into the page: nothing is fetched) finds no serious or
critical violation on any tab (the live run before and after it ends and with its live
estimate refining, an ensemble and the previous one while the next runs, two worlds
compared, the sweep explorer with a cell clicked; every tab again in the dark theme),
and the browser's own accessibility
tree gives every button and form control a name; the page has a language, each tab one
h1 with headings in order below it, and every chart a name. On a 390 px phone the
sidebar can be closed and opened again, the status and the Step button are in reach,
and nothing runs off the side; nor on a 1920 px screen.

What Solara and Vuetify render wrongly is repaired in dashboards/vue/accessibility.vue
and dashboards/vue/vegalite.vue (each repair says what it works around). axe's moderate
and minor findings are printed with a failure, for information. Left as they are:
- ``region`` (moderate): vega-tooltip's tooltip and Vuetify's select menus (attached to
  the page's root) lie outside the page's landmarks.
- In the dark theme the charts keep their white background (readable, not themed).
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import screenshot

BLOCKING = ("serious", "critical")
READY = re.compile(r"^(Round \d+ of|Before round 1)")
NOT_STARTED = "Not started: press Step or Play"
MENU = "Show or hide the sidebar"  # the app bar's menu button (dashboards/vue/accessibility.vue)
# Roles of buttons and form controls in the browser's accessibility tree.
CONTROL_ROLES = frozenset(
    {
        "button",
        "checkbox",
        "combobox",
        "listbox",
        "menuitem",
        "radio",
        "searchbox",
        "slider",
        "spinbutton",
        "switch",
        "tab",
        "textbox",
    }
)
# The main area's scroll box (Solara's AppLayout scrolls the content in a box of its own,
# so the document's scroll width alone would not show a chart running off the side).
MAIN_SCROLLER = "main .v-content__wrap > div"
DRAWER_CONTENT = ".v-navigation-drawer__content"

_axe = Axe()


# --------------------------------------------------------------------------- checks


def _settled(page: Any) -> None:
    """Every chart drawn and no transition running (axe reads colours mid-fade wrongly),
    but for endless ones and a progress bar's."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure')]"
        ".every(f => f.querySelector('.vega-embed svg.marks'))",
        timeout=60_000,
    )
    page.wait_for_function(
        """() => document.getAnimations().every(a => a.playState !== 'running'
            || a.effect.getTiming().iterations === Infinity
            || (a.effect.target && a.effect.target.closest('.v-progress-linear')))""",
        timeout=10_000,
    )


def _axe_problems(page: Any) -> tuple[list[str], list[str]]:
    """axe-core's violations as one line each (rule id, impact, count, first targets):
    the serious and critical ones, and the rest."""
    violations = _axe.run(page).response["violations"]
    blocking, other = [], []
    for v in violations:
        targets = "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        line = f"{v['id']} ({v['impact']}, {len(v['nodes'])}): {v['help']} - {targets}"
        (blocking if v["impact"] in BLOCKING else other).append(line)
    return blocking, other


def _unnamed_controls(page: Any) -> list[str]:
    """Buttons and form controls in the browser's accessibility tree without a name."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    unnamed = []
    for node in nodes:
        role = (node.get("role") or {}).get("value")
        if node.get("ignored") or role not in CONTROL_ROLES:
            continue
        if not str((node.get("name") or {}).get("value") or "").strip():
            unnamed.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return unnamed


def _headings(page: Any) -> list[tuple[int, str]]:
    """The visible headings, in document order, as (level, text)."""
    return [
        (int(level), text)
        for level, text in page.evaluate(
            """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')]
                .filter(h => h.checkVisibility())
                .map(h => [h.getAttribute('aria-level') || h.tagName.slice(1),
                           h.textContent.trim().slice(0, 60)])"""
        )
    ]


def _heading_problems(headings: list[tuple[int, str]]) -> list[str]:
    levels = [level for level, _ in headings]
    problems = []
    if levels.count(1) != 1 or not levels or levels[0] != 1:
        problems.append(f"not exactly one h1, first: {headings}")
    if len(levels) < 2:
        problems.append(f"no heading below the h1: {headings}")
    for (before, _), (level, text) in pairwise(headings):
        if level > before + 1:
            problems.append(f"h{before} then h{level} ({text!r})")
    return problems


def _unnamed_charts(page: Any) -> list[str]:
    labels: list[str | None] = page.evaluate(
        "() => [...document.querySelectorAll('figure')].map(f => f.getAttribute('aria-label'))"
    )
    return [f"figure {i}" for i, label in enumerate(labels) if not (label or "").strip()]


def audit(page: Any, where: str, *, charts: int) -> None:
    """Everything this module asks of a page, in one assertion that lists every finding
    (``charts``: at least that many figures are on it)."""
    _settled(page)
    blocking, other = _axe_problems(page)
    findings = [f"axe: {line}" for line in blocking]
    findings += [f"no name: {c}" for c in _unnamed_controls(page)]
    findings += [f"headings: {h}" for h in _heading_problems(_headings(page))]
    findings += [f"chart without a name: {c}" for c in _unnamed_charts(page)]
    if page.evaluate("document.documentElement.lang") != "en":
        findings.append("the page has no lang")
    drawn = page.locator("figure").count()
    if drawn < charts:
        findings.append(f"{drawn} charts, expected at least {charts}")
    assert not findings, f"{where}:\n" + "\n".join(
        [*findings, "axe's other findings (information):", *other]
    )


# --------------------------------------------------------------------------- the tabs


def _ready(page: Any) -> None:
    page.get_by_role("button", name="Step").wait_for(timeout=90_000)
    page.get_by_text(READY).first.wait_for(timeout=90_000)


def test_the_live_run_before_and_after_it_ends(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    audit(page, "live run, not started", charts=3)
    page.get_by_role("button", name="Play").click()
    page.get_by_text("The run has ended. Press Reset to run it again.").wait_for(timeout=90_000)
    page.get_by_role("heading", name="Why").wait_for(timeout=10_000)
    audit(page, "live run, ended", charts=3)
    log.assert_clean()


def test_the_live_estimate_while_it_refines(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    label = page.get_by_text("Live estimate of the settings shown")
    switch = page.get_by_role("switch", name="Live estimate of the settings shown")
    label.click()
    expect(switch).to_be_checked(timeout=30_000)
    page.get_by_text(re.compile(r"^P\(agreement\) ≈ .*\(refining\)$")).wait_for(timeout=30_000)
    audit(page, "live run, the live estimate refining", charts=3)
    label.click()  # off again: its runs stop
    expect(switch).not_to_be_checked(timeout=30_000)
    page.get_by_text(re.compile(r"^Off: when on")).wait_for(timeout=30_000)
    log.assert_clean()


def _an_alternative(page: Any) -> None:
    """An alternative that differs from the baseline: a certain threat."""
    page.get_by_text("Two worlds: the same seeded runs").first.wait_for(timeout=30_000)
    slider = page.get_by_role("group", name="alternative: threat credibility").get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")
    page.get_by_text("Alternative: threat credibility 1 (the scenario: 0.6)", exact=True).wait_for(
        timeout=10_000
    )


def _small_ensemble(page: Any) -> Any:
    """20 runs on the Ensemble tab, finished; returns the Runs field."""
    page.get_by_role("tab", name="Ensemble").click()
    runs = page.get_by_role("textbox", name="Runs")
    runs.fill("20")
    runs.press("Enter")
    page.get_by_role("button", name="Run ensemble").click()
    page.get_by_text(re.compile(r"^20 runs of kuala-lumpur-2025")).wait_for(timeout=60_000)
    return runs


def _small_comparison(page: Any) -> None:
    """10 paired runs on the Two worlds tab, a certain threat against the scenario."""
    page.get_by_role("tab", name="Two worlds").click()
    _an_alternative(page)
    runs = page.get_by_label("Runs", exact=True)
    runs.fill("10")
    runs.press("Enter")
    page.get_by_role("button", name="Compare").click()
    page.get_by_text(re.compile(r"^10 paired runs of kuala-lumpur-2025")).wait_for(timeout=60_000)


def test_the_ensemble_after_a_small_ensemble_and_while_the_next_runs(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    runs = _small_ensemble(page)
    audit(page, "ensemble", charts=7)  # when truces land, and each of the 6 issues
    runs.fill("20000")
    runs.press("Enter")
    page.get_by_role("button", name="Run ensemble").click()
    page.get_by_text(re.compile(r"^Previous result")).wait_for(timeout=10_000)
    audit(page, "ensemble, the previous result while the next runs", charts=7)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Cancelled.").wait_for(timeout=30_000)
    log.assert_clean()


def test_two_worlds_after_a_small_comparison(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    _small_comparison(page)
    audit(page, "two worlds", charts=8)  # timing in both worlds, and the 6 issues
    log.assert_clean()


def test_the_sweep_explorer_with_a_cell_clicked(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    page.get_by_role("tab", name="Sweep explorer").click()
    page.get_by_text(re.compile(r"^200 runs; swept parameters")).first.wait_for(timeout=30_000)
    cells = page.locator("figure svg.marks g.mark-rect.role-mark path")
    cells.first.wait_for(timeout=30_000)
    cells.first.click()  # the pointer stays on the cell: its tooltip is on the page
    page.get_by_text(re.compile(r"^Runs with .* \(8\)$")).first.wait_for(timeout=30_000)
    audit(page, "sweep explorer", charts=1)
    log.assert_clean()


# --------------------------------------------------------------------------- screen sizes


def _overflow(page: Any, width: int) -> list[str]:
    """What runs off the side: the document, the main area's scroll box, the sidebar."""
    sizes: dict[str, list[int] | None] = page.evaluate(
        """([main, drawer]) => {
            const size = e => e && e.checkVisibility() ? [e.scrollWidth, e.clientWidth] : null;
            const doc = document.scrollingElement;
            return {document: [doc.scrollWidth, doc.clientWidth],
                    main: size(document.querySelector(main)),
                    sidebar: size(document.querySelector(drawer))};
        }""",
        [MAIN_SCROLLER, DRAWER_CONTENT],
    )
    problems = []
    document = sizes["document"]
    assert document is not None
    if document[0] > width + 1:
        problems.append(f"the document is {document[0]} px wide in a {width} px window")
    for name in ("main", "sidebar"):
        box = sizes[name]
        if box is not None and box[0] > box[1] + 1:
            problems.append(f"the {name} area scrolls sideways: {box[0]} px in {box[1]} px")
    return problems


def _in_reach(page: Any, locator: Any) -> bool:
    """``locator`` is on screen and nothing lies over its middle."""
    locator.scroll_into_view_if_needed()
    return bool(
        locator.evaluate(
            """e => { const r = e.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
                const top = document.elementFromPoint(x, y);
                return top !== null && (e === top || e.contains(top)); }"""
        )
    )


def test_a_390_px_phone_can_close_and_reopen_the_sidebar(new_page, dashboard_server) -> None:  # type: ignore[no-untyped-def]
    page, log = new_page(dashboard_server.url, viewport=(390, 844))
    _ready(page)
    page.wait_for_timeout(500)  # the drawer's slide-in
    menu = page.get_by_role("button", name=MENU)
    step = page.get_by_role("button", name="Step")
    status = page.get_by_role("heading", name=NOT_STARTED)
    # Solara opens the sidebar over the page on a phone; its menu button stays in reach
    assert _in_reach(page, menu), "the sidebar covers the app bar's menu button"
    assert _in_reach(page, step)
    assert not _overflow(page, 390), _overflow(page, 390)
    screenshot(page, "live-390-sidebar-open", full_page=False)
    menu.click()
    step.wait_for(state="hidden", timeout=10_000)
    assert _in_reach(page, status), "the status is not in reach with the sidebar closed"
    assert not _overflow(page, 390), _overflow(page, 390)
    screenshot(page, "live-390-sidebar-closed", full_page=False)
    menu.click()
    step.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(500)
    assert _in_reach(page, step)
    step.click()
    page.get_by_text(re.compile(r"^Round 1 of")).first.wait_for(timeout=30_000)
    assert not _overflow(page, 390), _overflow(page, 390)
    log.assert_clean()


def test_a_1920_px_screen_shows_sidebar_and_page_side_by_side(new_page, dashboard_server) -> None:  # type: ignore[no-untyped-def]
    page, log = new_page(dashboard_server.url, viewport=(1920, 1080))
    _ready(page)
    _settled(page)
    assert _in_reach(page, page.get_by_role("button", name="Step"))
    assert _in_reach(page, page.get_by_role("heading", name=NOT_STARTED))
    assert not _overflow(page, 1920), _overflow(page, 1920)
    screenshot(page, "live-1920", full_page=False)
    log.assert_clean()


def test_every_tab_in_the_dark_theme(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    toggle = page.get_by_role("button", name="Colour theme: light, dark or automatic")
    for _ in range(3):  # the toggle cycles through its themes
        if page.locator(".v-application.theme--dark").count():
            break
        toggle.click()
        page.wait_for_timeout(300)
    assert page.locator(".v-application.theme--dark").count() == 1
    page.get_by_role("button", name="Play").click()
    page.get_by_text("The run has ended. Press Reset to run it again.").wait_for(timeout=90_000)
    screenshot(page, "live-run-dark")
    audit(page, "live run, dark theme, ended", charts=3)
    _small_ensemble(page)
    audit(page, "ensemble, dark theme", charts=7)
    _small_comparison(page)
    audit(page, "two worlds, dark theme", charts=8)
    page.get_by_role("tab", name="Sweep explorer").click()
    page.locator("figure", has_text="P(agreement) for each pair").wait_for(timeout=30_000)
    audit(page, "sweep explorer, dark theme", charts=1)
    log.assert_clean()
