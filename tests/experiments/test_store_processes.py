"""Sweeps in real processes: a second writer, a killed worker, a killed or unreachable
scheduler and Ctrl-C each end with one clear line and a documented exit code, and the
table after ``--resume`` equals the uninterrupted one."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest

from experiments.executors import SerialExecutor
from experiments.store import MANIFEST, finished_chunks, read_runs
from experiments.study import load_study
from experiments.sweep import run_sweep

from .conftest import cli, write_study

DASHBOARD_OFF = ("--dashboard-address", "127.0.0.1:0", "--no-show")
HELD_WRITER = """
import os, sys, time
from experiments.executors import SerialExecutor
from experiments.study import load_study
from experiments.sweep import run_sweep

class Held(SerialExecutor):
    # runs nothing until the file sys.argv[3] exists, so a second writer meets it

    def submit(self, fn, /, *args, **kwargs):
        while not os.path.exists(sys.argv[3]):
            time.sleep(0.05)
        return super().submit(fn, *args, **kwargs)

print("started", flush=True)
run_sweep(load_study(sys.argv[1]), sys.argv[2], Held(), chunk_size=50)
"""


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"the sweep ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within 60 s"
        time.sleep(0.01)


def _finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode, err


def _resume_serially(study_path: Path, out: Path) -> pd.DataFrame:
    run_sweep(load_study(study_path), out, SerialExecutor(), resume=True)
    return read_runs(out)


def _one_clear_line(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip() and "it/s" not in line]
    assert "Traceback" not in err, err
    messages = [line for line in lines if line.startswith("negotiation ")]
    assert len(messages) == 1, err
    for fragment in fragments:
        assert re.search(fragment, messages[0]), messages[0]


def test_a_second_writer_fails_clearly_and_the_first_table_is_whole(
    tmp_path: Path,
    reference_table: Callable[[int], pd.DataFrame],
) -> None:
    study_path = write_study(tmp_path, 100)  # 300 runs, 6 chunks of 50
    out, release = tmp_path / "out", tmp_path / "release"
    first = subprocess.Popen(
        [sys.executable, "-c", HELD_WRITER, str(study_path), str(out), str(release)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _wait_for(lambda: (out / MANIFEST).exists(), first, "a manifest")
    second = cli("sweep", str(study_path), "--out", str(out), "--resume", "--workers", "1")
    code, err = _finish(second)
    assert first.poll() is None
    assert code == 2
    _one_clear_line(err, rf"another sweep is writing to .*pid {first.pid} on .*started 20")
    release.touch()
    assert _finish(first)[0] == 0
    pd.testing.assert_frame_equal(read_runs(out), reference_table(100))


def _workers_of(pid: int) -> list[psutil.Process]:
    parent = psutil.Process(pid)
    return [c for c in parent.children() if c.cmdline() == parent.cmdline()]


def test_a_killed_worker_ends_with_one_line_and_resume_continues(
    tmp_path: Path,
    reference_table: Callable[[int], pd.DataFrame],
) -> None:
    study_path = write_study(tmp_path, 150)  # 450 runs, about 100 chunks
    out = tmp_path / "out"
    sweep = cli("sweep", str(study_path), "--out", str(out), "--workers", "2")
    _wait_for(lambda: len(finished_chunks(out)) >= 1, sweep, "a finished chunk")
    workers = _workers_of(sweep.pid)
    assert workers, "no pool worker found"
    workers[0].send_signal(signal.SIGKILL)
    code, err = _finish(sweep)
    assert code == 1
    _one_clear_line(err, r"a worker process died", r"\d+ of \d+ chunks are saved", "--resume")
    pd.testing.assert_frame_equal(_resume_serially(study_path, out), reference_table(150))


def test_ctrl_c_ends_a_sweep_with_one_line_and_resume_continues(
    tmp_path: Path,
    reference_table: Callable[[int], pd.DataFrame],
) -> None:
    study_path = write_study(tmp_path, 150)
    out = tmp_path / "out"
    sweep = cli("sweep", str(study_path), "--out", str(out), "--workers", "2")
    _wait_for(lambda: len(finished_chunks(out)) >= 2, sweep, "two finished chunks")
    os.killpg(sweep.pid, signal.SIGINT)  # what a terminal sends the whole job
    code, err = _finish(sweep)
    assert code == 130
    _one_clear_line(err, r"^negotiation sweep: interrupted; \d+ of \d+ chunks are saved; --resume")
    pd.testing.assert_frame_equal(_resume_serially(study_path, out), reference_table(150))


def test_ctrl_c_ends_an_ensemble_with_one_line() -> None:
    ensemble = cli("ensemble", "--runs", "200000", "--workers", "2")
    _wait_for(lambda: len(_workers_of(ensemble.pid)) == 2, ensemble, "two pool workers")
    time.sleep(0.5)
    os.killpg(ensemble.pid, signal.SIGINT)
    code, err = _finish(ensemble)
    assert code == 130, err
    _one_clear_line(err, r"^negotiation ensemble: interrupted")


def test_a_malformed_or_unreachable_scheduler_is_refused_quickly(tmp_path: Path) -> None:
    study_path = write_study(tmp_path, 2)
    out = tmp_path / "out"
    started = time.monotonic()
    code, err = _finish(cli("sweep", str(study_path), "--out", str(out), "--scheduler", "nowhere"))
    assert code == 2
    _one_clear_line(err, r"--scheduler: .*tcp://host:port.*'nowhere'")
    code, err = _finish(
        cli("sweep", str(study_path), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9")
    )
    assert code == 2
    _one_clear_line(err, r"cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 5 s")
    assert time.monotonic() - started < 30
    assert not out.exists()


@pytest.fixture
def scheduler() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A Dask scheduler on 127.0.0.1 (dashboard too) with one worker, and its address."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask is not None, "the dask command comes with the [dask] extra of the dev install"
    process = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", *DASHBOARD_OFF],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    address = ""
    for line in process.stderr:
        found = re.search(r"Scheduler at:\s+(tcp://\S+)", line)
        if found:
            address = found.group(1)
            break
    worker = subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, address
    finally:
        for child in (worker, process):
            child.kill()
            child.wait()


def test_a_killed_scheduler_ends_with_one_line_and_resume_continues(
    tmp_path: Path,
    scheduler: tuple[subprocess.Popen[str], str],
    reference_table: Callable[[int], pd.DataFrame],
) -> None:
    process, address = scheduler
    study_path = write_study(tmp_path, 150)
    out = tmp_path / "out"
    sweep = cli("sweep", str(study_path), "--out", str(out), "--scheduler", address)
    _wait_for(lambda: len(finished_chunks(out)) >= 1, sweep, "a finished chunk")
    process.kill()
    killed = time.monotonic()
    code, err = _finish(sweep)
    assert code == 1
    assert time.monotonic() - killed < 20
    _one_clear_line(err, r"scheduler", r"\d+ of \d+ chunks are saved; --resume continues")
    pd.testing.assert_frame_equal(_resume_serially(study_path, out), reference_table(150))
