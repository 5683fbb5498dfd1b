"""The actors of the talks, as Mesa agents that own their decisions.

- :class:`Delegation` (US, China) proposes and answers packages for its government,
  within a mandate that domestic lobbying shifts (Putnam's level I).
- :class:`Leader` (Trump, Xi) ratifies or rejects what the delegations agreed, can
  escalate threats, and can close a small gap at the summit (level II).
- :class:`Host` (Malaysia) convenes, adding goodwill; as a mediator it tables a text.
- :class:`InterestGroup` lobbies its delegation between rounds and votes at ratification.

Each actor delegates its choices to behaviours found by name in the registry; the actor
applies what they return. Preferences live in the model's stacked
:class:`~negotiation.preferences.Preferences` (row ``self.row``), so the utility of a
package for every actor is one array expression.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import numpy.typing as npt

from negotiation.behaviours.interfaces import Verdict
from negotiation.issues import Package
from negotiation.kernels import utility_at
from negotiation.paths import share_for_budget

if TYPE_CHECKING:
    from negotiation.model import TradeTalksModel
    from negotiation.scenario import ActorSpec


class Actor(mesa.Agent):
    """Common identity of every actor: key, label, side and preference row."""

    model: TradeTalksModel

    def __init__(self, model: TradeTalksModel, spec: ActorSpec, row: int | None) -> None:
        super().__init__(model)
        self.key: str = spec.key
        self.label: str = spec.label
        self.side: str | None = spec.side
        self.spec = spec
        self.row: int = -1 if row is None else row  # -1: no preferences (the host)
        if row is not None:
            # Read-only views of this actor's row of the model's preference arrays,
            # which are updated in place and never replaced: always current, no
            # per-call lookup, and behaviours cannot change them by accident.
            prefs = model.prefs
            ideal, weight, slope, ref_dist, scale = model.read_only_prefs
            self._ideal: Package = ideal[row]
            self._weight: Package = weight[row]
            self._slope: Package = slope[row]
            self._ref_dist: Package = ref_dist[row]
            self._scale: Package = scale[row]
            self._extra = prefs.extra
            self._curvature = prefs.curvature
            self._squared = prefs.curvature == 2.0
            self._compiled = prefs.curvature in (1.0, 2.0)  # see negotiation.kernels

    def _behaviour(self, field: str) -> Any:
        """A fresh instance of this actor's behaviour for ``field`` (its kind).

        Parameters are validated once per plan and reused by every run.
        """
        cls, params = self.model.behaviour_specs[(self.key, field)]
        return cls(**params)

    def utility(self, package: Package) -> float:
        """This actor's utility of ``package`` (1 at its ideal; see
        :mod:`negotiation.preferences` for the loss term)."""
        if self._compiled:
            return utility_at(
                np.asarray(package, dtype=float),
                self._ideal,
                self._ref_dist,
                self._scale,
                self._weight if self._squared else self._slope,
                self._extra,
                self._squared,
            )
        dist = np.abs(package - self._ideal)  # other curvatures: numpy's power
        if self._extra:
            dist += self._extra * np.maximum(dist - self._ref_dist, 0.0)
        return 1.0 - float(self._weight.dot((dist / self._scale) ** self._curvature))

    def issue_losses(self, shares: npt.NDArray[np.float64], step: Package) -> Package:
        """Own utility lost at each row of ``shares * step`` away from the ideal (rows of
        ``shares`` are share vectors over the issues, or one column for all): the loss
        function of every bid that searches along a path."""
        gone = np.abs(shares * step)
        if self._extra:
            gone = gone + self._extra * np.maximum(gone - self._ref_dist, 0.0)
        if self._curvature != 1.0:
            return (gone / self._scale) ** self._curvature @ self._weight
        return gone @ self._slope

    @property
    def ideal(self) -> Package:
        """This actor's current ideal package (a live, read-only view)."""
        return self._ideal

    @property
    def weights(self) -> Package:
        """This actor's current issue weights, summing to 1 (a live, read-only view)."""
        return self._weight

    @property
    def slope(self) -> Package:
        """Utility lost per unit of distance from the ideal, per issue (a live, read-only
        view)."""
        return self._slope


def _share_for_loss(
    budget: float, slope: Package, step: Package, ref_dist: Package, extra: float
) -> float:
    """The share ``c`` in [0, 1] of the way along ``step`` whose utility loss is
    ``budget``, when a unit beyond the status quo costs ``1 + extra`` units: the loss is
    convex piecewise linear in ``c``, kinked where each issue passes its status quo."""
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks = np.where(step > 0, ref_dist / step, np.inf)
    cuts = np.unique(np.concatenate(([0.0], kinks[(kinks > 0) & (kinks < 1)], [1.0])))
    lost = np.array(
        [float(slope.dot(c * step + extra * np.maximum(c * step - ref_dist, 0.0))) for c in cuts]
    )
    if budget <= 0:
        return 0.0
    if budget >= lost[-1]:
        return 1.0
    return float(np.interp(budget, lost, cuts))


class InterestGroup(Actor):
    """A domestic constituency: lobbies its delegation and votes at ratification."""

    def __init__(self, model: TradeTalksModel, spec: ActorSpec, row: int) -> None:
        super().__init__(model, spec, row)
        self.influence: float = spec.influence
        self.urgency: float = spec.urgency
        self.lobbying = self._behaviour("lobbying")

    def lobby(self) -> None:
        """Push the delegation's mandate toward this group's positions."""
        assert self.side is not None
        push = self.lobbying.pressure(self, self.model.view)
        self.model.delegations[self.side].receive_lobbying(self, push)

    def mobilise(self, amount: float) -> None:
        """Become louder (or quieter) after an event."""
        self.urgency = max(0.0, self.urgency + amount)

    @property
    def reservation(self) -> float:
        """Utility of the no-deal package: a deal worse than this gets no approval."""
        return self.utility(self.model.no_deal_perceived)


class Delegation(Actor):
    """A negotiating team: proposes, learns, accepts, within a lobbied mandate."""

    def __init__(self, model: TradeTalksModel, spec: ActorSpec, row: int, side_index: int) -> None:
        super().__init__(model, spec, row)
        mandates = model.mandates
        self.side_index = side_index
        # Views into the shared mandate arrays: changing them changes the mandate.
        self.base_ideal: Package = mandates.base_ideal[side_index]
        self.base_weight: Package = mandates.base_weight[side_index]
        self.pull = mandates.pull[mandates.block(side_index)]
        self.group_index: dict[str, int] = {}
        self.reservation_shift: float = spec.reservation_shift
        self.floor: float = -np.inf  # raised after a veto at home
        self._reservation_key: tuple[float, ...] = ()
        self._reservation = 0.0
        self.offer = self._behaviour("offer")
        self.acceptance = self._behaviour("acceptance")
        self.opponent = self._behaviour("opponent_model")
        self.last_next: Package | None = None
        self.holding = False  # holding its offer: conceding more would fail at home

    # --- mandate (see negotiation.mandate) -----------------------------------------------
    def receive_lobbying(self, group: InterestGroup, push: Package) -> None:
        """Accumulate a group's pull; the mandate is updated once all groups have lobbied."""
        mandates = self.model.mandates
        mandates.add(mandates.block(self.side_index).start + self.group_index[group.key], push)

    def update_mandate(self) -> None:
        """Bring the mandate up to date with the lobbying received (both sides at once)."""
        self.model.update_mandates()

    def harden(self, issues: tuple[int, ...], rejected: Package) -> None:
        """After a veto at home: weigh the failing issues more, never offer that again."""
        factor = 1.0 + self.model.spec.settings.veto_hardening
        if issues:
            self.base_weight[list(issues)] *= factor
            self.base_weight /= self.base_weight.sum()
            self.model.mandates.changed = True
            self.update_mandate()
        self.floor = max(self.floor, self.utility(rejected) + 0.01)

    @property
    def reservation(self) -> float:
        """Least utility acceptable: the no-deal utility, shifted by resolve and goodwill."""
        model = self.model
        key = (model.version, model.goodwill, self.reservation_shift, self.floor)
        if key != self._reservation_key:
            value = self.utility(model.no_deal_perceived) + self.reservation_shift - model.goodwill
            value = max(value, self.floor)
            # Bounded below by the least utility a package can have, not by 0: with
            # loss aversion a no deal below 0 is still what a package must beat.
            ceiling = model.spec.settings.max_reservation
            self._reservation = min(max(value, model.prefs.floor), ceiling)
            self._reservation_key = key
        return self._reservation

    # --- bidding -------------------------------------------------------------------------
    def concede_uniformly(self, target: float) -> Package:
        """The package on the line from this side's ideal toward the other side's
        estimated ideal whose utility is ``target`` (clamped to that segment)."""
        ideal = self._ideal
        direction = self.opponent.ideal - ideal
        step = np.abs(direction)
        loss = float(self._slope.dot(step))
        if loss <= 1e-12:
            return ideal.copy()
        if self._curvature != 1.0:
            c = share_for_budget(lambda cs: self.issue_losses(cs[:, None], step), 1.0 - target)
        elif not self._extra:
            c = min(max((1.0 - target) / loss, 0.0), 1.0)
        else:
            c = _share_for_loss(1.0 - target, self._slope, step, self._ref_dist, self._extra)
        return ideal + c * direction

    def propose(self) -> Package:
        view = self.model.view
        package = self.model.space.clip(self.offer.propose(self, view))
        self.last_next = None
        holding = False
        if not self.expects_ratified(package):
            # Tying hands (Putnam 1988): no concession into what the principal would veto.
            assert self.side is not None
            previous = view.last_offer(self.side)
            if previous is not None:
                package, holding = previous.copy(), True
        if holding and not self.holding:
            self.model.record("signal", f"{self.label} holds its offer: less would fail at home")
        self.holding = holding
        return package

    def ratifiable(self, package: Package) -> bool:
        """Whether this side's leader is expected to ratify ``package``."""
        assert self.side is not None
        return self.model.leaders[self.side].expected_verdict(package).ratified

    def next_offer(self) -> Package:
        """The package this side would offer next round (for AC_next)."""
        if self.last_next is None:
            view = self.model.view
            target = self.offer.target_utility(self, view, view.t_next)
            package = self.model.space.clip(self.offer.bid(self, view, target))
            assert self.side is not None
            current = view.last_offer(self.side)
            if current is not None and not self.expects_ratified(package):
                package = current.copy()  # it would hold, as in propose
            self.last_next = package
        return self.last_next

    def observe(self, offer: Package) -> None:
        self.opponent.observe(self, self.model.view, offer)

    def accepts(self, package: Package) -> bool:
        """Whether this delegation would sign ``package`` now."""
        if self.utility(package) < self.reservation:
            return False
        if not self.acceptance.accepts(self, self.model.view, package, self.next_offer()):
            return False
        return self.expects_ratified(package)

    def would_sign(self, package: Package) -> bool:
        """Whether ``package`` meets this delegation's reservation and, when it anticipates
        ratification, is expected to pass at home: the test of a text being drafted."""
        return self.utility(package) >= self.reservation and self.expects_ratified(package)

    def expects_ratified(self, package: Package) -> bool:
        """Whether this delegation expects its side to ratify ``package`` (always true
        when it does not anticipate ratification)."""
        return not self.model.spec.settings.winset_anticipation or self.ratifiable(package)


class Leader(Actor):
    """A head of government: ratifies, escalates, and meets the other at the summit."""

    def __init__(self, model: TradeTalksModel, spec: ActorSpec, row: int) -> None:
        super().__init__(model, spec, row)
        self.reservation_shift: float = spec.reservation_shift
        self._mood: float = 0.0  # drawn per run when ratification is uncertain
        self._predicting = False
        self.summit_reach: float = spec.summit_reach
        self.threat_issues: list[int] = [model.space.index[k] for k in spec.threat_issues]
        self.ratification = self._behaviour("ratification")
        self.escalation = self._behaviour("escalation")

    @property
    def reservation(self) -> float:
        """Least utility this leader signs: the no-deal utility, shifted by resolve, plus
        the audience cost engaged by its side's public threats.

        A public threat engages the leader's reputation at home (Fearon 1994): signing a
        deal then reads as backing down unless it is good enough, and the cost grows
        with the escalation. Here the reservation rises by ``settings.audience_cost``
        times the highest credibility its side's threats have reached (softening a
        threat later does not undo what was engaged). A leader who threatens ties its
        own hands: the threat can buy better terms, and it can leave no deal the leader
        may sign, so that the threat is carried out.
        """
        model = self.model
        value = self.utility(model.no_deal_perceived) + self.reservation_shift
        if self.threat_issues and self.side is not None:
            value += model.spec.settings.audience_cost * model.peak_credibility[self.side]
        return min(max(value, model.prefs.floor), model.spec.settings.max_reservation)

    @property
    def domestic_mood(self) -> float:
        """The domestic mood at ratification (a per-run draw), or its expected value, 0,
        while the delegation predicts the verdict (it cannot see the mood)."""
        return 0.0 if self._predicting else self._mood

    @domestic_mood.setter
    def domestic_mood(self, value: float) -> None:
        self._mood = value

    def ratify(self, package: Package, relax: float = 0.0) -> Verdict:
        return self.ratification.ratify(self, self.model.view, package, relax)

    def expected_verdict(self, package: Package) -> Verdict:
        """The verdict the delegation expects: the ratification rule at the expected
        domestic mood (the anticipated win-set of Putnam 1988, with Iida's 1993 error)."""
        self._predicting = True
        try:
            return self.ratify(package)
        finally:
            self._predicting = False

    def escalate(self) -> None:
        self.escalation.act(self, self.model.view)

    def threaten(self, change: float, label: str) -> None:
        """Make this side's threats more (or, negative, less) credible (see
        :attr:`reservation` for what a public threat costs the leader)."""
        assert self.side is not None
        if not self.threat_issues:
            return
        self.model.shift_credibility(self.side, change, f"{self.label}: {label}")


class Host(Actor):
    """The convenor (Malaysia): sets the rhythm, adds goodwill, may table a text."""

    def __init__(self, model: TradeTalksModel, spec: ActorSpec) -> None:
        super().__init__(model, spec, None)
        self.mediation = self._behaviour("mediation")

    def utility(self, package: Package) -> float:
        raise TypeError(f"the host ({self.label}) has no preferences over the issues")

    @property
    def ideal(self) -> Package:
        raise TypeError(f"the host ({self.label}) has no ideal package")

    @property
    def weights(self) -> Package:
        raise TypeError(f"the host ({self.label}) has no issue weights")

    @property
    def slope(self) -> Package:
        raise TypeError(f"the host ({self.label}) has no issue weights")

    def act(self) -> Package | None:
        text = self.mediation.act(self, self.model.view)
        return None if text is None else self.model.space.clip(text)

    def set_goodwill(self, value: float) -> None:
        """Set the talks' goodwill (what a vectorised mediation rule decided)."""
        self.model.goodwill = value

    def add_goodwill(self, amount: float, cap: float) -> None:
        """Add goodwill up to ``cap``; goodwill that events brought above it stays (the
        host's own contribution is capped, not the talks' mood)."""
        model = self.model
        if model.goodwill < cap:
            model.goodwill = min(cap, model.goodwill + amount)
