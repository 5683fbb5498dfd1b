"""Figures of the dashboard, as pure functions from data to matplotlib figures.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so concurrent
browser sessions never draw on each other's canvas, and they need no front-end assets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from negotiation import Scenario

US_COLOUR, CHINA_COLOUR, HOST_COLOUR = "#1f4e9c", "#c0392b", "#7f8c8d"


def offers_figure(trajectory: pd.DataFrame, scenario: Scenario) -> Figure:
    """Each delegation's offer per issue over the rounds, in the issue's units."""
    issues = list(scenario.space)
    cols = 3
    rows = math.ceil(len(issues) / cols)
    fig = Figure(figsize=(12, 2.4 * rows), dpi=80)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.93, bottom=0.1, hspace=0.45, wspace=0.2)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    x = trajectory["round"] if len(trajectory) else []
    for ax, issue in zip(axes, issues, strict=False):
        if len(trajectory):
            ax.plot(x, trajectory[f"offer__US__{issue.key}"], color=US_COLOUR, label="US")
            ax.plot(x, trajectory[f"offer__China__{issue.key}"], color=CHINA_COLOUR, label="China")
            text = trajectory[f"text__{issue.key}"]
            if text.notna().any():
                ax.plot(x, text, color=HOST_COLOUR, linestyle="--", label="host's text")
        ax.axhline(issue.status_quo, color="0.6", linewidth=0.8, linestyle=":")
        ax.set_ylim(issue.low, issue.high)
        # Few ticks: creating tick artists is most of the drawing time of this figure.
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.set_title(issue.label, fontsize=9)
        ax.set_ylabel(issue.unit, fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[len(issues) :]:
        ax.set_visible(False)
    if len(trajectory):
        axes[0].legend(fontsize=8, loc="best")
    fig.supxlabel("round", fontsize=9)
    return fig


def utilities_figure(
    labels: Sequence[str],
    of_us_offer: Sequence[float],
    of_china_offer: Sequence[float],
    reservations: Sequence[float],
) -> Figure:
    """Each actor's utility of the standing offers against its reservation."""
    fig = Figure(figsize=(7, 0.35 * len(labels) + 1), dpi=80)
    fig.subplots_adjust(left=0.42, right=0.98, top=0.98, bottom=0.12)
    ax = fig.subplots()
    y = np.arange(len(labels))
    ax.barh(y - 0.2, of_us_offer, height=0.38, color=US_COLOUR, label="US offer")
    ax.barh(y + 0.2, of_china_offer, height=0.38, color=CHINA_COLOUR, label="China's offer")
    ax.scatter(reservations, y, marker="|", s=250, color="black", label="reservation", zorder=3)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("utility (0 = worst, 1 = ideal)", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def approval_figure(trajectory: pd.DataFrame, threshold: float) -> Figure:
    """Interest-group approval, per side, of the best package on the table each round."""
    fig = Figure(figsize=(6, 2.8), dpi=80)
    fig.subplots_adjust(left=0.12, right=0.98, top=0.95, bottom=0.18)
    ax = fig.subplots()
    if len(trajectory):
        ax.plot(trajectory["round"], trajectory["approval__US"], color=US_COLOUR, label="US groups")
        ax.plot(
            trajectory["round"],
            trajectory["approval__China"],
            color=CHINA_COLOUR,
            label="Chinese groups",
        )
    ax.axhline(threshold, color="black", linestyle="--", linewidth=0.8, label="threshold")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("round", fontsize=9)
    ax.set_ylabel("influence-weighted approval", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def histogram_figure(values: Sequence[float], title: str, xlabel: str, bins: int = 20) -> Figure:
    """A histogram (for agreement timing or an issue's agreed values)."""
    fig = Figure(figsize=(4.2, 2.6))
    fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.2)
    ax = fig.subplots()
    data = [v for v in values if v is not None and not math.isnan(v)]
    if data:
        ax.hist(data, bins=bins, color=US_COLOUR, alpha=0.8)
    else:
        ax.text(0.5, 0.5, "no agreements", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(labelsize=8)
    return fig
