"""Bad study files get clear errors naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.study import StudyError, load_study

from .conftest import FLAGSHIP_FILE, make_study

NAN, INF = float("nan"), float("inf")
TWO_RANGES = {
    "threat_credibility": {"low": 0.0, "high": 1.0},
    "farmer_pressure": {"low": 0.0, "high": 1.0},
}


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
        (
            {"design": {"kind": "grid", "parameters": {"threat_credibility": [0.5, NAN]}}},
            r"threat_credibility\[1\] must be a finite number, got nan",
        ),
        (
            {
                "design": {
                    "kind": "lhs",
                    "samples": 4,
                    "parameters": {"threat_credibility": {"low": 0, "high": INF}},
                }
            },
            "threat_credibility.high must be a finite number, got inf",
        ),
        (
            {
                "design": {"kind": "grid", "parameters": {"threat_credibility": [0.5]}},
                "fixed": {"hawk_influence": -INF},
            },
            "fixed: hawk_influence must be a finite number, got -inf",
        ),
        (
            {"design": {"kind": "grid", "samples": 10, "parameters": {"shock_scale": [1.0]}}},
            "a grid design takes no 'samples'",
        ),
        (
            {
                "design": {
                    "kind": "grid",
                    "parameters": {
                        name: {"low": 0.0, "high": 0.2, "levels": 10_000}
                        for name in ("threat_credibility", "farmer_pressure", "hawk_influence")
                    },
                }
            },
            r"1,000,000,000,000 design point\(s\) x 3 replication\(s\) = 3,000,000,000,000 "
            r"runs, above the cap of 50,000,000",
        ),
        (
            {"design": {"kind": "sobol", "samples": 10_000_000, "parameters": TWO_RANGES}},
            r"40,000,000 design point\(s\) x 3 .* above the cap",
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
    shipped = sorted((Path(__file__).parents[2] / "experiments" / "studies").glob("*.toml"))
    assert shipped
    for path in shipped:
        load_study(path)


def test_the_size_is_counted_before_anything_is_built() -> None:
    study = make_study(
        design={"kind": "morris", "samples": 5, "parameters": TWO_RANGES},
    )
    assert study.design.points() == 5 * 3 and study.total_runs == 45
    assert make_study().total_runs == 2 * 2 * 3


def test_non_finite_numbers_in_a_toml_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "inf.toml"
    path.write_text(
        '[study]\nname = "a"\nscenario = "kuala-lumpur-2025"\n'
        "[design]\nparameters = { threat_credibility = { low = 0.0, high = inf, levels = 3 } }\n"
    )
    with pytest.raises(StudyError, match="high must be a finite number, got inf"):
        load_study(path)


def test_a_relative_scenario_path_is_read_from_the_study_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FLAGSHIP_FILE.read_text(encoding="utf-8")
    folder = tmp_path / "project"
    (folder / "scenarios").mkdir(parents=True)
    (folder / "scenarios" / "mine.toml").write_text(source)
    study_file = folder / "study.toml"
    study_file.write_text(
        '[study]\nname = "a"\nscenario = "scenarios/mine.toml"\n'
        "[design]\nparameters = { threat_credibility = [0.5] }\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    study = load_study(study_file)
    assert Path(study.study.scenario) == (folder / "scenarios" / "mine.toml").resolve()
    assert study.scenario().name == "kuala-lumpur-2025"
    monkeypatch.chdir(tmp_path)
    builtin = load_study(_copy_shipped(tmp_path))
    assert builtin.study.scenario == "kuala-lumpur-2025"  # a built-in name stays a name


def _copy_shipped(folder: Path) -> Path:
    shipped = Path(__file__).parents[2] / "experiments" / "studies" / "farmer-credibility.toml"
    copy = folder / "farmer-credibility.toml"
    copy.write_text(shipped.read_text(encoding="utf-8"))
    return copy
