"""JSON Schemas of the two kinds of file users write: scenarios and studies.

Both files are TOML whose tables are validated as they are by pydantic models
(:class:`negotiation.scenario.Scenario`, :class:`experiments.study.Study`), so the models'
JSON Schemas describe the files exactly (TOML dates and times are JSON Schema
``date-time`` strings). Editors that read JSON Schemas for TOML (Taplo / Even Better
TOML, JetBrains) validate and complete a file that starts with
``#:schema ./scenario.schema.json``. ``negotiation schema scenario|study`` prints them;
the copies shipped in ``docs/schemas/`` are checked against these by the tests.

The schema checks each table's shape, names and types; the rules across tables (actor
keys that exist, a default inside its range, ...) are checked when the file is loaded.
"""

from __future__ import annotations

from typing import Any, Literal

SchemaKind = Literal["scenario", "study"]
KINDS: tuple[SchemaKind, ...] = ("scenario", "study")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario or a study file."""
    if kind == "scenario":
        from negotiation.scenario import Scenario

        schema = Scenario.model_json_schema()
        title = "Scenario file of trade-talks (negotiation)"
    elif kind == "study":
        from experiments.study import Study

        schema = Study.model_json_schema()
        title = "Study file of trade-talks (negotiation sweep)"
    else:
        raise ValueError(f"no schema {kind!r}: choose one of {', '.join(KINDS)}")
    return {"$schema": DRAFT, "title": title, **{k: v for k, v in schema.items() if k != "title"}}
