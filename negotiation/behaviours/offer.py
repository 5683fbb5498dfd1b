"""Offer (concession) strategies for delegations.

Three families, each a few lines over two helpers:

- *time-dependent* tactics (Faratin, Sierra & Jennings 1998): the aspiration falls from
  the best utility to the reservation as ``u(t) = u_max - (u_max - u_res) * t**(1/e)``;
  ``e < 1`` is Boulware (holds firm, concedes late), ``e = 1`` linear, ``e > 1`` Conceder;
- *behaviour-dependent* (imitative) tactics of the same paper: tit-for-tat, relative and
  absolute, which mirror the other side's concessions as measured in own utility;
- *trade-off* strategies that use the opponent model: Faratin, Sierra & Jennings's
  (2002) similarity trade-off (:func:`similar_bid`: at the aspired utility, the package
  nearest the other side's last offer, distance weighted by what the opponent model says
  it cares about), and Zeuthen's risk-based concession and logrolling, both bidding on
  the efficient frontier given the opponent model (:func:`efficient_bid`).

Every strategy is stateless between calls: the target is a function of the visible
history, so asking for the next offer (AC_next) never disturbs the current one.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.behaviours.interfaces import OfferStrategy
from negotiation.behaviours.registry import register
from negotiation.issues import Package
from negotiation.kernels import efficient_package
from negotiation.paths import share_for_budget
from negotiation.preferences import PIECE_GRID, Preferences, worst_distance

if TYPE_CHECKING:
    from negotiation.agents import Delegation
    from negotiation.view import TalksView

Exponent = Annotated[float, Field(gt=0.0, le=50.0)]
Share = Annotated[float, Field(gt=0.0, le=1.0)]


def aspiration(t: float, reservation: float, e: float, best: float = 1.0) -> float:
    """Faratin et al.'s time-dependent aspiration at time ``t`` in [0, 1]."""
    return best - (best - reservation) * (min(max(t, 0.0), 1.0) ** (1.0 / e))


def opponent_preferences(me: Delegation) -> Preferences:
    """The other side's preferences as ``me``'s opponent model estimates them (with the
    same reference point and loss aversion as everyone's)."""
    return Preferences.build(
        me.opponent.ideal[None, :],
        me.opponent.weights[None, :],
        me.model.space,
        me.model.prefs.loss_aversion,
        me.model.prefs.curvature,
    )


def efficient_bid(me: Delegation, target: float) -> Package:
    """The package of own utility ``target`` that the opponent model values most.

    Concede toward the opponent model's ideal, issue by issue, what the other side gains
    most from per unit of own utility lost, until the own utility lost reaches
    ``1 - target`` (Raiffa 1982, ch. 10). With the default quadratic costs this is
    solved exactly: the other side's marginal gain per own marginal loss is equalised
    across the issues conceded in part. Otherwise the issues are cut into pieces
    (:func:`~negotiation.preferences.concession_pieces`) conceded in decreasing order of
    gain per loss, the last one partly (a fractional knapsack, exact for piecewise-linear
    utilities). With loss aversion, a concession beyond the status quo costs more, so
    bids leave issues at the status quo first. Either runs as one compiled call
    (:mod:`negotiation.kernels`).
    """
    prefs, space, estimate = me.model.prefs, me.model.space, me.opponent
    package: Package = efficient_package(
        me._ideal,
        me._weight,
        me._scale,
        me._ref_dist,
        np.asarray(estimate.ideal, dtype=float),
        np.asarray(estimate.weights, dtype=float),
        space.low,
        space.high,
        space.reference,
        prefs.extra,
        prefs.curvature,
        PIECE_GRID,
        1.0 - target,
    )
    return package


def similar_bid(me: Delegation, target: float, anchor: Package) -> Package:
    """The package of own utility ``target`` nearest ``anchor`` (the other side's last
    offer), distance weighted by the opponent model's issue weights.

    Faratin, Sierra & Jennings (2002) make trade-offs by choosing, among packages on the
    iso-utility curve of the aspiration, the one most similar to the opponent's last
    offer, similarity weighted by the opponent's estimated weights. Here in closed form:
    minimising ``sum_j w_opp_j ((x_j - y_j) / span_j)**2`` subject to own utility ``target``
    retreats from ``y`` toward the own ideal at a rate ``slope_j * span_j**2 / w_opp_j``
    per issue (the Lagrange condition), each issue stopping at the own ideal. An issue
    the other side cares little about and I care much about is taken back first; one it
    cares most about is left near its offer. Concessions are therefore partial and
    different per issue (unlike the knapsack of :func:`efficient_bid`, which moves issues
    whole), and they follow what the opponent model has learned. With loss aversion the
    own utility has a kink where an issue crosses the status quo; the retreat rate uses
    the base slope and the target is met exactly on the piecewise-linear path.
    """
    ideal = me.ideal
    if me.utility(anchor) >= target:
        return anchor.copy()
    span = me.model.space.span
    toward = anchor - ideal
    dist = np.abs(toward)
    rate = me.slope * span * span / np.maximum(me.opponent.weights, 1e-3)
    moving = (dist > 0) & (rate > 0)
    if not moving.any():
        return ideal.copy()
    full = dist[moving] / rate[moving]  # mu at which each issue is back at the own ideal
    sign = np.sign(toward)
    if me._curvature != 1.0:  # curved costs: search along the path
        top = float(full.max())
        ones = np.ones_like(dist)

        def regained(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            back = anchor - sign * np.minimum(t[:, None] * top * rate, dist)
            return 1.0 - me.utility(anchor) - me.issue_losses(np.abs(back - ideal), ones)

        t = share_for_budget(regained, target - me.utility(anchor))
        return anchor - sign * np.minimum(t * top * rate, dist)
    kinks = (dist - me._ref_dist)[moving] / rate[moving]  # ... where a loss begins
    mus = np.unique(np.concatenate(([0.0], full, kinks[(kinks > 0) & np.isfinite(kinks)])))
    packages = anchor - sign * np.minimum(mus[:, None] * rate, dist)
    gone = np.abs(packages - ideal)
    if me._extra:
        gone = gone + me._extra * np.maximum(gone - me._ref_dist, 0.0)
    utilities = 1.0 - gone @ me.slope
    mu = float(np.interp(target, utilities, mus))
    return anchor - sign * np.minimum(mu * rate, dist)


def paced_bid(me: Delegation, target: float) -> Package:
    """The package of own utility ``target`` that concedes each issue at its own pace.

    Faratin, Sierra & Jennings (1998) let each issue follow its own time-dependent
    tactic, ``x_j = a_j + s**(1/beta_j) * (b_j - a_j)``. Here an issue's ``beta_j`` is its
    trade-off ratio, the other side's utility gained per unit of own utility lost over
    the whole issue (the opponent model's estimate over own cost; Raiffa 1982's logrolling
    rule): where the other side values an issue more than I do, I concede it early (a
    Conceder on that issue); where I value it more, late (Boulware). Only the ratios
    between issues matter, since ``s`` in [0, 1] is solved for, so the pace is written
    ``r**(ratio_max / ratio_j)``. Unlike the knapsack of :func:`efficient_bid`, issues
    settle part-way, at points ordered by relative salience; an issue free for me is
    conceded at once, one worthless to the other side only at the end.
    """
    ideal = me.ideal
    estimate = me.opponent.ideal
    step = estimate - ideal
    distance = np.abs(step)
    theirs_scale = worst_distance(estimate, me.model.space)
    if me._curvature != 1.0:
        own = me.weights * (distance / me._scale) ** me._curvature
        theirs = me.opponent.weights * (distance / theirs_scale) ** me._curvature
    else:
        own = me.slope * distance
        theirs = me.opponent.weights / theirs_scale * distance
    live = own > 1e-12
    if not live.any():
        return estimate.copy()
    ratio = theirs / np.where(live, own, 1.0)
    top = ratio[live].max()
    if top <= 0:
        pace = np.where(live, 1.0, 0.0)  # the other side gains nothing: concede evenly
    else:
        pace = np.where(live, top / np.maximum(ratio, top * 1e-6), 0.0)
    share = share_for_budget(lambda r: me.issue_losses(r[:, None] ** pace, distance), 1.0 - target)
    return ideal + (share**pace) * step


@register("offer", "time-dependent")
@dataclass
class TimeDependent(OfferStrategy):
    """Concede with time toward the reservation, exponent e (Faratin et al. 1998)."""

    e: Exponent = 1.0

    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        return aspiration(t, me.reservation, self.e)


@register("offer", "boulware")
@dataclass
class Boulware(TimeDependent):
    """Hold firm and concede near the deadline: e < 1 (Faratin et al. 1998)."""

    e: Exponent = 0.2


@register("offer", "linear")
@dataclass
class Linear(TimeDependent):
    """Concede at a constant rate: e = 1 (Faratin et al. 1998)."""

    e: Exponent = 1.0


@register("offer", "conceder")
@dataclass
class Conceder(TimeDependent):
    """Concede early: e > 1 (Faratin et al. 1998)."""

    e: Exponent = 5.0


@register("offer", "hardliner")
@dataclass
class Hardliner(OfferStrategy):
    """Never concede: always offer the ideal package (the take-it-or-leave-it baseline)."""

    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        return 1.0


@dataclass
class _Imitative(OfferStrategy):
    """Shared part of the tit-for-tat tactics: the other side's offers in own utility.

    ``delay`` rounds of lag before imitating (Faratin et al.'s delta), ``factor`` scales
    the imitation (1 = concede exactly as much as the other side did).
    """

    delay: Annotated[int, Field(ge=1, le=20)] = 1
    factor: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0

    def first_and_latest(self, me: Delegation, view: TalksView) -> tuple[float, float] | None:
        """Own utility of the other side's first offer and of its offer ``delay - 1``
        rounds before its latest, or ``None`` before there is anything to imitate."""
        assert me.side is not None
        offers = view.offers(view.other(me.side))
        if len(offers) < self.delay + 1:
            return None
        return me.utility(offers[0]), me.utility(offers[-self.delay])

    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        seen = self.first_and_latest(me, view)
        target = 1.0 if seen is None else self.imitate(*seen, me.reservation)
        return min(max(target, me.reservation), 1.0)

    @abstractmethod
    def imitate(self, first: float, latest: float, reservation: float) -> float:
        """The target given the other side's first and latest offers (own utility)."""


@register("offer", "tit-for-tat-absolute")
@dataclass
class AbsoluteTitForTat(_Imitative):
    """Concede as much own utility as the other side's offers gained me (Faratin et al. 1998).

    Absolute tit-for-tat: each unit of utility the other side's offers have moved toward
    me since its opening is matched by ``factor`` units of concession, so the target is
    ``1 - factor * (u(latest) - u(first))``; a retraction is matched too. Within
    [reservation, 1]; without time pressure of its own, it meets a hardliner with a
    hardline.
    """

    def imitate(self, first: float, latest: float, reservation: float) -> float:
        return 1.0 - self.factor * (latest - first)


@register("offer", "tit-for-tat-relative")
@dataclass
class RelativeTitForTat(_Imitative):
    """Concede in proportion to the other side's concessions (Faratin et al. 1998).

    Relative tit-for-tat in utility terms: when the other side's offers have closed a
    share ``p`` of their distance from my ideal (``1 - u``), I give up the same share of
    my surplus over the reservation: ``(target - r) / (1 - r) = ((1 - u(latest)) /
    (1 - u(first))) ** factor``.
    """

    def imitate(self, first: float, latest: float, reservation: float) -> float:
        kept = (1.0 - latest) / max(1.0 - first, 1e-12)
        return reservation + (1.0 - reservation) * min(kept, 1.0) ** self.factor


@register("offer", "logrolling")
@dataclass
class Logrolling(TimeDependent):
    """Time-dependent aspiration, bid by trading off issues (Raiffa 1982; Faratin et al. 2002).

    The aspiration follows exponent ``e`` (Faratin et al. 1998), but the package that
    reaches it is on the efficient frontier of the estimated utilities
    (:func:`efficient_bid`): it concedes most on the issues the opponent model says the
    other side values more than I do, so at equal own utility its offers are worth more
    to the other side than a uniform concession (the trade-off idea of Faratin, Sierra &
    Jennings 2002). With linear costs issues are conceded whole, one after another; with
    the default quadratic costs each issue is conceded until the other side's marginal
    gain per own marginal loss is the same on all of them.
    """

    e: Exponent = 0.5

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        return efficient_bid(me, target)


@register("offer", "trade-off")
@dataclass
class TradeOff(TimeDependent):
    """Time-dependent aspiration, bid by similarity trade-off (Faratin, Sierra & Jennings 2002).

    The aspiration follows exponent ``e`` (Faratin et al. 1998); the package that reaches
    it is the one on the aspiration's iso-utility curve most similar to the other side's
    last offer, similarity weighted by the opponent model's issue weights
    (:func:`similar_bid`). Before the other side has offered, its estimated ideal
    stands in. Issue by issue, a side keeps what it values and the other does not, and
    gives most where the other side has shown it cares: issues settle at different
    points between the openings, and what the opponent model learns changes where.
    """

    e: Exponent = 0.5

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        assert me.side is not None
        theirs = view.last_offer(view.other(me.side))
        return similar_bid(me, target, me.opponent.ideal if theirs is None else theirs)


@register("offer", "paced")
@dataclass
class Paced(TimeDependent):
    """Time-dependent aspiration, each issue conceded at the pace of its trade-off ratio.

    The aspiration follows exponent ``e`` (Faratin et al. 1998); the bid concedes the
    issues the opponent model says the other side values more than I do early and the
    others late (:func:`paced_bid`), so the terms differ issue by issue and follow what
    the opponent model learns, while every issue can still settle part-way.
    """

    e: Exponent = 0.5

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        return paced_bid(me, target)


@register("offer", "zeuthen")
@dataclass
class Zeuthen(OfferStrategy):
    """Concede when less willing to risk conflict (Zeuthen 1930; Harsanyi 1956).

    A side's willingness to risk conflict is ``(u(own offer) - u(other's offer)) /
    (u(own offer) - u(no deal))``; the other side's is computed with the opponent model.
    The side with the lower risk concedes, along the efficient frontier of the estimated
    utilities, to a package whose Nash product exceeds that of the other's offer by a
    share ``step`` of the remaining gap to the Nash point: 'just enough' for the other to
    concede next, made finite for continuous issues. By Harsanyi's argument the product
    of the standing offers rises every round, so the talks converge on the Nash
    bargaining point: once within ``tolerance`` of its product, the conceder offers the
    (estimated) Nash point itself, and a side offered such a package offers it back.
    """

    step: Share = 0.5
    tolerance: Annotated[float, Field(ge=0.0, le=0.5)] = 0.01

    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        assert me.side is not None
        mine, theirs = view.offers(me.side), view.offers(view.other(me.side))
        if not mine or not theirs:
            return 1.0
        other = opponent_preferences(me)
        # The conflict point is the no deal, judged alike for both sides: a private
        # reservation (resolve, goodwill) on one side only made each side think the
        # other should concede, and the talks deadlocked (Harsanyi 1956 compares the
        # risks of the same conflict outcome).
        d = (me.utility(view.no_deal()), float(other.utility(view.no_deal())[0]))
        frontier = pareto_frontier(me.model.prefs.row(me.row), other, d)
        nash = nash_point(frontier)

        def product(package: Package) -> float:
            gains = me.utility(package) - d[0], float(other.utility(package)[0]) - d[1]
            return gains[0] * gains[1] if min(gains) >= 0 else -1.0

        n_mine, n_theirs, u_theirs = product(mine[-1]), product(theirs[-1]), me.utility(theirs[-1])
        if n_theirs >= (1.0 - self.tolerance) * nash.product:
            return u_theirs  # as good as it gets: offer it back
        if n_mine > n_theirs:
            return max(me.utility(mine[-1]), d[0])  # the other side risks less: it concedes
        goal = max(n_theirs, 0.0) + self.step * (nash.product - max(n_theirs, 0.0))
        if goal >= (1.0 - self.tolerance) * nash.product:
            return nash.utilities[0]
        u = np.linspace(nash.utilities[0], 1.0, 129)
        along = np.interp(u, frontier.utilities[::-1, 0], frontier.utilities[::-1, 1])
        return float(u[(u - d[0]) * (along - d[1]) >= goal].max())

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        assert me.side is not None
        theirs = view.last_offer(view.other(me.side))
        if theirs is not None and me.utility(theirs) >= target:
            return theirs.copy()  # never ask for less than is already on offer
        return efficient_bid(me, target)
