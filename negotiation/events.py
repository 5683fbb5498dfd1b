"""Dated events and random shocks, run through Mesa's event scheduling.

An event dated at a moment fires just before the first round played at or after it
(at model time ``round - 0.5``; Mesa plays round ``n`` at time ``n``). Random shocks are
drawn once, when the model is built, from the run's counter-based streams
(:mod:`negotiation.streams`): for each shock and each calendar day, it happens with
probability ``1 - exp(-rate * shock_scale)``, at a round of that day chosen uniformly.
Each shock has a stream of its own and each day two indices in it, so a draw depends on
the run's seed, the shock and the day alone, never on what the behaviours do.

Mesa holds event callbacks by weak reference, so each scheduled event is an object kept
alive by the model, scheduled through its bound method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from negotiation import streams
from negotiation.calendar import Calendar
from negotiation.scenario import EffectSpec, Scenario
from negotiation.streams import Stream

if TYPE_CHECKING:
    from negotiation.model import TradeTalksModel


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """Something that happened: an event, a threat, a veto, an agreement."""

    round: int
    at: datetime
    kind: str
    label: str


class ScheduledEvent:
    """One event waiting in Mesa's event list."""

    def __init__(self, model: TradeTalksModel, label: str, kind: str, effects: EffectSpec) -> None:
        self.model = model
        self.label = label
        self.kind = kind
        self.effects = effects

    def fire(self) -> None:
        self.model.apply_effects(self.effects, self.label, self.kind)


def schedule_all(model: TradeTalksModel) -> list[ScheduledEvent]:
    """Schedule the scenario's dated events and draw its random shocks; return them
    (the caller keeps them alive)."""
    dated, shocks, days = model.plan.events
    kept = [
        _schedule(model, number, label, kind, effects) for number, label, kind, effects in dated
    ]
    key = model.stream_key
    for s, (p, label, kind, effects) in enumerate(shocks):
        draws = streams.uniforms(key, Stream.SHOCK + s, range(0, 2 * len(days), 2))
        for d, u in enumerate(draws):
            if u < p:
                numbers = days[d]
                (at,) = streams.uniforms(key, Stream.SHOCK + s, (2 * d + 1,))
                pick = min(int(at * len(numbers)), len(numbers) - 1)
                kept.append(_schedule(model, numbers[pick], label, kind, effects))
    return kept


EventPlan = tuple[list[Any], list[Any], list[tuple[int, ...]]]


def event_plan(scenario: Scenario, calendar: Calendar) -> EventPlan:
    """What does not change between runs of a scenario: the round of each dated event
    (those after the last round never fire), each shock's daily probability, and the
    rounds of each calendar day."""
    dated = []
    for spec in scenario.events:
        number = calendar.round_at_or_after(spec.at)
        if number <= len(calendar):
            dated.append((number, spec.label, spec.kind, spec.effects))
    scale = scenario.settings.shock_scale
    shocks = [
        (1.0 - float(np.exp(-shock.rate_per_day * scale)), shock.label, shock.kind, shock.effects)
        for shock in scenario.shocks
    ]
    return dated, shocks, [numbers for _, numbers in calendar.days()]


def _schedule(
    model: TradeTalksModel, number: int, label: str, kind: str, effects: EffectSpec
) -> ScheduledEvent:
    event = ScheduledEvent(model, label, kind, effects)
    model.schedule_event(event.fire, at=number - 0.5)
    return event
