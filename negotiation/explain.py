"""Why a run ended as it did, in a few sentences built from the model's own record.

An analyst watching one run asks who moved, what was settled and what was left where it
was, who vetoed and why, which threats were made, softened or carried out, and what the
leaders did at the summit. :func:`explain` answers from the outcome record, the offers
and the timeline of a finished run: nothing is inferred that the run did not record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.model import TradeTalksModel

#: An issue counts as settled away from the status quo when it moved by more than this
#: share of its range (the backtest's moved/stayed rule).
MOVED = 0.01


def explain(model: TradeTalksModel) -> list[str]:
    """Sentences that explain a finished run, most important first."""
    outcome = model.outcome
    if outcome is None:
        raise ValueError("explain() needs a finished run: call run() first")
    lines = [outcome.reason[0].upper() + outcome.reason[1:] + "."]
    lines += _concessions(model)
    package = _final_package(model)
    if package is not None:
        lines += _terms(model, package)
    lines += _timeline(model, "veto", "Vetoed")
    lines += _threats(model)
    lines += _timeline(model, "signal", "Held back", contains="holds its offer")
    return lines


def _final_package(model: TradeTalksModel) -> Package | None:
    if model.agreement is not None:
        return model.agreement
    return model.summit_package


def _concessions(model: TradeTalksModel) -> list[str]:
    """How much of the gap between the openings each side gave up."""
    first = [model.offers[side][0] for side in model.sides if model.offers[side]]
    if len(first) < 2:
        return []
    opening = model.space.normalised_gap(*first)
    if opening <= 0:
        return []
    shares = [
        model.space.normalised_gap(model.offers[side][0], model.offers[side][-1]) / opening
        for side in model.sides
    ]
    parts = [f"{side} {share:.0%}" for side, share in zip(model.sides, shares, strict=True)]
    return [f"Share of the gap between the opening offers each side conceded: {', '.join(parts)}."]


def _terms(model: TradeTalksModel, package: Package) -> list[str]:
    """Which issues the agreement moved from the status quo, and which it left."""
    space = model.space
    moved = np.abs(package - space.status_quo) > MOVED * space.span
    changed = [
        f"{issue.label} {_number(issue.status_quo)} → {_number(package[i])} {issue.unit}"
        for i, issue in enumerate(space)
        if moved[i]
    ]
    left = [issue.label for i, issue in enumerate(space) if not moved[i]]
    lines = []
    if changed:
        lines.append(f"Settled: {'; '.join(changed)}.")
    if left:
        lines.append(f"Left at the status quo (deferred): {'; '.join(left)}.")
    return lines


def _number(value: float) -> str:
    """A value as a reader wants it: at most one decimal, none when whole."""
    return f"{value:.1f}".removesuffix(".0")


def _timeline(
    model: TradeTalksModel, kind: str, heading: str, contains: str | None = None
) -> list[str]:
    """The timeline entries of one kind, dated, as one sentence."""
    entries = [
        f"{entry.at:%d %b} {entry.label}"
        for entry in model.timeline
        if entry.kind == kind and (contains is None or contains in entry.label)
    ]
    return [f"{heading}: {'; '.join(entries)}."] if entries else []


def _threats(model: TradeTalksModel) -> list[str]:
    """Each threatening leader's moves, the audience cost engaged, threats carried out."""
    lines = []
    cost = model.spec.settings.audience_cost
    for side, leader in model.leaders.items():
        if not leader.threat_issues:
            continue
        moves = [e for e in model.timeline if e.label.startswith(f"{leader.label}: ")]
        raised = sum(e.kind == "threat" for e in moves)
        softened = len(moves) - raised
        start = model.spec.settings.threat_credibility
        end, peak = model.credibility[side], model.peak_credibility[side]
        text = (
            f"{leader.label}'s threat: credibility {start:.2f} at the start, {end:.2f} at "
            f"the end (highest {peak:.2f}); reaffirmed {raised} time(s), softened "
            f"{softened} time(s)"
        )
        if cost > 0:
            engaged = cost * model.peak_credibility[side]
            text += f"; the audience cost engaged raised the leader's reservation by {engaged:.2f}"
        lines.append(text + ".")
    lines += _timeline(model, "threat", "Carried out", contains="In force from now")
    return lines
