"""Readable text summaries of outcome records, and strict JSON, for the command line.

This module imports only the standard library at run time (the domain's types are for
the type checker), so the command line can load it before anything heavy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from negotiation import Outcome, Scenario


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, +-inf) replaced by ``None``, recursively.

    Strict JSON has no NaN or Infinity, so a record that holds one (an undefined Nash
    product, an empty median) becomes ``null`` rather than a token other parsers refuse.
    Numpy scalars and arrays become Python values, tuples and sets lists, dates ISO text
    and paths strings; anything else is left for :func:`json.dumps` to judge.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [finite(v) for v in items]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalar or array
        return finite(value.tolist())
    return value


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """Strict JSON of ``value`` (:func:`finite` first, then ``allow_nan=False``), so that
    ``--json`` output always parses, whatever the numbers in it."""
    return json.dumps(finite(value), indent=indent, allow_nan=False)


def render_outcome(outcome: Outcome, scenario: Scenario) -> str:
    """A few lines an analyst can read: what happened, when, on what terms, who blocked."""
    lines: list[str] = []
    title = scenario.scenario.title
    lines.append(f"{title}")
    lines.append(f"seed {outcome.seed}  ·  {outcome.rounds_played} round(s) played")
    lines.append("")
    if outcome.truce:
        lines.append(
            f"TRUCE on {outcome.date} (round {outcome.round}, "
            f"{outcome.days_before_summit:.1f} days before the summit)"
        )
    elif outcome.summit_deal:
        lines.append("NO TRUCE before the summit; the leaders closed the gap AT THE SUMMIT")
    else:
        lines.append("NO TRUCE before the summit, and no deal at the summit")
    lines.append(f"Why: {outcome.reason}")
    lines.append("")
    heading = {
        "no deal": "What holds without a deal (threats weighted by credibility)",
        "summit": "Package closed by the leaders at the summit",
    }.get(outcome.package_source, f"Agreed package ({outcome.package_source})")
    lines.append(heading + ":")
    space = scenario.space
    width = max(len(i.label) for i in space)
    for issue in space:
        value = outcome.package[issue.key]
        lines.append(
            f"  {issue.label:<{width}}  {value:8.1f} {issue.unit:<8}"
            f"(before the talks {issue.status_quo:g}, no deal {issue.no_deal:g})"
        )
    lines.append("")
    lines.append("Utility of that package against each actor's reservation (no-deal value):")
    labels = {a.key: a.label for a in scenario.actors}
    lwidth = max(len(labels[k]) for k in outcome.utilities)
    for key, u in outcome.utilities.items():
        r = outcome.reservations[key]
        mark = "gains" if u >= r else "loses"
        lines.append(f"  {labels[key]:<{lwidth}}  {u:5.2f}  vs {r:5.2f}  {mark}")
    if outcome.nash_product is not None:
        lines.append("")
        lines.append(
            f"Efficiency: Nash product {outcome.nash_product:.3f}, distance to the Pareto "
            f"frontier {outcome.pareto_distance:.3f}, to the Nash point {outcome.nash_distance:.3f}"
        )
    if outcome.vetoed_by:
        lines.append(f"Blocked along the way by: {', '.join(outcome.vetoed_by)}")
    return "\n".join(lines)
