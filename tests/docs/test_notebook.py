"""The example notebook runs from top to bottom, and is stored without outputs.

The notebook is executed with nbclient on a kernel spec written to a temporary folder
that points at this interpreter, so the test needs no installed kernel and no
machine-specific path; the kernel works in a temporary folder, so nothing is left in the
repository.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tour.ipynb"
KERNEL = "trade-talks-tour"
BUDGET_SECONDS = 60.0  # the notebook's promise on 2 cores (measured: about 25 s)


def _kernel_spec(folder: Path) -> None:
    """A Jupyter data folder with one kernel spec: ipykernel on this interpreter."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "trade-talks tour", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code), (
        "clear the outputs before committing (jupyter nbconvert --clear-output --inplace)"
    )


def test_the_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jupyter = tmp_path / "jupyter"
    _kernel_spec(jupyter)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(work)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=120,  # per cell
        resources={"metadata": {"path": str(work)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    elapsed = time.perf_counter() - started
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    assert list(work.iterdir()) == []  # the sweep went to a temporary folder, now removed
    assert elapsed < BUDGET_SECONDS, f"the notebook took {elapsed:.0f} s"
