"""The explanation of a run says, from the run's own record, who moved, what was settled
and deferred, who vetoed, what the threats did and what the leaders did at the summit."""

from __future__ import annotations

import pytest

from negotiation import Scenario, TradeTalksModel
from negotiation.explain import explain


def _run(scenario: Scenario, seed: int, **params: object) -> TradeTalksModel:
    model = TradeTalksModel(scenario, rng=seed, collect=False, **params)
    model.run()
    return model


def test_a_truce_is_explained_issue_by_issue(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    runs = (_run(shipped_flagship, seed) for seed in range(20))
    model = next(m for m in runs if m.outcome is not None and m.outcome.truce)
    lines = explain(model)
    assert lines[0].startswith("Truce") and "endorsed it at the summit" in lines[0]
    conceded = "Share of the gap between the opening offers each side conceded: "
    assert any(line.startswith(conceded) for line in lines)
    settled = next(line for line in lines if line.startswith("Settled:"))
    assert model.agreement is not None
    moved = model.agreement != model.space.status_quo
    for issue, value, changed in zip(model.space, model.agreement, moved, strict=True):
        if changed:  # "label status quo → agreed unit", as the record rounds it
            assert f"{issue.label} {issue.status_quo:g} → {value:.3g}" in settled
        else:
            assert issue.label not in settled
    assert any("President Trump's threat" in line and "audience cost" in line for line in lines)


def test_issues_left_where_they_were_are_called_deferred(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    for seed in range(40):
        model = _run(shipped_flagship, seed)
        deferred = [line for line in explain(model) if line.startswith("Left at the status quo")]
        if deferred:
            assert model.agreement is not None
            return
    pytest.fail("no run of 40 left an issue at the status quo")


def test_a_failed_run_names_its_vetoes_and_settles_nothing(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    failed = (_run(shipped_flagship, seed, hawk_influence=4.0) for seed in range(20))
    model = next(m for m in failed if m.outcome is not None and not m.outcome.truce and m.vetoes)
    lines = explain(model)
    assert lines[0].startswith("No truce")
    vetoed = next(line for line in lines if line.startswith("Vetoed:"))
    assert "US security hawks" in vetoed
    assert not any(line.startswith("Settled:") for line in lines)


def test_offers_held_back_are_explained(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    anticipating = shipped_flagship.model_copy(
        update={
            "settings": shipped_flagship.settings.model_copy(update={"winset_anticipation": True})
        }
    )
    for seed in range(20):
        model = _run(anticipating, seed, hawk_influence=4.0)
        held = [line for line in explain(model) if line.startswith("Held back:")]
        if held:
            assert "would fail at home" in held[0]
            return
    pytest.fail("no delegation held its offer in 20 runs with hawks at 4x")


def test_an_unfinished_run_cannot_be_explained(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="finished run"):
        explain(TradeTalksModel(shipped_flagship, rng=1, collect=False))
