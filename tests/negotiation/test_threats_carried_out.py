"""Dated threats that take effect (Schelling 1966; Fearon 1994): if no deal is agreed by
their date, the threatened value is in force from then on, the status quo and the
reference point of gains and losses move, and the no-deal package is no longer a guess."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from negotiation import Scenario, TradeTalksModel, load_scenario, run_once
from negotiation.explain import explain
from negotiation.scenario import ScenarioError

from .invariants import check_invariants

THREAT = """
[[events]]
at = 2025-10-26T12:00:00
label = "The extra 100% US tariff takes effect early"
kind = "threat"
effects = { status_quo = { us_tariff_rate = 130 } }
"""


def _with(text: str, before: str, added: str, folder: Path) -> Scenario:
    """The flagship with ``added`` inserted before the line starting ``before``."""
    path = folder / "variant.toml"
    path.write_text(text.replace(before, added + "\n" + before, 1), encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def early_threat(flagship_text: str, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The flagship with the 1 November tariff brought forward into the talks."""
    return _with(flagship_text, "# --- random shocks", THREAT, tmp_path_factory.mktemp("early"))


def test_a_threat_takes_effect_when_no_deal_is_agreed_by_its_date(early_threat) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(early_threat, rng=0, collect=False)
    assert model.no_deal_perceived[0] == pytest.approx(90)  # 30 + 0.6 x 100, a guess
    while model.running and model.space.status_quo[0] == 30:
        model.step()
    assert model.space.status_quo[0] == 130
    assert model.no_deal_perceived[0] == 130  # carried out: no longer a 60% guess
    # no declared reference on the tariff: the reference point moves with what is in force
    assert model.prefs.reference.tolist() == model.space.status_quo.tolist()
    # gains and losses are now judged from the tariff in force: 130 is no loss to China
    china = model.delegations["China"]
    assert china._ref_dist[0] == pytest.approx(130 - china.ideal[0])
    assert any(e.label.startswith("In force from now") for e in model.timeline)
    model.run()
    check_invariants(model)
    assert any(line.startswith("Carried out:") for line in explain(model))


def test_a_framework_agreed_before_the_date_suspends_it(early_threat) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(early_threat, rng=0, collect=False)
    model.step()
    model.framework, model.framework_round = model.offers["US"][-1], 1
    model.apply_effects(early_threat.events[-1].effects, "early tariff", "threat")
    assert model.space.status_quo[0] == 30
    assert model.timeline[-1].label.startswith("Suspended")


def test_carrying_out_the_threat_changes_the_talks(early_threat, shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """Both sides lose more without a deal once the tariff is in force, and the tariff
    is judged from 130, not 30: the agreements differ from those of the file as it is."""
    plain = [run_once(shipped_flagship, seed) for seed in range(40)]
    early = [run_once(early_threat, seed) for seed in range(40)]
    tariffs = [
        np.median([o.package["us_tariff_rate"] for o in runs if o.truce]) for runs in (plain, early)
    ]
    deals = [sum(o.truce for o in runs) for runs in (plain, early)]
    assert tariffs[0] != tariffs[1] or deals[0] != deals[1]


@pytest.mark.parametrize(
    ("effects", "message"),
    [
        ("{ status_quo = { tariff = 10 } }", "unknown issue 'tariff'"),
        ("{ status_quo = { us_tariff_rate = 200 } }", "outside [0.0, 130.0]"),
    ],
)
def test_a_bad_carried_out_threat_is_refused(
    flagship_text: str, tmp_path: Path, effects: str, message: str
) -> None:
    text = THREAT.replace("{ status_quo = { us_tariff_rate = 130 } }", effects)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        _with(flagship_text, "# --- random shocks", text, tmp_path)


def test_a_random_shock_cannot_carry_out_a_threat(flagship_text: str, tmp_path: Path) -> None:
    shock = """
[[shocks]]
label = "Tariff snaps back"
rate_per_day = 0.1
effects = { status_quo = { us_tariff_rate = 130 } }
"""
    with pytest.raises(ScenarioError, match="only a dated event can carry out a threat"):
        _with(flagship_text, "# --- settings", shock, tmp_path)


def test_the_trajectories_show_the_threat_carried_out(early_threat) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(early_threat, rng=0)
    model.run()
    assert model.datacollector is not None
    frame = model.datacollector.get_model_vars_dataframe()
    column = frame["status_quo__us_tariff_rate"]
    assert column.iloc[0] == 30 and column.iloc[-1] == 130
    assert (frame["peak_credibility__US"] >= frame["credibility__US"]).all()
    assert frame["holding__US"].dtype == bool
