"""The round protocol over a batch of runs, compiled: one call plays one round of every
active run of the batch.

Each function here is the per-run code of the model's protocol
(:meth:`negotiation.model.TradeTalksModel.step`) for the behaviours the lockstep engine
covers (see :mod:`negotiation.lockstep.layout`), written on scalars and called for
each run of the batch in turn. Every operation a run performs depends on that run's
arrays alone, in a fixed order, so a run's result cannot depend on the batch it is in,
its place there, or the batch's size. The per-run primitives are the model's own
(:mod:`negotiation.kernels`: utility, bid, clip, frequency update, mandate mix).

State and layout arrive as two named tuples of arrays (:class:`~negotiation.lockstep.
layout.Layout` and :class:`~negotiation.lockstep.state.State`); the run axis comes
first in every state array.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from negotiation.kernels import (
    clip_into,
    efficient_package,
    frequency_weights,
    fused_multiply_add,
    mix_mandates,
    pairwise_sum,
    set_preference_rows,
    utility_at,
)

# Ended-reason codes (the columns' ``ended`` values; see negotiation.lockstep.columns).
RUNNING, TRUCE, DEADLINE, FRAMEWORK_REJECTED = 0, 1, 2, 3
# Where the agreed package came from (the record's ``package_source`` before the summit).
SOURCE_NONE, SOURCE_SECOND, SOURCE_FIRST, SOURCE_TEXT = 0, 1, 2, 3


@numba.njit(cache=True)
def utility(lay: Any, st: Any, b: int, row: int, package: Any) -> float:
    """Utility of ``package`` for preference row ``row`` of run ``b`` (the actor's
    ``utility``: :func:`~negotiation.kernels.utility_at`)."""
    p = st.plan[b]  # the run's plan in the batch
    coefficients = st.weight[b, row] if lay.squared[p] else st.slope[b, row]
    return utility_at(
        package,
        st.ideal[b, row],
        st.ref_dist[b, row],
        st.scale[b, row],
        coefficients,
        lay.extra[p],
        lay.squared[p],
    )


@numba.njit(cache=True)
def perceive_no_deal(lay: Any, st: Any, b: int) -> None:
    """The no-deal package as expected: threatened values weighted by their side's
    credibility (:func:`negotiation.threats.perceived_no_deal`)."""
    p = st.plan[b]  # the run's plan in the batch
    for j in range(lay.no_deal[p].shape[0]):
        side = lay.threatened_by[p, j]
        value = lay.no_deal[p, j]
        if side >= 0:
            value = lay.status_quo[p, j] + st.credibility[b, side] * (
                lay.no_deal[p, j] - lay.status_quo[p, j]
            )
        st.no_deal_perceived[b, j] = value


@numba.njit(cache=True)
def delegation_reservation(lay: Any, st: Any, b: int, side: int) -> float:
    """:attr:`negotiation.agents.Delegation.reservation` of side ``side`` in run ``b``."""
    p = st.plan[b]  # the run's plan in the batch
    value = (
        utility(lay, st, b, lay.delegation_row[side], st.no_deal_perceived[b])
        + st.delegation_shift[b, side]
        - st.goodwill[b]
    )
    value = max(value, st.floor[b, side])
    return min(max(value, lay.utility_floor[p]), lay.max_reservation[p])


@numba.njit(cache=True)
def leader_reservation(lay: Any, st: Any, b: int, side: int) -> float:
    """:attr:`negotiation.agents.Leader.reservation` (with the audience cost)."""
    p = st.plan[b]  # the run's plan in the batch
    value = utility(lay, st, b, lay.leader_row[side], st.no_deal_perceived[b])
    value = value + st.leader_shift[b, side]
    if lay.leader_threatens[p, side]:
        value += lay.audience_cost[p] * st.peak_credibility[b, side]
    return min(max(value, lay.utility_floor[p]), lay.max_reservation[p])


@numba.njit(cache=True)
def shift_credibility(lay: Any, st: Any, b: int, side: int, change: float) -> None:
    value = min(max(st.credibility[b, side] + change, 0.0), 1.0)
    st.credibility[b, side] = value
    st.peak_credibility[b, side] = max(st.peak_credibility[b, side], value)
    perceive_no_deal(lay, st, b)


@numba.njit(cache=True)
def apply_effect(lay: Any, st: Any, b: int, effect: int) -> None:
    """An event's effects (:meth:`negotiation.model.TradeTalksModel.apply_effects`)."""
    p = st.plan[b]  # the run's plan in the batch
    row = lay.effects[p, effect]
    for side in range(2):
        st.delegation_shift[b, side] += row[side]
    groups = st.urgency.shape[1]
    for g in range(groups):
        amount = row[4 + g]
        if amount != 0.0:
            st.urgency[b, g] = max(0.0, st.urgency[b, g] + amount)
    goodwill = row[4 + groups]
    if goodwill != 0.0:
        st.goodwill[b] = min(max(st.goodwill[b] + goodwill, -0.2), 0.2)
    for side in range(2):
        if lay.effect_moves_credibility[p, effect, side]:
            shift_credibility(lay, st, b, side, row[2 + side])


@numba.njit(cache=True)
def update_mandates(lay: Any, st: Any, b: int) -> None:
    """Both delegations' mandates from their briefs and the pull received
    (:meth:`negotiation.mandate.Mandates.update`): the weights' totals summed in issue
    order, as the per-run model sums them (:func:`negotiation.kernels.row_totals`)."""
    p = st.plan[b]  # the run's plan in the batch
    if not st.mandate_changed[b]:
        return
    st.mandate_changed[b] = False
    ideal, weight = mix_mandates(st.pull[b], lay.per_pull[p], lay.membership, st.base[b])
    for s in range(weight.shape[0]):
        total = 0.0
        for j in range(weight.shape[1]):
            total += weight[s, j]
        for j in range(weight.shape[1]):
            weight[s, j] = weight[s, j] / total
    set_preference_rows(
        lay.delegation_row,
        ideal,
        weight,
        lay.low[p],
        lay.high[p],
        lay.reference[p],
        lay.track_reference[p],
        st.ideal[b],
        st.weight[b],
        st.scale[b],
        st.slope[b],
        st.ref_dist[b],
    )


@numba.njit(cache=True)
def lobby(lay: Any, st: Any, b: int) -> None:
    """Every group's pressure (:class:`negotiation.behaviours.lobbying.Pressure`; a
    vectorised rule's was added to the pull before the phase)."""
    p = st.plan[b]  # the run's plan in the batch
    k = lay.low[p].shape[0]
    for g in range(lay.group_row.shape[0]):
        if lay.vectorised_lobbying[p, g]:
            continue  # its pressure was added before the phase
        rate = lay.gain[p, g] * lay.influence[p, g] * st.urgency[b, g]
        rate = rate * lay.lobbying_rate[p]
        row = lay.group_row[g]
        for j in range(k):
            st.pull[b, g, j] += rate * st.weight[b, row, j]
    st.mandate_changed[b] = True


@numba.njit(cache=True)
def aspiration(t: float, reservation: float, e: float) -> float:
    """Faratin et al.'s time-dependent aspiration (negotiation.behaviours.offer)."""
    return 1.0 - (1.0 - reservation) * (min(max(t, 0.0), 1.0) ** (1.0 / e))


@numba.njit(cache=True)
def aim(lay: Any, st: Any, b: int, side: int, t: float, reservation: float, ahead: bool) -> float:
    """The target utility at time ``t``: the logrolling aspiration, or what a vectorised
    strategy gave for this round (``ahead``: for the next offer) before the phase."""
    p = st.plan[b]  # the run's plan in the batch
    if lay.vectorised_offer[p, side]:
        return st.target_next[b, side] if ahead else st.target[b, side]
    return aspiration(t, reservation, lay.exponent[p, side])


@numba.njit(cache=True)
def bid(lay: Any, st: Any, b: int, side: int, target: float) -> Any:
    """The offer for ``target`` utility, bid on the estimated efficient frontier
    (:func:`negotiation.behaviours.offer.efficient_bid`), clipped."""
    p = st.plan[b]  # the run's plan in the batch
    row = lay.delegation_row[side]
    package = efficient_package(
        st.ideal[b, row],
        st.weight[b, row],
        st.scale[b, row],
        st.ref_dist[b, row],
        st.estimate_ideal[b, side],
        st.estimate_weight[b, side],
        lay.low[p],
        lay.high[p],
        lay.reference[p],
        lay.extra[p],
        lay.curvature[p],
        lay.piece_grid,
        1.0 - target,
    )
    return clip_into(package, lay.low[p], lay.high[p], package)  # a new array: clipped in place


@numba.njit(cache=True)
def gap_between(lay: Any, p: int, a: Any, c: Any) -> float:
    """:meth:`negotiation.issues.IssueSpace.normalised_gap` (numpy's dot: one rounding
    per issue, in issue order)."""
    total = 0.0
    for j in range(a.shape[0]):
        total = fused_multiply_add(abs(a[j] - c[j]), lay.gap_weight[p, j], total)
    return total


@numba.njit(cache=True)
def observe(lay: Any, st: Any, b: int, side: int, offer: Any) -> None:
    """The frequency opponent model's update (negotiation.behaviours.opponent)."""
    p = st.plan[b]  # the run's plan in the batch
    if not st.seen[b, side]:
        st.estimate_ideal[b, side, :] = offer
        st.seen[b, side] = True
    else:
        st.estimate_weight[b, side, :] = frequency_weights(
            st.estimate_weight[b, side],  # read, not written: the result is a new array
            offer,
            st.previous[b, side],
            lay.still[p, side],
            lay.learning_rate[p, side],
        )
    st.previous[b, side, :] = offer


@numba.njit(cache=True)
def next_offer(lay: Any, st: Any, b: int, side: int, t_next: float) -> Any:
    """The offer this side would make next round (for AC_next), made once a round."""
    if not st.has_next[b, side]:
        reservation = delegation_reservation(lay, st, b, side)
        target = aim(lay, st, b, side, t_next, reservation, True)
        st.next_offer[b, side, :] = bid(lay, st, b, side, target)
        st.has_next[b, side] = True
    return st.next_offer[b, side]


# How far below its aspiration a bid's own utility can be: the bid's search meets its
# budget to within 1e-14 of it or stays on the side that loses less, so only rounding
# remains (at most 3e-14 over 73,800 bids of random settings of every covered scenario).
BID_SLACK = 1e-9


@numba.njit(cache=True)
def accepts(
    lay: Any, st: Any, b: int, side: int, package: Any, t_next: float, on_text: bool
) -> bool:
    """:meth:`negotiation.agents.Delegation.accepts` with AC_next (``on_text``: the
    package is the host's text, not the other side's offer).

    The next offer is made only when the verdict depends on it: its own utility is at
    least its aspiration (less :data:`BID_SLACK`), so a package valued below that is
    refused without it, as it would be with it."""
    p = st.plan[b]  # the run's plan in the batch
    row = lay.delegation_row[side]
    own = utility(lay, st, b, row, package)
    reservation = delegation_reservation(lay, st, b, side)
    if own < reservation:
        return False
    if lay.vectorised_acceptance[p, side]:
        # the vectorised rule's verdict, asked before the phase
        return st.accepted_text[b, side] if on_text else st.accepted[b, side]
    valued = lay.alpha[p, side] * own + lay.beta[p, side]
    if not st.has_next[b, side]:
        # a bid is worth at most 1 (the ideal), even for a vectorised target above that
        target = min(aim(lay, st, b, side, t_next, reservation, True), 1.0)
        if valued < target - BID_SLACK:
            return False
    mine = next_offer(lay, st, b, side, t_next)
    return valued >= utility(lay, st, b, row, mine)


@numba.njit(cache=True)
def would_sign(lay: Any, st: Any, b: int, side: int, package: Any) -> bool:
    row = lay.delegation_row[side]
    return utility(lay, st, b, row, package) >= delegation_reservation(lay, st, b, side)


@numba.njit(cache=True)
def joint_gain(lay: Any, st: Any, b: int, package: Any) -> float:
    first = utility(lay, st, b, lay.delegation_row[0], package)
    first = first - delegation_reservation(lay, st, b, 0)
    second = utility(lay, st, b, lay.delegation_row[1], package)
    second = second - delegation_reservation(lay, st, b, 1)
    return first * second


@numba.njit(cache=True)
def nearest_focal(lay: Any, p: int, j: int, value: float) -> float:
    """The focal value nearest ``value``, the lower of two equally near."""
    best = value
    best_distance = np.inf
    for f in range(lay.focal_count[p, j]):
        candidate = lay.focal[p, j, f]
        distance = abs(candidate - value)
        if distance < best_distance or (distance == best_distance and candidate < best):
            best, best_distance = candidate, distance
    return best


@numba.njit(cache=True)
def draft(lay: Any, st: Any, b: int, package: Any) -> Any:
    """Focal drafting (:meth:`negotiation.model.TradeTalksModel.draft`): issues moved to
    their nearest focal value, roughest first, while both delegations still sign."""
    p = st.plan[b]  # the run's plan in the batch
    k = package.shape[0]
    distances = np.full(k, -1.0)
    for j in range(k):
        if lay.focal_count[p, j] > 0:
            distances[j] = abs(nearest_focal(lay, p, j, package[j]) - package[j]) / lay.span[p, j]
    drafted = package.copy()
    done = np.zeros(k, np.bool_)
    for _ in range(k):
        pick = -1
        for j in range(k - 1, -1, -1):  # descending (distance, index), as sorted(reverse)
            open_ = lay.focal_count[p, j] > 0 and not done[j]
            if open_ and (pick < 0 or distances[j] > distances[pick]):
                pick = j
        if pick < 0:
            break
        done[pick] = True
        if distances[pick] == 0.0:
            continue
        trial = drafted.copy()
        trial[pick] = nearest_focal(lay, p, pick, package[pick])
        if would_sign(lay, st, b, 0, trial) and would_sign(lay, st, b, 1, trial):
            drafted = trial
    return drafted


@numba.njit(cache=True)
def ratify(
    lay: Any, st: Any, b: int, side: int, package: Any, relax: float, predicting: bool
) -> tuple[bool, Any, Any]:
    """The win-set rule (:class:`negotiation.behaviours.ratification.WinSet`) and the
    red lines it may have (:class:`~negotiation.behaviours.ratification.RedLines`):
    whether ``side``'s leader ratifies, the failing issues (a bit per issue) and the
    blockers (a bit per actor, ``Layout.actor_bit``). ``predicting``: at the expected
    domestic mood, as the delegations foresee the verdict."""
    ok, failing, blockers = win_set(lay, st, b, side, package, relax, predicting)
    p = st.plan[b]  # the run's plan in the batch
    crossed = np.int64(0)
    for n in range(lay.line_count[p, side]):  # red lines are not relaxed at the summit
        j = lay.line_issue[p, side, n]
        bound = lay.line_bound[p, side, n]
        excess = package[j] - bound if lay.line_upper[p, side, n] else bound - package[j]
        if excess > 1e-9:
            crossed |= np.int64(1) << j
    if crossed == 0:
        return ok, failing, blockers
    return False, crossed | failing, blockers | (np.int64(1) << lay.leader_bit[side])


@numba.njit(cache=True)
def verdict(
    lay: Any, st: Any, b: int, side: int, package: Any, relax: float, predicting: bool
) -> tuple[bool, Any, Any]:
    """:func:`ratify`, or for a leader with a vectorised ratification rule the verdict
    the rule gave on this package before the phase (:mod:`negotiation.lockstep.
    vectorised`): the same three values."""
    if lay.vectorised_ratification[st.plan[b], side]:
        return st.verdict_ok[b, side], st.verdict_failing[b, side], st.verdict_blockers[b, side]
    return ratify(lay, st, b, side, package, relax, predicting)


@numba.njit(cache=True)
def win_set(
    lay: Any, st: Any, b: int, side: int, package: Any, relax: float, predicting: bool
) -> tuple[bool, Any, Any]:
    """The win-set test of :func:`ratify`: the verdict, the two issues failing most (a
    bit each) and the blockers."""
    p = st.plan[b]  # the run's plan in the batch
    start, stop = lay.group_start[side], lay.group_start[side + 1]
    threshold = lay.threshold[p, side]
    noise = lay.ratification_noise[p]
    supported = 0.0
    total = pairwise_sum(lay.influence[p, start:stop])
    approve = np.zeros(stop - start, np.bool_)
    for g in range(start, stop):
        row = lay.group_row[g]
        margin = utility(lay, st, b, row, package) - utility(
            lay, st, b, row, st.no_deal_perceived[b]
        )
        margin = margin + relax
        if noise > 0:
            scaled = min(max(margin / noise, -50.0), 50.0)
            support = 1.0 / (1.0 + np.exp(-scaled))
            approve[g - start] = support >= 0.5
        else:
            approve[g - start] = margin >= 0
            support = 1.0 if margin >= 0 else 0.0
        supported = fused_multiply_add(lay.influence[p, g], support, supported)
    if noise > 0 and not predicting:
        threshold -= st.mood[b, side]
    approval = supported / total if total > 0 else 1.0
    leader = lay.leader_row[side]
    leader_ok = utility(lay, st, b, leader, package) >= leader_reservation(lay, st, b, side) - relax
    loss = np.zeros(package.shape[0])
    blocked = False
    mask = np.int64(0)
    if not leader_ok:
        blocked = True
        mask |= np.int64(1) << lay.leader_bit[side]
        _add_loss(st, b, leader, package, loss)
    if approval < threshold - relax:
        for g in range(start, stop):
            if not approve[g - start]:
                blocked = True
                mask |= np.int64(1) << lay.group_bit[g]
                _add_loss(st, b, lay.group_row[g], package, loss)
    if not blocked:
        return True, 0, 0
    return False, _two_largest(loss), mask


@numba.njit(cache=True)
def _two_largest(loss: Any) -> Any:
    """The issues of the two largest positive losses, a bit each (earlier issues first
    among equals: ``failing_issues``)."""
    first, second = -1, -1
    for j in range(loss.shape[0]):
        if loss[j] > 0 and (first < 0 or loss[j] > loss[first]):
            second, first = first, j
        elif loss[j] > 0 and (second < 0 or loss[j] > loss[second]):
            second = j
    failing = np.int64(0)
    for j in (first, second):
        if j >= 0:
            failing |= np.int64(1) << j
    return failing


@numba.njit(cache=True)
def _add_loss(st: Any, b: int, row: int, package: Any, loss: Any) -> None:
    """A blocker's weighted distance per issue (``failing_issues``), summed in the
    order of the blockers."""
    for j in range(package.shape[0]):
        loss[j] += (
            st.weight[b, row, j] * abs(package[j] - st.ideal[b, row, j]) / st.scale[b, row, j]
        )


@numba.njit(cache=True)
def harden(lay: Any, st: Any, b: int, side: int, failing: int, rejected: Any) -> None:
    """After a veto: weigh the failing issues (a bit each) more, never offer that again
    (:meth:`negotiation.agents.Delegation.harden`)."""
    p = st.plan[b]  # the run's plan in the batch
    if failing != 0:
        factor = 1.0 + lay.veto_hardening[p]
        for j in range(st.base.shape[3]):
            if failing >> j & 1:
                st.base[b, side, 2, j] *= factor
        total = pairwise_sum(st.base[b, side, 2].copy())
        for j in range(st.base.shape[3]):
            st.base[b, side, 2, j] = st.base[b, side, 2, j] / total
        st.mandate_changed[b] = True
        update_mandates(lay, st, b)
    signed = utility(lay, st, b, lay.delegation_row[side], rejected) + 0.01
    st.floor[b, side] = max(st.floor[b, side], signed)


@numba.njit(cache=True)
def try_agreement(lay: Any, st: Any, b: int, number: int, t_next: float) -> None:
    """:meth:`negotiation.model.TradeTalksModel._try_agreement`: the package both sides
    accept (:func:`choose_package`), put to the leaders (:func:`settle`)."""
    st.pending_source[b] = choose_package(lay, st, b, t_next)
    if st.pending_source[b] >= 0:
        settle(lay, st, b, number)


@numba.njit(cache=True)
def choose_package(lay: Any, st: Any, b: int, t_next: float) -> int:
    """Which package both delegations accept with the greatest joint gain, the earlier
    among equals (``SOURCE_*``: the second side's offer, the first's, the host's text),
    drafted, into ``st.pending[b]``; -1 when none is accepted."""
    p = st.plan[b]  # the run's plan in the batch
    first_offer, second_offer = st.offer[b, 0], st.offer[b, 1]
    best = -1
    best_gain = 0.0
    if accepts(lay, st, b, 0, second_offer, t_next, False):
        best, best_gain = SOURCE_SECOND, joint_gain(lay, st, b, second_offer)
    if accepts(lay, st, b, 1, first_offer, t_next, False):
        gain = joint_gain(lay, st, b, first_offer)
        if best < 0 or gain > best_gain:
            best, best_gain = SOURCE_FIRST, gain
    if st.has_text[b]:  # the host's text, if both accept it
        text = st.text[b]
        first_yes = accepts(lay, st, b, 0, text, t_next, True)
        if first_yes and accepts(lay, st, b, 1, text, t_next, True):
            gain = joint_gain(lay, st, b, text)
            if best < 0 or gain > best_gain:
                best = SOURCE_TEXT
    if best < 0:
        return -1
    if best == SOURCE_TEXT:
        package = st.text[b].copy()
    else:
        package = (second_offer if best == SOURCE_SECOND else first_offer).copy()
    if lay.focal_drafting[p]:
        package = draft(lay, st, b, package)
    st.pending[b, :] = package
    return best


@numba.njit(cache=True)
def settle(lay: Any, st: Any, b: int, number: int) -> None:
    """The leaders' verdicts on the package agreed this round (``st.pending[b]``, from
    ``st.pending_source[b]``): a truce or a framework, or the vetoes and the hardening
    they bring."""
    p = st.plan[b]  # the run's plan in the batch
    package = st.pending[b].copy()
    first = verdict(lay, st, b, 0, package, 0.0, lay.endorsement[p])
    second = verdict(lay, st, b, 1, package, 0.0, lay.endorsement[p])
    if first[0] and second[0]:
        st.source[b], st.agreement_round[b] = st.pending_source[b], number
        st.agreement[b, :] = package
        if lay.endorsement[p]:
            st.has_framework[b] = True
            st.framework_round[b] = number
            return
        st.ended[b] = TRUCE
        st.running[b] = False
        return
    for i in range(2):  # vetoes in the leaders' order, each hardening its delegation
        side = lay.leader_order[i]
        ok, failing, blockers = first if side == 0 else second
        if not ok:
            st.vetoes[b] += 1
            st.vetoed_by[b] |= blockers
            harden(lay, st, b, side, failing, package)


@numba.njit(cache=True)
def endorse(lay: Any, st: Any, b: int) -> None:
    """The leaders endorse the framework at the summit, or reject it."""
    st.running[b] = False
    package = st.agreement[b].copy()
    ok = np.zeros(2, np.bool_)
    blockers = np.zeros(2, np.int64)
    for i in range(2):
        side = lay.leader_order[i]
        said = verdict(lay, st, b, side, package, 0.0, False)
        ok[side], blockers[side] = said[0], said[2]
    if ok[0] and ok[1]:
        st.ended[b] = TRUCE
        return
    st.ended[b] = FRAMEWORK_REJECTED
    st.agreement_round[b] = -1
    for side in range(2):
        if not ok[side]:
            st.vetoes[b] += 1
            st.vetoed_by[b] |= blockers[side]


@numba.njit(cache=True)
def escalate(lay: Any, st: Any, b: int, number: int) -> None:
    """Leaders' escalation, in the order the model's agent set holds them."""
    for i in range(2):
        escalate_side(lay, st, b, number, lay.leader_order[i])


@numba.njit(cache=True)
def escalate_side(lay: Any, st: Any, b: int, number: int, side: int) -> None:
    """``side``'s leader's stall-threat escalation (negotiation.behaviours.escalation);
    restraint, and a vectorised rule (asked before the phase), do nothing here."""
    p = st.plan[b]  # the run's plan in the batch
    patience = lay.patience[p, side]
    if patience <= 0:  # restraint, or a vectorised rule
        return
    n = number  # gaps recorded so far: one a round
    if n <= patience or (n - 1) % patience:
        return
    progress = st.gaps[b, n - 1 - patience] - st.gaps[b, n - 1]
    if not lay.leader_threatens[p, side]:
        return
    if progress < lay.min_progress[p, side]:
        shift_credibility(lay, st, b, side, lay.threat_step[p, side])
    elif lay.withdraw[p, side] and progress > 2 * lay.min_progress[p, side]:
        shift_credibility(lay, st, b, side, -lay.threat_step[p, side] / 2)


@numba.njit(cache=True)
def deadline(lay: Any, st: Any, b: int) -> None:
    """No truce before the summit: can the leaders close the gap there?"""
    p = st.plan[b]  # the run's plan in the batch
    st.running[b] = False
    st.ended[b] = DEADLINE
    if st.gap[b] > lay.summit_max_gap[p]:
        return
    package = 0.5 * (st.offer[b, 0] + st.offer[b, 1])
    ok = np.zeros(2, np.bool_)
    for i in range(2):
        side = lay.leader_order[i]
        relax = lay.summit_flexibility[p] + lay.summit_reach[p, side]
        ok[side] = verdict(lay, st, b, side, package, relax, False)[0]
    if ok[0] and ok[1]:
        st.has_summit[b] = True
        st.agreement[b, :] = package


@numba.njit(cache=True)
def open_one(lay: Any, st: Any, b: int, number: int, defer: bool) -> None:
    """Round ``number`` (1-based) of run ``b`` up to the lobbying: the random shocks due
    before it (the dated events are on Mesa's event list) and the leaders' endorsement
    of a framework at the summit (``defer``: left to :func:`endorse_round`, marked in
    ``st.endorsing``). ``st.bargaining[b]`` says whether the run goes on to bargain
    this round."""
    st.bargaining[b] = False
    if not st.running[b]:
        return
    st.rounds_played[b] = number
    for s in range(st.shock_at.shape[1]):  # each shock at most once a day
        for d in range(st.shock_at.shape[2]):
            if st.shock_at[b, s, d] == number:
                apply_effect(lay, st, b, lay.shock_effect[s])
    if st.has_framework[b]:
        if number >= lay.rounds:
            if defer:
                st.endorsing[b] = True
            else:
                endorse(lay, st, b)
        return
    st.bargaining[b] = True


@numba.njit(cache=True)
def mandate_one(lay: Any, st: Any, b: int) -> None:
    """Lobbying, the mandates it moves and the host's goodwill, before the offers."""
    p = st.plan[b]
    lobby(lay, st, b)
    update_mandates(lay, st, b)
    convenes = lay.has_host and not lay.vectorised_mediation[p]  # else asked after this
    if convenes and st.goodwill[b] < lay.host_cap[p]:  # the convenor's goodwill
        st.goodwill[b] = min(lay.host_cap[p], st.goodwill[b] + lay.host_goodwill[p])
    table_text(lay, st, b)
    st.has_next[b, :] = False


@numba.njit(cache=True)
def table_text(lay: Any, st: Any, b: int) -> None:
    """The host's text this round (:class:`negotiation.behaviours.mediation.
    SplitTheDifference`): the midpoint of the delegations' latest offers, clipped, once
    there are offers (from the second round on)."""
    p = st.plan[b]
    st.has_text[b] = lay.split_text[p] and st.rounds_played[b] > 1
    if st.has_text[b]:
        middle = 0.5 * (st.offer[b, 0] + st.offer[b, 1])
        clip_into(middle, lay.low[p], lay.high[p], st.text[b])  # as the host's space clips


@numba.njit(cache=True)
def offer_one(lay: Any, st: Any, b: int, number: int, t: float) -> None:
    """Both delegations' offers at time ``t``, the gap between them, and what each
    side's opponent model learns from the other's."""
    p = st.plan[b]
    first = bid(lay, st, b, 0, aim(lay, st, b, 0, t, delegation_reservation(lay, st, b, 0), False))
    second = bid(lay, st, b, 1, aim(lay, st, b, 1, t, delegation_reservation(lay, st, b, 1), False))
    st.offer[b, 0, :] = first
    st.offer[b, 1, :] = second
    st.gap[b] = gap_between(lay, p, first, second)
    st.gaps[b, number - 1] = st.gap[b]
    if not lay.vectorised_opponent[p, 0]:  # else asked after the offer phase
        observe(lay, st, b, 0, second)
    if not lay.vectorised_opponent[p, 1]:
        observe(lay, st, b, 1, first)


@numba.njit(cache=True)
def agree_one(lay: Any, st: Any, b: int, number: int, t_next: float) -> None:
    """An agreement and its ratification (and the summit's endorsement of a framework
    after the last round). ``st.escalating[b]`` says whether the talks go on this
    round: the leaders may escalate, and the deadline may come."""
    st.escalating[b] = False
    try_agreement(lay, st, b, number, t_next)
    if st.has_framework[b]:
        if number >= lay.rounds:
            endorse(lay, st, b)
    elif st.running[b]:
        st.escalating[b] = True


@numba.njit(cache=True)
def finish_one(lay: Any, st: Any, b: int, number: int) -> None:
    """The deadline, after the last round."""
    if number >= lay.rounds:
        deadline(lay, st, b)


@numba.njit(cache=True)
def close_one(lay: Any, st: Any, b: int, number: int, t_next: float) -> None:
    """The rest of the round: an agreement and its ratification, or escalation, and the
    deadline after the last round."""
    agree_one(lay, st, b, number, t_next)
    if st.escalating[b]:
        escalate(lay, st, b, number)
        finish_one(lay, st, b, number)


@numba.njit(cache=True)
def play_round(lay: Any, st: Any, number: int, t: float, t_next: float, runs: Any) -> None:
    """Round ``number`` (1-based) of every run in ``runs`` that is still going, each run
    whole before the next: :func:`open_one`, :func:`mandate_one`, :func:`offer_one`,
    :func:`close_one` (see :mod:`negotiation.model`)."""
    for i in range(runs.shape[0]):
        b = runs[i]
        open_one(lay, st, b, number, False)
        if st.bargaining[b]:
            mandate_one(lay, st, b)
            offer_one(lay, st, b, number, t)
            close_one(lay, st, b, number, t_next)


# The same round in phases over the batch, for a batch whose lobbying pressures, offer
# targets or threats come from vectorised behaviours between them (negotiation.lockstep.
# model): each run's operations are those of play_round, in the same order.


@numba.njit(cache=True)
def open_round(lay: Any, st: Any, number: int, runs: Any) -> None:
    """:func:`open_one`, the endorsements left to :func:`endorse_round`."""
    for i in range(runs.shape[0]):
        open_one(lay, st, runs[i], number, True)


@numba.njit(cache=True)
def endorse_round(lay: Any, st: Any, runs: Any) -> None:
    """The endorsements at the summit that the round's phases left marked."""
    for i in range(runs.shape[0]):
        if st.endorsing[runs[i]]:
            st.endorsing[runs[i]] = False
            endorse(lay, st, runs[i])


@numba.njit(cache=True)
def mandate_round(lay: Any, st: Any, runs: Any) -> None:
    for i in range(runs.shape[0]):
        if st.bargaining[runs[i]]:
            mandate_one(lay, st, runs[i])


@numba.njit(cache=True)
def offer_round(lay: Any, st: Any, number: int, t: float, runs: Any) -> None:
    for i in range(runs.shape[0]):
        if st.bargaining[runs[i]]:
            offer_one(lay, st, runs[i], number, t)


@numba.njit(cache=True)
def propose_round(lay: Any, st: Any, t_next: float, runs: Any) -> None:
    """The first half of :func:`agree_one`: the package agreed, if any
    (``st.pending_source``), before the leaders are asked."""
    for i in range(runs.shape[0]):
        b = runs[i]
        if st.bargaining[b]:
            st.escalating[b] = False
            st.pending_source[b] = choose_package(lay, st, b, t_next)


@numba.njit(cache=True)
def conclude_round(lay: Any, st: Any, number: int, runs: Any) -> None:
    """The second half of :func:`agree_one`: the leaders' verdicts on the package agreed,
    an endorsement due now marked for :func:`endorse_round`, and whether the talks go
    on (``st.escalating``)."""
    for i in range(runs.shape[0]):
        b = runs[i]
        if not st.bargaining[b]:
            continue
        if st.pending_source[b] >= 0:
            settle(lay, st, b, number)
        if st.has_framework[b]:
            if number >= lay.rounds:
                st.endorsing[b] = True
        elif st.running[b]:
            st.escalating[b] = True


@numba.njit(cache=True)
def escalate_round(lay: Any, st: Any, number: int, side: int, runs: Any) -> None:
    for i in range(runs.shape[0]):
        escalate_side(lay, st, runs[i], number, side)


@numba.njit(cache=True)
def threaten_round(lay: Any, st: Any, side: int, runs: Any, changes: Any) -> None:
    """A vectorised escalation rule's changes of ``side``'s threat credibility, where
    its leader threatens something (:meth:`negotiation.agents.Leader.threaten`)."""
    for i in range(runs.shape[0]):
        b = runs[i]
        if lay.leader_threatens[st.plan[b], side] and changes[i] != 0.0:
            shift_credibility(lay, st, b, side, changes[i])


@numba.njit(cache=True)
def acceptance_inputs(lay: Any, st: Any, side: int, runs: Any, packages: Any, t_next: float) -> Any:
    """What ``side``'s vectorised acceptance rule is shown in each of ``runs`` for its
    row of ``packages`` (the other side's offer, or the host's text): the own utility of
    it, of the own next offer (made now, once a round, as AC_next makes it), and the
    reservation; ``nan`` for the next offer where the package on the table is below the
    reservation (refused before the rule is asked, as :meth:`negotiation.agents.
    Delegation.accepts` refuses it: no next offer is made)."""
    out = np.empty((3, runs.shape[0]))
    row = lay.delegation_row[side]
    for i in range(runs.shape[0]):
        b = runs[i]
        out[0, i] = utility(lay, st, b, row, packages[i])
        out[2, i] = delegation_reservation(lay, st, b, side)
        out[1, i] = np.nan
        if out[0, i] >= out[2, i]:
            out[1, i] = utility(lay, st, b, row, next_offer(lay, st, b, side, t_next))
    return out


@numba.njit(cache=True)
def finish_round(lay: Any, st: Any, number: int, runs: Any) -> None:
    for i in range(runs.shape[0]):
        finish_one(lay, st, runs[i], number)


@numba.njit(cache=True)
def reservations(lay: Any, st: Any, side: int, runs: Any) -> Any:
    """The reservation of ``side``'s delegation in each of ``runs``."""
    out = np.empty(runs.shape[0])
    for i in range(runs.shape[0]):
        out[i] = delegation_reservation(lay, st, runs[i], side)
    return out


@numba.njit(cache=True)
def ratification_inputs(
    lay: Any, st: Any, side: int, runs: Any, packages: Any, predicting: Any
) -> tuple[Any, Any, Any]:
    """What ``side``'s vectorised ratification rule is shown in each of ``runs`` for its
    row of ``packages``: the leader's utility of it and reservation, each of the side's
    groups' utility of it less that of the perceived no deal, and the domestic mood (0
    where ``predicting``: its expected value, as the delegations foresee the verdict)."""
    n = runs.shape[0]
    start, stop = lay.group_start[side], lay.group_start[side + 1]
    leader = np.empty((3, n))  # utility, reservation, mood
    margins = np.empty((n, stop - start))
    for i in range(n):
        b = runs[i]
        leader[0, i] = utility(lay, st, b, lay.leader_row[side], packages[i])
        leader[1, i] = leader_reservation(lay, st, b, side)
        leader[2, i] = 0.0 if predicting[i] else st.mood[b, side]
        for g in range(start, stop):
            row = lay.group_row[g]
            margins[i, g - start] = utility(lay, st, b, row, packages[i]) - utility(
                lay, st, b, row, st.no_deal_perceived[b]
            )
    return leader, margins, lay.influence[st.plan[runs], start:stop]


@numba.njit(cache=True)
def store_verdicts(
    lay: Any, st: Any, side: int, runs: Any, packages: Any, ratified: Any, blocked: Any
) -> None:
    """A vectorised ratification rule's verdicts on ``packages`` in ``runs``, for
    :func:`verdict` to read: the blockers (``blocked``: the leader, then each of the
    side's groups) as bits, and the two issues where they lose most, as the win-set
    names them."""
    start = lay.group_start[side]
    for i in range(runs.shape[0]):
        b = runs[i]
        st.verdict_ok[b, side] = ratified[i]
        st.verdict_failing[b, side] = 0
        st.verdict_blockers[b, side] = 0
        if ratified[i]:
            continue
        loss = np.zeros(packages.shape[1])
        mask = np.int64(0)
        if blocked[i, 0]:
            mask |= np.int64(1) << lay.leader_bit[side]
            _add_loss(st, b, lay.leader_row[side], packages[i], loss)
        for g in range(blocked.shape[1] - 1):
            if blocked[i, 1 + g]:
                mask |= np.int64(1) << lay.group_bit[start + g]
                _add_loss(st, b, lay.group_row[start + g], packages[i], loss)
        st.verdict_blockers[b, side] = mask
        st.verdict_failing[b, side] = _two_largest(loss)


@numba.njit(cache=True)
def summit_packages(lay: Any, st: Any, runs: Any) -> tuple[Any, Any]:
    """For each of ``runs`` whose talks end at the deadline within the summit's reach
    (the gap at most ``summit_max_gap``), the package the leaders are shown there (the
    midpoint of the last offers) and how far each side's bars are lowered, as
    :func:`deadline` makes them; the others' rows are unused (relax NaN)."""
    packages = np.zeros((runs.shape[0], lay.low.shape[1]))
    relax = np.full((runs.shape[0], 2), np.nan)
    for i in range(runs.shape[0]):
        b = runs[i]
        p = st.plan[b]
        if st.gap[b] > lay.summit_max_gap[p]:
            continue
        packages[i] = 0.5 * (st.offer[b, 0] + st.offer[b, 1])
        for side in range(2):
            relax[i, side] = lay.summit_flexibility[p] + lay.summit_reach[p, side]
    return packages, relax


@numba.njit(cache=True)
def set_texts(lay: Any, st: Any, runs: Any, goodwill: Any, texts: Any) -> None:
    """A vectorised mediation rule's goodwill and texts in ``runs`` (a text's row all
    NaN: none), each text clipped into the issues' bounds as the host's space clips."""
    for i in range(runs.shape[0]):
        b = runs[i]
        p = st.plan[b]
        st.goodwill[b] = goodwill[i]
        st.has_text[b] = not np.isnan(texts[i, 0])
        if st.has_text[b]:
            clip_into(texts[i], lay.low[p], lay.high[p], st.text[b])


@numba.njit(cache=True)
def first_accepts_text(lay: Any, st: Any, runs: Any, t_next: float) -> Any:
    """Whether the first side accepts the host's text in each of ``runs`` (a vectorised
    rule's verdict as stored; the compiled rule's made now, as the agreement phase will
    make it)."""
    out = np.zeros(runs.shape[0], np.bool_)
    for i in range(runs.shape[0]):
        out[i] = accepts(lay, st, runs[i], 0, st.text[runs[i]], t_next, True)
    return out
