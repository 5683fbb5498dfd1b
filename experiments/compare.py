"""Two worlds side by side: the same seeded runs under a baseline and an alternative.

Both ensembles run the same seeds (run ``i`` of each has seed ``run_seed(root_seed, i)``),
so the difference between them is measured with common random numbers: a run that meets
the same shocks and draws in both worlds differs only by what was changed (Law 2015,
ch. 11, on common random numbers for comparing configurations). The difference in
P(agreement) gets Newcombe's (1998) interval for paired proportions, narrower than two
independent intervals would give; each issue's terms are compared over the runs that
agreed in both worlds, as the median of the paired differences and the share of those
runs in which the alternative settled higher or lower.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.ensemble import EnsembleSummary, run_ensemble
from experiments.intervals import paired_difference_interval
from negotiation import Scenario, load_scenario

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TermsDifference:
    """One issue under both worlds: medians over each world's truces, and the change
    over the runs that agreed in both (``paired`` of them)."""

    baseline: float | None
    alternative: float | None
    paired: int
    median_change: float | None
    share_higher: float | None
    share_lower: float | None


@dataclass(frozen=True)
class Comparison:
    """A baseline and an alternative over the same seeded runs, and their difference."""

    scenario: str
    runs: int
    root_seed: int
    baseline: EnsembleSummary
    alternative: EnsembleSummary
    p_change: float
    p_change_ci95: tuple[float, float]
    terms: dict[str, TermsDifference]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "root_seed": self.root_seed,
            "baseline": self.baseline.to_dict(),
            "alternative": self.alternative.to_dict(),
            "p_change": self.p_change,
            "p_change_ci95": list(self.p_change_ci95),
            "terms": {k: vars(v) for k, v in self.terms.items()},
        }


def compare_worlds(
    scenario: Scenario | str,
    baseline: Mapping[str, Any] | None,
    alternative: Mapping[str, Any] | None,
    runs: int,
    *,
    root_seed: int = 0,
    executor: Executor | None = None,
    chunk_size: int = 250,
    on_progress: Progress | None = None,
    alternative_scenario: Scenario | None = None,
) -> Comparison:
    """Run ``runs`` seeded runs of ``scenario`` under the ``baseline`` and the
    ``alternative`` named parameters (same seeds) and compare them. Both sets of
    parameters are checked before anything runs; on ``executor`` the runs go in chunks of
    ``chunk_size``.

    ``alternative_scenario`` runs the alternative on another scenario (the same talks
    with, say, an edited actor table): it must have the same issues, and its named
    parameters are the ones ``alternative`` sets."""
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    other = base if alternative_scenario is None else alternative_scenario
    _check_same_issues(base, other)
    worlds = [(base, dict(baseline or {})), (other, dict(alternative or {}))]
    for world, params in worlds:
        world.with_parameters(params)  # raises ScenarioError naming a bad parameter
    summaries = [
        run_ensemble(
            world,
            runs,
            params,
            root_seed=root_seed,
            executor=executor,
            chunk_size=chunk_size,
            on_progress=None if on_progress is None else _half(on_progress, runs, k),
        )
        for k, (world, params) in enumerate(worlds)
    ]
    first, second = summaries
    common = sorted(set(first.run_ids) & set(second.run_ids))  # runs that raised drop out
    truce_a, truce_b = _by_run(first), _by_run(second)
    a = [truce_a[i] for i in common]
    b = [truce_b[i] for i in common]
    change = (sum(b) - sum(a)) / len(common) if common else math.nan
    low, high = paired_difference_interval(b, a)
    terms = {key: _terms(first, second, key, common) for key in base.space.keys}
    return Comparison(base.name, runs, root_seed, first, second, change, (low, high), terms)


def _check_same_issues(base: Scenario, other: Scenario) -> None:
    """Refuse an alternative scenario whose issues differ from the baseline's: the worlds'
    terms are compared issue by issue."""
    if other.space.keys != base.space.keys:
        raise ValueError(
            f"the alternative scenario's issues ({', '.join(other.space.keys)}) are not the "
            f"baseline's ({', '.join(base.space.keys)}): two worlds compare the same issues"
        )


def paired_changes(comparison: Comparison, key: str) -> tuple[float, ...]:
    """The change in issue ``key`` (alternative minus baseline) in each run that agreed in
    both worlds, in run order: what ``terms[key].median_change`` is the median of."""
    values_a = _agreed_by_run(comparison.baseline, key)
    values_b = _agreed_by_run(comparison.alternative, key)
    return tuple(values_b[i] - values_a[i] for i in sorted(values_a) if i in values_b)


def _half(on_progress: Progress, runs: int, world: int) -> Progress:
    """Progress of one world as progress of both (the baseline runs first)."""
    return lambda done, _total: on_progress(world * runs + done, 2 * runs)


def _by_run(summary: EnsembleSummary) -> dict[int, bool]:
    """Whether each finished run ended in a truce, by run id."""
    return dict(zip(summary.run_ids, summary.truces, strict=True))


def _agreed_by_run(summary: EnsembleSummary, key: str) -> dict[int, float]:
    """The agreed value of ``key`` per run that ended in a truce."""
    runs = [i for i, truce in zip(summary.run_ids, summary.truces, strict=True) if truce]
    return dict(zip(runs, summary.agreed[key], strict=True))


def _terms(
    first: EnsembleSummary, second: EnsembleSummary, key: str, common: list[int]
) -> TermsDifference:
    values_a, values_b = _agreed_by_run(first, key), _agreed_by_run(second, key)
    both = [i for i in common if i in values_a and i in values_b]
    changes = np.array([values_b[i] - values_a[i] for i in both])
    tiny = 1e-9
    return TermsDifference(
        baseline=first.median_package[key],
        alternative=second.median_package[key],
        paired=len(both),
        median_change=float(np.median(changes)) if both else None,
        share_higher=float(np.mean(changes > tiny)) if both else None,
        share_lower=float(np.mean(changes < -tiny)) if both else None,
    )


def render_comparison(comparison: Comparison, scenario: Scenario) -> str:
    """The comparison as a few lines an analyst can read."""
    a, b = comparison.baseline, comparison.alternative
    low, high = comparison.p_change_ci95
    lines = [
        f"{comparison.runs} paired runs of {comparison.scenario} "
        f"(root seed {comparison.root_seed}; the same seeds in both worlds)",
        f"baseline:    {_params(a.params)}",
        f"alternative: {_params(b.params)}",
        f"P(truce) {a.p_truce:.1%} -> {b.p_truce:.1%}: change {comparison.p_change:+.1%} "
        f"(95% interval {low:+.1%} to {high:+.1%}, Newcombe paired)",
        f"median truce {_days(a.median_days_before_summit)} -> "
        f"{_days(b.median_days_before_summit)} days before the summit",
        "terms (median over truces; change over runs agreed in both worlds):",
    ]
    for issue in scenario.space:
        t = comparison.terms[issue.key]
        change = "–" if t.median_change is None else f"{t.median_change:+.1f}"
        moved = (
            ""
            if t.share_higher is None or t.share_lower is None
            else f"  higher in {t.share_higher:.0%}, lower in {t.share_lower:.0%} of {t.paired}"
        )
        lines.append(
            f"  {issue.label:<58} {_value(t.baseline):>6} -> {_value(t.alternative):>6} "
            f"{issue.unit:<8} change {change}{moved}"
        )
    return "\n".join(lines)


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "the scenario as written"


def _value(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
