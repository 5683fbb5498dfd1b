"""Time in hours: concession follows the calendar, not the number of sessions."""

from __future__ import annotations

import numpy as np

from negotiation import Scenario, TradeTalksModel, run_once
from negotiation.calendar import Calendar

from .invariants import check_invariants


def _variant(base: Scenario, clock: str, per_day: tuple[int, int]) -> Scenario:
    phases = [
        phase.model_copy(update={"rounds_per_day": n})
        for phase, n in zip(base.calendar.phases, per_day, strict=True)
    ]
    return base.model_copy(
        update={"calendar": base.calendar.model_copy(update={"clock": clock, "phases": phases})}
    )


def test_the_hours_clock_is_the_share_of_time_to_the_summit(flagship) -> None:  # type: ignore[no-untyped-def]
    calendar = Calendar(_variant(flagship, "hours", (5, 2)).calendar)
    first, summit = calendar.round(1).at, calendar.summit
    for number in (1, 4, 11, len(calendar)):
        expected = (calendar.round(number).at - first) / (summit - first)
        assert calendar.negotiation_time(number) == expected
    assert calendar.negotiation_time(len(calendar) + 1) == 1.0


def test_timing_no_longer_depends_on_the_round_count(flagship) -> None:  # type: ignore[no-untyped-def]
    def median_days(clock: str, per_day: tuple[int, int]) -> float:
        scenario = _variant(flagship, clock, per_day)
        days = [run_once(scenario, seed=s).days_before_summit for s in range(40)]
        return float(np.median([d for d in days if d is not None]))

    counts = ((5, 2), (10, 1))
    rounds = [median_days("rounds", c) for c in counts]
    hours = [median_days("hours", c) for c in counts]
    assert abs(rounds[0] - rounds[1]) > 1.0  # the artefact: 1.8 vs 3.6 days
    assert abs(hours[0] - hours[1]) < 0.3


def test_the_summit_is_the_moment_of_endorsement(flagship) -> None:  # type: ignore[no-untyped-def]
    """A framework before the summit, endorsed there; both dates in the record."""
    for seed in range(8):
        model = TradeTalksModel(flagship, rng=seed, summit_endorsement=True)
        outcome = model.run()
        check_invariants(model)
        plain = run_once(flagship, seed=seed)
        if plain.truce:
            assert outcome.truce and outcome.package == plain.package
            assert outcome.framework_date == plain.date
            assert outcome.endorsement_date == "2025-10-30" != plain.endorsement_date
            assert outcome.rounds_played == len(model.calendar) >= plain.rounds_played
            assert "endorsed it at the summit" in outcome.reason


def test_a_framework_can_be_rejected_at_the_summit(flagship) -> None:  # type: ignore[no-untyped-def]
    """What happens between the framework and the summit matters: a threat made more
    credible after the framework can make a leader walk away from it."""
    model = TradeTalksModel(flagship, rng=0, summit_endorsement=True, shock_scale=0.0)
    while model.framework is None and model.running:
        model.step()
    assert model.framework is not None
    xi = model.leaders["China"]
    xi.reservation_shift = 1.0  # Beijing hardens before the summit
    outcome = model.run()
    assert outcome.outcome == "no deal" and outcome.vetoes >= 1
    assert outcome.framework_date is not None and outcome.endorsement_date is None
    assert "did not endorse it at the summit" in outcome.reason


def test_leaders_are_consulted_on_a_framework_and_decide_at_the_summit(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """A framework passes the leaders at the domestic mood they expect; the mood they
    meet at the summit decides, so some frameworks are rejected there (Iida 1993)."""
    rejected = 0
    for seed in range(60):
        model = TradeTalksModel(shipped_flagship, rng=seed, collect=False)
        outcome = model.run()
        check_invariants(model)
        if model.framework is None:
            continue
        framework = model.framework
        assert all(leader.expected_verdict(framework).ratified for leader in model.leaders.values())
        if not outcome.truce:
            rejected += 1
            assert not all(leader.ratify(framework).ratified for leader in model.leaders.values())
    assert 1 <= rejected <= 20
