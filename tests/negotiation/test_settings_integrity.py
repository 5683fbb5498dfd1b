"""What a run records is what it ran: one source for every setting.

A named parameter's default is the value of what it targets, so setting any parameter to
its default changes nothing; the record carries the value that ran; choosing a behaviour
by parameter keeps that behaviour's own parameters; the scenario files of the first
release still load and run the same.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from negotiation import ScenarioError, TradeTalksModel, builtin_scenarios, load_scenario, run_once
from negotiation.behaviours import get, names, register, registry, unregister
from negotiation.behaviours.interfaces import OfferStrategy
from negotiation.behaviours.lobbying import Pressure
from negotiation.plan import plan_for
from negotiation.scenario import ScenarioWarning, first_release

FIXTURES = Path(__file__).parent / "fixtures" / "scenarios-v1"
# The built-in files as the second release shipped them (all fifteen episodes).
FIXTURES_V2 = Path(__file__).parent / "fixtures" / "scenarios-v2"
SEED = 11


def _record(scenario: str, params: dict[str, object] | None = None) -> str:
    outcome = run_once(load_scenario(scenario), seed=SEED, params=params)
    return json.dumps(outcome.to_dict(), sort_keys=True)


@pytest.mark.parametrize("scenario", sorted(builtin_scenarios()))
def test_every_parameter_at_its_default_changes_nothing(scenario: str) -> None:
    base = load_scenario(scenario)
    reference = _record(scenario)
    recorded = json.loads(reference)["params"]
    assert recorded == base.effective_values({})
    for name, param in base.parameters.items():
        assert recorded[name] == param.default, name
        assert _record(scenario, {name: param.default}) == reference, name


def test_the_record_shows_the_value_that_ran(flagship) -> None:  # type: ignore[no-untyped-def]
    outcome = run_once(flagship, seed=SEED, params={"us_offer_strategy": "boulware"})
    assert outcome.params["us_offer_strategy"] == "boulware"
    assert outcome.params["us_concession_exponent"] == 0.2  # Boulware's own exponent
    model = TradeTalksModel(flagship, rng=SEED, us_offer_strategy="boulware")
    assert model.delegations["US"].offer.e == 0.2
    hard = run_once(flagship, seed=SEED, params={"us_offer_strategy": "hardliner"})
    assert hard.params["us_concession_exponent"] is None  # a hardliner has no exponent
    scaled = run_once(flagship, seed=SEED, params={"farmer_pressure": 2.5})
    assert scaled.params["farmer_pressure"] == 2.5


def test_a_different_setting_has_a_different_digest(flagship) -> None:  # type: ignore[no-untyped-def]
    default = run_once(flagship, seed=SEED)
    assert len(default.plan_digest) == 64
    assert run_once(flagship, seed=SEED + 1).plan_digest == default.plan_digest
    other = run_once(flagship, seed=SEED, params={"threat_credibility": 0.61})
    assert other.plan_digest != default.plan_digest


@pytest.mark.parametrize("strategy", names("offer"))
def test_choosing_a_behaviour_keeps_its_declared_parameters(flagship, strategy: str) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(flagship, rng=SEED, collect=False, us_offer_strategy=strategy)
    declared = {k: default for k, (_, default) in get("offer", strategy).params.items()}
    if strategy == "time-dependent":
        declared = {"e": 0.5}  # the scenario's own parameters of the behaviour it names
    offer = model.delegations["US"].offer
    assert {k: getattr(offer, k) for k in declared} == declared
    model.run()  # and it runs: the exponent parameter never breaks a strategy without one


def test_exponents_differ_between_time_dependent_strategies(flagship) -> None:  # type: ignore[no-untyped-def]
    exponents = {
        s: TradeTalksModel(flagship, rng=1, us_offer_strategy=s).delegations["US"].offer.e
        for s in ("boulware", "linear", "conceder", "time-dependent")
    }
    assert exponents == {"boulware": 0.2, "linear": 1.0, "conceder": 5.0, "time-dependent": 0.5}


def test_an_explicit_exponent_applies_to_the_chosen_strategy(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(
        flagship, rng=1, us_offer_strategy="conceder", us_concession_exponent=2.0
    )
    assert model.delegations["US"].offer.e == 2.0
    assert model.params["us_concession_exponent"] == 2.0


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.toml")), ids=lambda p: p.stem)
def test_first_release_files_load_and_run_the_same(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # their declared defaults agree with their targets
        old = load_scenario(path)
    new = first_release(load_scenario(path.stem))  # today's files run a later protocol
    shared = set(old.parameters)  # today's file may have more (new mechanisms, off)
    assert {k: v for k, v in new.parameter_defaults().items() if k in shared} == (
        old.parameter_defaults()
    )
    records = [run_once(old, seed=SEED).to_dict(), run_once(new, seed=SEED).to_dict()]
    for record in records:
        record.pop("plan_digest")  # the files differ (new fields), the runs do not
        record["params"] = {k: v for k, v in record["params"].items() if k in shared}
    assert records[0] == {**records[1], "scenario": records[0]["scenario"]}


@pytest.mark.parametrize("path", sorted(FIXTURES_V2.glob("*.toml")), ids=lambda p: p.stem)
def test_second_release_files_load_and_run_as_todays(path: Path) -> None:
    """Users' copies of the second release's files keep loading, with no warning, and
    run as today's built-in files do: what was added since is optional and off."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = load_scenario(path)
    new = load_scenario(path.stem)
    shared = set(old.parameters)
    records = [run_once(old, seed=SEED).to_dict(), run_once(new, seed=SEED).to_dict()]
    for record in records:
        record.pop("plan_digest")
        record["params"] = {k: v for k, v in record["params"].items() if k in shared}
    assert records[0] == {**records[1], "scenario": records[0]["scenario"]}


def test_a_default_that_is_not_its_targets_value_is_replaced_with_a_warning(
    write_scenario,  # type: ignore[no-untyped-def]
) -> None:
    path = write_scenario(
        (
            "[parameters.threat_credibility]\n",
            "[parameters.threat_credibility]\ndefault = 0.2\n",
        )
    )
    with pytest.warns(ScenarioWarning, match=r"threat_credibility.*0\.2.*using 0\.6"):
        scenario = load_scenario(path)
    assert scenario.parameters["threat_credibility"].default == 0.6
    assert run_once(scenario, seed=1).params["threat_credibility"] == 0.6


def test_a_target_value_outside_the_parameters_range_is_refused(write_scenario) -> None:  # type: ignore[no-untyped-def]
    narrow = 'high = 0.5\ntargets = ["settings.threat_credibility"]'
    bad = write_scenario(('high = 1.0\ntargets = ["settings.threat_credibility"]', narrow))
    with pytest.raises(ScenarioError, match=r"threat_credibility.*outside its range \[0.0, 0.5\]"):
        load_scenario(bad)


def test_a_scale_parameter_defaults_to_no_change(flagship) -> None:  # type: ignore[no-untyped-def]
    assert flagship.parameters["farmer_pressure"].default == 1.0
    assert plan_for(flagship, {"farmer_pressure": 1.0}).scenario == flagship


def test_runs_never_write_into_the_scenario_or_the_plan(flagship) -> None:  # type: ignore[no-untyped-def]
    before = flagship.model_dump_json()
    plan = plan_for(flagship)
    arrays = [plan.preferences.ideal, plan.preferences.weight]
    snapshot = [a.copy() for a in arrays]
    for seed in range(5):
        run_once(flagship, seed=seed, params={"us_offer_strategy": "logrolling"})
    assert flagship.model_dump_json() == before
    assert all(np.array_equal(a, b) for a, b in zip(arrays, snapshot, strict=True))
    assert not any(a.flags.writeable for a in arrays)


# --- the extension point does what it says -------------------------------------------------
def test_registering_a_taken_name_is_refused_unless_marked_as_override() -> None:
    with pytest.raises(
        registry.BehaviourError, match=r"'boulware' is already registered.*override=True"
    ):

        @register("offer", "boulware")
        class Impostor(OfferStrategy):
            def target_utility(self, me, view, t):  # type: ignore[no-untyped-def]
                return 1.0

    assert get("offer", "boulware").cls.__name__ == "Boulware"
    original = get("offer", "boulware")

    @register("offer", "boulware", override=True)
    class Replacement(OfferStrategy):
        def target_utility(self, me, view, t):  # type: ignore[no-untyped-def]
            return 1.0

    try:
        assert get("offer", "boulware").cls is Replacement
    finally:
        registry._REGISTRY[("offer", "boulware")] = original


def test_a_broken_plugin_is_named_and_does_not_stop_other_scenarios(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registry, "_BROKEN", {"broken_plugin": "broken_plugin: ImportError: no"})
    assert registry.broken_plugins() == {"broken_plugin": "broken_plugin: ImportError: no"}
    assert run_once(seed=1).scenario == "kuala-lumpur-2025"  # scenarios that do not use it
    with pytest.raises(registry.BehaviourError, match=r"plug-in 'broken_plugin' failed to load"):
        get("offer", "from-the-broken-plugin")


def test_entry_point_errors_are_caught(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class BadEntryPoint:
        name, value = "bad", "bad_module"

        def load(self) -> None:
            raise ImportError("No module named 'bad_module'")

    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    monkeypatch.setattr(registry, "_BROKEN", {})
    monkeypatch.setattr(registry, "entry_points", lambda group: [BadEntryPoint()])
    registry.load_entry_points()
    assert "ImportError" in registry.broken_plugins()["bad"]
    assert "boulware" in names("offer")


def test_a_lobbying_subclass_that_overrides_pressure_is_obeyed(flagship) -> None:  # type: ignore[no-untyped-def]
    @register("lobbying", "test-double-pressure")
    class Double(Pressure):
        def pressure(self, me, view):  # type: ignore[no-untyped-def]
            return 2.0 * super().pressure(me, view)

    try:
        plain = TradeTalksModel(flagship, rng=1, collect=False, shock_scale=0.0)
        loud = TradeTalksModel(
            flagship,
            rng=1,
            collect=False,
            shock_scale=0.0,
            lobbying_behaviour="test-double-pressure",
        )
        plain.step()
        loud.step()
        assert np.allclose(loud.mandates.pull, 2.0 * plain.mandates.pull)
        assert loud.mandates.pull.any()
    finally:
        unregister("lobbying", "test-double-pressure")
