"""An example plug-in: an offer strategy that concedes a fixed step of utility per round.

Installed as a distribution whose entry point in the group ``negotiation.behaviours``
names this module; the registry imports it on first use, and the decorator below makes
the strategy selectable as ``example-plugin-strategy`` in scenarios, sweeps and the
dashboard, like a built-in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from negotiation.behaviours import OfferStrategy, register


@register("offer", "example-plugin-strategy")
@dataclass
class FixedStep(OfferStrategy):
    """Concede a fixed step of own utility per round, never below the reservation."""

    step: Annotated[float, Field(gt=0.0, le=1.0)] = 0.03

    def target_utility(self, me: Any, view: Any, t: float) -> float:
        rounds_played = t * view.rounds
        return max(me.reservation, 1.0 - self.step * rounds_played)
