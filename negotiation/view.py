"""A read-only view of the talks, handed to every behaviour.

Behaviours see the state of the negotiation through this view and never change the
model directly: they return values, and the actors apply them. The view is one object
per model whose properties read the model's current state, so nothing is copied per
round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from negotiation.issues import IssueSpace, Package

if TYPE_CHECKING:
    from negotiation.agents import Delegation, Leader
    from negotiation.events import TimelineEntry
    from negotiation.model import TradeTalksModel
    from negotiation.scenario import SettingsSpec


class TalksView:
    """What any actor may know about the talks at the current round."""

    __slots__ = ("_model", "time_of")

    def __init__(self, model: TradeTalksModel) -> None:
        self._model = model
        # Negotiation time of a round: (round - 1) / rounds, capped at 1 (the summit).
        self.time_of: Callable[[int], float] = model.calendar.negotiation_time

    @property
    def space(self) -> IssueSpace:
        return self._model.space

    @property
    def sides(self) -> tuple[str, str]:
        """The two parties, in the scenario's order."""
        return self._model.sides

    @property
    def settings(self) -> SettingsSpec:
        return self._model.spec.settings

    @property
    def round(self) -> int:
        """Current round, 1-based (0 before the first)."""
        return self._model.steps

    @property
    def rounds(self) -> int:
        """Rounds before the deadline."""
        return len(self._model.calendar)

    @property
    def t(self) -> float:
        """Negotiation time: 0 at the first round, 1 at the summit.

        The summit counts as the final round: delegations plan to reach their
        reservation only there, leaving the last step to the leaders, as summit
        diplomacy does.
        """
        return self.time_of(self._model.steps)

    @property
    def t_next(self) -> float:
        return self.time_of(self._model.steps + 1)

    @property
    def days_before_summit(self) -> float:
        return self._model.calendar.round(max(self.round, 1)).days_before_summit

    def offers(self, side: str) -> list[Package]:
        """Every offer ``side`` has made so far, oldest first (do not modify)."""
        return self._model.offers[side]

    def last_offer(self, side: str) -> Package | None:
        history = self._model.offers[side]
        return history[-1] if history else None

    @property
    def text(self) -> Package | None:
        """The host's current single negotiating text, if one is on the table."""
        return self._model.text

    @property
    def goodwill(self) -> float:
        return self._model.goodwill

    def credibility(self, side: str) -> float:
        """How credible ``side``'s threats are (0..1)."""
        return self._model.credibility[side]

    def no_deal(self) -> Package:
        """The no-deal package as both sides perceive it, given current threat credibility."""
        return self._model.no_deal_perceived

    def delegation(self, side: str) -> Delegation:
        return self._model.delegations[side]

    def leader(self, side: str) -> Leader:
        return self._model.leaders[side]

    def other(self, side: str) -> str:
        first, second = self.sides
        return second if side == first else first

    def gap(self) -> float:
        """Normalised distance between the delegations' latest offers (1.0 before any)."""
        return self._model.gap

    def gap_history(self) -> list[float]:
        return self._model.gaps

    def timeline(self) -> list[TimelineEntry]:
        """What has happened so far (events, threats, vetoes), oldest first (do not modify)."""
        return self._model.timeline
