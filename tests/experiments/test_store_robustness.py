"""The result folder: one writer at a time, damaged chunks run again, clear errors for
folders that cannot be used, and a record of the code that no outside repository sways."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from experiments.executors import SerialExecutor
from experiments.store import (
    LOCK,
    LockError,
    ResumeError,
    StoreError,
    chunk_path,
    lock_folder,
    read_runs,
)
from experiments.study import Study, load_study
from experiments.sweep import SweepAborted, code_version, run_sweep, source_commit

from .conftest import FLAGSHIP_FILE, write_study


def test_a_second_writer_is_refused_and_touches_nothing(tiny_study: Study, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with lock_folder(out):
        with pytest.raises(LockError, match=rf"another sweep is writing to .*pid {os.getpid()}"):
            run_sweep(tiny_study, out, SerialExecutor(), chunk_size=5)
        holder = json.loads((out / LOCK).read_text())
        assert holder["pid"] == os.getpid() and "started" in holder
    assert sorted(p.name for p in out.iterdir()) == [LOCK]
    result = run_sweep(tiny_study, out, SerialExecutor(), chunk_size=5)  # the lock is free
    assert result.ran_runs == 12


def test_a_forked_worker_does_not_keep_the_folder_locked(tiny_study: Study, tmp_path: Path) -> None:
    from experiments.executors import make_executor

    with make_executor("processes", 2) as pool:
        run_sweep(tiny_study, tmp_path / "out", pool, chunk_size=2)
        again = run_sweep(tiny_study, tmp_path / "out", pool, resume=True)  # same live pool
    assert again.ran_runs == 0 and again.skipped_chunks == 6


def _damage(out: Path) -> None:
    whole = chunk_path(out, 1).read_bytes()
    chunk_path(out, 1).write_bytes(whole[: len(whole) // 2])  # truncated
    chunk_path(out, 2).write_bytes(b"")  # empty
    shutil.copy(chunk_path(out, 0), chunk_path(out, 3))  # readable, the wrong runs


def test_resume_runs_empty_truncated_and_foreign_chunks_again(
    tiny_study: Study, tmp_path: Path
) -> None:
    whole = run_sweep(tiny_study, tmp_path / "whole", SerialExecutor(), chunk_size=2).table()
    out = tmp_path / "out"
    run_sweep(tiny_study, out, SerialExecutor(), chunk_size=2)
    _damage(out)
    notices: list[str] = []
    resumed = run_sweep(tiny_study, out, SerialExecutor(), resume=True, on_notice=notices.append)
    assert resumed.rerun_chunks == (1, 2, 3)
    assert resumed.ran_runs == 6 and resumed.skipped_chunks == 3
    assert len(notices) == 3 and all("running chunk" in n for n in notices)
    assert "cannot be read" in notices[0] and "cannot be read" in notices[1]
    assert "its run ids are not 6 .. 7" in notices[2]
    pd.testing.assert_frame_equal(read_runs(out), whole)


def test_an_unreadable_manifest_says_what_to_do(tiny_study: Study, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_sweep(tiny_study, out, SerialExecutor(), chunk_size=5)
    text = (out / "manifest.json").read_text()
    (out / "manifest.json").write_text(text[: len(text) // 2])
    with pytest.raises(StoreError, match=r"manifest .* is unreadable .*another --out folder"):
        run_sweep(tiny_study, out, SerialExecutor(), resume=True)
    (out / "manifest.json").unlink()
    (out / "manifest.json").mkdir()
    with pytest.raises(StoreError, match=r"unreadable \(Is a directory\).*remove that folder"):
        run_sweep(tiny_study, out, SerialExecutor(), resume=True)


def test_an_unusable_folder_is_named_with_the_reason(tiny_study: Study, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match=rf"{blocker}/out: Not a directory"):
        run_sweep(tiny_study, blocker / "out", SerialExecutor(), chunk_size=5)
    with pytest.raises(StoreError, match=rf"cannot use {blocker} as a result folder: it is a file"):
        run_sweep(tiny_study, blocker, SerialExecutor(), chunk_size=5)


def _failing(reason: int, after: int = 0) -> Callable[[str, str], None]:
    """An os.replace that fails with ``reason`` after ``after`` successful calls."""
    calls = {"n": 0}
    real = os.replace

    def replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(reason, os.strerror(reason))
        real(src, dst)

    return replace


@pytest.mark.parametrize("reason", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_start_leaves_nothing_behind(
    tiny_study: Study,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reason: int,
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr("experiments.store.os.replace", _failing(reason, after=1))  # manifest
    with pytest.raises(StoreError, match=rf"{out}: {os.strerror(reason)}"):
        run_sweep(tiny_study, out, SerialExecutor(), chunk_size=5)
    assert not out.exists()


def test_a_failed_chunk_write_leaves_no_partial_file(
    tiny_study: Study,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr("experiments.store.os.replace", _failing(errno.ENOSPC, after=3))
    with pytest.raises(SweepAborted, match=r"No space left on device; 1 of 3 chunks are saved"):
        run_sweep(tiny_study, out, SerialExecutor(), chunk_size=5)
    left = [p.name for p in (out / "runs").iterdir()]
    assert len(left) == 1 and left[0].startswith("chunk-")  # one chunk, no temporary file
    monkeypatch.undo()
    run_sweep(tiny_study, out, SerialExecutor(), resume=True)
    whole = run_sweep(tiny_study, tmp_path / "whole", SerialExecutor(), chunk_size=5).table()
    pd.testing.assert_frame_equal(read_runs(out), whole)


def test_description_and_name_do_not_block_a_resume_but_the_seed_does(tmp_path: Path) -> None:
    first = load_study(write_study(tmp_path, 2, description="first words"))
    out = tmp_path / "out"
    run_sweep(first, out, SerialExecutor(), chunk_size=2)
    chunk_path(out, 1).unlink()
    reworded = load_study(write_study(tmp_path, 2, description="other words", name="renamed"))
    resumed = run_sweep(reworded, out, SerialExecutor(), resume=True)
    assert resumed.ran_runs == 2
    more = load_study(write_study(tmp_path, 3))
    with pytest.raises(ResumeError, match=r"replications: was 2, now 3"):
        run_sweep(more, out, SerialExecutor(), resume=True)


def test_a_scenario_title_does_not_block_a_resume_but_its_content_does(tmp_path: Path) -> None:
    source = FLAGSHIP_FILE.read_text(encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    scenario_file = tmp_path / "scenarios" / "mine.toml"
    scenario_file.write_text(source)
    study_file = tmp_path / "study.toml"
    study_file.write_text(
        write_study(tmp_path, 2)
        .read_text()
        .replace('scenario = "kuala-lumpur-2025"', 'scenario = "scenarios/mine.toml"')
    )
    out = tmp_path / "out"
    run_sweep(load_study(study_file), out, SerialExecutor(), chunk_size=2)
    retitled = source.replace('title = "US–China', 'title = "Retitled US–China', 1)
    assert retitled != source
    scenario_file.write_text(retitled)
    assert run_sweep(load_study(study_file), out, SerialExecutor(), resume=True).ran_runs == 0
    edited = retitled.replace("lobbying_rate = 0.02", "lobbying_rate = 0.03", 1)
    assert edited != retitled
    scenario_file.write_text(edited)
    with pytest.raises(ResumeError, match="scenario_sha256"):
        run_sweep(load_study(study_file), out, SerialExecutor(), resume=True)


def _git(folder: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@e",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@e",
    )
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def _repository(folder: Path, project: str) -> Path:
    folder.mkdir()
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{project}"\n')
    (folder / "notes.txt").write_text("mine\n")
    _git(folder, "init", "-q")
    _git(folder, "add", ".")
    _git(folder, "commit", "-q", "-m", "start")
    return folder


def test_the_code_version_ignores_the_working_directory_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shutil.which("git") is not None, "these tests need git (the project is a git checkout)"
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    expected = code_version()
    users = _repository(tmp_path / "users-repo", "their-project")
    monkeypatch.chdir(users)
    assert code_version() == expected
    (users / "notes.txt").write_text("edited\n")  # the user edits their own files
    assert code_version() == expected
    monkeypatch.setenv("GIT_DIR", str(users / ".git"))  # nor can GIT_DIR redirect it
    assert code_version() == expected


def test_only_a_checkout_of_this_project_gives_a_commit(tmp_path: Path) -> None:
    assert shutil.which("git") is not None, "these tests need git (the project is a git checkout)"
    assert source_commit(_repository(tmp_path / "theirs", "their-project")) is None
    ours = _repository(tmp_path / "ours", "trade-talks")
    assert source_commit(ours) == _git(ours, "rev-parse", "HEAD")
    nested = ours / "site-packages"  # installed inside someone's checkout of this project
    nested.mkdir()
    (nested / "pyproject.toml").write_text('[project]\nname = "trade-talks"\n')
    assert source_commit(nested) is None
    assert source_commit(tmp_path) is None  # not a checkout at all
