"""Small studies for the batch-layer tests."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.study import Study, parse_study


def make_study(**overrides: Any) -> Study:
    raw: dict[str, Any] = {
        "study": {
            "name": "tiny",
            "scenario": "kuala-lumpur-2025",
            "root_seed": 3,
            "replications": 3,
        },
        "design": {
            "kind": "grid",
            "parameters": {
                "threat_credibility": [0.2, 0.9],
                "us_offer_strategy": ["time-dependent", "boulware"],
            },
        },
    }
    for key, value in overrides.items():
        raw[key] = value
    return parse_study(raw)


@pytest.fixture
def tiny_study() -> Study:
    return make_study()
