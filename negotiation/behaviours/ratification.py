"""Ratification rules: does a leader sign what the delegations agreed? (Putnam 1988)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

from negotiation.behaviours.interfaces import Ratification, Verdict
from negotiation.behaviours.registry import BehaviourError, register
from negotiation.issues import Package
from negotiation.preferences import Preferences

if TYPE_CHECKING:
    from negotiation.agents import Leader
    from negotiation.view import TalksView

Indices = npt.NDArray[np.intp]


@register("ratification", "win-set")
@dataclass
class WinSet(Ratification):
    """Ratify within the win-set: the leader gains over no deal and enough groups approve.

    A group approves when the package beats no deal for it; approval is the share of
    the side's group influence that approves, and must reach ``threshold`` (the
    scenario's ``ratification_threshold`` when not set). This is Putnam's (1988)
    two-level game: the win-set is the set of packages that would be ratified at home.
    ``relax`` lowers both bars (leaders at the summit can override some opposition).

    With ``settings.ratification_noise`` = s > 0 ratification is uncertain (Iida 1993):
    a group approves to the degree ``logistic((u - r) / s)`` of its margin over no deal,
    so approval is a smooth function of the package, and the approval needed is moved by
    the leader's domestic mood, a logistic(0, s) draw per run. Seen from before the run,
    the probability of ratification rises smoothly with the margin instead of jumping.
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
        rows, reservations = self._groups_no_deal(me, view)
        influence = np.array([g.influence for g in groups])
        margin = utilities[rows] - reservations + relax
        noise = view.settings.ratification_noise
        if noise > 0:
            with np.errstate(over="ignore"):  # a tiny scale: a step, as at s = 0
                scaled = np.clip(margin / noise, -50.0, 50.0)
            support = 1.0 / (1.0 + np.exp(-scaled))
            approve = support >= 0.5
            threshold -= me.domestic_mood
        else:
            approve = margin >= 0
            support = approve.astype(float)
        approval = float(influence @ support / influence.sum()) if influence.sum() > 0 else 1.0
        leader_ok = utilities[me.row] >= me.reservation - relax
        blocked: list[str] = []
        blockers: list[int] = []
        if not leader_ok:
            blocked.append(me.label)
            blockers.append(me.row)
        if approval < threshold - relax:
            for g, ok in zip(groups, approve, strict=True):
                if not ok:
                    blocked.append(g.label)
                    blockers.append(g.row)
        if not blocked:
            return Verdict(True, approval=approval, reason="ratified")
        return Verdict(
            False,
            tuple(blocked),
            failing_issues(model.prefs, blockers, package),
            approval,
            f"{me.label} rejects: {', '.join(blocked)}",
        )

    def _groups_no_deal(self, me: Leader, view: TalksView) -> tuple[Indices, Package]:
        """The preference rows of the leader's groups and their utilities of no deal,
        kept while nothing they depend on changes (the model's version counts every
        change of preferences, reference point or perceived no deal)."""
        model, no_deal = me.model, view.no_deal()
        cached = getattr(self, "_no_deal_cache", None)
        if cached is None or cached[0] != model.version or cached[1] is not no_deal:
            rows = np.array([g.row for g in model.groups_of[str(me.side)]], dtype=np.intp)
            cached = (model.version, no_deal, rows, model.prefs.utility(no_deal)[rows])
            self._no_deal_cache = cached
        return cached[2], cached[3]


def failing_issues(
    prefs: Preferences, rows: list[int], package: Package, top: int = 2
) -> tuple[int, ...]:
    """Issues where the blockers lose most (weighted distance from their ideals)."""
    loss = (prefs.weight[rows] * np.abs(package - prefs.ideal[rows]) / prefs.scale[rows]).sum(
        axis=0
    )
    order = np.argsort(-loss, kind="stable")
    return tuple(int(i) for i in order[:top] if loss[i] > 0)


@register("ratification", "red-lines")
@dataclass
class RedLines(WinSet):
    """Veto any package that crosses a red line; otherwise judge by the win-set.

    Red lines are bounds per issue key: ``at_most = { rare_earth_controls_suspension_months
    = 12 }`` rejects any package suspending the controls for more than a year, whatever
    its other terms; ``at_least`` bounds from below. They are not relaxed at the summit:
    a red line is a constraint, not a preference (the 'bottom lines' of Fisher & Ury
    1981; in Putnam's (1988) terms they cut the win-set). The verdict lists the issues
    crossed first, so the delegation hardens on them.
    """

    at_most: dict[str, float] = field(default_factory=dict)
    at_least: dict[str, float] = field(default_factory=dict)

    def ratify(self, me: Leader, view: TalksView, package: Package, relax: float = 0.0) -> Verdict:
        verdict = super().ratify(me, view, package, relax)
        index, bound, upper = self._lines(view)
        excess = np.where(upper, package[index] - bound, bound - package[index])
        crossed = np.flatnonzero(excess > 1e-9)
        if crossed.size == 0:
            return verdict
        keys = view.space.keys
        lines = [
            f"{keys[index[i]]} {package[index[i]]:g} {'>' if upper[i] else '<'} {bound[i]:g}"
            for i in crossed
        ]
        failing = tuple(
            dict.fromkeys([int(index[i]) for i in crossed] + list(verdict.failing_issues))
        )
        blocked = tuple(dict.fromkeys((me.label, *verdict.blocked_by)))
        reason = f"{me.label} rejects: red line crossed ({'; '.join(lines)})"
        return Verdict(False, blocked, failing, verdict.approval, reason)

    def _lines(
        self, view: TalksView
    ) -> tuple[npt.NDArray[np.intp], Package, npt.NDArray[np.bool_]]:
        """Issue indices, bounds and whether each bound is an upper one (cached)."""
        space = view.space
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] is space:
            return cached[1]
        items = red_line_items(self.at_most, self.at_least)
        unknown = sorted(k for k, _, _ in items if k not in space.index)
        if unknown:
            raise BehaviourError(
                f"ratification behaviour 'red-lines': no issue {unknown[0]!r}; "
                f"the issues are: {', '.join(space.keys)}"
            )
        lines = (
            np.array([space.index[k] for k, _, _ in items], dtype=np.intp),
            np.array([v for _, v, _ in items], dtype=float),
            np.array([u for _, _, u in items], dtype=bool),
        )
        self._cache = (space, lines)
        return lines


def red_line_items(
    at_most: dict[str, float], at_least: dict[str, float]
) -> list[tuple[str, float, bool]]:
    """Red lines as (issue key, bound, whether it is an upper bound), ``at_most`` first:
    the order in which :class:`RedLines` checks them."""
    return [(k, v, True) for k, v in at_most.items()] + [(k, v, False) for k, v in at_least.items()]
