"""Counter-based random draws: a run's random numbers depend only on its seed and on
what each number is for, never on how many runs are computed together or in what order.

A draw is a pure function of (the run's seed, its stream, its index in the stream): the
64-bit output function of SplitMix64 (Steele, Lea & Flood 2014), a bijective mixer that
passes BigCrush as a generator, applied to the stream's key plus the index times the
golden-ratio increment; the stream's key is the mixer of the seed and the stream's
number. There is no generator state to create, advance or pass around, so the draws of
one run or of a million are the same numbers, and the arithmetic vectorises over runs
(numpy ``uint64``, wrapping as the algorithm requires).

Uniform variates take the top 53 bits, offset by half a unit so that they are never 0
or 1. Normal variates use the Box–Muller transform (two uniforms each), logistic ones
the logit; their ``log``, ``sqrt`` and ``cos`` are the C library's, element by element
(Python's :mod:`math`), not numpy's vectorised loops, whose last bits may depend on an
element's position in an array. (The integer words are the same on every machine; the
normal and logistic variates are the same wherever the C library is, and may differ in
their last bit between C libraries.) Each of the model's random inputs has a stream of its
own (:class:`Stream`), so that adding one never changes another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import IntEnum

import numpy as np
import numpy.typing as npt

Words = npt.NDArray[np.uint64]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment: 2**64 / the golden ratio
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_UNIT = 2.0**-53
_BELOW_ONE = 1.0 - 2.0**-53


class Stream(IntEnum):
    """What a run's random numbers are for (the stream number of each)."""

    DELEGATION_RESOLVE = 1  # private resolve of each side's delegation (normal)
    LEADER_RESOLVE = 2  # ... and of each side's leader (normal)
    DOMESTIC_MOOD = 3  # each side's domestic mood at ratification (logistic)
    SHOCK = 16  # random shock s on calendar day d: SHOCK + s, indices 2d (hit), 2d + 1 (round)
    RUN_SEED = 1 << 20  # the seeds of an ensemble's runs, from its root seed


def mix64(z: Words) -> Words:
    """SplitMix64's output function: a bijection of 64-bit words that mixes every bit."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def words(seed: int | npt.ArrayLike, stream: int, index: npt.ArrayLike) -> Words:
    """The 64-bit words at ``index`` (any shape) of ``stream`` for each ``seed``
    (broadcast together): ``mix64(key + (index + 1) * GOLDEN)``, ``key`` the mixed seed
    and stream."""
    seeds = np.asarray(seed, dtype=np.uint64)
    key = mix64(seeds ^ mix64(np.asarray(stream, dtype=np.uint64)))
    with np.errstate(over="ignore"):
        counter = (np.asarray(index, dtype=np.uint64) + np.uint64(1)) * GOLDEN
        return mix64(key + counter)


def uniform(
    seed: int | npt.ArrayLike, stream: int, index: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Uniform variates in the open interval (0, 1). The top word's half-unit offset
    rounds up to 1 (one word in 2**53), so that end is held at the largest double below."""
    top = (words(seed, stream, index) >> np.uint64(11)).astype(np.float64)
    return np.minimum((top + 0.5) * _UNIT, _BELOW_ONE)


# The same arithmetic on Python integers, for one run's few draws: a numpy call on a
# handful of words costs more than the words (a run draws some forty).
_MASK = 2**64 - 1
_GOLDEN, _MUL1, _MUL2 = int(GOLDEN), int(_M1), int(_M2)


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _MUL1) & _MASK
    z = ((z ^ (z >> 27)) * _MUL2) & _MASK
    return z ^ (z >> 31)


def uniforms(seed: int, stream: int, indices: Iterable[int]) -> list[float]:
    """One run's uniform variates at ``indices`` of ``stream``: the numbers
    :func:`uniform` gives, computed on Python integers."""
    key = _mix(seed ^ _mix(stream))
    return [
        min(((_mix((key + (i + 1) * _GOLDEN) & _MASK) >> 11) + 0.5) * _UNIT, _BELOW_ONE)
        for i in indices
    ]


def normal(seed: int, stream: int, count: int) -> list[float]:
    """``count`` standard normal variates of one run's ``stream`` (Box–Muller, the C
    library's functions)."""
    u = uniforms(seed, stream, range(2 * count))
    return [
        math.sqrt(-2.0 * math.log(u[2 * i])) * math.cos(2.0 * math.pi * u[2 * i + 1])
        for i in range(count)
    ]


def logistic(seed: int, stream: int, count: int) -> list[float]:
    """``count`` standard logistic variates of one run's ``stream`` (the logit of a
    uniform)."""
    return [math.log(u / (1.0 - u)) for u in uniforms(seed, stream, range(count))]


MAX_KEY = 2**64 - 1


def seed_key(seed: object) -> int:
    """A seed as the 64-bit word the streams take: an integer from 0 to 2**64 - 1
    (Python's or numpy's, not a bool); anything else is refused with ``ValueError``."""
    integer = isinstance(seed, int | np.integer) and not isinstance(seed, bool | np.bool_)
    if integer and 0 <= int(seed) <= MAX_KEY:  # type: ignore[call-overload]
        return int(seed)  # type: ignore[call-overload]
    raise ValueError(f"a seed must be an integer from 0 to 2**64 - 1, got {seed!r}")
