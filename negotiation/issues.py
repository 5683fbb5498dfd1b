"""The negotiated issues and packages of values over them.

An :class:`Issue` is one dimension of a deal (a tariff rate, a number of months of
suspension, million tonnes of soybeans). A *package* is one value per issue, held as a
numpy float vector in the order of :class:`IssueSpace`; offers, mediator texts and
agreements are all packages. Keeping packages as plain arrays lets utilities of many
packages be computed in one array expression (see :mod:`negotiation.preferences`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from negotiation.kernels import clip_package

Package = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Issue:
    """One negotiated dimension.

    ``status_quo`` is the value in force before the talks; ``no_deal`` is what holds if
    the deadline passes without agreement (for example the 100% tariff threat).
    ``reference`` is the value against which the parties count gains and losses, when it
    is not the status quo: an expectation-based reference point (Koszegi & Rabin 2006),
    such as the level of trade before a recent boycott that neither side has
    renormalised to (Levy 1996). ``None``: the status quo, wherever it moves.
    """

    key: str
    label: str
    unit: str
    low: float
    high: float
    status_quo: float
    no_deal: float
    focal: tuple[float, ...] = ()  # prominent values (Schelling 1960), within the bounds
    reference: float | None = None  # gains and losses counted from here (None: status quo)

    @property
    def reference_point(self) -> float:
        """The value gains and losses are counted from: ``reference``, else the status quo."""
        return self.status_quo if self.reference is None else self.reference

    @property
    def span(self) -> float:
        """Width of the feasible range."""
        return self.high - self.low

    def nearest_focal(self, value: float) -> float:
        """The focal value nearest ``value`` (``value`` itself if the issue has none)."""
        if not self.focal:
            return value
        return min(self.focal, key=lambda f: (abs(f - value), f))


class IssueSpace:
    """The ordered set of issues, with vectorised helpers for packages."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.keys: tuple[str, ...] = tuple(issue.key for issue in self.issues)
        self.index: dict[str, int] = {key: i for i, key in enumerate(self.keys)}
        self.low: Package = np.array([i.low for i in self.issues], dtype=float)
        self.high: Package = np.array([i.high for i in self.issues], dtype=float)
        self.span: Package = self.high - self.low
        self.status_quo: Package = np.array([i.status_quo for i in self.issues], dtype=float)
        self.no_deal: Package = np.array([i.no_deal for i in self.issues], dtype=float)
        self.reference: Package = np.array([i.reference_point for i in self.issues], dtype=float)
        self._gap_weights: Package = 1.0 / (self.span * len(self.issues))

    def __len__(self) -> int:
        return len(self.issues)

    def __iter__(self):
        return iter(self.issues)

    def clip(self, package: npt.ArrayLike) -> Package:
        """Return ``package`` forced within every issue's bounds."""
        values = np.asarray(package, dtype=float)
        if values.shape == self.low.shape:  # one package, every round: one compiled call
            return clip_package(values, self.low, self.high)
        return np.minimum(np.maximum(values, self.low), self.high)

    def package(self, values: Mapping[str, float], default: Package | None = None) -> Package:
        """Build a package from ``{issue key: value}``; missing keys take ``default``."""
        unknown = set(values) - set(self.keys)
        if unknown:
            raise KeyError(f"unknown issue(s) {sorted(unknown)}; the issues are {list(self.keys)}")
        base = self.status_quo if default is None else default
        out = base.copy()
        for key, value in values.items():
            out[self.index[key]] = float(value)
        return out

    def with_status_quo(self, values: Mapping[str, float]) -> IssueSpace:
        """The same issues with the status quo of some replaced (``{issue key: value}``):
        what is in force after a threat is carried out. An issue's declared ``reference``
        stays; where it has none, the reference point moves with the status quo."""
        unknown = set(values) - set(self.keys)
        if unknown:
            raise KeyError(f"unknown issue(s) {sorted(unknown)}; the issues are {list(self.keys)}")
        return IssueSpace(
            [
                replace(i, status_quo=float(values[i.key])) if i.key in values else i
                for i in self.issues
            ]
        )

    def as_dict(self, package: Package) -> dict[str, float]:
        """Return ``{issue key: value}`` for a package."""
        return {key: float(v) for key, v in zip(self.keys, package, strict=True)}

    def normalised_gap(self, a: Package, b: Package) -> float:
        """Mean absolute difference of two packages, each issue scaled by its range (0..1)."""
        return float(np.abs(a - b) @ self._gap_weights)
