"""The ablation switches each mechanism on every episode, validated like a file."""

from __future__ import annotations

from experiments.ablation import (
    BUNDLES,
    ELIGIBLE_OFFERS,
    MECHANISMS,
    OFFERS,
    ablation,
    candidates,
    is_eligible,
    loo_selection,
    score_variants,
    variant,
    variants,
)
from negotiation import load_scenario


def test_each_switch_sets_its_mechanism() -> None:
    india = load_scenario("india-2025")
    bare = variant(india, variants()["all off"])
    loss = variant(india, variants()["+ loss aversion (2.25)"])
    assert loss.settings.loss_aversion == 2.25 and bare.settings.loss_aversion == 1.0
    assert bare.calendar.clock == "rounds" and not bare.settings.focal_drafting
    assert {a.offer.name for a in bare.actors if a.kind == "delegation" and a.offer} == {
        "time-dependent"
    }
    assert variant(india, [MECHANISMS["time in hours"]]).calendar.clock == "hours"
    rolled = variant(india, [MECHANISMS["logrolling delegations"]])
    offers = {a.offer.name for a in rolled.actors if a.kind == "delegation" and a.offer}
    assert offers == {"logrolling"}
    assert variant(india, []) is india


def test_variants_are_as_coded_each_alone_all_and_all_but_one() -> None:
    names = list(variants())
    assert names[:2] == ["as coded (the defaults)", "all off"] and "all on" in names
    assert len(names) == 3 + 2 * len(MECHANISMS)


def test_ablation_scores_every_variant_on_every_episode() -> None:
    two = {k: MECHANISMS[k] for k in ("loss aversion (2.25)", "time in hours")}
    table, means = ablation(runs=2, episodes=["geneva-2025", "india-2025"], mechanisms=two)
    assert len(table) == 2 * len(variants(two))
    assert set(means.index) == set(variants(two))
    assert means["brier"].between(0, 1).all()


def test_selection_menu_and_leave_one_out_choice() -> None:
    menu = candidates()
    assert len(menu) == len(OFFERS) * len(BUNDLES)
    table = score_variants(
        {k: menu[k] for k in ("time-dependent | no mechanism", "paced | protocol")},
        runs=3,
        episodes=["geneva-2025", "india-2025", "brazil-2025"],
    )
    held = loo_selection(table)
    assert list(held["episode"]) == ["geneva-2025", "india-2025", "brazil-2025"]
    for _, row in held.iterrows():  # the choice never sees the held-out episode
        rest = table[table["episode"] != row["episode"]]
        loss = (rest["brier"] + rest["package_error"]).groupby(rest["predictor"]).mean()
        assert row["chosen"] == loss.idxmin()


def test_only_strategies_that_use_the_opponent_model_may_be_the_default() -> None:
    eligible = [c for c in candidates() if is_eligible(c)]
    assert eligible and all(not c.startswith("time-dependent") for c in eligible)
    assert "logrolling | every mechanism" in eligible
    assert len(eligible) == len(ELIGIBLE_OFFERS) * len(BUNDLES)
