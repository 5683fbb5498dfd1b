"""A Solara page that shows every interactive chart of ``dashboards.vega_charts`` for one
seeded flagship run (served with ``solara run`` by the browser test of the charts)."""

from __future__ import annotations

import pandas as pd
import solara

from dashboards.vega_charts import (
    approval_chart,
    heatmap_chart,
    histogram_chart,
    offers_chart,
    utilities_chart,
)
from negotiation import TradeTalksModel

MODEL = TradeTalksModel(rng=7)
OUTCOME = MODEL.run().to_dict()
TRAJECTORY = MODEL.datacollector.get_model_vars_dataframe()
CELLS = pd.DataFrame({"x": [0, 0, 1, 1], "y": [0, 1, 0, 1], "p": [0.1, 0.5, 0.7, 0.9]}).assign(
    low=lambda d: d.p - 0.1, high=lambda d: d.p + 0.1, runs=40
)


@solara.component
def Page() -> None:
    solara.Markdown("# Charts shown")
    solara.FigureAltair(offers_chart(TRAJECTORY, MODEL.spec, OUTCOME))
    solara.FigureAltair(approval_chart(TRAJECTORY, MODEL.spec, 0.6, OUTCOME))
    solara.FigureAltair(utilities_chart(["Trump", "Xi"], [0.8, 0.2], [0.3, 0.7], [0.5, 0.4]))
    solara.FigureAltair(histogram_chart([12.0, 14.0, 14.5, 16.0], "soybeans", "Mt/year"))
    solara.FigureAltair(heatmap_chart(CELLS, "x", "y", "farmer pressure", "credibility"))
