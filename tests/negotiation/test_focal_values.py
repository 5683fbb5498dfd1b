"""Focal values (Schelling 1960): drafted agreements gravitate to prominent numbers."""

from __future__ import annotations

import numpy as np
import pytest

from negotiation import ScenarioError, TradeTalksModel, load_scenario, run_once
from negotiation.scenario import IssueSpec


def test_focal_values_come_from_a_list_and_a_step() -> None:
    spec = IssueSpec(
        key="x",
        label="x",
        unit="%",
        low=0,
        high=22,
        status_quo=0,
        no_deal=0,
        focal=[3, 6],
        focal_step=10,
    )
    assert spec.focal_values() == (0.0, 3.0, 6.0, 10.0, 20.0)
    issue = spec.to_issue()
    assert issue.nearest_focal(7.9) == 6.0 and issue.nearest_focal(8.1) == 10.0
    assert issue.nearest_focal(4.5) == 3.0  # a tie goes to the smaller value


def test_bad_focal_values_are_named(write_scenario) -> None:  # type: ignore[no-untyped-def]
    outside = write_scenario(("focal_step = 5\n", "focal = [200]\n"), name="outside.toml")
    with pytest.raises(ScenarioError, match=r"focal value 200.0 is outside \[0.0, 130.0\]"):
        load_scenario(outside)
    tiny = write_scenario(("focal_step = 5\n", "focal_step = 0.001\n"), name="tiny.toml")
    with pytest.raises(ScenarioError, match=r"more than 1,000 focal values"):
        load_scenario(tiny)


def test_drafting_moves_agreements_to_focal_values_both_sides_accept(flagship) -> None:  # type: ignore[no-untyped-def]
    focal = [issue.focal for issue in flagship.space]
    moved = 0
    for seed in range(15):
        model = TradeTalksModel(flagship, rng=seed, collect=False, focal_drafting=True)
        outcome = model.run()
        if outcome.outcome != "truce":
            continue
        plain = run_once(flagship, seed=seed)
        for (key, value), values in zip(outcome.package.items(), focal, strict=True):
            assert not values or value in values or value == plain.package[key]
            moved += value != plain.package[key]
        package = np.array(list(outcome.package.values()))
        for delegation in model.delegations.values():
            assert delegation.utility(package) >= delegation.reservation - 1e-6
    assert moved > 0


def test_drafting_is_off_by_default_and_changes_nothing_then(flagship) -> None:  # type: ignore[no-untyped-def]
    assert flagship.settings.focal_drafting is False
    assert run_once(flagship, seed=3, params={"focal_drafting": False}) == run_once(
        flagship, seed=3
    )
