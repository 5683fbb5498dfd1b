"""What the live page hands out: a link that reopens its settings, and a run's data.

A link carries the choices of the live page (:class:`~dashboards.live_model.LiveChoices`)
in its query string: ``?scenario=kuala-lumpur-2025&seed=7&hawk_influence=2``. Only the
parameters moved away from their defaults are written, so the link of an untouched page
is the scenario and the seed alone, and opening it builds the same run as
``negotiation run --scenario S --seed N --set name=value ...``.

Reading a link never fails: a link is typed by hand, truncated by mail clients and kept
across versions whose parameters change. Whatever cannot be used (an unknown scenario,
an unknown parameter, a value out of range) is left out and named in a message that the
page shows; the rest of the link is kept.

The exported record is the outcome record as ``negotiation run --json`` prints it, and the
trajectories are the DataCollector's per-round table, one column per reporter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from dashboards.live_model import DEFAULT_SCENARIO, LiveChoices, parse_seed
from experiments.summary import json_text
from negotiation import ScenarioError, TradeTalksModel, builtin_scenarios

RESERVED = ("scenario", "seed")  # query keys that are not named parameters


def to_query(choices: LiveChoices) -> str:
    """The query string (without ``?``) that reopens ``choices``: the scenario, the seed
    and each changed parameter, in name order so that equal settings give equal links."""
    pairs: list[tuple[str, str]] = [("scenario", choices.scenario_name), ("seed", choices.seed)]
    pairs += [(name, _text(choices.changed[name])) for name in sorted(choices.changed)]
    return urlencode(pairs)


@dataclass(frozen=True)
class ReadLink:
    """The choices a link gives, and one message per part of it that was left out."""

    choices: LiveChoices
    problems: tuple[str, ...] = ()


def from_query(query: str | Mapping[str, Sequence[str]]) -> ReadLink:
    """The live page's choices from a query string (with or without ``?``) or an already
    parsed mapping of lists, keeping what is valid and naming what is not."""
    fields = (
        parse_qs(query.lstrip("?"), keep_blank_values=True) if isinstance(query, str) else query
    )
    problems: list[str] = []
    name = _last(fields, "scenario") or DEFAULT_SCENARIO
    known = builtin_scenarios()
    if name not in known:
        problems.append(
            f"scenario {name!r} is not a built-in scenario (one of {', '.join(known)}); "
            f"showing {DEFAULT_SCENARIO}"
        )
        name = DEFAULT_SCENARIO
    choices = LiveChoices(scenario_name=name)
    seed = _last(fields, "seed")
    if seed is not None:
        try:
            choices = choices.with_seed(str(parse_seed(seed)))
        except ValueError as exc:
            problems.append(f"{exc}; using seed {choices.seed}")
    parameters = choices.scenario.parameters
    for key in sorted(k for k in fields if k not in RESERVED):
        value = _last(fields, key)
        if key not in parameters:
            problems.append(f"{key!r} is not a parameter of {name}; left out")
            continue
        try:
            checked = parameters[key].check(key, value)
        except ScenarioError as exc:
            problems.append(f"{exc}; left out")
            continue
        choices = choices.with_value(key, checked)
    return ReadLink(choices, tuple(problems))


def record_json(model: TradeTalksModel) -> str:
    """The finished run's outcome record, exactly as ``negotiation run --json`` prints it
    (``None`` values and all); a run that has not ended has no record."""
    if model.outcome is None:
        raise ValueError("the run has not ended: its outcome record does not exist yet")
    return json_text(model.outcome.to_dict())


def trajectories_csv(model: TradeTalksModel) -> str:
    """The run's per-round trajectories so far (the DataCollector's model table) as CSV,
    one row per collected round."""
    collector = getattr(model, "datacollector", None)
    if collector is None:
        raise ValueError("this run keeps no trajectories (built with collect=False)")
    frame = collector.get_model_vars_dataframe()
    return str(frame.to_csv(index_label="round"))


def _last(fields: Mapping[str, Sequence[str]], key: str) -> str | None:
    """A query value (the last one when a key repeats, as browsers and servers read it)."""
    values = fields.get(key)
    return str(values[-1]) if values else None


def _text(value: object) -> str:
    """A parameter value as ``--set`` writes it (booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)
