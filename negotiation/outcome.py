"""The outcome record: one flat, serialisable description of how a run ended.

A run ends in a truce (both delegations accepted a package and both leaders ratified
it), or at the deadline, where the summit may still produce a deal. The record carries
the package issue by issue, every actor's utility of it against its reservation, how
efficient it is (Nash product, distance to the Pareto frontier and to the Nash point of
the delegations' opening preferences), who vetoed what, and why the talks ended.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from negotiation.bargaining import Frontier, NashPoint, nash_point, pareto_frontier
from negotiation.issues import Package
from negotiation.preferences import Matrix, Preferences
from negotiation.threats import delegation_preferences, opening_no_deal

if TYPE_CHECKING:
    from negotiation.model import TradeTalksModel
    from negotiation.scenario import Scenario

OUTCOMES = ("truce", "summit deal", "no deal")


@dataclass(frozen=True)
class Outcome:
    """How one run ended. ``to_dict`` gives JSON; ``to_row`` a flat table row."""

    scenario: str
    seed: int | None
    truce: bool
    outcome: str
    round: int | None
    date: str | None
    time: str | None
    days_before_summit: float | None
    rounds_played: int
    summit_deal: bool
    package: dict[str, float]
    package_source: str
    utilities: dict[str, float]
    reservations: dict[str, float]
    nash_product: float | None
    pareto_distance: float | None
    nash_distance: float | None
    final_gap: float
    vetoes: int
    vetoed_by: list[str]
    reason: str
    params: dict[str, Any] = field(default_factory=dict)
    plan_digest: str = ""
    framework_date: str | None = None  # when the delegations agreed the terms
    endorsement_date: str | None = None  # when the leaders signed them off

    def to_dict(self) -> dict[str, Any]:
        """Nested, JSON-serialisable record."""
        return asdict(self)

    def _repr_html_(self) -> str:
        """A compact table for notebooks: how it ended, why, and the package."""
        when = (
            f" on {self.date} ({self.days_before_summit:.1f} days before the summit)"
            if (self.date and self.days_before_summit is not None)
            else ""
        )
        rows = "".join(
            f"<tr><td>{escape(k)}</td><td style='text-align:right'>{v:.4g}</td></tr>"
            for k, v in self.package.items()
        )
        return (
            f"<div><strong>{escape(self.outcome.upper())}</strong>{escape(when)} &middot; "
            f"scenario {escape(self.scenario)}, seed {self.seed}<br>"
            f"<em>{escape(self.reason)}</em>"
            f"<table><thead><tr><th>issue</th><th>{escape(self.package_source)}</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></div>"
        )

    def to_row(self) -> dict[str, Any]:
        """Flat record for tables: nested maps become ``package__<issue>`` etc.; the
        list of blockers stays a list (a list column in Parquet)."""
        row: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key in _FLAT_PREFIX:
                prefix = _FLAT_PREFIX[key]
                for sub, v in value.items():
                    row[f"{prefix}__{sub}"] = v
            else:
                row[key] = value
        return row


_FLAT_PREFIX = {
    "package": "package",
    "utilities": "utility",
    "reservations": "reservation",
    "params": "param",
}


@dataclass(frozen=True)
class Analysis:
    """Pareto frontier and Nash point of the delegations' opening preferences."""

    frontier: Frontier
    nash: NashPoint
    us: Preferences
    china: Preferences


def analyse(spec: Scenario) -> Analysis:
    """Bargaining analysis of a scenario: the delegations' opening preferences, with the
    no-deal package as perceived at the start as the disagreement point.

    A pure function of the scenario (with its parameters); a run reads the one its
    :class:`~negotiation.plan.Plan` computed.
    """
    prefs = delegation_preferences(spec)
    nd = opening_no_deal(spec)
    us, china = (prefs[side] for side in spec.sides)
    disagreement = (float(us.utility(nd)[0]), float(china.utility(nd)[0]))
    frontier = pareto_frontier(us, china, disagreement)
    return Analysis(frontier, nash_point(frontier), us, china)


def build_outcome(model: TradeTalksModel) -> Outcome:
    """The record of a finished run."""
    space = model.space
    settings_round = model.agreement_round
    if model.agreement is not None:
        package, source, kind = model.agreement, model.agreement_source or "", "truce"
    elif model.summit_package is not None:
        package, source, kind = model.summit_package, "summit", "summit deal"
    else:
        package, source, kind = model.no_deal_perceived, "no deal", "no deal"
    utilities = model.prefs.utility(package)
    keys = [model.row_keys[r] for r in model.display_order]
    utilities = utilities[model.display_order]
    reservations = {key: float(model.actors_by_key[key].reservation) for key in keys}
    nash_product = pareto_distance = nash_distance = None
    if kind != "no deal":
        nash_product, pareto_distance, nash_distance = bargaining_measures(
            model.plan.analysis, package
        )
    when = model.calendar.round(settings_round) if settings_round is not None else None
    vetoed_by = sorted({name for _, _, names in model.vetoes for name in names})
    return Outcome(
        scenario=model.spec.name,
        seed=int(model.seed) if model.seed is not None else None,
        truce=kind == "truce",
        outcome=kind,
        round=settings_round,
        date=when.at.date().isoformat() if when else None,
        time=when.at.isoformat() if when else None,
        days_before_summit=when.days_before_summit if when else None,
        rounds_played=model.steps,
        summit_deal=kind == "summit deal",
        package={k: round(float(v), 6) for k, v in zip(space.keys, package, strict=True)},
        package_source=source,
        utilities={k: round(float(u), 6) for k, u in zip(keys, utilities, strict=True)},
        reservations={k: round(v, 6) for k, v in reservations.items()},
        nash_product=_round(nash_product),
        pareto_distance=_round(pareto_distance),
        nash_distance=_round(nash_distance),
        final_gap=round(model.gap, 6),
        vetoes=len(model.vetoes),
        vetoed_by=vetoed_by,
        reason=_reason(model, kind, source, when),
        params=dict(model.params),
        plan_digest=model.plan.digest,
        framework_date=_date_of(model, model.framework_round or settings_round),
        endorsement_date=_endorsement(model, kind, when),
    )


def bargaining_measures(a: Analysis, package: Package) -> tuple[float, float, float]:
    """Of an agreed ``package``: the Nash product of the delegations' opening gains over
    the opening no deal, its distance from the Pareto frontier and from the Nash point
    (in the opening utilities, as :func:`analyse` computes them)."""
    point = (float(a.us.utility(package)[0]), float(a.china.utility(package)[0]))
    d = a.frontier.disagreement
    nash_product = (point[0] - d[0]) * (point[1] - d[1])
    pareto_distance = a.frontier.distance(point)
    nash_distance = float(np.hypot(point[0] - a.nash.utilities[0], point[1] - a.nash.utilities[1]))
    return nash_product, pareto_distance, nash_distance


def bargaining_measures_of(a: Analysis, packages: Matrix) -> Matrix:
    """:func:`bargaining_measures` of each row of ``packages`` (``(n, k)``), as an
    ``(n, 3)`` array: the same operations element by element, so the same numbers."""
    rows = np.asarray(packages, dtype=float)
    point = np.stack([_utilities_of(a.us, rows), _utilities_of(a.china, rows)], axis=1)
    d = a.frontier.disagreement
    nash_product = (point[:, 0] - d[0]) * (point[:, 1] - d[1])
    pareto_distance = a.frontier.distances(point)
    nash = a.nash.utilities
    nash_distance = np.hypot(point[:, 0] - nash[0], point[:, 1] - nash[1])
    return np.stack([nash_product, pareto_distance, nash_distance], axis=1)


def _utilities_of(prefs: Preferences, packages: Matrix) -> Matrix:
    """A one-row :class:`Preferences`' utility of each package, computed as
    :meth:`Preferences.utility` computes one (``einsum`` sums each row alike with a
    leading axis)."""
    n = packages.shape[0]
    ideal = np.broadcast_to(prefs.ideal, (n, *prefs.ideal.shape))
    dist = np.abs(packages[:, None, :] - ideal)
    if prefs.extra:
        ref = np.broadcast_to(prefs.ref_dist, dist.shape)
        dist = dist + prefs.extra * np.maximum(dist - ref, 0.0)
    if prefs.curvature != 1.0:
        scale = np.broadcast_to(prefs.scale, dist.shape)
        closeness = dist / scale
        power = closeness * closeness if prefs.curvature == 2.0 else closeness**prefs.curvature
        weight = np.broadcast_to(prefs.weight, dist.shape).copy()
        return (1.0 - np.einsum("bij,bij->bi", weight, power))[:, 0]
    slope = np.broadcast_to(prefs.slope, dist.shape).copy()
    return (1.0 - np.einsum("bij,bij->bi", slope, dist))[:, 0]


def _date_of(model: TradeTalksModel, number: int | None) -> str | None:
    return None if number is None else model.calendar.round(number).at.date().isoformat()


def _endorsement(model: TradeTalksModel, kind: str, when: Any) -> str | None:
    """The leaders' endorsement: at once after the delegations' agreement, or at the
    summit (a summit deal, or a framework left for the leaders to endorse there)."""
    if kind == "no deal":
        return None
    if kind == "summit deal" or model.framework is not None:
        return model.calendar.summit.date().isoformat()
    return when.at.date().isoformat() if when else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _reason(model: TradeTalksModel, kind: str, source: str, when: Any) -> str:
    names = sorted({n for _, _, ns in model.vetoes for n in ns})
    framed = _date_of(model, model.framework_round) if model.framework is not None else None
    return reason_text(
        kind,
        source,
        when.at.date().isoformat() if when else None,
        len(model.vetoes),
        names,
        model.gap,
        framed,
        model.calendar.summit.date().isoformat(),
        model.spec.settings.summit_max_gap,
    )


def reason_text(
    kind: str,
    source: str,
    date: str | None,
    vetoes: int,
    vetoed_by: list[str],
    gap: float,
    framework_date: str | None,
    summit_date: str,
    summit_max_gap: float,
) -> str:
    """Why a run ended as it did, in words: ``kind`` and ``source`` as in the record,
    ``date`` the delegations' agreement, ``framework_date`` set when they agreed a
    framework for the leaders to endorse at the summit."""
    tail_vetoes = ""
    if vetoes:
        tail_vetoes = f" after {vetoes} rejected package(s) (blocked by {', '.join(vetoed_by)})"
    if kind == "truce" and framework_date is not None:
        return (
            f"truce: both delegations accepted {source} as a framework on "
            f"{date}{tail_vetoes}, and the leaders endorsed it at the "
            f"summit on {summit_date}"
        )
    if kind == "truce":
        return (
            f"truce on {date}: both delegations accepted {source} "
            f"and both leaders ratified it{tail_vetoes}"
        )
    gap_text = f"the delegations' last offers were still {gap:.0%} apart"
    if kind == "summit deal":
        return (
            f"no truce before the summit ({gap_text}{tail_vetoes}); the leaders closed the gap "
            "at the summit"
        )
    if framework_date is not None:
        return (
            f"no truce: the delegations agreed a framework on {framework_date}{tail_vetoes}, "
            "but the leaders did not endorse it at the summit"
        )
    if gap > summit_max_gap:
        widest = f"{summit_max_gap:.0%}"
        tail = f"too wide for the leaders to close at the summit (at most {widest})"
    else:
        tail = "the leaders could not ratify splitting the difference at the summit"
    return f"no truce before the summit: {gap_text}{tail_vetoes}; {tail}"
