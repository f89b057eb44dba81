"""Data-bound periods on the figures: where some firm trains on the whole usable data stock.

A run's figures shade those periods (:func:`shade_data_bound`, one legend entry
:data:`DATA_BOUND_LABEL`); the scenario overlays draw a thin bar per scenario along the bottom of
each panel in the scenario's colour (:func:`mark_scenario_data_bound`), since shading several
scenarios' periods on one axes would blur into each other. Which periods: model.csv
``data_bound_firms`` > 0, or firms.csv ``regime`` data-bound or capped in any firm
(:mod:`marketsim.sim.regimes`); a table with neither column has none. Years are calendar years.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory

from marketsim.sim.regimes import DATA_WALL_REGIMES, data_bound_years

__all__ = ["DATA_BOUND_LABEL", "DATA_BOUND_COLOR", "DATA_BOUND_GID", "data_bound_spans", "shade_data_bound",
           "mark_scenario_data_bound"]

DATA_BOUND_LABEL = "data-bound (at the data wall)"
DATA_BOUND_COLOR = "#e8c56a"  # a pale amber: visible behind lines and bars, under no firm's colour
#: ``gid`` of the shading and bars, so that callers and tests can find them.
DATA_BOUND_GID = "data-bound"
_SHADE_ALPHA = 0.28
# Overlay bars: height and spacing as fractions of the axes height, from the bottom up.
_BAR_HEIGHT = 0.022
_BAR_STEP = 0.03


def data_bound_spans(table: pd.DataFrame) -> list[tuple[float, float]]:
    """Calendar-year spans [start, end) of the periods in which some firm is at the data wall."""
    if table.empty or "year" not in table.columns:
        return []
    if "data_bound_firms" in table.columns:
        flags = table.groupby("year", sort=True)["data_bound_firms"].max() > 0
    elif "regime" in table.columns:
        flags = table.groupby("year", sort=True)["regime"].agg(lambda r: bool(set(r.dropna()) & DATA_WALL_REGIMES))
    else:
        return []
    return data_bound_years(flags.index.to_numpy(dtype=float), flags.to_numpy(dtype=bool))


def shade_data_bound(ax: Axes, spans: list[tuple[float, float]], label: bool = True) -> None:
    """Shade ``spans`` behind the data; the first span carries the legend label (if ``label``)."""
    for i, (start, end) in enumerate(spans):
        ax.axvspan(start, end, color=DATA_BOUND_COLOR, alpha=_SHADE_ALPHA, linewidth=0, zorder=0,
                   label=DATA_BOUND_LABEL if label and i == 0 else None, gid=DATA_BOUND_GID)


def _add_footroom(ax: Axes, fraction: float) -> None:
    """Lower the bottom of the y axis so that the lowest ``fraction`` of the axes holds no data
    (the bars go there, not over a curve), on the axis' own scale (linear, log or symlog)."""
    lo, hi = ax.get_ylim()
    scale = ax.yaxis.get_transform()
    a, b = scale.transform(np.array([[lo], [hi]], dtype=float)).ravel()
    bottom = scale.inverted().transform(np.array([[a - fraction * (b - a) / (1.0 - fraction)]]))[0, 0]
    ax.set_ylim(float(bottom), hi)


def mark_scenario_data_bound(ax: Axes, spans: Mapping[str, list[tuple[float, float]]],
                             colors: Mapping[str, object]) -> bool:
    """A thin bar per scenario along the bottom of ``ax`` over its data-bound spans, in its colour.

    Adds one neutral legend entry explaining the bars when any scenario has one; returns whether it did.
    """
    shown = [(name, s) for name, s in spans.items() if s]
    if not shown:
        return False
    _add_footroom(ax, 0.01 + _BAR_STEP * len(shown))
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    for i, (name, scenario_spans) in enumerate(shown):
        ax.broken_barh([(a, b - a) for a, b in scenario_spans], (0.006 + _BAR_STEP * i, _BAR_HEIGHT),
                       transform=transform, facecolors=colors.get(name, "0.4"), alpha=0.75, zorder=3,
                       gid=DATA_BOUND_GID)
    # an empty artist, so that the legend explains the bars once, in a neutral colour
    # (short: a wider legend would cover the stall label; the module docstring says what the bars are)
    ax.fill_between([], [], color="0.55", label="data-bound")
    return True
