"""Lobbying rules for interest groups.

A group's pressure accumulates as pull on its delegation's mandate (see
:mod:`negotiation.mandate`). The model asks each lobbying class once per round for all
its groups (``pressure_all``), so rules vectorise over groups where they can.
"""

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
from negotiation.kernels import scaled_rows

if TYPE_CHECKING:
    from negotiation.agents import InterestGroup
    from negotiation.view import TalksView

Indices = npt.NDArray[np.intp]


@register("lobbying", "pressure")
@dataclass
class Pressure(Lobbying):
    """Pull proportional to influence x salience x urgency (Grossman & Helpman 2001).

    Each round the group's pull on each issue grows by ``gain * lobbying_rate *
    influence * urgency * salience``; its urgency rises after mobilising events (a
    threat makes a group louder) and is highest in harvest season for farmers.
    """

    gain: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0

    def urgency(self, me: InterestGroup, view: TalksView) -> float:
        """The group's urgency this round (subclasses change where it comes from)."""
        return me.urgency

    def pressure(self, me: InterestGroup, view: TalksView) -> Package:
        rate = self.gain * view.settings.lobbying_rate * me.influence * self.urgency(me, view)
        return rate * me.weights

    @classmethod
    def pressure_all(
        cls, behaviours: Sequence[Lobbying], groups: Sequence[InterestGroup], view: TalksView
    ) -> npt.NDArray[np.float64]:
        """All groups' pressure at once, the same as calling ``pressure`` for each; a
        subclass that overrides ``pressure`` is asked group by group instead."""
        if cls.pressure is not Pressure.pressure:
            return super().pressure_all(behaviours, groups, view)
        rates = np.array(
            [
                b.gain * g.influence * b.urgency(g, view)  # type: ignore[attr-defined]
                for b, g in zip(behaviours, groups, strict=True)
            ]
        )
        weights = groups[0].model.prefs.weight
        return scaled_rows(rates, view.settings.lobbying_rate, weights, _rows(behaviours, groups))


def _rows(behaviours: Sequence[Lobbying], groups: Sequence[InterestGroup]) -> Indices:
    """The groups' preference rows, kept by the first behaviour of the batch: the model
    asks for the same batch every round of a run, and behaviours live for one run."""
    first = behaviours[0]
    cached: tuple[Sequence[InterestGroup], Indices] | None = getattr(first, "_batch_rows", None)
    if cached is None or cached[0] is not groups:
        cached = (groups, np.array([g.row for g in groups], dtype=np.intp))
        first._batch_rows = cached  # type: ignore[attr-defined]
    return cached[1]


@register("lobbying", "silent")
@dataclass
class Silent(Lobbying):
    """Never lobby (the group still votes at ratification)."""

    def pressure(self, me: InterestGroup, view: TalksView) -> Package:
        return 0.0 * me.weights


@register("lobbying", "mobilising")
@dataclass
class Mobilising(Pressure):
    """Pressure that flares after threats and events, then decays back (Olson 1965).

    The group's urgency is its scenario value plus an *arousal* that jumps when events
    mobilise it (the core's ``mobilise`` raises urgency; here that rise becomes a flare),
    by ``alarm`` per unit rise of either side's threat credibility, and by ``per_threat``
    per new threat on the timeline, and keeps a share ``decay`` of itself each round:
    collective action is costly, so groups act when alarmed and demobilise after.
    Pressure is then as in ``pressure``: gain x lobbying rate x influence x urgency x
    salience.
    """

    alarm: Annotated[float, Field(ge=0.0, le=100.0)] = 5.0
    per_threat: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    decay: Annotated[float, Field(ge=0.0, le=1.0)] = 0.7

    def urgency(self, me: InterestGroup, view: TalksView) -> float:
        """This round's urgency (call once per round: it advances the arousal)."""
        credibility = sum(view.credibility(side) for side in view.sides)
        threats = view.timeline()
        if not hasattr(self, "_arousal"):
            self._arousal, self._seen_urgency = 0.0, me.spec.urgency
            self._credibility = 2.0 * view.settings.threat_credibility  # at the start
            self._seen_entries = 0
        new = sum(e.kind == "threat" for e in threats[self._seen_entries :])
        self._arousal = (
            self.decay * self._arousal
            + (me.urgency - self._seen_urgency)
            + self.alarm * max(credibility - self._credibility, 0.0)
            + self.per_threat * new
        )
        self._seen_urgency, self._credibility = me.urgency, credibility
        self._seen_entries = len(threats)
        return max(me.spec.urgency + self._arousal, 0.0)
