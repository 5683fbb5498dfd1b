"""Every registered offer strategy as the US against every other as China.

On the flagship, a few seeds each: every pairing runs to the end and keeps the model's
invariants (packages within bounds, utilities in [0, 1], a truce only after the
delegations agreed and both leaders ratified; see :mod:`.invariants`). Strategies added
by plug-ins are included, so a new strategy is checked against the whole library.
"""

from __future__ import annotations

import pytest

from negotiation import TradeTalksModel, load_scenario
from negotiation.behaviours import names
from negotiation.scenario import first_release

from .invariants import check_invariants

FLAGSHIP = first_release(load_scenario("kuala-lumpur-2025"))
SEEDS = (0, 1, 2)


@pytest.mark.parametrize("us", names("offer"))
def test_every_offer_strategy_against_every_other(us: str) -> None:
    outcomes = set()
    for china in names("offer"):
        for seed in SEEDS:
            model = TradeTalksModel(
                FLAGSHIP, rng=seed, collect=False, us_offer_strategy=us, china_offer_strategy=china
            )
            outcome = model.run()
            check_invariants(model)
            assert outcome.params["us_offer_strategy"] == us
            truces = [e for e in model.timeline if e.kind == "truce"]
            assert outcome.truce == bool(truces)
            if outcome.truce:
                # the delegations agreed, and both leaders ratified, in the same round
                assert model.timeline[-2].kind == "agreement"
                assert model.timeline[-2].round == truces[0].round == outcome.round
            outcomes.add(outcome.outcome)
    assert "truce" in outcomes or us == "hardliner"  # every strategy but one can settle
