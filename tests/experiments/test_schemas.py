"""The published JSON Schemas describe the files the loaders accept: every shipped
scenario and study (and the kept copies of earlier releases' files) validates, a file
with a misspelt key or a wrong type does not, and the copies in ``docs/schemas/`` are
what ``negotiation schema`` prints."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from experiments.cli import main
from experiments.schemas import KINDS, json_schema

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "docs" / "schemas"
FIXTURES = REPO / "tests" / "negotiation" / "fixtures"
SCENARIOS = sorted(
    [
        *(Path(str(p)) for p in resources.files("negotiation.scenarios").iterdir()),
        *FIXTURES.glob("scenarios-v*/*.toml"),
    ]
)
STUDIES = sorted((REPO / "experiments" / "studies").glob("*.toml"))


def _as_json(value: Any) -> Any:
    """TOML's tables as JSON sees them: dates and times become ISO strings."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _tables(path: Path) -> dict[str, Any]:
    return _as_json(tomllib.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("kind", KINDS)
def test_the_published_copy_is_what_the_command_prints(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", kind]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_schema(kind)  # type: ignore[arg-type]
    published = json.loads((PUBLISHED / f"{kind}.schema.json").read_text(encoding="utf-8"))
    assert published == printed, "run: negotiation schema KIND > docs/schemas/KIND.schema.json"
    jsonschema.Draft202012Validator.check_schema(printed)


@pytest.mark.parametrize(
    "path", [p for p in SCENARIOS if p.suffix == ".toml"], ids=lambda p: p.stem
)
def test_every_shipped_scenario_validates(path: Path) -> None:
    jsonschema.validate(_tables(path), json_schema("scenario"))


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_every_shipped_study_validates(path: Path) -> None:
    jsonschema.validate(_tables(path), json_schema("study"))


def test_a_misspelt_key_and_a_wrong_type_are_refused() -> None:
    schema = json_schema("scenario")
    flagship = _tables(
        Path(str(resources.files("negotiation.scenarios") / "kuala-lumpur-2025.toml"))
    )
    misspelt = {**flagship, "setings": {}}
    with pytest.raises(jsonschema.ValidationError, match="setings"):
        jsonschema.validate(misspelt, schema)
    wrong = json.loads(json.dumps(flagship))
    wrong["issues"][0]["low"] = "zero"
    with pytest.raises(jsonschema.ValidationError, match="zero"):
        jsonschema.validate(wrong, schema)
