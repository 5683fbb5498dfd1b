"""The round protocol, the calendar, the outcome record and the trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest

from negotiation import TradeTalksModel, load_scenario, run_once
from negotiation.calendar import Calendar
from negotiation.outcome import analyse

from .invariants import check_invariants


def test_python_api_of_the_issue(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(
        scenario=load_scenario("kuala-lumpur-2025"), rng=7, threat_credibility=0.8
    )
    outcome = model.run()
    assert outcome.seed == 7 and outcome.params["threat_credibility"] == 0.8
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == outcome.rounds_played
    for column in (
        "offer__US__us_tariff_rate",
        "offer__China__soybean_purchases_mmt",
        "text__us_tariff_rate",
        "utility__trump__US",
        "utility__xi__China",
        "reservation__us_delegation",
        "approval__US",
        "approval__China",
        "gap",
    ):
        assert column in df.columns, column
    assert df["gap"].between(0, 1).all()
    check_invariants(model)


def test_calendar_maps_rounds_to_dates(flagship) -> None:  # type: ignore[no-untyped-def]
    cal = Calendar(flagship.calendar)
    dates = [r.at.date().isoformat() for r in cal.rounds]
    assert dates.count("2025-10-25") == 5 and dates.count("2025-10-26") == 5
    assert dates.count("2025-10-27") == 2 and dates.count("2025-10-29") == 2
    assert len(cal) == 16
    assert [r.number for r in cal.rounds] == list(range(1, 17))
    assert all(a.at < b.at for a, b in zip(cal.rounds, cal.rounds[1:], strict=False))
    assert cal.rounds[0].days_before_summit == pytest.approx(5 + 2 / 24, abs=1e-3)
    assert cal.rounds[-1].at < cal.summit


def test_dated_event_fires_before_the_first_round(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(flagship, rng=1, shock_scale=0)
    model.step()
    first = model.timeline[0]
    assert first.round == 1 and "Section 301" in first.label
    assert model.credibility["US"] == pytest.approx(0.6 + 0.05)


def test_shocks_come_from_the_seed_and_scale(flagship) -> None:  # type: ignore[no-untyped-def]
    def shocks(seed: int, scale: float) -> list[str]:
        model = TradeTalksModel(flagship, rng=seed, shock_scale=scale, collect=False)
        model.run()
        return [
            e.label
            for e in model.timeline
            if e.kind in ("shock", "signal", "threat") and "President" not in e.label
        ]

    many = sum(len(shocks(s, 5.0)) for s in range(10))
    none = sum(len(shocks(s, 0.0)) for s in range(10))
    assert many > none + 20


def test_a_veto_feeds_back_and_talks_go_on(flagship) -> None:  # type: ignore[no-untyped-def]
    # Hawks and the rare-earth establishment weigh four times as much: their leaders veto
    # the first packages, the delegations harden, the talks continue.
    vetoed = []
    for seed in range(20):
        model = TradeTalksModel(flagship, rng=seed, hawk_influence=4.0, collect=False)
        outcome = model.run()
        check_invariants(model)
        if outcome.vetoes:
            vetoed.append(outcome)
            assert "US security hawks" in outcome.vetoed_by
            first_veto = next(e for e in model.timeline if e.kind == "veto")
            assert first_veto.round < outcome.rounds_played or not outcome.truce
    assert vetoed, "hawks with four times the influence never vetoed"


def test_hardliner_rarely_gets_a_truce(flagship) -> None:  # type: ignore[no-untyped-def]
    default = [run_once(flagship, seed=s).truce for s in range(30)]
    hard = [
        run_once(flagship, seed=s, params={"us_offer_strategy": "hardliner"}).truce
        for s in range(30)
    ]
    assert sum(hard) < sum(default)


def test_summit_closes_small_gaps_only(flagship) -> None:  # type: ignore[no-untyped-def]
    closed = [
        run_once(flagship, seed=s, params={"hawk_influence": 4.0, "summit_max_gap": 0.5})
        for s in range(20)
    ]
    never = [
        run_once(flagship, seed=s, params={"hawk_influence": 4.0, "summit_max_gap": 0.0})
        for s in range(20)
    ]
    assert any(o.summit_deal for o in closed)
    assert not any(o.summit_deal for o in never)
    for o in closed:
        if o.summit_deal:
            assert o.package_source == "summit" and "closed the gap at the summit" in o.reason


def test_outcome_record_json_and_row(flagship) -> None:  # type: ignore[no-untyped-def]
    outcome = run_once(flagship, seed=7)
    record = outcome.to_dict()
    for key in (
        "truce",
        "round",
        "date",
        "days_before_summit",
        "package",
        "utilities",
        "reason",
        "seed",
    ):
        assert key in record
    assert set(record["package"]) == set(flagship.space.keys)
    row = outcome.to_row()
    assert row["package__us_tariff_rate"] == record["package"]["us_tariff_rate"]
    assert row["utility__trump"] == record["utilities"]["trump"]
    assert all(not isinstance(v, dict) for v in row.values())
    assert row["vetoed_by"] == record["vetoed_by"]  # a list column, not a joined string
    assert all(not isinstance(v, list) for k, v in row.items() if k != "vetoed_by")


def test_efficiency_measures_are_consistent(flagship) -> None:  # type: ignore[no-untyped-def]
    """The record's efficiency figures, recomputed from its package and the analysis."""
    analysis = analyse(flagship)
    d = analysis.frontier.disagreement
    nash = analysis.nash.utilities
    assert analysis.frontier.distance(nash) == pytest.approx(0.0, abs=1e-9)  # on the frontier
    deals = 0
    for seed in range(10):
        outcome = run_once(flagship, seed=seed)
        if outcome.outcome == "no deal":
            assert outcome.nash_product is None and outcome.pareto_distance is None
            continue
        deals += 1
        package = np.array([outcome.package[k] for k in flagship.space.keys])
        point = (float(analysis.us.utility(package)[0]), float(analysis.china.utility(package)[0]))
        product = (point[0] - d[0]) * (point[1] - d[1])
        assert outcome.nash_product == pytest.approx(product, abs=1e-5)
        gap = math.hypot(point[0] - nash[0], point[1] - nash[1])
        assert outcome.nash_distance == pytest.approx(gap, abs=1e-5)
        # The Nash point is on the frontier, so the frontier is no farther than it.
        assert outcome.pareto_distance is not None
        assert outcome.pareto_distance <= outcome.nash_distance + 1e-6
    assert deals > 0


def test_each_model_owns_its_state(flagship) -> None:  # type: ignore[no-untyped-def]
    a = TradeTalksModel(flagship, rng=3)
    b = TradeTalksModel(flagship, rng=3)
    a.step()
    a.step()
    assert b.steps == 0 and not b.offers["US"]
    assert not np.shares_memory(a.prefs.ideal, b.prefs.ideal)


def test_reservations_follow_the_lobbied_mandate(flagship) -> None:  # type: ignore[no-untyped-def]
    """A delegation's reservation is the no-deal utility under its *current* mandate."""
    model = TradeTalksModel(flagship, rng=3, collect=False, lobbying_rate=0.2)
    settings = model.spec.settings
    for _ in range(12):  # past the point where goodwill stops growing
        model.step()
        for d in model.delegations.values():
            fresh = d.utility(model.no_deal_perceived) + d.reservation_shift - model.goodwill
            expected = min(max(fresh, d.floor, 0.0), settings.max_reservation)
            assert d.reservation == pytest.approx(expected, abs=1e-12)


def test_actor_views_are_read_only_and_the_host_has_no_preferences(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(flagship, rng=1, collect=False)
    us = model.delegations["US"]
    with pytest.raises(ValueError, match="read-only"):
        us.ideal[0] = 0.0
    model.step()  # the mandate moves under lobbying: the view follows it
    assert np.array_equal(us.ideal, model.prefs.ideal[us.row])
    assert model.host is not None
    with pytest.raises(TypeError, match=r"host .* no preferences"):
        model.host.utility(model.space.status_quo)


def test_goodwill_from_events_is_not_clipped_back_by_the_host(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """The convenor caps its own contribution, not the talks' mood: goodwill that an
    event ("officials leak progress") brings above the cap stays."""
    model = TradeTalksModel(shipped_flagship, rng=1, collect=False)
    host = model.host
    assert host is not None
    model.goodwill = 0.05  # above the convenor's cap of 0.03, from events
    host.act()
    assert model.goodwill == 0.05
    model.goodwill = 0.0
    for _ in range(20):
        host.act()
    assert model.goodwill == pytest.approx(0.03)  # its own contribution stops at the cap
