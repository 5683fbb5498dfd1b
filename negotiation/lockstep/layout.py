"""What every run of a batch shares: a plan's constants as arrays for the compiled
protocol, and whether the lockstep engine covers the plan at all.

The engine covers the protocol of every built-in scenario: logrolling offers, AC_next
acceptance, the frequency opponent model, win-set ratification (with red lines or
without), stall-threat or restraint escalation, a convening host or one that splits the
difference (or none) and pressure lobbying, with linear or quadratic issue costs; and
any offer strategy, acceptance rule, opponent model, lobbying rule, escalation rule,
ratification rule or mediation rule written in the vectorised form
(:mod:`negotiation.behaviours.vectorised`). Anything else (another behaviour, a
subclass of one of these, anticipated ratification, a dated threat that moves the
status quo, other curvatures) raises :class:`NotCovered`, naming what is not covered;
callers then run the per-run model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from negotiation.behaviours.acceptance import ACNext
from negotiation.behaviours.escalation import Restraint, StallThreat
from negotiation.behaviours.lobbying import Pressure
from negotiation.behaviours.mediation import Convenor, SplitTheDifference
from negotiation.behaviours.offer import Logrolling
from negotiation.behaviours.opponent import FrequencyModel
from negotiation.behaviours.ratification import RedLines, WinSet, red_line_items
from negotiation.behaviours.vectorised import (
    is_vectorised_acceptance,
    is_vectorised_escalation,
    is_vectorised_lobbying,
    is_vectorised_mediation,
    is_vectorised_offer,
    is_vectorised_opponent,
    is_vectorised_ratification,
)
from negotiation.plan import Plan
from negotiation.preferences import PIECE_GRID
from negotiation.scenario import ActorSpec, EffectSpec, Scenario

Array = npt.NDArray[Any]
MAX_ACTORS = 62  # blockers are kept as bits of one 64-bit word per run
MAX_ISSUES = 62  # and a veto's failing issues too

COVERED: dict[str, tuple[type, ...]] = {
    "offer": (Logrolling,),
    "acceptance": (ACNext,),
    "opponent_model": (FrequencyModel,),
    "ratification": (WinSet, RedLines),
    "escalation": (StallThreat, Restraint),
    "mediation": (Convenor, SplitTheDifference),
    "lobbying": (Pressure,),
}


# The kinds a behaviour may also be written for in the vectorised form: its base class,
# and whether a class is one the engine runs (negotiation.behaviours.vectorised).
VECTORISED: dict[str, tuple[str, Callable[[type], bool]]] = {
    "offer": ("VectorisedOffer", is_vectorised_offer),
    "lobbying": ("VectorisedLobbying", is_vectorised_lobbying),
    "escalation": ("VectorisedEscalation", is_vectorised_escalation),
    "acceptance": ("VectorisedAcceptance", is_vectorised_acceptance),
    "opponent_model": ("VectorisedOpponent", is_vectorised_opponent),
    "ratification": ("VectorisedRatification", is_vectorised_ratification),
    "mediation": ("VectorisedMediation", is_vectorised_mediation),
}


class NotCovered(ValueError):
    """The plan uses something the lockstep engine does not run (the message says what)."""


class Layout(NamedTuple):
    """A plan's constants (see :mod:`negotiation.lockstep.protocol` for their use).

    Compiled code receives the layouts of a batch's plans stacked (:func:`stacked`):
    the fields of :data:`STRUCTURE`, which every plan of a batch shares, as they are;
    every other field with the plans along a first axis (a number becomes an array)."""

    rounds: int
    extra: float
    curvature: float
    squared: bool
    piece_grid: Array
    low: Array
    high: Array
    span: Array
    status_quo: Array
    no_deal: Array
    reference: Array
    track_reference: bool
    gap_weight: Array
    threatened_by: Array
    utility_floor: float
    max_reservation: float
    audience_cost: float
    veto_hardening: float
    lobbying_rate: float
    ratification_noise: float
    summit_max_gap: float
    summit_flexibility: float
    focal_drafting: bool
    endorsement: bool
    delegation_row: Array
    leader_row: Array
    leader_order: Array
    leader_threatens: Array
    leader_bit: Array
    summit_reach: Array
    threshold: Array
    line_issue: Array
    line_bound: Array
    line_upper: Array
    line_count: Array
    vectorised_ratification: Array
    patience: Array
    min_progress: Array
    threat_step: Array
    withdraw: Array
    exponent: Array
    vectorised_offer: Array
    alpha: Array
    beta: Array
    vectorised_acceptance: Array
    learning_rate: Array
    still: Array
    vectorised_opponent: Array
    group_row: Array
    group_bit: Array
    group_start: Array
    influence: Array
    gain: Array
    vectorised_lobbying: Array
    per_pull: Array
    membership: Array
    focal: Array
    focal_count: Array
    effects: Array
    effect_moves_credibility: Array
    event_start: Array
    event_effect: Array
    shock_effect: Array
    has_host: bool
    split_text: bool
    vectorised_mediation: bool
    host_goodwill: float
    host_cap: float


# The fields that fix the shape of a batch: the actors, the calendar, the dated events and
# the shocks. Plans of one scenario with different parameter values share them.
STRUCTURE = (
    "rounds",
    "delegation_row",
    "leader_row",
    "leader_order",
    "leader_bit",
    "group_row",
    "group_bit",
    "group_start",
    "membership",
    "piece_grid",
    "shock_effect",
    "event_start",
    "event_effect",
    "has_host",
)


# What the layout copies as it is: arrays of the issue space and settings of the scenario.
SPACE_ARRAYS = ("low", "high", "span", "status_quo", "no_deal", "reference")
SETTINGS_READ = (
    "max_reservation",
    "audience_cost",
    "veto_hardening",
    "lobbying_rate",
    "ratification_noise",
    "summit_max_gap",
    "summit_flexibility",
    "focal_drafting",
)


def stacked(layouts: list[Layout]) -> Layout:
    """The layouts of a batch's plans as one: :data:`STRUCTURE` from the first (the
    others must agree, else :class:`NotCovered`), the other fields stacked."""
    first = layouts[0]
    for other in layouts[1:]:
        for name in STRUCTURE:
            if not np.array_equal(getattr(first, name), getattr(other, name)):
                raise NotCovered(f"plans whose {name} differ cannot share a batch")
    fields: dict[str, Any] = {}
    for name in Layout._fields:
        values = [getattr(layout, name) for layout in layouts]
        if name in STRUCTURE:
            fields[name] = values[0]
            continue
        try:
            fields[name] = np.ascontiguousarray(np.stack([np.asarray(v) for v in values]))
        except ValueError:
            raise NotCovered(f"plans whose {name} differ in shape cannot share a batch") from None
    return Layout(**fields)


def coverage_problem(plan: Plan) -> str | None:
    """Why the lockstep engine cannot run ``plan``, or ``None`` when it can."""
    scenario, settings = plan.scenario, plan.scenario.settings
    for (key, field), (cls, _) in plan.behaviours.items():
        vectorised = VECTORISED.get(field)
        if cls not in COVERED[field] and not (vectorised and vectorised[1](cls)):
            names = ", ".join(c.__name__ for c in COVERED[field])
            if vectorised:
                names += f", any {vectorised[0]}"
            return f"{key}'s {field} behaviour {cls.__name__} (covered: {names})"
    unknown = _unknown_red_lines(plan)
    if unknown:
        return f"a red line on an issue the scenario does not have: {unknown}"
    if settings.issue_curvature not in (1.0, 2.0):
        return f"issue_curvature {settings.issue_curvature:g} (covered: 1 and 2)"
    if settings.winset_anticipation:
        return "winset_anticipation (anticipated ratification)"
    if any(event.effects.status_quo for event in scenario.events):
        return "a dated threat that moves the status quo"
    kinds = [a.kind for a in scenario.actors]
    if kinds.count("delegation") != 2 or kinds.count("leader") != 2:
        return "a scenario without one delegation and one leader per side"
    if len(plan.people) > MAX_ACTORS:
        return f"more than {MAX_ACTORS} actors with preferences"
    if len(scenario.space) > MAX_ISSUES:
        return f"more than {MAX_ISSUES} issues"
    return None


def by_side(scenario: Scenario, kind: str) -> list[ActorSpec]:
    """The scenario's one actor of ``kind`` (a delegation or a leader) on each side, in
    the order of its sides."""
    return [
        next(a for a in scenario.actors if a.kind == kind and a.side == side)
        for side in scenario.sides
    ]


def layout_for(plan: Plan) -> Layout:
    """The constants of ``plan`` for the compiled protocol; :class:`NotCovered` when the
    engine does not run it."""
    problem = coverage_problem(plan)
    if problem is not None:
        raise NotCovered(f"the lockstep engine does not cover {problem}")
    scenario, settings = plan.scenario, plan.scenario.settings
    space, sides, rows = scenario.space, scenario.sides, plan.rows
    k = len(space)
    actors = {a.key: a for a in scenario.actors}
    delegations, leaders = by_side(scenario, "delegation"), by_side(scenario, "leader")
    leader_keys = [a.key for a in scenario.actors if a.kind == "leader"]
    groups = [actors[key] for side in sides for key in plan.group_keys[side]]
    hosts = [a for a in scenario.actors if a.kind == "host"]
    behaviour = plan.behaviours

    def params(key: str, field: str) -> dict[str, Any]:
        """The compiled behaviour's parameters; none for a vectorised one, whose fields
        (of any name and type) are its own (negotiation.lockstep.vectorised)."""
        cls, values = behaviour[(key, field)]
        return values if cls in COVERED[field] else {}

    threatened_by = np.full(k, -1, dtype=np.int64)
    for leader_key in leader_keys:  # later leaders' threats override, as in the model
        leader = actors[leader_key]
        for issue in leader.threat_issues:
            threatened_by[space.index[issue]] = sides.index(str(leader.side))
    escalation = [_escalation(behaviour[(a.key, "escalation")]) for a in leaders]
    offers = [params(a.key, "offer") for a in delegations]
    offer_classes = [behaviour[(a.key, "offer")][0] for a in delegations]
    acceptance = [params(a.key, "acceptance") for a in delegations]
    opponents = [params(a.key, "opponent_model") for a in delegations]
    ratification = [params(a.key, "ratification") for a in leaders]
    lines = _red_lines(ratification, space.index, k)
    host = params(hosts[0].key, "mediation") if hosts else {}
    host_class = behaviour[(hosts[0].key, "mediation")][0] if hosts else None
    focal = [issue.focal for issue in space]
    width = max([len(f) for f in focal] + [1])
    effects, moves, event_start, event_effect, shock_effect = _effects(plan, sides, groups)
    group_count = [len(plan.group_keys[side]) for side in sides]
    bits = {a.key: i for i, a in enumerate(plan.people)}
    return Layout(
        rounds=len(plan.calendar),
        extra=plan.preferences.extra,
        curvature=float(settings.issue_curvature),
        squared=settings.issue_curvature == 2.0,
        piece_grid=PIECE_GRID,
        **{name: getattr(space, name) for name in SPACE_ARRAYS},
        **{name: getattr(settings, name) for name in SETTINGS_READ},
        track_reference=plan.preferences.extra != 0.0,
        gap_weight=1.0 / (space.span * k),
        threatened_by=threatened_by,
        utility_floor=plan.preferences.floor,
        endorsement=settings.summit_endorsement,
        delegation_row=np.array([rows[a.key] for a in delegations], dtype=np.intp),
        leader_row=np.array([rows[a.key] for a in leaders], dtype=np.int64),
        leader_order=np.array([sides.index(str(actors[key].side)) for key in leader_keys]),
        leader_threatens=np.array([bool(a.threat_issues) for a in leaders]),
        leader_bit=np.array([bits[a.key] for a in leaders], dtype=np.int64),
        summit_reach=np.array([a.summit_reach for a in leaders], dtype=float),
        threshold=np.array(
            [
                settings.ratification_threshold if r.get("threshold") is None else r["threshold"]
                for r in ratification
            ]
        ),
        line_issue=lines[0],
        line_bound=lines[1],
        line_upper=lines[2],
        line_count=lines[3],
        vectorised_ratification=np.array(
            [is_vectorised_ratification(behaviour[(a.key, "ratification")][0]) for a in leaders],
            dtype=np.bool_,
        ),
        patience=np.array([e[0] for e in escalation], dtype=np.int64),
        min_progress=np.array([e[1] for e in escalation], dtype=float),
        threat_step=np.array([e[2] for e in escalation], dtype=float),
        withdraw=np.array([e[3] for e in escalation], dtype=np.bool_),
        exponent=np.array([p.get("e", 1.0) for p in offers], dtype=float),
        vectorised_offer=np.array([is_vectorised_offer(c) for c in offer_classes], dtype=np.bool_),
        alpha=np.array([p.get("alpha", 1.0) for p in acceptance], dtype=float),
        beta=np.array([p.get("beta", 0.0) for p in acceptance], dtype=float),
        vectorised_acceptance=np.array(
            [is_vectorised_acceptance(behaviour[(a.key, "acceptance")][0]) for a in delegations],
            dtype=np.bool_,
        ),
        # the compiled frequency model's; a vectorised model keeps its own fields
        learning_rate=np.array([p.get("learning_rate", 0.0) for p in opponents], dtype=float),
        still=np.array([p.get("tolerance", 0.0) * space.span for p in opponents]),
        vectorised_opponent=np.array(
            [is_vectorised_opponent(behaviour[(a.key, "opponent_model")][0]) for a in delegations],
            dtype=np.bool_,
        ),
        group_row=np.array([rows[g.key] for g in groups], dtype=np.int64),
        group_bit=np.array([bits[g.key] for g in groups], dtype=np.int64),
        group_start=np.array([0, group_count[0], sum(group_count)], dtype=np.int64),
        influence=np.array([g.influence for g in groups], dtype=float),
        gain=np.array([params(g.key, "lobbying").get("gain", 0.0) for g in groups], dtype=float),
        vectorised_lobbying=np.array(
            [is_vectorised_lobbying(behaviour[(g.key, "lobbying")][0]) for g in groups],
            dtype=np.bool_,
        ).reshape(len(groups)),
        per_pull=np.ascontiguousarray(plan.mandates._per_pull),
        membership=np.ascontiguousarray(plan.mandates.membership),
        focal=np.array([list(f) + [0.0] * (width - len(f)) for f in focal], dtype=float),
        focal_count=np.array([len(f) for f in focal], dtype=np.int64),
        effects=effects,
        effect_moves_credibility=moves,
        event_start=event_start,
        event_effect=event_effect,
        shock_effect=shock_effect,
        has_host=bool(hosts),
        split_text=host_class is SplitTheDifference,
        vectorised_mediation=host_class is not None and is_vectorised_mediation(host_class),
        host_goodwill=float(host.get("goodwill", 0.0)),  # none for a vectorised host
        host_cap=float(host.get("cap", 0.0)),
    )


def _red_lines(
    ratification: list[dict[str, Any]], index: dict[str, int], k: int
) -> tuple[Array, Array, Array, Array]:
    """Each leader's red lines (:class:`~negotiation.behaviours.ratification.RedLines`)
    as its issues, bounds and whether each is an upper one, ``at_most`` before
    ``at_least``, padded to two per issue (the most there can be), and how many."""
    issue = np.zeros((len(ratification), 2 * k), dtype=np.int64)
    bound = np.zeros((len(ratification), 2 * k))
    upper = np.zeros((len(ratification), 2 * k), dtype=np.bool_)
    count = np.zeros(len(ratification), dtype=np.int64)
    for side, values in enumerate(ratification):
        items = red_line_items(values.get("at_most", {}), values.get("at_least", {}))
        for n, (key, value, is_upper) in enumerate(items):
            issue[side, n], bound[side, n], upper[side, n] = index[key], value, is_upper
        count[side] = len(items)
    return issue, bound, upper, count


def _unknown_red_lines(plan: Plan) -> str:
    """The first red line's issue key that is not one of the scenario's issues, or ''
    (the per-run rule then names it with the issues there are)."""
    index = plan.scenario.space.index
    for (_, field), (cls, values) in plan.behaviours.items():
        if field == "ratification" and cls is RedLines:
            items = red_line_items(values.get("at_most", {}), values.get("at_least", {}))
            for key, _, _ in items:
                if key not in index:
                    return repr(key)
    return ""


def _escalation(entry: tuple[type, dict[str, Any]]) -> tuple[int, float, float, bool]:
    """(patience, min_progress, step, withdraw); patience 0 for restraint and for a
    vectorised rule (asked between the round's phases)."""
    cls, p = entry
    if cls is Restraint or is_vectorised_escalation(cls):
        return 0, 0.0, 0.0, False
    return int(p["patience"]), float(p["min_progress"]), float(p["step"]), bool(p["withdraw"])


def _effects(
    plan: Plan, sides: tuple[str, str], groups: list[Any]
) -> tuple[Array, Array, Array, Array, Array]:
    """Every dated event's and shock's effects as rows ``[reservation by side,
    credibility by side, mobilisation by group, goodwill]``, which sides' credibility
    each moves, and the dated events of each round (``event_start`` indexes
    ``event_effect`` by round number)."""
    dated, shocks, _ = plan.events
    specs: list[EffectSpec] = [effects for _, _, _, effects in dated]
    specs += [effects for _, _, _, effects in shocks]
    group_index = {g.key: i for i, g in enumerate(groups)}
    rows = np.zeros((max(len(specs), 1), 5 + len(groups)))
    moves = np.zeros((max(len(specs), 1), 2), dtype=np.bool_)
    for e, spec in enumerate(specs):
        for side, shift in spec.reservation.items():
            rows[e, sides.index(side)] = shift
        for side, change in spec.credibility.items():
            rows[e, 2 + sides.index(side)] = change
            moves[e, sides.index(side)] = True
        for key, amount in spec.mobilise.items():
            rows[e, 4 + group_index[key]] = amount
        rows[e, 4 + len(groups)] = spec.goodwill
    rounds = len(plan.calendar)
    order = sorted(range(len(dated)), key=lambda e: dated[e][0])  # stable: plan order
    event_effect = np.array(order, dtype=np.int64)
    numbers = np.array([dated[e][0] for e in order], dtype=np.int64)
    event_start = np.searchsorted(numbers, np.arange(rounds + 2), side="left").astype(np.int64)
    shock_effect = np.arange(len(dated), len(dated) + len(shocks), dtype=np.int64)
    return rows, moves, event_start, event_effect, shock_effect
