"""Anticipated ratification (Putnam 1988, "tying hands"; Iida 1993): delegations neither
offer nor accept what they expect their side to reject.

The delegation predicts its leader's verdict at the domestic mood it cannot see (its
expected value), so vetoes at home remain, but only from the mood: with a sure win-set
none reaches the leaders. A narrower win-set then buys better terms.
"""

from __future__ import annotations

import numpy as np

from negotiation import Scenario, TradeTalksModel, run_once

from .invariants import check_invariants


def _with(scenario: Scenario, **settings: object) -> Scenario:
    return scenario.model_copy(update={"settings": scenario.settings.model_copy(update=settings)})


def test_the_expected_verdict_ignores_the_mood_and_restores_it(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(shipped_flagship, rng=3, collect=False)
    trump = model.leaders["US"]
    trump.domestic_mood = 0.4  # a mood that lowers the approval needed a lot
    package = model.delegations["China"].ideal.copy()
    assert trump.expected_verdict(package).approval == trump.ratify(package).approval
    trump.domestic_mood = 0.0
    expected = trump.ratify(package)
    trump.domestic_mood = 0.4
    assert trump.expected_verdict(package) == expected
    assert trump.domestic_mood == 0.4


def test_with_a_sure_win_set_no_deal_reaches_a_leader_who_vetoes_it(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    sure = _with(
        shipped_flagship, ratification_noise=0.0, summit_endorsement=False, resolve_noise=0.05
    )
    params = {"hawk_influence": 4.0}
    blind = [run_once(sure, seed, params) for seed in range(30)]
    anticipating = _with(sure, winset_anticipation=True)
    seen = [run_once(anticipating, seed, params) for seed in range(30)]
    assert sum(o.vetoes for o in blind) > 0  # without anticipation, vetoes found by trial
    assert sum(o.vetoes for o in seen) == 0
    # ... and the deals the hawks would take are found instead of vetoed ones
    assert sum(o.truce for o in seen) > sum(o.truce for o in blind)


def test_an_anticipating_delegation_never_offers_what_its_leader_rejects(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    scenario = _with(shipped_flagship, winset_anticipation=True)
    model = TradeTalksModel(scenario, rng=5, collect=False, hawk_influence=3.0)
    while model.running:
        model.step()
        for side, delegation in model.delegations.items():
            offers = model.offers[side]
            if len(offers) >= 2 and model.framework is None:
                latest = offers[-1]
                assert delegation.ratifiable(latest) or np.array_equal(latest, offers[-2])
    check_invariants(model)


def test_a_narrower_win_set_buys_better_terms(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """Tying hands: the more influence the US hawks have at ratification, the more the
    US delegation gets from the deals that are made, and the less China does."""
    scenario = _with(shipped_flagship, winset_anticipation=True)
    gains = {}
    for influence in (0.0, 4.0):
        outs = [run_once(scenario, seed, {"hawk_influence": influence}) for seed in range(60)]
        deals = [o for o in outs if o.truce]
        gains[influence] = (
            np.mean([o.utilities["us_delegation"] for o in deals]),
            np.mean([o.utilities["china_delegation"] for o in deals]),
        )
    assert gains[4.0][0] > gains[0.0][0] + 0.03
    assert gains[4.0][1] < gains[0.0][1] - 0.03
