"""The behaviour library: each behaviour's defining property, in a run of the model.

Most tests use a *calm* flagship (no events, shocks, lobbying, goodwill or escalation),
so that preferences and reservations stay fixed and a behaviour's effect can be read
off the offers exactly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.stats import spearmanr

from negotiation import Scenario, TradeTalksModel, run_once
from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.behaviours import get
from negotiation.behaviours.interfaces import OfferStrategy
from negotiation.behaviours.offer import aspiration, efficient_bid, paced_bid, similar_bid
from negotiation.behaviours.registry import BehaviourError
from negotiation.issues import Package
from negotiation.outcome import analyse
from negotiation.scenario import sync_defaults

from .invariants import check_invariants
from .variants import behaviour, bilateral, calm, variant

US, CHINA = "us_delegation", "china_delegation"
RARE_EARTHS = "rare_earth_controls_suspension_months"


def offers(name: str, **params: object) -> dict[str, object]:
    return {"offer": behaviour(name, **params)}


def play(scenario: Scenario, seed: int = 1, rounds: int | None = None) -> TradeTalksModel:
    model = TradeTalksModel(scenario, rng=seed, collect=False)
    while model.running and (rounds is None or model.steps < rounds):
        model.step()
    return model


def own_utilities(model: TradeTalksModel, side: str, of: str) -> np.ndarray:
    """``side``'s utility of every offer ``of`` made (fixed preferences in calm runs)."""
    me = model.delegations[side]
    return np.array([me.utility(p) for p in model.offers[of]])


# --- offer strategies ---------------------------------------------------------------------
def test_time_dependent_exponent_orders_boulware_linear_conceder(flagship) -> None:  # type: ignore[no-untyped-def]
    for t in (0.25, 0.5, 0.75):
        boulware, linear, conceder = (aspiration(t, 0.4, e) for e in (0.2, 1.0, 5.0))
        assert boulware > linear > conceder
        assert linear == pytest.approx(1.0 - 0.6 * t)
    assert aspiration(0.0, 0.4, 0.2) == 1.0 and aspiration(1.0, 0.4, 5.0) == pytest.approx(0.4)
    model = play(calm(flagship, {US: offers("conceder"), CHINA: offers("hardliner")}), rounds=6)
    us = own_utilities(model, "US", "US")
    assert np.all(np.diff(us) < 0)  # concedes every round, fastest first
    assert us[1] - us[2] > us[4] - us[5]


def test_hardliner_always_offers_its_ideal(flagship) -> None:  # type: ignore[no-untyped-def]
    model = play(calm(flagship, {US: offers("hardliner"), CHINA: offers("hardliner")}))
    ideal = model.delegations["US"].ideal
    assert all(np.allclose(p, ideal) for p in model.offers["US"])
    assert model.outcome is not None and model.outcome.outcome == "no deal"


def test_absolute_tit_for_tat_concedes_what_the_other_side_conceded(flagship) -> None:  # type: ignore[no-untyped-def]
    model = play(calm(flagship, {US: offers("tit-for-tat-absolute"), CHINA: offers("linear")}))
    mine, theirs = own_utilities(model, "US", "US"), own_utilities(model, "US", "China")
    reservation = model.delegations["US"].reservation
    assert mine[0] == pytest.approx(1.0)
    for n in range(1, len(mine)):
        if mine[n] > reservation + 1e-9:  # not clamped at the reservation
            # this round's concession = the other's concession one round earlier
            gained = theirs[n - 1] - (theirs[n - 2] if n >= 2 else theirs[0])
            assert mine[n - 1] - mine[n] == pytest.approx(gained, abs=1e-9)
    assert mine[-1] < 0.9  # it did concede, because China did


def test_relative_tit_for_tat_concedes_in_proportion(flagship) -> None:  # type: ignore[no-untyped-def]
    model = play(calm(flagship, {US: offers("tit-for-tat-relative"), CHINA: offers("linear")}))
    mine, theirs = own_utilities(model, "US", "US"), own_utilities(model, "US", "China")
    r = model.delegations["US"].reservation
    for n in range(2, len(mine)):
        # the share of my surplus kept = the share of its distance from my ideal China kept
        assert (mine[n] - r) / (1 - r) == pytest.approx((1 - theirs[n - 1]) / (1 - theirs[0]))
    assert mine[-1] < mine[1]


@pytest.mark.parametrize("strategy", ["tit-for-tat-absolute", "tit-for-tat-relative"])
def test_tit_for_tat_meets_a_hardliner_with_a_hardline(flagship, strategy: str) -> None:  # type: ignore[no-untyped-def]
    model = play(calm(flagship, {US: offers(strategy), CHINA: offers("hardliner")}))
    assert np.allclose(own_utilities(model, "US", "US"), 1.0)


def test_zeuthen_lower_risk_concedes_and_talks_converge_on_the_nash_point(flagship) -> None:  # type: ignore[no-untyped-def]
    scenario = bilateral(flagship, "zeuthen")
    model = play(scenario)
    outcome = model.outcome
    assert outcome is not None and outcome.truce
    us, china = model.delegations["US"], model.delegations["China"]
    d = (us.reservation, china.reservation)
    nash = nash_point(pareto_frontier(model.prefs.row(us.row), model.prefs.row(china.row), d))

    def product(p: Package) -> float:
        return (us.utility(p) - d[0]) * (china.utility(p) - d[1])

    standing = [max(product(a), product(b)) for a, b in zip(*model.offers.values(), strict=True)]
    assert np.all(np.diff(standing) >= -1e-12)  # the best standing product never falls
    for n in range(1, outcome.rounds_played):
        risk = {}
        for side, me in model.delegations.items():
            own, other = model.offers[side][n - 1], model.offers[model.view.other(side)][n - 1]
            risk[side] = (me.utility(own) - me.utility(other)) / (me.utility(own) - me.reservation)
        lower = min(risk, key=risk.__getitem__)
        higher = model.view.other(lower)
        assert not np.allclose(model.offers[lower][n], model.offers[lower][n - 1])  # concedes
        assert np.allclose(model.offers[higher][n], model.offers[higher][n - 1])  # holds
    agreed = np.array([outcome.package[k] for k in model.space.keys])
    assert (us.utility(agreed), china.utility(agreed)) == pytest.approx(nash.utilities, abs=1e-6)
    assert outcome.nash_distance == pytest.approx(0.0, abs=1e-6)
    assert analyse(scenario).nash.product == pytest.approx(nash.product)


def test_zeuthen_does_not_deadlock_on_private_resolve(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """Both sides judge the risk of the same conflict point, the no deal: with a private
    reservation on one side only (resolve, goodwill), each thought the other should
    concede, and the flagship agreed in 5% of runs with perfect opponent models."""
    params = {
        "us_offer_strategy": "zeuthen",
        "china_offer_strategy": "zeuthen",
        "us_opponent_model": "perfect",
        "china_opponent_model": "perfect",
    }
    agreed = [run_once(shipped_flagship, seed, params).truce for seed in range(30)]
    assert sum(agreed) >= 18


def test_logrolling_offers_the_other_side_more_than_uniform_concession(flagship) -> None:  # type: ignore[no-untyped-def]
    model = play(calm(flagship, {US: {"opponent_model": behaviour("perfect")}}), rounds=1)
    us, china = model.delegations["US"], model.delegations["China"]
    for target in np.linspace(us.utility(china.ideal) + 0.01, 0.99, 25):
        traded, uniform = efficient_bid(us, target), us.concede_uniformly(target)
        assert us.utility(traded) == pytest.approx(target) == pytest.approx(us.utility(uniform))
        assert china.utility(traded) > china.utility(uniform) + 1e-6
    # In runs, with the frequency model's learned estimate, it still gives more on average:
    # in every run, and by more than 0.005 of China's utility over ten runs.
    means = []
    for seed in range(10):
        model = TradeTalksModel(flagship, rng=seed, collect=False, us_offer_strategy="logrolling")
        us, china = model.delegations["US"], model.delegations["China"]
        better = []
        while model.running:
            model.step()
            offer = model.offers["US"][-1]
            uniform = model.space.clip(us.concede_uniformly(us.utility(offer)))
            better.append(china.utility(offer) - china.utility(uniform))
        means.append(np.mean(better))
    assert min(means) > 0 and np.mean(means) > 0.005


def test_paced_bids_reach_their_target_and_settle_issues_part_way(flagship) -> None:  # type: ignore[no-untyped-def]
    """Issue by issue at the pace of its trade-off ratio (Faratin et al. 1998): each bid
    is worth the target, issues the other side values more relative to own cost are
    conceded further, and in between issues sit part-way, not at either ideal."""
    model = play(calm(flagship, {US: {"opponent_model": behaviour("perfect")}}), rounds=1)
    us, china = model.delegations["US"], model.delegations["China"]
    step = china.ideal - us.ideal
    ratio = (china.slope / us.slope)[step != 0]
    for target in np.linspace(us.utility(china.ideal) + 0.01, 0.99, 15):
        bid = paced_bid(us, target)
        assert us.utility(bid) == pytest.approx(target, abs=1e-4)
        share = ((bid - us.ideal) / np.where(step != 0, step, 1.0))[step != 0]
        assert spearmanr(ratio, share).statistic > 0.9  # concede where the other cares more
    middle = paced_bid(us, 0.5 * (1.0 + us.utility(china.ideal)))
    share = ((middle - us.ideal) / np.where(step != 0, step, 1.0))[step != 0]
    assert ((share > 0.02) & (share < 0.98)).sum() >= 3  # several issues part-way
    assert np.ptp(share) > 0.3  # and at clearly different points


def test_similarity_trade_off_stays_nearest_the_other_offer(flagship) -> None:  # type: ignore[no-untyped-def]
    """Faratin, Sierra & Jennings (2002): at the target utility, the bid is the package
    nearest the other side's offer (distance weighted by its estimated weights)."""
    model = play(calm(flagship, {US: {"opponent_model": behaviour("perfect")}}), rounds=1)
    us, china = model.delegations["US"], model.delegations["China"]
    span, weights = model.space.span, us.opponent.weights
    anchor = china.ideal
    rng = np.random.default_rng(0)
    for target in (0.6, 0.75, 0.9):
        bid = similar_bid(us, target, anchor)
        assert us.utility(bid) == pytest.approx(target)
        distance = float(weights @ ((bid - anchor) / span) ** 2)
        for _ in range(200):  # no package between the ideals at that utility is nearer
            share = rng.random(len(span))
            other = us.ideal + share * (anchor - us.ideal)
            u = us.utility(other)
            if abs(u - target) < 5e-3:
                assert float(weights @ ((other - anchor) / span) ** 2) >= distance - 1e-3
    assert np.array_equal(similar_bid(us, us.utility(anchor) - 0.01, anchor), anchor)


# --- acceptance strategies ------------------------------------------------------------------
def _packages_by_utility(model: TradeTalksModel, side: str) -> list[tuple[float, Package]]:
    me = model.delegations[side]
    other = model.delegations[model.view.other(side)].ideal
    packages = [me.ideal + c * (other - me.ideal) for c in np.linspace(0, 1, 21)]
    return [(me.utility(p), p) for p in packages]


def test_ac_const_accepts_exactly_above_its_threshold(flagship) -> None:  # type: ignore[no-untyped-def]
    model = play(calm(flagship), rounds=2)
    me, rule = model.delegations["US"], get("acceptance", "ac-const").build({"threshold": 0.6})
    for u, p in _packages_by_utility(model, "US"):
        assert rule.accepts(me, model.view, p, me.ideal) == (u >= 0.6)


def test_ac_time_accepts_anything_after_its_time(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(calm(flagship), rng=1, collect=False)
    me, rule = model.delegations["US"], get("acceptance", "ac-time").build({"T": 0.5})
    worst = model.delegations["China"].ideal
    answers = []
    for _ in range(12):
        model.step()
        answers.append((model.view.t, rule.accepts(me, model.view, worst, me.ideal)))
    assert [a for t, a in answers] == [t >= 0.5 for t, _ in answers]
    assert any(a for _, a in answers) and not all(a for _, a in answers)


def test_ac_combi_is_ac_next_or_late_best_offer_seen(flagship) -> None:  # type: ignore[no-untyped-def]
    scenario = calm(flagship, {US: offers("hardliner")})
    model = TradeTalksModel(scenario, rng=1, collect=False)
    me, view = model.delegations["US"], model.view
    rule = get("acceptance", "ac-combi").build({"T": 0.5, "window": "all"})
    nxt = get("acceptance", "ac-next").build()
    for _ in range(12):
        model.step()
        seen = max(me.utility(p) for p in view.offers("China"))
        for u, p in _packages_by_utility(model, "US"):
            expected = nxt.accepts(me, view, p, me.ideal) or (view.t >= 0.5 and u >= seen)
            assert rule.accepts(me, view, p, me.ideal) == expected
    # the 'remaining' window forgets early offers: only the last (1 - t) of time counts
    late = get("acceptance", "ac-combi").build({"T": 0.5, "window": "remaining"})
    recent = [
        p for i, p in enumerate(view.offers("China")) if view.time_of(i + 1) >= 2 * view.t - 1
    ]
    threshold = max(me.utility(p) for p in recent)
    for u, p in _packages_by_utility(model, "US"):
        assert late.accepts(me, view, p, me.ideal) == (u >= threshold or u >= 1.0)


# --- opponent models --------------------------------------------------------------------------
@dataclass
class Stubborn(OfferStrategy):
    """A known opponent: concedes every issue every round, least where it cares most."""

    def target_utility(self, me, view, t):  # type: ignore[no-untyped-def]
        return 0.0

    def propose(self, me, view):  # type: ignore[no-untyped-def]
        share = view.t ** (me.weights / me.weights.min())
        return me.ideal + share * (me.opponent.ideal - me.ideal)


@pytest.mark.parametrize(("name", "within"), [("frequency", 8), ("bayesian", 16)])
def test_opponent_model_recovers_a_known_opponents_ranking(
    flagship, name: str, within: int
) -> None:  # type: ignore[no-untyped-def]
    scenario = calm(flagship, {US: {**offers("hardliner"), "opponent_model": behaviour(name)}})
    model = TradeTalksModel(scenario, rng=1, collect=False)
    model.delegations["China"].offer = Stubborn()
    truth = model.delegations["China"].weights
    for _ in range(within):
        model.step()
    belief = model.delegations["US"].opponent.weights
    assert belief.sum() == pytest.approx(1.0)
    assert spearmanr(belief, truth)[0] >= 0.9
    top_two = {int(i) for i in np.argsort(-truth)[:2]}  # the tariff and the affiliates rule
    assert {int(i) for i in np.argsort(-belief)[:2]} == top_two


def test_uniform_concession_teaches_the_bayesian_model_nothing(flagship) -> None:  # type: ignore[no-untyped-def]
    scenario = calm(
        flagship, {US: {**offers("hardliner"), "opponent_model": behaviour("bayesian")}}
    )
    model = play(scenario)
    opponent = model.delegations["US"].opponent
    assert np.ptp(opponent.weights) < 0.02  # the same fraction of every issue: no ranking
    assert np.allclose(opponent.ideal, model.offers["China"][0])  # opened with its ideal


def test_perfect_model_reads_the_other_mandate(flagship) -> None:  # type: ignore[no-untyped-def]
    scenario = variant(flagship, {US: {"opponent_model": behaviour("perfect")}})
    model = play(scenario, rounds=5)
    china = model.delegations["China"]
    assert np.array_equal(model.delegations["US"].opponent.weights, china.weights)
    assert np.array_equal(model.delegations["US"].opponent.ideal, china.ideal)


# --- mediation -------------------------------------------------------------------------------
def test_single_text_moves_toward_the_nash_point(flagship) -> None:  # type: ignore[no-untyped-def]
    host = {"mediation": behaviour("single-text", learner="perfect", rate=0.3)}
    scenario = calm(flagship, {"malaysia": host})
    nash = analyse(scenario).nash.package
    model = TradeTalksModel(scenario, rng=1, collect=False)
    distances = []
    while model.running:
        model.step()
        if model.text is not None:
            distances.append(model.space.normalised_gap(model.text, nash))
    assert len(distances) >= 6
    assert np.all(np.diff(distances) <= 1e-12)  # never away from the Nash point
    assert distances[-1] < 0.1 * distances[0]
    check_invariants(model)


def test_single_text_learner_must_be_an_opponent_model() -> None:
    with pytest.raises(BehaviourError, match="unknown opponent_model behaviour 'oracle'"):
        get("mediation", "single-text").build({"learner": "oracle"})


# --- lobbying --------------------------------------------------------------------------------
def _mobilised(flagship: Scenario, amount: float) -> Scenario:
    groups = {
        a.key: {"lobbying": behaviour("mobilising")} for a in flagship.actors if a.kind == "group"
    }
    scenario = calm(flagship, groups, lobbying_rate=0.05)
    data = scenario.model_dump()
    data["events"] = [
        {
            "at": "2025-10-25T10:00:00",
            "label": "Farm-state rally",
            "kind": "shock",
            "effects": {"mobilise": {"us_soybean_farmers": amount}},
        }
    ]
    return Scenario.model_validate(data)


def test_a_louder_group_shifts_its_delegations_mandate_more(flagship) -> None:  # type: ignore[no-untyped-def]
    soy = flagship.space.index["soybean_purchases_mmt"]
    ideals = []
    for amount in (0.0, 3.0, 6.0):
        model = play(_mobilised(flagship, amount), rounds=8)
        ideals.append(model.prefs.ideal[model.delegations["US"].row][soy])
    assert ideals[0] < ideals[1] < ideals[2] <= 30.0  # toward the farmers' 30 Mt


def test_mobilisation_decays_back(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(_mobilised(flagship, 4.0), rng=1, collect=False)
    farmers = next(g for g in model.groups_of["US"] if g.key == "us_soybean_farmers")
    row = model.delegations["US"].group_index[farmers.key]  # US groups come first
    base = farmers.spec.urgency
    pushes = []
    for _ in range(12):
        before = model.mandates.pull[row].sum()
        model.step()
        pushes.append(float(model.mandates.pull[row].sum() - before))
    peak = int(np.argmax(pushes))
    assert peak <= 2 and pushes[peak] > 2 * pushes[-1]
    assert np.all(np.diff(pushes[peak:]) < 0)  # calming down every round after the flare
    assert farmers.lobbying._arousal < 0.2 * 4.0 and farmers.urgency == base + 4.0


def test_rising_threat_credibility_alarms_groups(flagship) -> None:  # type: ignore[no-untyped-def]
    brink = {"escalation": behaviour("brinkmanship", at_round=3, credibility=1.0, progress=1.0)}
    quiet, alarmed = (
        play(variant(_mobilised(flagship, 0.0), {"trump": e} if e else {}), rounds=4)
        for e in (None, brink)
    )
    assert alarmed.credibility["US"] > quiet.credibility["US"]
    assert alarmed.mandates.pull.sum() > quiet.mandates.pull.sum()


# --- ratification -----------------------------------------------------------------------------
def test_red_line_veto_names_the_issue(flagship) -> None:  # type: ignore[no-untyped-def]
    xi = {"ratification": behaviour("red-lines", at_most={RARE_EARTHS: 12})}
    model = TradeTalksModel(variant(flagship, {"xi": xi}), rng=1, collect=False)
    leader, space = model.leaders["China"], model.space
    generous = model.delegations["China"].ideal.copy()  # everything Beijing wants...
    generous[space.index[RARE_EARTHS]] = 18.0  # ...but the controls suspended 18 months
    verdict = leader.ratify(generous)
    assert not verdict.ratified and verdict.blocked_by[0] == "President Xi"
    assert verdict.failing_issues[0] == space.index[RARE_EARTHS]
    assert RARE_EARTHS in verdict.reason and "18 > 12" in verdict.reason
    generous[space.index[RARE_EARTHS]] = 12.0
    assert leader.ratify(generous).ratified  # on the line is not across it
    generous[space.index[RARE_EARTHS]] = 13.0
    assert not leader.ratify(generous, relax=1.0).ratified  # not relaxed at the summit


def test_red_lines_hold_in_runs(flagship) -> None:  # type: ignore[no-untyped-def]
    xi = {"ratification": behaviour("red-lines", at_most={RARE_EARTHS: 12})}
    scenario = variant(flagship, {"xi": xi})
    vetoed = False
    for seed in range(6):
        model = play(scenario, seed)
        check_invariants(model)
        assert model.outcome is not None
        if model.outcome.outcome != "no deal":
            assert model.outcome.package[RARE_EARTHS] <= 12 + 1e-9
        vetoed |= any("red line" in e.label and RARE_EARTHS in e.label for e in model.timeline)
    assert vetoed


def test_red_line_on_an_unknown_issue_is_a_clear_error(flagship) -> None:  # type: ignore[no-untyped-def]
    xi = {"ratification": behaviour("red-lines", at_least={"tarrif": 10})}
    model = TradeTalksModel(variant(flagship, {"xi": xi}), rng=1)
    with pytest.raises(BehaviourError, match="no issue 'tarrif'; the issues are: us_tariff_rate"):
        model.leaders["China"].ratify(model.space.status_quo)


# --- escalation -------------------------------------------------------------------------------
def test_brinkmanship_threatens_at_its_round_and_withdraws_after_progress(flagship) -> None:  # type: ignore[no-untyped-def]
    trump = {
        "escalation": behaviour(
            "brinkmanship", at_round=2, gap_above=1.0, credibility=0.9, progress=0.05
        )
    }
    model = TradeTalksModel(calm(flagship, {"trump": trump}), rng=1, collect=False)
    start = model.credibility["US"]
    history = []
    while model.running:
        model.step()
        history.append(model.credibility["US"])
    assert history[0] == start and history[1] == pytest.approx(0.9)
    threats = [e for e in model.timeline if "brinkmanship" in e.label]
    withdrawals = [e for e in model.timeline if "withdrawn" in e.label]
    assert [e.round for e in threats] == [2] and threats[0].kind == "threat"
    assert len(withdrawals) == 1 and withdrawals[0].kind == "signal"
    after = withdrawals[0].round
    gaps = model.gaps
    assert gaps[1] - gaps[after - 1] >= 0.05 > gaps[1] - gaps[after - 2]
    assert history[after - 1] == pytest.approx(start)


def test_brinkmanship_threatens_when_the_gap_is_wide(flagship) -> None:  # type: ignore[no-untyped-def]
    wide = {"escalation": behaviour("brinkmanship", gap_above=0.0, credibility=0.8)}
    model = play(calm(flagship, {"trump": wide}), rounds=1)
    assert model.credibility["US"] == pytest.approx(0.8)
    never = {"escalation": behaviour("brinkmanship", gap_above=1.0, credibility=0.8)}
    model = play(calm(flagship, {"trump": never}))
    assert model.credibility["US"] == pytest.approx(flagship.settings.threat_credibility)


def test_uncertain_ratification_vetoes_in_some_runs_and_rises_with_the_margin(flagship) -> None:  # type: ignore[no-untyped-def]
    """Iida (1993): with ratification noise the domestic level binds in a share of runs,
    and a leader's approval is a smooth, rising function of the package's margin."""
    vetoed = sum(
        run_once(flagship, seed=s, params={"ratification_noise": 0.2}).vetoes > 0 for s in range(40)
    )
    assert 0 < vetoed < 40
    assert all(run_once(flagship, seed=s).vetoes == 0 for s in range(10))  # the step rule
    model = TradeTalksModel(flagship, rng=1, collect=False, ratification_noise=0.1)
    trump = model.leaders["US"]
    us_ideal, china_ideal = model.delegations["US"].ideal, model.delegations["China"].ideal
    approvals = [
        trump.ratify(china_ideal + c * (us_ideal - china_ideal)).approval
        for c in np.linspace(0.0, 1.0, 11)
    ]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(approvals))
    assert 0.0 < approvals[0] < approvals[-1] < 1.0 + 1e-12
    assert len(set(np.round(approvals, 6))) > 5  # smooth, not a step


def _engaged(model: TradeTalksModel) -> float:
    """The audience cost in Trump's reservation: what the no-deal and resolve leave."""
    trump = model.leaders["US"]
    return trump.reservation - trump.utility(model.no_deal_perceived) - trump.reservation_shift


def test_a_public_threat_engages_the_leaders_audience_cost(flagship) -> None:  # type: ignore[no-untyped-def]
    """Audience costs (Fearon 1994): the leader's reservation rises by the cost times the
    highest credibility its threats reached, and softening does not undo it."""
    costly = flagship.model_copy(
        update={"settings": flagship.settings.model_copy(update={"audience_cost": 0.5})}
    )
    for scenario, cost in ((flagship, 0.0), (costly, 0.5)):
        model = TradeTalksModel(scenario, rng=1, collect=False, resolve_noise=0.0)
        trump, xi = model.leaders["US"], model.leaders["China"]

        assert _engaged(model) == pytest.approx(cost * 0.6)  # the file's threat, public
        trump.threaten(0.2, "threat reaffirmed")
        assert _engaged(model) == pytest.approx(cost * 0.8)
        trump.threaten(-0.3, "threat softened")
        assert model.credibility["US"] == pytest.approx(0.5)
        assert _engaged(model) == pytest.approx(cost * 0.8)  # backing down does not undo it
        assert xi.reservation == pytest.approx(  # no threat of its own: nothing engaged
            min(max(xi.utility(model.no_deal_perceived) + xi.reservation_shift, 0.0), 0.95)
        )


def test_audience_costs_buy_terms_at_the_risk_of_no_deal(flagship) -> None:  # type: ignore[no-untyped-def]
    """A leader whose threat engaged a high audience cost gets better terms when there is
    a deal, and there is a deal less often (Fearon 1994; Schelling 1960)."""
    results = {}
    for cost in (0.0, 0.5):  # at 1.0 almost no deal is left (5 in 200 runs)
        outs = [
            run_once(flagship, seed, {"audience_cost": cost, "threat_credibility": 0.8})
            for seed in range(40)
        ]
        deals = [o for o in outs if o.truce]
        tariff = np.median([o.package["us_tariff_rate"] for o in deals])
        results[cost] = (len(deals) / len(outs), tariff)
    assert results[0.5][0] < results[0.0][0] - 0.1
    assert results[0.5][1] > results[0.0][1]


def test_a_retaliating_leader_answers_threats_with_threats(flagship) -> None:  # type: ignore[no-untyped-def]
    data = flagship.model_dump()
    for actor in data["actors"]:
        if actor["key"] == "xi":
            actor["threat_issues"] = ["rare_earth_controls_suspension_months"]
            actor["escalation"] = {"name": "retaliate", "params": {"reaction": 1.0}}
    scenario = Scenario.model_validate(sync_defaults(data))
    model = TradeTalksModel(scenario, rng=2, collect=False)
    model.step()
    china = model.credibility["China"]
    model.leaders["US"].threaten(0.2, "new threat")
    model.leaders["China"].escalate()
    assert model.credibility["China"] == pytest.approx(min(china + 0.2, 1.0))
    model.leaders["US"].threaten(-0.1, "softened")
    model.leaders["China"].escalate()
    assert model.credibility["China"] == pytest.approx(min(china + 0.2, 1.0) - 0.1)
    assert any("counter-threat" in e.label for e in model.timeline)
