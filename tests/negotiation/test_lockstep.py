"""The lockstep engine: many seeded runs of one plan in one Mesa model, each the same
run as the per-run model's for its seed, whatever batch it is in."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from typing import Any

import numpy as np
import pytest

from negotiation.lockstep.columns import outcome_columns, outcome_rows
from negotiation.lockstep.layout import NotCovered, coverage_problem
from negotiation.lockstep.model import LockstepTalks
from negotiation.model import run_once
from negotiation.plan import plan_for
from negotiation.scenario import Scenario, load_scenario
from tests.negotiation.variants import behaviour, variant

FLAGSHIP = "kuala-lumpur-2025"
RARE_EARTHS = "rare_earth_controls_suspension_months"
SOYBEANS = "soybean_purchases_mmt"
SCENARIOS = sorted(
    p.name.removesuffix(".toml")
    for p in resources.files("negotiation.scenarios").iterdir()
    if p.name.endswith(".toml")
)
COVERED = [
    name for name in SCENARIOS if coverage_problem(plan_for(load_scenario(name), {})) is None
]


def columns_of(scenario: str, seeds: Any, **params: Any) -> dict[str, np.ndarray]:
    model = LockstepTalks(scenario, seeds, **params)
    model.run()
    return outcome_columns(model)


def test_every_built_in_scenario_is_covered() -> None:
    assert COVERED == SCENARIOS


@pytest.mark.parametrize("scenario", COVERED)
def test_every_record_is_the_per_run_record(scenario: str) -> None:
    """Run for run and field for field (values, types and order), the batch's records
    are those of ``run_once``."""
    seeds = [int(s) for s in np.arange(30) * 7919 + 11]
    model = LockstepTalks(scenario, seeds)
    model.run()
    for seed, row in zip(seeds, outcome_rows(model), strict=True):
        expected = run_once(scenario, seed).to_row()
        assert list(row) == list(expected)
        for name, value in expected.items():
            assert row[name] == value and type(row[name]) is type(value), (seed, name)


@pytest.mark.parametrize(
    "params",
    [
        {"threat_credibility": 0.9, "lobbying_rate": 0.08, "focal_drafting": False},
        {"summit_endorsement": False, "ratification_noise": 0.0, "us_escalation": "restraint"},
        {"issue_curvature": 1.0, "loss_aversion": 1.0, "hawk_influence": 3.0, "shock_scale": 4.0},
    ],
)
def test_the_flagship_with_parameters_is_the_per_run_record(params: dict[str, Any]) -> None:
    seeds = list(range(40))
    model = LockstepTalks(FLAGSHIP, seeds, **params)
    model.run()
    assert outcome_rows(model) == [run_once(FLAGSHIP, s, params).to_row() for s in seeds]


def test_the_columns_are_the_records() -> None:
    model = LockstepTalks(FLAGSHIP, range(25))
    model.run()
    columns, rows = outcome_columns(model), outcome_rows(model)
    for name, column in columns.items():
        assert [-1 if name == "round" and r[name] is None else r[name] for r in rows] == [
            list(v) if name == "vetoed_by" else v for v in column.tolist()
        ], name


def test_a_run_does_not_depend_on_its_batch() -> None:
    """Bitwise the same columns for batches of 1, 7 and 300, shuffled or not."""
    seeds = np.arange(300, dtype=np.uint64) * 1_000_003 + 5
    whole = columns_of(FLAGSHIP, seeds)
    order = np.random.default_rng(3).permutation(len(seeds))
    shuffled = columns_of(FLAGSHIP, seeds[order])
    sevens = [columns_of(FLAGSHIP, seeds[i : i + 7]) for i in range(0, 21, 7)]
    ones = [columns_of(FLAGSHIP, seeds[i : i + 1]) for i in (0, 150, 299)]
    for name, column in whole.items():
        if column.dtype == object:
            assert list(shuffled[name]) == list(column[order]), name
            continue
        np.testing.assert_array_equal(shuffled[name], column[order], err_msg=name)
        sevens_joined = np.concatenate([part[name] for part in sevens])
        np.testing.assert_array_equal(sevens_joined, column[:21], err_msg=name)
        for part, i in zip(ones, (0, 150, 299), strict=True):
            np.testing.assert_array_equal(part[name], column[i : i + 1], err_msg=name)


def test_runs_end_independently() -> None:
    model = LockstepTalks(FLAGSHIP, np.arange(200))
    model.run()
    played = model.state.rounds_played
    assert not model.running and not model.state.running.any()
    assert played.min() >= 1 and played.max() == len(model.plan.calendar)


def test_what_is_not_covered_is_named() -> None:
    with pytest.raises(NotCovered, match="offer behaviour Boulware"):
        LockstepTalks(FLAGSHIP, [1], us_offer_strategy="boulware")
    with pytest.raises(NotCovered, match="winset_anticipation"):
        LockstepTalks(FLAGSHIP, [1], winset_anticipation=True)
    with pytest.raises(NotCovered, match="issue_curvature 3"):
        LockstepTalks(FLAGSHIP, [1], issue_curvature=3.0)
    unknown = _xi_with_red_lines(at_least={"tarrif": 10})
    with pytest.raises(NotCovered, match="a red line on an issue the scenario does not have"):
        LockstepTalks(unknown, [1])


@pytest.mark.parametrize(
    "settings", [{}, {"summit_endorsement": False, "focal_drafting": False, "issue_curvature": 1.0}]
)
def test_a_host_that_splits_the_difference_is_the_per_run_record(settings: dict[str, Any]) -> None:
    """Its text is the third candidate, chosen in many runs."""
    params = {"host_behaviour": "split-the-difference", **settings}
    seeds = list(range(60))
    model = LockstepTalks(FLAGSHIP, seeds, **params)
    model.run()
    rows = outcome_rows(model)
    assert rows == [run_once(FLAGSHIP, s, params).to_row() for s in seeds]
    assert sum(row["package_source"] == "host's text" for row in rows) >= len(seeds) // 4


def test_hosts_texts_and_offers_of_mixed_points_share_a_batch() -> None:
    rng = np.random.default_rng(8)
    hosts = ["split-the-difference", "convenor"]
    points = [
        {"host_behaviour": hosts[i % 2], "threat_credibility": float(rng.uniform(0.2, 0.9))}
        for i in range(40)
    ]
    seeds = [int(s) for s in rng.integers(0, 2**32, size=40)]
    model = LockstepTalks(FLAGSHIP, seeds, points=points)
    model.run()
    assert outcome_rows(model) == [
        run_once(FLAGSHIP, s, p).to_row() for s, p in zip(seeds, points, strict=True)
    ]


def _xi_with_red_lines(**lines: dict[str, float]) -> Scenario:
    """The flagship with Xi's ratification a win-set with red lines (``at_most``,
    ``at_least``)."""
    xi = {"ratification": behaviour("red-lines", **lines)}
    return variant(load_scenario(FLAGSHIP), {"xi": xi})


def test_red_lines_and_their_vetoes_are_the_per_run_record() -> None:
    """Lines above and below, two on one issue, crossed and not: the lockstep verdicts,
    the issues their vetoes harden and the blockers are the per-run model's."""
    scenario = _xi_with_red_lines(
        at_most={RARE_EARTHS: 6.0, SOYBEANS: 12.0},
        at_least={RARE_EARTHS: 1.0, "us_tariff_rate": 10.0},
    )
    seeds = list(range(60))
    model = LockstepTalks(scenario, seeds)
    model.run()
    rows = outcome_rows(model)
    assert rows == [run_once(scenario, s).to_row() for s in seeds]
    assert any("President Xi" in row["vetoed_by"] for row in rows)
    for row in rows:
        if row["outcome"] == "truce":
            assert 1.0 - 1e-9 <= row[f"package__{RARE_EARTHS}"] <= 6.0 + 1e-9
            assert row[f"package__{SOYBEANS}"] <= 12.0 + 1e-9


def test_bad_seeds_are_refused() -> None:
    with pytest.raises(ValueError, match="seed"):
        LockstepTalks(FLAGSHIP, [-1])


def _random_points(n: int, seed: int) -> list[dict[str, Any]]:
    """Random values, in the flagship's declared ranges, of its numeric parameters that
    the engine covers at any value (and some switches), per run."""
    declared = load_scenario(FLAGSHIP).parameters
    skip = {"issue_curvature"}  # the engine covers curvatures 1 and 2 only
    numeric = [
        (name, float(p.low or 0.0), float(p.high or 0.0))
        for name, p in declared.items()
        if p.kind == "number" and name not in skip
    ]
    rng = np.random.default_rng(seed)
    points: list[dict[str, Any]] = [
        {name: float(rng.uniform(lo, hi)) for name, lo, hi in numeric} for _ in range(n)
    ]
    for i in range(0, n, 3):
        points[i]["issue_curvature"] = 1.0
    for i in range(1, n, 4):
        points[i].update(focal_drafting=False, summit_endorsement=False)
    return points


def test_runs_of_different_parameter_values_share_a_batch() -> None:
    """Each run of a batch of many plans is the per-run model's run of its own plan."""
    seeds = list(range(500, 560))
    points = _random_points(len(seeds), 11)
    model = LockstepTalks(FLAGSHIP, seeds, points=points)
    model.run()
    assert len(model.plans) == len(seeds)
    assert outcome_rows(model) == [
        run_once(FLAGSHIP, s, p).to_row() for s, p in zip(seeds, points, strict=True)
    ]
    order = np.random.default_rng(2).permutation(len(seeds))
    shuffled = LockstepTalks(FLAGSHIP, [seeds[i] for i in order], points=[points[i] for i in order])
    shuffled.run()
    assert outcome_rows(shuffled) == [outcome_rows(model)[i] for i in order]


def test_one_point_per_seed_is_required() -> None:
    with pytest.raises(ValueError, match="one per seed"):
        LockstepTalks(FLAGSHIP, [1, 2], points=[{}])


def test_seeds_up_to_the_largest_word_are_kept_exactly() -> None:
    seeds = [2**64 - 1, 2**63 + 12_345, 7]  # numpy would read such a list as floats
    model = LockstepTalks(FLAGSHIP, seeds)
    model.run()
    assert [row["seed"] for row in outcome_rows(model)] == seeds
    assert outcome_rows(model) == [run_once(FLAGSHIP, s).to_row() for s in seeds]
    with pytest.raises(ValueError, match="seed"):
        LockstepTalks(FLAGSHIP, [1.5])  # type: ignore[list-item]


def test_every_actor_is_a_mesa_agent_of_the_batch() -> None:
    model = LockstepTalks(FLAGSHIP, range(5))
    keys = [a.key for a in load_scenario(FLAGSHIP).actors]
    assert sorted(agent.key for agent in model.agents) == sorted(keys)
    us = model.actors["us_delegation"]
    opening = us.ideal.copy()
    model.run()
    row = model.plan.rows["us_delegation"]
    np.testing.assert_array_equal(us.ideal, model.state.ideal[:, row])  # a live view
    assert not np.array_equal(us.ideal, opening)  # lobbying moved the mandate
    with pytest.raises(ValueError):
        us.ideal[0, 0] = 1.0  # read-only
    with pytest.raises(TypeError, match="no preferences"):
        _ = model.actors["malaysia"].ideal


def test_the_engine_runs_as_plain_python_too() -> None:
    """With NUMBA_DISABLE_JIT=1 (read at import, hence a fresh process) the same code
    runs uncompiled, the named tuples standing in for the structures: the same records."""
    code = (
        "from negotiation.lockstep import LockstepTalks, outcome_rows\n"
        "from negotiation.model import run_once\n"
        "m = LockstepTalks('kuala-lumpur-2025', [3, 4]); m.run()\n"
        "assert outcome_rows(m) == [run_once('kuala-lumpur-2025', s).to_row() for s in (3, 4)]\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_columns_round_as_python_rounds_ties_and_signs_included() -> None:
    from negotiation.lockstep.columns import _rounded

    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            (np.arange(-20_000, 20_000) + 0.5) / 1e6,  # ties, as written in decimal
            (np.arange(0, 20_000) + 0.5) / 1e6 * 100,
            rng.uniform(-300, 300, 20_000),
            rng.standard_normal(2_000) * 1e-7,  # small: signed zeros
            [0.0, -0.0, 1e300, -1e300, 5e-324, np.inf, -np.inf, 2.0**52 + 0.5],
        ]
    )
    expected = np.array([round(v, 6) for v in values.tolist()])
    assert _rounded(values).tobytes() == expected.tobytes()
    assert _rounded(values[:5]).tobytes() == expected[:5].tobytes()  # one by one
    assert np.isnan(_rounded(np.array([np.nan]))[0])


def test_the_batch_draws_are_the_per_run_draws_bit_for_bit() -> None:
    """Box–Muller and the logit in compiled code give Python's ``math`` results (both call
    the C library), over many keys: a platform where they did not would fail here."""
    from negotiation import streams
    from negotiation.lockstep.state import _logistic, _normal

    keys = np.arange(0, 2**64 - 1, 2**64 // 20_000, dtype=np.uint64)
    normal = np.array([streams.normal(int(k), 1, 2) for k in keys.tolist()])
    logistic = np.array([streams.logistic(int(k), 3, 2) for k in keys.tolist()])
    assert _normal(keys, 1).tobytes() == normal.tobytes()
    assert _logistic(keys, 3).tobytes() == logistic.tobytes()


def test_a_bid_is_worth_its_aspiration_to_within_the_slack_acceptance_assumes() -> None:
    """AC_next in the lockstep protocol refuses without making its next offer when the
    package is valued below that offer's aspiration less ``BID_SLACK``: sound only if
    every bid is worth at least its aspiration less the slack. Checked on the bids of
    every round of random settings of covered scenarios, curvature 1 and 2."""
    from negotiation.lockstep import protocol

    rng = np.random.default_rng(8)
    worst = np.inf
    for name in (FLAGSHIP, "geneva-2025", "vietnam-2025"):
        scenario = load_scenario(name)
        numbers = {
            k: p
            for k, p in scenario.parameters.items()
            if p.kind == "number" and k != "issue_curvature"
        }
        points = []
        for i in range(24):
            point = {
                k: float(rng.uniform(p.low, p.high))
                for k, p in numbers.items()
                if rng.random() < 0.5
            }
            if "issue_curvature" in scenario.parameters:
                point["issue_curvature"] = float(i % 2 + 1)
            points.append(point)
        model = LockstepTalks(scenario, list(range(24)), points=points)
        layout, state = model._layout, model._state
        while model.running:
            number = model.steps + 1
            if number <= model.layout.rounds:
                t_next = float(model._times[number + 1])
                for b in model.active.tolist():
                    p = int(model.state.plan[b])
                    for side in range(2):
                        reservation = protocol.delegation_reservation(layout, state, b, side)
                        exponent = model.layout.exponent[p, side]
                        target = protocol.aspiration(t_next, reservation, exponent)
                        offer = protocol.bid(layout, state, b, side, target)
                        row = model.layout.delegation_row[side]
                        worst = min(worst, protocol.utility(layout, state, b, row, offer) - target)
            model.step()
    assert worst >= -protocol.BID_SLACK / 1000  # a thousandth of the slack: a wide margin


def test_collection_is_paused_for_a_batch_and_resumes_as_it_was() -> None:
    import gc

    from negotiation.lockstep.collection import collection_paused

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_collection_is_not_paused_outside_the_main_thread() -> None:
    import gc
    import threading

    from negotiation.lockstep.collection import collection_paused

    seen: list[bool] = []

    def batch() -> None:
        with collection_paused():
            seen.append(gc.isenabled())

    worker = threading.Thread(target=batch)
    worker.start()
    worker.join()
    assert seen == [True] and gc.isenabled()


def test_a_structure_s_type_follows_what_numba_reads_of_each_field() -> None:
    """The cached structure type of a batch is keyed by every array's dtype, dimensions,
    layout and flags (and other fields' Python types): what numba's typeof reads."""
    from negotiation.lockstep.state import State
    from negotiation.lockstep.structs import _signature

    model = LockstepTalks(FLAGSHIP, [1, 2])
    state = model.state
    same = LockstepTalks(FLAGSHIP, [3]).state
    assert _signature(state) == _signature(same)
    strided = state._replace(ideal=state.ideal[:, :, ::2])
    frozen = state.ideal.copy()
    frozen.flags.writeable = False
    variants = [
        strided,
        state._replace(ideal=frozen),
        state._replace(ideal=state.ideal.astype(np.float32)),
        state._replace(gap=state.gap.reshape(-1, 1)),
    ]
    signatures = {_signature(v) for v in variants}
    assert len(signatures) == len(variants) and _signature(state) not in signatures
    assert isinstance(state, State)
