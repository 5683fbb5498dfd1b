"""A corpus of bad scenario files and parameter values: each gets one clear error.

Every case is a variant of the flagship file (one text replacement) or a file that
cannot be read as a scenario at all. The error must be a :class:`ScenarioError` whose
message names the file, the field and what is allowed; never a traceback of another
type, never a half-loaded scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from negotiation import Scenario, ScenarioError, load_scenario

# (case id, text in the flagship file, its replacement, expected message regex)
VARIANTS: list[tuple[str, str, str, str]] = [
    (
        "inf-bound",
        "high = 130\n",
        "high = inf\n",
        r"issues\[0\] \(us_tariff_rate\)\.high: .*finite",
    ),
    ("nan-bound", "low = 0\nhigh = 130", "low = nan\nhigh = 130", r"\.low: .*finite"),
    ("inf-status-quo", "status_quo = 30 ", "status_quo = inf ", r"status_quo: .*finite"),
    (
        "reference-out-of-bounds",
        "status_quo = 30 ",
        "reference = 140\nstatus_quo = 30 ",
        r"us_tariff_rate\).*reference = 140.0 is outside \[0.0, 130.0\]",
    ),
    (
        "inf-salience",
        "salience = { us_tariff_rate = 0.15, affiliates",
        "salience = { us_tariff_rate = inf, affiliates",
        r"us_delegation\)\.salience\.us_tariff_rate: .*finite",
    ),
    (
        "negative-salience",
        "salience = { us_tariff_rate = 0.15, affiliates",
        "salience = { us_tariff_rate = -0.15, affiliates",
        r"salience\.us_tariff_rate: .*greater than or equal to 0",
    ),
    (
        "inf-influence",
        "influence = 0.25\nurgency",
        "influence = inf\nurgency",
        r"influence: .*finite",
    ),
    ("negative-influence", "influence = 0.25\nurgency", "influence = -1\nurgency", r"influence"),
    ("inf-urgency", "urgency = 1.5 ", "urgency = inf ", r"urgency: .*finite"),
    (
        "nan-setting",
        "threat_credibility = 0.6\n",
        "threat_credibility = nan\n",
        r"threat_credibility: .*finite",
    ),
    (
        "setting-above-one",
        "threat_credibility = 0.6\n",
        "threat_credibility = 1.6\n",
        r"less than or equal to 1",
    ),
    (
        "unknown-setting",
        "lobbying_rate = 0.02\n",
        "lobbying_rat = 0.02\n",
        r"lobbying_rat: Extra inputs",
    ),
    (
        "negative-shock-rate",
        "rate_per_day = 0.08",
        "rate_per_day = -0.08",
        r"rate_per_day: .*greater than",
    ),
    ("inf-shock-rate", "rate_per_day = 0.08", "rate_per_day = inf", r"rate_per_day: .*finite"),
    (
        "shock-rate-too-high",
        "rate_per_day = 0.08",
        "rate_per_day = 80",
        r"less than or equal to 10",
    ),
    (
        "summit-offset",
        "summit = 2025-10-30T11:00:00",
        "summit = 2025-10-30T11:00:00+08:00",
        r"calendar\.summit: .*UTC offset",
    ),
    (
        "event-utc",
        "at = 2025-10-24T20:00:00",
        "at = 2025-10-24T20:00:00Z",
        r"events\[0\].*\.at: .*UTC offset",
    ),
    (
        "milestone-offset",
        "at = 2025-11-10T00:00:00",
        "at = 2025-11-10T00:00:00-05:00",
        r"milestones\[2\] \(.*\)\.at: .*UTC offset",
    ),
    (
        "event-after-summit",
        "at = 2025-10-29T12:00:00",
        "at = 2025-10-31T12:00:00",
        r"not before the summit",
    ),
    (
        "phase-after-summit",
        "last_day = 2025-10-29",
        "last_day = 2025-10-30",
        r"not before the summit",
    ),
    (
        "phase-reversed",
        "first_day = 2025-10-27\nlast_day = 2025-10-29",
        "first_day = 2025-10-29\nlast_day = 2025-10-27",
        r"before first_day",
    ),
    (
        "zero-rounds",
        "rounds_per_day = 5 ",
        "rounds_per_day = 0 ",
        r"rounds_per_day: .*greater than or equal to 1",
    ),
    (
        "too-many-rounds",
        "rounds_per_day = 5 ",
        "rounds_per_day = 5000 ",
        r"rounds_per_day: .*less than or equal to 1440",
    ),
    ("fractional-rounds", "rounds_per_day = 5 ", "rounds_per_day = 2.5 ", r"rounds_per_day"),
    (
        "day-hours",
        "day_end_hour = 21",
        "day_end_hour = 8",
        r"day_end_hour must be after day_start_hour",
    ),
    (
        "bounds-reversed",
        "low = 0\nhigh = 130",
        "low = 130\nhigh = 0",
        r"low \(130.0\) must be below high",
    ),
    (
        "status-quo-outside",
        "status_quo = 30 ",
        "status_quo = 300 ",
        r"status_quo = 300.0 is outside",
    ),
    ("no-deal-outside", "no_deal = 130 ", "no_deal = 131 ", r"no_deal = 131.0 is outside"),
    ("bad-issue-key", 'key = "us_tariff_rate"', 'key = "US tariff"', r"key: String should match"),
    (
        "duplicate-issue",
        'key = "port_fees_suspension_months"',
        'key = "truce_extension_months"',
        r"duplicate issue key",
    ),
    (
        "duplicate-actor",
        'key = "china_shipping"',
        'key = "china_soy_crushers"',
        r"duplicate actor key",
    ),
    (
        "position-outside",
        "position = { us_tariff_rate = 30, ",
        "position = { us_tariff_rate = 300, ",
        r"position us_tariff_rate = 300.0 is outside",
    ),
    (
        "unknown-issue-in-position",
        "position = { us_tariff_rate = 30, ",
        "position = { us_tarif_rate = 30, ",
        r"unknown issue\(s\) \['us_tarif_rate'\]",
    ),
    (
        "unknown-side",
        'side = "US"\nposition = { us_tariff_rate = 30',
        'side = "USA"\nposition = { us_tariff_rate = 30',
        r"actor 'us_delegation' side 'USA' is not one of the scenario's parties \['US', 'China'\]",
    ),
    ("unknown-kind", 'kind = "host"', 'kind = "mediator"', r"kind: Input should be"),
    ("host-with-side", 'kind = "host"', 'kind = "host"\nside = "US"', r"a host belongs to no side"),
    (
        "unknown-behaviour",
        'offer = { name = "logrolling", e = 0.5 }',
        'offer = { name = "telepathy" }',
        r"unknown offer behaviour 'telepathy'.*boulware",
    ),
    (
        "bad-behaviour-param",
        'offer = { name = "logrolling", e = 0.5 }',
        'offer = { name = "time-dependent", e = -1 }',
        r"parameter 'e'",
    ),
    (
        "unknown-behaviour-param",
        'offer = { name = "logrolling", e = 0.5 }',
        'offer = { name = "time-dependent", speed = 2 }',
        r"no parameter 'speed'",
    ),
    (
        "inf-behaviour-param",
        'offer = { name = "logrolling", e = 0.5 }',
        'offer = { name = "time-dependent", e = inf }',
        r"parameter 'e'",
    ),
    (
        "behaviour-on-wrong-actor",
        'mediation = { name = "convenor", goodwill = 0.004, cap = 0.03 }',
        'offer = { name = "boulware" }',
        r"'offer' applies to delegation actors, not a host",
    ),
    (
        "unknown-group-mobilised",
        "mobilise = { us_soybean_farmers = 0.5 }",
        "mobilise = { us_soy_farmers = 0.5 }",
        r"mobilise names unknown group\(s\) \['us_soy_farmers'\]",
    ),
    (
        "unknown-threat-issue",
        'threat_issues = ["us_tariff_rate"]',
        'threat_issues = ["tariffs"]',
        r"threat_issues names unknown issue",
    ),
    (
        "reservation-shift-range",
        "reservation_shift = 0.15\n",
        "reservation_shift = 1.5\n",
        r"reservation_shift: .*less than or equal to 1",
    ),
    (
        "parameter-bad-target",
        'targets = ["settings.threat_credibility"]',
        'targets = ["settings.threat_credibilty"]',
        r"parameter 'threat_credibility' target 'settings.threat_credibilty'",
    ),
    (
        "parameter-unknown-actor",
        'targets = ["actors.us_soybean_farmers.urgency"]',
        'targets = ["actors.us_soy.urgency"]',
        r"'actors.us_soy' matches nothing",
    ),
    (
        "parameter-range-reversed",
        'low = -0.3\nhigh = 0.5\ntargets = ["actors.china_delegation',
        'low = 0.9\nhigh = 0.5\ntargets = ["actors.china_delegation',
        r"low <= high",
    ),
    (
        "parameter-inf-range",
        'low = -0.3\nhigh = 0.5\ntargets = ["actors.china_delegation',
        'low = -inf\nhigh = 0.5\ntargets = ["actors.china_delegation',
        r"low: .*finite",
    ),
    (
        "parameter-kind",
        'kind = "behaviour"\nbehaviour_kind = "offer"',
        'kind = "colour"\nbehaviour_kind = "offer"',
        r"kind: Input should be",
    ),
    (
        "parameter-behaviour-kind",
        'kind = "behaviour"\nbehaviour_kind = "offer"',
        'kind = "behaviour"\nbehaviour_kind = "offers"',
        r"behaviour_kind must be one of",
    ),
    (
        "parameter-default-outside-range",
        'high = 1.0\ntargets = ["settings.threat_credibility"]',
        'high = 0.5\ntargets = ["settings.threat_credibility"]',
        r"outside its range \[0.0, 0.5\]",
    ),
    (
        "scenario-name",
        'name = "kuala-lumpur-2025"',
        'name = "Kuala Lumpur"',
        r"scenario\.name: String should match",
    ),
    (
        "no-delegation",
        'kind = "delegation"\nside = "China"',
        'kind = "group"\nside = "China"',
        r"china_delegation\): 'offer' applies to delegation actors, not a group",
    ),
    ("broken-toml", "[settings]\n", "[settings\n", r"not valid TOML"),
]


@pytest.mark.parametrize(("case", "old", "new", "expected"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_bad_variant_is_named(write_scenario, case: str, old: str, new: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario((old, new), name=f"{case}.toml")
    with pytest.raises(ScenarioError, match=expected) as error:
        load_scenario(path)
    assert str(error.value).startswith(str(path))


def test_not_utf8(tmp_path: Path, flagship_text: str) -> None:
    path = tmp_path / "utf16.toml"
    path.write_bytes(b"\xff\xfe" + flagship_text.encode("utf-16-le"))
    with pytest.raises(
        ScenarioError, match=r"utf16.toml: not UTF-8 text.*save the scenario as UTF-8"
    ):
        load_scenario(path)


def test_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"deep.toml: not valid TOML: nested too deeply"):
        load_scenario(path)


def test_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ScenarioError, match=r"folder.toml: not a file"):
        load_scenario(folder)


def test_unreadable(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "secret.toml"
    path.write_text("", encoding="utf-8")

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(ScenarioError, match=r"secret.toml: cannot be read: Permission denied"):
        load_scenario(path)


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text("# " + "x" * 6_000_000, encoding="utf-8")
    with pytest.raises(
        ScenarioError,
        match=r"huge.toml: 6,000,002 bytes; a scenario file may have at most 5,000,000",
    ):
        load_scenario(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(
        ScenarioError,
        match=r"(?s)empty.toml: invalid scenario \(4 problems\).*scenario: Field required",
    ):
        load_scenario(path)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"threat_credibility": True}, r"'threat_credibility' = True is not a number"),
        ({"threat_credibility": "true"}, r"'threat_credibility' = 'true' is not a number"),
        ({"threat_credibility": float("inf")}, r"must be a finite number"),
        ({"threat_credibility": float("nan")}, r"must be a finite number"),
        ({"threat_credibility": "1e999"}, r"must be a finite number"),
        ({"threat_credibility": None}, r"is not a number"),
        ({"threat_credibility": [0.5]}, r"is not a number"),
        ({"threat_credibility": -0.01}, r"outside its range \[0.0, 1.0\]"),
        ({"farmer_pressure": 4.5}, r"outside its range \[0.0, 4.0\]"),
        ({"us_offer_strategy": 3}, r"not a registered offer behaviour"),
        (
            {"host_behaviour": "arbitrator"},
            r"not a registered mediation behaviour; allowed: .*convenor",
        ),
        ({"nonsense": 1}, r"unknown parameter 'nonsense'.*threat_credibility"),
    ],
)
def test_bad_parameter_value(flagship, values, expected) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match=expected):
        flagship.with_parameters(values)


@pytest.mark.parametrize(
    ("parties", "expected"),
    [
        ('["US"]', r"parties: List should have at least 2 items"),
        ('["US", "China", "EU"]', r"parties: List should have at most 2 items"),
        ('["US", "US"]', r"the two parties must differ"),
        ('["US", "china"]', r"parties\[1\]: String should match pattern"),
        ('["US", "India"]', r"actor 'china_delegation' side 'China' is not one of .*'India'"),
    ],
)
def test_bad_parties(write_scenario, parties: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write_scenario(
        ('name = "kuala-lumpur-2025"', f'name = "kuala-lumpur-2025"\nparties = {parties}')
    )
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


def test_sizes_are_capped(write_scenario) -> None:  # type: ignore[no-untyped-def]
    long = write_scenario(
        (
            "first_day = 2025-10-25\nlast_day = 2025-10-26\nrounds_per_day = 5 ",
            "first_day = 2025-08-01\nlast_day = 2025-10-26\nrounds_per_day = 1440 ",
        ),
        name="rounds.toml",
    )
    with pytest.raises(ScenarioError, match=r"calendar has 125,286 rounds; .* at most 100,000"):
        load_scenario(long)


def test_too_many_issues(flagship) -> None:  # type: ignore[no-untyped-def]
    data = flagship.model_dump()
    template = data["issues"][1]
    data["issues"] += [{**template, "key": f"extra_{i}"} for i in range(200)]
    with pytest.raises(ValueError, match=r"issues\n.*at most 200 items"):
        Scenario.model_validate(data)
