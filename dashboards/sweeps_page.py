"""The sweep explorer: open one sweep's result folder, see P(truce) over two parameters,
and the runs behind any cell.

A sweep folder is what ``negotiation sweep --out OUT`` writes: ``OUT/manifest.json`` and
``OUT/runs/chunk-NNNNNN.parquet`` (one row per run: ``param__<name>`` columns, the
outcome columns, ``run_id`` and ``seed``); one small sample ships with the package.

The explorer reads files on the server for whoever has the page, so it opens only sweep
folders under its roots, one folder at a time:

- the roots are the folders named in the environment variable ``NEGOTIATION_SWEEP_ROOTS``
  (separated by ``os.pathsep``, ``:`` on Linux and macOS), or, when it is unset or empty,
  the working directory the dashboard was started in; the shipped samples
  (``experiments/samples``) are always a root. A relative path is taken from that working
  directory; links are followed before the check, so a link cannot lead outside;
- a path outside the roots, or one that is not a sweep folder (a folder holding
  ``manifest.json`` and ``runs/``), is refused with the same message whether or not it
  exists, so the page does not tell which server paths exist;
- exactly the folder given is read, only its own ``runs/chunk-*.parquet`` files (never a
  recursive search), so a parent folder of several sweeps is refused, never merged;
- any failure while reading a sweep becomes a short message in the page (the details go
  to the server's log), never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import solara

from dashboards.live_model import LiveChoices
from dashboards.vega_charts import describe, heatmap_chart
from dashboards.widgets import Table, VegaChart, fmt
from experiments.intervals import wilson_interval
from experiments.store import CHUNK_PATTERN, MANIFEST, RUNS

PARAM_PREFIX = "param__"
SWEEP_ROOTS_ENV = "NEGOTIATION_SWEEP_ROOTS"
# Where the server was started: the default root, and the base of relative paths.
STARTED_IN = Path.cwd()

_log = logging.getLogger(__name__)


class SweepError(ValueError):
    """A sweep folder the explorer refuses or cannot read; the message is safe to show."""


def samples_root() -> Path:
    """The folder of the sample sweeps shipped with the package."""
    return Path(str(resources.files("experiments").joinpath("samples")))


def sample_sweep_folder() -> Path:
    """The sample sweep shipped with the package."""
    return samples_root() / "farmer-credibility"


def shown_path(path: Path, started_in: Path | None = None) -> str:
    """``path`` as the folder field shows it: relative to the working directory the
    dashboard started in when it lies under it (which is how relative paths are read),
    so a page does not show more of the server's file system than it needs."""
    base = STARTED_IN if started_in is None else started_in
    try:
        return str(_real(path).relative_to(_real(base)))
    except ValueError:
        return str(path)


def _real(path: Path) -> Path:
    """``path`` made absolute with every link followed (``..`` resolved after links)."""
    return Path(os.path.realpath(path))


def sweep_roots(environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The folders the explorer may open sweeps under (see the module docstring)."""
    env = os.environ if environ is None else environ
    named = [p.strip() for p in env.get(SWEEP_ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    folders = [STARTED_IN / Path(p).expanduser() for p in named] or [STARTED_IN]
    return tuple(dict.fromkeys(_real(f) for f in [*folders, samples_root()]))


def _refusal(text: str, roots: Sequence[Path]) -> SweepError:
    shown = text if len(text) <= 120 else text[:117] + "..."
    return SweepError(
        f"Cannot open {shown!r}: give a sweep's result folder (one holding {MANIFEST} and "
        f"{RUNS}/) under a folder this dashboard serves: {', '.join(map(str, roots))}."
    )


def resolve_sweep_folder(text: str | Path, roots: Sequence[Path] | None = None) -> Path:
    """The sweep folder ``text`` names, if it is one under ``roots`` (by default
    :func:`sweep_roots`); otherwise :class:`SweepError`, with one message for every
    refusal (outside the roots, missing, not a folder, not a sweep)."""
    allowed = sweep_roots() if roots is None else tuple(_real(Path(r)) for r in roots)
    raw = str(text).strip()
    refused = _refusal(raw, allowed)
    if not raw or "\x00" in raw:
        raise refused
    try:
        path = _real(STARTED_IN / Path(raw).expanduser())
        inside = any(path == root or path.is_relative_to(root) for root in allowed)
        ok = inside and (path / MANIFEST).is_file() and (path / RUNS).is_dir()
    except (OSError, RuntimeError, ValueError):  # unreadable, no home for "~", bad bytes
        ok = False
    if not ok:
        raise refused
    return path


def load_sweep(folder: str | Path, roots: Sequence[Path] | None = None) -> pd.DataFrame:
    """Every finished run of the one sweep in ``folder`` (its ``runs/chunk-*.parquet``),
    sorted by run id; :class:`SweepError` with a short message if the folder is refused
    (see :func:`resolve_sweep_folder`) or cannot be read as a sweep of this model."""
    path = resolve_sweep_folder(folder, roots)
    shown = str(folder).strip()
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise SweepError(f"{shown!r} is not a sweep folder: its {MANIFEST} is not a sweep's")
        files = sorted(
            entry
            for entry in (path / RUNS).iterdir()
            if CHUNK_PATTERN.match(entry.name) and entry.is_file()
        )
        if not files:
            raise SweepError(f"The sweep in {shown!r} has no finished runs yet.")
        table = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    except SweepError:
        raise
    except Exception as exc:  # anything a damaged folder can raise: a message, not a trace
        _log.warning("cannot read the sweep in %s", path, exc_info=True)
        raise SweepError(
            f"Cannot read the sweep in {shown!r}: its files are damaged or not a sweep's "
            f"({type(exc).__name__})."
        ) from None
    if "truce" not in table.columns:
        raise SweepError(f"{shown!r} is not a sweep of this model: its runs have no 'truce'.")
    if "run_id" in table.columns:
        table = table.sort_values("run_id", kind="stable").reset_index(drop=True)
    return table


def _try_load(folder: str) -> tuple[pd.DataFrame | None, str | None]:
    """The sweep in ``folder``, or the message to show instead (never an exception)."""
    try:
        return load_sweep(folder), None
    except SweepError as exc:
        return None, str(exc)
    except Exception:  # a bug here must not replace the page with a traceback either
        _log.exception("unexpected error opening the sweep %r", folder)
        return None, "Cannot open this sweep folder (an unexpected error; see the server log)."


def swept_parameters(table: pd.DataFrame) -> list[str]:
    """Parameters that take more than one value in the sweep."""
    return [
        c.removeprefix(PARAM_PREFIX)
        for c in table.columns
        if c.startswith(PARAM_PREFIX) and table[c].nunique(dropna=True) > 1
    ]


def truce_grid(table: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """P(truce), its Wilson interval and the run count per (x, y) cell."""
    ok = table[table["truce"].notna()] if "error" not in table else table[table["error"].isna()]
    grouped = ok.groupby([PARAM_PREFIX + y, PARAM_PREFIX + x])["truce"]
    cells = grouped.agg(["sum", "count"]).reset_index()
    cells["p_truce"] = cells["sum"] / cells["count"]
    bounds = [
        wilson_interval(int(s), int(n)) for s, n in zip(cells["sum"], cells["count"], strict=True)
    ]
    cells["low"] = [b[0] for b in bounds]
    cells["high"] = [b[1] for b in bounds]
    return cells.rename(columns={PARAM_PREFIX + x: "x", PARAM_PREFIX + y: "y"})


def _value_label(value: Any) -> str:
    """A swept parameter's value for a heading: numbers to two decimals, a behaviour's
    name (or any other value) as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt(float(value), 2)
    return str(value)


def open_choices(row: Mapping[str, Any]) -> LiveChoices:
    """The live page's choices that rebuild one run of a sweep: its scenario, its seed
    and every named parameter it set (a value equal to the default counts as untouched;
    a parameter the scenario no longer has is left out, the model reports a bad value)."""
    choices = LiveChoices(scenario_name=str(row["scenario"]), seed=str(int(row["seed"])))
    known = choices.scenario.parameters
    for column, value in row.items():
        name = str(column).removeprefix(PARAM_PREFIX)
        if not str(column).startswith(PARAM_PREFIX) or name not in known:
            continue
        if value is None or (isinstance(value, float) and value != value):
            continue  # did not apply to the behaviour the run used
        choices = choices.with_value(name, value.item() if hasattr(value, "item") else value)
    return choices


@solara.component
def SweepsPage(on_open: Callable[[LiveChoices], None] | None = None) -> None:
    """A folder field (the sample sweep to start), the sweep's size and swept parameters,
    two axis selects, the heatmap, and the runs behind the clicked cell, any of which
    ``on_open`` opens on the live page."""
    folder = solara.use_reactive(shown_path(sample_sweep_folder()))
    x_name = solara.use_reactive("")
    y_name = solara.use_reactive("")
    selected = solara.use_reactive(None)
    table, error = solara.use_memo(lambda: _try_load(folder.value), [folder.value])
    with solara.Card():
        solara.Markdown("# Sweep explorer")  # the tab's one h1
        solara.InputText("Sweep result folder", value=folder, continuous_update=False)
        if error:
            solara.Error(error)
            return
        assert table is not None
        params = swept_parameters(table)
        solara.Text(f"{len(table)} runs; swept parameters: {', '.join(params) or 'none'}")
        if len(params) < 2:
            solara.Warning("This sweep varies fewer than two parameters: no heatmap to draw.")
            return
        x = x_name.value if x_name.value in params else params[0]
        y = (
            y_name.value
            if y_name.value in params and y_name.value != x
            else next(p for p in params if p != x)
        )
        with solara.Row():
            solara.Select("x axis", values=params, value=x, on_value=x_name.set)
            solara.Select(
                "y axis", values=[p for p in params if p != x], value=y, on_value=y_name.set
            )
    Heatmap(table, x, y, on_cell=selected.set, source=folder.value)
    if selected.value is not None:
        cx, cy = selected.value
        RunsBehind(table, x, y, cx, cy, on_open)


def heatmap_cells(grid: pd.DataFrame) -> pd.DataFrame:
    """:func:`truce_grid`'s cells in the columns :func:`heatmap_chart` draws."""
    return grid.rename(columns={"p_truce": "p", "count": "runs"})[
        ["x", "y", "p", "low", "high", "runs"]
    ]


def clicked_cell(grid: pd.DataFrame, datum: Mapping[str, Any] | None) -> tuple[Any, Any] | None:
    """The (x, y) values of the cell a click landed on, taken from the grid itself (the
    browser hands back JSON numbers), or ``None`` for a click beside the cells."""
    if not datum or "x" not in datum or "y" not in datum:
        return None
    for row in grid.itertuples():
        if _same(row.x, datum["x"]) and _same(row.y, datum["y"]):
            return row.x, row.y
    return None


def _same(value: Any, clicked: Any) -> bool:
    if isinstance(value, int | float) and isinstance(clicked, int | float):
        return abs(float(value) - float(clicked)) <= 1e-9 * max(1.0, abs(float(value)))
    return str(value) == str(clicked)


@solara.component
def Heatmap(table: pd.DataFrame, x: str, y: str, on_cell: Any, source: str = "") -> None:
    """P(truce) per cell on a fixed colour scale with its legend; a tooltip gives the runs
    and the 95% interval; a click lists the cell's runs. ``source`` names the table (its
    folder), so the grid is computed once per table and pair of axes."""
    grid = solara.use_memo(lambda: truce_grid(table, x, y), [source, id(table), x, y])
    cells = heatmap_cells(grid)

    def on_click(datum: dict[str, Any] | None) -> None:
        cell = clicked_cell(grid, datum)
        if cell is not None:
            on_cell(cell)

    with solara.Card():
        solara.Markdown(f"## P(truce) over {_title(x)} and {_title(y)}")
        solara.Text("Click a cell for its runs.")
        VegaChart(
            lambda: heatmap_chart(cells, "x", "y", _title(x), _title(y)),
            [source, id(table), x, y],
            describe("heatmap", x=_title(x), y=_title(y)),
            on_click=on_click,
        )


def _title(name: str) -> str:
    return name.replace("_", " ")


@solara.component
def RunsBehind(
    table: pd.DataFrame,
    x: str,
    y: str,
    cx: Any,
    cy: Any,
    on_open: Callable[[LiveChoices], None] | None = None,
) -> None:
    """The runs of one cell (the first 200, by run id), any of which opens on the live
    page."""
    rows = table[(table[PARAM_PREFIX + x] == cx) & (table[PARAM_PREFIX + y] == cy)]
    columns = [
        c
        for c in ("run_id", "seed", "outcome", "date", "days_before_summit", "reason")
        if c in rows
    ]
    shown = (rows.sort_values("run_id") if "run_id" in rows else rows).head(200)
    pick: solara.Reactive[int | None] = solara.use_reactive(None)
    with solara.Card():
        solara.Markdown(
            f"### Runs with {_title(x)} = {_value_label(cx)} and {_title(y)} = "
            f"{_value_label(cy)} ({len(rows)})"
        )
        if on_open is not None and "run_id" in shown and len(shown):
            ids = [int(i) for i in shown["run_id"]]
            chosen = pick.value if pick.value in ids else ids[0]
            with solara.Row():
                solara.Select("Run to open", values=ids, value=chosen, on_value=pick.set)
                solara.Button(
                    "Open on the Live run tab",
                    color="primary",
                    on_click=lambda: on_open(
                        open_choices(shown[shown["run_id"] == chosen].iloc[0].to_dict())
                    ),
                )
        Table(columns, [[_cell(v) for v in r] for r in shown[columns].itertuples(index=False)])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return fmt(value, 2)
    return "–" if value is None else str(value)
