"""Which named parameters move the outcome: Morris screening and a cliff scan.

*Morris screening* (Morris 1991; Campolongo, Cariboni & Saltelli 2007, the mu* measure)
with SALib, over every named parameter of a scenario: numbers over their range, booleans
and behaviour choices as discrete levels. Each design point is an ensemble of seeded runs
(the same seeds at every point: common random numbers), summarised as P(agreement), the
median agreed value of each issue and the median days before the deadline. A parameter
whose mu* is negligible on every output is *inert*.

The *cliff scan* steps each number parameter through its range in 1% steps with the same
seeds and reports the largest change of P(agreement) between neighbouring steps: the
model's answer should not jump at an undocumented threshold.

    python -m experiments.screening --scenario kuala-lumpur-2025 --runs 40 --out results/screening
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from experiments.design import run_seed
from negotiation import Scenario, load_scenario
from negotiation.behaviours import names
from negotiation.lockstep import run_seeds

INERT = 0.01  # mu* below this on every (scaled) output: the parameter moves nothing


def _levels(
    scenario: Scenario, behaviours: bool = True
) -> dict[str, list[Any] | tuple[float, float]]:
    """Each parameter's range: (low, high) for numbers, a list of values otherwise; with
    ``behaviours=False`` the behaviour choices stay at the scenario's (so a parameter of
    one behaviour, such as a concession exponent, is screened where it applies)."""
    out: dict[str, list[Any] | tuple[float, float]] = {}
    for name, p in scenario.parameters.items():
        if p.kind == "behaviour" and not behaviours:
            continue
        if p.kind == "behaviour":
            assert p.behaviour_kind is not None
            out[name] = names(p.behaviour_kind)
        elif p.kind == "boolean":
            out[name] = [False, True]
        else:
            assert p.low is not None and p.high is not None
            out[name] = (p.low, p.high)
    return out


def _value(spec: list[Any] | tuple[float, float], u: float, integer: bool) -> Any:
    """The parameter value at position ``u`` in [0, 1] of its range."""
    if isinstance(spec, list):
        return spec[min(int(u * len(spec)), len(spec) - 1)]
    low, high = spec
    value = low + u * (high - low)
    return round(value) if integer else float(value)


def summarise(scenario: Scenario, params: dict[str, Any], seeds: Sequence[int]) -> dict[str, float]:
    """P(agreement), each issue's median agreed value (scaled to its range) and the median
    days before the deadline, over seeded runs of one setting."""
    outcomes = run_seeds(scenario, seeds, params)
    deals = [o for o in outcomes if o.outcome != "no deal"]
    row: dict[str, float] = {"p_agreement": len(deals) / len(outcomes)}
    for issue in scenario.space:
        values = [(o.package[issue.key] - issue.low) / issue.span for o in deals]
        row[f"median__{issue.key}"] = float(np.median(values)) if values else math.nan
    days = [o.days_before_summit for o in deals if o.days_before_summit is not None]
    row["median_days_before"] = float(np.median(days)) / 5.0 if days else math.nan
    return row


def morris(
    scenario: Scenario,
    trajectories: int = 8,
    runs: int = 40,
    root_seed: int = 0,
    behaviours: bool = True,
) -> pd.DataFrame:
    """mu*, sigma and the mu* confidence half-width per parameter and output."""
    levels = _levels(scenario, behaviours)
    problem = {"num_vars": len(levels), "names": list(levels), "bounds": [[0.0, 1.0]] * len(levels)}
    design = morris_sample.sample(problem, trajectories, num_levels=4, seed=root_seed)
    seeds = [run_seed(root_seed, i) for i in range(runs)]
    integer = {n: scenario.parameters[n].kind == "integer" for n in levels}
    rows = []
    for point in design:
        params = {
            n: _value(levels[n], float(u), integer[n]) for n, u in zip(levels, point, strict=True)
        }
        rows.append(summarise(scenario, params, seeds))
    outputs = pd.DataFrame(rows).fillna(0.0)
    tables = []
    for column in outputs.columns:
        result = morris_analyze.analyze(
            problem, design, outputs[column].to_numpy(), num_levels=4, seed=root_seed
        )
        tables.append(
            pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "output": column,
                    "mu_star": result["mu_star"],
                    "mu_star_conf": result["mu_star_conf"],
                    "sigma": result["sigma"],
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def inert(table: pd.DataFrame, threshold: float = INERT) -> list[str]:
    """Parameters whose mu* is below ``threshold`` on every output."""
    top = table.groupby("parameter")["mu_star"].max()
    return sorted(top[top < threshold].index)


def cliffs(
    scenario: Scenario, runs: int = 60, steps: int = 100, root_seed: int = 0
) -> pd.DataFrame:
    """For each number parameter, the largest change of P(agreement) between settings
    1% of its range apart (the same seeds at every setting), and where it happens."""
    seeds = [run_seed(root_seed, i) for i in range(runs)]
    rows = []
    for name, p in scenario.parameters.items():
        if p.kind not in ("number", "integer"):
            continue
        assert p.low is not None and p.high is not None
        grid = np.linspace(p.low, p.high, steps + 1)
        if p.kind == "integer":
            grid = np.unique(np.round(grid)).astype(int)
        curve = [
            sum(o.outcome != "no deal" for o in run_seeds(scenario, seeds, {name: v.item()})) / runs
            for v in grid
        ]
        jumps = np.abs(np.diff(curve))
        at = int(np.argmax(jumps))
        rows.append(
            {
                "parameter": name,
                "largest_step": float(jumps[at]),
                "between": f"{grid[at]:g}..{grid[at + 1]:g}",
                "p_min": float(min(curve)),
                "p_max": float(max(curve)),
            }
        )
    return pd.DataFrame(rows).sort_values("largest_step", ascending=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="kuala-lumpur-2025")
    parser.add_argument("--trajectories", type=int, default=8)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--cliff-runs", type=int, default=0, help="0: skip the cliff scan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fixed-behaviours",
        action="store_true",
        help="keep behaviour choices at the scenario's and screen the other parameters",
    )
    parser.add_argument("--out", type=Path, default=Path("results/screening"))
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    args.out.mkdir(parents=True, exist_ok=True)
    table = morris(scenario, args.trajectories, args.runs, args.seed, not args.fixed_behaviours)
    table.to_csv(args.out / "morris.csv", index=False)
    wide = table.pivot(index="parameter", columns="output", values="mu_star")
    order = wide.max(axis=1).sort_values(ascending=False).index
    print(wide.loc[order].round(3).to_string())
    print(f"\ninert (mu* < {INERT:.2f} on every output): {', '.join(inert(table)) or 'none'}")
    if args.cliff_runs:
        scan = cliffs(scenario, args.cliff_runs, root_seed=args.seed)
        scan.to_csv(args.out / "cliffs.csv", index=False)
        print("\n" + scan.round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
