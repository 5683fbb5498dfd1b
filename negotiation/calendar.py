"""The calendar: which model step is which round, on which date and at what time.

Talk days in Kuala Lumpur hold more rounds than the days of contact that follow; each
day's rounds are spread evenly over its working hours. Step ``n`` of the model (1-based,
Mesa's ``model.steps``) is round ``n``; the deadline is the opening of the summit, after
the last round.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from negotiation.scenario import CalendarSpec


@dataclass(frozen=True, slots=True)
class Round:
    """One round of talks."""

    number: int  # 1-based, equal to the model step that plays it
    at: datetime
    phase: str
    days_before_summit: float


class Calendar:
    """Rounds of a scenario in time order, with look-ups by date."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.summit: datetime = spec.summit
        self.clock = spec.clock
        self.milestones = list(spec.milestones)
        rounds: list[Round] = []
        hours = spec.day_end_hour - spec.day_start_hour
        for phase in spec.phases:
            day = phase.first_day
            while day <= phase.last_day:
                n = phase.rounds_per_day
                for i in range(n):
                    offset = hours * (i / n) if n > 1 else 0.0
                    at = datetime(day.year, day.month, day.day, spec.day_start_hour) + timedelta(
                        hours=offset
                    )
                    rounds.append(Round(len(rounds) + 1, at, phase.label, _days(self.summit - at)))
                day += timedelta(days=1)
        self.rounds: tuple[Round, ...] = tuple(rounds)
        self._times = [r.at for r in self.rounds]
        by_day: dict[date, list[int]] = {}
        for r in self.rounds:
            by_day.setdefault(r.at.date(), []).append(r.number)
        self._days = tuple((day, tuple(numbers)) for day, numbers in by_day.items())
        # Looked up every round by every time-dependent behaviour: computed once.
        self._negotiation_times = tuple(self._time(n) for n in range(len(self.rounds) + 2))

    def __len__(self) -> int:
        return len(self.rounds)

    def negotiation_time(self, number: int) -> float:
        """Negotiation time of round ``number`` in [0, 1]: 0 at the first round, 1 at the
        summit. On the "rounds" clock it is (number - 1) / rounds (the summit counts as
        the final round); on the "hours" clock, the share of the time from the first
        round to the summit that has passed when the round starts.
        """
        if 0 <= number < len(self._negotiation_times):
            return self._negotiation_times[number]
        return self._time(number)

    def _time(self, number: int) -> float:
        if self.clock == "hours" and self.rounds:
            if number > len(self.rounds):
                return 1.0
            start = self.rounds[0].at
            total = (self.summit - start).total_seconds()
            at = self.rounds[max(number, 1) - 1].at
            return min(max((at - start).total_seconds() / total, 0.0), 1.0)
        return min(max((number - 1) / max(len(self.rounds), 1), 0.0), 1.0)

    def round(self, number: int) -> Round:
        """Round ``number`` (1-based)."""
        return self.rounds[number - 1]

    def round_at_or_after(self, when: datetime) -> int:
        """The first round played at or after ``when`` (1-based); 1 for anything earlier."""
        return min(bisect_left(self._times, when) + 1, len(self.rounds) + 1)

    def days(self) -> tuple[tuple[date, tuple[int, ...]], ...]:
        """Each calendar day with the round numbers played on it."""
        return self._days


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400.0, 3)
