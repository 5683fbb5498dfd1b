"""The sweep explorer: open a sweep's Parquet folder, see P(truce) over two parameters,
and the runs behind any cell.

A sweep folder holds Parquet files with one row per run (``param__<name>`` columns, the
outcome columns, ``run_id`` and ``seed``); one small sample ships with the package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import solara

from dashboards.widgets import Table, fmt
from experiments.intervals import wilson_interval

PARAM_PREFIX = "param__"


def sample_sweep_folder() -> Path:
    """The sample sweep shipped with the package."""
    return Path(str(resources.files("experiments").joinpath("samples", "farmer-credibility")))


def load_sweep(folder: str | Path) -> pd.DataFrame:
    """Read every Parquet file of a sweep folder; a clear error if it is not one."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder")
    if (path / "runs").is_dir():  # a folder written by 'negotiation sweep'
        path = path / "runs"
    files = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith("."))
    if not files:
        raise ValueError(f"{path} holds no Parquet files: is it a sweep's output folder?")
    table = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    if "truce" not in table.columns:
        raise ValueError(f"{path} has no 'truce' column: not a sweep of this model")
    return table


def _try_load(folder: str) -> tuple[pd.DataFrame | None, str | None]:
    try:
        return load_sweep(folder), None
    except ValueError as exc:
        return None, str(exc)


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


def _colour(p: float) -> str:
    """Red (no truce) through yellow to green (truce)."""
    red = int(255 * min(1.0, 2 * (1 - p)))
    green = int(200 * min(1.0, 2 * p))
    return f"rgb({red},{green},60)"


@solara.component
def SweepsPage() -> None:
    folder = solara.use_reactive(str(sample_sweep_folder()))
    x_name = solara.use_reactive("")
    y_name = solara.use_reactive("")
    selected = solara.use_reactive(None)
    table, error = solara.use_memo(lambda: _try_load(folder.value), [folder.value])
    with solara.Card("Sweep explorer"):
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
    grid = truce_grid(table, x, y)
    Heatmap(grid, x, y, on_cell=selected.set)
    if selected.value is not None:
        cx, cy = selected.value
        RunsBehind(table, x, y, cx, cy)


@solara.component
def Heatmap(grid: pd.DataFrame, x: str, y: str, on_cell: Any) -> None:
    xs = sorted(grid["x"].unique())
    ys = sorted(grid["y"].unique(), reverse=True)
    lookup = {(r.x, r.y): r for r in grid.itertuples()}
    title = f"P(truce) over {x} (across) and {y} (down); click a cell for its runs"
    with solara.Card(title), solara.Column(gap="2px"):
        with solara.Row(gap="2px"):
            solara.Text(f"{y} \\ {x}", style={"width": "110px", "font-size": "12px"})
            for xv in xs:
                solara.Text(
                    fmt(float(xv), 2),
                    style={"width": "78px", "font-size": "12px", "text-align": "center"},
                )
        for yv in ys:
            with solara.Row(gap="2px"):
                solara.Text(fmt(float(yv), 2), style={"width": "110px", "font-size": "12px"})
                for xv in xs:
                    cell = lookup.get((xv, yv))
                    if cell is None:
                        solara.Text("–", style={"width": "78px", "text-align": "center"})
                        continue
                    solara.Button(
                        f"{cell.p_truce:.0%}",
                        style={
                            "width": "78px",
                            "background-color": _colour(cell.p_truce),
                            "color": "black",
                        },
                        on_click=lambda xv=xv, yv=yv: on_cell((xv, yv)),
                        title=f"n={cell.count}, 95% interval {cell.low:.0%}–{cell.high:.0%}",
                    )


@solara.component
def RunsBehind(table: pd.DataFrame, x: str, y: str, cx: Any, cy: Any) -> None:
    rows = table[(table[PARAM_PREFIX + x] == cx) & (table[PARAM_PREFIX + y] == cy)]
    columns = [
        c
        for c in ("run_id", "seed", "outcome", "date", "days_before_summit", "reason")
        if c in rows
    ]
    with solara.Card(
        f"Runs with {x} = {fmt(float(cx), 2)} and {y} = {fmt(float(cy), 2)} ({len(rows)})"
    ):
        shown = rows.sort_values("run_id") if "run_id" in rows else rows
        Table(
            columns,
            [[_cell(v) for v in r] for r in shown[columns].head(200).itertuples(index=False)],
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return fmt(value, 2)
    return "–" if value is None else str(value)
