"""The no-deal package as the sides expect it, given how credible the threats are.

For each issue a leader threatens (``threat_issues``), the expected no-deal value is the
status quo moved toward the threatened value by the threat's credibility:
``status_quo + credibility * (no_deal - status_quo)``. Other issues keep their no-deal
value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from negotiation.issues import IssueSpace, Package
from negotiation.preferences import Preferences
from negotiation.scenario import Scenario


def perceived_no_deal(
    space: IssueSpace, threats: Mapping[str, Sequence[int]], credibility: Mapping[str, float]
) -> Package:
    """No-deal package given each side's threatened issue indices and credibility."""
    nd = space.no_deal.copy()
    for side, issues in threats.items():
        for i in issues:
            nd[i] = space.status_quo[i] + credibility[side] * (
                space.no_deal[i] - space.status_quo[i]
            )
    return nd


def opening_no_deal(scenario: Scenario) -> Package:
    """The no-deal package as expected before the first round."""
    space = scenario.space
    threats = {
        str(a.side): [space.index[k] for k in a.threat_issues]
        for a in scenario.actors
        if a.kind == "leader"
    }
    credibility = dict.fromkeys(threats, scenario.settings.threat_credibility)
    return perceived_no_deal(space, threats, credibility)


def delegation_preferences(scenario: Scenario) -> dict[str, Preferences]:
    """Each side's delegation preferences as the scenario opens (before any lobbying)."""
    space = scenario.space
    out: dict[str, Preferences] = {}
    for actor in scenario.actors:
        if actor.kind == "delegation" and actor.side is not None:
            ideal = [actor.position.get(i.key, i.status_quo) for i in space]
            salience = [actor.salience.get(i.key, 0.0) for i in space]
            out[actor.side] = Preferences.build(
                ideal,
                salience,
                space,
                scenario.settings.loss_aversion,
                scenario.settings.issue_curvature,
            )
    return out
