"""Run a study: chunks of seeded runs on any executor, streamed into the result store.

The unit of work is :func:`negotiation.run_once` (scenario, parameters, seed) -> outcome
record; a *chunk* is a contiguous range of run ids, sized to take a couple of seconds
(one task per run would spend most of the time on overhead). Chunks are pure: a chunk's
rows depend only on the study, so the same study gives the same table on every executor,
sorted by run id. At most a few chunks are in flight, and each is written to disk as it
finishes, so memory stays flat however large the sweep. A run that raises is recorded
with its error and the sweep goes on.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from experiments.design import design_points, run_seed
from experiments.store import (
    DESIGN,
    atomic_write_table,
    check_resume,
    chunk_path,
    finished_chunks,
    read_manifest,
    read_runs,
    write_manifest,
)
from experiments.study import Study
from negotiation import Scenario, run_once

TARGET_CHUNK_SECONDS = 2.0
META_COLUMNS = {
    "run_id": pa.int64(),
    "seed": pa.uint64(),
    "point": pa.int64(),
    "replicate": pa.int64(),
}


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to run one chunk (small and picklable)."""

    index: int
    scenario_json: str
    first_run: int
    stop_run: int
    replications: int
    root_seed: int
    points: dict[int, dict[str, Any]]


@lru_cache(maxsize=8)
def _scenario_from_json(text: str) -> Scenario:
    return Scenario.model_validate_json(text)


def run_chunk(task: ChunkTask) -> list[dict[str, Any]]:
    """Run the chunk's runs; a run that raises becomes a row with its error."""
    scenario = _scenario_from_json(task.scenario_json)
    rows = []
    for run_id in range(task.first_run, task.stop_run):
        point, replicate = divmod(run_id, task.replications)
        seed = run_seed(task.root_seed, run_id)
        params = task.points[point]
        meta = {"run_id": run_id, "seed": seed, "point": point, "replicate": replicate}
        try:
            row = run_once(scenario, seed=seed, params=params).to_row()
            rows.append({**row, **meta, "error": None})
        except Exception as exc:
            failed = {f"param__{k}": v for k, v in params.items()}
            rows.append({**meta, **failed, "error": f"{type(exc).__name__}: {exc}"})
    return rows


def result_schema(scenario: Scenario, params: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of result rows (fixed, so every chunk file agrees)."""
    probe = run_once(scenario, seed=0, params=params).to_row()
    fields = [pa.field(name, kind) for name, kind in META_COLUMNS.items()]
    for name, value in probe.items():
        if name not in META_COLUMNS:
            fields.append(pa.field(name, _arrow_type(name, value, scenario)))
    fields.append(pa.field("error", pa.string()))
    return pa.schema(fields)


_NULLABLE_NUMBERS = {"days_before_summit", "nash_product", "pareto_distance", "nash_distance"}


def _arrow_type(name: str, value: Any, scenario: Scenario) -> pa.DataType:
    if name.startswith("param__"):
        spec = scenario.parameters[name.removeprefix("param__")]
        return {"number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}.get(
            spec.kind, pa.string()
        )
    if name in ("round",):
        return pa.int64()
    if name in _NULLABLE_NUMBERS or name.startswith(("package__", "utility__", "reservation__")):
        return pa.float64()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    return pa.string()


def _to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    columns = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if pa.types.is_floating(field.type):
            values = [None if v is None else float(v) for v in values]
        columns[field.name] = pa.array(values, type=field.type)
    return pa.table(columns, schema=schema)


def code_version() -> str:
    """The package version, with the git revision when run from a checkout."""
    version = metadata.version("trade-talks")
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except OSError:
        described = ""
    return f"{version}+{described}" if described else version


def _versions() -> dict[str, str]:
    names = ("trade-talks", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "SALib")
    return {n: metadata.version(n) for n in names}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def choose_chunk_size(scenario: Scenario, params: dict[str, Any], total: int) -> int:
    """Runs per chunk for about TARGET_CHUNK_SECONDS of work (timed on a few runs)."""
    start = time.perf_counter()
    probes = 20
    for seed in range(probes):
        run_once(scenario, seed=seed, params=params)
    per_run = max((time.perf_counter() - start) / probes, 1e-5)
    size = int(TARGET_CHUNK_SECONDS / per_run)
    return max(1, min(size, 20_000, total))


@dataclass(frozen=True)
class SweepResult:
    out: Path
    total_runs: int
    ran_runs: int
    skipped_chunks: int
    errors: int
    seconds: float

    def table(self) -> pd.DataFrame:
        return read_runs(self.out)


ProgressFactory = Callable[[int, int], Any]


def run_sweep(
    study: Study,
    out: str | Path,
    executor: Executor,
    *,
    resume: bool = False,
    chunk_size: int | None = None,
    progress: ProgressFactory | None = None,
    in_flight: int = 4,
) -> SweepResult:
    """Run ``study`` on ``executor`` into the folder ``out``.

    ``resume`` continues a sweep in ``out`` (refused if it is a different sweep); without
    it, ``out`` must not already hold one. ``progress(total, done)`` returns an object
    with ``update(n)`` and ``close()`` (a tqdm bar, by default none).
    """
    started = time.perf_counter()
    out = Path(out)
    scenario = study.scenario()
    points = design_points(study)
    reps = study.study.replications
    total = len(points) * reps
    first_params = _point_params(points, 0)
    existing = read_manifest(out)
    if existing is not None and not resume:
        raise FileExistsError(f"{out} already holds a sweep: use --resume, or another --out folder")
    if chunk_size is None:
        chunk_size = (
            existing["chunk_size"] if existing else choose_chunk_size(scenario, first_params, total)
        )
    scenario_json = scenario.model_dump_json()
    manifest = {
        "study": study.model_dump(mode="json"),
        "scenario": scenario.name,
        "scenario_sha256": _sha256(scenario_json),
        "points_sha256": _sha256(points.to_json()),
        "root_seed": study.study.root_seed,
        "replications": reps,
        "design_points": len(points),
        "total_runs": total,
        "chunk_size": chunk_size,
        "parameters": {n: scenario.parameters[n].model_dump(mode="json") for n in points.columns},
        "code_version": code_version(),
        "versions": _versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if existing is not None:
        check_resume(existing, manifest)
    else:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_table(out / DESIGN, pa.Table.from_pandas(points, preserve_index=False))
        write_manifest(out, manifest)
    schema = result_schema(scenario, first_params)
    n_chunks = math.ceil(total / chunk_size)
    done = finished_chunks(out)
    todo = [c for c in range(n_chunks) if c not in done]
    done_runs = sum(_chunk_len(c, chunk_size, total) for c in done if c < n_chunks)
    bar = progress(total, done_runs) if progress else None
    ran = errors = 0
    tasks = (_task(c, scenario_json, chunk_size, total, reps, study, points) for c in todo)
    try:
        for task, rows in _run_windowed(executor, tasks, in_flight):
            errors += sum(1 for r in rows if r["error"] is not None)
            atomic_write_table(chunk_path(out, task.index), _to_table(rows, schema))
            ran += len(rows)
            if bar is not None:
                bar.update(len(rows))
    finally:
        if bar is not None:
            bar.close()
    return SweepResult(out, total, ran, len(done), errors, time.perf_counter() - started)


def _point_params(points: pd.DataFrame, index: int) -> dict[str, Any]:
    return {k: _native(v) for k, v in points.iloc[index].items()}


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _chunk_len(index: int, size: int, total: int) -> int:
    return min((index + 1) * size, total) - index * size


def _task(
    index: int,
    scenario_json: str,
    size: int,
    total: int,
    reps: int,
    study: Study,
    points: pd.DataFrame,
) -> ChunkTask:
    first, stop = index * size, min((index + 1) * size, total)
    needed = range(first // reps, (stop - 1) // reps + 1)
    return ChunkTask(
        index=index,
        scenario_json=scenario_json,
        first_run=first,
        stop_run=stop,
        replications=reps,
        root_seed=study.study.root_seed,
        points={p: _point_params(points, p) for p in needed},
    )


def _run_windowed(
    executor: Executor, tasks: Iterator[ChunkTask], in_flight: int
) -> Iterator[tuple[ChunkTask, list[dict[str, Any]]]]:
    """Submit at most ``in_flight`` chunks at a time; yield each as it finishes."""
    pending: dict[Future[list[dict[str, Any]]], ChunkTask] = {}
    try:
        for task in tasks:
            while len(pending) >= in_flight:
                yield from _collect(pending)
            pending[executor.submit(run_chunk, task)] = task
        while pending:
            yield from _collect(pending)
    finally:
        for future in pending:
            future.cancel()


def _collect(
    pending: dict[Future[list[dict[str, Any]]], ChunkTask],
) -> Iterator[tuple[ChunkTask, list[dict[str, Any]]]]:
    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for future in finished:
        task = pending.pop(future)
        yield task, future.result()


def describe(result: SweepResult) -> str:
    """One line about a finished sweep."""
    rate = result.ran_runs / result.seconds if result.seconds > 0 else float("nan")
    resumed = f", {result.skipped_chunks} chunk(s) already done" if result.skipped_chunks else ""
    return (
        f"{result.ran_runs} run(s) in {result.seconds:.1f} s ({rate:.0f} runs/s){resumed}; "
        f"{result.errors} run(s) raised; results in {result.out}"
    )


def summary_json(result: SweepResult) -> str:
    return json.dumps(
        {
            "out": str(result.out),
            "total_runs": result.total_runs,
            "ran_runs": result.ran_runs,
            "skipped_chunks": result.skipped_chunks,
            "errors": result.errors,
            "seconds": round(result.seconds, 3),
        }
    )
