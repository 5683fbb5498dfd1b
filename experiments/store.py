"""The result store of a sweep: a folder that a crash cannot corrupt.

Layout::

    OUT/manifest.json          what the sweep is (written before the first run)
    OUT/design.parquet         the design points
    OUT/runs/chunk-000000.parquet, ...   one file per chunk of run ids

Every file is written to a temporary name in the same folder and renamed into place, so
a killed sweep leaves no partial file, and a chunk that runs twice (a Dask worker lost
mid-chunk) writes the same bytes again. Resuming lists the finished chunk files and runs
the rest. DuckDB, pyarrow or ``pandas.read_parquet(OUT / "runs")`` read the folder
directly.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
CHUNK_PATTERN = re.compile(r"^chunk-(\d{6,})\.parquet$")


class ResumeError(ValueError):
    """A resume that would mix results of a different sweep; the message says what differs."""


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
    return out / RUNS / f"chunk-{index:06d}.parquet"


def finished_chunks(out: Path) -> set[int]:
    """Indices of the chunk files already in place."""
    folder = out / RUNS
    if not folder.is_dir():
        return set()
    found = set()
    for entry in folder.iterdir():
        match = CHUNK_PATTERN.match(entry.name)
        if match:
            found.add(int(match.group(1)))
    return found


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    atomic_write_bytes(
        out / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    )


def read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / MANIFEST
    if not path.exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


IDENTITY_KEYS = (
    "study",
    "scenario_sha256",
    "total_runs",
    "chunk_size",
    "code_version",
    "points_sha256",
)


def check_resume(existing: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse to resume a sweep whose identity differs; name each field that differs."""
    before = _flatten({k: existing.get(k) for k in IDENTITY_KEYS})
    after = _flatten({k: new.get(k) for k in IDENTITY_KEYS})
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


def read_runs(out: str | Path) -> pd.DataFrame:
    """Every finished run of a sweep folder, sorted by run id."""
    folder = Path(out) / RUNS
    if not folder.is_dir():
        raise ValueError(f"{out} holds no runs/ folder: is it a sweep's output folder?")
    table = pd.read_parquet(folder)
    return table.sort_values("run_id", kind="stable").reset_index(drop=True)
