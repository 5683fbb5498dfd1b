"""Diminishing marginal utility per issue: the quadratic-loss spatial model (Enelow &
Hinich 1984), with curvature ``gamma`` (1 = linear, bit for bit the linear model).

With curved costs the efficient agreements are interior: an issue settles where the two
sides' marginal losses balance, so the frontier, the Nash point and the bids that use
them leave issues part-way between the ideals.
"""

from __future__ import annotations

import numpy as np
import pytest

from negotiation import run_once
from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.issues import Issue, IssueSpace
from negotiation.preferences import Preferences
from negotiation.scenario import Scenario, sync_defaults

from .test_behaviours import play
from .variants import behaviour, calm


def _space(k: int) -> IssueSpace:
    return IssueSpace([Issue(f"i{j}", f"i{j}", "", 0.0, 10.0, 0.0, 10.0) for j in range(k)])


def test_utility_follows_the_formula() -> None:
    space = IssueSpace([Issue("x", "x", "", 0.0, 100.0, 40.0, 100.0)])
    quadratic = Preferences.build([[20.0]], [[1.0]], space, curvature=2.0)
    assert quadratic.utility(np.array([60.0]))[0] == pytest.approx(1 - (40 / 80) ** 2)
    assert quadratic.utilities(np.array([[60.0], [20.0]]))[0] == pytest.approx([0.75, 1.0])
    assert quadratic.issue_utility(np.array([60.0]))[0, 0] == pytest.approx(0.75)
    both = Preferences.build([[20.0]], [[1.0]], space, loss_aversion=2.0, curvature=2.0)
    assert both.utility(np.array([60.0]))[0] == pytest.approx(1 - ((40 + 20) / 80) ** 2)


@pytest.mark.parametrize("gamma", [1.5, 2.0, 3.0])
def test_frontier_and_nash_point_are_efficient_and_interior(gamma: float) -> None:
    rng = np.random.default_rng(int(gamma * 10))
    space = _space(3)
    a = Preferences.build([[0.0, 0.0, 0.0]], [[0.5, 0.3, 0.2]], space, curvature=gamma)
    b = Preferences.build([[10.0, 10.0, 10.0]], [[0.2, 0.3, 0.5]], space, curvature=gamma)
    frontier = pareto_frontier(a, b, (0.0, 0.0))
    nash = nash_point(frontier)
    samples = rng.uniform(0.0, 10.0, (20_000, 3))
    ua, ub = a.utilities(samples)[0], b.utilities(samples)[0]
    best = float((ua * ub).max())
    assert nash.product >= best - 2e-3  # no sampled package does better (to the pieces)
    for u in frontier.utilities:  # no sample dominates a vertex by more than the pieces
        assert not np.any((ua > u[0] + 2e-3) & (ub > u[1] + 2e-3))
    shares = nash.package / 10.0
    assert ((shares > 0.05) & (shares < 0.95)).all()  # every issue part-way
    assert shares[0] < shares[1] < shares[2]  # the more A cares, the nearer A's ideal


def _quadratic_flagship(flagship: Scenario) -> Scenario:
    data = flagship.model_dump()
    data["settings"]["issue_curvature"] = 2.0
    return Scenario.model_validate(sync_defaults(data))


def test_bids_reach_their_targets_with_curved_costs(flagship) -> None:  # type: ignore[no-untyped-def]
    from negotiation.behaviours.offer import paced_bid, similar_bid

    model = play(
        calm(
            _quadratic_flagship(flagship),
            {"us_delegation": {"opponent_model": behaviour("perfect")}},
        ),
        rounds=1,
    )
    us, china = model.delegations["US"], model.delegations["China"]
    for target in (0.95, 0.8, 0.65):
        assert us.utility(us.concede_uniformly(target)) == pytest.approx(target, abs=1e-4)
        assert us.utility(paced_bid(us, target)) == pytest.approx(target, abs=1e-4)
        assert us.utility(similar_bid(us, target, china.ideal)) == pytest.approx(target, abs=1e-4)


def test_quadratic_logrolling_settles_the_flagship_part_way(flagship) -> None:  # type: ignore[no-untyped-def]
    scenario = _quadratic_flagship(flagship)
    keys = [i.key for i in scenario.issues]
    params = {"us_offer_strategy": "logrolling", "china_offer_strategy": "logrolling"}
    runs = [run_once(scenario, seed=i, params=params) for i in range(30)]
    agreed = np.array([[o.package[k] for k in keys] for o in runs if o.truce or o.summit_deal])
    tariff = float(np.median(agreed[:, keys.index("us_tariff_rate")]))
    assert 3.0 < tariff < 27.0  # neither opening (30 and 0): the knapsack no longer goes whole
    linear = [run_once(flagship, seed=i, params=params) for i in range(30)]
    whole = np.median([o.package["us_tariff_rate"] for o in linear if o.truce or o.summit_deal])
    assert whole < 3.0 or whole > 27.0  # the linear knapsack gives the tariff to one side
