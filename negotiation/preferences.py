"""Additive utility over issues, vectorised over actors and packages.

Every actor has, per issue, an ideal point (its position) and a salience (weight). The
utility of a value on one issue falls linearly with its distance from the ideal point,
scaled so that the worst value within the bounds scores 0; the package utility is the
salience-weighted sum, so utilities lie in [0, 1]. This is the linear additive utility
of the automated-negotiation literature (Raiffa 1982; Faratin, Sierra & Jennings 1998)
with the position/salience reading of Bueno de Mesquita's expected-utility model.

Preferences of many actors are stacked into matrices so that the utility of any number
of packages for every actor is one array expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from negotiation.issues import IssueSpace, Package

Matrix = npt.NDArray[np.float64]


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

    def __post_init__(self) -> None:
        self.slope = self.weight / self.scale

    @classmethod
    def build(cls, ideal: npt.ArrayLike, salience: npt.ArrayLike, space: IssueSpace) -> Preferences:
        """Stack ideals and saliences (one row per actor) and normalise the weights."""
        ideal_m = np.atleast_2d(np.asarray(ideal, dtype=float))
        sal = np.atleast_2d(np.asarray(salience, dtype=float))
        totals = sal.sum(axis=1, keepdims=True)
        if np.any(totals <= 0):
            raise ValueError("every actor needs a positive total salience")
        ideal_m = np.clip(ideal_m, space.low, space.high)
        return cls(ideal_m, sal / totals, worst_distance(ideal_m, space))

    def row(self, i: int) -> Preferences:
        """The preferences of actor ``i`` alone, as a one-row :class:`Preferences`."""
        return Preferences(self.ideal[i : i + 1], self.weight[i : i + 1], self.scale[i : i + 1])

    def set_row(self, i: int, ideal: Package, weight: Package, space: IssueSpace) -> None:
        """Replace actor ``i``'s position and (normalised) weights in place."""
        self.ideal[i] = ideal
        self.weight[i] = weight
        self.scale[i] = worst_distance(ideal, space)
        self.slope[i] = weight / self.scale[i]

    def set_rows(
        self, rows: slice | npt.NDArray[np.intp], ideal: Matrix, weight: Matrix, space: IssueSpace
    ) -> None:
        """Replace several actors' positions and (normalised) weights in place."""
        self.ideal[rows] = ideal
        self.weight[rows] = weight
        scale = np.maximum(np.maximum(ideal - space.low, space.high - ideal), 1e-12)
        self.scale[rows] = scale
        self.slope[rows] = weight / scale

    def utility(self, package: Package) -> npt.NDArray[np.float64]:
        """Utility of one package for every actor: shape ``(m,)``."""
        return 1.0 - np.einsum("ij,ij->i", self.slope, np.abs(package - self.ideal))

    def utilities(self, packages: Matrix) -> Matrix:
        """Utility of ``n`` packages for every actor: shape ``(m, n)``."""
        packages = np.atleast_2d(packages)
        closeness = (
            1.0 - np.abs(packages[None, :, :] - self.ideal[:, None, :]) / self.scale[:, None, :]
        )
        return np.einsum("ik,ink->in", self.weight, closeness)

    def issue_utility(self, package: Package) -> Matrix:
        """Per-issue weighted utility ``(m, k)``: which issues hurt which actor."""
        return self.weight * (1.0 - np.abs(package - self.ideal) / self.scale)
