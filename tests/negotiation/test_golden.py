"""One golden run: a fixed seed gives exactly the recorded outcome.

If a deliberate change of the model alters it, regenerate the file with
``python -m tests.negotiation.test_golden`` and explain the change in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from experiments.summary import render_outcome
from negotiation import load_scenario
from negotiation.model import run_once

GOLDEN = Path(__file__).parent / "golden" / "kuala-lumpur-2025-seed7.json"
GOLDEN_TEXT = GOLDEN.with_suffix(".txt")


def _current() -> tuple[dict[str, object], str]:
    scenario = load_scenario("kuala-lumpur-2025")
    outcome = run_once(scenario, seed=7)
    return json.loads(json.dumps(outcome.to_dict())), render_outcome(outcome, scenario)


def test_golden_record_and_summary() -> None:
    record, text = _current()
    assert record == json.loads(GOLDEN.read_text())
    assert text == GOLDEN_TEXT.read_text()


if __name__ == "__main__":
    record, text = _current()
    GOLDEN.write_text(json.dumps(record, indent=2) + "\n")
    GOLDEN_TEXT.write_text(text)
