"""docs/adding-a-behaviour.md cannot rot: its Python blocks run, in order, here.

The first block is the strategy's file: it is saved as ``my_strategies.py`` in a
temporary folder, which is also the working directory (the sweep writes there) and on
the import path. The other blocks run in order in one namespace. The TOML block must
parse and name registered behaviours with valid parameters. The strategy the page
registers is removed from the registry afterwards.
"""

from __future__ import annotations

import importlib
import re
import sys
import tomllib
from pathlib import Path

import pytest

from negotiation.behaviours import names, unregister
from negotiation.behaviours.registry import get
from negotiation.scenario import BEHAVIOUR_FIELDS, BehaviourSpec

DOC = Path(__file__).resolve().parents[2] / "docs" / "adding-a-behaviour.md"
NEW = ("offer", "deadline-sprinter")
# registered by later blocks
VECTORISED = [
    ("offer", "deadline-sprinter-vectorised"),
    ("lobbying", "threat-alarmed"),
    ("opponent_model", "recency"),
    ("ratification", "head-count"),
    ("mediation", "late-bridge"),
]


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


@pytest.fixture
def strategy_file(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The page's strategy saved as my_strategies.py, importable, in the working folder."""
    assert all(name not in names(kind) for kind, name in [NEW, *VECTORISED])
    (tmp_path / "my_strategies.py").write_text(blocks("python")[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("my_strategies", None)
    for kind, name in [NEW, *VECTORISED]:
        unregister(kind, name)


def test_the_strategy_file_is_at_most_30_lines() -> None:
    first = blocks("python")[0]
    assert "@register" in first and len(first.strip().splitlines()) <= 30


def test_every_python_block_runs_in_order(strategy_file: Path) -> None:
    namespace: dict[str, object] = {"__name__": "tutorial"}
    code = blocks("python")
    assert len(code) >= 6
    for number, block in enumerate(code[1:], start=2):
        # dont_inherit: a reader's session has no `from __future__ import annotations`
        source = compile(block, f"{DOC.name}, python block {number}", "exec", dont_inherit=True)
        exec(source, namespace)
    assert (strategy_file / "sprinter-sweep").is_dir()


def test_toml_blocks_parse_and_name_valid_behaviours(strategy_file: Path) -> None:
    importlib.import_module("my_strategies")
    toml = blocks("toml")
    assert toml
    checked = 0
    for block in toml:
        for actor in tomllib.loads(block).get("actors", []):
            for field, (kind, _) in BEHAVIOUR_FIELDS.items():
                if field in actor:
                    spec = BehaviourSpec.model_validate(actor[field])
                    get(kind, spec.name).validate(spec.params)
                    checked += 1
    assert checked >= 3
