"""The sweep explorer opens one sweep folder under its roots, and nothing else.

Refusals (``/``, ``../../``, a folder that is not a sweep, a path outside the roots, a
missing path) share one message, so the page does not tell which server paths exist; a
parent folder of two sweeps is refused, not merged; a damaged sweep gives a short message.
None of them raises or shows a traceback in the rendered page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipyvuetify as v
import pandas as pd
import pytest
import solara

from dashboards import sweeps_page
from dashboards.sweeps_page import (
    SWEEP_ROOTS_ENV,
    SweepError,
    SweepsPage,
    load_sweep,
    resolve_sweep_folder,
    sample_sweep_folder,
    samples_root,
    shown_path,
    sweep_roots,
)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A root ``tmp/served`` (the working directory the dashboard "started in", and the
    only configured root) holding two copies of the sample sweep, ``a`` and ``b``, and a
    folder ``plain`` that is not a sweep; ``tmp/outside`` holds a third sweep."""
    root = tmp_path / "served"
    for name in ("a", "b"):
        shutil.copytree(sample_sweep_folder(), root / "sweeps" / name)
    (root / "plain").mkdir()
    pd.DataFrame({"truce": [True]}).to_parquet(root / "plain" / "runs.parquet")
    shutil.copytree(sample_sweep_folder(), tmp_path / "outside" / "sweep")
    monkeypatch.setattr(sweeps_page, "STARTED_IN", root)
    monkeypatch.setenv(SWEEP_ROOTS_ENV, str(root))
    yield root


def _refusal_text(path: str) -> str:
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    return str(caught.value).replace(repr(path), "<path>")


def test_one_sweep_under_a_root_opens(served: Path) -> None:
    assert len(load_sweep(served / "sweeps" / "a")) == 200
    assert len(load_sweep("sweeps/b")) == 200  # relative to the working directory
    assert len(load_sweep(sample_sweep_folder())) == 200  # the samples are always served


@pytest.mark.parametrize(
    "path",
    ["/", "../../", "..", "plain", "sweeps", "missing", "/etc", "~", "", "sweeps/a/runs"],
)
def test_refusals_share_one_message(served: Path, path: str) -> None:
    text = _refusal_text(path)
    assert text == _refusal_text("/no/such/place")  # existing or not: the same words
    assert "manifest.json" in text and "Traceback" not in text


def test_a_path_outside_the_roots_is_refused_even_if_it_is_a_sweep(served: Path) -> None:
    outside = served.parent / "outside" / "sweep"
    assert (outside / "manifest.json").is_file()
    with pytest.raises(SweepError, match="Cannot open"):
        load_sweep(outside)
    with pytest.raises(SweepError, match="Cannot open"):
        load_sweep("../outside/sweep")


def test_a_link_out_of_a_root_is_refused(served: Path) -> None:
    (served / "link").symlink_to(served.parent / "outside" / "sweep")
    with pytest.raises(SweepError, match="Cannot open"):
        load_sweep("link")


def test_a_parent_folder_of_two_sweeps_is_refused_not_merged(served: Path) -> None:
    with pytest.raises(SweepError, match="Cannot open"):
        load_sweep(served / "sweeps")
    with pytest.raises(SweepError, match="Cannot open"):
        load_sweep(served)  # the root itself is no sweep either


def test_only_the_sweeps_own_chunks_are_read(served: Path) -> None:
    sweep = served / "sweeps" / "a"
    shutil.copytree(served / "sweeps" / "b", sweep / "runs" / "nested")  # never read
    shutil.copy(sweep / "runs" / "chunk-000000.parquet", sweep / "runs" / "copy.parquet")
    assert len(load_sweep(sweep)) == 200


def test_a_damaged_sweep_gives_a_short_message(served: Path) -> None:
    sweep = served / "sweeps" / "a"
    (sweep / "runs" / "chunk-000001.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(SweepError) as caught:
        load_sweep(sweep)
    message = str(caught.value)
    assert message.startswith("Cannot read the sweep in") and "Traceback" not in message
    (sweep / "manifest.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(SweepError, match="Cannot read the sweep in"):
        load_sweep(sweep)


def test_a_sweep_without_runs_yet(served: Path) -> None:
    sweep = served / "sweeps" / "a"
    for chunk in (sweep / "runs").iterdir():
        chunk.unlink()
    with pytest.raises(SweepError, match="no finished runs yet"):
        load_sweep(sweep)


def test_roots_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    environ = {SWEEP_ROOTS_ENV: f"{first}{os.pathsep}{os.pathsep}{second}"}
    assert sweep_roots(environ) == (first.resolve(), second.resolve(), samples_root().resolve())
    assert sweep_roots({}) == (sweeps_page.STARTED_IN.resolve(), samples_root().resolve())
    with pytest.raises(SweepError):
        resolve_sweep_folder(sample_sweep_folder(), roots=[first])  # not under ``first``


def _shown_texts(rc: Any) -> str:
    widgets = rc.find(v.Alert).widgets + rc.find(v.Html).widgets
    return " ".join(str(w.children) for w in widgets)


def _enter(rc: Any, text: str) -> None:
    """Type ``text`` into the folder field and press Enter (what the browser sends)."""
    field = rc.find(v.TextField, label="Sweep result folder").widget
    field.v_model = text
    field.fire_event("keyup.enter", {})


def test_the_page_refuses_with_a_message_and_stays_alive(served: Path) -> None:
    _, rc = solara.render(SweepsPage(), handle_error=False)
    rc.find(v.Alert).assert_empty()
    for path in ("/", "../../", "plain", "sweeps", str(served.parent / "outside" / "sweep")):
        _enter(rc, path)
        rc.find(v.Alert).assert_not_empty()
        shown = _shown_texts(rc)
        assert "Cannot open" in shown and "Traceback" not in shown
    _enter(rc, str(served / "sweeps" / "a"))  # the session still works
    rc.find(v.Alert).assert_empty()
    assert "200 runs; swept parameters" in _shown_texts(rc)
    rc.close()


def test_the_folder_field_shows_a_path_under_the_start_folder_relative_to_it(
    tmp_path: Path,
) -> None:
    sample = sample_sweep_folder()
    shown = shown_path(sample, started_in=sample.parent.parent)
    assert shown == str(Path("samples") / "farmer-credibility")
    assert shown_path(sample, started_in=tmp_path) == str(sample)  # elsewhere: in full
    relative = shown_path(sample)  # the page's default, read as the page reads it
    assert len(load_sweep(resolve_sweep_folder(relative))) == 200
