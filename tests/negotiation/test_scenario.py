"""Scenario files: loading, listing, validation errors, named parameters."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from negotiation import ScenarioError, TradeTalksModel, builtin_scenarios, load_scenario, run_once
from negotiation.behaviours import names
from negotiation.plan import plan_for

SCENARIOS = resources.files("negotiation") / "scenarios"

REQUIRED_ISSUES = {
    "us_tariff_rate": (0, 130, 30, 130),
    "affiliates_rule_suspension_months": (0, 24, 0, 0),
    "rare_earth_controls_suspension_months": (0, 24, 0, 0),
    "soybean_purchases_mmt": (0, 30, 0, 0),
    "truce_extension_months": (0, 24, 0, 0),
    "port_fees_suspension_months": (0, 24, 0, 0),
}


def test_flagship_is_listed_with_a_description() -> None:
    listed = builtin_scenarios()
    assert "kuala-lumpur-2025" in listed
    assert "Kuala Lumpur" in listed["kuala-lumpur-2025"]


def test_flagship_has_the_required_issues_keys_units_and_bounds(flagship) -> None:  # type: ignore[no-untyped-def]
    issues = {i.key: i for i in flagship.issues}
    for key, (low, high, status_quo, no_deal) in REQUIRED_ISSUES.items():
        issue = issues[key]
        assert (issue.low, issue.high, issue.status_quo, issue.no_deal) == (
            low,
            high,
            status_quo,
            no_deal,
        )
    assert issues["us_tariff_rate"].unit == "%"
    assert issues["soybean_purchases_mmt"].unit == "Mt/year"


def test_flagship_cast(flagship) -> None:  # type: ignore[no-untyped-def]
    kinds = [(a.kind, a.side) for a in flagship.actors]
    assert kinds.count(("delegation", "US")) == 1
    assert kinds.count(("delegation", "China")) == 1
    assert kinds.count(("leader", "US")) == 1 and kinds.count(("leader", "China")) == 1
    assert kinds.count(("host", None)) == 1
    groups = [a for a in flagship.actors if a.kind == "group"]
    assert len(groups) >= 6
    assert {a.side for a in groups} == {"US", "China"}
    for g in groups:
        assert g.influence > 0 and sum(g.salience.values()) > 0


def test_loads_a_users_own_file(write_scenario) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(('name = "kuala-lumpur-2025"', 'name = "my-variant"'))
    scenario = load_scenario(path)
    assert scenario.name == "my-variant"
    assert scenario.source == str(path)


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        # a behaviour that does not exist: the message lists the registered ones
        (
            ('offer = { name = "logrolling", e = 0.5 }', 'offer = { name = "bouleware" }'),
            ["actors[0] (us_delegation)", "unknown offer behaviour 'bouleware'", "boulware"],
        ),
        # a behaviour parameter that does not exist
        (
            ('offer = { name = "logrolling", e = 0.5 }', 'offer = { name = "linear", k = 1 }'),
            ["us_delegation", "has no parameter 'k'", "its parameters are: e"],
        ),
        # a behaviour parameter out of range
        (
            ('offer = { name = "logrolling", e = 0.5 }', 'offer = { name = "linear", e = -1 }'),
            ["us_delegation", "parameter 'e'", "greater than 0", "-1"],
        ),
        # a position outside the issue's bounds
        (
            ("soybean_purchases_mmt = 27,", "soybean_purchases_mmt = 270,"),
            ["us_delegation", "soybean_purchases_mmt = 270", "outside [0.0, 30.0]"],
        ),
        # a misspelt field is an error, not silently ignored
        (
            ("influence = 0.25\nurgency = 1.5", "influense = 0.25\nurgency = 1.5"),
            ["actors[5] (us_soybean_farmers).influense", "Extra inputs are not permitted"],
        ),
        # a status quo outside bounds
        (
            ("status_quo = 30 ", "status_quo = 300 "),
            ["issues[0] (us_tariff_rate)", "status_quo = 300.0 is outside [0.0, 130.0]"],
        ),
        # an unknown side
        (
            (
                'side = "China"\nposition = { us_tariff_rate = 0, affiliates',
                'side = "PRC"\nposition = { us_tariff_rate = 0, affiliates',
            ),
            ["actor 'china_delegation' side 'PRC'", "parties ['US', 'China']"],
        ),
        # an event after the deadline
        (
            ("at = 2025-10-29T12:00:00", "at = 2025-11-02T12:00:00"),
            ["is not before the summit"],
        ),
        # a parameter pointing at nothing
        (
            (
                'targets = ["actors.us_soybean_farmers.urgency"]',
                'targets = ["actors.us_soybean_farmer.urgency"]',
            ),
            ["parameter 'farmer_pressure'", "matches nothing", "us_soybean_farmers"],
        ),
        # a mobilised group that does not exist
        (
            ("mobilise = { us_soybean_farmers = 0.5 }", "mobilise = { farmers = 0.5 }"),
            ["mobilise names unknown group(s) ['farmers']"],
        ),
        # a source code that could not be cited as [CODE]
        (
            ('TS = "Trump, Truth Social', '"T S" = "Trump, Truth Social'),
            ["scenario.references", "T S", "should match pattern"],
        ),
        # a wrong type
        (
            ("rounds_per_day = 5 ", 'rounds_per_day = "five" '),
            ["calendar.phases[0]", "rounds_per_day", "valid integer", "five"],
        ),
    ],
)
def test_bad_file_gets_one_clear_error(write_scenario, replacement, expected) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(replacement)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_missing_delegation_is_named(tmp_path: Path, flagship_text: str) -> None:
    text = flagship_text.replace(
        'kind = "delegation"\nside = "China"', 'kind = "delegation"\nside = "US"'
    )
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(
        ScenarioError,
        match=r"side US needs exactly one delegation; found "
        r"\['us_delegation', 'china_delegation'\]",
    ):
        load_scenario(path)


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[scenario\nname = 1")
    with pytest.raises(ScenarioError, match=r"broken.toml: not valid TOML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match=r"no scenario 'nowhere.toml'.*kuala-lumpur-2025"):
        load_scenario("nowhere.toml")


def test_parameters_apply_to_their_targets(flagship) -> None:  # type: ignore[no-untyped-def]
    changed = flagship.with_parameters(threat_credibility=0.2, farmer_pressure=2.0)
    assert changed.settings.threat_credibility == 0.2
    base = flagship.actor("us_soybean_farmers").urgency
    assert changed.actor("us_soybean_farmers").urgency == pytest.approx(2.0 * base)
    assert flagship.settings.threat_credibility == 0.6  # the original is untouched
    plan = plan_for(flagship, {"threat_credibility": 0.2, "farmer_pressure": 2.0})
    assert plan.scenario == changed
    assert plan_for(flagship, {"farmer_pressure": 2, "threat_credibility": "0.2"}) is plan


def test_behaviour_parameter_switches_behaviour_and_keeps_params_coherent(flagship) -> None:  # type: ignore[no-untyped-def]
    hard = flagship.with_parameters(us_offer_strategy="hardliner")
    assert hard.actor("us_delegation").offer.name == "hardliner"
    boulware = flagship.with_parameters(us_offer_strategy="boulware", us_concession_exponent=0.1)
    assert boulware.actor("us_delegation").offer.params == {"e": 0.1}
    # The exponent applies only to strategies that have one; the record says so.
    hard_e = flagship.with_parameters(us_offer_strategy="hardliner", us_concession_exponent=0.3)
    assert hard_e.actor("us_delegation").offer.params == {}
    values = flagship.effective_values({"us_offer_strategy": "hardliner"})
    assert values["us_concession_exponent"] is None
    assert values["us_offer_strategy"] == "hardliner"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"threat_credibilty": 0.5}, "unknown parameter 'threat_credibilty'.*threat_credibility"),
        ({"threat_credibility": 1.5}, r"outside its range \[0.0, 1.0\]"),
        ({"threat_credibility": "high"}, "is not a number"),
        ({"us_offer_strategy": "nope"}, "not a registered offer behaviour; allowed: .*boulware"),
    ],
)
def test_bad_parameter_values_are_named(flagship, values, expected) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match=expected):
        flagship.with_parameters(values)


def test_behaviour_parameters_offer_every_registered_name(flagship) -> None:  # type: ignore[no-untyped-def]
    for name in names("offer"):
        assert (
            flagship.with_parameters(us_offer_strategy=name).actor("us_delegation").offer.name
            == name
        )


def test_a_copied_scenario_does_not_share_derived_values(flagship) -> None:  # type: ignore[no-untyped-def]
    """Values cached per scenario (here the event plan) are recomputed for a copy."""
    from negotiation import TradeTalksModel

    def shocks(scenario) -> int:  # type: ignore[no-untyped-def]
        return sum(len(TradeTalksModel(scenario, rng=s, collect=False)._events) for s in range(30))

    before = shocks(flagship)  # fills the flagship's caches
    louder = flagship.model_copy(
        update={"settings": flagship.settings.model_copy(update={"shock_scale": 5.0})}
    )
    assert shocks(louder) > before
    assert shocks(flagship) == before


def test_a_scenario_names_its_two_parties(flagship_text: str, tmp_path: Path) -> None:
    """The flagship with China renamed India: the same run, under the new name."""
    text = flagship_text.replace('side = "China"', 'side = "India"')
    text = text.replace("China = ", "India = ").replace(
        'name = "kuala-lumpur-2025"', 'name = "renamed"\nparties = ["US", "India"]'
    )
    path = tmp_path / "renamed.toml"
    path.write_text(text, encoding="utf-8")
    renamed = load_scenario(path)
    assert renamed.sides == ("US", "India")
    a, b = (
        run_once(renamed, seed=5, collect=True),
        run_once(load_scenario("kuala-lumpur-2025"), seed=5),
    )
    assert a.package == b.package and a.round == b.round and a.utilities == b.utilities
    assert a.package_source.replace("India", "China") == b.package_source
    model = TradeTalksModel(renamed, rng=5)
    assert set(model.delegations) == {"US", "India"}
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert "credibility__India" in frame.columns


CITED = re.compile(r"\[([A-Z][A-Za-z0-9_-]{0,11})\]")


@pytest.mark.parametrize("name", builtin_scenarios())
def test_every_code_a_scenario_cites_is_listed_in_full(name: str) -> None:
    """The dashboard shows each ``[CODE]`` a label or comment cites in full, from
    ``[scenario.references]``: a code cited before the observed outcome (whose own,
    later sources stay beside it) must be listed there."""
    text = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    inputs = text.split("\n# --- observed")[0].split("\n[observed]")[0]
    cited = set()
    for line in inputs.splitlines():
        if line.lstrip().startswith("["):  # a table header: only its comment cites
            line = line.split("#", 1)[1] if "#" in line else ""
        cited |= set(CITED.findall(line))
    references = load_scenario(name).scenario.references
    assert cited <= set(references), sorted(cited - set(references))


def test_references_are_documentation_not_inputs(flagship_text: str, tmp_path: Path) -> None:
    """Editing what a code stands for changes no run: the plan digest leaves it out."""
    path = tmp_path / "edited.toml"
    path.write_text(flagship_text.replace("Trump, Truth Social post", "A post"), encoding="utf-8")
    edited = load_scenario(path)
    assert edited.scenario.references["TS"].startswith("A post")
    assert plan_for(edited).digest == plan_for(load_scenario("kuala-lumpur-2025")).digest


def _fully_resolved(scenario):  # type: ignore[no-untyped-def]
    """``scenario``'s parameters as a validation from scratch resolves them."""
    from negotiation.scenario import ADOPT_DEFAULTS, Scenario

    return Scenario.model_validate(scenario.model_dump(), context={ADOPT_DEFAULTS: True}).parameters


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_applied_numbers_resolve_every_parameter_as_from_scratch(name: str) -> None:
    """A scenario made by applying number parameters keeps the base's entry for each
    parameter whose targets none of the applied ones touch: the entries are those a
    validation from scratch gives, for random subsets and values."""
    import numpy as np

    scenario = load_scenario(name)
    numbers = {k: p for k, p in scenario.parameters.items() if p.kind == "number"}
    rng = np.random.default_rng(len(name))
    for _ in range(6):
        point = {
            k: float(rng.uniform(p.low, p.high)) for k, p in numbers.items() if rng.random() < 0.4
        }
        derived = scenario.with_parameters(point)
        assert derived.parameters == _fully_resolved(derived), point


def test_a_parameter_sharing_a_field_with_an_applied_one_takes_the_new_value(
    flagship_text: str, tmp_path: Path
) -> None:
    alias = (
        "\n[parameters.credibility_alias]\n"
        'description = "The threat credibility again"\nlow = 0.0\nhigh = 1.0\n'
        'targets = ["settings.threat_credibility"]\n'
    )
    path = tmp_path / "alias.toml"
    path.write_text(flagship_text + alias, encoding="utf-8")
    derived = load_scenario(path).with_parameters(threat_credibility=0.8)
    assert derived.parameters["credibility_alias"].default == 0.8
    assert derived.parameters == _fully_resolved(derived)
