"""The model's inner loops, compiled with numba.

These computations run so often in a run that the fixed cost of numpy calls on vectors
of a few issues was most of their time; here each is one compiled call:

- :func:`efficient_package`, the efficient bid: the package of a given own utility that
  the other side (as the opponent model estimates it) values most (Raiffa 1982,
  ch. 10).

  - For linear (and other than quadratic) costs, a fractional knapsack: each issue is
    cut into pieces between the own ideal and the opponent model's ideal, and pieces
    are conceded in decreasing order of (the other side's gain / own loss) until the own
    utility lost reaches the budget. The pieces are those of
    :func:`~negotiation.preferences.concession_pieces`: split where either side's loss
    begins (reference dependence) and, with curved costs, every ``1 / CURVED_PIECES``
    of the way (:data:`~negotiation.preferences.PIECE_GRID`). It performs the same
    floating-point operations in the same order as the numpy formulation it replaced
    (checked in ``tests/negotiation/test_kernels.py``).
  - For quadratic costs (the default, ``settings.issue_curvature = 2``), the problem is
    solved exactly instead (:func:`efficient_quadratic_package`): the knapsack is exact
    only at the ends of its pieces and linear between. Maximising ``sum_j G_j(x_j)``,
    the other side's gain from conceding ``x_j`` on issue ``j``, subject to the own loss
    ``sum_j C_j(x_j)`` being the budget, with ``C_j`` convex and ``G_j`` concave (both
    quadratic, kinked where a loss against the status quo begins; Kahneman & Tversky
    1979), the Karush–Kuhn–Tucker conditions give one multiplier ``lam`` with
    ``G_j'(x_j) = lam * C_j'(x_j)`` on every issue conceded in part: the marginal rates
    of exchange are equal across issues. Between kinks both derivatives are affine, so
    each issue's concession at a given ``lam`` is a ratio of affine functions of it
    (:func:`concession_at`), pinned at a kink while the marginal ratio jumps across
    ``lam`` there; the own loss falls continuously as ``lam`` rises, and a safeguarded
    Newton search on ``lam``, started at the problem's natural scale, meets the budget
    to rounding: a median of seven evaluations of a few multiply-adds per issue, against
    sorting about a hundred pieces.

- :func:`utility_at`, an actor's utility of a package (see
  :mod:`negotiation.preferences`): its loss per issue (:func:`loss_terms`), summed with
  the weights in a fixed order, issue by issue, each product added in one rounding
  (:func:`fused_multiply_add`). That is what OpenBLAS's ``ddot`` does for a few issues on
  hardware with fused multiply-add, so it equals numpy's ``dot`` there bit for bit, and
  it gives the same bits on hardware without (where ``dot`` would round twice).

- :func:`mix_mandates` and :func:`set_preference_rows`, the delegations' mandates after
  lobbying (:mod:`negotiation.mandate`), every round: the sums over groups and the
  element-wise updates of the numpy formulation, in its order.

Curvatures other than 1 and 2 take powers through the C library's ``pow``, which may
round the last bit unlike numpy: the efficient bid accepts that, the utility does not
(it keeps numpy for them). ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python
(slowly), for debugging.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from numba.core import types
from numba.extending import intrinsic

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]
Tensor = npt.NDArray[np.float64]  # three axes


def _exact_fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once, in plain Python (exact rational arithmetic)."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@intrinsic
def _llvm_fma(typingctx: Any, a: Any, b: Any, c: Any) -> tuple[Any, Callable[..., Any]]:
    """LLVM's ``fma`` on doubles: one rounding, in hardware or, without it, in software."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.fma(*args)

    return signature, codegen


if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]
    fused_multiply_add = _exact_fma
else:

    @numba.njit(cache=True, inline="always")
    def fused_multiply_add(a: float, b: float, c: float) -> float:
        """``a * b + c`` with a single rounding (IEEE 754 fusedMultiplyAdd)."""
        return _llvm_fma(a, b, c)  # type: ignore[call-arg]


@numba.njit(cache=True)
def loss_terms(
    package: Vector, ideal: Vector, ref_dist: Vector, scale: Vector, extra: float, squared: bool
) -> Vector:
    """Per issue, the distance of ``package`` from ``ideal`` (each unit beyond
    ``ref_dist`` counting ``1 + extra``), over ``scale`` and squared when ``squared``:
    what the weights (squared) or slopes (linear) multiply in a utility."""
    if package.shape[0] != ideal.shape[0]:
        raise ValueError("a package needs one value per issue")
    out = np.empty(package.shape[0])
    for j in range(package.shape[0]):
        out[j] = _loss_term(package[j], ideal[j], ref_dist[j], scale[j], extra, squared)
    return out


@numba.njit(cache=True, inline="always")
def _loss_term(
    value: float, ideal: float, ref_dist: float, scale: float, extra: float, squared: bool
) -> float:
    """One issue's term of :func:`loss_terms`."""
    distance = abs(value - ideal)
    if extra != 0.0:
        distance = distance + extra * max(distance - ref_dist, 0.0)
    if squared:
        closeness = distance / scale
        return closeness * closeness
    return distance


@numba.njit(cache=True)
def utility_at(
    package: Vector,
    ideal: Vector,
    ref_dist: Vector,
    scale: Vector,
    coefficients: Vector,
    extra: float,
    squared: bool,
) -> float:
    """One actor's utility of ``package``: 1 less the sum over issues of
    ``coefficients`` (the weights when ``squared``, else the slopes) times the
    :func:`loss_terms`, summed in issue order with one rounding per issue."""
    if package.shape[0] != ideal.shape[0]:
        raise ValueError("a package needs one value per issue")
    total = 0.0
    for j in range(package.shape[0]):
        term = _loss_term(package[j], ideal[j], ref_dist[j], scale[j], extra, squared)
        total = fused_multiply_add(coefficients[j], term, total)
    return 1.0 - total


@numba.njit(cache=True)
def _issue_cost(
    distance: float, ref_dist: float, extra: float, weight: float, scale: float, gamma: float
) -> float:
    """Utility lost on one issue at ``distance`` from the ideal (see
    :mod:`negotiation.preferences`), with the operations of ``_cost_grid``."""
    if extra != 0.0:
        distance = distance + extra * max(distance - ref_dist, 0.0)
    if gamma != 1.0:
        x = distance / scale
        return weight * (x * x if gamma == 2.0 else x**gamma)
    return (weight / scale) * distance


@numba.njit(cache=True)
def _kink_share(share: float) -> float:
    """A kink's share of the way, or 0 (a cut that makes no piece) when off the way."""
    return share if math.isfinite(share) and 0.0 < share < 1.0 else 0.0


@numba.njit(cache=True)
def _insert_sorted(values: Vector, count: int, value: float) -> int:
    """Insert ``value`` into the sorted ``values[:count]``; returns the new count."""
    at = count
    while at > 0 and values[at - 1] > value:
        values[at] = values[at - 1]
        at -= 1
    values[at] = value
    return count + 1


@numba.njit(cache=True)
def _cut_values(
    a: float, b: float, ref_a: float, ref_b: float, gamma: float, grid: Vector, cuts: Vector
) -> int:
    """The points that cut the way from ``a`` to ``b`` into pieces, in order along it,
    written into ``cuts``; returns how many there are. ``grid`` holds the shares of the
    way that cut curved costs (0 and 1 included)."""
    step = b - a
    length = abs(step)
    if gamma != 1.0:  # the grid and both kinks as sorted shares of the way, then values
        cuts[: grid.shape[0]] = grid
        n = _insert_sorted(cuts, grid.shape[0], _kink_share(ref_a / length))
        n = _insert_sorted(cuts, n, _kink_share(1.0 - ref_b / length))
        for c in range(n):
            cuts[c] = a + step * cuts[c]
        return n
    sign = 1.0 if b > a else -1.0
    count = 1
    cuts[0] = a
    for kink in (a + sign * ref_a, b - sign * ref_b):  # where either side's loss begins
        along = (kink - a) * sign
        if math.isfinite(kink) and 0.0 < along < length:
            at = count
            while at > 1 and (cuts[at - 1] - a) * sign > along:
                cuts[at] = cuts[at - 1]
                at -= 1
            cuts[at] = kink
            count += 1
    cuts[count] = b
    return count + 1


@numba.njit(cache=True)
def efficient_package(
    own_ideal: Vector,
    own_weight: Vector,
    own_scale: Vector,
    own_ref_dist: Vector,
    estimate_ideal: Vector,
    estimate_weight: Vector,
    low: Vector,
    high: Vector,
    reference: Vector,
    extra: float,
    gamma: float,
    grid: Vector,
    budget: float,
) -> Vector:
    """The package, starting at ``own_ideal``, that concedes toward the other side's
    estimated ideal what it values most for an own loss of ``budget``: exactly for
    quadratic costs (``gamma`` 2, :func:`efficient_quadratic_package`), otherwise by
    pieces in decreasing order of its gain per own loss, the last one in part; ties keep
    the pieces' order (issue by issue, along each issue), as a stable sort does.

    The other side's preferences are the opponent model's estimate as
    :meth:`~negotiation.preferences.Preferences.build` makes them: the ideal clipped to
    ``[low, high]``, the weights divided by their sum (:func:`pairwise_sum`, rounded as
    numpy's), losses counted from ``reference`` when ``extra`` is
    not 0. ``extra`` and ``gamma`` are the loss aversion less 1 and the curvature;
    ``grid``, the shares of the way that cut curved costs (passed in, not read from a
    module constant, so that numba's cache cannot keep an old one).

    An estimate that is not finite, or weights whose total is not positive, are refused
    (``ValueError``): the numpy formulation raised for the one and gave NaN for the other.
    """
    k = own_ideal.shape[0]
    estimate_total = pairwise_sum(estimate_weight)
    if not math.isfinite(budget):
        raise ValueError("the budget of own utility to concede must be finite")
    if not estimate_total > 0.0:
        raise ValueError("the opponent model's issue weights must have a positive total")
    for j in range(k):
        if not (math.isfinite(estimate_ideal[j]) and math.isfinite(estimate_weight[j])):
            raise ValueError("the opponent model's estimate must be finite")
    work = np.empty((4, k))  # one allocation: the estimate as Preferences.build makes it
    other_ideal, other_weight, other_scale, other_ref_dist = work[0], work[1], work[2], work[3]
    for j in range(k):
        ideal = min(max(estimate_ideal[j], low[j]), high[j])
        other_ideal[j] = ideal
        other_weight[j] = estimate_weight[j] / estimate_total
        other_scale[j] = max(max(ideal - low[j], high[j] - ideal), 1e-12)
        other_ref_dist[j] = abs(reference[j] - ideal) if extra != 0.0 else np.inf
    sides = (own_ideal, own_weight, own_scale, own_ref_dist)
    sides_other = (other_ideal, other_weight, other_scale, other_ref_dist)
    if gamma == 2.0:
        return efficient_quadratic_package(*sides, *sides_other, extra, budget)
    pieces = _pieces(*sides, *sides_other, extra, gamma, grid)
    return _concede(own_ideal, pieces, budget)


@numba.njit(cache=True)
def _pieces(
    own_ideal: Vector,
    own_weight: Vector,
    own_scale: Vector,
    own_ref_dist: Vector,
    other_ideal: Vector,
    other_weight: Vector,
    other_scale: Vector,
    other_ref_dist: Vector,
    extra: float,
    gamma: float,
    grid: Vector,
) -> tuple[npt.NDArray[np.int64], Vector, Vector, Vector, Vector]:
    """Per piece, in order (issue by issue, along each issue): its issue, start and end
    values, own utility lost and the other side's gained, as ``concession_pieces``."""
    room = grid.shape[0] + 2  # the grid's cuts and both kinks
    most = own_ideal.shape[0] * (room - 1)
    issue = np.empty(most, np.int64)
    start, end, loss, gain = np.empty(most), np.empty(most), np.empty(most), np.empty(most)
    cuts = np.empty(room)
    m = 0
    for j in range(own_ideal.shape[0]):
        a, b = own_ideal[j], other_ideal[j]
        if a == b:
            continue
        n = _cut_values(a, b, own_ref_dist[j], other_ref_dist[j], gamma, grid, cuts)
        tiny = 1e-9 * abs(b - a)
        cost_a = cost_b = 0.0
        for c in range(n):
            next_a = _issue_cost(
                abs(cuts[c] - a), own_ref_dist[j], extra, own_weight[j], own_scale[j], gamma
            )
            next_b = _issue_cost(
                abs(cuts[c] - b), other_ref_dist[j], extra, other_weight[j], other_scale[j], gamma
            )
            if c > 0 and abs(cuts[c] - cuts[c - 1]) > tiny:  # two cuts at one point: none
                issue[m], start[m], end[m] = j, cuts[c - 1], cuts[c]
                loss[m], gain[m] = next_a - cost_a, -(next_b - cost_b)
                m += 1
            cost_a, cost_b = next_a, next_b
    return issue[:m], start[:m], end[:m], loss[:m], gain[:m]


@numba.njit(cache=True)
def _stable_order(key: Vector, issue: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Indices that sort ``key`` ascending, equal keys in their order, as numpy's stable
    argsort. Pieces come issue by issue, each issue's keys ascending along it (the other
    side's gain per own loss falls along an issue): merging those runs is that order,
    ties going to the earlier issue. Should rounding leave a run unsorted, an insertion
    sort does it (NaN keys too, though not where numpy puts them: last)."""
    m = key.shape[0]
    order = np.arange(m)
    runs = np.empty(issue.shape[0] + 1, np.int64)  # where each issue's run begins
    count = 0
    for i in range(m):
        if key[i] != key[i]:  # NaN
            return _insertion_order(key)
        if i == 0 or issue[i] != issue[i - 1]:
            runs[count] = i
            count += 1
        elif not key[i - 1] <= key[i]:
            return _insertion_order(key)
    runs[count] = m
    head = runs[:count].copy()
    for out in range(m):
        best = -1
        for r in range(count):
            if head[r] < runs[r + 1] and (best < 0 or key[head[r]] < key[head[best]]):
                best = r
        order[out] = head[best]
        head[best] += 1
    return order


@numba.njit(cache=True)
def _insertion_order(key: Vector) -> npt.NDArray[np.int64]:
    """Indices that sort ``key`` ascending, equal keys in their order (insertion sort)."""
    order = np.arange(key.shape[0])
    for i in range(1, key.shape[0]):
        piece, value, at = order[i], key[order[i]], i
        while at > 0 and key[order[at - 1]] > value:
            order[at] = order[at - 1]
            at -= 1
        order[at] = piece
    return order


@numba.njit(cache=True)
def _concede(
    own_ideal: Vector,
    pieces: tuple[npt.NDArray[np.int64], Vector, Vector, Vector, Vector],
    budget: float,
) -> Vector:
    """Take pieces by decreasing gain per loss until ``budget`` is spent, the last in
    part; each issue's value is set by the furthest piece taken along it."""
    issue, start, end, loss, gain = pieces
    key = np.empty(loss.shape[0])
    for i in range(loss.shape[0]):
        key[i] = -gain[i] / max(loss[i], 1e-12)
    package = own_ideal.copy()
    last = np.full(package.shape[0], -1, np.int64)
    share = np.ones(package.shape[0])
    spent = 0.0
    for piece in _stable_order(key, issue):
        paid = max(loss[piece], 0.0)
        spent += paid
        before = spent - paid
        if paid > 0.0 and budget - before <= 0.0:
            break
        j = issue[piece]
        if piece > last[j]:
            last[j] = piece
            share[j] = min((budget - before) / loss[piece], 1.0) if loss[piece] > 0.0 else 1.0
    for j in range(package.shape[0]):
        if last[j] >= 0:
            piece = last[j]
            package[j] = start[piece] + share[j] * (end[piece] - start[piece])
    return package


# --- the efficient bid for quadratic costs, exactly (see the module docstring) -----------
SEARCH_STEPS = 200  # the Newton search's cap; it converges in about five to ten


@numba.njit(cache=True)
def _slopes(
    x: float, distance: float, own_kink: float, other_kink: float, e: float
) -> tuple[float, float, float, float]:
    """On the stretch of the way holding ``x``, the own marginal loss ``p + q x`` and the
    other's marginal gain ``u - t x``, per unit of weight over squared scale (times 2).

    The own loss at ``x`` is ``(x + e max(x - own_kink, 0))**2``; the other's, at its
    distance ``distance - x``, ``(y + e max(y - other_kink, 0))**2``."""
    if e != 0.0 and x > own_kink:
        q, p = (1.0 + e) * (1.0 + e), -(1.0 + e) * e * own_kink
    else:
        q, p = 1.0, 0.0
    if e != 0.0 and distance - x > other_kink:
        t = (1.0 + e) * (1.0 + e)
        u = t * distance - (1.0 + e) * e * other_kink
    else:
        t, u = 1.0, distance
    return p, q, u, t


@numba.njit(cache=True)
def concession_at(
    lam: float,
    distance: float,
    own_kink: float,
    other_kink: float,
    e: float,
    own_rate: float,
    other_rate: float,
) -> float:
    """How far to concede one issue at multiplier ``lam``: the ``x`` in ``[0, distance]``
    where the other's marginal gain equals ``lam`` times the own marginal loss.

    ``own_rate`` and ``other_rate`` are each side's weight over its squared scale; the
    marginal gain minus ``lam`` times the marginal loss falls along the way (concave gain,
    convex loss), so the first stretch on which it reaches 0 holds the answer, at the
    stretch's start when it jumps below 0 at a kink."""
    first = second = distance  # the kinks on the way, in order (the end if none)
    if e != 0.0:
        for kink in (own_kink, distance - other_kink):
            if 0.0 < kink < distance:
                if kink < first:
                    first, second = kink, first
                elif kink < second:
                    second = kink
    for lo, hi in ((0.0, first), (first, second), (second, distance)):
        if hi <= lo:
            continue
        p, q, u, t = _slopes(0.5 * (lo + hi), distance, own_kink, other_kink, e)
        a, b = other_rate * u - lam * own_rate * p, other_rate * t + lam * own_rate * q
        if a - b * lo <= 0.0:
            return lo
        if a - b * hi < 0.0:
            return min(max(a / b, lo), hi)
    return distance


@numba.njit(cache=True)
def _own_loss(x: float, own_kink: float, e: float, weight: float, scale: float) -> float:
    """Own utility lost at ``x`` from the ideal, as the utility counts it."""
    distance = x + e * max(x - own_kink, 0.0) if e != 0.0 else x
    closeness = distance / scale
    return weight * (closeness * closeness)


# One bid's problem, as the search passes it around: per issue the distance between the
# ideals, where the own and the other side's losses begin, the own weight and scale and
# the other side's rate (weight over squared scale); and the loss aversion less 1.
Problem = tuple[Vector, Vector, Vector, float, Vector, Vector, Vector]


@numba.njit(cache=True)
def _spend(lam: float, problem: Problem, out: Vector) -> float:
    """Concessions at ``lam`` (into ``out``) and the own utility they lose."""
    distance, own_kink, other_kink, e, weight, scale, other_rate = problem
    total = 0.0
    for j in range(distance.shape[0]):
        if distance[j] <= 0.0:
            out[j] = 0.0
            continue
        rate = weight[j] / (scale[j] * scale[j])
        out[j] = concession_at(lam, distance[j], own_kink[j], other_kink[j], e, rate, other_rate[j])
        total += _own_loss(out[j], own_kink[j], e, weight[j], scale[j])
    return total


@numba.njit(cache=True)
def _spend_slope(lam: float, x: Vector, problem: Problem) -> float:
    """d(own loss)/d(lam) at the concessions ``x`` of ``lam`` (0 for pinned issues)."""
    distance, own_kink, other_kink, e, weight, scale, other_rate = problem
    slope = 0.0
    for j in range(distance.shape[0]):
        if distance[j] <= 0.0 or x[j] <= 0.0 or x[j] >= distance[j]:
            continue
        p, q, u, t = _slopes(x[j], distance[j], own_kink[j], other_kink[j], e)
        rate = weight[j] / (scale[j] * scale[j])
        a, b = other_rate[j] * u - lam * rate * p, other_rate[j] * t + lam * rate * q
        if b <= 0.0 or abs(a / b - x[j]) > 1e-9 * distance[j]:
            continue  # pinned at a kink
        dx = -rate * (p * other_rate[j] * t + q * other_rate[j] * u) / (b * b)
        slope += 2.0 * rate * (p + q * x[j]) * dx  # C' = 2 rate (p + q x)
    return slope


@numba.njit(cache=True)
def _invert_loss(budget: float, distance: float, own_kink: float, e: float, rate: float) -> float:
    """The ``x`` in ``[0, distance]`` whose own loss ``rate * (x + e max(x - k, 0))**2``
    is ``budget``."""
    if rate <= 0.0:
        return distance
    reach = math.sqrt(budget / rate)  # the distance as the utility counts it
    x = reach if e == 0.0 or reach <= own_kink else own_kink + (reach - own_kink) / (1.0 + e)
    return min(x, distance)


@numba.njit(cache=True)
def efficient_quadratic_package(
    own_ideal: Vector,
    own_weight: Vector,
    own_scale: Vector,
    own_ref_dist: Vector,
    other_ideal: Vector,
    other_weight: Vector,
    other_scale: Vector,
    other_ref_dist: Vector,
    extra: float,
    budget: float,
) -> Vector:
    """The package that concedes from ``own_ideal`` toward ``other_ideal`` what the other
    side values most for an own utility loss of ``budget``, both sides' costs quadratic
    (weights, scales and distances to the status quo per issue, ``extra`` the loss
    aversion less 1; the other side's as the opponent model estimates them).

    The multiplier is found by :func:`_search`. If the whole way to the other's ideal
    costs less than ``budget``, the issues the other side does not care about are
    conceded with what is left, in issue order, as the knapsack does (their order does
    not matter to it)."""
    k = own_ideal.shape[0]
    work = np.empty((3, k))  # one allocation for the problem's arrays
    distance, other_rate, x = work[0], work[1], work[2]
    for j in range(k):
        distance[j] = abs(other_ideal[j] - own_ideal[j])
        other_rate[j] = other_weight[j] / (other_scale[j] * other_scale[j])
        x[j] = 0.0
    problem = (distance, own_ref_dist, other_ref_dist, extra, own_weight, own_scale, other_rate)
    if budget > 0.0:
        if _spend(0.0, problem, x) > budget:
            _search(budget, problem, x)
        else:
            left = budget
            for j in range(k):
                left -= _own_loss(x[j], own_ref_dist[j], extra, own_weight[j], own_scale[j])
            for j in range(k):
                if distance[j] > 0.0 and other_rate[j] <= 0.0 and left > 0.0:
                    rate = own_weight[j] / (own_scale[j] * own_scale[j])
                    x[j] = _invert_loss(left, distance[j], own_ref_dist[j], extra, rate)
                    left -= _own_loss(x[j], own_ref_dist[j], extra, own_weight[j], own_scale[j])
    package = own_ideal.copy()
    for j in range(k):
        if x[j] >= distance[j]:
            package[j] = other_ideal[j]
        elif x[j] > 0.0:
            package[j] = own_ideal[j] + (x[j] if other_ideal[j] > own_ideal[j] else -x[j])
    return package


@numba.njit(cache=True)
def _search(budget: float, problem: Problem, x: Vector) -> None:
    """The multiplier whose concessions lose ``budget``, concessions left in ``x`` (the
    loss at a multiplier of 0, the whole way, is known to exceed it).

    Newton steps on the monotone loss from the multiplier that would be exact without
    kinks if every issue had the average ratio of own to other rate (:func:`_first_guess`),
    kept inside the bracket the evaluations so far give (doubling while it is open above,
    bisecting when a step leaves it or the bracket does not halve in two steps: the rule
    of Numerical Recipes' ``rtsafe``), to a loss within rounding of the budget or, at
    worst, the bracket's end that is within it."""
    lo, hi = 0.0, math.inf
    lam = _first_guess(budget, problem)
    width, earlier = math.inf, math.inf  # the bracket's width one and two steps ago
    for _ in range(SEARCH_STEPS):
        spent = _spend(lam, problem, x)
        gap = spent - budget
        if abs(gap) <= 1e-14 * budget:
            return
        if gap > 0.0:
            lo = lam
        else:
            hi = lam
        if not math.isinf(hi) and hi - lo <= 1e-15 * hi:
            break
        slope = _spend_slope(lam, x, problem)
        step = lam - gap / slope if slope < 0.0 else -1.0
        # Newton while it narrows the bracket by half every two steps (it can cycle
        # about a kink, where the loss's slope jumps); bisection otherwise
        width, earlier = hi - lo, width
        if lo < step < hi and not (hi - lo > 0.5 * earlier):
            lam = step
        elif math.isinf(hi):
            lam = 2.0 * lam
        else:
            lam = 0.5 * (lo + hi)
        if lam > 1e300:  # no multiplier within range spends so little: concede nothing
            x[:] = 0.0
            return
    if math.isinf(hi):
        x[:] = 0.0
        return
    _spend(hi, problem, x)


@numba.njit(cache=True)
def _first_guess(budget: float, problem: Problem) -> float:
    """Where the search starts: without kinks, an issue with own rate ``R`` and other rate
    ``Q`` concedes ``D / (1 + lam R / Q)``, so if every issue had the loss-weighted mean
    ratio ``r`` the budget ``B`` would be met at ``lam = (sqrt(S / B) - 1) / r``, ``S`` the
    loss of the whole way."""
    distance, _, _, _, weight, scale, other_rate = problem
    whole = weighted = 0.0
    for j in range(distance.shape[0]):
        if distance[j] > 0.0 and other_rate[j] > 0.0:
            rate = weight[j] / (scale[j] * scale[j])
            loss = rate * distance[j] * distance[j]
            whole += loss
            weighted += loss * rate / other_rate[j]
    if not (whole > 0.0 and weighted > 0.0):
        return 1.0
    scale_of_lam = whole / weighted
    guess = (math.sqrt(whole / budget) - 1.0) * scale_of_lam
    # loss aversion makes the whole way cost more than ``S``: a budget above ``S`` still
    # needs a multiplier above 0, somewhat below the natural scale
    guess = max(guess, 1e-3 * scale_of_lam)
    return min(max(guess, 1e-300), 1e300) if math.isfinite(guess) else 1.0


@numba.njit(cache=True)
def mix_mandates(
    pull: Matrix, per_pull: Tensor, membership: Matrix, base: Tensor
) -> tuple[Matrix, Matrix]:
    """The delegations' mandates before their weights are renormalised (see
    :class:`~negotiation.mandate.Mandates`): per delegation ``s`` and issue ``j``, the
    pull-weighted sums over its groups ``g`` (in group order) of ``[1, ideal, weight]``,
    plus the base brief's, and the ideal and weight as ratios to the total.

    The same operations, in the same order, as ``membership @ (pull * per_pull) + base``
    in numpy (a sum over groups for each entry), so the bits are numpy's."""
    n, groups = membership.shape
    k = pull.shape[1]
    ideal = np.empty((n, k))
    weight = np.empty((n, k))
    for s in range(n):
        for j in range(k):
            total = 0.0
            position = 0.0
            salience = 0.0
            for g in range(groups):
                share = membership[s, g]
                p = pull[g, j]
                total += share * (p * per_pull[g, 0, j])
                position += share * (p * per_pull[g, 1, j])
                salience += share * (p * per_pull[g, 2, j])
            total += base[s, 0, j]
            ideal[s, j] = (position + base[s, 1, j]) / total
            weight[s, j] = (salience + base[s, 2, j]) / total
    return ideal, weight


@numba.njit(cache=True)
def row_totals(matrix: Matrix) -> Vector:
    """Each row's sum, its entries added in order: what the lockstep engine's mandate
    update computes, where a matrix-vector product's order is the BLAS library's (and
    can differ in the last bit from one machine, or one library, to another)."""
    out = np.zeros(matrix.shape[0])
    for s in range(matrix.shape[0]):
        total = 0.0
        for j in range(matrix.shape[1]):
            total += matrix[s, j]
        out[s] = total
    return out


@numba.njit(cache=True)
def set_preference_rows(
    rows: npt.NDArray[np.intp],
    ideal: Matrix,
    weight: Matrix,
    low: Vector,
    high: Vector,
    reference: Vector,
    track_reference: bool,
    prefs_ideal: Matrix,
    prefs_weight: Matrix,
    prefs_scale: Matrix,
    prefs_slope: Matrix,
    prefs_ref_dist: Matrix,
) -> None:
    """Write new positions and (normalised) weights into rows ``rows`` of a
    :class:`~negotiation.preferences.Preferences`, with the scale, slope and, when
    ``track_reference``, the distance to the reference that follow from them: the
    element-wise operations of ``Preferences.set_rows``, in one call."""
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(ideal.shape[1]):
            x = ideal[i, j]
            scale = max(max(x - low[j], high[j] - x), 1e-12)
            prefs_ideal[r, j] = x
            prefs_weight[r, j] = weight[i, j]
            prefs_scale[r, j] = scale
            prefs_slope[r, j] = weight[i, j] / scale
            if track_reference:
                prefs_ref_dist[r, j] = abs(reference[j] - x)


@numba.njit(cache=True)
def scaled_rows(rates: Vector, factor: float, matrix: Matrix, rows: npt.NDArray[np.intp]) -> Matrix:
    """``(rates * factor)[:, None] * matrix[rows]`` in one call: interest groups' pressure
    (:class:`~negotiation.behaviours.lobbying.Pressure`), the same operations in the same
    order as numpy's."""
    out = np.empty((rows.shape[0], matrix.shape[1]))
    for i in range(rows.shape[0]):
        rate = rates[i] * factor
        for j in range(matrix.shape[1]):
            out[i, j] = rate * matrix[rows[i], j]
    return out


_PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE


@numba.njit(cache=True)
def pairwise_sum(values: Vector) -> float:
    """The sum of ``values`` as numpy's ``sum`` takes it for a contiguous vector: in
    order below eight terms, otherwise with eight running sums combined pairwise, and
    above 128 terms split in halves (numpy's ``pairwise_sum``), so that it rounds the
    same way. The halving walks an explicit stack: numba's cache breaks recursive
    functions (numba issue 6061)."""
    n = values.shape[0]
    if n <= _PAIRWISE_BLOCK:
        return _block_sum(values, 0, n)
    starts = np.zeros(64, np.int64)
    sizes = np.zeros(64, np.int64)
    left = np.zeros(64)
    has_left = np.zeros(64, np.bool_)
    depth = 0
    sizes[0] = n
    while True:
        if sizes[depth] > _PAIRWISE_BLOCK:  # descend to the left half
            has_left[depth] = False
            starts[depth + 1] = starts[depth]
            sizes[depth + 1] = _left_half(sizes[depth])
            depth += 1
            continue
        value = _block_sum(values, starts[depth], sizes[depth])
        while True:  # climb while right halves are done
            if depth == 0:
                return value
            depth -= 1
            if not has_left[depth]:
                left[depth], has_left[depth] = value, True
                half = _left_half(sizes[depth])
                starts[depth + 1] = starts[depth] + half
                sizes[depth + 1] = sizes[depth] - half
                depth += 1
                break
            value = left[depth] + value


@numba.njit(cache=True)
def _left_half(n: int) -> int:
    half = n // 2
    return half - half % 8


@numba.njit(cache=True)
def _block_sum(values: Vector, start: int, n: int) -> float:
    """numpy's sum of at most 128 terms from ``start``."""
    total = 0.0
    if n < 8:
        for i in range(start, start + n):
            total += values[i]
        return total
    r = values[start : start + 8].copy()
    whole = n - n % 8
    for i in range(8, whole, 8):
        for lane in range(8):
            r[lane] += values[start + i + lane]
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for i in range(start + whole, start + n):
        total += values[i]
    return total


@numba.njit(cache=True)
def clip_package(package: Vector, low: Vector, high: Vector) -> Vector:
    """``np.minimum(np.maximum(package, low), high)`` for one package (NaN stays NaN)."""
    return clip_into(package, low, high, np.empty_like(package))


@numba.njit(cache=True)
def clip_into(package: Vector, low: Vector, high: Vector, out: Vector) -> Vector:
    """:func:`clip_package` written into ``out`` (which may be ``package``); returns it."""
    for j in range(package.shape[0]):
        value = package[j]
        if value < low[j]:
            value = low[j]
        if value > high[j]:
            value = high[j]
        out[j] = value
    return out


@numba.njit(cache=True)
def frequency_weights(
    weights: Vector, offer: Vector, previous: Vector, still: Vector, learning_rate: float
) -> Vector:
    """The frequency model's update (:class:`~negotiation.behaviours.opponent.FrequencyModel`):
    each issue that moved less than ``still`` gains ``learning_rate``, then the weights
    are renormalised; numpy's operations, in its order."""
    raw = np.empty_like(weights)
    for j in range(weights.shape[0]):
        unchanged = 1.0 if abs(offer[j] - previous[j]) < still[j] else 0.0
        raw[j] = weights[j] + learning_rate * unchanged
    return raw / pairwise_sum(raw)
