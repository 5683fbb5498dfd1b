"""The small interfaces every behaviour implements, one per kind.

Each interface is an abstract dataclass: its fields are the behaviour's parameters, and
one fresh instance serves one actor for one run, so it may keep state (an opponent model
learns). Every method receives the actor it acts for (``me``) and a read-only
:class:`~negotiation.view.TalksView` of the negotiation, and returns a plain value; only
the actor applies the consequences. This is the BOA decomposition of Genius agents
(Baarslag, Hindriks, Hendrikx, Dirkzwager & Jonker 2014) extended to a host, leaders and
domestic groups.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import Delegation, Host, InterestGroup, Leader
    from negotiation.view import TalksView


@dataclass
class OfferStrategy(ABC):
    """Decides the utility a delegation aims for, and the package that achieves it.

    ``target_utility`` returns the delegation's aspiration at negotiation time ``t``
    (0 at the first round, 1 at the deadline), in its own utility; ``bid`` turns it into a
    package. The default bid concedes uniformly toward the other side's estimated ideal.
    """

    @abstractmethod
    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        """Utility (own scale, 0..1) to aim for at time ``t``."""

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        """The package to offer for ``target`` utility."""
        return me.concede_uniformly(target)

    def propose(self, me: Delegation, view: TalksView) -> Package:
        """The offer for the current round."""
        return self.bid(me, view, self.target_utility(me, view, view.t))


@dataclass
class AcceptanceStrategy(ABC):
    """Decides whether a delegation accepts a package on the table.

    ``my_next`` is the package the delegation would offer next round (AC_next compares
    against it; Baarslag, Hindriks & Jonker 2011).
    """

    @abstractmethod
    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        """True when ``package`` is acceptable now."""


@dataclass
class OpponentModel(ABC):
    """Learns the other side's ideal point and issue weights from its offers.

    After :meth:`start`, ``ideal`` and ``weights`` (one entry per issue, weights summing
    to 1) hold the current beliefs; they are state, not parameters.
    """

    if TYPE_CHECKING:
        ideal: Package
        weights: Package

    def start(self, me: Delegation, view: TalksView) -> None:
        """Initial beliefs: the other side wants the status quo reversed, weights equal."""
        k = len(view.space)
        self.ideal = view.space.status_quo.copy()
        self.weights = np.full(k, 1.0 / k)

    @abstractmethod
    def observe(self, me: Delegation, view: TalksView, offer: Package) -> None:
        """Update beliefs after seeing the other side's ``offer``."""


@dataclass
class Lobbying(ABC):
    """How hard an interest group pushes its delegation this round, per issue.

    Returns a non-negative vector (one entry per issue): the increment of the group's
    accumulated pull on the delegation's mandate (see :meth:`Delegation.apply_lobbying`).
    """

    @abstractmethod
    def pressure(self, me: InterestGroup, view: TalksView) -> Package:
        """Per-issue pressure increment this round."""

    @classmethod
    def pressure_all(
        cls, behaviours: Sequence[Lobbying], groups: Sequence[InterestGroup], view: TalksView
    ) -> npt.NDArray[np.float64]:
        """Pressure of several groups that use this class, one row each.

        The model calls this once per class each round; an override that vectorises
        must return exactly what ``pressure`` would for each group (the default asks
        each group in turn), so that a subclass overriding ``pressure`` is obeyed.
        """
        return np.array([b.pressure(g, view) for b, g in zip(behaviours, groups, strict=True)])


@dataclass
class Mediation(ABC):
    """What the host does each round: add goodwill, and optionally table a text."""

    @abstractmethod
    def act(self, me: Host, view: TalksView) -> Package | None:
        """Return a single negotiating text, or ``None`` to table none this round."""


@dataclass(frozen=True)
class Verdict:
    """A leader's answer to a package: ratified or not, and who/what blocked it."""

    ratified: bool
    blocked_by: tuple[str, ...] = ()
    failing_issues: tuple[int, ...] = ()
    approval: float = 1.0
    reason: str = ""


@dataclass
class Ratification(ABC):
    """Whether a leader ratifies a package (Putnam's level II)."""

    @abstractmethod
    def ratify(self, me: Leader, view: TalksView, package: Package, relax: float = 0.0) -> Verdict:
        """Judge ``package``; ``relax`` (0..1) loosens the rule, e.g. at the summit."""


@dataclass
class Escalation(ABC):
    """When a leader issues or withdraws threats; acts through ``me.threaten``."""

    @abstractmethod
    def act(self, me: Leader, view: TalksView) -> None:
        """Look at the talks and perhaps change the threat's credibility."""


INTERFACES: dict[str, type[Any]] = {
    "offer": OfferStrategy,
    "acceptance": AcceptanceStrategy,
    "opponent_model": OpponentModel,
    "lobbying": Lobbying,
    "mediation": Mediation,
    "ratification": Ratification,
    "escalation": Escalation,
}
