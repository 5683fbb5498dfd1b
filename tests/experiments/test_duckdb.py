"""DuckDB reads a sweep folder as it is, with typed columns and the schema metadata."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from experiments.executors import SerialExecutor
from experiments.store import read_runs
from experiments.sweep import run_sweep

from .conftest import make_study


def test_duckdb_reads_the_sweep_folder_with_typed_columns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_sweep(make_study(), out, SerialExecutor(), chunk_size=4)
    runs = str(out / "runs" / "*.parquet")
    con = duckdb.connect()
    types = dict(
        con.execute(f"SELECT column_name, column_type FROM (DESCRIBE FROM '{runs}')").fetchall()
    )
    assert types["truce"] == "BOOLEAN"
    assert types["date"] == types["framework_date"] == types["endorsement_date"] == "DATE"
    assert types["time"].startswith("TIMESTAMP")
    assert types["vetoed_by"] == "VARCHAR[]"
    assert types["package__soybean_purchases_mmt"] == "DOUBLE"

    pandas_table = read_runs(out)
    count, truces = con.execute(f"SELECT count(*), sum(truce::INT) FROM '{runs}'").fetchone()  # type: ignore[misc]
    assert count == len(pandas_table) == 12
    assert truces == int(pandas_table["truce"].sum())
    by_point = con.execute(
        f"SELECT param__threat_credibility, avg(truce::INT) FROM '{runs}' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [p for p, _ in by_point] == [0.2, 0.9]

    meta = {
        key.decode(): value.decode()
        for key, value in con.execute(
            f"SELECT DISTINCT key, value FROM parquet_kv_metadata('{runs}')"
        ).fetchall()
        if key.decode().startswith("trade_talks.")
    }
    assert meta["trade_talks.scenario"] == "kuala-lumpur-2025"
    assert meta["trade_talks.producer"].startswith("trade-talks ")
    assert {"python", "mesa", "numpy"} <= set(json.loads(meta["trade_talks.versions"]))
    assert len(meta["trade_talks.base_plan_digest"]) == 64
    assert set(pandas_table["plan_digest"]) <= {
        d for (d,) in con.execute(f"SELECT DISTINCT plan_digest FROM '{runs}'").fetchall()
    }
