"""Run a study: chunks of seeded runs on any executor, streamed into the result store.

The unit of work is :func:`negotiation.run_once` (scenario, parameters, seed) -> outcome
record; a *chunk* is a contiguous range of run ids, sized to take a couple of seconds
(one task per run would spend most of the time on overhead). A chunk's runs whose plans
the lockstep engine covers run in one batch of it (:mod:`negotiation.lockstep`), with
the records ``run_once`` would give. Chunks are pure: a chunk's
rows depend only on the study, so the same study gives the same table on every executor,
sorted by run id. At most a few chunks are in flight, and each is written to disk as it
finishes, so memory stays flat however large the sweep. A run that raises is recorded
with its error and the sweep goes on.

Everything is checked before the result folder is touched (the design is built, one run
probed for the columns); then the folder is locked, the manifest written (or, on resume,
compared field by field on what changes rows: :func:`experiments.store.identity`), the
chunk files already there verified, and the rest run. The code version is the installed
distribution's version plus, only for a git checkout of this project, its commit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import platform
import signal
import subprocess
import threading
import time
import tomllib
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from experiments.design import design_points, run_seeds
from experiments.executors import ExecutorLost, lost_executor
from experiments.store import (
    DESIGN,
    LOCK,
    MANIFEST,
    RUNS,
    StoreError,
    atomic_write_table,
    check_resume,
    chunk_path,
    chunk_problem,
    finished_chunks,
    lock_folder,
    os_reason,
    read_manifest,
    read_runs,
    write_manifest,
)
from experiments.study import Study, StudyError
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
    engine: str = "auto"
    schema: pa.Schema | None = None  # the study's table schema (for run_chunk_table)


ENGINES = ("auto", "per-run")  # auto: the lockstep engine wherever it covers the plan


@lru_cache(maxsize=8)
def _scenario_from_json(text: str) -> Scenario:
    return Scenario.model_validate_json(text)


def run_chunk(task: ChunkTask) -> list[dict[str, Any]]:
    """Run the chunk's runs; a run that raises becomes a row with its error.

    With ``engine`` "auto", the runs of every design point whose plan the lockstep engine
    covers (:mod:`negotiation.lockstep`) go to it in one batch, the others one by one to
    ``run_once``; the rows are the same either way."""
    scenario, seeds = _scenario_from_json(task.scenario_json), _chunk_seeds(task)
    batch = _lockstep_batch(scenario, task, seeds) if task.engine == "auto" else None
    return _chunk_rows(scenario, task, seeds, _by_run(batch))


def run_chunk_table(task: ChunkTask) -> pa.Table:
    """The chunk's rows (:func:`run_chunk`) as a table of ``task.schema``, made where the
    chunk runs. When the lockstep engine ran every run of the chunk, the table is built
    from its fields, column by column, without rows."""
    if task.schema is None:
        raise ValueError("run_chunk_table needs the task's schema")
    scenario, seeds = _scenario_from_json(task.scenario_json), _chunk_seeds(task)
    batch = _lockstep_batch(scenario, task, seeds) if task.engine == "auto" else None
    if batch is not None and len(batch[0]) == len(seeds):
        run_ids, fields = batch
        points = [divmod(run_id, task.replications) for run_id in run_ids]
        fields["run_id"] = run_ids
        fields["seed"] = [seeds[run_id] for run_id in run_ids]
        fields["point"] = [point for point, _ in points]
        fields["replicate"] = [replicate for _, replicate in points]
        fields["error"] = [None] * len(run_ids)
        return _fields_to_table(fields, task.schema)
    return _to_table(_chunk_rows(scenario, task, seeds, _by_run(batch)), task.schema)


def packed_chunk_table(task: ChunkTask) -> bytes:
    """:func:`run_chunk_table` as compressed Arrow IPC bytes, what a sweep's workers send
    back: a few times smaller than the pickled table, so that the result of a small chunk
    crosses the pool's pipe in one write (a worker killed between the two writes of a
    larger message leaves the pool's result reader waiting for the rest)."""
    sink = pa.BufferOutputStream()
    table = run_chunk_table(task)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return zlib.compress(sink.getvalue().to_pybytes(), 1)


def unpacked_table(packed: bytes) -> pa.Table:
    """The table :func:`packed_chunk_table` packed."""
    return pa.ipc.open_stream(pa.py_buffer(zlib.decompress(packed))).read_all()


def _chunk_seeds(task: ChunkTask) -> dict[int, int]:
    """The seed of each of the chunk's runs, by run id."""
    drawn = run_seeds(task.root_seed, np.arange(task.first_run, task.stop_run)).tolist()
    return dict(zip(range(task.first_run, task.stop_run), drawn, strict=True))


def _chunk_rows(
    scenario: Scenario,
    task: ChunkTask,
    seeds: dict[int, int],
    records: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The chunk's rows in run order: ``records`` where given, ``run_once`` otherwise."""
    run_ids = range(task.first_run, task.stop_run)
    rows = []
    for run_id in run_ids:
        point, replicate = divmod(run_id, task.replications)
        params, seed = task.points[point], seeds[run_id]
        meta = {"run_id": run_id, "seed": seed, "point": point, "replicate": replicate}
        try:
            row = records.get(run_id) or run_once(scenario, seed=seed, params=params).to_row()
            rows.append({**row, **meta, "error": None})
        except Exception as exc:
            failed = {f"param__{k}": v for k, v in params.items()}
            rows.append({**meta, **failed, "error": f"{type(exc).__name__}: {exc}"})
    return rows


def _lockstep_records(
    scenario: Scenario, task: ChunkTask, seeds: dict[int, int]
) -> dict[int, dict[str, Any]]:
    """The outcome records, by run id, of the chunk's runs whose plans the lockstep
    engine covers, from one batch; none when the batch raises (each run is then run
    alone, so that a run that raises is recorded with its own error)."""
    return _by_run(_lockstep_batch(scenario, task, seeds))


def _by_run(batch: tuple[list[int], dict[str, list[Any]]] | None) -> dict[int, dict[str, Any]]:
    """A lockstep batch's fields as records by run id (none for no batch)."""
    if batch is None:
        return {}
    run_ids, fields = batch
    keys = list(fields)
    rows = (dict(zip(keys, values, strict=True)) for values in zip(*fields.values(), strict=True))
    return dict(zip(run_ids, rows, strict=True))


def _lockstep_batch(
    scenario: Scenario, task: ChunkTask, seeds: dict[int, int]
) -> tuple[list[int], dict[str, list[Any]]] | None:
    """The run ids, in order, of the chunk's runs whose plans the lockstep engine covers
    and their outcome fields (:func:`~negotiation.lockstep.columns.outcome_fields`),
    from one batch; ``None`` when there are none or the batch raises."""
    from negotiation.lockstep.collection import collection_paused

    with collection_paused():  # a fifth of a chunk of random points' time otherwise
        return _lockstep_fields(scenario, task, seeds)


def _lockstep_fields(
    scenario: Scenario, task: ChunkTask, seeds: dict[int, int]
) -> tuple[list[int], dict[str, list[Any]]] | None:
    from negotiation.lockstep import LockstepTalks, coverage_problem
    from negotiation.lockstep.columns import outcome_fields
    from negotiation.plan import plan_for

    plans = {}
    for point, params in task.points.items():
        try:
            plans[point] = plan_for(scenario, params)
        except Exception:
            continue  # each of its runs records the error
    covered = {point for point, plan in plans.items() if coverage_problem(plan) is None}
    batch = [run_id for run_id in seeds if run_id // task.replications in covered]
    if not batch:
        return None
    try:
        model = LockstepTalks(
            scenario,
            [seeds[run_id] for run_id in batch],
            plans=[plans[run_id // task.replications] for run_id in batch],
        )
        model.run()
        return batch, outcome_fields(model)
    except Exception:
        return None


def result_schema(scenario: Scenario, params: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of result rows (fixed, so every chunk file agrees)."""
    probe = run_once(scenario, seed=0, params=params).to_row()
    fields = [pa.field(name, kind) for name, kind in META_COLUMNS.items()]
    for name, value in probe.items():
        if name not in META_COLUMNS:
            fields.append(pa.field(name, _arrow_type(name, value, scenario)))
    fields.append(pa.field("error", pa.string()))
    return pa.schema(fields, metadata=_schema_metadata(scenario, str(probe["plan_digest"])))


def _schema_metadata(scenario: Scenario, base_digest: str) -> dict[str, str]:
    """What a reader of the Parquet files needs without the manifest: the producer and
    the versions it ran with, the scenario, the digest of its plan with the study's fixed
    parameters (each run's own, with its design point, is ``plan_digest``) and the
    meaning of the column prefixes."""
    return {
        "trade_talks.producer": f"{DISTRIBUTION} {code_version()}",
        "trade_talks.versions": json.dumps(_versions()),
        "trade_talks.scenario": scenario.name,
        "trade_talks.base_plan_digest": base_digest,
        "trade_talks.columns": json.dumps(
            {
                "package__<issue>": "agreed value of the issue in its unit (no deal: the "
                "perceived no-deal value)",
                "utility__<actor>": "the actor's utility of the package (1 = its ideal)",
                "reservation__<actor>": "the actor's reservation utility at the end",
                "param__<name>": "effective value of the named parameter (null: does not "
                "apply to the chosen behaviour)",
                "plan_digest": "SHA-256 of the resolved scenario: same digest, seed and "
                "code version = the same run",
            }
        ),
    }


_DATES = {"date", "framework_date", "endorsement_date"}
_NULLABLE_NUMBERS = {"days_before_summit", "nash_product", "pareto_distance", "nash_distance"}


def _arrow_type(name: str, value: Any, scenario: Scenario) -> pa.DataType:
    if name.startswith("param__"):
        spec = scenario.parameters[name.removeprefix("param__")]
        return {"number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}.get(
            spec.kind, pa.string()
        )
    if name in ("round",):
        return pa.int64()
    if name in _DATES:
        return pa.date32()
    if name == "time":
        return pa.timestamp("ms")  # what Parquet stores
    if name == "vetoed_by":
        return pa.list_(pa.string())
    if name in _NULLABLE_NUMBERS or name.startswith(("package__", "utility__", "reservation__")):
        return pa.float64()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    return pa.string()


def _fields_to_table(fields: dict[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """Columns (lists over the rows, by field name) as a table of ``schema``, as
    :func:`_to_table` makes it from the same rows."""
    n = len(next(iter(fields.values()), []))
    arrays = []
    for field in schema:
        values = fields.get(field.name, [None] * n)
        if _timed(field):
            arrays.append(pa.array(values, type=pa.string()).cast(field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """The rows as a table of ``schema``: missing fields are nulls, numbers in a
    floating column floats, dates and times parsed from their ISO text."""
    timed = [f for f in schema if _timed(f)]
    plain = pa.schema([f for f in schema if f not in timed])
    try:
        table = pa.Table.from_pylist(rows, schema=plain)  # the rows read once, by pyarrow
    except (pa.ArrowException, TypeError, OverflowError):
        return _to_table_by_column(rows, schema)  # a value pyarrow does not convert
    for field in timed:
        values = pa.array([row.get(field.name) for row in rows], type=pa.string())
        table = table.append_column(field, values.cast(field.type))
    return table.select(schema.names).cast(schema)


def _to_table_by_column(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """:func:`_to_table` field by field, each number of a floating column made a float
    first (pyarrow refuses there an integer beyond 64 bits, which ``float`` takes)."""
    fields = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if pa.types.is_floating(field.type):
            values = [None if v is None else float(v) for v in values]
        fields[field.name] = values
    return _fields_to_table(fields, schema)


def _timed(field: pa.Field) -> bool:
    """Whether a column holds dates or times (written as ISO text in the rows)."""
    return bool(pa.types.is_date32(field.type) or pa.types.is_timestamp(field.type))


DISTRIBUTION = "trade-talks"


def code_version() -> str:
    """The installed distribution's version, plus this project's commit if checked out.

    The commit is added only when the package's own source folder is the top of a git
    checkout of this project (an editable install or a run from the clone); it never
    comes from the working directory's repository, so a user's own repository (with this
    package pip-installed in it) neither leaks into the record nor blocks a resume.
    """
    version = metadata.version(DISTRIBUTION)
    commit = source_commit(_source_root())
    return f"{version}+g{commit}" if commit else version


def _source_root() -> Path:
    """The folder holding the ``experiments`` package (a clone's top, or site-packages)."""
    return Path(__file__).resolve().parent.parent


def source_commit(root: Path) -> str | None:
    """The commit of ``root`` if it is the top of a git checkout of this project, else None."""
    if not _is_this_project(root):
        return None
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return None
    return _git(root, "rev-parse", "HEAD")


def source_dirty(root: Path) -> bool | None:
    """Whether the checkout at ``root`` has uncommitted changes to tracked files (None: no
    checkout). Recorded in the manifest; it does not block a resume."""
    if source_commit(root) is None:
        return None
    return bool(_git(root, "status", "--porcelain", "--untracked-files=no"))


def _is_this_project(root: Path) -> bool:
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    named = project.get("project", {}).get("name") == DISTRIBUTION
    return named and (root / ".git").exists()


def _git(root: Path, *args: str) -> str | None:
    """``git args`` run in ``root`` (GIT_* variables dropped, so they cannot redirect it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _versions() -> dict[str, str]:
    """The versions of Python and of the packages a run's numbers depend on."""
    names = ("trade-talks", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "SALib")
    return {"python": platform.python_version(), **{n: metadata.version(n) for n in names}}


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
    """What one call of :func:`run_sweep` did (the rows are in ``out``)."""

    out: Path
    total_runs: int
    ran_runs: int
    skipped_chunks: int
    errors: int
    seconds: float
    rerun_chunks: tuple[int, ...] = ()

    def table(self) -> pd.DataFrame:
        return read_runs(self.out)


class SweepAborted(RuntimeError):
    """The sweep stopped before its end (executor lost, a chunk that cannot be written).

    The chunks already written are kept and verified on ``--resume``.
    """

    def __init__(self, reason: str, saved: int, chunks: int) -> None:
        super().__init__(f"{reason}; {saved} of {chunks} chunks are saved; --resume continues")
        self.saved, self.chunks = saved, chunks


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; a KeyboardInterrupt that says what is saved."""

    def __init__(self, saved: int, chunks: int) -> None:
        super().__init__(f"interrupted; {saved} of {chunks} chunks are saved; --resume continues")
        self.saved, self.chunks = saved, chunks


ProgressFactory = Callable[[int, int], Any]
Notice = Callable[[str], None]


@dataclass(frozen=True)
class _Plan:
    """A sweep worked out in memory: validated and probed, nothing written yet."""

    study: Study
    scenario: Scenario
    scenario_json: str
    points: pd.DataFrame
    total: int
    probe_params: dict[str, Any]
    schema: pa.Schema
    engine: str = "auto"


def run_sweep(
    study: Study,
    out: str | Path,
    executor: Executor,
    *,
    resume: bool = False,
    chunk_size: int | None = None,
    progress: ProgressFactory | None = None,
    in_flight: int = 4,
    on_notice: Notice | None = None,
    engine: str = "auto",
) -> SweepResult:
    """Run ``study`` on ``executor`` into the folder ``out``.

    ``engine`` "auto" runs each design point's runs in lockstep batches where the
    lockstep engine covers its plan, "per-run" runs every run alone; the table is the
    same.

    ``resume`` continues a sweep in ``out`` (refused if it is a different sweep); without
    it, ``out`` must not already hold one. ``progress(total, done)`` returns an object
    with ``update(n)`` and ``close()`` (a tqdm bar, by default none); ``on_notice(text)``
    hears about damaged chunks that are run again (default: the logging module).

    Everything is validated and probed before the folder is touched; the folder is
    locked for the whole sweep. Raises :class:`~experiments.store.LockError` if another
    process writes there, :class:`~experiments.store.StoreError` if the folder cannot be
    used, :class:`SweepAborted` if the executor dies or a chunk cannot be written, and
    :class:`SweepInterrupted` on Ctrl-C (the last two after saving what finished).
    """
    started = time.perf_counter()
    out = Path(out)
    _check_options(chunk_size, in_flight)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    plan = dataclasses.replace(_plan(study), engine=engine)
    created = _make_folder(out)
    try:
        with lock_folder(out):
            return _locked_sweep(
                plan, out, executor, resume, chunk_size, progress, in_flight, on_notice, started
            )
    except BaseException:
        _forget_empty_folder(out, created)
        raise


def _check_options(chunk_size: int | None, in_flight: int) -> None:
    for name, value in (("chunk_size", chunk_size), ("in_flight", in_flight)):
        positive = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        if value is not None and not positive:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _plan(study: Study) -> _Plan:
    """Build the design and probe one run: every input problem surfaces here."""
    scenario = study.scenario()
    points = design_points(study)
    probe_params, schema = _probe(scenario, points)
    return _Plan(
        study=study,
        scenario=scenario,
        scenario_json=scenario.model_dump_json(),
        points=points,
        total=len(points) * study.study.replications,
        probe_params=probe_params,
        schema=schema,
    )


def _probe(scenario: Scenario, points: pd.DataFrame) -> tuple[dict[str, Any], pa.Schema]:
    """Parameters that run, and the result schema from one such run.

    The first design point is tried, then the scenario's defaults (a point that raises is
    recorded as an error row, not fatal; but the columns need one run that works).
    """
    first = _point_params(points, 0)
    problems = []
    for params in (first, {}):
        try:
            return params, result_schema(scenario, params)
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
    raise StudyError(
        "no run of this study works: the first design point raised "
        f"({problems[0]}) and so did the scenario's defaults ({problems[1]})"
    )


def _make_folder(out: Path) -> bool:
    """Create ``out`` if needed (True if this call created it); StoreError if impossible."""
    if out.is_dir():
        return False
    try:
        out.mkdir(parents=True)
    except FileExistsError:
        if not out.is_dir():
            raise StoreError(f"cannot use {out} as a result folder: it is a file") from None
        return False
    except OSError as exc:
        raise StoreError(f"cannot create the result folder {out}: {os_reason(exc)}") from None
    return True


def _forget_empty_folder(out: Path, created: bool) -> None:
    """Remove a folder this sweep created if it holds nothing but its lock file."""
    if not created:
        return
    with contextlib.suppress(OSError):
        if {p.name for p in out.iterdir()} <= {LOCK}:
            (out / LOCK).unlink(missing_ok=True)
            out.rmdir()


def _locked_sweep(
    plan: _Plan,
    out: Path,
    executor: Executor,
    resume: bool,
    chunk_size: int | None,
    progress: ProgressFactory | None,
    in_flight: int,
    on_notice: Notice | None,
    started: float,
) -> SweepResult:
    """The sweep proper, with the folder's lock held."""
    existing = read_manifest(out)
    if existing is not None and not resume:
        raise FileExistsError(f"{out} already holds a sweep: use --resume, or another --out folder")
    size = chunk_size or _existing_chunk_size(out, existing) or _auto_chunk_size(plan)
    manifest = _manifest(plan, size)
    if existing is not None:
        check_resume(existing, manifest)
    else:
        _write_start(out, plan.points, manifest)
    n_chunks = math.ceil(plan.total / size)
    done, rerun = _verified_chunks(out, size, plan, on_notice or _log_notice)
    todo = [c for c in range(n_chunks) if c not in done]
    done_runs = sum(_chunk_len(c, size, plan.total) for c in done)
    bar = progress(plan.total, done_runs) if progress else None
    try:
        ran, errors = _run_chunks(out, plan, size, todo, executor, in_flight, bar, len(done))
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    return SweepResult(out, plan.total, ran, len(done), errors, seconds, tuple(rerun))


def _existing_chunk_size(out: Path, existing: dict[str, Any] | None) -> int | None:
    if existing is None:
        return None
    size = existing.get("chunk_size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise StoreError(
            f"the manifest {out / MANIFEST} has no valid chunk_size ({size!r}): use another "
            "--out folder, or remove that folder to start the sweep again"
        )
    return size


def _auto_chunk_size(plan: _Plan) -> int:
    return choose_chunk_size(plan.scenario, plan.probe_params, plan.total)


def _manifest(plan: _Plan, chunk_size: int) -> dict[str, Any]:
    """What the sweep is: the fields a resume must match, and a record of the rest."""
    root = _source_root()
    return {
        "study": plan.study.model_dump(mode="json"),
        "scenario": plan.scenario.name,
        "scenario_sha256": scenario_sha256(plan.scenario),
        "points_sha256": points_sha256(plan.points),
        "root_seed": plan.study.study.root_seed,
        "replications": plan.study.study.replications,
        "design_points": len(plan.points),
        "total_runs": plan.total,
        "chunk_size": chunk_size,
        "parameters": {
            n: plan.scenario.parameters[n].model_dump(mode="json") for n in plan.points.columns
        },
        "code_version": code_version(),
        "code_dirty": source_dirty(root),
        "versions": _versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _write_start(out: Path, points: pd.DataFrame, manifest: dict[str, Any]) -> None:
    """Write the design and then the manifest; on failure leave neither behind."""
    design = out / DESIGN
    try:
        atomic_write_table(design, pa.Table.from_pandas(points, preserve_index=False))
        write_manifest(out, manifest)
    except OSError as exc:
        design.unlink(missing_ok=True)
        raise StoreError(f"cannot write to the result folder {out}: {os_reason(exc)}") from None


def _verified_chunks(
    out: Path, size: int, plan: _Plan, notice: Notice
) -> tuple[set[int], list[int]]:
    """The chunk files that hold their runs; damaged ones are removed (to run again)."""
    n_chunks = math.ceil(plan.total / size)
    good, bad = set(), []
    for index in sorted(finished_chunks(out)):
        if index >= n_chunks:
            continue
        first, stop = index * size, min((index + 1) * size, plan.total)
        path = chunk_path(out, index)
        problem = chunk_problem(path, first, stop, plan.schema.names)
        if problem is None:
            good.add(index)
            continue
        notice(f"{path} is damaged ({problem}): running chunk {index} again")
        _remove_damaged(path)
        bad.append(index)
    return good, bad


def _remove_damaged(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot remove the damaged chunk {path}: {os_reason(exc)}") from None


def _log_notice(text: str) -> None:
    logging.getLogger(__name__).warning("%s", text)


def _run_chunks(
    out: Path,
    plan: _Plan,
    size: int,
    todo: list[int],
    executor: Executor,
    in_flight: int,
    bar: Any,
    saved: int,
) -> tuple[int, int]:
    """Run the chunks in ``todo`` and write each as it finishes: (runs, runs that raised)."""
    n_chunks = math.ceil(plan.total / size)
    tasks = (_task(plan, size, c) for c in todo)
    ran = errors = 0
    try:
        with _deferred_interrupt() as interrupted:
            for task, packed in _run_windowed(executor, tasks, in_flight, packed_chunk_table):
                table = unpacked_table(packed)
                _write_chunk(out, task.index, table)
                saved += 1
                ran += table.num_rows
                errors += table.num_rows - table.column("error").null_count
                if bar is not None:
                    bar.update(table.num_rows)
                if interrupted():
                    raise KeyboardInterrupt
    except ExecutorLost as exc:
        raise SweepAborted(str(exc), saved, n_chunks) from exc
    except OSError as exc:
        reason = f"cannot write a chunk to {out / RUNS}: {os_reason(exc)}"
        raise SweepAborted(reason, saved, n_chunks) from exc
    except KeyboardInterrupt:
        raise SweepInterrupted(saved, n_chunks) from None
    return ran, errors


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """While chunks are submitted, collected and written, a first Ctrl-C is noted and
    acted on between two chunks (the caller asks), not raised wherever the main thread
    happens to be: raised inside the executor's own bookkeeping, it could leave the pool
    unable to shut down. A second Ctrl-C interrupts at once. Off the main thread (where
    signals cannot be handled) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    noted: list[bool] = []
    previous = signal.getsignal(signal.SIGINT)

    def note(signum: int, frame: Any) -> None:
        noted.append(True)
        signal.signal(signal.SIGINT, previous)  # the next one is not deferred

    signal.signal(signal.SIGINT, note)
    try:
        yield lambda: bool(noted)
    finally:
        signal.signal(signal.SIGINT, previous)


def _write_chunk(out: Path, index: int, table: pa.Table) -> None:
    atomic_write_table(chunk_path(out, index), table)


def scenario_sha256(scenario: Scenario) -> str:
    """A hash of what the scenario makes runs do (its title, description, sources and
    observed outcome left out: editing those does not change a row)."""
    data = scenario.model_dump(mode="json", exclude={"observed"})
    data["scenario"] = {"name": scenario.name}
    return _sha256(json.dumps(data, sort_keys=True))


def points_sha256(points: pd.DataFrame) -> str:
    """A hash of the design points, column by column (no text copy of the whole table)."""
    digest = hashlib.sha256()
    for name in points.columns:
        column = points[name]
        digest.update(f"{name}\x1f{column.dtype}\x1e".encode())
        if column.dtype.kind in "biuf":
            digest.update(column.to_numpy().tobytes())
        else:
            digest.update("\x1f".join(map(repr, column.tolist())).encode())
    return digest.hexdigest()


def _point_params(points: pd.DataFrame, index: int) -> dict[str, Any]:
    return {k: _native(v) for k, v in points.iloc[index].items()}


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _chunk_len(index: int, size: int, total: int) -> int:
    return min((index + 1) * size, total) - index * size


def _task(plan: _Plan, size: int, index: int) -> ChunkTask:
    """The task of chunk ``index`` (chunks of ``size`` runs): its run ids, the design
    points they visit, the engine and the table's schema."""
    reps = plan.study.study.replications
    first, stop = index * size, min((index + 1) * size, plan.total)
    needed = range(first // reps, (stop - 1) // reps + 1)
    return ChunkTask(
        index=index,
        scenario_json=plan.scenario_json,
        first_run=first,
        stop_run=stop,
        replications=reps,
        root_seed=plan.study.study.root_seed,
        points={p: _point_params(plan.points, p) for p in needed},
        engine=plan.engine,
        schema=plan.schema,
    )


def _run_windowed[R](
    executor: Executor,
    tasks: Iterator[ChunkTask],
    in_flight: int,
    job: Callable[[ChunkTask], R],
) -> Iterator[tuple[ChunkTask, R]]:
    """Submit at most ``in_flight`` chunks at a time, each to ``job`` (:func:`run_chunk`,
    its rows, or :func:`run_chunk_table`, its table); yield each as it finishes."""
    pending: dict[Future[R], ChunkTask] = {}
    try:
        for task in tasks:
            while len(pending) >= in_flight:
                yield from _collect(pending)
            pending[_submit(executor, job, task)] = task
        while pending:
            yield from _collect(pending)
    finally:
        for future in pending:
            future.cancel()


def _submit[R](executor: Executor, job: Callable[[ChunkTask], R], task: ChunkTask) -> Future[R]:
    try:
        return executor.submit(job, task)
    except Exception as exc:
        reason = lost_executor(exc)
        if reason is None:
            raise
        raise ExecutorLost(reason) from exc


def _collect[R](pending: dict[Future[R], ChunkTask]) -> Iterator[tuple[ChunkTask, R]]:
    """Wait for one or more chunks; an executor that died becomes :class:`ExecutorLost`."""
    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for future in finished:
        task = pending.pop(future)
        try:
            result = future.result()
        except Exception as exc:
            reason = lost_executor(exc)
            if reason is None:
                raise
            raise ExecutorLost(reason) from exc
        yield task, result


def describe(result: SweepResult) -> str:
    """One line about a finished sweep."""
    rate = result.ran_runs / result.seconds if result.seconds > 0 else float("nan")
    resumed = f", {result.skipped_chunks} chunk(s) already done" if result.skipped_chunks else ""
    if result.rerun_chunks:
        resumed += f", {len(result.rerun_chunks)} damaged chunk(s) run again"
    return (
        f"{result.ran_runs} run(s) in {result.seconds:.1f} s ({rate:.0f} runs/s){resumed}; "
        f"{result.errors} run(s) raised; results in {result.out}"
    )


def summary_json(result: SweepResult) -> str:
    """The same as :func:`describe`, as one JSON object."""
    return json.dumps(
        {
            "out": str(result.out),
            "total_runs": result.total_runs,
            "ran_runs": result.ran_runs,
            "skipped_chunks": result.skipped_chunks,
            "rerun_chunks": list(result.rerun_chunks),
            "errors": result.errors,
            "seconds": round(result.seconds, 3),
        }
    )
