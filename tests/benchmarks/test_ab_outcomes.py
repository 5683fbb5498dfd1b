"""The comparison of two commits' outcome distributions: a real shift is flagged, the same
distribution is not, and the script runs end to end on a revision."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks import ab_outcomes


def _runs(p: float, centre: float, n: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    truce = (rng.random(n) < p).tolist()
    values = rng.normal(centre, 1.0, sum(truce)).tolist()
    return {"truce": truce, "package": {"x": values}}


def test_a_shift_is_flagged_and_the_same_distribution_is_not() -> None:
    same = ab_outcomes.compare(_runs(0.5, 10.0, 4000, 1), _runs(0.5, 10.0, 4000, 2))
    moved = ab_outcomes.compare(_runs(0.5, 10.0, 4000, 1), _runs(0.6, 11.0, 4000, 2))
    assert same["p_value"] > 0.01 and moved["p_value"] < 1e-6
    low, high = same["issues"]["x"]["mean_difference_ci95"]
    assert low < 0 < high
    low, high = moved["issues"]["x"]["mean_difference_ci95"]
    assert 0.8 < low < high < 1.2
    lines = ab_outcomes.report("toy", moved)
    assert (
        lines[0].startswith("toy: P(truce)")
        and lines[1].startswith("  x: mean")
        and "*" in lines[1]
    )


def test_it_compares_a_revision_with_the_working_tree(tmp_path: Path) -> None:
    out = tmp_path / "ab.json"
    ab_outcomes.main(["HEAD", "--runs", "6", "--scenario", "kuala-lumpur-2025", "--json", str(out)])
    result = json.loads(out.read_text())["kuala-lumpur-2025"]
    assert len(result["p_truce"]) == 2 and set(result["issues"]) >= {"us_tariff_rate"}
