"""Axes of the report figures: calendar-year x axes, y scales, and hardware-stall marks.

* every time axis spans the run (start of the first period to end of the last) with integer
  year ticks from one locator (:func:`format_year_axis`);
* y scales: 0-100 % (:func:`percent_axis`), log where values span orders of magnitude
  (:func:`set_log`), or chosen from the data (:func:`set_auto_scale`: symlog when signs mix);
* the hardware-stall label sits inside the top of the axes on a white box, in head room above
  the data, so it neither hides a curve nor leaves the figure (:func:`mark_stalls`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter

from marketsim.viz.style import GRID_STYLE
from marketsim.viz.ticks import CountFormatter, format_log_axis, format_symlog_axis

__all__ = [
    "STALL_LABEL_GID",
    "STALL_COLOR",
    "periods_per_year",
    "year_span",
    "format_year_axis",
    "style_axes",
    "percent_axis",
    "positive",
    "set_log",
    "set_auto_scale",
    "mark_stalls",
    "mark_stall",
]

#: ``gid`` of the hardware-stall label texts, so that callers and tests can find them.
STALL_LABEL_GID = "stall-label"
STALL_COLOR = "0.35"  # a stall that belongs to no firm or scenario

# A positive series spanning fewer decades than this is drawn on a linear axis in the
# "log where it spans orders of magnitude" panels (profits); assumption, chosen for legibility.
_LOG_MIN_DECADES = 1.5
# Year tick steps (years) and the most year ticks on an axis: round steps, uncluttered.
_YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 500)
_MAX_YEAR_TICKS = 8
# Head room added above the data for the stall label(s), as a fraction of the data's height on
# the axis scale: the label is ~20 pt tall and the smallest panel ~200 pt high.
_STALL_HEADROOM = 0.14
_STALL_FONTSIZE = 9.0
_STALL_LINE_PT = 13.0  # vertical spacing (points) of stacked stall labels


# --- calendar years -------------------------------------------------------------------------------


def periods_per_year(years: pd.Index | np.ndarray | Sequence[float]) -> int:
    """Periods per year inferred from the spacing of the ``year`` column (at least 1)."""
    steps = np.diff(np.unique(np.asarray(years, dtype=float)))
    if steps.size == 0:
        return 1
    return max(1, int(round(1.0 / float(np.median(steps)))))


def year_span(years: Iterable[float]) -> tuple[float, float]:
    """Calendar years a run covers: start of the first period to end of the last."""
    values = np.unique(np.asarray(list(years), dtype=float))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no finite year to plot: the table's year column is empty or NaN")
    return float(values[0]), float(values[-1]) + 1.0 / periods_per_year(values)


def _year_step(start: float, end: float) -> int:
    """The roundest year step that gives at most :data:`_MAX_YEAR_TICKS` ticks over [start, end]."""
    return next((s for s in _YEAR_STEPS if (end - start) / s <= _MAX_YEAR_TICKS), _YEAR_STEPS[-1])


def format_year_axis(ax: Axes, span: tuple[float, float]) -> None:
    """x axis of calendar years over ``span`` (first, last year): integer ticks every 1, 2, 5,
    10... years (the same locator on every time axis), yearly minor ticks, label 'Year'."""
    start, end = span
    ax.set_xlim(start, end)
    step = _year_step(start, end)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    if 1 < step <= 10:
        ax.xaxis.set_minor_locator(MultipleLocator(1))
    ax.set_xlabel("Year")


# --- y scales and marks ---------------------------------------------------------------------


def style_axes(ax: Axes, ylabel: str, span: tuple[float, float]) -> None:
    """Year x axis over ``span``, light grid, y label with units."""
    format_year_axis(ax, span)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", **GRID_STYLE)
    ax.set_axisbelow(True)


def percent_axis(ax: Axes) -> None:
    """0-100% y axis, ticks every 25% (no tick above 100% when head room is added)."""
    ax.set_ylim(0.0, 100.0)
    ax.yaxis.set_major_locator(MultipleLocator(25.0))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100.0, decimals=0))


def positive(values: pd.Series | np.ndarray) -> np.ndarray:
    """Values as floats with non-positive and missing entries set to NaN (gaps on a log axis)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr) & (arr > 0), arr, np.nan)


def set_log(ax: Axes, values: np.ndarray, prefix: str = "") -> None:
    """Log y scale with readable labels; stays linear when there is nothing positive to show."""
    if not np.isfinite(positive(values)).any():
        ax.yaxis.set_major_formatter(CountFormatter(prefix))
        return
    format_log_axis(ax, prefix)


def set_auto_scale(ax: Axes, values: np.ndarray, prefix: str = "") -> None:
    """symlog if signs mix, log if positive over orders of magnitude, else linear.

    The symlog linear band is one thousandth of the largest magnitude, so losses and gains
    of a few percent of the peak still show but near-zero periods do not dominate the axis.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    nonzero = np.abs(arr[arr != 0])
    if nonzero.size == 0:
        ax.yaxis.set_major_formatter(CountFormatter(prefix))
        return
    if (arr < 0).any() and (arr > 0).any():
        format_symlog_axis(ax, float(nonzero.max()) * 1e-3, prefix)
        ax.axhline(0.0, color="0.4", linewidth=0.8)
    elif math.log10(nonzero.max() / nonzero.min()) >= _LOG_MIN_DECADES and (arr > 0).all():
        set_log(ax, arr, prefix)
    else:
        ax.yaxis.set_major_formatter(CountFormatter(prefix))


def _add_headroom(ax: Axes, fraction: float) -> None:
    """Raise the top of the y axis by ``fraction`` of its current height on the axis' scale."""
    lo, hi = ax.get_ylim()
    scale = ax.yaxis.get_transform()
    a, b = scale.transform(np.array([[lo], [hi]], dtype=float)).ravel()
    top = scale.inverted().transform(np.array([[b + fraction * (b - a)]]))[0, 0]
    ax.set_ylim(lo, float(top))


def mark_stalls(ax: Axes, stalls: Sequence[tuple[float, str, object]]) -> list[Text]:
    """Dashed vertical line at each hardware-stall year (calendar year) with a boxed label.

    ``stalls`` holds (year, label, colour). The labels sit inside the top of the axes, beside
    their line on the side with more room, stacked when there are several, in head room added
    above the data so that no curve runs under them. Stalls outside the plotted years are not
    drawn (drawing them would stretch the axis).
    """
    lo, hi = ax.get_xlim()
    shown = [s for s in stalls if lo <= s[0] <= hi]
    if not shown:
        return []
    _add_headroom(ax, _STALL_HEADROOM * len(shown))
    texts = []
    for i, (year, label, color) in enumerate(shown):
        ax.axvline(year, color=color, linestyle="--", linewidth=1.1, zorder=1.5)
        right = (year - lo) / (hi - lo) <= 0.6
        text = ax.annotate(
            label,
            xy=(year, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4.0 if right else -4.0, -4.0 - _STALL_LINE_PT * i),
            textcoords="offset points",
            ha="left" if right else "right",
            va="top",
            fontsize=_STALL_FONTSIZE,
            color=color,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9},
            zorder=5,
        )
        text.set_gid(STALL_LABEL_GID)
        texts.append(text)
    return texts


def mark_stall(ax: Axes, year: float | None) -> list[Text]:
    """The stall marker of a single run (grey: it belongs to no firm)."""
    return [] if year is None else mark_stalls(ax, [(float(year), f"hardware stall {year:g}", STALL_COLOR)])
