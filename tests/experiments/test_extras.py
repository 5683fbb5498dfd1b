"""A missing optional package gets one line naming the extra that brings it."""

from __future__ import annotations

import pytest

from experiments import extras
from experiments.cli import main
from experiments.executors import dask_executor


@pytest.fixture
def nothing_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    real = extras.has
    optional = ("distributed", "solara", "ema_workbench")
    monkeypatch.setattr(extras, "has", lambda m: not m.startswith(optional) and real(m))


@pytest.mark.usefixtures("nothing_optional")
def test_dask_names_its_extra() -> None:
    expected = r"Dask needs .*'distributed'.*\[dask\]"
    with pytest.raises(extras.MissingExtra, match=expected), dask_executor(None, 1):
        pass


@pytest.mark.usefixtures("nothing_optional")
def test_the_command_line_says_which_extra_to_install(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'trade-talks[dashboard]'" in err


@pytest.mark.usefixtures("nothing_optional")
def test_prim_names_its_extra() -> None:
    import pandas as pd

    from experiments.analysis import prim

    table = pd.DataFrame({"x": [0.0, 1.0, 0.5, 0.2], "truce": [True, False, True, False]})
    with pytest.raises(extras.MissingExtra, match=r"\[analysis\]"):
        prim(table, ["x"])
