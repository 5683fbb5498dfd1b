"""The ablation switches each mechanism on every episode, validated like a file."""

from __future__ import annotations

from experiments.ablation import MECHANISMS, ablation, variant, variants
from negotiation import load_scenario


def test_each_switch_sets_its_mechanism() -> None:
    india = load_scenario("india-2025")
    loss = variant(india, [MECHANISMS["loss aversion (2.25)"]])
    assert loss.settings.loss_aversion == 2.25 and india.settings.loss_aversion == 1.0
    assert variant(india, [MECHANISMS["time in hours"]]).calendar.clock == "hours"
    rolled = variant(india, [MECHANISMS["logrolling delegations"]])
    offers = {a.offer.name for a in rolled.actors if a.kind == "delegation" and a.offer}
    assert offers == {"logrolling"}
    assert variant(india, []) is india


def test_variants_are_as_coded_each_alone_all_and_all_but_one() -> None:
    names = list(variants())
    assert names[0] == "as coded (all off)" and "all on" in names
    assert len(names) == 2 + 2 * len(MECHANISMS)


def test_ablation_scores_every_variant_on_every_episode() -> None:
    two = {k: MECHANISMS[k] for k in ("loss aversion (2.25)", "time in hours")}
    table, means = ablation(runs=2, episodes=["geneva-2025", "india-2025"], mechanisms=two)
    assert len(table) == 2 * len(variants(two))
    assert set(means.index) == set(variants(two))
    assert means["brier"].between(0, 1).all()
