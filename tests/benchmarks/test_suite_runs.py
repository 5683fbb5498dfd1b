"""The benchmark suite runs and writes its tables (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bare_bilateral, profile_runs, run
from negotiation import load_scenario, run_once


def test_quick_suite_writes_both_tables_with_targets(tmp_path: Path) -> None:
    assert run.main(["--quick", "--no-sweep", "--no-dashboard", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "latest.json").read_text())
    for key in ("flagship_ms_per_run", "ratio_round_to_floor", "bilateral_ms_per_run"):
        assert results[key] > 0
    assert results["bilateral_outcome"] in {"truce", "summit deal", "no deal"}
    markdown = (tmp_path / "latest.md").read_text()
    assert "| ratio_round_to_floor |" in markdown
    assert "<= 3 (" in markdown  # the target and whether it was met
    assert not list(tmp_path.glob("*.tmp"))  # written atomically


def test_a_bare_mesa_model_activates_its_idle_agents() -> None:
    model = run.BareModel(5, activate=True, rng=1)
    calls = []
    for agent in model.agents:
        agent.step = lambda a=agent: calls.append(a)  # type: ignore[method-assign]
    model.step()
    assert len(calls) == 5


def test_profile_prints_the_top_lines(capsys) -> None:  # type: ignore[no-untyped-def]
    assert profile_runs.main(["--runs", "60", "--top", "5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| self share |") and len(table) == 2 + 5
    assert any("negotiation/" in line for line in table[2:])


def test_bare_bilateral_baseline_is_the_same_workload() -> None:
    """The bare numpy baseline reaches the model's agreement, in the same round."""
    scenario = load_scenario(bare_bilateral.BILATERAL)
    outcome = run_once(scenario, seed=0)
    number, package = bare_bilateral.run(bare_bilateral.workload(scenario))
    assert outcome.truce and number == outcome.round
    assert package == pytest.approx(list(outcome.package.values()), abs=1e-6)


def test_the_live_estimate_benchmark_reports_its_figures(tmp_path: Path) -> None:
    from benchmarks import bench_live

    out = tmp_path / "live.json"
    assert bench_live.main(["--repeats", "1", "--runs", "60", "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["live_runs"] == 60
    for key in ("live_estimate_s", "live_estimate_in_process_s", "live_pool_start_s"):
        assert results[key] > 0
    assert 0 <= results["live_runs_in_first_second"] <= 60
