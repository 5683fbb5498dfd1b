"""Opponent models: what a delegation learns about the other side from its offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from negotiation.behaviours.interfaces import OpponentModel
from negotiation.behaviours.registry import register
from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import Delegation
    from negotiation.view import TalksView


@register("opponent_model", "frequency")
@dataclass
class FrequencyModel(OpponentModel):
    """Frequency-based issue weights; the opening offer anchors the ideal point.

    The HardHeaded frequency model (van Krimpen, Looije & Hajizadeh 2013), as used in
    Genius: issues on which the other side keeps its offer unchanged are the ones it
    cares about, so each unchanged issue gains ``learning_rate`` weight per offer. An
    issue counts as unchanged when it moves less than ``tolerance`` of its range. The
    other side's ideal is estimated from its first offer (what it opens with).
    """

    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.2
    tolerance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01

    def start(self, me: Delegation, view: TalksView) -> None:
        super().start(me, view)
        self._previous: Package | None = None

    def observe(self, me: Delegation, view: TalksView, offer: Package) -> None:
        if self._previous is None:
            self.ideal = offer.copy()
        else:
            unchanged = np.abs(offer - self._previous) < self.tolerance * view.space.span
            raw = self.weights + self.learning_rate * unchanged
            self.weights = raw / raw.sum()
        self._previous = offer
