"""The "Two worlds" page: the same seeded runs under a baseline and an alternative.

An analyst asks "what if?": what if the US threat were certain, or the security hawks
twice as strong? Both worlds start from the live page's settings; the alternative can
change any named parameter of the scenario and, optionally, the actor table itself
(each actor's position and salience per issue, and its influence). Run ``i`` of both
worlds has the same seed (common random numbers, :mod:`experiments.compare`), so the
difference in P(agreement) gets Newcombe's paired interval and each issue is compared
run by run: the page shows what ``negotiation compare`` prints, with charts.

An edited actor table is built through the validation a scenario file goes through, so
a bad value shows the validator's own message naming the field (never a traceback), and
a valid one can be downloaded as a TOML scenario file that ``negotiation.load_scenario``
reads back as the same scenario (:func:`scenario_toml`; no TOML writer is among the
project's dependencies, so a small one for the shape of a scenario is here).

Comparisons are driven from a background thread (a Solara task, one per browser
session), their runs going to the server's worker processes (:mod:`dashboards.workers`),
with a progress bar and a Cancel button; while one runs, the previous result stays on the page,
marked as the result of its own settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as clock_time
from functools import partial
from typing import Any, NamedTuple

import solara
import solara.lab
from solara.components.input import use_change

from dashboards.ensemble_page import DEFAULT_RUNS, MAX_RUNS
from dashboards.live_model import LiveModel, parameter_control
from dashboards.vega_charts import describe, histogram_chart
from dashboards.widgets import (
    PREVIOUS_RESULT_STYLE,
    Line,
    ParameterInput,
    Progress,
    Table,
    VegaChart,
    fmt,
    throttled_progress,
)
from dashboards.workers import CHUNK_RUNS, on_workers
from experiments.compare import Comparison, compare_worlds, paired_changes
from negotiation import Scenario, ScenarioError
from negotiation.scenario import scenario_from_data, sync_defaults

CONTROLS_HEIGHT_PX = 360  # a world's parameter list scrolls within this height
CHART_BOX_PX = 330  # a histogram of dashboards.vega_charts with its axis titles
SAME_WORLDS = (
    "The two worlds are the same: change a named parameter or the actor table of the "
    "alternative (or a parameter of the baseline) to compare them."
)
TABLE_FIELDS = ("position", "salience")  # per issue; ``influence`` is one per actor

# --------------------------------------------------------------------------- the actor table


class Cell(NamedTuple):
    """One editable cell of the actor table: an actor's ``position`` or ``salience`` on
    ``issue``, or its ``influence`` (``issue`` is then ``None``)."""

    actor: str
    field: str
    issue: str | None = None


def number_text(value: float | None) -> str:
    """A number as a cell shows it: ``30`` for 30.0, ``0.15``; blank when missing."""
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def table_cells(scenario: Scenario) -> dict[Cell, str]:
    """Every cell of ``scenario``'s actor table with the text it shows (blank where an
    actor has no position or salience on an issue), in table order. The host has no
    preferences, so only its influence is a cell."""
    cells: dict[Cell, str] = {}
    for actor in scenario.actors:
        cells[Cell(actor.key, "influence")] = number_text(actor.influence)
        if actor.kind == "host":
            continue
        for issue in scenario.space:
            cells[Cell(actor.key, "position", issue.key)] = number_text(
                actor.position.get(issue.key)
            )
            cells[Cell(actor.key, "salience", issue.key)] = number_text(
                actor.salience.get(issue.key)
            )
    return cells


def changed_cells(scenario: Scenario, edits: Mapping[Cell, str]) -> dict[Cell, str]:
    """The edits that differ from what the scenario's table shows (surrounding spaces
    ignored), in table order."""
    shown = table_cells(scenario)
    return {
        cell: edits[cell].strip()
        for cell in shown
        if cell in edits and edits[cell].strip() != shown[cell]
    }


def _cell_value(text: str) -> Any:
    """What a cell's text puts in the scenario: a number when it reads as one, otherwise
    the text itself, so that the validator names the field and shows what was typed."""
    try:
        return float(text)
    except ValueError:
        return text


def edited_scenario(scenario: Scenario, edits: Mapping[Cell, str]) -> Scenario:
    """``scenario`` with the edited cells of its actor table, validated exactly like a
    scenario file (its named parameters' defaults follow the new values). A blank
    position or salience removes it. Raises :class:`ScenarioError` with the validator's
    message, naming the field and the value."""
    changes = changed_cells(scenario, edits)
    if not changes:
        return scenario
    data = scenario.model_dump()
    actors = {actor["key"]: actor for actor in data["actors"]}
    for cell, text in changes.items():
        actor = actors[cell.actor]
        if cell.issue is None:
            actor[cell.field] = _cell_value(text)
        elif text:
            actor[cell.field][cell.issue] = _cell_value(text)
        else:
            actor[cell.field].pop(cell.issue, None)
    source = f"{scenario.source}, edited actor table"
    return scenario_from_data(sync_defaults(data), source)  # as load_scenario validates


def table_words(scenario: Scenario, edits: Mapping[Cell, str]) -> list[str]:
    """Each edited cell in words: ``US security hawks: influence 0.25 -> 1``."""
    shown = table_cells(scenario)
    labels = {a.key: a.label for a in scenario.actors}
    issues = {i.key: i.label for i in scenario.space}
    words = []
    for cell, text in changed_cells(scenario, edits).items():
        what = cell.field if cell.issue is None else f"{cell.field} on {issues[cell.issue]}"
        words.append(f"{labels[cell.actor]}: {what} {shown[cell] or 'none'} -> {text or 'none'}")
    return words


# --------------------------------------------------------------------------- TOML


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"
INLINE_WIDTH = 88  # a table of plain values this short is written on one line


def to_toml(data: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """TOML text of ``data`` (tables, arrays of tables, strings, numbers, booleans,
    dates and times; ``None`` values are left out, as TOML has no null), with
    ``header`` as comment lines at the top. Raises ``ValueError`` for what TOML cannot
    hold (a non-finite number, a ``None`` in a list)."""
    lines = [f"# {line}" if line else "#" for line in header]
    _write_table(lines, (), data)
    return "\n".join(lines).strip("\n") + "\n"


def scenario_toml(scenario: Scenario, header: Sequence[str] = ()) -> str:
    """``scenario`` as a TOML scenario file: what :func:`negotiation.load_scenario` reads
    back as the same scenario. Fields at their defaults are left out, as in
    :meth:`negotiation.Scenario.run_json`."""
    return to_toml(scenario.model_dump(exclude_defaults=True, exclude_none=True), header)


def _write_table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    """``table``'s plain keys first, then its sub-tables and arrays of tables (TOML puts a
    table's own keys before the headers of the tables inside it)."""
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue
        # The top level's tables get headers; a short table of plain values inside them
        # is written on one line.
        table_here = isinstance(value, Mapping) and (not path or not _fits_inline(value))
        if table_here or _is_table_array(value):
            nested.append((key, value))
        else:
            lines.extend(_assignment(key, value))
    for key, value in nested:
        here = (*path, key)
        name = ".".join(_key(part) for part in here)
        items = [value] if isinstance(value, Mapping) else value
        for item in items:
            lines.extend(["", f"[{name}]" if isinstance(value, Mapping) else f"[[{name}]]"])
            _write_table(lines, here, item)


def _assignment(key: str, value: Any) -> list[str]:
    """``key = value``; a long list one item a line."""
    text = _inline(value)
    if not isinstance(value, list | tuple) or len(text) <= INLINE_WIDTH:
        return [f"{_key(key)} = {text}"]
    return [f"{_key(key)} = [", *(f"    {_inline(item)}," for item in value), "]"]


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
    )


def _fits_inline(table: Mapping[str, Any]) -> bool:
    """A table of plain values (no tables inside) short enough for one line."""
    plain = all(not isinstance(v, Mapping) and not _is_table_array(v) for v in table.values())
    return plain and len(_inline(table)) <= INLINE_WIDTH


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _inline(value: Any) -> str:
    """One TOML value on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML scenario files hold finite numbers only, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        if any(item is None for item in value):
            raise ValueError("TOML has no null: a list cannot hold None")
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} {value!r} as TOML")


# --------------------------------------------------------------------------- the worlds


def value_words(value: Any) -> str:
    """A parameter value in words: ``on``/``off``, ``0.6``, ``boulware``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parameter_words(scenario: Scenario, params: Mapping[str, Any]) -> str:
    """The named parameters a world sets, in words, each with the scenario's own value:
    ``threat credibility 1 (the scenario: 0.6)``; ``the scenario as written`` for none."""
    parts = []
    for name in sorted(params):
        own = scenario.parameters[name].default if name in scenario.parameters else None
        parts.append(
            f"{name.replace('_', ' ')} {value_words(params[name])} "
            f"(the scenario: {value_words(own)})"
        )
    return "; ".join(parts) or "the scenario as written"


def world_words(
    scenario: Scenario, params: Mapping[str, Any], edits: Mapping[Cell, str] | None = None
) -> str:
    """A world in words: its named parameters and, if any, its edits of the actor table."""
    words = parameter_words(scenario, params)
    table = table_words(scenario, edits or {})
    if table:
        words += "; actor table edited: " + "; ".join(table)
    return words


@dataclass(frozen=True)
class WorldChoice:
    """What the user changed in one world, on top of the live page's settings: named
    parameters (``changed``) and, for the alternative, cells of the actor table
    (``edits``, as typed). ``scenario`` names the scenario they were made for; for
    another scenario the choice is empty. Never mutated: each change is a new object."""

    scenario: str = ""
    changed: Mapping[str, Any] = field(default_factory=dict)
    edits: Mapping[Cell, str] = field(default_factory=dict)

    def own(self, base: Scenario) -> WorldChoice:
        """This choice if it was made for ``base``, else an empty one for it."""
        return self if self.scenario == base.name else WorldChoice(base.name)

    def params(self, base: Scenario, live: Mapping[str, Any]) -> dict[str, Any]:
        """The named parameters this world runs with: the live settings with this
        world's changes, without those that do not apply to the chosen behaviours."""
        merged = {**live, **self.own(base).changed}
        try:
            effective = base.effective_values(merged)
        except ScenarioError:
            return merged  # reported when the world is checked
        return {k: v for k, v in merged.items() if effective.get(k) is not None}

    def with_value(
        self, base: Scenario, live: Mapping[str, Any], name: str, value: Any
    ) -> WorldChoice:
        """Parameter ``name`` set to ``value``; a value equal to what it has anyway (the
        live setting, or the scenario's) counts as untouched."""
        mine = self.own(base)
        rest = {k: v for k, v in mine.changed.items() if k != name}
        try:
            value = base.parameters[name].check(name, value)
            default = base.effective_values({**live, **rest})[name]
        except (KeyError, ScenarioError):
            return WorldChoice(base.name, {**rest, name: value}, mine.edits)
        changed = rest if value == default else {**rest, name: value}
        return WorldChoice(base.name, changed, mine.edits)

    def with_edit(self, base: Scenario, cell: Cell, text: str) -> WorldChoice:
        """Cell ``cell`` of the actor table set to ``text`` (kept only if it differs
        from the scenario's table)."""
        mine = self.own(base)
        edits = {c: t for c, t in mine.edits.items() if c != cell}
        if text.strip() != table_cells(base).get(cell, ""):
            edits[cell] = text
        return WorldChoice(base.name, mine.changed, edits)


@dataclass(frozen=True)
class CompareRequest:
    """One comparison as asked: the scenario, both worlds, the runs and the root seed."""

    scenario: Scenario
    baseline: Mapping[str, Any]
    alternative: Mapping[str, Any]
    edits: Mapping[Cell, str]
    runs: int
    root_seed: int

    def words(self) -> tuple[str, str]:
        """Both worlds in words (baseline, alternative)."""
        return (
            world_words(self.scenario, self.baseline),
            world_words(self.scenario, self.alternative, self.edits),
        )

    def settings_words(self) -> str:
        baseline, alternative = self.words()
        return (
            f"{self.runs} runs, root seed {self.root_seed}; baseline: {baseline}; "
            f"alternative: {alternative}"
        )


class Problem(NamedTuple):
    """Why a comparison cannot run: ``kind`` is ``table`` (the edited actor table is
    invalid; the table's card shows ``message``), ``settings`` (runs, seed or a named
    parameter) or ``same`` (the two worlds do not differ)."""

    kind: str
    message: str


def check_request(request: CompareRequest) -> Problem | None:
    """Why ``request`` cannot run, or ``None``. Messages are the validator's own."""
    if not 1 <= request.runs <= MAX_RUNS or request.root_seed < 0:
        return Problem(
            "settings", f"Runs must be from 1 to {MAX_RUNS:,} and the root seed not negative."
        )
    try:
        other = edited_scenario(request.scenario, request.edits)
    except ScenarioError as exc:
        return Problem("table", str(exc))
    try:
        request.scenario.check_parameters(request.baseline)
        other.check_parameters(request.alternative)
    except ScenarioError as exc:
        return Problem("settings", str(exc))
    same_table = other is request.scenario
    if same_table and dict(request.baseline) == dict(request.alternative):
        return Problem("same", SAME_WORLDS)
    return None


class ComparisonCancelled(Exception):
    """Raised in the worker when the comparison was cancelled or replaced."""


@dataclass(frozen=True)
class CompareResult:
    """A finished comparison and what it was asked."""

    request: CompareRequest
    comparison: Comparison


def run_comparison(
    request: CompareRequest,
    stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Run ``request`` (both worlds, the same seeds) on the server's workers. ``stop``
    is asked as runs finish; when it says so, :class:`ComparisonCancelled` is raised
    within a few runs and nothing is returned."""

    def progress(done: int, total: int) -> None:
        if stop():
            raise ComparisonCancelled
        if on_progress is not None:
            on_progress(done, total)

    other = edited_scenario(request.scenario, request.edits)
    comparison = on_workers(
        lambda pool: compare_worlds(
            request.scenario,
            request.baseline,
            request.alternative,
            request.runs,
            root_seed=request.root_seed,
            executor=pool,
            chunk_size=CHUNK_RUNS,
            on_progress=progress,
            alternative_scenario=None if other is request.scenario else other,
        )
    )
    return CompareResult(request, comparison)


# --------------------------------------------------------------------------- session state

# Per browser session (Solara scopes module-level reactives to the session's kernel), so
# that the worlds and the last result survive a visit to another tab of the dashboard.
baseline_choice = solara.reactive(WorldChoice())
alternative_choice = solara.reactive(WorldChoice())
last_result: solara.Reactive[CompareResult | None] = solara.reactive(None)


@solara.lab.task(prefer_threaded=True)
def compare_task(request: CompareRequest) -> CompareResult | None:
    progress = throttled_progress(compare_task)

    try:
        result = run_comparison(request, lambda: not compare_task.is_current(), progress)
    except ComparisonCancelled:
        return None
    if compare_task.is_current():
        last_result.set(result)
    return result


# --------------------------------------------------------------------------- components


@solara.component
def ComparePage(model: solara.Reactive[LiveModel]) -> None:
    """Two worlds over the same seeded runs, from the live page's settings."""
    live = model.value
    base = live.plan.base
    live_params = dict(live.plan.overrides)
    runs = solara.use_reactive(DEFAULT_RUNS)
    root_seed = solara.use_reactive(0)
    baseline = baseline_choice.value.own(base)
    alternative = alternative_choice.value.own(base)
    request = CompareRequest(
        base,
        baseline.params(base, live_params),
        alternative.params(base, live_params),
        dict(alternative.edits),
        runs.value,
        root_seed.value,
    )
    problem = solara.use_memo(lambda: check_request(request), [request])
    with solara.Card():
        # Headings, not card titles (which are plain text): the tab's one h1, and h2s below.
        solara.Markdown("# Two worlds: the same seeded runs under two settings")
        solara.Markdown(
            f"Scenario **{base.name}**. Both worlds start from the live page's settings "
            f"({parameter_words(base, live_params)}); run *i* of both has the same seed, "
            "so they differ only by what you change."
        )
        if live.error:
            solara.Error(f"The live settings are invalid: {live.error}")
        with solara.Columns([1, 1]):
            WorldCard("Baseline", base, live_params, baseline_choice, expand=False)
            WorldCard("Alternative", base, live_params, alternative_choice, expand=True)
        ActorTableCard(base, alternative_choice)
        RunControls(runs, root_seed, request, problem, bool(live.error))
    result = last_result.value
    if result is not None:
        stale = compare_task.pending or result.request != request
        ComparisonView(result, stale=stale, running=compare_task.pending)


@solara.component
def WorldCard(
    title: str,
    base: Scenario,
    live_params: dict[str, Any],
    choice: solara.Reactive[WorldChoice],
    expand: bool,
) -> None:
    """One world: its settings in words, and its named parameters' controls."""
    mine = choice.value.own(base)
    params = mine.params(base, live_params)
    with solara.Card(title):
        solara.Text(f"{title}: {world_words(base, params, mine.edits)}")
        summary = f"Named parameters of the {title.lower()}"
        scroll = f"max-height: {CONTROLS_HEIGHT_PX}px; overflow-y: auto"
        with (
            solara.Details(summary=summary, expand=expand),
            solara.v.Html(tag="div", style_=scroll),
        ):
            WorldControls(title.lower(), base, live_params, choice)


@solara.component
def WorldControls(
    world: str, base: Scenario, live_params: dict[str, Any], choice: solara.Reactive[WorldChoice]
) -> None:
    """A control per named parameter that applies, showing this world's value (each in a
    group named after the world and the parameter, for screen readers)."""
    params = choice.value.params(base, live_params)
    try:
        effective = base.effective_values(params)
    except ScenarioError:
        effective = base.effective_values(live_params)

    def setter(name: str) -> Callable[[Any], None]:
        def on_value(value: Any) -> None:
            choice.set(choice.value.with_value(base, live_params, name, value))

        return on_value

    for name, value in effective.items():
        if value is None:  # it does not apply to the chosen behaviour
            continue
        spec = parameter_control(base, name, value)
        group = {
            "role": "group",
            "aria-label": f"{world}: {spec['label']}",
            "title": _about(base, name),  # what it means and its range, on hover
        }
        with solara.v.Html(tag="div", attributes=group).key(f"{world}:{base.name}:{name}"):
            ParameterInput(spec, setter(name))


def _about(base: Scenario, name: str) -> str:
    """A named parameter's description and range."""
    param = base.parameters[name]
    about = " ".join(param.description.split())
    if param.low is not None and param.high is not None:
        about += f" (from {param.low:g} to {param.high:g})"
    return about


@solara.component
def ActorTableCard(base: Scenario, choice: solara.Reactive[WorldChoice]) -> None:
    """The alternative's actor table, editable, validated like a file, downloadable."""
    editing = solara.use_reactive(bool(choice.value.own(base).edits))
    edits = dict(choice.value.own(base).edits)

    def check() -> tuple[Scenario | None, str | None]:
        try:
            return edited_scenario(base, edits), None
        except ScenarioError as exc:
            return None, str(exc)

    edited, error = solara.use_memo(check, [base, edits])
    with solara.Card("The alternative's actor table"):
        solara.Switch(label="Edit the actor table of the alternative", value=editing)
        if not editing.value:
            if error:
                ErrorText(error)
            elif edits:
                count = len(changed_cells(base, edits))
                solara.Text(f"The alternative runs the table with {count} edited cell(s).")
            return
        solara.Text(
            "Each actor's position (its ideal) and salience (its weight) per issue, and its "
            "influence. The alternative runs this table; a blank cell removes a position "
            "or salience. Press Enter or leave a cell to apply it."
        )
        ActorTable(
            base, edits, lambda cell, text: choice.set(choice.value.with_edit(base, cell, text))
        )
        if error:
            ErrorText(error)
        elif edited is not None and edited is not base:
            with solara.Row():
                solara.FileDownload(
                    lambda: scenario_toml(edited, _file_header(base, edits)),
                    filename=f"{base.name}-edited.toml",
                    label="Download the edited scenario (TOML)",
                    mime_type="application/toml",
                )
                solara.Button(
                    "Restore the scenario's table",
                    text=True,
                    on_click=lambda: choice.set(
                        WorldChoice(base.name, choice.value.own(base).changed)
                    ),
                )


def _file_header(base: Scenario, edits: Mapping[Cell, str]) -> list[str]:
    return [
        f"{base.name} with an edited actor table (the dashboard's Two worlds page).",
        *table_words(base, edits),
    ]


@solara.component
def ActorTable(
    base: Scenario, edits: Mapping[Cell, str], on_edit: Callable[[Cell, str], None]
) -> None:
    """The table: one row per actor, an influence column, and a position and a salience
    column per issue; an edited cell is outlined."""
    shown = table_cells(base)
    changed = changed_cells(base, edits)
    issues = list(base.space)
    top = [_th("actor", rowspan=2), _th("influence", rowspan=2)]
    top += [_th(f"{i.label} ({i.unit})", colspan=2) for i in issues]
    second = [_th(name) for _ in issues for name in TABLE_FIELDS]
    rows = []
    for actor in base.actors:
        cells = [solara.v.Html(tag="td", children=[actor.label], style_="min-width: 14em")]
        keys = [Cell(actor.key, "influence")]
        keys += [Cell(actor.key, name, i.key) for i in issues for name in TABLE_FIELDS]
        for cell in keys:
            if cell not in shown:
                cells.append(solara.v.Html(tag="td", children=[]))
                continue
            label = _cell_label(base, actor.label, cell)
            text = edits.get(cell, shown[cell])
            box = CellInput(label, text, cell in changed, lambda t, c=cell: on_edit(c, t))
            cells.append(solara.v.Html(tag="td", children=[box.key(f"{base.name}:{cell}")]))
        rows.append(solara.v.Html(tag="tr", children=cells))
    head = solara.v.Html(
        tag="thead", children=[solara.v.Html(tag="tr", children=c) for c in (top, second)]
    )
    body = solara.v.Html(tag="tbody", children=rows)
    with solara.v.Html(tag="div", style_="overflow-x: auto"):
        solara.v.SimpleTable(dense=True, children=[head, body])


def _th(text: str, rowspan: int = 1, colspan: int = 1) -> Any:
    return solara.v.Html(
        tag="th",
        attributes={"rowspan": str(rowspan), "colspan": str(colspan)},
        children=[text],
    )


def _cell_label(base: Scenario, actor_label: str, cell: Cell) -> str:
    """The accessible name of a cell: ``US security hawks: salience on <issue>``."""
    if cell.issue is None:
        return f"{actor_label}: {cell.field}"
    issue = next(i for i in base.space if i.key == cell.issue)
    return f"{actor_label}: {cell.field} on {issue.label}"


@solara.component
def CellInput(label: str, text: str, edited: bool, on_value: Callable[[str], None]) -> Any:
    """A number box of the table, applied on Enter or when left (not on every key)."""
    box = solara.v.TextField(
        v_model=text,
        dense=True,
        hide_details=True,
        single_line=True,
        outlined=edited,
        style_="width: 4.5em; font-size: 0.85rem",
        attributes={"aria-label": label, "title": label},
    )
    use_change(box, lambda value: on_value(str(value or "")))
    return box


def ErrorText(message: str) -> Any:
    """A validator's message (one line per problem) in an error box, as written."""
    return solara.Error(
        children=[
            solara.v.Html(tag="pre", children=[message], style_="white-space: pre-wrap; margin: 0")
        ]
    )


@solara.component
def RunControls(
    runs: solara.Reactive[int],
    root_seed: solara.Reactive[int],
    request: CompareRequest,
    problem: Problem | None,
    live_error: bool,
) -> None:
    """Runs, root seed, Compare; while running a progress bar and Cancel.

    Compare reads the runs and the root seed when it is pressed: a value typed just
    before the click may not have been rendered into ``request`` yet."""

    def start() -> None:
        fresh = replace(request, runs=runs.value, root_seed=root_seed.value)
        if check_request(fresh) is None:
            compare_task(fresh)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        # Committed as typed: a field committed only on Enter or blur lost a value typed
        # while another render was on its way (the old value came back with it).
        solara.InputInt("Runs", value=runs, continuous_update=True, style={"max-width": "12em"})
        solara.InputInt(
            "Root seed", value=root_seed, continuous_update=True, style={"max-width": "12em"}
        )
        solara.Button(
            "Compare",
            color="primary",
            disabled=bool(problem) or live_error or compare_task.pending,
            on_click=start,
        )
        if compare_task.pending:
            solara.Button("Cancel", color="error", outlined=True, on_click=compare_task.cancel)
    if problem is not None and problem.kind == "same":
        solara.Info(problem.message)
    elif problem is not None and problem.kind == "table":
        solara.Error("The actor table of the alternative has a bad value (its card says which).")
    elif problem is not None:
        ErrorText(problem.message)
    if compare_task.pending:
        done = compare_task.progress or 0.0
        Progress(done or None, "Progress of the comparison")
        solara.Text(f"Running… {done:.0f}% of 2 × {request.runs:,} runs")
    elif compare_task.cancelled:
        solara.Info("Comparison cancelled: its runs stopped; nothing new to show.")
    elif compare_task.error:
        solara.Error(f"The comparison failed: {compare_task.exception}")


@solara.component
def ComparisonView(result: CompareResult, stale: bool, running: bool) -> None:
    """P(agreement) in both worlds, their difference, timing and terms."""
    comparison, request = result.comparison, result.request
    a, b = comparison.baseline, comparison.alternative
    baseline_words, alternative_words = request.words()
    title = (
        f"{comparison.runs} paired runs of {comparison.scenario} "
        f"(root seed {comparison.root_seed}; the same seeds in both worlds)"
    )
    with solara.Card(style=PREVIOUS_RESULT_STYLE if stale else {}):
        solara.Markdown(f"## {title}")
        if stale:
            now = "a new comparison is running" if running else "the settings have changed since"
            solara.Warning(f"Previous result, settings: {request.settings_words()} ({now}).")
        rows = [
            ("baseline", *_world_row(a)),
            ("alternative", *_world_row(b)),
        ]
        Table(["world", "P(agreement)", "95% interval", "median truce", "runs"], rows)
        solara.v.Html(tag="h3", children=[difference_text(comparison)], style_="margin: 8px 0")
        Line(f"Baseline: {baseline_words}")
        Line(f"Alternative: {alternative_words}")
    TimingCard(comparison)
    TermsCard(comparison, request.scenario)


def _world_row(summary: Any) -> tuple[str, str, str, str]:
    low, high = summary.ci95
    days = summary.median_days_before_summit
    return (
        f"{summary.p_truce:.1%}",
        f"{low:.1%} – {high:.1%}",
        "–" if days is None else f"{days:.1f} days before the summit",
        f"{summary.runs:,}" + (f" ({summary.errors} failed)" if summary.errors else ""),
    )


def difference_text(comparison: Comparison) -> str:
    """The difference in P(agreement) with its paired interval, in words."""
    low, high = comparison.p_change_ci95
    a, b = comparison.baseline.p_truce, comparison.alternative.p_truce
    return (
        f"P(agreement) {a:.1%} → {b:.1%}: difference {comparison.p_change:+.1%} "
        f"(95% interval {low:+.1%} to {high:+.1%}, Newcombe paired)"
    )


@solara.component
def TimingCard(comparison: Comparison) -> None:
    """When truces land in each world (days before the summit)."""
    a, b = comparison.baseline, comparison.alternative
    with solara.Card():
        solara.Markdown("## When truces land")
        solara.Text(
            f"Median truce {fmt(a.median_days_before_summit)} → "
            f"{fmt(b.median_days_before_summit)} days before the summit."
        )
        with solara.Row(style={"flex-wrap": "wrap"}):
            for world, summary in (("baseline", a), ("alternative", b)):
                title = f"days before the summit ({world})"
                Chart(
                    partial(histogram_chart, summary.truce_days, title, "days before the summit"),
                    [comparison, world],
                    describe(
                        "histogram",
                        title=f"when truces land, {world}",
                        runs=len(summary.truce_days),
                        median=f"{fmt(summary.median_days_before_summit)} days before the summit",
                    ),
                )


@solara.component
def Chart(build: Callable[[], Any], dependencies: Sequence[Any], description: str) -> None:
    """A :func:`dashboards.widgets.VegaChart` in a box as wide as a small chart, so that
    charts sit side by side with their captions under them."""
    with solara.v.Html(tag="div", style_=f"width: {CHART_BOX_PX}px; margin: 0 12px 12px 0"):
        VegaChart(build, dependencies, description)


@solara.component
def TermsCard(comparison: Comparison, scenario: Scenario) -> None:
    """Each issue's median under both worlds and its change run by run."""
    rows = []
    for issue in scenario.space:
        t = comparison.terms[issue.key]
        rows.append(
            (
                issue.label,
                issue.unit,
                fmt(t.baseline),
                fmt(t.alternative),
                "–" if t.median_change is None else f"{t.median_change:+.1f}",
                "–" if t.share_higher is None else f"{t.share_higher:.0%}",
                "–" if t.share_lower is None else f"{t.share_lower:.0%}",
                str(t.paired),
            )
        )
    with solara.Card():
        solara.Markdown("## Terms: median over truces; change over the runs agreed in both worlds")
        Table(
            [
                "issue",
                "unit",
                "baseline",
                "alternative",
                "median change",
                "higher in",
                "lower in",
                "runs agreed in both",
            ],
            rows,
        )
        with solara.Row(style={"flex-wrap": "wrap"}):
            for issue in scenario.space:
                changes = paired_changes(comparison, issue.key)
                median = comparison.terms[issue.key].median_change
                Chart(
                    partial(
                        histogram_chart,
                        changes,
                        f"{issue.label}: change",
                        f"{issue.unit}, alternative − baseline",
                    ),
                    [comparison, issue.key],
                    describe(
                        "histogram",
                        title=f"the change in {issue.label} run by run",
                        runs=len(changes),
                        median="–" if median is None else f"{median:+.1f} {issue.unit}",
                    ),
                )
