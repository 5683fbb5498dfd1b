"""Same seed, same run: in-process and across processes; different seeds differ."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from negotiation import TradeTalksModel


def _run(flagship, seed: int):  # type: ignore[no-untyped-def]
    model = TradeTalksModel(flagship, rng=seed)
    outcome = model.run()
    return outcome.to_dict(), model.datacollector.get_model_vars_dataframe()


def test_same_seed_same_record_and_trajectories(flagship) -> None:  # type: ignore[no-untyped-def]
    rec_a, traj_a = _run(flagship, 11)
    rec_b, traj_b = _run(flagship, 11)
    assert rec_a == rec_b
    pd.testing.assert_frame_equal(traj_a, traj_b)


def test_different_seeds_differ_somewhere(flagship) -> None:  # type: ignore[no-untyped-def]
    records = [json.dumps(_run(flagship, s)[0]["package"], sort_keys=True) for s in range(8)]
    assert len(set(records)) > 1


def test_same_seed_in_another_process(shipped_flagship) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import json; from negotiation import TradeTalksModel;"
        "m = TradeTalksModel('kuala-lumpur-2025', rng=11); o = m.run();"
        "print(json.dumps({'record': o.to_dict(),"
        " 'traj': m.datacollector.get_model_vars_dataframe().to_json()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    other = json.loads(out)
    record, traj = _run(shipped_flagship, 11)
    assert other["record"] == json.loads(json.dumps(record))
    assert json.loads(other["traj"]) == json.loads(traj.to_json())
