"""Two worlds over the same seeded runs (experiments.compare, ``negotiation compare``)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from experiments.cli import main
from experiments.compare import compare_worlds, paired_changes
from experiments.executors import make_executor
from experiments.intervals import paired_difference_interval, wilson_interval
from negotiation import Scenario, ScenarioError, load_scenario
from negotiation.scenario import sync_defaults


def _pairs(both: int, first: int, second: int, neither: int) -> tuple[list[bool], list[bool]]:
    a = [True] * both + [True] * first + [False] * second + [False] * neither
    b = [True] * both + [False] * first + [True] * second + [False] * neither
    return a, b


def test_uncorrelated_pairs_give_newcombes_interval_for_independent_samples() -> None:
    # phi = 0 (both*neither == first*second): the hybrid score interval of two proportions
    a, b = _pairs(both=20, first=20, second=10, neither=10)
    n, p1, p2 = 60, 40 / 60, 30 / 60
    l1, u1 = wilson_interval(40, n)
    l2, u2 = wilson_interval(30, n)
    low, high = paired_difference_interval(a, b)
    assert low == pytest.approx(p1 - p2 - math.hypot(p1 - l1, u2 - p2))
    assert high == pytest.approx(p1 - p2 + math.hypot(u1 - p1, p2 - l2))


def test_correlated_pairs_give_a_narrower_interval() -> None:
    independent = paired_difference_interval(*_pairs(20, 20, 10, 10))
    correlated = paired_difference_interval(*_pairs(35, 5, 0, 20))  # same margins 40, 35
    assert correlated[1] - correlated[0] < independent[1] - independent[0]
    assert correlated[0] < 5 / 60 < correlated[1]


def test_the_interval_covers_the_true_difference_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(1998)
    n, trials, hits, rho = 300, 1500, 0, 0.5
    cut_a, cut_b = 0.2533471, -0.1256613  # standard normal quantiles of 0.60 and 0.45
    for _ in range(trials):  # correlated pairs from a Gaussian copula
        z = rng.standard_normal((n, 2))
        z[:, 1] = rho * z[:, 0] + math.sqrt(1 - rho**2) * z[:, 1]
        low, high = paired_difference_interval(list(z[:, 0] < cut_a), list(z[:, 1] < cut_b))
        hits += low <= 0.15 <= high
    assert 0.93 <= hits / trials <= 0.97


def test_bad_pairs_are_refused_and_no_pairs_say_nothing() -> None:
    with pytest.raises(ValueError, match="need pairs"):
        paired_difference_interval([True], [True, False])
    assert paired_difference_interval([], []) == (-1.0, 1.0)
    assert paired_difference_interval([True] * 5, [True] * 5)[0] < 0.0  # not a point


def test_the_same_world_twice_differs_in_nothing() -> None:
    """Common random numbers: run i meets the same draws in both worlds."""
    same = {"hawk_influence": 2.0}
    comparison = compare_worlds("kuala-lumpur-2025", same, dict(same), 20, root_seed=3)
    assert comparison.p_change == 0.0
    for terms in comparison.terms.values():
        assert terms.median_change in (0.0, None)
        assert terms.share_higher in (0.0, None) and terms.share_lower in (0.0, None)


def test_hawks_cost_the_truce_and_the_interval_says_so() -> None:
    comparison = compare_worlds(
        "kuala-lumpur-2025", {"hawk_influence": 0.0}, {"hawk_influence": 4.0}, 60, root_seed=0
    )
    low, high = comparison.p_change_ci95
    assert comparison.p_change < 0 and high < 0
    assert low <= comparison.p_change <= high
    assert comparison.alternative.p_truce - comparison.baseline.p_truce == pytest.approx(
        comparison.p_change
    )


def test_a_process_pool_gives_the_serial_comparison() -> None:
    args = ("kuala-lumpur-2025", {}, {"threat_credibility": 1.0}, 12)
    serial = compare_worlds(*args, root_seed=5)
    with make_executor("processes", 2, None) as executor:
        pooled = compare_worlds(*args, root_seed=5, executor=executor)
    assert pooled.to_dict() == serial.to_dict()


def test_the_command_prints_both_worlds_and_their_difference(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["compare", "--runs", "8", "--workers", "1", "--alt", "hawk_influence=3"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "alternative: hawk_influence=3" in text and "Newcombe paired" in text
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["alternative"]["params"] == {"hawk_influence": 3}
    assert set(record["terms"]) >= {"soybean_purchases_mmt", "us_tariff_rate"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give the same settings"),
        (["--alt", "hawk_influence=9"], "outside its range"),
        (["--alt", "hawk_power=1"], "unknown parameter 'hawk_power'"),
        (["--runs", "0", "--alt", "hawk_influence=2"], "--runs must be from 1"),
    ],
)
def test_bad_comparisons_are_refused_before_running(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "--workers", "1", *extra]) == 2
    assert message in capsys.readouterr().err


def _with_actor(scenario: Scenario, key: str, **fields: Any) -> Scenario:
    """``scenario`` with actor ``key``'s fields replaced, validated like a file."""
    data = scenario.model_dump()
    for actor in data["actors"]:
        if actor["key"] == key:
            actor.update(fields)
    return Scenario.model_validate(sync_defaults(data))


def test_an_alternative_scenario_runs_the_alternative_world() -> None:
    """The edited actor table of the dashboard: same seeds, another scenario."""
    flagship = load_scenario("kuala-lumpur-2025")
    same = _with_actor(flagship, "us_security_hawks")
    unchanged = compare_worlds(flagship, {}, {}, 12, root_seed=2, alternative_scenario=same)
    assert unchanged.p_change == 0.0
    assert all(t.median_change in (0.0, None) for t in unchanged.terms.values())
    hawkish = _with_actor(flagship, "us_security_hawks", influence=1.0)
    comparison = compare_worlds(
        flagship, {}, {"hawk_influence": 4.0}, 40, root_seed=0, alternative_scenario=hawkish
    )
    by_parameter = compare_worlds(flagship, {}, {"hawk_influence": 4.0}, 40, root_seed=0)
    assert comparison.baseline == by_parameter.baseline  # the baseline is the scenario
    assert comparison.alternative.p_truce < by_parameter.alternative.p_truce
    assert comparison.alternative.scenario == flagship.name


def test_an_alternative_scenario_must_have_the_same_issues() -> None:
    flagship = load_scenario("kuala-lumpur-2025")
    other = load_scenario("geneva-2025")
    with pytest.raises(ValueError, match="are not the baseline's"):
        compare_worlds(flagship, {}, {}, 2, alternative_scenario=other)


def test_the_alternative_parameters_are_checked_against_the_alternative_scenario() -> None:
    flagship = load_scenario("kuala-lumpur-2025")
    with pytest.raises(ScenarioError, match="outside its range"):
        compare_worlds(
            flagship, {}, {"hawk_influence": 9}, 2, alternative_scenario=flagship.model_copy()
        )


def test_paired_changes_are_what_the_median_change_is_the_median_of() -> None:
    comparison = compare_worlds(
        "kuala-lumpur-2025", {}, {"threat_credibility": 1.0}, 30, root_seed=4
    )
    for key, terms in comparison.terms.items():
        changes = paired_changes(comparison, key)
        assert len(changes) == terms.paired
        if changes:
            assert float(np.median(changes)) == pytest.approx(terms.median_change)
            assert np.mean(np.array(changes) > 1e-9) == pytest.approx(terms.share_higher)
