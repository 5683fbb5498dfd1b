"""The live estimate (dashboards.live_estimate): the runs of ``negotiation ensemble``,
summarised as they come in, stopped when the settings change."""

from __future__ import annotations

import re
from concurrent.futures import Executor, Future, wait
from typing import Any

import pytest

from dashboards.live_estimate import MAX_RUNS, estimate, estimate_text
from experiments.ensemble import EnsembleSummary, run_ensemble
from experiments.executors import check_workers, spawned_pool
from negotiation import ScenarioError


def test_a_finished_estimate_is_the_ensemble_of_the_same_settings() -> None:
    params = {"threat_credibility": 0.2}
    published: list[EnsembleSummary] = []
    done = estimate("kuala-lumpur-2025", params, 24, publish=published.append, refresh_s=0.0)
    assert done is not None
    expected = run_ensemble("kuala-lumpur-2025", 24, params, root_seed=0)
    assert done.to_dict() == expected.to_dict()
    assert done.truces == expected.truces
    runs = [s.runs for s in published]
    assert runs == sorted(runs) and runs[0] < 24 and runs[-1] == 24  # growing, then whole
    assert published[-1] is done


def test_the_estimate_on_worker_processes_is_the_same_ensemble() -> None:
    params = {"threat_credibility": 0.2}
    published: list[EnsembleSummary] = []
    with spawned_pool(2) as pool:
        done = estimate(
            "kuala-lumpur-2025",
            params,
            120,
            publish=published.append,
            refresh_s=0.0,
            executor=pool,
        )
        assert done is not None
        expected = run_ensemble("kuala-lumpur-2025", 120, params, root_seed=0)
        assert done.to_dict() == expected.to_dict()
        assert done.truces == expected.truces and done.run_ids == expected.run_ids
        runs = [s.runs for s in published]
        assert runs == sorted(runs) and len(runs) >= 2 and runs[-1] == 120


class CountingExecutor(Executor):
    """An executor that forwards to another and counts what it was given."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.submitted: list[Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.inner.submit(fn, *args, **kwargs)
        self.submitted.append(future)
        return future


def test_a_stopped_estimate_submits_no_more_chunks_than_its_workers() -> None:
    with spawned_pool(2) as pool:
        counting = CountingExecutor(pool)
        batches = iter(range(1000))
        stopped = estimate(
            "kuala-lumpur-2025",
            {},
            1000,
            executor=counting,
            keep_going=lambda: next(batches) < 2,  # stop after two chunks
        )
        assert stopped is None
        # two chunks taken, then as many in flight as there are workers: not the 20
        # chunks of 1,000 runs
        assert len(counting.submitted) <= 2 + check_workers(None)
        wait(counting.submitted, timeout=60)  # what was handed over still finishes


def test_an_estimate_stops_when_told() -> None:
    calls = iter(range(1000))
    stopped = estimate("kuala-lumpur-2025", {}, 50, keep_going=lambda: next(calls) < 3)
    assert stopped is None


def test_bad_settings_are_named_before_anything_runs() -> None:
    with pytest.raises(ScenarioError, match="threat_credibility"):
        estimate("kuala-lumpur-2025", {"threat_credibility": 7.0}, 10)


def test_the_estimate_says_how_many_runs_it_rests_on() -> None:
    summary = estimate("kuala-lumpur-2025", {}, 10)
    assert summary is not None
    text = estimate_text(summary, total=1000)
    assert text.startswith("P(agreement) ≈ ") and "over 10 of 1,000 runs (refining)" in text
    assert "(final)" in estimate_text(summary, total=10)


def _runs(page) -> int:  # type: ignore[no-untyped-def]
    text = page.get_by_text(re.compile(r"^P\(agreement\) ≈ ")).first.inner_text()
    match = re.search(r"over ([\d,]+) of", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def test_the_estimate_follows_the_settings_shown_without_reset(open_page) -> None:  # type: ignore[no-untyped-def]
    page, log = open_page()
    page.get_by_text("Live estimate of the settings shown").click()
    final = re.compile(rf"^P\(agreement\) ≈ .* over {MAX_RUNS:,} of {MAX_RUNS:,} runs \(final\)")
    page.get_by_text(final).first.wait_for(timeout=60_000)
    before = page.get_by_text(final).first.inner_text()
    seed_field = page.get_by_label("Seed (integer)")  # a change the page has not applied
    slider = page.get_by_role("slider").nth(1)  # threat credibility
    slider.focus()
    page.keyboard.press("Home")
    page.get_by_text("Press Reset to apply: threat credibility 0.6 → 0.").wait_for()
    alternative = run_ensemble("kuala-lumpur-2025", MAX_RUNS, {"threat_credibility": 0.0})
    expected = estimate_text(alternative)
    assert expected != before  # the two settings' estimates can be told apart
    page.get_by_text(expected).first.wait_for(timeout=60_000)  # the new settings' estimate
    assert seed_field.input_value() == "7"
    log.assert_clean()
