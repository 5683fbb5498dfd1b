"""Sweeps: same table on every executor, crash-safe resume, errors recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from experiments.design import design_points, run_seed
from experiments.executors import SerialExecutor, make_executor
from experiments.store import ResumeError, finished_chunks, read_runs
from experiments.study import StudyError, parse_study
from experiments.sweep import (
    ChunkTask,
    _lockstep_records,
    _to_table,
    _to_table_by_column,
    packed_chunk_table,
    result_schema,
    run_chunk,
    run_chunk_table,
    run_sweep,
    unpacked_table,
)
from negotiation import load_scenario, run_once
from negotiation.behaviours import OfferStrategy, register, unregister

from .conftest import make_study


def test_rows_are_the_runs_they_claim(tiny_study, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_sweep(tiny_study, tmp_path / "out", SerialExecutor(), chunk_size=5)
    table = result.table()
    assert list(table["run_id"]) == list(range(12))
    points = design_points(tiny_study)
    for row in table.itertuples():
        assert row.seed == run_seed(3, row.run_id)
        assert row.point == row.run_id // 3
        params = points.iloc[row.point].to_dict()
        expected = run_once("kuala-lumpur-2025", seed=row.seed, params=params)
        assert row.outcome == expected.outcome and row.truce == expected.truce
        assert row.package__us_tariff_rate == expected.package["us_tariff_rate"]
        assert row.param__us_offer_strategy == params["us_offer_strategy"]
    assert (tmp_path / "out" / "manifest.json").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["total_runs"] == 12 and manifest["root_seed"] == 3
    assert {"mesa", "numpy", "pandas"} <= set(manifest["versions"])


def test_same_table_on_every_executor(tiny_study, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tables = {}
    for kind in ("serial", "processes", "dask"):
        with make_executor(kind, workers=2) as executor:
            result = run_sweep(tiny_study, tmp_path / kind, executor, chunk_size=4)
        tables[kind] = result.table()
    pd.testing.assert_frame_equal(tables["serial"], tables["processes"])
    pd.testing.assert_frame_equal(tables["serial"], tables["dask"])


def test_chunking_does_not_change_the_table(tiny_study, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = run_sweep(tiny_study, tmp_path / "a", SerialExecutor(), chunk_size=1).table()
    b = run_sweep(tiny_study, tmp_path / "b", SerialExecutor(), chunk_size=7).table()
    pd.testing.assert_frame_equal(a, b)


KILLABLE = """
import sys
from experiments.executors import SerialExecutor
from experiments.study import load_study
from experiments.sweep import ChunkTask, _lockstep_records, run_sweep
run_sweep(load_study(sys.argv[1]), sys.argv[2], SerialExecutor(), chunk_size=10, resume=True)
"""


def _study_file(tmp_path: Path, replications: int = 150) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(
        f"""
[study]
name = "killable"
scenario = "kuala-lumpur-2025"
root_seed = 9
replications = {replications}

[design]
kind = "grid"

[design.parameters]
threat_credibility = [0.1, 0.5, 0.9]
"""
    )
    return path


def test_sigkill_then_resume_gives_the_uninterrupted_table(tmp_path: Path) -> None:
    from experiments.study import load_study

    study_path = _study_file(tmp_path)
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(study_path), str(out)], start_new_session=True
    )
    deadline = time.monotonic() + 60
    while len(finished_chunks(out)) < 5:
        assert process.poll() is None, "the sweep finished before it could be killed"
        assert time.monotonic() < deadline, "no chunk written within 60 s"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = finished_chunks(out)
    assert 5 <= len(done_before) < 45
    assert not [p for p in (out / "runs").iterdir() if not p.name.startswith("chunk-")] or all(
        p.name.startswith(".") for p in (out / "runs").iterdir() if not p.name.startswith("chunk-")
    )
    study = load_study(study_path)
    resumed = run_sweep(study, out, SerialExecutor(), resume=True)
    assert resumed.skipped_chunks == len(done_before)
    assert resumed.ran_runs == 450 - 10 * len(done_before)
    whole = run_sweep(study, tmp_path / "whole", SerialExecutor(), chunk_size=10)
    pd.testing.assert_frame_equal(read_runs(out), whole.table())


def test_resume_of_a_different_study_is_refused(tiny_study, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_sweep(tiny_study, tmp_path / "out", SerialExecutor(), chunk_size=5)
    other = make_study(
        study={"name": "tiny", "scenario": "kuala-lumpur-2025", "root_seed": 4, "replications": 3}
    )
    with pytest.raises(ResumeError, match=r"different sweep.*root_seed"):
        run_sweep(other, tmp_path / "out", SerialExecutor(), resume=True)
    with pytest.raises(FileExistsError, match="already holds a sweep"):
        run_sweep(tiny_study, tmp_path / "out", SerialExecutor())


class _Raising(OfferStrategy):
    """An offer strategy that fails in the first round (a broken behaviour)."""

    def target_utility(self, me, view, t):  # type: ignore[no-untyped-def]
        raise RuntimeError("this strategy always fails")


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    study = {
        "study": {"name": "raising", "scenario": "kuala-lumpur-2025", "replications": 2},
        "design": {"kind": "grid", "parameters": {"us_offer_strategy": ["linear", "test-raising"]}},
    }
    register("offer", "test-raising")(_Raising)
    try:
        result = run_sweep(parse_study(study), tmp_path / "out", SerialExecutor(), chunk_size=3)
    finally:
        unregister("offer", "test-raising")
    table = result.table()
    assert result.errors == 2 and len(table) == 4
    failed = table[table["error"].notna()]
    assert set(failed["param__us_offer_strategy"]) == {"test-raising"}
    assert failed["error"].str.contains("this strategy always fails").all()
    assert failed["truce"].isna().all()
    assert table[table["error"].isna()]["outcome"].notna().all()


def test_random_lhs_and_sobol_designs_stay_in_range() -> None:
    ranges = {
        "threat_credibility": {"low": 0.2, "high": 0.8},
        "farmer_pressure": {"low": 0, "high": 3},
    }
    for kind, n in (("random", 20), ("lhs", 20), ("sobol", 8)):
        study = make_study(design={"kind": kind, "samples": n, "parameters": ranges})
        points = design_points(study)
        assert points["threat_credibility"].between(0.2, 0.8).all()
        assert points["farmer_pressure"].between(0, 3).all()
        assert len(points) == (n if kind != "sobol" else n * (2 + 2))
        assert points.equals(design_points(study))  # reproducible from the root seed
    lhs = design_points(make_study(design={"kind": "lhs", "samples": 10, "parameters": ranges}))
    strata = sorted((lhs["threat_credibility"] - 0.2) / 0.6 * 10 // 1)
    assert strata == list(range(10))  # one sample per stratum


def test_a_first_point_that_raises_does_not_stop_the_sweep(tmp_path: Path) -> None:
    study = {
        "study": {"name": "raising-first", "scenario": "kuala-lumpur-2025"},
        "design": {"kind": "grid", "parameters": {"us_offer_strategy": ["test-raising", "linear"]}},
    }
    register("offer", "test-raising")(_Raising)
    try:  # the result columns come from the scenario's defaults instead
        result = run_sweep(parse_study(study), tmp_path / "out", SerialExecutor(), chunk_size=1)
    finally:
        unregister("offer", "test-raising")
    assert list(result.table()["error"].notna()) == [True, False]


def test_a_study_where_no_run_works_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model is broken")

    monkeypatch.setattr("experiments.sweep.run_once", broken)
    with pytest.raises(StudyError, match=r"no run of this study works.*the model is broken"):
        run_sweep(make_study(), tmp_path / "out", SerialExecutor(), chunk_size=2)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--workers", "0"], "--workers must be an integer from 1 to"),
        (["--scheduler", "localhost"], "tcp://host:port"),
    ],
)
def test_the_sweep_command_refuses_bad_executors_before_touching_out(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    exe = Path(sys.executable).with_name("negotiation")
    study = _study_file(tmp_path, 2)
    done = subprocess.run(
        [str(exe), "sweep", str(study), "--out", str(tmp_path / "out"), *args],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_parquet_columns_have_their_types_and_the_schema_says_what_they_mean(
    tiny_study,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    import pyarrow.parquet as pq

    run_sweep(tiny_study, tmp_path / "out", SerialExecutor(), chunk_size=12)
    table = pq.read_table(next((tmp_path / "out" / "runs").glob("chunk-*.parquet")))
    schema = table.schema
    assert schema.field("date").type == pa.date32()
    assert schema.field("time").type == pa.timestamp("ms")
    assert schema.field("vetoed_by").type == pa.list_(pa.string())
    assert schema.field("framework_date").type == pa.date32()
    meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
    assert meta["trade_talks.scenario"] == "kuala-lumpur-2025"
    assert "plan_digest" in json.loads(meta["trade_talks.columns"])
    frame = read_runs(tmp_path / "out")
    truce = frame[frame["truce"]].iloc[0]
    assert str(truce["date"]).startswith("2025-10-")


def test_the_lockstep_engine_gives_the_per_run_table(tmp_path: Path) -> None:
    """Design points the lockstep engine covers (logrolling) run in batches, the others
    (Boulware) one by one; chunks that cut across points, a process pool and Dask change
    nothing."""
    study = make_study(
        study={
            "name": "engines",
            "scenario": "kuala-lumpur-2025",
            "root_seed": 5,
            "replications": 5,
        },
        design={
            "kind": "grid",
            "parameters": {
                "threat_credibility": [0.2, 0.9],
                "us_offer_strategy": ["logrolling", "boulware"],
            },
        },
    )
    alone = run_sweep(study, tmp_path / "alone", SerialExecutor(), chunk_size=7, engine="per-run")
    batched = run_sweep(study, tmp_path / "batched", SerialExecutor(), chunk_size=7)
    pd.testing.assert_frame_equal(alone.table(), batched.table())
    for kind in ("processes", "dask"):
        with make_executor(kind, workers=2) as executor:
            pooled = run_sweep(study, tmp_path / kind, executor, chunk_size=3)
        pd.testing.assert_frame_equal(alone.table(), pooled.table())
    flagship = load_scenario("kuala-lumpur-2025")
    points = {0: {"us_offer_strategy": "logrolling"}, 1: {"us_offer_strategy": "boulware"}}
    task = ChunkTask(0, flagship.model_dump_json(), 0, 4, 2, 5, points)
    batched_runs = _lockstep_records(flagship, task, {i: i for i in range(4)})
    assert sorted(batched_runs) == [0, 1]  # the logrolling point's runs went to the batch


def test_an_unknown_engine_is_refused(tiny_study, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="engine must be one of auto, per-run"):
        run_sweep(tiny_study, tmp_path / "x", SerialExecutor(), engine="fast")
    assert not (tmp_path / "x").exists()


def test_rows_become_the_same_table_read_by_pyarrow_or_field_by_field() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    schema = result_schema(scenario, {})
    meta = {"point": 0, "replicate": 0, "error": None}
    rows = [
        {**run_once(scenario, seed, params).to_row(), "run_id": seed, "seed": seed, **meta}
        for seed, params in enumerate([{}, {"summit_endorsement": True}, {"shock_scale": 0}])
    ]
    rows.append({"run_id": 3, "seed": 3, "point": 0, "replicate": 0, "error": "ValueError: x"})
    rows[0]["final_gap"] = 1  # an integer in a floating column
    fast = _to_table(rows, schema)
    assert fast.equals(_to_table_by_column(rows, schema))
    assert fast.schema.equals(schema)
    rows[1]["final_gap"] = 2**70  # beyond int64: pyarrow refuses it, the columns path does not
    assert _to_table(rows, schema).equals(_to_table_by_column(rows, schema))


def test_a_chunk_the_lockstep_engine_runs_whole_is_the_table_of_its_rows() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    schema = result_schema(scenario, {})
    points = {0: {"threat_credibility": 0.3}, 1: {"shock_scale": 4.0}, 2: {}}
    for points_here in (points, {**points, 1: {"us_offer_strategy": "boulware"}}):
        task = ChunkTask(
            index=0,
            scenario_json=scenario.model_dump_json(),
            first_run=2,
            stop_run=17,
            replications=6,
            root_seed=9,
            points=points_here,
            schema=schema,
        )
        table = run_chunk_table(task)
        assert table.equals(_to_table(run_chunk(task), schema))
        assert table.schema.equals(schema)
        packed = packed_chunk_table(task)
        assert unpacked_table(packed).equals(table)
        assert len(packed) < 16384  # one write through the pool's pipe


def test_a_plugin_s_vectorised_strategy_runs_in_lockstep_on_every_executor(
    tmp_path: Path,
) -> None:
    """A vectorised offer strategy installed as a plug-in (tests/plugin_example) is
    covered by the lockstep engine, in the parent and in the workers, which find it
    through its entry point: the same table on serial, process-pool and Dask executors
    as the per-run engine's."""
    from negotiation.lockstep import coverage_problem
    from negotiation.plan import plan_for

    strategy = "example-plugin-vectorised"
    flagship = load_scenario("kuala-lumpur-2025")
    assert coverage_problem(plan_for(flagship, {"us_offer_strategy": strategy})) is None
    study = make_study(
        design={
            "kind": "grid",
            "parameters": {
                "threat_credibility": [0.3, 0.8],
                "us_offer_strategy": [strategy, "logrolling"],
            },
        }
    )
    per_run = run_sweep(study, tmp_path / "per-run", SerialExecutor(), engine="per-run").table()
    for kind in ("serial", "processes", "dask"):
        with make_executor(kind, workers=2) as executor:
            table = run_sweep(study, tmp_path / kind, executor, chunk_size=5).table()
        pd.testing.assert_frame_equal(table, per_run)
    assert set(per_run["param__us_offer_strategy"]) == {strategy, "logrolling"}
