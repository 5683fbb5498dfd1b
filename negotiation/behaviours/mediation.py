"""What the host does each round: convene (goodwill), or table a text.

Texts are packages the host proposes; both delegations judge them with their acceptance
strategies, like an offer from the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.behaviours import registry
from negotiation.behaviours.interfaces import Mediation, OpponentModel
from negotiation.behaviours.registry import register
from negotiation.issues import Package
from negotiation.preferences import Preferences

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
    """Table the midpoint of the delegations' latest offers as a text.

    Splitting the difference, the focal compromise of Schelling (1960) and the simplest
    arbitration rule of Raiffa (1982, ch. 4); it also adds goodwill as a convenor does.
    """

    def act(self, me: Host, view: TalksView) -> Package | None:
        super().act(me, view)
        us, china = (view.last_offer(side) for side in view.sides)
        if us is None or china is None:
            return None
        return 0.5 * (us + china)


@register("mediation", "single-text")
@dataclass
class SingleText(Convenor):
    """Table one negotiating text and move it toward the estimated Nash point (Raiffa 1982).

    The single-negotiating-text procedure (Fisher's one-text procedure, as used at Camp
    David; Raiffa 1982, ch. 14): the host estimates each side's preferences from its
    offers with the opponent model named by ``learner`` (ideal from what it asks for,
    weights from where it concedes), tables the midpoint of the opening offers, and each
    round moves the text a share ``rate`` of the way to the Nash bargaining point of the
    estimated preferences (the no-deal package as the disagreement point). It still adds
    goodwill as a convenor does.
    """

    rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.3
    learner: str = "frequency"

    def __post_init__(self) -> None:
        registry.get("opponent_model", self.learner)  # an unknown name fails validation

    def _start(self, view: TalksView) -> None:
        """One learner per side, watching it as the other delegation would."""
        self._learners: dict[str, OpponentModel] = {}
        self._seen = dict.fromkeys(view.sides, 0)
        for side in view.sides:
            learner = registry.get("opponent_model", self.learner).build()
            learner.start(view.delegation(view.other(side)), view)
            self._learners[side] = learner
        first, second = view.sides
        self._text: Package = 0.5 * (view.offers(first)[0] + view.offers(second)[0])

    def _estimate(self, side: str, view: TalksView) -> Preferences:
        """The host's current estimate of ``side``'s preferences, fed its new offers."""
        learner, offers = self._learners[side], view.offers(side)
        watcher = view.delegation(view.other(side))
        for offer in offers[self._seen[side] :]:
            learner.observe(watcher, view, offer)
        self._seen[side] = len(offers)
        return Preferences.build(
            learner.ideal[None, :],
            learner.weights[None, :],
            view.space,
            view.settings.loss_aversion,
            view.settings.issue_curvature,
        )

    def act(self, me: Host, view: TalksView) -> Package | None:
        super().act(me, view)
        if not all(view.offers(side) for side in view.sides):
            return None
        if not hasattr(self, "_learners"):
            self._start(view)
        first, second = (self._estimate(side, view) for side in view.sides)
        no_deal = view.no_deal()
        disagreement = (float(first.utility(no_deal)[0]), float(second.utility(no_deal)[0]))
        target = nash_point(pareto_frontier(first, second, disagreement)).package
        self._text = self._text + self.rate * (target - self._text)
        return self._text.copy()
