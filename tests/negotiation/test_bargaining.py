"""The bargaining analysis of every run: the Pareto frontier and the Nash point are exact."""

from __future__ import annotations

import numpy as np
import pytest

from negotiation.bargaining import Frontier, nash_point, pareto_frontier
from negotiation.issues import Issue, IssueSpace
from negotiation.outcome import analyse, bargaining_measures, bargaining_measures_of
from negotiation.plan import plan_for
from negotiation.preferences import Preferences
from negotiation.scenario import load_scenario


def _random_space(rng: np.random.Generator, k: int) -> IssueSpace:
    highs = rng.uniform(1.0, 100.0, k)
    return IssueSpace([Issue(f"i{j}", f"i{j}", "", 0.0, h, 0.0, h) for j, h in enumerate(highs)])


def _random_pair(rng: np.random.Generator, space: IssueSpace) -> tuple[Preferences, Preferences]:
    ideals = rng.uniform(space.low, space.high, (2, len(space)))
    weights = rng.dirichlet(np.ones(len(space)), 2)
    return (
        Preferences.build(ideals[:1], weights[:1], space),
        Preferences.build(ideals[1:], weights[1:], space),
    )


def _sample(rng: np.random.Generator, space: IssueSpace, n: int) -> np.ndarray:
    return rng.uniform(space.low, space.high, (n, len(space)))


def _cases(flagship):  # type: ignore[no-untyped-def]
    """The flagship's delegations, and random pairs of preferences on random spaces."""
    a = analyse(flagship)
    yield flagship.space, a.us, a.china, a.frontier.disagreement
    rng = np.random.default_rng(2025)
    for k in (2, 3, 5, 8):
        space = _random_space(rng, k)
        one, two = _random_pair(rng, space)
        nd = _sample(rng, space, 1)[0]
        yield space, one, two, (float(one.utility(nd)[0]), float(two.utility(nd)[0]))


def test_frontier_vertices_are_pareto_optimal(flagship) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    for space, one, two, d in _cases(flagship):
        frontier = pareto_frontier(one, two, d)
        u = frontier.utilities
        assert np.all(np.diff(u[:, 0]) <= 1e-12) and np.all(np.diff(u[:, 1]) >= -1e-12)
        assert np.allclose(u[:, 0], one.utilities(frontier.packages)[0])
        packages = _sample(rng, space, 20_000)
        ua, ub = one.utilities(packages)[0], two.utilities(packages)[0]
        for va, vb in u:
            dominates = (
                (ua >= va - 1e-12) & (ub >= vb - 1e-12) & ((ua > va + 1e-9) | (ub > vb + 1e-9))
            )
            assert not dominates.any(), "a random package dominates a frontier vertex"


def test_nash_point_maximises_the_nash_product(flagship) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(11)
    for space, one, two, d in _cases(flagship):
        nash = nash_point(pareto_frontier(one, two, d))
        ua, ub = one.utility(nash.package)[0], two.utility(nash.package)[0]
        assert (ua, ub) == pytest.approx(nash.utilities)
        assert nash.product == pytest.approx((ua - d[0]) * (ub - d[1]))
        packages = _sample(rng, space, 50_000)
        gains = one.utilities(packages)[0] - d[0], two.utilities(packages)[0] - d[1]
        products = np.where((gains[0] >= 0) & (gains[1] >= 0), gains[0] * gains[1], -1.0)
        assert products.max() <= nash.product + 1e-9


def test_nash_point_matches_a_dense_grid_on_two_issues() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        space = _random_space(rng, 2)
        one, two = _random_pair(rng, space)
        d = (float(one.utility(space.low)[0]) * 0.5, float(two.utility(space.high)[0]) * 0.5)
        nash = nash_point(pareto_frontier(one, two, d))
        x, y = np.meshgrid(
            *(np.linspace(lo, hi, 801) for lo, hi in zip(space.low, space.high, strict=True))
        )
        grid = np.column_stack([x.ravel(), y.ravel()])
        ga, gb = one.utilities(grid)[0] - d[0], two.utilities(grid)[0] - d[1]
        best = np.where((ga >= 0) & (gb >= 0), ga * gb, -1.0).max()
        assert best <= nash.product + 1e-9
        assert best == pytest.approx(nash.product, abs=2e-3)


def test_frontier_distance_is_zero_on_the_frontier_and_positive_inside() -> None:
    frontier = Frontier(np.array([[1.0, 0.0], [0.5, 0.8], [0.0, 1.0]]), np.zeros((3, 1)), (0, 0))
    assert frontier.distance((0.75, 0.4)) == pytest.approx(0.0, abs=1e-12)
    assert frontier.distance((0.5, 0.5)) == pytest.approx(0.15 / np.sqrt(0.89))
    assert frontier.distance((0.9, 0.9)) == 0.0  # beyond the frontier counts as on it


def test_the_measures_of_many_packages_are_those_of_each() -> None:
    """bargaining_measures_of gives, bit for bit, what bargaining_measures gives for
    each package: random ones, the frontier's vertices (distance 0) and beyond them."""
    rng = np.random.default_rng(4)
    for params in ({}, {"issue_curvature": 1.0}, {"loss_aversion": 1.0}):
        analysis = plan_for(load_scenario("kuala-lumpur-2025"), params).analysis
        space = load_scenario("kuala-lumpur-2025").space
        packages = space.low + rng.random((200, len(space))) * space.span
        vertices = analysis.frontier.packages
        packages[:20] = vertices[rng.integers(0, len(vertices), 20)]
        many = bargaining_measures_of(analysis, packages)
        for row, package in zip(many.tolist(), packages, strict=True):
            assert tuple(row) == bargaining_measures(analysis, package)
