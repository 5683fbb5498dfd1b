"""The model's inner loops, compiled with numba: the same numbers, bit for bit.

Two computations run so often in a run that the fixed cost of numpy calls on vectors of
a few issues was most of its time; here each is one compiled call that performs the
same floating-point operations in the same order as the numpy formulation (checked in
``tests/negotiation/test_kernels.py``), so seeded results do not change:

- :func:`efficient_package`, the efficient bid's fractional knapsack. Bidding on the
  efficient frontier (Raiffa 1982, ch. 10) cuts each issue into pieces between the own
  ideal and the opponent model's ideal, and concedes pieces in decreasing order of (the
  other side's gain / own loss) until the own utility lost reaches the budget. The
  pieces are those of :func:`~negotiation.preferences.concession_pieces`: split where
  either side's loss begins (reference dependence) and, with curved costs, every
  ``1 / CURVED_PIECES`` of the way (:data:`~negotiation.preferences.PIECE_GRID`).
- :func:`loss_terms`, an actor's loss per issue at a package (see
  :mod:`negotiation.preferences`); the weighted sum stays numpy's ``dot``, whose
  summation order is BLAS's.

Curvatures other than 1 and 2 take powers through the C library's ``pow``, which may
round the last bit unlike numpy: the efficient bid accepts that, the utility does not
(it keeps numpy for them). ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python
(slowly), for debugging.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]


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
        distance = abs(package[j] - ideal[j])
        if extra != 0.0:
            distance = distance + extra * max(distance - ref_dist[j], 0.0)
        if squared:
            closeness = distance / scale[j]
            distance = closeness * closeness
        out[j] = distance
    return out


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
    estimate_total: float,
    low: Vector,
    high: Vector,
    reference: Vector,
    extra: float,
    gamma: float,
    grid: Vector,
    budget: float,
) -> Vector:
    """The package, starting at ``own_ideal``, that concedes pieces toward the other
    side's estimated ideal in decreasing order of its gain per own loss, the last one in
    part, until the own loss reaches ``budget``; ties keep the pieces' order (issue by
    issue, along each issue), as a stable sort does.

    The other side's preferences are the opponent model's estimate as
    :meth:`~negotiation.preferences.Preferences.build` makes them: the ideal clipped to
    ``[low, high]``, the weights divided by ``estimate_total`` (their sum, taken by numpy
    so that it is rounded as there), losses counted from ``reference`` when ``extra`` is
    not 0. ``extra`` and ``gamma`` are the loss aversion less 1 and the curvature;
    ``grid``, the shares of the way that cut curved costs (passed in, not read from a
    module constant, so that numba's cache cannot keep an old one).

    An estimate that is not finite, or weights whose total is not positive, are refused
    (``ValueError``): the numpy formulation raised for the one and gave NaN for the other.
    """
    k = own_ideal.shape[0]
    if not estimate_total > 0.0:
        raise ValueError("the opponent model's issue weights must have a positive total")
    for j in range(k):
        if not (math.isfinite(estimate_ideal[j]) and math.isfinite(estimate_weight[j])):
            raise ValueError("the opponent model's estimate must be finite")
    other_ideal = np.minimum(np.maximum(estimate_ideal, low), high)
    other_weight = estimate_weight / estimate_total
    other_scale = np.maximum(np.maximum(other_ideal - low, high - other_ideal), 1e-12)
    other_ref_dist = np.abs(reference - other_ideal) if extra != 0.0 else np.full(k, np.inf)
    pieces = _pieces(
        own_ideal,
        own_weight,
        own_scale,
        own_ref_dist,
        other_ideal,
        other_weight,
        other_scale,
        other_ref_dist,
        extra,
        gamma,
        grid,
    )
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
