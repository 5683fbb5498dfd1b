"""Behaviours written once for a whole batch of runs: the vectorised form.

A behaviour's per-run methods decide for one actor of one run. The lockstep engine
(:mod:`negotiation.lockstep`) plays a batch of runs at once and asks a vectorised
behaviour for all of them in one call, on arrays with one entry (row) per run: a
:class:`VectorisedOffer` for its delegation's targets (:class:`OfferRuns`), a
:class:`VectorisedLobbying` for its group's pressure (:class:`LobbyRuns`), a
:class:`VectorisedEscalation` for its leader's threats (:class:`LeaderRuns`), a
:class:`VectorisedAcceptance` for its delegation's verdicts (:class:`AcceptRuns`), a
:class:`VectorisedOpponent` for its delegation's beliefs (:class:`OpponentRuns`), a
:class:`VectorisedRatification` for its leader's verdicts (:class:`RatifyRuns`), a
:class:`VectorisedMediation` for its host's goodwill and texts (:class:`HostRuns`). The
instance
it asks has the behaviour's fields as arrays too, one value per run, because the runs
of a sweep's batch may come from different design points. The per-run model asks the
same method with a batch of one (the adapters ``target_utility``, ``pressure``,
``act``, ``accepts``, ``observe`` and ``ratify``), so one definition serves both
engines, which give the same runs bit for bit. A vectorised behaviour keeps no state
between calls: what it decides is a function of what it is shown. Both engines make
the instance they ask afresh for every call, so what a call writes into it is lost in
both alike, not kept by one.

A vectorised offer strategy bids on the estimated efficient frontier
(:func:`negotiation.behaviours.offer.efficient_bid`; Raiffa 1982, ch. 10), which the
lockstep engine runs compiled: it chooses *how much* to ask for, as Faratin, Sierra &
Jennings's (1998) tactics do, and the frontier decides *what*. A vectorised lobbying
rule's pressure accumulates as pull on the delegation's mandate, as every rule's does
(:mod:`negotiation.mandate`). A vectorised escalation rule changes the credibility of
its side's threats, as a leader's public threat or softening signal does (Schelling
1966), through :meth:`negotiation.agents.Leader.threaten`. A vectorised acceptance
rule decides, as Baarslag, Hindriks & Jonker's (2011) conditions do, from the own
utility of the package on the table, of the own next offer and of the reservation. A
vectorised opponent model learns the other side's ideal and issue weights from its
offers, as the frequency models of Genius do (van Krimpen, Looije & Hajizadeh 2013;
Baarslag, Hendrikx, Hindriks & Jonker 2016), the beliefs offers are bid against. A
vectorised ratification rule decides whether a leader signs, from the leader's own
utility of the package and each domestic group's margin over no deal and influence: the
win-set of Putnam's (1988) two-level game, with Iida's (1993) uncertain domestic mood.
A vectorised mediation rule sets the host's goodwill (a facilitator's effect on the
zone of agreement; Touval & Zartman 1985) and may table a text each round, judged by
both delegations like an offer (Raiffa 1982, ch. 14).

A behaviour written only in the per-run form runs in a sweep too: the lockstep engine
does not cover it, so each of its runs is played by the per-run model, at that model's
speed (see :func:`negotiation.lockstep.layout.coverage_problem`).
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from inspect import getattr_static
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import numpy.typing as npt

from negotiation.behaviours.interfaces import (
    AcceptanceStrategy,
    Escalation,
    Lobbying,
    Mediation,
    OfferStrategy,
    OpponentModel,
    Ratification,
    Verdict,
)
from negotiation.behaviours.offer import efficient_bid
from negotiation.behaviours.ratification import failing_issues
from negotiation.issues import Package

if TYPE_CHECKING:
    from negotiation.agents import Delegation, Host, InterestGroup, Leader
    from negotiation.view import TalksView

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OfferRuns:
    """What a vectorised offer strategy knows of each run of a batch, for one side, when
    it is asked for its target at negotiation time ``t``; every array has one entry per
    run, in the same order as the strategy's fields.

    ``t``, ``round`` and ``rounds`` are those of the per-run view (``view.t`` at the
    round's offer, ``view.t_next`` when acceptance asks for the next offer; ``rounds``
    before the deadline); ``reservation`` is the
    delegation's reservation (``me.reservation``); ``gap`` is the normalised gap between
    the latest offers (``view.gap()``, 1.0 before any); ``credibility`` is the own
    side's threat credibility and ``goodwill`` the host's goodwill.
    """

    t: float
    round: int
    rounds: int
    reservation: FloatArray
    gap: FloatArray
    credibility: FloatArray
    goodwill: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.reservation.shape[0])


class OverRuns:
    """What every vectorised behaviour has: an instance whose fields hold one value per
    run (what the lockstep engine asks), and the batch of one the per-run adapter asks."""

    @classmethod
    def over_runs(cls, columns: Mapping[str, npt.NDArray[Any]]) -> Self:
        """An instance whose fields are ``columns`` (one array per field, one value per
        run). The values were validated when each run's plan was made."""
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        if sorted(columns) != sorted(names):
            raise ValueError(f"{cls.__name__} takes the columns {names}, not {sorted(columns)}")
        batch = object.__new__(cls)
        for name in names:
            object.__setattr__(batch, name, columns[name])
        return batch

    @property
    def _as_batch_of_one(self) -> Self:
        """This run's behaviour as a batch of one, made afresh at every call, as the
        lockstep engine makes its batches: what a call writes into the instance or its
        fields is not seen by the next call, in either engine."""
        columns = self.__dict__.get("_columns_of_one")
        if columns is None:  # the fields as a batch of one, read once
            fields = dataclasses.fields(self)  # type: ignore[arg-type]
            columns = {f.name: np.array([getattr(self, f.name)]) for f in fields}
            self.__dict__["_columns_of_one"] = columns
        batch = object.__new__(type(self))
        for name, column in columns.items():
            object.__setattr__(batch, name, column.copy())
        return batch


@dataclass
class VectorisedOffer(OverRuns, OfferStrategy):
    """An offer strategy whose target is computed for a batch of runs at once.

    Subclasses are dataclasses like any behaviour (their fields are their parameters,
    validated by the registry) and implement :meth:`target_utilities` with numpy on
    arrays over the runs. They do not override ``target_utility``, ``bid`` or
    ``propose``: the lockstep engine would not see such an override.
    """

    @abstractmethod
    def target_utilities(self, runs: OfferRuns) -> FloatArray:
        """Each run's target (own utility, 0..1) at time ``runs.t``.

        Each field of ``self`` holds an array with one value per run (use
        ``np.where``, not ``if``); the result has one entry per run."""

    def target_utility(self, me: Delegation, view: TalksView, t: float) -> float:
        """The per-run target: :meth:`target_utilities` for a batch of this run alone."""
        assert me.side is not None
        runs = OfferRuns(
            t=t,
            round=view.round,
            rounds=view.rounds,
            reservation=np.array([me.reservation]),
            gap=np.array([view.gap()]),
            credibility=np.array([view.credibility(me.side)]),
            goodwill=np.array([view.goodwill]),
        )
        return float(targets_of(self._as_batch_of_one, runs)[0])

    def bid(self, me: Delegation, view: TalksView, target: float) -> Package:
        return efficient_bid(me, target)


def targets_of(strategy: VectorisedOffer, runs: OfferRuns) -> FloatArray:
    """``strategy.target_utilities(runs)``, checked: one finite number per run."""
    returned = strategy.target_utilities(runs)
    return _checked(returned, (runs.size,), strategy, "target_utilities", "target", "one per run")


def _checked(
    returned: Any, shape: tuple[int, ...], rule: object, method: str, unit: str, wanted: str
) -> FloatArray:
    """What ``rule.method`` returned, as floats, if it has ``shape`` and is finite; else
    an error that names the rule, the method and what it must return."""
    values = np.asarray(returned, dtype=float)
    name = f"{type(rule).__name__}.{method}"
    if values.shape != shape:
        raise ValueError(
            f"{name} returned shape {values.shape} for {shape[0]} runs: it must return {wanted}"
        )
    if not np.isfinite(values).all():
        raise ValueError(f"{name} returned a non-finite {unit}")
    return values


@dataclass(frozen=True)
class LobbyRuns:
    """What a vectorised lobbying rule knows of each run of a batch, for one group, when
    it is asked for this round's pressure; every array has one entry (row) per run.

    ``round`` and ``t`` are the per-run view's; ``urgency`` and ``influence`` are the
    group's (``me.urgency``, ``me.influence``), ``weights`` its issue weights
    (``me.weights``, one row per run), ``lobbying_rate`` the scenario's setting,
    ``credibility`` its side's threat credibility and ``gap`` the normalised gap between
    the latest offers (1.0 before any).
    """

    round: int
    t: float
    urgency: FloatArray
    influence: FloatArray
    weights: FloatArray
    lobbying_rate: FloatArray
    credibility: FloatArray
    gap: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.urgency.shape[0])


@dataclass
class VectorisedLobbying(OverRuns, Lobbying):
    """A lobbying rule whose pressure is computed for a batch of runs at once.

    Subclasses implement :meth:`pressures` with numpy on arrays over the runs and do not
    override ``pressure`` or ``pressure_all``: the lockstep engine would not see such an
    override."""

    @abstractmethod
    def pressures(self, runs: LobbyRuns) -> FloatArray:
        """Each run's pressure increment this round, one row of issues per run.

        Each field of ``self`` holds an array with one value per run."""

    def pressure(self, me: InterestGroup, view: TalksView) -> Package:
        """The per-run pressure: :meth:`pressures` for a batch of this run alone."""
        assert me.side is not None
        runs = LobbyRuns(
            round=view.round,
            t=view.t,
            urgency=np.array([me.urgency]),
            influence=np.array([me.influence]),
            weights=me.weights[None, :],
            lobbying_rate=np.array([view.settings.lobbying_rate]),
            credibility=np.array([view.credibility(me.side)]),
            gap=np.array([view.gap()]),
        )
        pressure: Package = pressures_of(self._as_batch_of_one, runs)[0]
        return pressure


def pressures_of(rule: VectorisedLobbying, runs: LobbyRuns) -> FloatArray:
    """``rule.pressures(runs)``, checked: one finite row of issues per run."""
    wanted = f"one row of {runs.weights.shape[1]} issues per run"
    return _checked(rule.pressures(runs), runs.weights.shape, rule, "pressures", "pressure", wanted)


def is_vectorised_lobbying(cls: type) -> bool:
    """Whether ``cls`` is a vectorised lobbying rule that the lockstep engine can run."""
    return _runs_as_written(cls, VectorisedLobbying, "pressure", "pressure_all")


@dataclass(frozen=True)
class LeaderRuns:
    """What a vectorised escalation rule knows of each run of a batch, for one leader,
    after the round's offers when no agreement was reached; every array has one entry
    (row) per run.

    ``round`` and ``t`` are the per-run view's; ``gaps`` is the gap between the
    delegations' offers in each round so far (``view.gap_history()``, one row of
    ``round`` values per run) and ``credibility`` the leader's side's threat
    credibility.
    """

    round: int
    t: float
    gaps: FloatArray
    credibility: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.credibility.shape[0])


@dataclass
class VectorisedEscalation(OverRuns, Escalation):
    """An escalation rule whose threats are decided for a batch of runs at once.

    Subclasses implement :meth:`changes` with numpy on arrays over the runs and do not
    override ``act``: the lockstep engine would not see such an override. A leader whose
    side threatens nothing does not act on a change, in either engine."""

    @abstractmethod
    def changes(self, runs: LeaderRuns) -> FloatArray:
        """Each run's change of its side's threat credibility this round (0 for none;
        the credibility stays within 0..1).

        Each field of ``self`` holds an array with one value per run."""

    def act(self, me: Leader, view: TalksView) -> None:
        """The per-run decision: :meth:`changes` for a batch of this run alone."""
        assert me.side is not None
        runs = LeaderRuns(
            round=view.round,
            t=view.t,
            gaps=np.array([view.gap_history()], dtype=float).reshape(1, -1),
            credibility=np.array([view.credibility(me.side)]),
        )
        change = float(changes_of(self._as_batch_of_one, runs)[0])
        if change != 0.0:
            me.threaten(change, "threat reaffirmed" if change > 0 else "threat softened")


def changes_of(rule: VectorisedEscalation, runs: LeaderRuns) -> FloatArray:
    """``rule.changes(runs)``, checked: one finite number per run."""
    return _checked(rule.changes(runs), (runs.size,), rule, "changes", "change", "one per run")


def is_vectorised_escalation(cls: type) -> bool:
    """Whether ``cls`` is a vectorised escalation rule that the lockstep engine can run."""
    return _runs_as_written(cls, VectorisedEscalation, "act")


@dataclass(frozen=True)
class AcceptRuns:
    """What a vectorised acceptance rule knows of each run of a batch, for one
    delegation, when the other side's offer is on the table; every array has one entry
    per run.

    ``t``, ``round`` and ``rounds`` are the per-run view's; ``offered`` is the own
    utility of the package on the table (``me.utility(package)``), ``next`` that of the
    delegation's own next offer (``me.utility(my_next)``, AC_next's yardstick) and
    ``reservation`` the delegation's reservation. A package below the reservation is
    refused before the rule is asked, in either engine.
    """

    t: float
    round: int
    rounds: int
    offered: FloatArray
    next: FloatArray
    reservation: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.offered.shape[0])


@dataclass
class VectorisedAcceptance(OverRuns, AcceptanceStrategy):
    """An acceptance rule whose verdicts are decided for a batch of runs at once.

    Subclasses implement :meth:`accepted` with numpy on arrays over the runs and do not
    override ``accepts``: the lockstep engine would not see such an override."""

    @abstractmethod
    def accepted(self, runs: AcceptRuns) -> npt.NDArray[np.bool_]:
        """Each run's verdict on the package on the table: true to accept.

        Each field of ``self`` holds an array with one value per run."""

    def accepts(self, me: Delegation, view: TalksView, package: Package, my_next: Package) -> bool:
        """The per-run verdict: :meth:`accepted` for a batch of this run alone."""
        runs = AcceptRuns(
            t=view.t,
            round=view.round,
            rounds=view.rounds,
            offered=np.array([me.utility(package)]),
            next=np.array([me.utility(my_next)]),
            reservation=np.array([me.reservation]),
        )
        return bool(verdicts_of(self._as_batch_of_one, runs)[0])


def verdicts_of(rule: VectorisedAcceptance, runs: AcceptRuns) -> npt.NDArray[np.bool_]:
    """``rule.accepted(runs)``, checked: one verdict per run."""
    returned = rule.accepted(runs)
    values = _checked(returned, (runs.size,), rule, "accepted", "verdict", "one per run")
    return values != 0.0


def is_vectorised_acceptance(cls: type) -> bool:
    """Whether ``cls`` is a vectorised acceptance rule that the lockstep engine can run."""
    return _runs_as_written(cls, VectorisedAcceptance, "accepts")


@dataclass(frozen=True)
class OpponentRuns:
    """What a vectorised opponent model knows of each run of a batch, for one
    delegation, once both sides have made this round's offers; every array has one
    entry (row) per run.

    ``round`` and ``t`` are the per-run view's; ``offer`` is the other side's offer just
    made, ``previous`` its offer of the round before (the offer itself when ``first``:
    the first offer seen), ``ideal`` and ``weights`` the model's current beliefs (at
    first the status quo and equal weights, as ``OpponentModel.start`` sets them) and
    ``span`` each issue's range (``view.space.span``, one row per run).
    """

    round: int
    t: float
    offer: FloatArray
    previous: FloatArray
    first: npt.NDArray[np.bool_]
    ideal: FloatArray
    weights: FloatArray
    span: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.offer.shape[0])


@dataclass
class VectorisedOpponent(OverRuns, OpponentModel):
    """An opponent model whose beliefs are updated for a batch of runs at once.

    Subclasses implement :meth:`beliefs` with numpy on arrays over the runs and do not
    override ``start`` or ``observe``: the lockstep engine would not see such an
    override. The beliefs are the state; the engines keep them (and the previous offer)
    and show them at each call, so the rule itself keeps none."""

    @abstractmethod
    def beliefs(self, runs: OpponentRuns) -> tuple[FloatArray, FloatArray]:
        """Each run's new beliefs after seeing ``runs.offer``: the other side's ideal
        and its issue weights (summing to 1), one row of issues per run each.

        Each field of ``self`` holds an array with one value per run."""

    def start(self, me: Delegation, view: TalksView) -> None:
        super().start(me, view)
        self._previous: Package | None = None

    def observe(self, me: Delegation, view: TalksView, offer: Package) -> None:
        """The per-run update: :meth:`beliefs` for a batch of this run alone."""
        first = self._previous is None
        runs = OpponentRuns(
            round=view.round,
            t=view.t,
            offer=np.array([offer], dtype=float),
            previous=np.array([offer if first else self._previous], dtype=float),
            first=np.array([first]),
            ideal=np.array([self.ideal], dtype=float),
            weights=np.array([self.weights], dtype=float),
            span=np.array([view.space.span], dtype=float),
        )
        ideal, weights = beliefs_of(self._as_batch_of_one, runs)
        self.ideal, self.weights = ideal[0], weights[0]
        self._previous = np.array(offer, dtype=float)


def beliefs_of(model: VectorisedOpponent, runs: OpponentRuns) -> tuple[FloatArray, FloatArray]:
    """``model.beliefs(runs)``, checked: a finite ideal and finite weights, one row of
    issues per run each."""
    returned = model.beliefs(runs)
    wanted = f"(ideal, weights), one row of {runs.offer.shape[1]} issues per run each"
    if not isinstance(returned, tuple) or len(returned) != 2:
        raise ValueError(f"{type(model).__name__}.beliefs must return {wanted}")
    ideal, weights = returned
    shape = runs.offer.shape
    return (
        _checked(ideal, shape, model, "beliefs", "ideal", wanted),
        _checked(weights, shape, model, "beliefs", "weight", wanted),
    )


def is_vectorised_opponent(cls: type) -> bool:
    """Whether ``cls`` is a vectorised opponent model that the lockstep engine can run."""
    return _runs_as_written(cls, VectorisedOpponent, "start", "observe")


def is_vectorised_offer(cls: type) -> bool:
    """Whether ``cls`` is a vectorised offer strategy that the lockstep engine can run:
    it leaves the per-run adapter, the bid and the proposal as they are."""
    return _runs_as_written(cls, VectorisedOffer, "target_utility", "bid", "propose")


def _runs_as_written(cls: type, base: type, *adapters: str) -> bool:
    """Whether ``cls`` is a subclass of the vectorised ``base`` that leaves its per-run
    ``adapters`` as ``base`` has them: the lockstep engine would not see an override."""
    return (
        isinstance(cls, type)
        and issubclass(cls, base)
        and all(getattr_static(cls, name) is getattr_static(base, name) for name in adapters)
    )


@dataclass(frozen=True)
class RatifyRuns:
    """What a vectorised ratification rule knows of each run of a batch, for one
    leader, when a package is put to it; every array has one entry (row) per run.

    ``round`` and ``t`` are the per-run view's. ``package`` is the package (one row of
    issues per run); ``relax`` how far the leader's bars are lowered (0, and at the
    summit ``summit_flexibility`` plus the leader's ``summit_reach``);
    ``leader_utility`` and ``leader_reservation`` the leader's utility of it and
    reservation (``me.reservation``); ``margins`` each of its side's groups' utility of
    the package less that of the perceived no deal, one column per group in the
    model's order (``model.groups_of[side]``), and ``influence`` their influence;
    ``threshold`` and ``noise`` the scenario's ``ratification_threshold`` and
    ``ratification_noise``; ``mood`` the leader's domestic mood (``me.domestic_mood``:
    0, its expected value, when the delegations foresee the verdict). The package is
    shown read-only, in either engine.
    """

    round: int
    t: float
    package: FloatArray
    relax: FloatArray
    leader_utility: FloatArray
    leader_reservation: FloatArray
    margins: FloatArray
    influence: FloatArray
    threshold: FloatArray
    noise: FloatArray
    mood: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.relax.shape[0])


Ratified = tuple[npt.NDArray[np.bool_], FloatArray, npt.NDArray[np.bool_]]


@dataclass
class VectorisedRatification(OverRuns, Ratification):
    """A ratification rule whose verdicts are decided for a batch of runs at once.

    Subclasses implement :meth:`verdicts` with numpy on arrays over the runs and do not
    override ``ratify``: the lockstep engine would not see such an override. The issues
    a rejection feeds back to the delegation are those where the blockers lose most,
    as the win-set names them (:func:`~negotiation.behaviours.ratification.
    failing_issues`)."""

    @abstractmethod
    def verdicts(self, runs: RatifyRuns) -> Ratified:
        """Each run's verdict on its package: whether the leader ratifies it, the
        approval at home (a share, 0..1, for display) and who blocks it (one row per
        run: the leader, then each of the side's groups; read only where the package
        is rejected).

        Each field of ``self`` holds an array with one value per run."""

    def ratify(self, me: Leader, view: TalksView, package: Package, relax: float = 0.0) -> Verdict:
        """The per-run verdict: :meth:`verdicts` for a batch of this run alone."""
        model, settings = me.model, view.settings
        assert me.side is not None
        groups = model.groups_of[me.side]
        rows = np.array([g.row for g in groups], dtype=np.intp)
        utilities = model.prefs.utility(package)
        shown = np.array([package], dtype=float)
        shown.flags.writeable = False  # as the lockstep engine shows it
        runs = RatifyRuns(
            round=view.round,
            t=view.t,
            package=shown,
            relax=np.array([relax], dtype=float),
            leader_utility=np.array([utilities[me.row]]),
            leader_reservation=np.array([me.reservation]),
            margins=(utilities[rows] - model.prefs.utility(view.no_deal())[rows])[None, :],
            influence=np.array([[g.influence for g in groups]], dtype=float),
            threshold=np.array([settings.ratification_threshold]),
            noise=np.array([settings.ratification_noise]),
            mood=np.array([me.domestic_mood]),
        )
        ratified, approval, blocked = ratifications_of(self._as_batch_of_one, runs)
        if ratified[0]:
            return Verdict(True, approval=float(approval[0]), reason="ratified")
        blockers = [(me.label, me.row)] if blocked[0, 0] else []
        blockers += [(g.label, g.row) for g, no in zip(groups, blocked[0, 1:], strict=True) if no]
        labels = tuple(label for label, _ in blockers)
        failing = failing_issues(model.prefs, [row for _, row in blockers], package)
        reason = f"{me.label} rejects: {', '.join(labels) or 'no one named'}"
        return Verdict(False, labels, failing, float(approval[0]), reason)


def ratifications_of(rule: VectorisedRatification, runs: RatifyRuns) -> Ratified:
    """``rule.verdicts(runs)``, checked: a verdict, a finite approval and a row of
    blockers (the leader and each group) per run."""
    returned = rule.verdicts(runs)
    n, groups = runs.size, runs.margins.shape[1]
    wanted = (
        f"(ratified, approval, blocked): one verdict and one approval per run, and one row "
        f"of {1 + groups} blockers (the leader, then each group) per run"
    )
    if not isinstance(returned, tuple) or len(returned) != 3:
        raise ValueError(f"{type(rule).__name__}.verdicts must return {wanted}")
    ratified, approval, blocked = returned
    return (
        _checked(ratified, (n,), rule, "verdicts", "verdict", wanted) != 0.0,
        _checked(approval, (n,), rule, "verdicts", "approval", wanted),
        _checked(blocked, (n, 1 + groups), rule, "verdicts", "blocker", wanted) != 0.0,
    )


def is_vectorised_ratification(cls: type) -> bool:
    """Whether ``cls`` is a vectorised ratification rule that the lockstep engine can run."""
    return _runs_as_written(cls, VectorisedRatification, "ratify")


@dataclass(frozen=True)
class HostRuns:
    """What a vectorised mediation rule knows of each run of a batch when the host acts,
    after the lobbying and before the round's offers; every array has one entry (row)
    per run.

    ``round`` and ``t`` are the per-run view's; ``offers`` the delegations' latest
    offers (one row of issues per side, in the order of the sides; NaN before any, so
    in the first round), ``gap`` the normalised gap between them (1.0 before any) and
    ``goodwill`` the talks' goodwill (``view.goodwill``, events' included).
    """

    round: int
    t: float
    offers: FloatArray
    gap: FloatArray
    goodwill: FloatArray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.gap.shape[0])


@dataclass
class VectorisedMediation(OverRuns, Mediation):
    """A mediation rule whose goodwill and texts are decided for a batch of runs at once.

    Subclasses implement :meth:`mediate` with numpy on arrays over the runs and do not
    override ``act``: the lockstep engine would not see such an override. A text is
    clipped into the issues' bounds and judged by both delegations like an offer; it is
    the agreement when both accept it and its joint gain is the greatest (the offers'
    come first among equals)."""

    @abstractmethod
    def mediate(self, runs: HostRuns) -> tuple[FloatArray, FloatArray]:
        """Each run's goodwill after the host acts (the convenor adds a little, up to a
        cap) and its text this round: one row of issues per run, all NaN for none.

        Each field of ``self`` holds an array with one value per run."""

    def act(self, me: Host, view: TalksView) -> Package | None:
        """The per-run decision: :meth:`mediate` for a batch of this run alone."""
        last = [view.last_offer(side) for side in view.sides]
        none = np.full(len(view.space), np.nan)
        runs = HostRuns(
            round=view.round,
            t=view.t,
            offers=np.array([[none if o is None else o for o in last]], dtype=float),
            gap=np.array([view.gap()]),
            goodwill=np.array([view.goodwill]),
        )
        goodwill, texts = mediations_of(self._as_batch_of_one, runs)
        me.set_goodwill(float(goodwill[0]))
        return None if np.isnan(texts[0, 0]) else texts[0]


def mediations_of(rule: VectorisedMediation, runs: HostRuns) -> tuple[FloatArray, FloatArray]:
    """``rule.mediate(runs)``, checked: a finite goodwill per run and a text per run,
    finite or all NaN (none)."""
    returned = rule.mediate(runs)
    issues = runs.offers.shape[2]
    wanted = f"(goodwill, texts): one goodwill per run and one row of {issues} issues per run"
    if not isinstance(returned, tuple) or len(returned) != 2:
        raise ValueError(f"{type(rule).__name__}.mediate must return {wanted}")
    goodwill = _checked(returned[0], (runs.size,), rule, "mediate", "goodwill", wanted)
    texts = np.asarray(returned[1], dtype=float)
    name = f"{type(rule).__name__}.mediate"
    if texts.shape != (runs.size, issues):
        raise ValueError(f"{name} returned texts of shape {texts.shape}: it must return {wanted}")
    missing = np.isnan(texts)
    if (missing.any(axis=1) & ~missing.all(axis=1)).any() or np.isinf(texts).any():
        raise ValueError(f"{name} returned a text that is neither finite nor all NaN (none)")
    return goodwill, texts


def is_vectorised_mediation(cls: type) -> bool:
    """Whether ``cls`` is a vectorised mediation rule that the lockstep engine can run."""
    return _runs_as_written(cls, VectorisedMediation, "act")
