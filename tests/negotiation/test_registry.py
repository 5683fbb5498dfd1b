"""The behaviour registry: names, parameters, errors, and plug-ins from other distributions."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

from negotiation import TradeTalksModel, run_once
from negotiation.behaviours import OfferStrategy, catalogue, get, names, register, unregister
from negotiation.behaviours.interfaces import INTERFACES
from negotiation.behaviours.registry import ENTRY_POINT_GROUP, KINDS, BehaviourError

PLUGIN = "example-plugin-strategy"
# Baselines that need no citation: they are the absence of a behaviour.
BASELINES = {("offer", "hardliner"), ("lobbying", "silent"), ("escalation", "restraint")}
LIBRARY = {
    "offer": {
        "time-dependent",
        "boulware",
        "linear",
        "conceder",
        "hardliner",
        "tit-for-tat-absolute",
        "tit-for-tat-relative",
        "zeuthen",
        "logrolling",
        "paced",
        "trade-off",
    },
    "acceptance": {"ac-next", "ac-const", "ac-time", "ac-combi"},
    "opponent_model": {"frequency", "bayesian", "perfect"},
    "lobbying": {"pressure", "silent", "mobilising"},
    "mediation": {"convenor", "single-text", "split-the-difference"},
    "ratification": {"win-set", "red-lines"},
    "escalation": {"stall-threat", "restraint", "brinkmanship"},
}


def test_the_library_is_registered() -> None:
    for kind, expected in LIBRARY.items():
        assert expected <= set(names(kind)), kind


def test_every_behaviour_implements_its_kind_and_builds_with_defaults() -> None:
    for info in catalogue():
        assert info.kind in KINDS and issubclass(info.cls, INTERFACES[info.kind])
        instance = info.build()
        assert isinstance(instance, INTERFACES[info.kind])
        assert info.validate({}) == {name: default for name, (_, default) in info.params.items()}
        assert info.summary and info.summary != info.name


def test_every_library_behaviour_cites_its_literature() -> None:
    for info in catalogue():
        if (
            info.cls.__module__.startswith("negotiation.")
            and (info.kind, info.name) not in BASELINES
        ):
            assert re.search(r"\b(19|20)\d\d\b", info.cls.__doc__ or ""), (info.kind, info.name)


def test_bad_names_and_parameters_are_clear_errors() -> None:
    with pytest.raises(BehaviourError, match=r"unknown offer behaviour 'zeuten'.*zeuthen"):
        get("offer", "zeuten")
    with pytest.raises(BehaviourError, match="unknown behaviour kind 'bidding'"):
        get("bidding", "zeuthen")
    with pytest.raises(BehaviourError, match="has no parameter 'e'; its parameters are: step"):
        get("offer", "zeuthen").validate({"e": 1.0})
    with pytest.raises(BehaviourError, match=r"parameter 'T'.*less than or equal to 1"):
        get("acceptance", "ac-combi").validate({"T": 1.5})
    with pytest.raises(BehaviourError, match=r"parameter 'window'.*'all' or 'remaining'"):
        get("acceptance", "ac-combi").validate({"window": "last"})
    with pytest.raises(BehaviourError, match="bayesian': exponents must be positive"):
        get("opponent_model", "bayesian").validate({"exponents": [1.0, -2.0]})


def test_a_behaviour_registered_in_a_session_is_usable_by_name() -> None:
    @register("offer", "test-half-way")
    @dataclass
    class HalfWay(OfferStrategy):
        """Ask for the midpoint between the ideal and the reservation, always."""

        def target_utility(self, me, view, t):  # type: ignore[no-untyped-def]
            return 0.5 * (1.0 + me.reservation)

    try:
        assert "test-half-way" in names("offer")
        model = TradeTalksModel(rng=1, collect=False, us_offer_strategy="test-half-way")
        model.step()
        us = model.delegations["US"]
        assert us.utility(model.offers["US"][0]) == pytest.approx(0.5 * (1.0 + us.reservation))
    finally:
        unregister("offer", "test-half-way")
    assert "test-half-way" not in names("offer")


def test_plugin_distribution_is_found_through_its_entry_point() -> None:
    group = entry_points(group=ENTRY_POINT_GROUP)
    assert "negotiation_example_plugin" in {ep.value for ep in group}
    info = get("offer", PLUGIN)
    assert info.cls.__module__ == "negotiation_example_plugin"
    assert info.params == {"step": ("float", 0.03)}


def test_plugin_is_listed_by_the_command_line() -> None:
    cli = Path(sys.executable).with_name("negotiation")
    listing = subprocess.run(
        [str(cli), "behaviours"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    offers = listing.split("\noffer:")[1].split("\n\n")[0]
    assert PLUGIN in offers and "parameters: step=0.03" in offers
    for kind, expected in LIBRARY.items():
        section = listing.split(f"\n{kind}:")[1].split("\n\n")[0]
        assert all(f"  {name} " in section for name in expected), kind


def test_plugin_strategy_runs_by_name_and_does_what_it_says(flagship) -> None:  # type: ignore[no-untyped-def]
    outcome = run_once(seed=3, params={"us_offer_strategy": PLUGIN})
    assert outcome.params["us_offer_strategy"] == PLUGIN
    model = TradeTalksModel(  # on the rounds clock, each round is 1/len(calendar) of the time
        flagship, rng=3, collect=False, us_offer_strategy=PLUGIN, lobbying_rate=0.0
    )
    for _ in range(3):
        model.step()
    us = model.delegations["US"]
    utilities = [us.utility(p) for p in model.offers["US"]]
    assert np.allclose(np.diff(utilities), -0.03 * 16 / len(model.calendar))


def test_validated_parameters_are_kept_but_never_shared_or_confused() -> None:
    """A parameter set seen before is not validated again; each caller gets its own
    dict, values of another type are validated afresh, and bad values fail every time."""
    info = get("offer", "boulware")
    first = info.validate({"e": 0.3})
    again = info.validate({"e": 0.3})
    assert first == again == {"e": 0.3} and first is not again
    again["e"] = 9.0
    assert info.validate({"e": 0.3}) == {"e": 0.3}
    assert info.validate({"e": 1}) == {"e": 1.0} and type(info.validate({"e": 1})["e"]) is float
    for _ in range(2):
        with pytest.raises(BehaviourError, match="parameter 'e'"):
            info.validate({"e": -1.0})
    assert info.validate({}) == {"e": 0.2}
