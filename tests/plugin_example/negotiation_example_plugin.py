"""An example plug-in: an offer strategy that concedes a fixed step of utility per round,
per run and vectorised.

Installed as a distribution whose entry point in the group ``negotiation.behaviours``
names this module; the registry imports it on first use, and the decorators below make
the strategies selectable as ``example-plugin-strategy`` and
``example-plugin-vectorised`` in scenarios, sweeps and the dashboard, like built-in
ones. The vectorised one runs in the lockstep engine, in every worker of a sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import Field

from negotiation.behaviours import OfferRuns, OfferStrategy, VectorisedOffer, register


@register("offer", "example-plugin-strategy")
@dataclass
class FixedStep(OfferStrategy):
    """Concede a fixed step of own utility per round, never below the reservation."""

    step: Annotated[float, Field(gt=0.0, le=1.0)] = 0.03

    def target_utility(self, me: Any, view: Any, t: float) -> float:
        rounds_played = t * view.rounds
        return max(me.reservation, 1.0 - self.step * rounds_played)


@register("offer", "example-plugin-vectorised")
@dataclass
class VectorisedFixedStep(VectorisedOffer):
    """Concede a fixed step of own utility per round, never below the reservation (for
    a batch of runs at once, bid on the efficient frontier)."""

    step: Annotated[float, Field(gt=0.0, le=1.0)] = 0.03

    def target_utilities(self, runs: OfferRuns) -> npt.NDArray[np.float64]:
        rounds_played = runs.t * runs.rounds
        return np.maximum(runs.reservation, 1.0 - self.step * rounds_played)
