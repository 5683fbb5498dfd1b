"""Bargaining analysis: the Pareto frontier and the Nash bargaining solution, exactly.

For two parties with additive utilities over bounded continuous issues, only values
between the two ideal points can be efficient, and there each party's utility is
piecewise linear in the value (linear, or with a kink where a loss against the status
quo begins: see :mod:`negotiation.preferences`). The Pareto frontier is therefore the
concave polyline obtained by starting from party A's ideal package and conceding pieces
of issues to B one at a time, in decreasing order of B's marginal gain per unit of A's
marginal loss (the greedy solution of a fractional knapsack, exact for this case since
the ratio never increases along an issue; Raiffa 1982, ch. 10). The Nash
(1950) bargaining solution maximises ``(u_A - d_A)(u_B - d_B)``: on each segment the
product is a quadratic in the segment parameter, maximised in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from negotiation.issues import Package
from negotiation.preferences import Preferences, concession_pieces

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Frontier:
    """Vertices of the Pareto frontier of parties A and B, from A's ideal to B's."""

    utilities: Array  # (n_vertices, 2): u_A, u_B
    packages: Array  # (n_vertices, k)
    disagreement: tuple[float, float]

    def distance(self, point: tuple[float, float]) -> float:
        """Euclidean distance from a utility pair to the frontier (0 if on or beyond it)."""
        p = np.asarray(point, dtype=float)
        a, d, length2 = self._segments
        s = np.minimum(np.maximum(((p - a) * d).sum(axis=1) / length2, 0.0), 1.0)
        nearest = a + s[:, None] * d
        dist = float(np.sqrt(((nearest - p) ** 2).sum(axis=1)).min())
        return 0.0 if dist < 1e-9 or self._beyond(p) else dist

    def distances(self, points: Array) -> Array:
        """:meth:`distance` of each row of ``points`` (``(n, 2)``), the same operations
        element by element, so the same numbers."""
        p = np.asarray(points, dtype=float)[:, None, :]  # (n, 1, 2) against (segments, 2)
        a, d, length2 = self._segments
        s = np.minimum(np.maximum(((p - a) * d).sum(axis=2) / length2, 0.0), 1.0)
        nearest = a + s[:, :, None] * d
        dist = np.sqrt(((nearest - p) ** 2).sum(axis=2)).min(axis=1)
        u = self.utilities
        q = p[:, 0, :]
        beyond = np.any(
            (q[:, :1] >= u[:, 0] - 1e-9)
            & (q[:, 1:] >= u[:, 1] - 1e-9)
            & ((q[:, :1] > u[:, 0] + 1e-9) | (q[:, 1:] > u[:, 1] + 1e-9)),
            axis=1,
        )
        return np.where((dist < 1e-9) | beyond, 0.0, dist)

    @cached_property
    def _segments(self) -> tuple[Array, Array, Array]:
        """Start, direction and squared length of each frontier segment."""
        a = self.utilities[:-1]
        d = self.utilities[1:] - a
        return a, d, np.maximum((d * d).sum(axis=1), 1e-18)

    def _beyond(self, p: Array) -> bool:
        """True when ``p`` weakly dominates a frontier point (numerical noise only)."""
        u = self.utilities
        return bool(
            np.any(
                (p[0] >= u[:, 0] - 1e-9)
                & (p[1] >= u[:, 1] - 1e-9)
                & ((p[0] > u[:, 0] + 1e-9) | (p[1] > u[:, 1] + 1e-9))
            )
        )


@dataclass(frozen=True)
class NashPoint:
    utilities: tuple[float, float]
    package: Package
    product: float


def pareto_frontier(a: Preferences, b: Preferences, disagreement: tuple[float, float]) -> Frontier:
    """Exact Pareto frontier of one-row preferences ``a`` and ``b``."""
    issues, _, ends, loss_a, gain_b = concession_pieces(a, b)
    ratio = np.where(loss_a > 0, gain_b / np.maximum(loss_a, 1e-300), np.inf)
    order = np.argsort(-ratio, kind="stable")
    # Row r: A's ideal with the first r pieces conceded, each issue at the end of the
    # last of its pieces conceded so far (a forward fill of the pieces' ends).
    steps, k = order.shape[0], a.ideal.shape[1]
    values = np.empty((steps + 1, k))
    values[0] = a.ideal[0]
    moved = np.zeros((steps + 1, k), dtype=bool)
    moved[0] = True
    rows = np.arange(1, steps + 1)
    values[rows, issues[order]] = ends[order]
    moved[rows, issues[order]] = True
    last = np.maximum.accumulate(np.where(moved, np.arange(steps + 1)[:, None], 0), axis=0)
    pk = values[last, np.arange(k)]
    ua = a.utilities(pk)[0]
    ub = b.utilities(pk)[0]
    return Frontier(np.column_stack([ua, ub]), pk, disagreement)


def nash_point(frontier: Frontier) -> NashPoint:
    """The Nash bargaining solution on ``frontier`` (exact for linear segments).

    Every segment's candidates (its two ends and the maximiser of the product inside it)
    are evaluated at once, element by element, and the first best is taken, in the order
    of the segments and of each one's candidates."""
    da, db = frontier.disagreement
    u, pk = frontier.utilities, frontier.packages
    p, q = u[:-1], u[1:]
    d = q - p
    cross = d[:, 0] * d[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = -(d[:, 0] * (p[:, 1] - db) + d[:, 1] * (p[:, 0] - da)) / (2 * d[:, 0] * d[:, 1])
    inside = (cross != 0) & (inner > 0.0) & (inner < 1.0)
    # candidates in the order they are tried: per segment 0, 1 and (when inside) inner
    lam = np.stack([np.zeros_like(inner), np.ones_like(inner), np.where(inside, inner, 0.0)], 1)
    points = p[:, None, :] + lam[:, :, None] * d[:, None, :]
    ga, gb = points[..., 0] - da, points[..., 1] - db
    products = np.where((ga >= 0) & (gb >= 0), ga * gb, -1.0)
    products[:, 2] = np.where(inside, products[:, 2], -np.inf)
    first = _product(u[0], da, db)
    if products.size == 0 or not products.max() > first:
        return NashPoint((float(u[0, 0]), float(u[0, 1])), pk[0], first)
    i, c = divmod(int(np.argmax(products)), 3)
    point = points[i, c]
    package = pk[i] + lam[i, c] * (pk[i + 1] - pk[i])
    return NashPoint((float(point[0]), float(point[1])), package, float(products[i, c]))


def _product(point: Array, da: float, db: float) -> float:
    ga, gb = point[0] - da, point[1] - db
    return float(ga * gb) if ga >= 0 and gb >= 0 else -1.0
