"""Counter-based draws: the same numbers for a run whatever is computed with it, and the
distributions they claim; the model's draws come from them alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.design import run_seed, run_seeds
from negotiation import TradeTalksModel, load_scenario, run_once, streams
from negotiation.streams import GOLDEN, Stream


def test_the_mixer_is_splitmix64() -> None:
    # SplitMix64 from state 0: its first two outputs (Steele, Lea & Flood 2014; Vigna's
    # reference implementation)
    firsts = streams.mix64(np.array([1, 2], dtype=np.uint64) * GOLDEN)
    assert [hex(int(w)) for w in firsts] == ["0xe220a8397b1dcdaf", "0x6e789e6aa1b965f4"]


def test_a_runs_draws_do_not_depend_on_the_batch() -> None:
    rng = np.random.default_rng(0)
    seeds = rng.integers(0, 2**63, 1000, dtype=np.uint64)
    index = np.arange(7)
    batch = streams.uniform(seeds[:, None], Stream.SHOCK, index[None, :])
    shuffled = rng.permutation(len(seeds))
    again = streams.uniform(seeds[shuffled][:, None], Stream.SHOCK, index[None, :])
    assert np.array_equal(again, batch[shuffled])
    for i in (0, 17, 999):
        assert np.array_equal(streams.uniform(int(seeds[i]), Stream.SHOCK, index), batch[i])
        assert streams.uniform(int(seeds[i]), Stream.SHOCK, 3) == batch[i, 3]


def test_streams_and_indices_give_different_numbers() -> None:
    u = streams.uniform(42, Stream.DELEGATION_RESOLVE, np.arange(1000))
    v = streams.uniform(42, Stream.LEADER_RESOLVE, np.arange(1000))
    w = streams.uniform(43, Stream.DELEGATION_RESOLVE, np.arange(1000))
    assert len(set(u.tolist())) == 1000
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.1 and abs(np.corrcoef(u, w)[0, 1]) < 0.1


def test_the_variates_have_their_distributions() -> None:
    n = 200_000
    u = streams.uniform(7, Stream.SHOCK, np.arange(n))
    assert u.min() > 0.0 and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.005)
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    chi2 = float(((counts - n / 20) ** 2 / (n / 20)).sum())
    assert chi2 < 43.8  # the 0.999 quantile of chi-squared with 19 degrees of freedom
    z = np.array(streams.normal(7, Stream.DELEGATION_RESOLVE, 50_000))
    assert z.mean() == pytest.approx(0.0, abs=0.02) and z.std() == pytest.approx(1.0, abs=0.02)
    assert np.mean(np.abs(z) > 1.96) == pytest.approx(0.05, abs=0.005)
    g = np.array(streams.logistic(7, Stream.DOMESTIC_MOOD, 50_000))
    assert g.mean() == pytest.approx(0.0, abs=0.03)
    assert g.std() == pytest.approx(math.pi / math.sqrt(3), abs=0.03)


def test_run_seeds_are_vectorised_run_seed_and_fit_parquet() -> None:
    ids = np.arange(2000)
    seeds = run_seeds(11, ids)
    assert seeds.dtype == np.int64 and seeds.min() >= 0
    assert [run_seed(11, int(i)) for i in ids[:50]] == seeds[:50].tolist()
    assert len(set(seeds.tolist())) == len(ids)
    assert run_seed(12, 0) != run_seed(11, 0)


def test_a_runs_random_inputs_come_from_its_seed_alone() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    model = TradeTalksModel(scenario, rng=123, collect=False)
    sd = scenario.settings.resolve_noise
    own = streams.normal(123, Stream.DELEGATION_RESOLVE, 2)
    for i, side in enumerate(model.sides):
        base = next(a for a in scenario.actors if a.kind == "delegation" and a.side == side)
        assert model.delegations[side].reservation_shift == base.reservation_shift + sd * own[i]
    # Mesa's own generator (for behaviours that want one) is seeded by the same seed, and
    # drawing from it does not change the run.
    model.rng.random(100)
    before = TradeTalksModel(scenario, rng=123, collect=False).run()
    assert model.run() == before


def test_an_unseeded_run_records_a_seed_that_repeats_it() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    outcome = TradeTalksModel(scenario, collect=False).run()
    assert outcome.seed is not None and 0 <= outcome.seed < 2**63
    assert run_once(scenario, seed=outcome.seed) == outcome


def test_generators_and_seed_sequences_still_seed_a_run() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    a = TradeTalksModel(scenario, rng=np.random.SeedSequence(5), collect=False).run()
    b = TradeTalksModel(scenario, rng=np.random.SeedSequence(5), collect=False).run()
    c = TradeTalksModel(scenario, rng=np.random.default_rng(5), collect=False).run()
    d = TradeTalksModel(scenario, rng=np.random.default_rng(5), collect=False).run()
    assert a == b and c == d


def test_uniform_variates_never_reach_one() -> None:
    # a seed whose first mood word has all of its top 53 bits set: (top + 0.5) / 2**53
    # rounds to 1, which a logit and a pick of a day's round cannot take
    seed = 7679046749081914467
    assert int(streams.words(seed, Stream.DOMESTIC_MOOD, 0)) >> 11 == 2**53 - 1
    assert streams.uniform(seed, Stream.DOMESTIC_MOOD, 0) < 1.0
    assert math.isfinite(streams.logistic(seed, Stream.DOMESTIC_MOOD, 1)[0])
    TradeTalksModel("brazil-2025", rng=seed, collect=False).run()


@pytest.mark.parametrize("bad", [-1, 2**64, True, 1.5, "7"])
def test_a_seed_that_is_not_a_64_bit_integer_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="integer from 0 to 2"):
        TradeTalksModel("kuala-lumpur-2025", rng=bad, collect=False)  # type: ignore[arg-type]


def test_numpy_integer_seeds_are_the_same_seeds() -> None:
    scenario = load_scenario("kuala-lumpur-2025")
    seed = run_seeds(3, np.arange(1))[0]
    assert run_once(scenario, seed=seed) == run_once(scenario, seed=int(seed))  # type: ignore[arg-type]


def test_one_runs_draws_on_python_integers_are_the_vectorised_ones() -> None:
    rng = np.random.default_rng(4)
    seeds = [0, 2**64 - 1, 7679046749081914467, *rng.integers(0, 2**63, 50).tolist()]
    index = list(range(0, 40, 3))
    for seed in seeds:
        for stream in (Stream.DOMESTIC_MOOD, Stream.SHOCK + 2, Stream.RUN_SEED):
            assert (
                streams.uniforms(seed, stream, index)
                == streams.uniform(seed, stream, np.array(index)).tolist()
            )
