"""Bad study files get clear errors naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.study import StudyError, load_study

from .conftest import make_study


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (
            {"design": {"kind": "grid", "parameters": {"farmer_presure": [1.0]}}},
            "unknown parameter 'farmer_presure'.*farmer_pressure",
        ),
        (
            {"design": {"kind": "grid", "parameters": {"threat_credibility": [0.5, 2.0]}}},
            r"outside its range \[0.0, 1.0\]",
        ),
        (
            {"design": {"kind": "grid", "parameters": {"us_offer_strategy": ["nope"]}}},
            "not a registered offer behaviour",
        ),
        (
            {
                "design": {
                    "kind": "random",
                    "parameters": {"threat_credibility": {"low": 0, "high": 1}},
                }
            },
            "needs 'samples'",
        ),
        (
            {
                "design": {
                    "kind": "grid",
                    "parameters": {"threat_credibility": {"low": 0, "high": 1}},
                }
            },
            "needs 'levels'",
        ),
        ({"design": {"kind": "cubic", "parameters": {"threat_credibility": [0.5]}}}, "design.kind"),
        (
            {
                "design": {"kind": "grid", "parameters": {"threat_credibility": [0.5]}},
                "fixed": {"threat_credibility": 0.2},
            },
            "both swept and fixed",
        ),
        ({"study": {"name": "x", "scenario": "atlantis"}}, "no scenario 'atlantis'"),
        (
            {"study": {"name": "x", "scenario": "kuala-lumpur-2025", "replications": 0}},
            "study.replications",
        ),
    ],
)
def test_bad_studies(overrides: dict, fragment: str) -> None:
    with pytest.raises(StudyError, match=fragment):
        make_study(**overrides)


def test_files(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="no study file"):
        load_study(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\n")
    with pytest.raises(StudyError, match=r"bad\.toml: not valid TOML"):
        load_study(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        '[study]\nname = "a"\nscenario = "kuala-lumpur-2025"\ncolour = "red"\n'
        "[design]\nparameters = { shock_scale = [1.0] }\n"
    )
    with pytest.raises(
        StudyError, match=r"unknown.toml: invalid study\n  study.colour: Extra inputs"
    ):
        load_study(unknown)


def test_shipped_studies_are_valid() -> None:
    for path in Path("experiments/studies").glob("*.toml"):
        load_study(path)
