"""Additive utility over issues, vectorised over actors and packages.

Every actor has, per issue, an ideal point (its position) and a salience (weight). The
utility of a value on one issue falls linearly with its distance from the ideal point,
scaled so that the worst value within the bounds scores 0; the package utility is the
salience-weighted sum, so utilities lie in [0, 1]. This is the linear additive utility
of the automated-negotiation literature (Raiffa 1982; Faratin, Sierra & Jennings 1998)
with the position/salience reading of Bueno de Mesquita's expected-utility model.

Preferences of many actors are stacked into matrices so that the utility of any number
of packages for every actor is one array expression.

*Reference dependence* (prospect theory, Kahneman & Tversky 1979; in international
bargaining, Levy 1996 and Butler 2007): with a reference package (the status quo) and a
loss-aversion coefficient ``lambda >= 1``, every unit of distance from the ideal beyond
the status quo's distance is a loss and costs ``lambda`` times a unit short of it:

    u(x) = 1 - sum_i slope_i * (d_i + (lambda - 1) * max(d_i - r_i, 0)),

with ``d_i = |x_i - ideal_i|`` and ``r_i = |sq_i - ideal_i|``. ``lambda = 1`` is the linear
utility above; Tversky & Kahneman (1992) estimate ``lambda`` about 2.25. Moving an issue
past the status quo then costs a side more than it buys the other, so efficient
agreements leave issues at the status quo (deferral) unless the gain is large.

*Diminishing marginal utility per issue* (the quadratic-loss spatial model, Enelow &
Hinich 1984; Hinich & Munger 1997): with a curvature ``gamma >= 1`` an issue's loss is
``weight_i * (e_i / scale_i) ** gamma``, ``e_i`` the (loss-averse) distance above, so the
first units of concession cost little and the last ones much. ``gamma = 1`` is the linear
utility. With ``gamma > 1`` efficient agreements are interior: an issue settles where the
two sides' marginal losses balance, instead of going whole to the side that values it
more. The Pareto frontier is then traced on pieces of at most 1/16 of each issue's way
between the ideals (piecewise-linear interpolation of the curved costs, exact at the
pieces' ends).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from negotiation.issues import IssueSpace, Package
from negotiation.kernels import set_preference_rows

Matrix = npt.NDArray[np.float64]

CURVED_PIECES = 16  # pieces per issue on which curved costs are traced (see above)


def worst_distance(ideal: npt.ArrayLike, space: IssueSpace) -> npt.NDArray[np.float64]:
    """Distance from an ideal point to the farthest bound, per issue (never zero)."""
    ideal = np.asarray(ideal, dtype=float)
    return np.maximum(np.maximum(ideal - space.low, space.high - ideal), 1e-12)


@dataclass(slots=True)
class Preferences:
    """Positions and saliences of ``m`` actors over ``k`` issues.

    ``ideal`` and ``weight`` are ``(m, k)`` arrays; weights are normalised to sum to 1 per
    actor. ``scale`` caches each ideal's distance to its farthest bound and ``slope``
    the utility lost per unit of distance (``weight / scale``), so that a utility is
    ``1 - slope @ |package - ideal|``.
    """

    ideal: Matrix
    weight: Matrix
    scale: Matrix
    slope: Matrix = field(init=False)
    reference: Package | None = None  # the reference point (status quo), every row
    loss_aversion: float = 1.0
    curvature: float = 1.0  # gamma: 1 = linear loss, 2 = quadratic
    ref_dist: Matrix = field(init=False)  # |reference - ideal|, or +inf: no losses

    def __post_init__(self) -> None:
        self.slope = self.weight / self.scale
        self.ref_dist = (
            np.abs(self.reference - self.ideal)
            if self.reference is not None and self.loss_aversion != 1.0
            else np.full_like(self.ideal, np.inf)
        )

    @property
    def floor(self) -> float:
        """The least utility any package can have: a full loss on every issue costs
        ``loss_aversion ** curvature`` (0 for linear utility without loss aversion)."""
        return 1.0 - self.loss_aversion**self.curvature

    @property
    def extra(self) -> float:
        """Extra cost of a unit of loss, ``lambda - 1`` (0: no reference dependence)."""
        return self.loss_aversion - 1.0

    @classmethod
    def build(
        cls,
        ideal: npt.ArrayLike,
        salience: npt.ArrayLike,
        space: IssueSpace,
        loss_aversion: float = 1.0,
        curvature: float = 1.0,
    ) -> Preferences:
        """Stack ideals and saliences (one row per actor) and normalise the weights; with
        ``loss_aversion`` > 1, losses are counted against the space's reference point
        (the status quo unless an issue declares its own reference); with
        ``curvature`` > 1, an issue's loss grows as that power of its distance."""
        ideal_m = np.atleast_2d(np.asarray(ideal, dtype=float))
        sal = np.atleast_2d(np.asarray(salience, dtype=float))
        totals = sal.sum(axis=1, keepdims=True)
        if np.any(totals <= 0):
            raise ValueError("every actor needs a positive total salience")
        ideal_m = np.clip(ideal_m, space.low, space.high)
        scale = worst_distance(ideal_m, space)
        return cls(ideal_m, sal / totals, scale, space.reference, loss_aversion, curvature)

    def copy(self) -> Preferences:
        """An independent copy (for a run that changes its rows)."""
        return Preferences(
            self.ideal.copy(),
            self.weight.copy(),
            self.scale.copy(),
            self.reference,
            self.loss_aversion,
            self.curvature,
        )

    def row(self, i: int) -> Preferences:
        """The preferences of actor ``i`` alone, as a one-row :class:`Preferences`."""
        return Preferences(
            self.ideal[i : i + 1],
            self.weight[i : i + 1],
            self.scale[i : i + 1],
            self.reference,
            self.loss_aversion,
            self.curvature,
        )

    def set_row(self, i: int, ideal: Package, weight: Package, space: IssueSpace) -> None:
        """Replace actor ``i``'s position and (normalised) weights in place."""
        self.ideal[i] = ideal
        self.weight[i] = weight
        self.scale[i] = worst_distance(ideal, space)
        self.slope[i] = weight / self.scale[i]
        if self.reference is not None and self.extra:
            self.ref_dist[i] = np.abs(self.reference - ideal)

    def set_rows(
        self, rows: slice | npt.NDArray[np.intp], ideal: Matrix, weight: Matrix, space: IssueSpace
    ) -> None:
        """Replace several actors' positions and (normalised) weights in place (one
        compiled call: this runs every round)."""
        indices = np.arange(len(self.ideal))[rows] if isinstance(rows, slice) else rows
        track = self.reference is not None and bool(self.extra)
        set_preference_rows(
            np.asarray(indices, dtype=np.intp),
            np.asarray(ideal, dtype=float),
            np.asarray(weight, dtype=float),
            space.low,
            space.high,
            space.low if self.reference is None else self.reference,
            track,
            self.ideal,
            self.weight,
            self.scale,
            self.slope,
            self.ref_dist,
        )

    def utility(self, package: Package) -> npt.NDArray[np.float64]:
        """Utility of one package for every actor: shape ``(m,)``."""
        dist = np.abs(package - self.ideal)
        if self.extra:
            dist = dist + self.extra * np.maximum(dist - self.ref_dist, 0.0)
        if self.curvature != 1.0:
            return 1.0 - np.einsum(
                "ij,ij->i", self.weight, _power(dist / self.scale, self.curvature)
            )
        return 1.0 - np.einsum("ij,ij->i", self.slope, dist)

    def utilities(self, packages: Matrix) -> Matrix:
        """Utility of ``n`` packages for every actor: shape ``(m, n)``."""
        packages = np.atleast_2d(packages)
        dist = np.abs(packages[None, :, :] - self.ideal[:, None, :])
        if self.extra:
            dist = dist + self.extra * np.maximum(dist - self.ref_dist[:, None, :], 0.0)
        closeness = 1.0 - (dist / self.scale[:, None, :]) ** self.curvature
        return np.einsum("ik,ink->in", self.weight, closeness)

    def issue_utility(self, package: Package) -> Matrix:
        """Per-issue weighted utility ``(m, k)``: which issues hurt which actor."""
        dist = np.abs(package - self.ideal)
        if self.extra:
            dist = dist + self.extra * np.maximum(dist - self.ref_dist, 0.0)
        return self.weight * (1.0 - (dist / self.scale) ** self.curvature)


def concession_pieces(
    a: Preferences, b: Preferences, a_row: int = 0, b_row: int = 0
) -> tuple[npt.NDArray[np.intp], Matrix, Matrix, Matrix, Matrix]:
    """The pieces of moving each issue from A's ideal to B's ideal, split where either
    side's utility has a kink (a loss begins): per piece its issue, start and end value,
    A's utility lost and B's utility gained. Within an issue both are linear on a piece,
    and B's gain per unit of A's loss never increases along the way (losses cost more),
    so conceding pieces in decreasing order of that ratio traces the exact Pareto
    frontier (a fractional knapsack; Raiffa 1982, ch. 10). With curved costs (curvature
    > 1) an issue is also cut every 1/16 of the way: the ratio still falls along it
    (convex costs), and the frontier is exact at the pieces' ends and linear between."""
    ia, ib = a.ideal[a_row], b.ideal[b_row]
    if a.curvature != 1.0 or b.curvature != 1.0:
        return _curved_pieces(a, b, a_row, b_row)
    issues, starts, ends = [], [], []
    for j in range(len(ia)):
        if ia[j] == ib[j]:
            continue
        sign = 1.0 if ib[j] > ia[j] else -1.0
        kinks = {ia[j] + sign * a.ref_dist[a_row, j], ib[j] - sign * b.ref_dist[b_row, j]}
        cuts = sorted(
            (c for c in kinks if np.isfinite(c) and 0.0 < (c - ia[j]) * sign < abs(ib[j] - ia[j])),
            key=lambda c: (c - ia[j]) * sign,
        )
        if a.curvature != 1.0 or b.curvature != 1.0:  # curved costs: short pieces
            grid = ia[j] + (ib[j] - ia[j]) * np.linspace(0.0, 1.0, CURVED_PIECES + 1)[1:-1]
            cuts = sorted([*cuts, *grid.tolist()], key=lambda c: (c - ia[j]) * sign)
        points = [ia[j], *cuts, ib[j]]
        tiny = 1e-9 * abs(ib[j] - ia[j])
        for start, end in itertools.pairwise(points):
            if abs(end - start) <= tiny:
                continue  # two kinks at (numerically) one point
            issues.append(j)
            starts.append(start)
            ends.append(end)
    index = np.array(issues, dtype=np.intp)
    start_v, end_v = np.array(starts, dtype=float), np.array(ends, dtype=float)
    loss = _issue_cost(a, a_row, index, end_v) - _issue_cost(a, a_row, index, start_v)
    gain = _issue_cost(b, b_row, index, start_v) - _issue_cost(b, b_row, index, end_v)
    return index, start_v, end_v, loss, gain


PIECE_GRID = np.linspace(0.0, 1.0, CURVED_PIECES + 1)  # the cuts of a curved issue's way
PIECE_GRID.setflags(write=False)


def _curved_pieces(
    a: Preferences, b: Preferences, a_row: int, b_row: int
) -> tuple[npt.NDArray[np.intp], Matrix, Matrix, Matrix, Matrix]:
    """:func:`concession_pieces` for curved costs, vectorised: every issue in play cut into
    :data:`CURVED_PIECES` equal pieces and, with loss aversion, where either side's loss
    begins (a cut outside the way, or on another, leaves an empty piece that is dropped).
    One row of cuts per issue; this runs for every bid of every run, so it is written as
    few array operations as possible."""
    ia, ib = a.ideal[a_row], b.ideal[b_row]
    moving = np.flatnonzero(ia != ib)
    step = (ib - ia)[moving]
    length = np.abs(step)
    shares = np.empty((len(moving), CURVED_PIECES + 3))
    shares[:, : CURVED_PIECES + 1] = PIECE_GRID
    kinks = shares[:, CURVED_PIECES + 1 :]
    kinks[:, 0] = a.ref_dist[a_row, moving] / length
    kinks[:, 1] = 1.0 - b.ref_dist[b_row, moving] / length
    kinks[~(np.isfinite(kinks) & (kinks > 0.0) & (kinks < 1.0))] = 0.0
    shares.sort(axis=1)
    points = ia[moving, None] + step[:, None] * shares  # (issues, cuts), along the way
    cost_a = _cost_grid(a, a_row, moving, points)
    cost_b = _cost_grid(b, b_row, moving, points)
    start_m, end_m = points[:, :-1], points[:, 1:]
    keep = np.abs(end_m - start_m) > 1e-9 * length[:, None]
    index = moving[np.nonzero(keep)[0]]
    loss = (cost_a[:, 1:] - cost_a[:, :-1])[keep]
    gain = -(cost_b[:, 1:] - cost_b[:, :-1])[keep]
    return index, start_m[keep], end_m[keep], loss, gain


def _cost_grid(p: Preferences, row: int, issues: npt.NDArray[np.intp], values: Matrix) -> Matrix:
    """:func:`_issue_cost` on a grid: ``values[i, c]`` is a value of issue ``issues[i]``."""
    dist = np.abs(values - p.ideal[row, issues][:, None])
    if p.extra:
        dist = dist + p.extra * np.maximum(dist - p.ref_dist[row, issues][:, None], 0.0)
    if p.curvature != 1.0:
        return p.weight[row, issues][:, None] * _power(
            dist / p.scale[row, issues][:, None], p.curvature
        )
    return p.slope[row, issues][:, None] * dist


def _power(x: Matrix, gamma: float) -> Matrix:
    """``x ** gamma``, as a product for the quadratic case (much cheaper than ``pow``)."""
    return x * x if gamma == 2.0 else x**gamma


def _issue_cost(p: Preferences, row: int, issues: npt.NDArray[np.intp], values: Matrix) -> Matrix:
    """Utility lost on each of ``issues`` at ``values``, for row ``row`` of ``p``."""
    dist = np.abs(values - p.ideal[row, issues])
    if p.extra:
        dist = dist + p.extra * np.maximum(dist - p.ref_dist[row, issues], 0.0)
    if p.curvature != 1.0:
        return p.weight[row, issues] * _power(dist / p.scale[row, issues], p.curvature)
    return p.slope[row, issues] * dist
