"""Invariants every finished run must keep, shared by the model and property tests."""

from __future__ import annotations

import numpy as np

from negotiation import TradeTalksModel


def check_invariants(model: TradeTalksModel) -> None:
    """Assert what must hold after any run, whatever the parameters and seed."""
    outcome = model.outcome
    assert outcome is not None and not model.running
    space = model.space
    # packages within bounds: every offer, every text, the final package
    for side, offers in model.offers.items():
        for offer in offers:
            assert np.all(offer >= space.low - 1e-9) and np.all(offer <= space.high + 1e-9), side
    package = np.array([outcome.package[k] for k in space.keys])
    assert np.all(package >= space.low - 1e-9) and np.all(package <= space.high + 1e-9)
    # utilities in [0, 1]; with loss aversion lambda and curvature gamma a full loss on
    # every issue costs lambda ** gamma, so the floor is 1 - lambda ** gamma
    settings = model.spec.settings
    floor = 1.0 - settings.loss_aversion**settings.issue_curvature
    for key, u in outcome.utilities.items():
        assert floor - 1e-9 <= u <= 1 + 1e-9, (key, u)
    for key, r in outcome.reservations.items():
        assert floor - 1e-9 <= r <= 1 + 1e-9, (key, r)
    # nothing after the deadline: never more rounds than the calendar holds
    assert 1 <= outcome.rounds_played <= len(model.calendar)
    assert all(entry.round <= outcome.rounds_played for entry in model.timeline)
    kinds = [entry.kind for entry in model.timeline]
    if outcome.truce and model.framework is not None:
        # a framework the leaders endorsed at the summit, after the last round
        assert kinds[-1] == "truce" and "framework" in kinds
        assert outcome.rounds_played == len(model.calendar)
        assert outcome.endorsement_date == model.calendar.summit.date().isoformat()
        for leader in model.leaders.values():
            assert leader.ratify(package).ratified
    elif outcome.truce:
        # a truce only after both ratifications: the delegations agreed, then both leaders
        assert kinds[-1] == "truce" and kinds[-2] == "agreement"
        assert outcome.round == outcome.rounds_played
        assert outcome.endorsement_date == outcome.framework_date == outcome.date
        for leader in model.leaders.values():
            assert leader.ratify(package).ratified
        assert outcome.days_before_summit is not None and outcome.days_before_summit > 0
    else:
        assert "truce" not in kinds
        assert outcome.rounds_played == len(model.calendar)
        assert outcome.round is None and outcome.date is None
    assert outcome.summit_deal == (outcome.outcome == "summit deal")
    assert outcome.outcome in ("truce", "summit deal", "no deal")
