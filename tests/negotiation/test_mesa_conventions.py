"""The model follows Mesa's conventions: long-form agent data, batch_run, rich display."""

from __future__ import annotations

import mesa
import pandas as pd

from negotiation import TradeTalksModel, run_once


def test_agent_reporters_give_one_row_per_round_and_actor(flagship) -> None:  # type: ignore[no-untyped-def]
    model = TradeTalksModel(flagship, rng=7)
    model.run()
    frame = model.datacollector.get_agent_vars_dataframe()
    assert len(frame) == model.steps * len(model.agents)
    last = frame.xs(float(model.steps), level="Step").set_index("key")
    us = model.delegations["US"]
    assert last.loc["us_delegation", "kind"] == "delegation"
    assert last.loc["us_delegation", "utility_of_China_offer"] == us.utility(
        model.offers["China"][-1]
    )
    assert last.loc["us_delegation", "reservation"] == us.reservation
    assert pd.isna(last.loc["malaysia", "reservation"])  # the host has no preferences


def test_batch_run_returns_the_outcome_record(flagship) -> None:  # type: ignore[no-untyped-def]
    rows = mesa.batch_run(
        TradeTalksModel,
        parameters={"scenario": [flagship], "threat_credibility": [0.2, 0.9]},
        number_processes=1,
        display_progress=False,
        rng=[3],
    )
    frame = pd.DataFrame(rows).drop_duplicates("RunId")
    assert len(frame) == 2
    for row in frame.itertuples():
        record = run_once(flagship, seed=3, params={"threat_credibility": row.threat_credibility})
        flat = record.to_row()
        assert row.outcome__truce == flat["truce"]
        assert row.outcome__package__us_tariff_rate == flat["package__us_tariff_rate"]
        assert row.outcome__param__threat_credibility == row.threat_credibility
        assert row.outcome__plan_digest == flat["plan_digest"]


def test_outcome_record_displays_as_html_in_notebooks(flagship) -> None:  # type: ignore[no-untyped-def]
    outcome = run_once(flagship, seed=7)
    html = outcome._repr_html_()
    assert outcome.outcome.upper() in html and "us_tariff_rate" in html
    assert outcome.reason.split(":")[0] in html
