"""The baselines a forecast of negotiated outcomes must beat, from the political-science
literature on bargaining models (Thomson, Stokman, Achen & König (eds.) 2006, *The
European Union Decides*, Cambridge University Press; Achen 2006, ch. 4 and 10 there).

Each baseline predicts the agreed package from a scenario's actors alone, with no
simulation:

- **status quo**: nothing changes (the issues' ``status_quo`` values). It also predicts
  that no agreement is reached: P(agreement) = 0.
- **split the difference**: the midpoint of the two delegations' ideal points.
- **Nash bargaining solution** (Nash 1950): the package on the Pareto frontier of the two
  delegations' preferences that maximises the product of their gains over the no-deal
  package (threats weighted by their credibility, as the model perceives it). Computed
  exactly with :mod:`negotiation.bargaining`.
- **compromise model** (Achen 2006; van den Bos 1991): per issue, the mean of all actors'
  positions weighted by salience x capability (here ``influence``; delegations and
  leaders have the schema's default influence 1). Thomson et al. found it the hardest
  baseline to beat on EU legislative outcomes.

Two baselines for P(agreement) alone, both with the split-the-difference package:

- **always deal**: P(agreement) = 1. On the package it is split the difference; it is
  the explicit reference for the probability: a forecaster that never expects failure.
- **base rate (leave-one-out)**: P(agreement) = the share of agreements among the *other*
  episodes of the backtest (the climatology of weather forecasting; Brier 1950). The
  caller supplies that share (:func:`base_rate`), so no episode's own outcome enters its
  forecast.

All but the status quo and the base rate predict that an agreement is reached:
P(agreement) = 1. None predicts timing; for a timing baseline the backtest uses the
deadline effect (agreements bunch at the deadline: Roth, Murnighan & Schoumaker 1988):
agreement 0 days before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from negotiation import Scenario
from negotiation.bargaining import nash_point, pareto_frontier
from negotiation.preferences import Preferences
from negotiation.threats import delegation_preferences, opening_no_deal

Array = npt.NDArray[np.float64]

STATUS_QUO = "status quo"
SPLIT = "split the difference"
NASH = "Nash bargaining"
COMPROMISE = "compromise (weighted mean)"
ALWAYS_DEAL = "always deal"
BASE_RATE = "base rate (leave-one-out)"
BASELINES = (STATUS_QUO, SPLIT, NASH, COMPROMISE, ALWAYS_DEAL, BASE_RATE)


@dataclass(frozen=True)
class BaselineForecast:
    """What a baseline predicts: P(agreement), the package, days before the deadline."""

    name: str
    p_agreement: float
    package: dict[str, float]
    days_before_deadline: float | None


def split_the_difference(ideal_a: npt.ArrayLike, ideal_b: npt.ArrayLike) -> Array:
    """The midpoint of two ideal packages, issue by issue."""
    return 0.5 * (np.asarray(ideal_a, dtype=float) + np.asarray(ideal_b, dtype=float))


def compromise(
    positions: npt.ArrayLike, salience: npt.ArrayLike, influence: npt.ArrayLike, fallback: Array
) -> Array:
    """Salience- and capability-weighted mean position per issue (the compromise model).

    ``positions`` and ``salience`` are ``(actors, issues)``; a NaN position means the actor
    takes no position on that issue and carries no weight there. ``influence`` is one
    capability per actor. Issues on which nobody has weight take ``fallback``.
    """
    pos = np.asarray(positions, dtype=float)
    weight = np.asarray(salience, dtype=float) * np.asarray(influence, dtype=float)[:, None]
    weight = np.where(np.isnan(pos), 0.0, weight)
    total = weight.sum(axis=0)
    summed = (weight * np.nan_to_num(pos)).sum(axis=0)
    return np.where(total > 0, summed / np.where(total > 0, total, 1.0), fallback)


def nash_package(a: Preferences, b: Preferences, no_deal: Array) -> Array:
    """The Nash bargaining package of one-row preferences ``a`` and ``b``, with the
    utilities of the ``no_deal`` package as the disagreement point."""
    disagreement = (float(a.utility(no_deal)[0]), float(b.utility(no_deal)[0]))
    return np.asarray(nash_point(pareto_frontier(a, b, disagreement)).package, dtype=float)


def _weighted_positions(scenario: Scenario) -> tuple[Array, Array, Array]:
    """Positions (NaN where none), per-actor normalised saliences and influence."""
    keys = scenario.space.keys
    actors = [a for a in scenario.actors if a.kind != "host" and a.position]
    pos = np.array([[a.position.get(k, np.nan) for k in keys] for a in actors], dtype=float)
    sal = np.array([[a.salience.get(k, 0.0) for k in keys] for a in actors], dtype=float)
    sal = sal / np.maximum(sal.sum(axis=1, keepdims=True), 1e-12)
    influence = np.array([a.influence for a in actors], dtype=float)
    return pos, sal, influence


def base_rate(agreements: Sequence[bool]) -> float:
    """The share of agreements among ``agreements`` (the other episodes' outcomes)."""
    if not agreements:
        raise ValueError("a base rate needs at least one other episode")
    return sum(bool(a) for a in agreements) / len(agreements)


def baseline_forecasts(
    scenario: Scenario, p_base_rate: float | None = None
) -> dict[str, BaselineForecast]:
    """The baselines' forecasts for ``scenario`` (with its default parameters).

    ``p_base_rate`` is the share of agreements among the other episodes
    (:func:`base_rate`); without it the base-rate baseline is left out.
    """
    space = scenario.space
    prefs = delegation_preferences(scenario)
    us, china = (prefs[side] for side in scenario.sides)
    pos, sal, influence = _weighted_positions(scenario)
    packages = {
        STATUS_QUO: space.status_quo.copy(),
        SPLIT: split_the_difference(us.ideal[0], china.ideal[0]),
        NASH: nash_package(us, china, opening_no_deal(scenario)),
        COMPROMISE: compromise(pos, sal, influence, space.status_quo),
    }
    packages[ALWAYS_DEAL] = packages[SPLIT]
    probability = {STATUS_QUO: 0.0}
    if p_base_rate is not None:
        if not 0.0 <= p_base_rate <= 1.0:
            raise ValueError(f"a base rate is a probability, got {p_base_rate}")
        packages[BASE_RATE] = packages[SPLIT]
        probability[BASE_RATE] = p_base_rate
    return {
        name: BaselineForecast(
            name=name,
            p_agreement=probability.get(name, 1.0),
            package=space.as_dict(space.clip(package)),
            days_before_deadline=None if name == STATUS_QUO else 0.0,
        )
        for name, package in packages.items()
    }
