"""Confidence intervals for proportions such as P(truce)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def wilson_interval(
    successes: int, trials: int, z: float = 1.959963984540054
) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    Unlike the normal approximation it stays within [0, 1] and behaves at 0 or n
    successes; the default ``z`` gives a 95% interval. ``trials = 0`` gives (0, 1).
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_difference_interval(
    first: Sequence[bool], second: Sequence[bool], z: float = 1.959963984540054
) -> tuple[float, float]:
    """95% interval for ``P(first) - P(second)`` from paired binary outcomes.

    Newcombe's (1998) hybrid score interval for paired proportions (his method 10, no
    continuity correction): each proportion's Wilson interval, combined with the phi
    correlation of the pairs, so that a positive correlation (runs that share their
    seeds: common random numbers) gives a narrower interval than independent samples.
    It stays within [-1, 1] and behaves at 0 or n.
    """
    if len(first) != len(second):
        raise ValueError(f"need pairs: {len(first)} outcomes against {len(second)}")
    n = len(first)
    if n == 0:
        return -1.0, 1.0
    both = sum(1 for a, b in zip(first, second, strict=True) if a and b)
    only_first = sum(1 for a, b in zip(first, second, strict=True) if a and not b)
    only_second = sum(1 for a, b in zip(first, second, strict=True) if b and not a)
    neither = n - both - only_first - only_second
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = wilson_interval(both + only_first, n, z)
    l2, u2 = wilson_interval(both + only_second, n, z)
    margins = (
        (both + only_first)
        * (only_second + neither)
        * (both + only_second)
        * (only_first + neither)
    )
    phi = (both * neither - only_first * only_second) / math.sqrt(margins) if margins else 0.0
    below = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    above = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    theta = p1 - p2
    return max(-1.0, theta - math.sqrt(max(below, 0.0))), min(
        1.0, theta + math.sqrt(max(above, 0.0))
    )
