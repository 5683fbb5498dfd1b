"""The delegations' mandates: their briefs, pulled toward their interest groups.

Per issue, each group's accumulated pull weighs its position against the delegation's
base position (weight 1): the mandate is the influence-weighted compromise of the brief
and the groups' asks (the compromise model of Thomson et al. 2006, applied to a
delegation's brief, with lobbying as the source of weight as in Grossman & Helpman
2001). Saliences mix the same way and are renormalised.

Both delegations' mandates are updated together, in two compiled calls and one numpy
operation (:func:`~negotiation.kernels.mix_mandates`): this runs every round of every
run.
"""

from __future__ import annotations

import copy

import numpy as np
import numpy.typing as npt

from negotiation.issues import IssueSpace
from negotiation.kernels import mix_mandates, row_totals
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
        self.rows: npt.NDArray[np.intp] = np.array(delegation_rows, dtype=np.intp)
        flat = [r for rows in group_rows for r in rows]
        n, k = len(delegation_rows), len(space)
        # Numerators and denominator of the mandates, one (n, 3, k) block per update:
        # [1 + total pull, base ideal + pull-weighted ideals, base weight + pull-weighted
        # weights]. ``base_ideal``/``base_weight`` are views of the base block, so
        # changing a brief (a veto hardens it) changes the next update.
        self._base = np.empty((n, 3, k))
        self._base[:, 0] = 1.0
        self._base[:, 1] = prefs.ideal[self.rows]
        self._base[:, 2] = prefs.weight[self.rows]
        self.base_ideal: Matrix = self._base[:, 1]
        self.base_weight: Matrix = self._base[:, 2]
        self.group_ideal: Matrix = prefs.ideal[flat].copy()  # groups' positions never move
        self.group_weight: Matrix = prefs.weight[flat].copy()
        self._per_pull = np.stack(
            [np.ones_like(self.group_ideal), self.group_ideal, self.group_weight], axis=1
        )
        self.pull: Matrix = np.zeros((len(flat), k))
        self.membership: Matrix = np.zeros((n, len(flat)))
        self._blocks: list[slice] = []
        start = 0
        for side, rows in enumerate(group_rows):
            self.membership[side, start : start + len(rows)] = 1.0
            self._blocks.append(slice(start, start + len(rows)))
            start += len(rows)
        self.changed = False

    def template(self) -> Mandates:
        """Make this the shared layout of a scenario: every array read-only, so that
        only :meth:`fresh` copies, one per run, can change."""
        shared = (self._base, self.pull, self.membership, self._per_pull, self.rows)
        for array in (*shared, self.group_ideal, self.group_weight):
            array.setflags(write=False)
        return self

    def fresh(self, prefs: Preferences) -> Mandates:
        """A copy for a new run, acting on ``prefs``: its own briefs and pull, the same
        (read-only) layout and group positions. Building the layout once per scenario
        and copying it is what keeps model construction cheap."""
        new = copy.copy(self)
        new.prefs = prefs
        new._base = self._base.copy()
        new.base_ideal, new.base_weight = new._base[:, 1], new._base[:, 2]
        new.pull = np.zeros_like(self.pull)
        new.changed = False
        return new

    def block(self, side: int) -> slice:
        """Rows of ``pull`` that belong to side ``side``'s groups."""
        return self._blocks[side]

    def add(self, index: slice | npt.NDArray[np.intp] | int, pushes: Matrix) -> None:
        """Accumulate pull on rows ``index`` (global group indices)."""
        self.pull[index] += pushes
        self.changed = True

    def update(self) -> bool:
        """Recompute both mandates if anything changed since the last update; return
        whether they changed."""
        if not self.changed:
            return False
        self.changed = False
        ideal, weight = mix_mandates(self.pull, self._per_pull, self.membership, self._base)
        weight /= row_totals(weight)[:, None]
        self.prefs.set_rows(self.rows, ideal, weight, self.space)
        return True
