"""Ablation of the model's mechanisms on the backtest: what each does to the forecasts.

Every mechanism of docs/model.md (section 3.5) is a switch of the scenario. The ablation
applies the same switches to every backtest episode and scores the model's forecasts as
the backtest does (Brier and log score of P(agreement), package error, moved/stayed
accuracy, timing), for: the episodes as coded; each mechanism switched on alone; all of
them on; and all on but one. The scenarios are never tuned: a switch sets the literature's
value (loss aversion 2.25, Tversky & Kahneman 1992) or a stated judgement.

    python -m experiments.ablation --runs 100 --seed 0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from experiments.backtest import EPISODES, model_forecast, observed_outcome, score
from negotiation import Scenario, load_scenario
from negotiation.scenario import sync_defaults

Switch = Callable[[dict[str, Any]], None]


def _setting(name: str, value: Any) -> Switch:
    def apply(data: dict[str, Any]) -> None:
        data["settings"][name] = value

    return apply


def _clock_hours(data: dict[str, Any]) -> None:
    data["calendar"]["clock"] = "hours"


def _logrolling(data: dict[str, Any]) -> None:
    """Both delegations bid by trading off issues with their opponent models (keeping a
    time-dependent exponent when they had one)."""
    for actor in data["actors"]:
        if actor["kind"] == "delegation":
            offer = actor.get("offer") or {}
            exponent = (offer.get("params") or {}).get("e", 0.5)
            actor["offer"] = {"name": "logrolling", "params": {"e": exponent}}


MECHANISMS: dict[str, Switch] = {
    "loss aversion (2.25)": _setting("loss_aversion", 2.25),
    "logrolling delegations": _logrolling,
    "focal drafting": _setting("focal_drafting", True),
    "uncertain ratification (0.1)": _setting("ratification_noise", 0.1),
    "time in hours": _clock_hours,
    "summit endorsement": _setting("summit_endorsement", True),
    "audience costs (0.3)": _setting("audience_cost", 0.3),
}


def variant(scenario: Scenario, switches: Sequence[Switch]) -> Scenario:
    """``scenario`` with ``switches`` applied, validated like a file."""
    if not switches:
        return scenario
    data = scenario.model_dump()
    for switch in switches:
        switch(data)
    return Scenario.model_validate(sync_defaults(data))


def variants(mechanisms: Mapping[str, Switch] = MECHANISMS) -> dict[str, list[Switch]]:
    """The variants scored: as coded, each alone, all, all but each."""
    out: dict[str, list[Switch]] = {"as coded (all off)": []}
    out.update({f"+ {name}": [switch] for name, switch in mechanisms.items()})
    out["all on"] = list(mechanisms.values())
    for name in mechanisms:
        out[f"all on - {name}"] = [s for n, s in mechanisms.items() if n != name]
    return out


def ablation(
    runs: int = 100,
    root_seed: int = 0,
    episodes: Sequence[str] = EPISODES,
    mechanisms: Mapping[str, Switch] = MECHANISMS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-episode rows, mean scores per variant) of the model under each variant."""
    scenarios = {name: load_scenario(name) for name in episodes}
    observed = {name: observed_outcome(s) for name, s in scenarios.items()}
    rows = []
    for label, switches in variants(mechanisms).items():
        for name, scenario in scenarios.items():
            changed = variant(scenario, switches)
            forecast = model_forecast(changed, runs, root_seed, predictor=label)
            rows.append(score(forecast, observed[name], scenario))
    table = pd.DataFrame(rows)
    columns = ["brier", "log_score", "package_error", "moved_accuracy", "timing_error_days"]
    summary = table.assign(timing_error_days=table["timing_error_days"].abs())
    means = summary.groupby("predictor", sort=False)[columns].mean()
    p = table.pivot_table(index="predictor", columns="observed_agreement", values="p_agreement")
    means["p_on_deals"] = p.get(True)
    means["p_on_failures"] = p.get(False)
    return table, means


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    _, means = ablation(args.runs, args.seed)
    print(means.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
