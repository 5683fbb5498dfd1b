"""The shipped default protocol: the flagship's outcome comes from what the agents do.

Claims of docs/model.md §3.5 and docs/validation.md about the flagship at its defaults
(logrolling delegations, loss aversion, quadratic issue losses, focal drafting, uncertain
ratification, hours clock, the summit as endorsement, audience costs), each against the first
release's protocol where that is the point: issues settle at different points, vetoes
at home happen and bind. Ensembles are small (common seeds), so the
bounds are loose but can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from negotiation import Scenario, run_once
from negotiation.scenario import first_release

RUNS = 150


def _fractions(scenario: Scenario, **params: float) -> tuple[np.ndarray, float, float]:
    """Median share of the way from the US opening to China's, per issue, over the runs
    that agreed; the share of runs that agreed; the share with a veto at home."""
    outcomes = [run_once(scenario, seed=i, params=params) for i in range(RUNS)]
    agreed = [o for o in outcomes if o.truce or o.summit_deal]
    us, china = (
        next(a for a in scenario.actors if a.key == k)
        for k in ("us_delegation", "china_delegation")
    )
    keys = [i.key for i in scenario.issues]
    a = np.array([us.position[k] for k in keys])
    b = np.array([china.position[k] for k in keys])
    packages = np.array([[o.package[k] for k in keys] for o in agreed])
    fractions = np.median((packages - a) / (b - a), axis=0)
    vetoed = sum(o.vetoes > 0 for o in outcomes) / RUNS
    return fractions, len(agreed) / RUNS, vetoed


def test_issues_settle_at_different_points_unlike_the_first_release(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    fractions, _, _ = _fractions(shipped_flagship)
    assert np.ptp(fractions) > 0.5  # some issues near one opening, others part-way
    old, _, _ = _fractions(first_release(shipped_flagship))
    assert np.ptp(old) < 0.1  # one fraction for every issue


def test_vetoes_at_home_happen_in_a_plausible_share_of_runs(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    _, agreed, vetoed = _fractions(shipped_flagship)
    assert 0.05 <= vetoed <= 0.4
    assert 0.75 <= agreed < 1.0  # some runs fail, most agree: the pre-talk consensus
    _, _, old = _fractions(first_release(shipped_flagship))
    assert old == 0.0  # the first release's win-set never bound


def test_the_win_set_binds_the_hawks_can_veto_the_deal(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    """Putnam's level II: the more weight the security hawks carry at home, the more
    packages are vetoed and the fewer deals survive."""
    _, agreed_without, vetoed_without = _fractions(shipped_flagship, hawk_influence=0.0)
    _, agreed_with, vetoed_with = _fractions(shipped_flagship, hawk_influence=4.0)
    assert vetoed_with >= vetoed_without + 0.2
    assert agreed_with <= agreed_without - 0.05


@pytest.mark.parametrize(
    "setting", ["focal_drafting", "summit_endorsement", "issue_curvature", "loss_aversion"]
)
def test_the_shipped_protocol_is_on_in_the_flagship(shipped_flagship, setting: str) -> None:  # type: ignore[no-untyped-def]
    assert getattr(shipped_flagship.settings, setting) in (True, 2.0, 2.25)
    assert shipped_flagship.calendar.clock == "hours"
    assert getattr(first_release(shipped_flagship).settings, setting) in (False, 1.0)
