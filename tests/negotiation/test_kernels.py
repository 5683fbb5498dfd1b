"""The compiled inner loops of :mod:`negotiation.kernels` against their numpy formulation.

The references below are the efficient bid as numpy calls over the pieces of
:func:`~negotiation.preferences.concession_pieces`, and an actor's utility as numpy
calls (the model's code before it was compiled). The compiled ones must give the same
numbers, bit for bit, on random preferences (linear and quadratic, with and without
loss aversion) and on every bid of real runs of every built-in scenario. Other
curvatures take powers through the C library's ``pow`` rather than numpy's, which may
round the last bit differently (the bid accepts that; the utility keeps numpy).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import negotiation.behaviours.offer as offer
from negotiation import TradeTalksModel, builtin_scenarios, load_scenario, run_once
from negotiation.agents import Delegation
from negotiation.issues import Issue, IssueSpace, Package
from negotiation.kernels import _stable_order, efficient_package, loss_terms
from negotiation.preferences import PIECE_GRID, Preferences, concession_pieces


def reference_bid(own: Preferences, other: Preferences, budget: float) -> Package:
    """The efficient bid as numpy calls: pieces sorted stably by gain per loss."""
    issues, starts, ends, loss, gain = concession_pieces(own, other)
    package = own.ideal[0].copy()
    order = np.argsort(-gain / np.maximum(loss, 1e-12), kind="stable")
    paid = np.maximum(loss[order], 0.0)
    before = np.cumsum(paid) - paid
    stops = np.flatnonzero((paid > 0) & (budget - before <= 0))
    taken = order[: stops[0] if stops.size else len(order)]
    share = np.ones(len(loss))
    costly = loss[taken] > 0
    share[taken[costly]] = np.minimum(
        (budget - before[: len(taken)][costly]) / loss[taken][costly], 1.0
    )
    if not len(taken):
        return package
    ranked = np.sort(taken)
    of = issues[ranked]
    piece = ranked[np.append(of[1:] != of[:-1], True)]
    package[issues[piece]] = starts[piece] + share[piece] * (ends[piece] - starts[piece])
    return package


def compiled_bid(
    own: Preferences, estimate: Package, weights: Package, space: IssueSpace, budget: float
) -> Package:
    """The compiled bid, given the opponent model's raw estimate."""
    return efficient_package(
        own.ideal[0],
        own.weight[0],
        own.scale[0],
        own.ref_dist[0],
        estimate,
        weights,
        float(weights.sum()),
        space.low,
        space.high,
        space.reference,
        own.extra,
        own.curvature,
        PIECE_GRID,
        budget,
    )


def random_cases(
    seed: int, count: int
) -> Iterator[tuple[Preferences, Package, Package, IssueSpace, float]]:
    """Random spaces (2 to 9 issues), preferences and budgets, some issues agreed."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        k = int(rng.integers(2, 10))
        low = rng.uniform(-5, 5, k)
        high = low + rng.uniform(0.5, 20, k)
        status_quo = rng.uniform(low, high)
        space = IssueSpace(
            [
                Issue(f"i{j}", f"i{j}", "", low[j], high[j], status_quo[j], status_quo[j])
                for j in range(k)
            ]
        )
        loss_aversion = float(rng.choice([1.0, 2.25, rng.uniform(1, 4)]))
        curvature = float(rng.choice([1.0, 2.0, rng.uniform(1, 3)]))
        own = Preferences.build(
            rng.uniform(low, high), rng.uniform(0.01, 1, k), space, loss_aversion, curvature
        )
        estimate = rng.uniform(low - 1, high + 1)  # an estimate may stray out of bounds
        same = rng.random(k) < 0.2
        estimate[same] = own.ideal[0][same]
        weights = rng.uniform(0.01, 1, k)
        yield own, estimate, weights, space, float(rng.uniform(-0.5, 1.5))


@pytest.mark.parametrize("seed", range(4))
def test_compiled_bid_equals_numpy_bid_bitwise(seed: int) -> None:
    for own, estimate, weights, space, budget in random_cases(seed, 250):
        other = Preferences.build(estimate, weights, space, own.loss_aversion, own.curvature)
        expected = reference_bid(own, other, budget)
        got = compiled_bid(own, estimate, weights, space, budget)
        if own.curvature in (1.0, 2.0):
            assert np.array_equal(got, expected), (got, expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_every_bid_of_real_runs_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = 0
    compiled = offer.efficient_bid

    def both(me: Delegation, target: float) -> Package:
        nonlocal checked
        other = offer.opponent_preferences(me)
        expected = reference_bid(me.model.prefs.row(me.row), other, 1.0 - target)
        got = compiled(me, target)
        assert np.array_equal(got, expected), (got, expected)
        checked += 1
        return got

    monkeypatch.setattr(offer, "efficient_bid", both)
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        for seed in range(2):
            run_once(scenario, seed=seed)
    assert checked > 500


def numpy_utility(own: Preferences, package: Package) -> float:
    """An actor's utility as numpy calls (the formulation before it was compiled)."""
    dist = np.abs(package - own.ideal[0])
    if own.extra:
        dist += own.extra * np.maximum(dist - own.ref_dist[0], 0.0)
    if own.curvature == 2.0:
        closeness = dist / own.scale[0]
        return 1.0 - float(own.weight[0].dot(closeness * closeness))
    return 1.0 - float(own.slope[0].dot(dist))


@pytest.mark.parametrize("seed", range(2))
def test_compiled_loss_terms_give_the_numpy_utility_bitwise(seed: int) -> None:
    checked = 0
    for own, estimate, _, space, _ in random_cases(seed, 400):
        if own.curvature not in (1.0, 2.0):
            continue
        package = space.clip(estimate)
        squared = own.curvature == 2.0
        terms = loss_terms(package, own.ideal[0], own.ref_dist[0], own.scale[0], own.extra, squared)
        weights = own.weight[0] if squared else own.slope[0]
        assert 1.0 - float(weights.dot(terms)) == numpy_utility(own, package)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("sorted_runs", [True, False])
def test_the_pieces_order_is_numpys_stable_argsort(sorted_runs: bool) -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        sizes = rng.integers(1, 20, rng.integers(1, 8))
        issue = np.repeat(np.arange(len(sizes)), sizes)
        key = np.round(rng.normal(size=len(issue)), 1)  # rounded: many ties
        if sorted_runs:
            key = np.concatenate([np.sort(run) for run in np.split(key, np.cumsum(sizes)[:-1])])
        expected = np.argsort(key, kind="stable")
        assert np.array_equal(_stable_order(key, issue), expected)


def test_a_non_finite_or_weightless_estimate_is_refused() -> None:
    own, estimate, weights, space, budget = next(random_cases(9, 1))
    bad_ideal = estimate.copy()
    bad_ideal[0] = np.nan
    with pytest.raises(ValueError, match="must be finite"):
        compiled_bid(own, bad_ideal, weights, space, budget)
    with pytest.raises(ValueError, match="positive total"):
        compiled_bid(own, estimate, 0.0 * weights, space, budget)


def test_an_actors_utility_takes_any_sequence_of_one_value_per_issue() -> None:
    model = TradeTalksModel("kuala-lumpur-2025", rng=0)
    delegation = next(iter(model.delegations.values()))
    package = model.space.status_quo
    assert delegation.utility(list(package)) == delegation.utility(package)
    with pytest.raises(ValueError, match="one value per issue"):
        delegation.utility(np.append(package, 0.0))
