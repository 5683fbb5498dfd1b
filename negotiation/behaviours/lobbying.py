"""Lobbying rules for interest groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

from negotiation.behaviours.interfaces import Lobbying
from negotiation.behaviours.registry import register
from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import InterestGroup
    from negotiation.view import TalksView


@register("lobbying", "pressure")
@dataclass
class Pressure(Lobbying):
    """Pull proportional to influence x salience x urgency (Grossman & Helpman 2001).

    Each round the group's pull on each issue grows by ``gain * lobbying_rate *
    influence * urgency * salience``; its urgency rises after mobilising events (a
    threat makes a group louder) and is highest in harvest season for farmers.
    """

    gain: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0

    def pressure(self, me: InterestGroup, view: TalksView) -> Package:
        rate = self.gain * view.settings.lobbying_rate * me.influence * me.urgency
        return rate * me.weights

    @classmethod
    def pressure_all(
        cls, behaviours: Sequence[Lobbying], groups: Sequence[InterestGroup], view: TalksView
    ) -> npt.NDArray[np.float64]:
        rates = np.array(
            [b.gain * g.influence * g.urgency for b, g in zip(behaviours, groups, strict=True)]  # type: ignore[attr-defined]
        )
        weights = groups[0].model.prefs.weight[[g.row for g in groups]]
        return (rates * view.settings.lobbying_rate)[:, None] * weights


@register("lobbying", "silent")
@dataclass
class Silent(Lobbying):
    """Never lobby (the group still votes at ratification)."""

    def pressure(self, me: InterestGroup, view: TalksView) -> Package:
        return 0.0 * me.weights
