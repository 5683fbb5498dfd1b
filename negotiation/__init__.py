"""An agent-based model of the US–China trade talks in Kuala Lumpur (October 2025).

>>> from negotiation import TradeTalksModel, load_scenario
>>> model = TradeTalksModel(scenario=load_scenario("kuala-lumpur-2025"), rng=7)
>>> outcome = model.run()
"""

from importlib import metadata as _metadata

from negotiation.model import TradeTalksModel, run_once
from negotiation.outcome import Outcome
from negotiation.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario

__all__ = [
    "Outcome",
    "Scenario",
    "ScenarioError",
    "TradeTalksModel",
    "builtin_scenarios",
    "load_scenario",
    "run_once",
]

try:  # the one version number is in pyproject.toml; read it from the installed metadata
    __version__: str = _metadata.version("trade-talks")
except _metadata.PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"
