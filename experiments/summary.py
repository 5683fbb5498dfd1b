"""Readable text summaries of outcome records, for the command line."""

from __future__ import annotations

from negotiation import Outcome, Scenario


def render_outcome(outcome: Outcome, scenario: Scenario) -> str:
    """A few lines an analyst can read: what happened, when, on what terms, who blocked."""
    lines: list[str] = []
    title = scenario.scenario.title
    lines.append(f"{title}")
    lines.append(f"seed {outcome.seed}  ·  {outcome.rounds_played} round(s) played")
    lines.append("")
    if outcome.truce:
        lines.append(
            f"TRUCE on {outcome.date} (round {outcome.round}, "
            f"{outcome.days_before_summit:.1f} days before the summit)"
        )
    elif outcome.summit_deal:
        lines.append("NO TRUCE before the summit; the leaders closed the gap AT THE SUMMIT")
    else:
        lines.append("NO TRUCE before the summit, and no deal at the summit")
    lines.append(f"Why: {outcome.reason}")
    lines.append("")
    heading = {
        "no deal": "What holds without a deal (threats weighted by credibility)",
        "summit": "Package closed by the leaders at the summit",
    }.get(outcome.package_source, f"Agreed package ({outcome.package_source})")
    lines.append(heading + ":")
    space = scenario.space
    width = max(len(i.label) for i in space)
    for issue in space:
        value = outcome.package[issue.key]
        lines.append(
            f"  {issue.label:<{width}}  {value:8.1f} {issue.unit:<8}"
            f"(before the talks {issue.status_quo:g}, no deal {issue.no_deal:g})"
        )
    lines.append("")
    lines.append("Utility of that package against each actor's reservation (no-deal value):")
    labels = {a.key: a.label for a in scenario.actors}
    lwidth = max(len(labels[k]) for k in outcome.utilities)
    for key, u in outcome.utilities.items():
        r = outcome.reservations[key]
        mark = "gains" if u >= r else "loses"
        lines.append(f"  {labels[key]:<{lwidth}}  {u:5.2f}  vs {r:5.2f}  {mark}")
    if outcome.nash_product is not None:
        lines.append("")
        lines.append(
            f"Efficiency: Nash product {outcome.nash_product:.3f}, distance to the Pareto "
            f"frontier {outcome.pareto_distance:.3f}, to the Nash point {outcome.nash_distance:.3f}"
        )
    if outcome.vetoed_by:
        lines.append(f"Blocked along the way by: {', '.join(outcome.vetoed_by)}")
    return "\n".join(lines)
