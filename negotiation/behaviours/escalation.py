"""Leader escalation: issuing and withdrawing threats.

A leader acts on threats through ``me.threaten(change, label)``, which moves its side's
threat credibility, hence the no-deal package both sides expect (and their
reservations), and records the move on the timeline.
"""

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


@register("escalation", "brinkmanship")
@dataclass
class Brinkmanship(Escalation):
    """Issue a threat of set credibility, and withdraw it once the talks move (Schelling 1960).

    Brinkmanship, 'the threat that leaves something to chance' (Schelling 1960, ch. 8):
    at round ``at_round`` (if set), or as soon as the gap between the offers exceeds
    ``gap_above``, the leader raises its side's threat credibility to ``credibility``
    (the chance the threat is carried out). Once the gap has narrowed by ``progress``
    since then, it withdraws what it added. With ``repeat`` it may threaten again.
    """

    credibility: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9
    at_round: Annotated[int, Field(ge=1, le=10_000)] | None = None
    gap_above: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3
    progress: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    repeat: bool = False

    def act(self, me: Leader, view: TalksView) -> None:
        assert me.side is not None
        state = getattr(self, "_state", "ready")
        if state == "ready":
            due = self.at_round is not None and view.round >= self.at_round
            if due or view.gap() > self.gap_above:
                self._raised = max(self.credibility - view.credibility(me.side), 0.0)
                self._gap = view.gap()
                me.threaten(
                    self._raised, f"brinkmanship: threat made {self.credibility:.0%} credible"
                )
                self._state = "threatening"
        elif state == "threatening" and self._gap - view.gap() >= self.progress:
            if self._raised > 0:
                me.threaten(-self._raised, "talks moving: threat withdrawn")
            self._state = "ready" if self.repeat else "done"


@register("escalation", "retaliate")
@dataclass
class Retaliate(Escalation):
    """Answer a threat with a threat (the action-reaction of Richardson 1960; the
    escalation spirals of May 2019 and April 2025).

    Each round the leader compares the other side's threat credibility with what it was
    the round before: a rise is answered by raising its own side's threats by
    ``reaction`` times as much; a fall, if ``reciprocate`` is set, by lowering them as
    much (tit for tat in threats). A leader with no threatened issues cannot retaliate.
    """

    reaction: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    reciprocate: bool = True

    def act(self, me: Leader, view: TalksView) -> None:
        assert me.side is not None
        theirs = view.credibility(view.other(me.side))
        seen = getattr(self, "_seen", None)
        self._seen = theirs
        if seen is None or theirs == seen:
            return
        change = theirs - seen
        if change > 0:
            me.threaten(self.reaction * change, "threat answered with a counter-threat")
        elif self.reciprocate:
            me.threaten(self.reaction * change, "the other side softened: so do we")
