"""Ablation of the model's mechanisms on the backtest: what each does to the forecasts.

Every mechanism of docs/model.md (section 3.5) is a switch of the scenario. The ablation
applies the same switches to every backtest episode and scores the model's forecasts as
the backtest does (Brier and log score of P(agreement), package error, moved/stayed
accuracy, timing), for: the episodes as coded (the defaults); every mechanism off (the
first release); each mechanism switched on alone; all of them on; and all on but one.
The scenarios are never tuned: a switch sets the literature's value (loss aversion 2.25,
Tversky & Kahneman 1992) or a stated judgement.

    python -m experiments.ablation --runs 100 --seed 0

*Selection* (``--select``) chooses the model's default protocol the way a forecast would
be chosen: among a fixed menu of candidates (offer strategy x bundle of mechanisms,
:func:`candidates`), the one with the lowest mean loss (Brier + package error, the loss
of :mod:`experiments.calibration`) over the episodes. Leave-one-out selection repeats
the choice without each episode and scores the held-out episode with the candidate
chosen on the others, so the table says what the choice is worth out of sample.

    python -m experiments.ablation --select --runs 100 --seed 0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from experiments.backtest import EPISODES, model_forecast, observed_outcome, score
from negotiation import Scenario, load_scenario
from negotiation.scenario import first_release_protocol, set_delegation_offers, sync_defaults

Switch = Callable[[dict[str, Any]], None]


def _setting(name: str, value: Any) -> Switch:
    def apply(data: dict[str, Any]) -> None:
        data["settings"][name] = value

    return apply


def _clock_hours(data: dict[str, Any]) -> None:
    data["calendar"]["clock"] = "hours"


def _offer(name: str) -> Switch:
    """Both delegations bid with offer strategy ``name``, keeping their time-dependent
    exponent (0.5 when they had none)."""

    def apply(data: dict[str, Any]) -> None:
        set_delegation_offers(data, name)

    return apply


_logrolling = _offer("logrolling")


def _first_release(data: dict[str, Any]) -> None:
    """Every mechanism off, as in the first release (time-dependent delegations, all
    switches off; :func:`negotiation.scenario.first_release_protocol`). Every variant
    but "as coded" starts from here, so the ablation measures each mechanism against the
    same base whatever the files' defaults are."""
    first_release_protocol(data)


MECHANISMS: dict[str, Switch] = {
    "loss aversion (2.25)": _setting("loss_aversion", 2.25),
    "quadratic utility (2)": _setting("issue_curvature", 2.0),
    "logrolling delegations": _logrolling,
    "focal drafting": _setting("focal_drafting", True),
    "uncertain ratification (0.1)": _setting("ratification_noise", 0.1),
    "time in hours": _clock_hours,
    "summit endorsement": _setting("summit_endorsement", True),
    "audience costs (0.3)": _setting("audience_cost", 0.3),
    "anticipated ratification": _setting("winset_anticipation", True),
}


#: Offer strategies of the selection menu (each keeps the file's exponent).
OFFERS: dict[str, str] = {
    "time-dependent": "time-dependent",
    "logrolling": "logrolling",
    "paced": "paced",
}

#: Offer strategies eligible for the default: those that trade across issues with what
#: the opponent model has learned (the model's design requires the default delegations
#: to use it; time-dependent concession, uniform along one line, is a reference).
ELIGIBLE_OFFERS: tuple[str, ...] = ("logrolling", "paced")

_PROTOCOL = [
    "focal drafting",
    "uncertain ratification (0.1)",
    "time in hours",
    "summit endorsement",
    "audience costs (0.3)",
]

#: Bundles of protocol mechanisms of the selection menu, each at its stated value (in the
#: order of the menu's rows; "every mechanism" is the shipped default).
BUNDLES: dict[str, list[str]] = {
    "no mechanism": [],
    "focal": ["focal drafting"],
    "focal + ratification": ["focal drafting", "uncertain ratification (0.1)"],
    "protocol": _PROTOCOL,
    "protocol + loss aversion": [*_PROTOCOL, "loss aversion (2.25)"],
    "quadratic utility": ["quadratic utility (2)"],
    "every mechanism": [*_PROTOCOL, "quadratic utility (2)", "loss aversion (2.25)"],
    "protocol + quadratic utility": [*_PROTOCOL, "quadratic utility (2)"],
}


def candidates(
    offers: Mapping[str, str] = OFFERS,
    bundles: Mapping[str, Sequence[str]] = BUNDLES,
    mechanisms: Mapping[str, Switch] = MECHANISMS,
) -> dict[str, list[Switch]]:
    """The selection menu: every offer strategy with every bundle of mechanisms."""
    menu: dict[str, list[Switch]] = {}
    for offer_label, offer in offers.items():
        for bundle_label, names in bundles.items():
            switches = [_first_release, _offer(offer)] + [mechanisms[n] for n in names]
            menu[f"{offer_label} | {bundle_label}"] = switches
    return menu


LOSS = ("brier", "package_error")


def loo_selection(table: pd.DataFrame, loss: Sequence[str] = LOSS) -> pd.DataFrame:
    """Leave-one-out choice of a candidate: per held-out episode, the candidate with
    the lowest mean loss on the other episodes and its scores on the held-out one.

    ``table`` has one row per (candidate ``predictor``, ``episode``) as :func:`score`
    returns them.
    """
    frame = table.assign(loss=table[list(loss)].sum(axis=1))
    rows = []
    for held_out in frame["episode"].unique():
        rest = frame[frame["episode"] != held_out]
        means = rest.groupby("predictor", sort=False)["loss"].mean()
        chosen = str(means.idxmin())
        scored = frame[(frame["episode"] == held_out) & (frame["predictor"] == chosen)].iloc[0]
        rows.append(
            {
                "episode": held_out,
                "chosen": chosen,
                "in_sample_loss": float(means.min()),
                **{k: scored[k] for k in ("p_agreement", "brier", "log_score", "package_error")},
                "loss": float(scored["loss"]),
            }
        )
    return pd.DataFrame(rows)


def score_variants(
    menu: Mapping[str, Sequence[Switch]],
    runs: int = 100,
    root_seed: int = 0,
    episodes: Sequence[str] = EPISODES,
) -> pd.DataFrame:
    """One backtest row per (variant, episode): each variant applied to every episode."""
    scenarios = {name: load_scenario(name) for name in episodes}
    observed = {name: observed_outcome(s) for name, s in scenarios.items()}
    rows = []
    for label, switches in menu.items():
        for name, scenario in scenarios.items():
            forecast = model_forecast(variant(scenario, switches), runs, root_seed, predictor=label)
            rows.append(score(forecast, observed[name], scenario))
    return pd.DataFrame(rows)


def means_of(table: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per variant, with the mean P(agreement) on deals and on failures."""
    columns = ["brier", "log_score", "package_error", "moved_accuracy", "timing_error_days"]
    summary = table.assign(timing_error_days=table["timing_error_days"].abs())
    means = summary.groupby("predictor", sort=False)[columns].mean()
    p = table.pivot_table(index="predictor", columns="observed_agreement", values="p_agreement")
    means["p_on_deals"] = p.get(True)
    means["p_on_failures"] = p.get(False)
    return means


def variant(scenario: Scenario, switches: Sequence[Switch]) -> Scenario:
    """``scenario`` with ``switches`` applied, validated like a file."""
    if not switches:
        return scenario
    data = scenario.model_dump()
    for switch in switches:
        switch(data)
    return Scenario.model_validate(sync_defaults(data))


def variants(mechanisms: Mapping[str, Switch] = MECHANISMS) -> dict[str, list[Switch]]:
    """The variants scored: as coded; from the first release's base (all off): each
    mechanism alone, all, all but each."""
    base: list[Switch] = [_first_release]
    out: dict[str, list[Switch]] = {"as coded (the defaults)": [], "all off": base}
    out.update({f"+ {name}": [*base, switch] for name, switch in mechanisms.items()})
    out["all on"] = [*base, *mechanisms.values()]
    for name in mechanisms:
        out[f"all on - {name}"] = [*base, *(s for n, s in mechanisms.items() if n != name)]
    return out


def ablation(
    runs: int = 100,
    root_seed: int = 0,
    episodes: Sequence[str] = EPISODES,
    mechanisms: Mapping[str, Switch] = MECHANISMS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-episode rows, mean scores per variant) of the model under each variant."""
    table = score_variants(variants(mechanisms), runs, root_seed, episodes)
    return table, means_of(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--select", action="store_true", help="choose among the candidates, with LOO"
    )
    args = parser.parse_args(argv)
    if not args.select:
        _, means = ablation(args.runs, args.seed)
        print(means.round(3).to_string())
        return 0
    table = score_variants(candidates(), args.runs, args.seed)
    means = means_of(table)
    means["loss"] = means[list(LOSS)].sum(axis=1)
    print(means.round(3).to_string())
    eligible = table[table["predictor"].map(is_eligible)]
    for label, menu in (("every candidate", table), ("candidates eligible as default", eligible)):
        chosen = means.loc[menu["predictor"].unique(), "loss"].idxmin()
        print(f"\n{label}: chosen on all episodes: {chosen}\n")
        held = loo_selection(menu)
        print(held.round(3).to_string(index=False))
        held_means = held[["brier", "log_score", "package_error", "loss"]].mean().round(3)
        print("\nheld-out means:", held_means.to_dict())
    return 0


def is_eligible(candidate: str) -> bool:
    """Whether a menu candidate's offer strategy may be the default (see ELIGIBLE_OFFERS)."""
    return candidate.split(" | ")[0] in ELIGIBLE_OFFERS


if __name__ == "__main__":
    raise SystemExit(main())
