"""Searching along a concession path for the point that costs a given utility.

Bids aim at a utility; when the loss along their path has no closed form (curved issue
costs, per-issue paces), the share of the way that reaches it is found by a grid search
that is deterministic, vectorised over the grid, and precise to 1/4096 of the path
before a final linear step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

_UNIT = np.linspace(0.0, 1.0, 65)


def share_for_budget(
    lost: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]], budget: float
) -> float:
    """The share ``c`` in [0, 1] at which ``lost(c)``, non-decreasing, reaches ``budget``:
    a 65-point grid, a second inside the bracket (to 1/4096), then linear between."""
    lo, hi = 0.0, 1.0
    low_loss = high_loss = 0.0
    for _ in range(2):
        grid = lo + (hi - lo) * _UNIT
        loss = lost(grid)
        k = int(np.searchsorted(loss, budget, side="left"))
        if k == 0:
            return lo
        if k >= len(grid):
            return hi
        lo, hi = float(grid[k - 1]), float(grid[k])
        low_loss, high_loss = float(loss[k - 1]), float(loss[k])
    return lo + (hi - lo) * (budget - low_loss) / max(high_loss - low_loss, 1e-15)
