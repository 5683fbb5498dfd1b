"""The trade-talks model: one run of one scenario, round by round, to the summit.

Round protocol (one Mesa step = one round of the calendar):

1. dated events and random shocks due before the round fire (Mesa event scheduling);
2. interest groups lobby, shifting their delegation's mandate;
3. the host acts (convenes and adds goodwill, or tables a single negotiating text);
4. both delegations propose at once, then update their opponent models;
5. a package both delegations accept (the other's offer, or the host's text) goes to
   both leaders; ratified by both = truce and the run ends; a veto feeds the failing
   issues back to the vetoing side's delegation, and talks go on;
6. leaders may escalate or soften threats;
7. after the last round, the deadline: no truce before the summit. The summit may still
   close a gap small enough for the leaders (reported separately as a summit deal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from negotiation import streams
from negotiation.agents import Delegation, Host, InterestGroup, Leader
from negotiation.behaviours.interfaces import Verdict
from negotiation.calendar import Calendar
from negotiation.events import ScheduledEvent, TimelineEntry, schedule_all
from negotiation.issues import Package
from negotiation.outcome import Outcome, build_outcome
from negotiation.plan import BehaviourTable, Plan, plan_for
from negotiation.preferences import Matrix, Preferences
from negotiation.scenario import EffectSpec, Scenario, load_scenario
from negotiation.streams import Stream
from negotiation.threats import perceived_no_deal
from negotiation.view import TalksView

DEFAULT_SCENARIO = "kuala-lumpur-2025"


class TradeTalksModel(mesa.Model):
    """US–China trade talks as a two-level game with a host, to a summit deadline.

    ``scenario`` is a :class:`Scenario` or the name/path of one; ``rng`` seeds every
    random draw (see :mod:`negotiation.streams`: a run's draws depend on its seed alone):
    an integer from 0 to 2**64 - 1, recorded in the outcome; ``None`` for a fresh one,
    recorded too; or a numpy ``SeedSequence`` or ``Generator``, from which the run's key
    is drawn (such a run is not recorded with a seed). Keyword arguments set the
    scenario's named parameters. With
    ``collect=False`` no per-round trajectories are kept (what sweeps want).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = DEFAULT_SCENARIO,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        *,
        collect: bool = True,
        **params: Any,
    ) -> None:
        # One 64-bit key decides every draw of the run (negotiation.streams); a fresh one
        # when none is given, recorded so that the run can be repeated.
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        elif not isinstance(rng, np.random.SeedSequence | np.random.Generator):
            rng = streams.seed_key(rng)  # a plain int for Mesa; bad seeds are refused here
        super().__init__(rng=rng)
        self.stream_key: int = _stream_key(rng, self.rng)
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.plan: Plan = plan_for(base, params)
        self.spec: Scenario = self.plan.scenario
        self.params: dict[str, Any] = dict(self.plan.values)  # what runs, not what was asked
        self.seed = rng if isinstance(rng, int | np.integer) else None
        self.space = self.spec.space
        self.sides: tuple[str, str] = self.spec.sides
        self.calendar: Calendar = self.plan.calendar
        # (actor key, behaviour field) -> (class, validated parameters), for every run
        self.behaviour_specs: BehaviourTable = self.plan.behaviours
        self.view = TalksView(self)

        self.credibility: dict[str, float] = dict.fromkeys(
            self.sides, self.spec.settings.threat_credibility
        )
        self.peak_credibility: dict[str, float] = dict(self.credibility)
        self.goodwill = 0.0
        self.version = 0  # bumped whenever preferences or the no-deal package change
        self.offers: dict[str, list[Package]] = {side: [] for side in self.sides}
        self.text: Package | None = None
        self.gap = 1.0
        self.gaps: list[float] = []
        self.timeline: list[TimelineEntry] = []
        self.vetoes: list[tuple[int, str, tuple[str, ...]]] = []
        self.agreement: Package | None = None
        self.agreement_source: str | None = None
        self.agreement_round: int | None = None
        self.framework: Package | None = None  # agreed, awaiting the leaders at the summit
        self.framework_round: int | None = None
        self.summit_package: Package | None = None
        self.ended_reason = ""

        self._build_actors()
        self._draw_resolve()
        self.no_deal_perceived = self._perceived_no_deal()
        for delegation in self.delegations.values():
            delegation.opponent.start(delegation, self.view)
        self._events: list[ScheduledEvent] = schedule_all(self)
        self.collect = collect
        self.datacollector: mesa.DataCollector | None = None
        if collect:
            from negotiation.trajectories import make_datacollector

            self.datacollector = make_datacollector(self)
        self.outcome: Outcome | None = None

    # --- construction -------------------------------------------------------------------
    def _build_actors(self) -> None:
        spec, plan = self.spec, self.plan
        people, rows = plan.people, plan.rows
        base = plan.preferences
        self.prefs: Preferences = base.copy()
        self.read_only_prefs: tuple[Matrix, ...] = _read_only_views(self.prefs)
        self.groups_of: dict[str, list[InterestGroup]] = {side: [] for side in self.sides}
        self.delegations: dict[str, Delegation] = {}
        self.leaders: dict[str, Leader] = {}
        self.host: Host | None = None
        self.actors_by_key: dict[str, Any] = {}
        for a in spec.actors:
            if a.kind == "group":
                group = InterestGroup(self, a, rows[a.key])
                self.groups_of[a.side].append(group)  # type: ignore[index]
                self.actors_by_key[a.key] = group
        delegation_specs = {str(a.side): a for a in spec.actors if a.kind == "delegation"}
        self.mandates = plan.mandates.fresh(self.prefs)
        for i, side in enumerate(self.sides):
            a = delegation_specs[side]
            d = Delegation(self, a, rows[a.key], i)
            d.group_index = {g.key: j for j, g in enumerate(self.groups_of[side])}
            self.delegations[side] = d
            self.actors_by_key[a.key] = d
        for a in spec.actors:
            if a.kind == "leader":
                assert a.side is not None
                self.leaders[a.side] = Leader(self, a, rows[a.key])
                self.actors_by_key[a.key] = self.leaders[a.side]
            elif a.kind == "host":
                self.host = Host(self, a)
                self.actors_by_key[a.key] = self.host
        self.groups: list[InterestGroup] = [g for side in self.sides for g in self.groups_of[side]]
        self.row_keys: list[str] = [a.key for a in people]
        self.display_order: list[int] = [rows[a.key] for a in spec.actors if a.kind != "host"]
        self._lobbies = self._lobbying_batches()

    def _lobbying_batches(self) -> list[tuple[Any, ...]]:
        """Groups that share a lobbying class lobby together, in one vectorised call."""
        batches: list[tuple[Any, ...]] = []
        by_class: dict[type, list[tuple[int, InterestGroup]]] = {}
        for i, (side, groups) in enumerate(self.groups_of.items()):
            offset = self.mandates.block(i).start
            for g in groups:
                position = offset + self.delegations[side].group_index[g.key]
                by_class.setdefault(type(g.lobbying), []).append((position, g))
        for cls, members in by_class.items():
            positions = [position for position, _ in members]
            groups_ = [g for _, g in members]
            run = range(positions[0], positions[0] + len(positions))
            index = (  # a slice is cheaper to add to, every round
                slice(run.start, run.stop)
                if positions == list(run)
                else np.array(positions, dtype=np.intp)
            )
            batches.append((cls, [g.lobbying for g in groups_], groups_, index))
        return batches

    def _draw_resolve(self) -> None:
        """Private resolve: each delegation's and leader's reservation shift gets a draw.

        Analysts cannot observe how far each government will really go; the spread of
        that uncertainty is ``settings.resolve_noise`` (standard deviation, utility).
        """
        sd, key, n = self.spec.settings.resolve_noise, self.stream_key, len(self.sides)
        if sd > 0:
            own = streams.normal(key, Stream.DELEGATION_RESOLVE, n)
            principal = streams.normal(key, Stream.LEADER_RESOLVE, n)
            for i, side in enumerate(self.sides):
                self.delegations[side].reservation_shift += sd * own[i]
                self.leaders[side].reservation_shift += sd * principal[i]
        scale = self.spec.settings.ratification_noise
        if scale > 0:  # the domestic mood at ratification (Iida 1993), unknown in advance
            moods = streams.logistic(key, Stream.DOMESTIC_MOOD, n)
            for side, mood in zip(self.sides, moods, strict=True):
                self.leaders[side].domestic_mood = scale * mood

    def _perceived_no_deal(self) -> Package:
        """No-deal package as expected: threatened values weighted by their credibility."""
        threats = {side: leader.threat_issues for side, leader in self.leaders.items()}
        return perceived_no_deal(self.space, threats, self.credibility)

    def set_preferences(self, row: int | None, ideal: Package, weight: Package) -> None:
        """Replace one actor's preference row (a delegation's mandate after lobbying)."""
        assert row is not None
        self.prefs.set_row(row, ideal, weight, self.space)
        self.version += 1

    def update_mandates(self) -> None:
        """Bring both delegations' mandates up to date with the lobbying received."""
        if self.mandates.update():
            self.version += 1  # reservations depend on the mandate

    # --- effects of events --------------------------------------------------------------
    def record(self, kind: str, label: str) -> None:
        number = min(max(self.steps + (0 if self.time == self.steps else 1), 1), len(self.calendar))
        self.timeline.append(TimelineEntry(number, self.calendar.round(number).at, kind, label))

    def apply_effects(self, effects: EffectSpec, label: str, kind: str) -> None:
        """Apply an event's effects and put it on the timeline."""
        for side, shift in effects.reservation.items():
            self.delegations[side].reservation_shift += shift
        for key, amount in effects.mobilise.items():
            self.actors_by_key[key].mobilise(amount)
        if effects.goodwill:
            self.goodwill = min(max(self.goodwill + effects.goodwill, -0.2), 0.2)
        self.record(kind, label)
        if effects.status_quo:
            self.carry_out(effects.status_quo)
        for side, change in effects.credibility.items():
            self.shift_credibility(side, change, None)

    def carry_out(self, values: dict[str, float]) -> None:
        """A dated threat takes effect unless a deal (or a framework) is agreed: the
        issues' status quo becomes ``values``. The reference point of every actor's gains
        and losses moves with it (Kahneman & Tversky 1979) unless the issue declares a
        reference of its own (an expectation; Koszegi & Rabin 2006), and so does the no-deal
        package as expected: a threat carried out is no longer uncertain."""
        shown = ", ".join(f"{k} = {v:g}" for k, v in values.items())
        if self.framework is not None or self.agreement is not None:
            self.record("signal", f"Suspended, a framework being agreed: {shown}")
            return
        self.space = self.space.with_status_quo(values)
        self.prefs.reference = self.space.reference
        if self.prefs.extra:
            self.prefs.ref_dist[:] = np.abs(self.prefs.reference - self.prefs.ideal)
        self.no_deal_perceived = self._perceived_no_deal()
        self.version += 1
        self.record("threat", f"In force from now: {shown}")

    def shift_credibility(self, side: str, change: float, label: str | None) -> None:
        self.credibility[side] = min(max(self.credibility[side] + change, 0.0), 1.0)
        self.peak_credibility[side] = max(self.peak_credibility[side], self.credibility[side])
        self.no_deal_perceived = self._perceived_no_deal()
        self.version += 1
        if label is not None:
            self.record("threat" if change > 0 else "signal", label)

    # --- the round ----------------------------------------------------------------------
    def step(self) -> None:
        """Play one round (see the module docstring for the protocol)."""
        if not self.running:
            return
        if self.framework is not None:
            self._await_summit()
            return
        view = self.view
        for cls, behaviours, groups, index in self._lobbies:
            self.mandates.add(index, cls.pressure_all(behaviours, groups, view))
        self.update_mandates()
        self.text = self.host.act() if self.host is not None else None
        first, second = self.sides
        us, china = self.delegations[first], self.delegations[second]
        offer_us, offer_china = us.propose(), china.propose()
        self.offers[first].append(offer_us)
        self.offers[second].append(offer_china)
        self.gap = self.space.normalised_gap(offer_us, offer_china)
        self.gaps.append(self.gap)
        us.observe(offer_china)
        china.observe(offer_us)
        self._try_agreement(offer_us, offer_china)
        if self.framework is not None:
            if self.steps >= len(self.calendar):
                self._endorse()
        elif self.running:
            self.agents_by_type[Leader].do("escalate")
            if self.steps >= len(self.calendar):
                self._deadline()
        self._close_round()

    def _close_round(self) -> None:
        """The record once the run has ended (before the last collect), and the round's
        trajectories."""
        if not self.running:
            self.outcome = build_outcome(self)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def _try_agreement(self, offer_us: Package, offer_china: Package) -> None:
        first, second = self.sides
        us, china = self.delegations[first], self.delegations[second]
        candidates: list[tuple[str, Package]] = []
        if us.accepts(offer_china) and china.expects_ratified(offer_china):
            candidates.append((f"{second}'s offer", offer_china))
        if china.accepts(offer_us) and us.expects_ratified(offer_us):
            candidates.append((f"{first} offer", offer_us))
        if self.text is not None and us.accepts(self.text) and china.accepts(self.text):
            candidates.append(("host's text", self.text))
        if not candidates:
            return
        source, package = max(candidates, key=lambda c: self.joint_gain(c[1]))
        if self.spec.settings.focal_drafting:
            package = self.draft(package)
        self.record("agreement", f"Delegations agree on {source}")
        endorsement = self.spec.settings.summit_endorsement
        verdicts = {
            # A framework is put to the leaders before the domestic mood of the summit is
            # known: they are consulted at its expected value and decide at the summit.
            side: leader.expected_verdict(package) if endorsement else leader.ratify(package)
            for side, leader in self.leaders.items()
        }
        if all(v.ratified for v in verdicts.values()):
            self.agreement_source, self.agreement_round = source, self.steps
            if endorsement:
                self.framework, self.framework_round = package, self.steps
                self.record("framework", "Framework agreed; the leaders are to endorse it")
                return
            self.agreement = package
            self.ended_reason = "truce"
            self.record("truce", "Truce ratified by both leaders")
            self.running = False
            return
        for side, verdict in self._vetoes(verdicts, ""):
            self.delegations[side].harden(verdict.failing_issues, package)

    def _vetoes(self, verdicts: dict[str, Verdict], where: str) -> list[tuple[str, Verdict]]:
        """Record every rejection among ``verdicts`` (on the timeline, prefixed by
        ``where``) and return them."""
        rejected = [(side, v) for side, v in verdicts.items() if not v.ratified]
        for side, verdict in rejected:
            self.vetoes.append((self.steps, side, verdict.blocked_by))
            self.record("veto", f"{where}{verdict.reason}")
        return rejected

    def _await_summit(self) -> None:
        """A round after the framework: talks have stopped while events still happen; at
        the summit the leaders endorse the framework or reject it."""
        if self.steps >= len(self.calendar):
            self._endorse()
        self._close_round()

    def _endorse(self) -> None:
        assert self.framework is not None
        self.running = False
        verdicts = {side: leader.ratify(self.framework) for side, leader in self.leaders.items()}
        if all(v.ratified for v in verdicts.values()):
            self.agreement = self.framework
            self.ended_reason = "truce"
            self.record("truce", "The leaders endorse the framework at the summit")
            return
        self.ended_reason = "framework rejected"
        self.agreement_round = None
        self._vetoes(verdicts, "At the summit: ")

    def draft(self, package: Package) -> Package:
        """The agreed package as drafted: each issue moved to its nearest focal value
        (Schelling 1960) when both delegations still accept the result; issues in
        decreasing order of how far the value is from its focal point, so the roughest
        numbers are rounded first."""
        delegations = [self.delegations[side] for side in self.sides]
        drafted = package.copy()
        moves = [
            (abs(issue.nearest_focal(float(package[i])) - package[i]) / issue.span, i)
            for i, issue in enumerate(self.space)
            if issue.focal
        ]
        for distance, i in sorted(moves, reverse=True):
            if distance == 0:
                continue
            trial = drafted.copy()
            trial[i] = self.space.issues[i].nearest_focal(float(package[i]))
            if all(d.would_sign(trial) for d in delegations):
                drafted = trial
        return drafted

    def joint_gain(self, package: Package) -> float:
        """Nash product of the delegations' gains over their reservations."""
        us, china = (self.delegations[side] for side in self.sides)
        return (us.utility(package) - us.reservation) * (china.utility(package) - china.reservation)

    def _deadline(self) -> None:
        """No truce before the summit; can the leaders close the remaining gap there?"""
        self.running = False
        self.ended_reason = "deadline"
        us_offer, china_offer = (self.offers[side][-1] for side in self.sides)
        settings = self.spec.settings
        if self.gap > settings.summit_max_gap:
            return
        package = 0.5 * (us_offer + china_offer)
        verdicts = [
            leader.ratify(package, relax=settings.summit_flexibility + leader.summit_reach)
            for leader in self.leaders.values()
        ]
        if all(v.ratified for v in verdicts):
            self.summit_package = package

    def run(self) -> Outcome:
        """Play every round until a truce or the deadline; return the outcome record."""
        while self.running:
            self.step()
        assert self.outcome is not None
        return self.outcome


def _read_only_views(prefs: Preferences) -> tuple[Matrix, ...]:
    """Read-only views of the arrays of ``prefs`` that change in place during a run
    (``ideal``, ``weight``, ``slope``, ``ref_dist``, ``scale``): their rows are the
    actors' always-current views of their own preferences, which behaviours cannot
    change by accident."""
    views = []
    for array in (prefs.ideal, prefs.weight, prefs.slope, prefs.ref_dist, prefs.scale):
        view = array.view()
        view.flags.writeable = False
        views.append(view)
    return tuple(views)


def _stream_key(rng: int | np.random.SeedSequence | np.random.Generator, mesa_rng: Any) -> int:
    """The 64-bit key of a run's draws: the seed itself, or a word drawn from the seed
    sequence or generator given instead."""
    if isinstance(rng, int):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0])
    return int(mesa_rng.integers(0, 2**63))


def run_once(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO,
    seed: int | np.random.SeedSequence | None = None,
    params: dict[str, Any] | None = None,
    *,
    collect: bool = False,
) -> Outcome:
    """The unit of work of every sweep: (scenario, parameters, seed) -> outcome record."""
    return TradeTalksModel(scenario, rng=seed, collect=collect, **(params or {})).run()
