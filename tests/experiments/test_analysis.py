"""Analysis helpers on known data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.analysis import p_truce_by, prim, sobol_indices
from experiments.executors import SerialExecutor
from experiments.intervals import wilson_interval
from experiments.sweep import run_sweep

from .conftest import make_study


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_p_truce_by_counts() -> None:
    table = pd.DataFrame(
        {
            "param__a": [0, 0, 1, 1, 1],
            "param__b": [5, 6, 5, 5, 6],
            "truce": [True, False, True, True, False],
            "error": None,
        }
    )
    one = p_truce_by(table, "a")
    assert list(one["runs"]) == [2, 3] and list(one["truces"]) == [1, 2]
    assert one["p_truce"].tolist() == [0.5, 2 / 3]
    two = p_truce_by(table, "a", "b")
    assert len(two) == 4 and two["ci_low"].le(two["p_truce"]).all()


def test_prim_finds_the_planted_box() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((4000, 2))
    truce = (x[:, 0] > 0.6) & (x[:, 1] < 0.3)
    table = pd.DataFrame({"param__a": x[:, 0], "param__b": x[:, 1], "truce": truce, "error": None})
    boxes = prim(table, ["a", "b"], alpha=0.05, min_support=0.1)
    dense = next(b for b in boxes if b.density > 0.9)
    assert dense.bounds["a"][0] == pytest.approx(0.6, abs=0.08)
    assert dense.bounds["b"][1] == pytest.approx(0.3, abs=0.08)
    assert boxes[0].coverage == 1.0 and boxes[0].support == 1.0


def test_sobol_indices_from_a_small_sweep(tmp_path: Path) -> None:
    study = make_study(
        study={"name": "s", "scenario": "kuala-lumpur-2025", "root_seed": 1, "replications": 2},
        design={
            "kind": "sobol",
            "samples": 8,
            "parameters": {
                "ratification_threshold": {"low": 0.0, "high": 1.0},
                "shock_scale": {"low": 0.0, "high": 1.0},
            },
        },
    )
    table = run_sweep(study, tmp_path / "out", SerialExecutor(), chunk_size=16).table()
    indices = sobol_indices(table, study)
    assert set(indices["parameter"]) == {"ratification_threshold", "shock_scale"}
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(indices.columns)
    with pytest.raises(ValueError, match="has outcomes for"):
        sobol_indices(table.iloc[:10], study)
