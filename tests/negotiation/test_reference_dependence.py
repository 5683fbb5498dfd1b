"""Reference-dependent utility with loss aversion (Kahneman & Tversky 1979; Levy 1996).

Losses against the status quo cost ``lambda`` times as much as shortfalls within it; the
exact Pareto frontier, the Nash point, uniform concession and efficient bids all respect
the kink; ``lambda = 1`` is today's linear utility, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from negotiation import TradeTalksModel, run_once
from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.behaviours.offer import efficient_bid, opponent_preferences
from negotiation.issues import Issue, IssueSpace
from negotiation.preferences import Preferences

LAMBDAS = (1.0, 1.5, 2.25, 4.0)


def _space(rng: np.random.Generator, k: int) -> IssueSpace:
    highs = rng.uniform(1.0, 100.0, k)
    sq = rng.uniform(0.0, highs)
    return IssueSpace(
        [
            Issue(f"i{j}", f"i{j}", "", 0.0, h, s, h)
            for j, (h, s) in enumerate(zip(highs, sq, strict=True))
        ]
    )


def _pair(
    rng: np.random.Generator, space: IssueSpace, lam: float
) -> tuple[Preferences, Preferences]:
    ideals = rng.uniform(space.low, space.high, (2, len(space)))
    weights = rng.dirichlet(np.ones(len(space)), 2)
    return (
        Preferences.build(ideals[:1], weights[:1], space, lam),
        Preferences.build(ideals[1:], weights[1:], space, lam),
    )


def test_utility_follows_the_formula() -> None:
    space = IssueSpace([Issue("x", "x", "", 0.0, 100.0, 40.0, 100.0)])
    prefs = Preferences.build([[20.0]], [[1.0]], space, loss_aversion=2.0)
    # ideal 20, status quo 40 (distance 20), worst distance 80: slope 1/80
    assert prefs.utility(np.array([30.0]))[0] == pytest.approx(1 - 10 / 80)  # a shortfall
    assert prefs.utility(np.array([60.0]))[0] == pytest.approx(1 - (40 + 20) / 80)  # 20 of loss
    assert prefs.utility(np.array([0.0]))[0] == pytest.approx(1 - 20 / 80)  # as far as sq
    linear = Preferences.build([[20.0]], [[1.0]], space)
    assert linear.utility(np.array([60.0]))[0] == pytest.approx(1 - 40 / 80)


@pytest.mark.parametrize("lam", LAMBDAS)
def test_frontier_is_pareto_optimal_with_loss_aversion(lam: float) -> None:
    rng = np.random.default_rng(int(lam * 100))
    for k in (1, 2, 4, 6):
        space = _space(rng, k)
        one, two = _pair(rng, space, lam)
        frontier = pareto_frontier(one, two, (0.0, 0.0))
        u = frontier.utilities
        assert np.all(np.diff(u[:, 0]) <= 1e-12) and np.all(np.diff(u[:, 1]) >= -1e-12)
        assert np.allclose(u[:, 1], two.utilities(frontier.packages)[0])
        packages = rng.uniform(space.low, space.high, (20_000, k))
        ua, ub = one.utilities(packages)[0], two.utilities(packages)[0]
        # Points along every segment of the frontier, not only its vertices.
        s = np.linspace(0.0, 1.0, 7)[1:-1]
        along = (u[:-1, None, :] + s[None, :, None] * (u[1:] - u[:-1])[:, None, :]).reshape(-1, 2)
        for va, vb in np.vstack([u, along]):
            dominates = (
                (ua >= va - 1e-12) & (ub >= vb - 1e-12) & ((ua > va + 1e-9) | (ub > vb + 1e-9))
            )
            assert not dominates.any(), f"a random package dominates the frontier (k={k})"


@pytest.mark.parametrize("lam", LAMBDAS[1:])
def test_nash_point_beats_every_sampled_package(lam: float) -> None:
    rng = np.random.default_rng(11)
    space = _space(rng, 4)
    one, two = _pair(rng, space, lam)
    nd = space.status_quo
    d = (float(one.utility(nd)[0]), float(two.utility(nd)[0]))
    nash = nash_point(pareto_frontier(one, two, d))
    packages = rng.uniform(space.low, space.high, (50_000, 4))
    ga, gb = one.utilities(packages)[0] - d[0], two.utilities(packages)[0] - d[1]
    products = np.where((ga >= 0) & (gb >= 0), ga * gb, -1.0)
    assert products.max() <= nash.product + 1e-9


def test_loss_aversion_one_is_todays_model_bit_for_bit(flagship) -> None:  # type: ignore[no-untyped-def]
    plain = run_once(flagship, seed=4)
    same = flagship.model_copy(
        update={"settings": flagship.settings.model_copy(update={"loss_aversion": 1.0})}
    )
    assert run_once(same, seed=4).to_dict() == plain.to_dict()


def _loss_averse(flagship, lam: float = 2.25):  # type: ignore[no-untyped-def]
    return flagship.model_copy(
        update={"settings": flagship.settings.model_copy(update={"loss_aversion": lam})}
    )


@pytest.mark.parametrize("target", [0.95, 0.8, 0.6, 0.4])
def test_uniform_concession_reaches_its_target_with_losses(flagship, target: float) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(_loss_averse(flagship), rng=1, collect=False)
    us = model.delegations["US"]
    package = us.concede_uniformly(target)
    floor = us.utility(us.concede_uniformly(0.0))
    assert us.utility(package) == pytest.approx(max(target, floor), abs=1e-9)


@pytest.mark.parametrize("target", [0.9, 0.7, 0.5])
def test_efficient_bid_reaches_its_target_and_beats_uniform_concession(
    flagship, target: float
) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(_loss_averse(flagship), rng=1, collect=False)
    us = model.delegations["US"]
    bid, uniform = efficient_bid(us, target), us.concede_uniformly(target)
    assert us.utility(bid) == pytest.approx(target, abs=1e-9)
    other = opponent_preferences(us)
    assert other.utility(bid)[0] >= other.utility(uniform)[0] - 1e-12


def test_loss_aversion_leaves_issues_at_the_status_quo(flagship) -> None:  # type: ignore[no-untyped-def]
    """Deferral emerges from preferences: logrolling delegations with loss aversion leave
    issues where they were (the tariff, the affiliates rule, the rare-earth controls),
    which without it they settle at one side's ideal."""
    strategies = {"us_offer_strategy": "logrolling", "china_offer_strategy": "logrolling"}

    def unmoved(scenario) -> float:  # type: ignore[no-untyped-def]
        sq = scenario.space.status_quo
        shares = []
        for seed in range(12):
            outcome = run_once(scenario, seed=seed, params=strategies)
            if outcome.outcome != "no deal":
                package = np.array(list(outcome.package.values()))
                shares.append(np.isclose(package, sq, atol=1e-6).mean())
        return float(np.mean(shares))

    assert unmoved(flagship) == 0.0
    assert unmoved(_loss_averse(flagship)) > 0.1  # most runs leave an issue unmoved


def test_a_declared_reference_moves_where_losses_begin() -> None:
    """An issue's own reference point (an expectation, Koszegi & Rabin 2006) replaces the
    status quo in the loss term; without one the status quo is the reference."""
    expect = Issue("x", "x", "", 0.0, 100.0, 40.0, 100.0, reference=30.0)
    prefs = Preferences.build([[20.0]], [[1.0]], IssueSpace([expect]), loss_aversion=2.0)
    # ideal 20, reference 30 (distance 10), worst distance 80: beyond 30 is a loss
    assert prefs.utility(np.array([40.0]))[0] == pytest.approx(1 - (20 + 10) / 80)
    plain = Issue("x", "x", "", 0.0, 100.0, 40.0, 100.0)
    assert IssueSpace([plain]).reference[0] == 40.0
    linear = Preferences.build([[20.0]], [[1.0]], IssueSpace([plain]), loss_aversion=2.0)
    assert linear.utility(np.array([40.0]))[0] == pytest.approx(1 - 20 / 80)


def test_a_declared_reference_stays_when_a_threat_moves_the_status_quo() -> None:
    space = IssueSpace(
        [
            Issue("a", "a", "", 0.0, 100.0, 10.0, 50.0, reference=0.0),
            Issue("b", "b", "", 0.0, 100.0, 10.0, 50.0),
        ]
    )
    moved = space.with_status_quo({"a": 50.0, "b": 50.0})
    assert moved.status_quo.tolist() == [50.0, 50.0]
    assert moved.reference.tolist() == [0.0, 50.0]


def _with_reference(scenario, key: str, value: float):  # type: ignore[no-untyped-def]
    data = scenario.model_dump()
    for issue in data["issues"]:
        if issue["key"] == key:
            issue["reference"] = value
    return type(scenario).model_validate(data)


def test_an_expected_level_of_purchases_changes_the_deal(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """With China's purchases counted from their 2024 level instead of the boycott's zero,
    buying soybeans is no loss to China up to that level and a shortfall from it is a loss
    to the US: the deals buy more soybeans (docs/validation.md, the farmers' diagnosis)."""
    key, flagship = "soybean_purchases_mmt", shipped_flagship
    expected = _with_reference(flagship, key, 27.0)
    assert expected.run_json() != flagship.run_json()  # the reference is part of the plan

    def soybeans(scenario) -> float:  # type: ignore[no-untyped-def]
        deals = [run_once(scenario, seed=s) for s in range(12)]
        return float(np.median([o.package[key] for o in deals if o.outcome != "no deal"]))

    assert soybeans(expected) > soybeans(flagship) + 5.0
