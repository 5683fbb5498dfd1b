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
    package = a.ideal[0].copy()
    packages = [package.copy()]
    for piece in np.argsort(-ratio, kind="stable"):
        package[issues[piece]] = ends[piece]
        packages.append(package.copy())
    pk = np.array(packages)
    ua = a.utilities(pk)[0]
    ub = b.utilities(pk)[0]
    return Frontier(np.column_stack([ua, ub]), pk, disagreement)


def nash_point(frontier: Frontier) -> NashPoint:
    """The Nash bargaining solution on ``frontier`` (exact for linear segments)."""
    da, db = frontier.disagreement
    u, pk = frontier.utilities, frontier.packages
    best = NashPoint((float(u[0, 0]), float(u[0, 1])), pk[0], _product(u[0], da, db))
    for i in range(len(u) - 1):
        for lam in _candidates(u[i], u[i + 1], da, db):
            point = u[i] + lam * (u[i + 1] - u[i])
            value = _product(point, da, db)
            if value > best.product:
                package = pk[i] + lam * (pk[i + 1] - pk[i])
                best = NashPoint((float(point[0]), float(point[1])), package, value)
    return best


def _product(point: Array, da: float, db: float) -> float:
    ga, gb = point[0] - da, point[1] - db
    return float(ga * gb) if ga >= 0 and gb >= 0 else -1.0


def _candidates(p: Array, q: Array, da: float, db: float) -> list[float]:
    d = q - p
    out = [0.0, 1.0]
    if d[0] * d[1] != 0:
        lam = -(d[0] * (p[1] - db) + d[1] * (p[0] - da)) / (2 * d[0] * d[1])
        if 0.0 < lam < 1.0:
            out.append(float(lam))
    return out
