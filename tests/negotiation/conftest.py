"""Shared fixtures for the domain tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from negotiation import Scenario, load_scenario

FLAGSHIP = "kuala-lumpur-2025"


@pytest.fixture(scope="session")
def flagship() -> Scenario:
    return load_scenario(FLAGSHIP)


@pytest.fixture(scope="session")
def flagship_text() -> str:
    return resources.files("negotiation.scenarios").joinpath(f"{FLAGSHIP}.toml").read_text()


@pytest.fixture
def write_scenario(tmp_path: Path, flagship_text: str):  # type: ignore[no-untyped-def]
    """Write a variant of the flagship file (old -> new replacements) and return its path."""

    def write(*replacements: tuple[str, str], name: str = "variant.toml") -> Path:
        text = flagship_text
        for old, new in replacements:
            assert old in text, f"fixture text not found: {old!r}"
            text = text.replace(old, new, 1)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
