"""Analysis helpers on known data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.analysis import (
    PrimBox,
    p_truce_by,
    prim,
    prim_frame,
    prim_inputs,
    sobol_indices,
)
from experiments.executors import SerialExecutor
from experiments.intervals import wilson_interval
from experiments.store import read_runs
from experiments.sweep import run_sweep

from .conftest import make_study

SAMPLE = Path(__file__).resolve().parents[2] / "experiments" / "samples" / "farmer-credibility"


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


def _densest(boxes: list[PrimBox]) -> PrimBox:
    return max(boxes, key=lambda b: (b.density, b.coverage))


def test_prim_finds_a_planted_box_on_an_integer_parameter() -> None:
    """y = 1 iff x1 in [3, 6] (10 integer levels) and x2 > 0.7; the strategy is noise.
    The hand-written PRIM this replaced stopped at density 0.53 here."""
    rng = np.random.default_rng(0)
    n = 2000
    x1 = rng.integers(0, 10, n)
    x2 = rng.random(n)
    strategy = rng.choice(["boulware", "conceder", "linear"], n)
    truce = (x1 >= 3) & (x1 <= 6) & (x2 > 0.7)
    table = pd.DataFrame(
        {"param__x1": x1, "param__x2": x2, "param__s": strategy, "truce": truce, "error": None}
    )
    assert table["param__x1"].dtype == np.int64  # the column type EMA's PRIM needs cast
    boxes = prim(table, ["x1", "x2", "s"])
    best = _densest(boxes)
    assert best.density >= 0.95 and best.coverage >= 0.9
    low, high = best.bounds["x1"]
    assert 2 <= low <= 3 and 6 <= high <= 7  # keeps 3..6, drops 2 and 7
    assert best.bounds["x2"][0] == pytest.approx(0.7, abs=0.03)
    assert "s" not in best.restricted
    assert best.categories["s"] == ("boulware", "conceder", "linear")
    assert boxes[0].support == 1.0 and boxes[0].restricted == ()


def test_prim_finds_a_planted_category() -> None:
    rng = np.random.default_rng(1)
    n = 1500
    strategy = rng.choice(["boulware", "conceder", "linear", "hardliner"], n)
    flag = rng.random(n) < 0.5
    table = pd.DataFrame(
        {
            "param__strategy": pd.Series(strategy, dtype="str"),
            "param__flag": flag,
            "param__x": rng.random(n),
            "truce": strategy == "boulware",
            "error": None,
        }
    )
    best = _densest(prim(table, ["strategy", "flag", "x"]))
    assert best.density >= 0.95 and best.coverage >= 0.95
    assert best.categories["strategy"] == ("boulware",)
    assert best.restricted == ("strategy",)
    assert best.bounds["flag"] == (0.0, 1.0)  # booleans are cast to 0/1 floats


def test_prim_peels_the_shipped_grid_sample() -> None:
    """The shipped 5 x 5 grid: the hand-written PRIM returned one box and never peeled."""
    boxes = prim(read_runs(SAMPLE), ["farmer_pressure", "threat_credibility"])
    assert len(boxes) > 1
    assert boxes[-1].density > boxes[0].density and boxes[-1].support < 1.0
    assert "threat_credibility" in boxes[-1].restricted


def test_prim_inputs_casts_and_refuses_what_prim_cannot_use() -> None:
    table = pd.DataFrame(
        {
            "param__n": [1, 2, 3, 4],
            "param__b": [True, False, True, False],
            "param__s": ["a", "b", "a", "b"],
            "param__gap": [0.1, None, 0.3, 0.4],
            "truce": [True, False, True, None],
            "error": [None, None, None, "ValueError: boom"],
        }
    )
    x, y = prim_inputs(table, ["n", "b", "s"])
    assert list(x.columns) == ["n", "b", "s"] and len(x) == 3 and y.tolist() == [1, 0, 1]
    assert x["n"].dtype == float and x["b"].dtype == float
    assert isinstance(x["s"].dtype, pd.CategoricalDtype)
    with pytest.raises(ValueError, match="'gap' has 1 missing"):
        prim_inputs(table, ["n", "gap"])
    with pytest.raises(ValueError, match="no parameter column"):
        prim_inputs(table, ["nope"])
    with pytest.raises(ValueError, match="yes/no outcome"):
        prim_inputs(table.assign(score=[0.5, 1.0, 2.0, 0.0]), ["n"], outcome="score")
    with pytest.raises(ValueError, match="nothing to discover"):
        prim_inputs(table.assign(truce=False), ["n"])
    kept = prim_frame(pd.DataFrame({"c": pd.Categorical(["x", "y"])}))
    assert isinstance(kept["c"].dtype, pd.CategoricalDtype)


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
