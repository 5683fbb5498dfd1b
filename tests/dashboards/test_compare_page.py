"""The "Two worlds" page (dashboards.compare_page): the edited actor table and its
validation, the TOML download, the worlds in words, the comparison it runs, and the page
in the browser (compare, a bad table value, Cancel)."""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ipyvuetify as v
import pytest
import solara
from playwright.sync_api import expect

from dashboards.compare_page import (
    Cell,
    ComparePage,
    CompareRequest,
    ComparisonCancelled,
    ComparisonView,
    WorldChoice,
    check_request,
    difference_text,
    edited_scenario,
    parameter_words,
    run_comparison,
    scenario_toml,
    table_cells,
    to_toml,
    world_words,
)
from dashboards.live_model import LiveModel
from dashboards.workers import CHUNK_RUNS
from experiments.compare import compare_worlds
from negotiation import Scenario, ScenarioError, builtin_scenarios, load_scenario

from .conftest import docs_screenshot

COMPARE_PAGE = Path(__file__).parent / "pages" / "compare.py"
FLAGSHIP = "kuala-lumpur-2025"
US_TARIFF_SALIENCE = Cell("us_delegation", "salience", "us_tariff_rate")
HAWKS = Cell("us_security_hawks", "influence")


@pytest.fixture(scope="module")
def flagship() -> Scenario:
    return load_scenario(FLAGSHIP)


# --------------------------------------------------------------------------- the actor table


def test_the_table_shows_every_actor_position_salience_and_influence(flagship: Scenario) -> None:
    cells = table_cells(flagship)
    assert cells[Cell("us_delegation", "position", "us_tariff_rate")] == "30"
    assert cells[US_TARIFF_SALIENCE] == "0.15"
    assert cells[HAWKS] == "0.25"
    assert cells[Cell("us_soybean_farmers", "position", "port_fees_suspension_months")] == ""
    assert Cell("malaysia", "influence") in cells  # the host: influence only
    assert Cell("malaysia", "position", "us_tariff_rate") not in cells
    people = len(flagship.actors) - 1
    assert len(cells) == len(flagship.actors) + people * 2 * len(flagship.issues)


def test_an_edited_table_is_a_new_scenario_validated_like_a_file(flagship: Scenario) -> None:
    edits = {HAWKS: "1", Cell("us_soybean_farmers", "salience", "truce_extension_months"): " "}
    farmers_position = Cell("us_soybean_farmers", "position", "truce_extension_months")
    edits[farmers_position] = ""  # blank: no position (and no salience) on that issue
    edited = edited_scenario(flagship, edits)
    assert edited.actor("us_security_hawks").influence == 1.0
    assert "truce_extension_months" not in edited.actor("us_soybean_farmers").salience
    assert "truce_extension_months" not in edited.actor("us_soybean_farmers").position
    assert edited.actor("us_delegation") == flagship.actor("us_delegation")
    assert flagship.actor("us_security_hawks").influence == 0.25  # the scenario is untouched
    assert edited_scenario(flagship, {HAWKS: "0.25 "}) is flagship  # no real edit


@pytest.mark.parametrize(
    ("cell", "text", "message"),
    [
        (
            US_TARIFF_SALIENCE,
            "-1",
            "actors[0] (us_delegation).salience.us_tariff_rate: Input should be greater than "
            "or equal to 0 (got -1.0)",
        ),
        (
            Cell("us_delegation", "position", "us_tariff_rate"),
            "thirty",
            "actors[0] (us_delegation).position.us_tariff_rate: Input should be a valid "
            "number, unable to parse string as a number (got 'thirty')",
        ),
        (
            Cell("us_delegation", "position", "us_tariff_rate"),
            "500",
            "actor 'us_delegation' position us_tariff_rate = 500.0 is outside [0.0, 130.0]",
        ),
        (HAWKS, "inf", "actors[7] (us_security_hawks).influence: Input should be a finite number"),
        (
            Cell("us_soybean_farmers", "salience", "port_fees_suspension_months"),
            "0.2",
            "actor 'us_soybean_farmers' has salience but no position on "
            "'port_fees_suspension_months'",
        ),
    ],
)
def test_a_bad_cell_gets_the_validators_message_naming_the_field(
    flagship: Scenario, cell: Cell, text: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as error:
        edited_scenario(flagship, {cell: text})
    assert str(error.value).startswith(
        "kuala-lumpur-2025 (built-in), edited actor table: invalid scenario (1 problem)\n  "
    )
    assert message in str(error.value)


# --------------------------------------------------------------------------- TOML


def _load_text(text: str, tmp_path: Path, name: str = "edited.toml") -> Any:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ScenarioWarning would mean a changed default
        return load_scenario(path)


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_round_trips_through_the_toml_writer(
    name: str, tmp_path: Path
) -> None:
    scenario = load_scenario(name)
    back = _load_text(scenario_toml(scenario, ["a header"]), tmp_path)
    assert back.model_dump() == scenario.model_dump()


def test_the_download_is_the_edited_scenario(flagship: Scenario, tmp_path: Path) -> None:
    edits = {HAWKS: "1.5", US_TARIFF_SALIENCE: "0.2"}
    edited = edited_scenario(flagship, edits)
    text = scenario_toml(edited, ["kuala-lumpur-2025 with an edited actor table", "line two"])
    assert text.startswith("# kuala-lumpur-2025 with an edited actor table\n# line two\n")
    back = _load_text(text, tmp_path)
    assert back.model_dump() == edited.model_dump()
    assert back.actor("us_security_hawks").influence == 1.5
    assert back.run_json() == edited.run_json()  # the same runs: the same plan digest


def test_the_toml_writer_escapes_what_toml_needs_escaped() -> None:
    data = {
        "title": 'quotes " and \\ backslash, a tab\t, new\nline, DEL \x7f, bell \x07, – é “”',
        "weird keys": {"United States": 1, "a.b": 2.5, "": True},
        "when": datetime(2025, 10, 30, 11, 0, 0, 250_000),
        "day": date(2025, 10, 25),
        "numbers": [1e-05, -0.0, 1e16, 3],
        "nested": {"deep": {"deeper": {"x": [1, 2]}}, "list": [{"a": 1}, {"b": [{"c": 2}]}]},
        "rows": [{"k": "one", "sub": {"s": 1}}, {"k": "two", "items": [{"n": 1}, {"n": 2}]}],
        "empty": {},
        "none": None,
        "long": ["a fairly long string, one of several in a list"] * 4,
    }
    text = to_toml(data)
    expected = {k: v for k, v in data.items() if v is not None}
    assert tomllib.loads(text) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1, None], object()])
def test_the_toml_writer_refuses_what_toml_cannot_hold(value: Any) -> None:
    with pytest.raises(ValueError, match=r"TOML|cannot write"):
        to_toml({"x": value})


# --------------------------------------------------------------------------- worlds in words


def test_a_world_is_told_in_words(flagship: Scenario) -> None:
    assert parameter_words(flagship, {}) == "the scenario as written"
    words = parameter_words(
        flagship, {"threat_credibility": 1.0, "focal_drafting": False, "host_behaviour": "sntext"}
    )
    assert words == (
        "focal drafting off (the scenario: on); host behaviour sntext (the scenario: "
        "convenor); threat credibility 1 (the scenario: 0.6)"
    )
    told = world_words(flagship, {"hawk_influence": 2.0}, {HAWKS: "1", US_TARIFF_SALIENCE: "0.15"})
    assert told == (
        "hawk influence 2 (the scenario: 1); actor table edited: US security hawks: "
        "influence 0.25 -> 1"
    )
    blank = world_words(flagship, {}, {Cell("trump", "position", "us_tariff_rate"): ""})
    assert blank.endswith(
        "President Trump: position on US additional tariff on Chinese goods 40 -> none"
    )


def test_worlds_start_from_the_live_settings_and_keep_only_real_changes(flagship: Scenario) -> None:
    live = {"threat_credibility": 0.9}
    choice = WorldChoice()
    assert choice.params(flagship, live) == live
    changed = choice.with_value(flagship, live, "hawk_influence", 2.0)
    assert changed.params(flagship, live) == {"threat_credibility": 0.9, "hawk_influence": 2.0}
    back = changed.with_value(flagship, live, "hawk_influence", 1.0)  # the scenario's value
    assert back.changed == {}
    to_default = choice.with_value(flagship, live, "threat_credibility", 0.6)
    assert to_default.params(flagship, live) == {"threat_credibility": 0.6}
    assert choice.with_value(flagship, live, "threat_credibility", 0.9).changed == {}
    # a hidden parameter (the hardliner has no exponent) is not sent
    hard = choice.with_value(flagship, {}, "us_offer_strategy", "hardliner")
    hard = hard.with_value(flagship, {}, "us_concession_exponent", 2.0)
    assert "us_concession_exponent" not in hard.params(flagship, {})
    # an edit that restores the scenario's text is no edit; another scenario starts afresh
    edited = choice.with_edit(flagship, HAWKS, "1").with_edit(flagship, US_TARIFF_SALIENCE, "0.15")
    assert dict(edited.edits) == {HAWKS: "1"}
    assert edited.own(load_scenario("geneva-2025")).edits == {}


def _request(scenario: Any, **fields: Any) -> CompareRequest:
    values: dict[str, Any] = dict(
        baseline={}, alternative={"threat_credibility": 1.0}, edits={}, runs=12, root_seed=0
    )
    return CompareRequest(scenario, **{**values, **fields})


def test_a_request_is_checked_before_it_runs(flagship: Scenario) -> None:
    assert check_request(_request(flagship)) is None
    same = check_request(_request(flagship, alternative={}))
    assert same is not None and same.kind == "same" and "the same" in same.message
    assert check_request(_request(flagship, alternative={}, edits={HAWKS: "1"})) is None
    table = check_request(_request(flagship, edits={US_TARIFF_SALIENCE: "-1"}))
    assert table is not None and table.kind == "table"
    assert "salience.us_tariff_rate: Input should be greater than or equal to 0" in table.message
    bad = check_request(_request(flagship, baseline={"hawk_influence": 9}))
    assert bad is not None and bad.kind == "settings" and "outside its range" in bad.message
    runs = check_request(_request(flagship, runs=0))
    assert runs is not None and "Runs must be" in runs.message


def test_the_page_runs_the_batch_layers_comparison(flagship: Scenario) -> None:
    request = _request(flagship, edits={HAWKS: "1"})
    seen: list[tuple[int, int]] = []
    result = run_comparison(request, on_progress=lambda done, total: seen.append((done, total)))
    expected = compare_worlds(
        flagship,
        {},
        {"threat_credibility": 1.0},
        12,
        root_seed=0,
        alternative_scenario=edited_scenario(flagship, {HAWKS: "1"}),
    )
    assert result.comparison == expected and result.request == request
    assert seen[-1] == (24, 24) and all(total == 24 for _, total in seen)
    assert "Newcombe paired" in difference_text(expected)


def test_a_cancelled_comparison_stops_within_a_few_runs(flagship: Scenario) -> None:
    seen: list[int] = []
    with pytest.raises(ComparisonCancelled):
        run_comparison(
            _request(flagship, runs=2_000),
            stop=lambda: len(seen) >= 2,
            on_progress=lambda done, _total: seen.append(done),
        )
    # stopped at the next progress report (a chunk of runs), not after 4,000 runs
    assert seen == [CHUNK_RUNS, 2 * CHUNK_RUNS]


def test_the_page_and_a_result_render(flagship: Scenario) -> None:
    _, rc = solara.render(ComparePage(solara.reactive(LiveModel())), handle_error=False)
    assert rc.find(v.Btn, children=["Compare"]).widget.disabled  # two identical worlds
    sliders = [w for w in rc.find(v.Slider).widgets if w.label.startswith("threat credibility:")]
    sliders[-1].v_model = 1.0  # the alternative
    assert not rc.find(v.Btn, children=["Compare"]).widget.disabled
    rc.close()
    result = run_comparison(_request(flagship))
    _, rc = solara.render(ComparisonView(result, stale=True, running=True), handle_error=False)
    texts = " ".join(str(w.children) for w in rc.find(v.Html).widgets)
    assert difference_text(result.comparison) in texts
    rc.close()


# --------------------------------------------------------------------------- in the browser


def _open(solara_server: Callable[..., Any], new_page: Callable[..., Any]) -> tuple[Any, Any]:
    server = solara_server(COMPARE_PAGE)
    page, log = new_page(server.url, wait_for_text="Two worlds: the same seeded runs")
    return page, log


def _certain_threat_in_the_alternative(page: Any) -> None:
    slider = page.get_by_role("group", name="alternative: threat credibility").get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")  # threat credibility to 1
    page.get_by_text("Alternative: threat credibility 1 (the scenario: 0.6)", exact=True).wait_for(
        timeout=10_000
    )


def _set_runs(page: Any, runs: int) -> None:
    box = page.get_by_label("Runs", exact=True)
    box.fill(str(runs))
    box.press("Enter")


def test_compare_two_worlds_in_the_browser(
    solara_server: Callable[..., Any], new_page: Callable[..., Any]
) -> None:
    """Change one named parameter of the alternative, run 40 paired runs: both
    P(agreement) figures with their intervals and the difference with Newcombe's interval,
    the figures of ``compare_worlds`` itself."""
    page, log = _open(solara_server, new_page)
    # The runs first: the slider's change, then awaited on the page, is rendered after
    # the server has taken them (a render already on its way could put 200 back).
    _set_runs(page, 40)
    _certain_threat_in_the_alternative(page)
    assert page.get_by_label("Runs", exact=True).input_value() == "40"
    page.get_by_role("button", name="Compare").click()
    expected = compare_worlds(FLAGSHIP, {}, {"threat_credibility": 1.0}, 40, root_seed=0)
    page.get_by_text(re.compile(r"^40 paired runs of")).first.wait_for(timeout=60_000)
    shown = page.get_by_text(re.compile(r"^P\(agreement\) .* → ")).first.inner_text()
    assert shown == difference_text(expected)  # a mismatch shows what the page said
    for world, summary in (("baseline", expected.baseline), ("alternative", expected.alternative)):
        low, high = summary.ci95
        row = page.get_by_role("row", name=re.compile(f"^{world} "))
        assert row.get_by_role("cell").nth(1).inner_text() == f"{summary.p_truce:.1%}"
        assert row.get_by_role("cell").nth(2).inner_text() == f"{low:.1%} – {high:.1%}"
    page.locator(".vega-embed svg.marks").nth(7).wait_for(timeout=30_000)  # 2 + 6 histograms
    assert page.get_by_text("Previous result").count() == 0
    page.get_by_text(re.compile(r"^40 paired runs of")).first.evaluate(
        "e => e.scrollIntoView({block: 'start'})"  # the results, for the README's picture
    )
    docs_screenshot(page, "two-worlds", "two-worlds-page")
    log.assert_clean()


def test_a_bad_table_value_shows_the_validators_message(
    solara_server: Callable[..., Any], new_page: Callable[..., Any], tmp_path: Path
) -> None:
    """A negative salience: the validator's message naming the field, no traceback, no
    Compare; a good value: the edited scenario downloads as a file that loads back."""
    page, log = _open(solara_server, new_page)
    page.get_by_text("Edit the actor table of the alternative").click()
    cell = page.get_by_label(
        "US delegation (Bessent, Greer): salience on US additional tariff on Chinese goods"
    )
    cell.fill("-1")
    cell.press("Enter")
    page.get_by_text(
        re.compile(
            r"actors\[0\] \(us_delegation\)\.salience\.us_tariff_rate: "
            r"Input should be greater than or equal to 0 \(got -1\.0\)"
        )
    ).first.wait_for(timeout=10_000)
    assert page.get_by_text("Traceback").count() == 0
    expect(page.get_by_role("button", name="Compare")).to_be_disabled(timeout=10_000)
    cell.fill("0.25")
    cell.press("Enter")
    download_button = page.get_by_role("button", name="Download the edited scenario (TOML)")
    download_button.wait_for(timeout=10_000)
    # the table is the change (the button is enabled in a render of its own)
    expect(page.get_by_role("button", name="Compare")).to_be_enabled(timeout=10_000)
    with page.expect_download() as download:
        download_button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "kuala-lumpur-2025-edited.toml"
    loaded = load_scenario(saved)
    assert loaded.actor("us_delegation").salience["us_tariff_rate"] == 0.25
    assert (
        loaded.model_dump()
        == edited_scenario(load_scenario(FLAGSHIP), {US_TARIFF_SALIENCE: "0.25"}).model_dump()
    )
    log.assert_clean()


def test_cancel_stops_a_large_comparison_and_keeps_the_previous_result(
    solara_server: Callable[..., Any], new_page: Callable[..., Any]
) -> None:
    """A small comparison, then a large one: while it runs the small one's result is
    marked as the previous result with its settings; Cancel stops the runs."""
    page, log = _open(solara_server, new_page)
    _certain_threat_in_the_alternative(page)
    _set_runs(page, 10)
    page.get_by_role("button", name="Compare").click()
    page.get_by_text(re.compile(r"^10 paired runs of kuala-lumpur-2025")).wait_for(timeout=30_000)
    _set_runs(page, 50_000)
    page.get_by_role("button", name="Compare").click()
    page.get_by_text(re.compile(r"^Running… \d+% of 2 × 50,000 runs")).wait_for(timeout=10_000)
    page.get_by_text(
        re.compile(r"^Previous result, settings: 10 runs, root seed 0; baseline: the scenario")
    ).wait_for(timeout=10_000)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text(re.compile(r"^Comparison cancelled")).wait_for(timeout=10_000)
    assert page.get_by_text(re.compile(r"^Running…")).count() == 0
    assert page.get_by_role("button", name="Cancel").count() == 0
    expect(page.get_by_role("button", name="Compare")).to_be_enabled(timeout=10_000)
    assert page.get_by_text(re.compile(r"^10 paired runs of")).is_visible()  # still shown
    log.assert_clean()
