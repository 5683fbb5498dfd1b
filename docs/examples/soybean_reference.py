"""What holds the flagship's soybean purchases: two variants of the scenario, measured.

Run from the repository: ``python docs/examples/soybean_reference.py`` (about 4 minutes
on one core; ``--runs`` to change the ensemble size). Prints the median package and
P(agreement) at ``farmer_pressure`` 0 and 4 for

- the flagship as shipped;
- farmers with only their soybean ask (salience 1 on soybeans, no tariff or extension ask);
- China's purchases counted from their 2024 level (an issue ``reference`` of 27 Mt,
  the expectation-based reference point of Koszegi & Rabin 2006) instead of the
  boycott's zero.

The figures are quoted in docs/validation.md ("What the defaults do not do").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from experiments.ensemble import run_ensemble
from negotiation import Scenario, load_scenario

SOYBEANS = "soybean_purchases_mmt"
Edit = Callable[[dict[str, Any]], None]


def soybean_ask_only(data: dict[str, Any]) -> None:
    for actor in data["actors"]:
        if actor["key"] == "us_soybean_farmers":
            actor["position"] = {SOYBEANS: actor["position"][SOYBEANS]}
            actor["salience"] = {SOYBEANS: 1.0}


def purchases_from_2024_level(data: dict[str, Any]) -> None:
    for issue in data["issues"]:
        if issue["key"] == SOYBEANS:
            issue["reference"] = 27.0  # 2024 US exports to China, 26.8-27.2 Mt [USDA]


def variant(base: Scenario, edit: Edit | None) -> Scenario:
    data = base.model_dump()
    if edit is not None:
        edit(data)
    return Scenario.model_validate(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    base = load_scenario("kuala-lumpur-2025")
    edits: dict[str, Edit | None] = {
        "as shipped": None,
        "soybean ask only": soybean_ask_only,
        "reference 27 Mt": purchases_from_2024_level,
    }
    for label, edit in edits.items():
        scenario = variant(base, edit)
        for pressure in (0, 4):
            summary = run_ensemble(scenario, args.runs, {"farmer_pressure": pressure})
            terms = ", ".join(f"{k} {v:.1f}" for k, v in summary.median_package.items())
            print(f"{label:18} farmer_pressure {pressure}: P {summary.p_truce:.3f}; {terms}")


if __name__ == "__main__":
    main()
