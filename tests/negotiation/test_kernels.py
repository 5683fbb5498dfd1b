"""The compiled inner loops of :mod:`negotiation.kernels` against their numpy formulation,
and the exact efficient bid for quadratic costs against its definition.

The references below are the efficient bid as numpy calls over the pieces of
:func:`~negotiation.preferences.concession_pieces`, and an actor's utility in plain
Python, summed in issue order with one rounding per issue (exact rational arithmetic):
the order the compiled utility promises on every machine. For linear costs the compiled
ones must give the same numbers, bit for bit, on random preferences (with and without
loss aversion) and on every bid of real runs. Other curvatures than 1 and 2 take powers
through the C library's ``pow`` rather than numpy's, which may round the last bit
differently (the bid accepts that; the utility keeps numpy). For quadratic costs the
bid solves the problem exactly (one multiplier): it must spend exactly its budget and
give the other side at least what the knapsack gives, on a grid 64 times finer too.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest

import negotiation.behaviours.offer as offer
from negotiation import TradeTalksModel, builtin_scenarios, kernels, load_scenario, run_once
from negotiation.agents import Delegation
from negotiation.issues import Issue, IssueSpace, Package
from negotiation.kernels import _stable_order, efficient_package, loss_terms, utility_at
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
        if own.curvature == 2.0:
            continue  # exact, not the knapsack's: see the quadratic tests below
        if own.curvature == 1.0:
            assert np.array_equal(got, expected), (got, expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_every_bid_of_real_runs_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linear costs: the knapsack, bit for bit; quadratic (every built-in scenario): the
    exact bid, at the target utility and worth at least the knapsack's to the other."""
    checked = {1.0: 0, 2.0: 0}
    compiled = offer.efficient_bid

    def both(me: Delegation, target: float) -> Package:
        own, other = me.model.prefs.row(me.row), offer.opponent_preferences(me)
        expected = reference_bid(own, other, 1.0 - target)
        got = compiled(me, target)
        if own.curvature == 1.0:
            assert np.array_equal(got, expected), (got, expected)
        else:
            assert_exact_quadratic_bid(own, other, 1.0 - target, got, expected)
        checked[own.curvature] += 1
        return got

    monkeypatch.setattr(offer, "efficient_bid", both)
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        settings = scenario.settings.model_copy(update={"issue_curvature": 1.0})
        linear = scenario.model_copy(update={"settings": settings})
        for seed in range(2):
            run_once(scenario, seed=seed)
            run_once(linear, seed=seed)
    assert checked[1.0] > 500 and checked[2.0] > 500


def assert_exact_quadratic_bid(
    own: Preferences, other: Preferences, budget: float, got: Package, knapsack: Package
) -> None:
    """``got`` spends the budget (or all there is to concede) and is worth at least the
    knapsack's bid to the other side."""
    spent = 1.0 - float(own.utility(got)[0])
    whole = 1.0 - float(own.utility(other.ideal[0])[0])
    if budget <= 0:
        assert np.array_equal(got, own.ideal[0])
    else:
        assert spent == pytest.approx(min(budget, whole), rel=1e-12, abs=1e-13)
    assert float(other.utility(got)[0]) >= float(other.utility(knapsack)[0]) - 1e-12


def exact_utility(own: Preferences, package: Package) -> float:
    """An actor's utility in plain Python, the weighted sum in issue order with one
    rounding per product and sum (exact rational arithmetic): the order the compiled
    utility promises on every machine."""
    squared = own.curvature == 2.0
    coefficients = own.weight[0] if squared else own.slope[0]
    total = 0.0
    for j in range(len(package)):
        distance = abs(float(package[j]) - float(own.ideal[0, j]))
        if own.extra:
            distance += own.extra * max(distance - float(own.ref_dist[0, j]), 0.0)
        if squared:
            closeness = distance / float(own.scale[0, j])
            distance = closeness * closeness
        total = float(Fraction(float(coefficients[j])) * Fraction(distance) + Fraction(total))
    return 1.0 - total


@pytest.mark.parametrize("seed", range(2))
def test_the_compiled_utility_sums_in_issue_order_with_one_rounding_per_issue(
    seed: int,
) -> None:
    checked = 0
    for own, estimate, _, space, _ in random_cases(seed, 400):
        if own.curvature not in (1.0, 2.0):
            continue
        package = space.clip(estimate)
        squared = own.curvature == 2.0
        coefficients = own.weight[0] if squared else own.slope[0]
        args = (own.ideal[0], own.ref_dist[0], own.scale[0], coefficients, own.extra, squared)
        assert utility_at(package, *args) == exact_utility(own, package)
        terms = loss_terms(package, own.ideal[0], own.ref_dist[0], own.scale[0], own.extra, squared)
        assert utility_at(package, *args) == pytest.approx(1.0 - coefficients @ terms, abs=1e-15)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_the_compiled_sum_rounds_as_numpys(scale: float) -> None:
    rng = np.random.default_rng(11)
    for size in [*range(0, 140), 255, 256, 257, 1000, 1031]:
        values = rng.normal(size=size) * rng.choice([scale, 1.0], size=size)
        assert kernels.pairwise_sum(values) == values.sum(), size


def test_fused_multiply_add_rounds_once() -> None:
    # 1 + 2**-52 squared is 1 + 2**-51 + 2**-104: rounding the product first loses the
    # last term, one rounding of the whole keeps it.
    a, c = 1.0 + 2.0**-52, -(1.0 + 2.0**-51)
    assert a * a + c == 0.0
    assert kernels.fused_multiply_add(a, a, c) == 2.0**-104
    assert kernels._exact_fma(a, a, c) == 2.0**-104
    rng = np.random.default_rng(3)
    for a, b, c in rng.normal(size=(2000, 3)) * rng.choice([1e-8, 1.0, 1e8], size=(2000, 3)):
        assert kernels.fused_multiply_add(a, b, c) == kernels._exact_fma(a, b, c)


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
    with pytest.raises(ValueError, match=r"budget .* must be finite"):
        compiled_bid(own, estimate, weights, space, float("nan"))


def test_an_actors_utility_takes_any_sequence_of_one_value_per_issue() -> None:
    model = TradeTalksModel("kuala-lumpur-2025", rng=0)
    delegation = next(iter(model.delegations.values()))
    package = model.space.status_quo
    assert delegation.utility(list(package)) == delegation.utility(package)
    with pytest.raises(ValueError, match="one value per issue"):
        delegation.utility(np.append(package, 0.0))


QuadraticCase = tuple[Preferences, Preferences, Package, Package, IssueSpace, float]


def quadratic_cases(seed: int, count: int) -> Iterator[QuadraticCase]:
    """Random quadratic-cost cases: own preferences, the other side's as estimated (and
    the raw estimate), a budget from nothing to more than the whole way costs."""
    rng = np.random.default_rng(seed + 100)
    for own, estimate, weights, space, _ in random_cases(seed, 4 * count):
        if own.curvature != 2.0:
            continue
        other = Preferences.build(estimate, weights, space, own.loss_aversion, 2.0)
        whole = 1.0 - float(own.utility(other.ideal[0])[0])
        yield own, other, estimate, weights, space, float(rng.uniform(-0.1, 1.2) * whole)


def fine_knapsack(own: Preferences, other: Preferences, budget: float, pieces: int) -> Package:
    """The knapsack bid with quadratic costs cut into ``pieces`` per issue."""
    k = own.ideal.shape[1]
    other_ref = other.ref_dist[0] if own.extra else np.full(k, np.inf)
    cut = kernels._pieces(
        own.ideal[0],
        own.weight[0],
        own.scale[0],
        own.ref_dist[0],
        other.ideal[0],
        other.weight[0],
        other.scale[0],
        other_ref,
        own.extra,
        2.0,
        np.linspace(0.0, 1.0, pieces + 1),
    )
    return kernels._concede(own.ideal[0], cut, budget)


@pytest.mark.parametrize("seed", range(3))
def test_the_quadratic_bid_spends_its_budget_and_beats_every_knapsack(seed: int) -> None:
    checked = 0
    for own, other, estimate, weights, space, budget in quadratic_cases(seed, 200):
        got = compiled_bid(own, estimate, weights, space, budget)
        assert np.all((got >= space.low) & (got <= space.high))
        for pieces in (16, 1024):
            assert_exact_quadratic_bid(
                own, other, budget, got, fine_knapsack(own, other, budget, pieces)
            )
        checked += 1
    assert checked > 150


def test_the_quadratic_bid_converges_to_the_knapsacks_limit() -> None:
    """A knapsack on ever finer pieces tends to the exact bid from below."""
    gaps = []
    for own, other, estimate, weights, space, budget in quadratic_cases(5, 100):
        exact = float(other.utility(compiled_bid(own, estimate, weights, space, budget))[0])
        coarse, fine = (
            float(other.utility(fine_knapsack(own, other, budget, n))[0]) for n in (16, 4096)
        )
        assert exact - fine <= exact - coarse + 1e-12
        gaps.append(exact - fine)
    assert max(gaps) < 1e-5


def marginal_loss(prefs: Preferences, j: int, distance: float) -> float:
    """d/d(distance) of ``weight * ((d + extra max(d - ref, 0)) / scale)**2`` on issue ``j``,
    off the kink."""
    beyond = prefs.extra if prefs.extra and distance > prefs.ref_dist[0][j] else 0.0
    counted = distance + beyond * (distance - prefs.ref_dist[0][j]) if beyond else distance
    return 2.0 * prefs.weight[0][j] / prefs.scale[0][j] ** 2 * counted * (1.0 + beyond)


def test_the_quadratic_bid_equalises_marginal_rates_of_exchange() -> None:
    """Raiffa's condition at the optimum: on every issue conceded in part (off the kinks),
    the other side's marginal gain per own marginal loss is the same."""
    checked = 0
    for own, other, estimate, weights, space, budget in quadratic_cases(11, 200):
        got = compiled_bid(own, estimate, weights, space, budget)
        a, b = own.ideal[0], other.ideal[0]
        ratios = []
        for j in range(len(a)):
            x, y, whole = abs(got[j] - a[j]), abs(b[j] - got[j]), abs(b[j] - a[j])
            kinks = (own.ref_dist[0][j], whole - other.ref_dist[0][j]) if own.extra else ()
            if min(x, y) <= 1e-9 * whole or any(abs(x - k) < 1e-9 * whole for k in kinks):
                continue  # not conceded, conceded whole, or pinned at a kink
            ratios.append(marginal_loss(other, j, y) / marginal_loss(own, j, x))
        if len(ratios) >= 2:
            assert max(ratios) == pytest.approx(min(ratios), rel=1e-9)
            checked += 1
    assert checked > 20


def test_the_quadratic_bid_at_its_limits() -> None:
    own, other, estimate, weights, space, _ = next(quadratic_cases(3, 50))
    assert np.array_equal(compiled_bid(own, estimate, weights, space, 0.0), own.ideal[0])
    everything = compiled_bid(own, estimate, weights, space, 10.0)
    assert np.array_equal(everything, other.ideal[0])  # the whole way, and budget to spare
    weights = weights.copy()
    weights[0] = 0.0  # an issue the other side does not care about: conceded last
    moved = other.ideal[0][0] != own.ideal[0][0]
    whole = compiled_bid(own, estimate, weights, space, 10.0)
    assert whole[0] == (other.ideal[0][0] if moved else own.ideal[0][0])
    rest = 1.0 - float(own.utility(np.where(np.arange(len(whole)) == 0, own.ideal[0], whole))[0])
    assert compiled_bid(own, estimate, weights, space, rest)[0] == own.ideal[0][0]


def test_a_budget_too_small_for_any_multiplier_concedes_nothing() -> None:
    """Weights so extreme that no multiplier up to 1e300 spends as little as the budget:
    the bid stays at the own ideal, within budget, rather than overspending."""
    one = np.array([1.0])
    package = kernels.efficient_quadratic_package(
        np.array([0.0]), np.array([1e-300]), one, one, np.array([10.0]), one, one, one, 0.0, 1e-305
    )
    assert package[0] == 0.0


def test_the_compiled_clip_is_numpys() -> None:
    rng = np.random.default_rng(13)
    low, high = np.array([0.0, -1.0, -0.0, 2.0]), np.array([1.0, 0.0, 0.0, 2.0])
    for _ in range(500):
        package = rng.normal(size=4) * 2.0
        package[rng.random(4) < 0.1] = np.nan
        expected = np.minimum(np.maximum(package, low), high)
        assert np.array_equal(kernels.clip_package(package, low, high), expected, equal_nan=True)


def test_the_compiled_frequency_update_is_numpys() -> None:
    rng = np.random.default_rng(17)
    for size in range(1, 12):
        weights = rng.dirichlet(np.ones(size))
        previous = rng.random(size)
        offer = previous + rng.choice([0.0, 1e-3, 0.3], size=size)
        still, rate = np.full(size, 0.01), float(rng.uniform(0.01, 2.0))
        raw = weights + rate * (np.abs(offer - previous) < still)
        got = kernels.frequency_weights(weights, offer, previous, still, rate)
        assert np.array_equal(got, raw / raw.sum())
