"""Opponent models: what a delegation learns about the other side from its offers.

Models see only the other side's offers (and the public view). Beliefs are an ideal
point and issue weights (summing to 1), the estimate a strategy such as logrolling or
Zeuthen bids against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations
from typing import TYPE_CHECKING, Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

from negotiation.behaviours.interfaces import OpponentModel
from negotiation.behaviours.registry import register
from negotiation.issues import Package
from negotiation.kernels import frequency_weights
from negotiation.preferences import worst_distance

if TYPE_CHECKING:
    from negotiation.agents import Delegation
    from negotiation.view import TalksView

Array = npt.NDArray[np.float64]


@register("opponent_model", "frequency")
@dataclass
class FrequencyModel(OpponentModel):
    """Frequency-based issue weights; the opening offer anchors the ideal point.

    The HardHeaded frequency model (van Krimpen, Looije & Hajizadeh 2013), as used in
    Genius: issues on which the other side keeps its offer unchanged are the ones it
    cares about, so each unchanged issue gains ``learning_rate`` weight per offer. An
    issue counts as unchanged when it moves less than ``tolerance`` of its range. The
    other side's ideal is estimated from its first offer (what it opens with).
    """

    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.2
    tolerance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01

    def start(self, me: Delegation, view: TalksView) -> None:
        super().start(me, view)
        self._previous: Package | None = None
        self._still = self.tolerance * view.space.span  # moves smaller than this: unchanged

    def observe(self, me: Delegation, view: TalksView, offer: Package) -> None:
        if self._previous is None:
            self.ideal = offer.copy()
        else:
            self.weights = frequency_weights(
                np.asarray(self.weights, dtype=float),
                np.asarray(offer, dtype=float),
                np.asarray(self._previous, dtype=float),
                self._still,
                self.learning_rate,
            )
        self._previous = offer


@register("opponent_model", "perfect")
@dataclass
class PerfectModel(OpponentModel):
    """Know the other side's current mandate exactly (a benchmark, not a learner).

    The 'perfect model' against which opponent models are judged (Baarslag, Hendrikx,
    Hindriks & Jonker 2016): beliefs are the other delegation's true ideal and weights,
    read live, so strategies can be studied apart from learning errors.
    """

    def start(self, me: Delegation, view: TalksView) -> None:
        self.observe(me, view, view.space.status_quo)

    def observe(self, me: Delegation, view: TalksView, offer: Package) -> None:
        assert me.side is not None
        other = view.delegation(view.other(me.side))
        self.ideal, self.weights = other.ideal, other.weights  # live rows of the mandate


@lru_cache(maxsize=8)
def ranking_weights(k: int, limit: int) -> Array:
    """Weight hypotheses: one per ranking of the ``k`` issues, linear in the rank.

    Hindriks & Tykhonov (2008): the issue of rank ``r`` (1 = least important) weighs
    ``2r / (k(k+1))``. All ``k!`` rankings when there are at most ``limit``, otherwise
    ``limit`` rankings drawn with a fixed seed (the same in every run and process).
    """
    ranks = np.arange(1, k + 1, dtype=float)
    if math.factorial(k) <= limit:
        perms = np.array(list(permutations(range(k))), dtype=np.intp)
    else:
        perms = np.argsort(np.random.default_rng(k).random((limit, k)), axis=1)
    weights = (2.0 * ranks / (k * (k + 1)))[perms]
    weights.setflags(write=False)
    return weights


@register("opponent_model", "bayesian")
@dataclass
class BayesianModel(OpponentModel):
    """Bayesian learning over issue rankings and ideal directions (Hindriks & Tykhonov 2008).

    Hypotheses: every ranking of the issues (weights linear in the rank) and, per issue,
    where the other side's ideal lies: at its opening offer, the low bound or the high
    bound (their triangular, downhill and uphill evaluation functions). The other side
    is assumed to concede as a time-dependent tactic, its loss of utility growing as
    ``a * t**(1/e)``; the likelihood of a hypothesis is ``exp(-SSE / (2 noise**2))``,
    SSE being the squared misfit of the losses it implies for the offers seen, with
    ``a`` and ``e`` (from ``exponents``) fitted per hypothesis. As in the paper, weights
    and ideals are updated in turn, each given the current estimate of the other.
    Beliefs: posterior-mean weights, most probable ideal per issue.
    """

    noise: Annotated[float, Field(gt=0.0, le=1.0)] = 0.02
    exponents: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
    max_hypotheses: Annotated[int, Field(ge=1, le=100_000)] = 720

    def __post_init__(self) -> None:
        if not self.exponents or min(self.exponents) <= 0:
            raise ValueError("exponents must be positive (at least one)")

    def start(self, me: Delegation, view: TalksView) -> None:
        super().start(me, view)
        self._hypotheses = ranking_weights(len(view.space), self.max_hypotheses)
        self._offers: list[Package] = []
        self._space = view.space
        t = np.minimum(np.arange(view.rounds + 1) / view.rounds, 1.0)
        self._s = t[None, :] ** (1.0 / np.asarray(self.exponents))[:, None]  # (E, rounds+1)
        self._sums: tuple[bytes, Array, Array] | None = None  # ideal, sum(L s), sum(L^2)

    def observe(self, me: Delegation, view: TalksView, offer: Package) -> None:
        self._offers.append(offer)
        n = len(self._offers)
        if n == 1:
            self.ideal = offer.copy()
            return
        offers, s = np.asarray(self._offers), self._s[:, :n]  # offer i was made at t = i/R
        # Weights, given the ideal: every hypothesis's fit, with sums kept across rounds.
        dist = np.abs(offers - self.ideal) / worst_distance(self.ideal, self._space)  # (n, k)
        ls, ll = self._weight_sums(dist, s)
        log_like = -_misfit(ls, ll, (s * s).sum(axis=1)) / (2.0 * self.noise**2)
        posterior = np.exp(log_like - log_like.max())
        self.weights = (posterior / posterior.sum()) @ self._hypotheses
        # Ideals, given the weights: per issue, the opening offer or either bound.
        space = self._space
        candidates = np.stack([offers[0], space.low, space.high])  # (3, k)
        cand_dist = (
            np.abs(offers[None] - candidates[:, None]) / worst_distance(candidates, space)[:, None]
        )  # (3, n, k)
        loss = (dist @ self.weights)[None, None, :] + self.weights[None, :, None] * (
            cand_dist.transpose(0, 2, 1) - dist.T[None]
        )  # (3, k, n): issue j's distance replaced by each candidate's
        flat = loss.reshape(-1, n)
        misfit = _misfit(flat @ s.T, (flat * flat).sum(axis=1), (s * s).sum(axis=1))
        self.ideal = candidates[misfit.reshape(3, -1).argmin(axis=0), np.arange(len(space))]

    def _weight_sums(self, dist: Array, s: Array) -> tuple[Array, Array]:
        """Per hypothesis, sum over offers of loss x s_e and of loss^2: updated with the
        latest offer while the ideal estimate holds, recomputed when it moves."""
        key = self.ideal.tobytes()
        if self._sums is not None and self._sums[0] == key:
            loss = self._hypotheses @ dist[-1]  # (H,)
            ls = self._sums[1] + loss[:, None] * s[None, :, -1]
            ll = self._sums[2] + loss * loss
        else:
            losses = self._hypotheses @ dist.T  # (H, n)
            ls, ll = losses @ s.T, (losses * losses).sum(axis=1)
        self._sums = (key, ls, ll)
        return ls, ll


def _misfit(ls: Array, ll: Array, ss: Array) -> Array:
    """Least squared misfit of losses to ``a * s_e`` over ``a >= 0`` and the exponents e,
    from the sums ``ls = sum(loss * s_e)``, ``ll = sum(loss^2)``, ``ss = sum(s_e^2)``."""
    ss = np.maximum(ss, 1e-12)
    a = np.maximum(ls / ss, 0.0)
    return (ll[:, None] - 2.0 * a * ls + a * a * ss).min(axis=1)
