"""Offer (concession) strategies for delegations.

Three families, each a few lines over two helpers:

- *time-dependent* tactics (Faratin, Sierra & Jennings 1998): the aspiration falls from
  the best utility to the reservation as ``u(t) = u_max - (u_max - u_res) * t**(1/e)``;
  ``e < 1`` is Boulware (holds firm, concedes late), ``e = 1`` linear, ``e > 1`` Conceder;
- *behaviour-dependent* (imitative) tactics of the same paper: tit-for-tat, relative and
  absolute, which mirror the other side's concessions as measured in own utility;
- *trade-off* strategies that use the opponent model: Zeuthen's risk-based concession
  and logrolling, both bidding on the efficient frontier given the opponent model
  (:func:`efficient_bid`).

Every strategy is stateless between calls: the target is a function of the visible
history, so asking for the next offer (AC_next) never disturbs the current one.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.behaviours.interfaces import OfferStrategy
from negotiation.behaviours.registry import register
from negotiation.issues import Package
from negotiation.preferences import Preferences, concession_pieces

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
    )


def efficient_bid(me: Delegation, target: float) -> Package:
    """The package of own utility ``target`` that the opponent model values most.

    Concede pieces of issues toward the opponent model's ideal in decreasing order of
    (other side's gain / own loss), the last one partly, until the own utility lost
    reaches ``1 - target`` (a fractional knapsack, exact for additive piecewise-linear
    utilities; Raiffa 1982, ch. 10). With loss aversion, an issue's piece beyond the
    status quo costs more, so bids leave issues at the status quo first.
    """
    issues, starts, ends, loss, gain = concession_pieces(
        me.model.prefs, opponent_preferences(me), a_row=me.row
    )
    package = me.ideal.copy()
    budget = 1.0 - target
    for piece in np.argsort(-gain / np.maximum(loss, 1e-12), kind="stable"):
        if loss[piece] > 0:
            if budget <= 0:
                break
            share = min(budget / loss[piece], 1.0)
            budget -= share * loss[piece]
        else:
            share = 1.0  # free for me: concede it whole
        j = issues[piece]
        package[j] = starts[piece] + share * (ends[piece] - starts[piece])
    return package


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
    reaches it concedes first, and fully, the issues the opponent model says the other
    side values more than I do (order: the other's weight / own weight, per unit of
    range): a fractional knapsack, so at equal own utility its offers are worth more to
    the other side than a uniform concession (the trade-off idea of Faratin, Sierra &
    Jennings 2002, exact for linear additive utilities).
    """

    e: Exponent = 0.5

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        return efficient_bid(me, target)


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
        d = (me.reservation, float(other.utility(view.no_deal())[0]))
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
