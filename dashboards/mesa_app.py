"""Mesa's own page for the model: ``SolaraViz`` with the live charts as its components
(``negotiation dashboard --mesa``, or ``solara run dashboards.mesa_app``).

For users who know Mesa's visualisation: the standard SolaraViz layout (its controls,
its parameter panel, its component grid), the flagship's named parameters as SolaraViz
``model_params`` and the live page's cards (:data:`dashboards.live.COMPONENTS`) as
SolaraViz ``components``, each a function of the model as Mesa's convention asks. The
same components can be added to any SolaraViz page of one's own.

The analyst's dashboard (:mod:`dashboards.app`) is built from SolaraViz's parts instead,
because SolaraViz fixes its parameter list when the page is made: it cannot rebuild the
controls for another scenario or hide a parameter that does not apply to the chosen
behaviour, and it shows Mesa's own settings (render interval, threads). Here the
scenario is fixed and every parameter is shown.

Each browser session builds its own model (in :func:`Page`, never at module level).
SolaraViz's Reset passes every control's value; at their defaults that is the
scenario's own run (``negotiation run --seed 7``).
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import SolaraViz

from dashboards.live import COMPONENTS, PLAY_INTERVAL_MS
from dashboards.live_model import DEFAULT_SCENARIO, LiveModel, control_specs

NAME = "US–China trade talks (Mesa's SolaraViz)"


def model_params(scenario_name: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """SolaraViz ``model_params`` for one scenario: the seed and every named parameter as
    controls (SolaraViz has no number field: a parameter without a slider grid is fixed
    at its value), the scenario itself fixed."""
    specs = control_specs(scenario_name)
    del specs["scenario_name"]
    params: dict[str, Any] = {"scenario_name": scenario_name}
    for name, spec in specs.items():
        params[name] = spec["value"] if spec["type"] == "InputFloat" else spec
    return params


@solara.component
def Page() -> None:
    """SolaraViz on this session's own model, with the live cards as components."""
    model = solara.use_memo(LiveModel, [])
    SolaraViz(
        model,
        components=[(component, 0) for component in COMPONENTS],
        model_params=model_params(),
        play_interval=PLAY_INTERVAL_MS,
        name=NAME,
    )
