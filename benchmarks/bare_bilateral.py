"""A baseline for the bilateral benchmark: the same protocol in bare numpy.

No Mesa, no agents, no behaviours, no outcome record: two time-dependent delegations
conceding uniformly toward the other's first offer, frequency opponent models, AC_next
(the larger Nash product when both accept), written as one loop over rounds with numpy
on package vectors. It answers "what does
this protocol cost in numpy at all?", the floor under any implementation of it in
Python, and so puts the model's bilateral figure in proportion. It reads its workload
from ``benchmarks/scenarios/bilateral-4.toml``; ``tests/benchmarks`` checks that it
reaches the model's agreement, in the same round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from negotiation import Scenario, load_scenario
from negotiation.calendar import Calendar
from negotiation.threats import delegation_preferences

Vector = npt.NDArray[np.float64]
BILATERAL = Path(__file__).parent / "scenarios" / "bilateral-4.toml"


@dataclass(frozen=True)
class Workload:
    """Bounds, the two delegations' ideals, slopes and concession exponents, rounds."""

    low: Vector
    high: Vector
    ideal: tuple[Vector, Vector]
    slope: tuple[Vector, Vector]
    exponent: tuple[float, float]
    rounds: int
    still: Vector  # moves smaller than this count as unchanged (frequency model)
    learning_rate: float


def workload(scenario: Scenario) -> Workload:
    """The bilateral workload of ``scenario``: its two delegations, reservation 0."""
    space = scenario.space
    prefs = [delegation_preferences(scenario)[side] for side in scenario.sides]
    exponents = [
        float(a.behaviour("offer").params["e"])
        for side in scenario.sides
        for a in scenario.actors
        if a.kind == "delegation" and a.side == side
    ]
    return Workload(
        space.low,
        space.high,
        (prefs[0].ideal[0], prefs[1].ideal[0]),
        (prefs[0].slope[0], prefs[1].slope[0]),
        (exponents[0], exponents[1]),
        len(Calendar(scenario.calendar)),
        0.01 * space.span,
        0.2,
    )


def run(w: Workload) -> tuple[int, Vector]:
    """Play to the first acceptance; return its round and the accepted package."""
    opponent: list[Vector | None] = [None, None]
    weights = [np.full(len(w.low), 1.0 / len(w.low)) for _ in range(2)]
    previous: list[Vector | None] = [None, None]

    def utility(side: int, package: Vector) -> float:
        return 1.0 - float(w.slope[side].dot(np.abs(package - w.ideal[side])))

    def bid(side: int, toward: Vector, t: float) -> Vector:
        target = 1.0 - min(max(t, 0.0), 1.0) ** (1.0 / w.exponent[side])
        direction = toward - w.ideal[side]
        loss = float(w.slope[side].dot(np.abs(direction)))
        share = min(max((1.0 - target) / loss, 0.0), 1.0) if loss > 1e-12 else 0.0
        return np.minimum(np.maximum(w.ideal[side] + share * direction, w.low), w.high)

    for number in range(1, w.rounds + 1):
        t, t_next = (number - 1) / w.rounds, number / w.rounds
        towards = [w.ideal[s] if seen is None else seen for s, seen in enumerate(opponent)]
        offers = [bid(s, towards[s], t) for s in (0, 1)]
        for s in (0, 1):
            seen, before = offers[1 - s], previous[s]
            if before is None:
                opponent[s] = seen.copy()
            else:
                raw = weights[s] + w.learning_rate * (np.abs(seen - before) < w.still)
                weights[s] = raw / raw.sum()
            previous[s] = seen
        accepted = []
        for s in (0, 1):
            package, toward = offers[1 - s], opponent[s]
            assert toward is not None
            if utility(s, package) >= utility(s, bid(s, toward, t_next)):
                accepted.append(package)
        if accepted:  # the one with the larger Nash product (reservations are 0)
            return number, max(accepted, key=lambda p: utility(0, p) * utility(1, p))
    return w.rounds, 0.5 * (offers[0] + offers[1])


def main() -> None:
    number, package = run(workload(load_scenario(BILATERAL)))
    print(f"agreement in round {number}: {np.round(package, 4)}")


if __name__ == "__main__":
    main()
