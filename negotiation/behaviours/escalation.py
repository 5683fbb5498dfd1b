"""Leader escalation: issuing and withdrawing threats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from negotiation.behaviours.interfaces import Escalation
from negotiation.behaviours.registry import register

if TYPE_CHECKING:
    from negotiation.agents import Leader
    from negotiation.view import TalksView


@register("escalation", "stall-threat")
@dataclass
class StallThreat(Escalation):
    """Threaten when the talks stall, ease off when they move (Schelling 1966).

    Every ``patience`` rounds the leader compares the gap between the delegations'
    offers with what it was ``patience`` rounds before: if it narrowed by less than
    ``min_progress``, the side's threats gain ``step`` credibility (a reaffirmed tariff
    threat); if it narrowed by more than twice that and ``withdraw`` is set, they lose
    half a step (a softening signal).
    """

    patience: Annotated[int, Field(ge=1, le=50)] = 3
    min_progress: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    step: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    withdraw: bool = True

    def act(self, me: Leader, view: TalksView) -> None:
        gaps = view.gap_history()
        if len(gaps) <= self.patience or (len(gaps) - 1) % self.patience:
            return
        progress = gaps[-1 - self.patience] - gaps[-1]
        if progress < self.min_progress:
            me.threaten(self.step, "talks stalled, threat reaffirmed")
        elif self.withdraw and progress > 2 * self.min_progress:
            me.threaten(-self.step / 2, "talks moving, threat softened")


@register("escalation", "restraint")
@dataclass
class Restraint(Escalation):
    """Never escalate nor withdraw: the threat stays as the scenario sets it."""

    def act(self, me: Leader, view: TalksView) -> None:
        return None
