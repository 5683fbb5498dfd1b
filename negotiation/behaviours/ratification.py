"""Ratification rules: does a leader sign what the delegations agreed? (Putnam 1988)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from negotiation.behaviours.interfaces import Ratification, Verdict
from negotiation.behaviours.registry import register
from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import Leader
    from negotiation.view import TalksView


@register("ratification", "win-set")
@dataclass
class WinSet(Ratification):
    """Ratify within the win-set: the leader gains over no deal and enough groups approve.

    A group approves when the package beats no deal for it; approval is the share of
    the side's group influence that approves, and must reach ``threshold`` (the
    scenario's ``ratification_threshold`` when not set). This is Putnam's (1988)
    two-level game: the win-set is the set of packages that would be ratified at home.
    ``relax`` lowers both bars (leaders at the summit can override some opposition).
    """

    threshold: Annotated[float, Field(ge=0.0, le=1.0)] | None = None

    def ratify(self, me: Leader, view: TalksView, package: Package, relax: float = 0.0) -> Verdict:
        model = me.model
        assert me.side is not None
        threshold = (
            view.settings.ratification_threshold if self.threshold is None else self.threshold
        )
        utilities = model.prefs.utility(package)
        groups = model.groups_of[me.side]
        rows = [g.row for g in groups]
        influence = np.array([g.influence for g in groups])
        reservations = model.prefs.utility(view.no_deal())[rows]
        approve = utilities[rows] >= reservations - relax
        approval = float(influence @ approve / influence.sum()) if influence.sum() > 0 else 1.0
        leader_ok = utilities[me.row] >= me.reservation - relax
        blocked: list[str] = []
        blockers: list[int] = []
        if not leader_ok:
            blocked.append(me.label)
            blockers.append(me.row)  # type: ignore[arg-type]
        if approval < threshold - relax:
            for g, ok in zip(groups, approve, strict=True):
                if not ok:
                    blocked.append(g.label)
                    blockers.append(g.row)  # type: ignore[arg-type]
        if not blocked:
            return Verdict(True, approval=approval, reason="ratified")
        return Verdict(
            False,
            tuple(blocked),
            failing_issues(model.prefs, blockers, package),
            approval,
            f"{me.label} rejects: {', '.join(blocked)}",
        )


def failing_issues(prefs, rows: list[int], package: Package, top: int = 2) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """Issues where the blockers lose most (weighted distance from their ideals)."""
    loss = (prefs.weight[rows] * np.abs(package - prefs.ideal[rows]) / prefs.scale[rows]).sum(
        axis=0
    )
    order = np.argsort(-loss, kind="stable")
    return tuple(int(i) for i in order[:top] if loss[i] > 0)
