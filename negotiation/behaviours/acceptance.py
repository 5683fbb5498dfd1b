"""Acceptance strategies for delegations (Baarslag, Hindriks & Jonker 2011).

Every rule is applied only to packages at or above the delegation's reservation (the
delegation checks that first), so they decide *when* to stop bargaining, not whether a
deal beats no deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from negotiation.behaviours.interfaces import AcceptanceStrategy
from negotiation.behaviours.registry import register
from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import Delegation
    from negotiation.view import TalksView


@register("acceptance", "ac-next")
@dataclass
class ACNext(AcceptanceStrategy):
    """Accept when the package is at least as good as one's own next offer (AC_next).

    ``alpha`` scales and ``beta`` shifts the comparison: accept if
    ``alpha * u(package) + beta >= u(my next offer)`` (Baarslag, Hindriks & Jonker 2011).
    """

    alpha: Annotated[float, Field(gt=0.0, le=2.0)] = 1.0
    beta: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0

    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        return self.alpha * me.utility(package) + self.beta >= me.utility(my_next)


@register("acceptance", "ac-const")
@dataclass
class ACConst(AcceptanceStrategy):
    """Accept any package worth at least a fixed threshold in own utility (AC_const).

    Baarslag, Hindriks & Jonker (2011): a fixed aspiration, independent of time and of
    one's own offers (still never below the reservation, which the delegation checks).
    """

    threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.7

    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        return me.utility(package) >= self.threshold


@register("acceptance", "ac-time")
@dataclass
class ACTime(AcceptanceStrategy):
    """Accept anything at or above the reservation once time T has passed (AC_time).

    Baarslag, Hindriks & Jonker (2011): a deadline-driven rule; ``T`` is negotiation
    time (0 at the first round, 1 at the summit).
    """

    T: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9

    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        return view.t >= self.T


@register("acceptance", "ac-combi")
@dataclass
class ACCombi(ACNext):
    """AC_next, or after time T any package as good as the best offer seen (AC_combi).

    Baarslag, Hindriks & Jonker (2011), AC_combi(T, MAX^W): accept when AC_next does
    (``alpha``, ``beta`` as there), or when ``t >= T`` and the package is worth at least
    the best of the other side's offers in the window: ``"all"`` offers so far, or the
    ``"remaining"`` window (as long as the time left; the variant the paper found best).
    """

    T: Annotated[float, Field(ge=0.0, le=1.0)] = 0.8
    window: Literal["all", "remaining"] = "remaining"

    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        if super().accepts(me, view, package, my_next):
            return True
        t = view.t
        if t < self.T:
            return False
        assert me.side is not None
        offers = view.offers(view.other(me.side))
        if self.window == "remaining":
            first = int(np.ceil((2.0 * t - 1.0) * view.rounds - 1e-9))  # index of round t-(1-t)
            offers = offers[max(first, 0) :]
        if not offers:
            return False
        best = 1.0 - float((np.abs(np.asarray(offers) - me.ideal) @ me.slope).min())
        return me.utility(package) >= best
