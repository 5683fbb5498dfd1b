"""The result store of a sweep: a folder that a crash cannot corrupt.

Layout::

    OUT/.lock                  held by the one sweep writing here (pid, host, start time)
    OUT/manifest.json          what the sweep is (written before the first run)
    OUT/design.parquet         the design points
    OUT/runs/chunk-000000.parquet, ...   one file per chunk of run ids

Every file is written to a temporary name in the same folder and renamed into place, so
a killed sweep leaves no partial file, and a chunk that runs twice (a Dask worker lost
mid-chunk) writes the same bytes again. One writer at a time: a sweep holds an exclusive
``flock`` on ``OUT/.lock`` while it runs, and a second one is refused with the holder's
pid and start time. Resuming checks each chunk file already there (readable, the
expected run ids in order) and runs the rest. DuckDB, pyarrow or
``pandas.read_parquet(OUT / "runs")`` read the folder directly.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
LOCK = ".lock"
CHUNK_PATTERN = re.compile(r"^chunk-(\d{6,})\.parquet$")

# What a resume must agree on: everything that changes the rows, nothing that does not
# (the study's name and description, the scenario's title, where its file lives).
IDENTITY_KEYS = (
    "design",
    "fixed",
    "root_seed",
    "replications",
    "scenario_sha256",
    "points_sha256",
    "parameters",
    "total_runs",
    "chunk_size",
    "code_version",
    "run_versions",
)
RUN_PACKAGES = ("mesa", "numpy", "numba")  # libraries whose version can change a run's outcome


class ResumeError(ValueError):
    """A resume that would mix results of a different sweep; the message says what differs."""


class StoreError(RuntimeError):
    """A result folder that cannot be used (unwritable, unreadable manifest, locked)."""


class LockError(StoreError):
    """Another process is writing to the result folder."""


def os_reason(exc: OSError) -> str:
    """The operating system's words for ``exc`` (e.g. 'No space left on device')."""
    return exc.strerror or type(exc).__name__


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; results are not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write an Arrow table as Parquet, atomically."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def chunk_path(out: Path, index: int) -> Path:
    """Where chunk ``index`` of the sweep in ``out`` lives."""
    return out / RUNS / f"chunk-{index:06d}.parquet"


def finished_chunks(out: Path) -> set[int]:
    """Indices of the chunk files in place (not yet checked: see :func:`chunk_problem`)."""
    folder = out / RUNS
    if not folder.is_dir():
        return set()
    found = set()
    for entry in folder.iterdir():
        match = CHUNK_PATTERN.match(entry.name)
        if match:
            found.add(int(match.group(1)))
    return found


def chunk_problem(path: Path, first: int, stop: int, columns: list[str]) -> str | None:
    """Why the chunk file at ``path`` is not the finished runs ``first .. stop-1``, or None.

    A chunk counts as finished only if it reads as Parquet with the sweep's columns and
    holds exactly the run ids ``first .. stop-1`` in order (an empty, truncated or foreign
    file does not).
    """
    try:
        parquet = pq.ParquetFile(path)
        if parquet.schema_arrow.names != columns:
            return "its columns are not the sweep's"
        if parquet.metadata.num_rows != stop - first:
            return f"it holds {parquet.metadata.num_rows} row(s), not {stop - first}"
        run_ids = parquet.read(columns=["run_id"]).column("run_id").to_pylist()
    except (OSError, pa.ArrowException, KeyError) as exc:
        return f"it cannot be read ({type(exc).__name__}: {exc})"
    if run_ids != list(range(first, stop)):
        return f"its run ids are not {first} .. {stop - 1}"
    return None


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically (sorted keys, so equal sweeps give equal files)."""
    atomic_write_bytes(
        out / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    )


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of the sweep in ``out``; None if there is none; StoreError if unreadable."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise StoreError(_unreadable(path, reason)) from None
    if not isinstance(manifest, dict):
        raise StoreError(_unreadable(path, "it does not hold a JSON object"))
    return manifest


def _unreadable(path: Path, reason: str) -> str:
    return (
        f"the manifest {path} is unreadable ({reason}): use another --out folder, "
        "or remove that folder to start the sweep again"
    )


def identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """The fields of a manifest that decide the rows (what a resume must agree on)."""
    study = manifest.get("study") or {}
    meta = study.get("study") or {}
    versions = manifest.get("versions") or {}
    found = {
        "design": study.get("design"),
        "fixed": study.get("fixed"),
        "root_seed": meta.get("root_seed"),
        "replications": meta.get("replications"),
        "run_versions": {name: versions.get(name) for name in RUN_PACKAGES},
    }
    found.update({k: manifest.get(k) for k in IDENTITY_KEYS if k not in found})
    return found


def check_resume(existing: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse to resume a sweep whose identity differs; name each field that differs."""
    before = _flatten(identity(existing))
    after = _flatten(identity(new))
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if differ:
        details = "; ".join(
            f"{k}: was {_short(before.get(k))}, now {_short(after.get(k))}" for k in differ[:6]
        )
        more = f" and {len(differ) - 6} more" if len(differ) > 6 else ""
        raise ResumeError(
            f"cannot resume: this folder holds a different sweep ({details}{more}). "
            "Use a new --out folder, or rerun the original study."
        )


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


# File descriptors of the locks this process holds; a forked child closes its copies
# (see _drop_inherited_locks), or a pool worker would keep the folder locked.
_HELD: dict[Path, int] = {}


def _drop_inherited_locks() -> None:
    for fd in _HELD.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextlib.contextmanager
def lock_folder(out: Path) -> Iterator[None]:
    """Hold the exclusive lock of the result folder ``out`` (which must exist).

    The lock is an ``flock`` on ``OUT/.lock``: the kernel drops it when the holder exits,
    however it dies, so a killed sweep never leaves a stale lock. The file holds the
    holder's pid, host and start time for the message another writer gets.
    """
    path = out / LOCK
    fd = _open_lock(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LockError(_held_message(out, path)) from None
    key = path.resolve()
    _HELD[key] = fd
    try:
        _write_holder(fd, path)
        yield
    finally:
        if _HELD.pop(key, None) is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the flock


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise StoreError(f"cannot use {path.parent} as a result folder: {os_reason(exc)}") from None


def _write_holder(fd: int, path: Path) -> None:
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
    except OSError as exc:
        raise StoreError(f"cannot write the lock file {path}: {os_reason(exc)}") from None


def _held_message(out: Path, path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        who = f"pid {holder['pid']} on {holder['host']}, started {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        who = "a process that has not yet said who it is"
    return (
        f"another sweep is writing to {out} ({who}): wait for it to finish, "
        "or use another --out folder"
    )


def read_runs(out: str | Path) -> pd.DataFrame:
    """Every finished run of a sweep folder, sorted by run id."""
    folder = Path(out) / RUNS
    if not folder.is_dir():
        raise ValueError(f"{out} holds no runs/ folder: is it a sweep's output folder?")
    table = pd.read_parquet(folder)
    return table.sort_values("run_id", kind="stable").reset_index(drop=True)
