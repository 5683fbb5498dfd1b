"""What the host does each round."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from negotiation.behaviours.interfaces import Mediation
from negotiation.behaviours.registry import register
from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import Host
    from negotiation.view import TalksView

Goodwill = Annotated[float, Field(ge=0.0, le=0.2)]


@register("mediation", "convenor")
@dataclass
class Convenor(Mediation):
    """Host and set the rhythm, tabling no text; each round adds a little goodwill.

    Goodwill lowers both delegations' reservations (a facilitator's effect on the
    zone of agreement; Touval & Zartman 1985), up to ``cap``.
    """

    goodwill: Goodwill = 0.004
    cap: Goodwill = 0.03

    def act(self, me: Host, view: TalksView) -> Package | None:
        me.add_goodwill(self.goodwill, self.cap)
        return None


@register("mediation", "split-the-difference")
@dataclass
class SplitTheDifference(Convenor):
    """Table the midpoint of the delegations' latest offers as a text."""

    def act(self, me: Host, view: TalksView) -> Package | None:
        super().act(me, view)
        us, china = view.last_offer("US"), view.last_offer("China")
        if us is None or china is None:
            return None
        return 0.5 * (us + china)
