"""The delegations' mandates: their briefs, pulled toward their interest groups.

Per issue, each group's accumulated pull weighs its position against the delegation's
base position (weight 1): the mandate is the influence-weighted compromise of the brief
and the groups' asks (the compromise model of Thomson et al. 2006, applied to a
delegation's brief, with lobbying as the source of weight as in Grossman & Helpman
2001). Saliences mix the same way and are renormalised.

Both delegations' mandates are updated together, in a handful of array operations: this
runs every round of every run.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from negotiation.issues import IssueSpace
from negotiation.preferences import Preferences

Matrix = npt.NDArray[np.float64]


class Mandates:
    """Base briefs, accumulated group pull, and the resulting mandates of the delegations.

    ``delegation_rows[s]`` is the preference row of side ``s``'s delegation and
    ``group_rows[s]`` the rows of its groups. Groups are stored side after side, so a
    delegation's groups are a contiguous block of ``pull`` (see :meth:`block`).
    """

    def __init__(
        self,
        prefs: Preferences,
        space: IssueSpace,
        delegation_rows: list[int],
        group_rows: list[list[int]],
    ) -> None:
        self.prefs = prefs
        self.space = space
        first = delegation_rows[0]
        contiguous = list(delegation_rows) == list(range(first, first + len(delegation_rows)))
        # A slice makes the per-round write a view assignment rather than fancy indexing.
        self.rows: slice | npt.NDArray[np.intp] = (
            slice(first, first + len(delegation_rows))
            if contiguous
            else np.array(delegation_rows, dtype=np.intp)
        )
        flat = [r for rows in group_rows for r in rows]
        self.base_ideal: Matrix = prefs.ideal[self.rows].copy()
        self.base_weight: Matrix = prefs.weight[self.rows].copy()
        self.group_ideal: Matrix = prefs.ideal[flat].copy()  # groups' positions never move
        self.group_weight: Matrix = prefs.weight[flat].copy()
        self.pull: Matrix = np.zeros((len(flat), len(space)))
        self.membership: Matrix = np.zeros((len(delegation_rows), len(flat)))
        self._blocks: list[slice] = []
        start = 0
        for side, rows in enumerate(group_rows):
            self.membership[side, start : start + len(rows)] = 1.0
            self._blocks.append(slice(start, start + len(rows)))
            start += len(rows)
        self._ones = np.ones(len(space))
        self.changed = False

    def block(self, side: int) -> slice:
        """Rows of ``pull`` that belong to side ``side``'s groups."""
        return self._blocks[side]

    def add(self, index: npt.NDArray[np.intp] | int, pushes: Matrix) -> None:
        """Accumulate pull on rows ``index`` (global group indices)."""
        self.pull[index] += pushes
        self.changed = True

    def update(self) -> None:
        """Recompute both mandates if anything changed since the last update."""
        if not self.changed:
            return
        self.changed = False
        pull, members = self.pull, self.membership
        total = 1.0 + members @ pull
        ideal = (self.base_ideal + members @ (pull * self.group_ideal)) / total
        weight = (self.base_weight + members @ (pull * self.group_weight)) / total
        weight /= (weight @ self._ones)[:, None]
        self.prefs.set_rows(self.rows, ideal, weight, self.space)
