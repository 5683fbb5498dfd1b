"""Links that reopen the live page's settings, and the run data it exports."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from dashboards.live_model import DEFAULT_SCENARIO, LiveChoices, LiveModel
from dashboards.share import from_query, record_json, to_query, trajectories_csv
from experiments.cli import main


def test_an_untouched_page_links_to_its_scenario_and_seed() -> None:
    assert to_query(LiveChoices()) == f"scenario={DEFAULT_SCENARIO}&seed=7"


def test_a_link_round_trips_every_kind_of_parameter() -> None:
    choices = (
        LiveChoices()
        .with_seed("11")
        .with_value("hawk_influence", 2.5)
        .with_value("summit_endorsement", False)
        .with_value("us_offer_strategy", "trade-off")
    )
    query = to_query(choices)
    assert "summit_endorsement=false" in query
    read = from_query("?" + query)
    assert read.problems == ()
    assert read.choices == choices
    assert to_query(read.choices) == query  # the same settings give the same link


def test_a_parameter_set_to_its_default_is_not_written() -> None:
    read = from_query(f"scenario={DEFAULT_SCENARIO}&seed=7&hawk_influence=1.0")
    assert read.choices == LiveChoices()
    assert to_query(read.choices) == f"scenario={DEFAULT_SCENARIO}&seed=7"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("scenario=atlantis", r"scenario 'atlantis' is not a built-in scenario .*kuala-lumpur"),
        ("seed=-3", r"seed must not be negative"),
        ("seed=seven", r"seed must be a whole number"),
        ("hawk_power=2", r"'hawk_power' is not a parameter of kuala-lumpur-2025"),
        ("hawk_influence=9", r"hawk_influence.*outside its range \[0.0, 4.0\]"),
        ("us_offer_strategy=bluff", r"not a registered offer behaviour"),
        ("summit_endorsement=maybe", r"must be true or false"),
    ],
)
def test_what_a_link_cannot_use_is_named_and_the_rest_kept(query: str, message: str) -> None:
    read = from_query(f"{query}&lobbying_rate=0.1")
    assert len(read.problems) == 1
    assert pytest.approx(read.choices.changed["lobbying_rate"]) == 0.1
    assert re.search(message, read.problems[0]), read.problems[0]


def test_the_exported_record_is_what_the_command_line_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    choices = LiveChoices().with_seed("3").with_value("hawk_influence", 2.0)
    model = LiveModel(**choices.model_kwargs())
    with pytest.raises(ValueError, match="has not ended"):
        record_json(model)
    model.run()
    assert main(["run", "--seed", "3", "--set", "hawk_influence=2", "--json"]) == 0
    printed = capsys.readouterr().out
    assert record_json(model) == printed.rstrip("\n")
    assert json.loads(record_json(model))["plan_digest"] == json.loads(printed)["plan_digest"]


def test_the_exported_trajectories_have_a_row_per_round() -> None:
    model = LiveModel(seed="5")
    model.run()
    frame = pd.read_csv(io.StringIO(trajectories_csv(model)))
    assert len(frame) == len(model.datacollector.get_model_vars_dataframe())
    assert frame["round"].is_monotonic_increasing
    assert any(c.startswith("status_quo__") for c in frame.columns)
