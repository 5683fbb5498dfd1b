"""Shared fixtures for the domain tests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from negotiation import Scenario, load_scenario
from negotiation.scenario import first_release

FLAGSHIP = "kuala-lumpur-2025"


@pytest.fixture(scope="session")
def flagship() -> Scenario:
    """The flagship with the first release's protocol: the base on which the tests of
    single behaviours and mechanisms read their effect (the shipped default protocol is
    tested in test_default_protocol.py)."""
    return first_release(load_scenario(FLAGSHIP))


@pytest.fixture(scope="session")
def shipped_flagship() -> Scenario:
    """The flagship as shipped, with the default protocol."""
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
