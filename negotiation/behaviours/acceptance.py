"""Acceptance strategies for delegations (Baarslag, Hindriks & Jonker 2011).

Every rule is applied only to packages at or above the delegation's reservation (the
delegation checks that first), so they decide *when* to stop bargaining, not whether a
deal beats no deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

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
    ``alpha * u(package) + beta >= u(my next offer)``.
    """

    alpha: Annotated[float, Field(gt=0.0, le=2.0)] = 1.0
    beta: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0

    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        return self.alpha * me.utility(package) + self.beta >= me.utility(my_next)
