"""Offer (concession) strategies for delegations.

Time-dependent tactics follow Faratin, Sierra & Jennings (1998): the aspiration falls
from the best utility to the reservation as ``u(t) = u_max - (u_max - u_res) * t**(1/e)``;
``e < 1`` is Boulware (holds firm, concedes late), ``e = 1`` linear, ``e > 1`` Conceder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from negotiation.behaviours.interfaces import OfferStrategy
from negotiation.behaviours.registry import register

if TYPE_CHECKING:
    from negotiation.agents import Delegation
    from negotiation.view import TalksView

Exponent = Annotated[float, Field(gt=0.0, le=50.0)]


def aspiration(t: float, reservation: float, e: float, best: float = 1.0) -> float:
    """Faratin et al.'s time-dependent aspiration at time ``t`` in [0, 1]."""
    return best - (best - reservation) * (min(max(t, 0.0), 1.0) ** (1.0 / e))


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
    """Hold firm and concede near the deadline: time-dependent with e < 1."""

    e: Exponent = 0.2


@register("offer", "linear")
@dataclass
class Linear(TimeDependent):
    """Concede at a constant rate: time-dependent with e = 1."""

    e: Exponent = 1.0


@register("offer", "conceder")
@dataclass
class Conceder(TimeDependent):
    """Concede early: time-dependent with e > 1."""

    e: Exponent = 5.0


@register("offer", "hardliner")
@dataclass
class Hardliner(OfferStrategy):
    """Never concede: always offer the ideal package (the take-it-or-leave-it baseline)."""

    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        return 1.0
