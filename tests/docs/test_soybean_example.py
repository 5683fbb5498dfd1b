"""The soybean diagnosis script quoted in docs/validation.md runs and prints its table."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "soybean_reference.py"


def test_the_soybean_example_prints_every_variant(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--runs", "2"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    for label in ("as shipped", "soybean ask only", "reference 27 Mt"):
        assert sum(line.startswith(label) for line in lines) == 2
    assert all("soybean_purchases_mmt" in line for line in lines)
