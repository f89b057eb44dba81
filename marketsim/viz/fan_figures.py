"""Fan charts of an ensemble (``marketsim ensemble``): per-period quantiles over parameter draws.

One panel per series (adoption, largest model, training spend, price, HHI); every scenario in its
colour, a light 5-95% band, a darker 25-75% band and the median line, from ``quantiles.csv``
(:mod:`marketsim.experiments.ensemble.tables`). Written as ``fan_charts.png``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from marketsim.viz.axes import percent_axis, set_log, style_axes, year_span
from marketsim.viz.style import new_figure, require_columns, save_figure, scenario_colors

__all__ = ["FAN_PANELS", "FAN_FILE", "fan_charts", "write_fan_charts"]

FAN_FILE = "fan_charts.png"

#: Panels: (model.csv series, title, y label, scale: "percent", "log", "linear", "dollar-log").
FAN_PANELS: tuple[tuple[str, str, str, str], ...] = (
    ("adoption_share", "Adoption", "share of population", "percent"),
    ("largest_N", "Largest model", "parameters", "log"),
    ("training_spend_annual", "Training spend", "dollars per year", "dollar-log"),
    ("mean_price", "Price paid", "dollars per adopter per period", "dollar-log"),
    ("hhi", "Concentration (HHI)", "index 0-1", "unit"),
)
_BAND_ALPHA = (0.16, 0.34)  # 5-95% and 25-75% bands: the inner band reads darker where both overlap


def _panel(ax: Axes, quantiles: pd.DataFrame, series: str, title: str, ylabel: str, scale: str,
           colors: dict[str, tuple[float, float, float, float]]) -> None:
    rows = quantiles[quantiles["series"] == series]
    factor = 100.0 if scale == "percent" else 1.0
    floor = _log_floor(rows) if scale in ("log", "dollar-log") else None
    values, medians = [], []
    for k, (label, color) in enumerate(colors.items()):
        g = rows[rows["scenario"] == label].sort_values("step")
        if g.empty:
            continue
        years = g["year"].to_numpy(dtype=float)
        q = {c: g[c].to_numpy(dtype=float) * factor for c in ("p5", "p25", "p50", "p75", "p95")}
        if floor is not None and np.isfinite(floor):  # zero (no training that year): the axis bottom
            q = {c: np.maximum(v, floor) for c, v in q.items()}
        ax.fill_between(years, q["p5"], q["p95"], color=color, alpha=_BAND_ALPHA[0], linewidth=0)
        ax.fill_between(years, q["p25"], q["p75"], color=color, alpha=_BAND_ALPHA[1], linewidth=0)
        medians.append((years, q["p50"], color, "-" if k == 0 else (0, (4, 2))))
        values.append(np.concatenate(list(q.values())))
    for years, median, color, dashes in medians:  # over every band, dashed after the first: equal ones show
        ax.plot(years, median, color=color, linewidth=1.8, linestyle=dashes)
    ax.set_title(title, fontsize=11, loc="left")
    if rows.empty:
        ax.text(0.5, 0.5, f"no {series} column", transform=ax.transAxes, ha="center", color="0.4")
        return
    style_axes(ax, ylabel, year_span(rows["year"]))
    if scale == "percent":
        percent_axis(ax)
    elif scale == "unit":
        ax.set_ylim(0.0, 1.02)
    elif scale in ("log", "dollar-log"):
        set_log(ax, np.concatenate(values) if values else np.array([]), "$" if scale == "dollar-log" else "")
        if floor is not None and np.isfinite(floor):
            ax.set_ylim(bottom=floor)
    else:
        ax.set_ylim(bottom=0.0)


def _log_floor(rows: pd.DataFrame) -> float:
    """Bottom of a log panel where some quantile is 0: a third of the smallest positive one (NaN
    when none is 0, or none is positive: the axis then chooses its own range)."""
    values = rows[["p5", "p25", "p50", "p75", "p95"]].to_numpy(dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    has_zero = bool((values[np.isfinite(values)] <= 0).any())
    return float(positive.min() / 3) if positive.size and has_zero else float("nan")


def fan_charts(quantiles: pd.DataFrame, title: str = "Ensemble") -> Figure:
    """The fan-chart figure of a quantiles.csv table (columns scenario, series, step, year, p5..p95).

    Raises:
        ValueError: a required column is missing.
    """
    require_columns(quantiles, ["scenario", "series", "step", "year", "p5", "p25", "p50", "p75", "p95"],
                    "quantiles")
    colors = scenario_colors(list(quantiles["scenario"]))
    fig, axes = new_figure(3, 2, size=(11.0, 11.0))
    for ax, (series, panel_title, ylabel, scale) in zip(axes, FAN_PANELS, strict=False):
        _panel(ax, quantiles, series, panel_title, ylabel, scale, colors)
    legend_ax = axes[len(FAN_PANELS)]
    legend_ax.set_axis_off()
    handles = [Patch(facecolor=c, alpha=0.6, label=label) for label, c in colors.items()]
    handles[1:] = [Patch(facecolor=c, alpha=0.6, label=f"{label} (median dashed)")
                   for label, c in list(colors.items())[1:]]
    grey = (0.3, 0.3, 0.3, 1.0)
    handles += [Patch(facecolor=grey, alpha=_BAND_ALPHA[0], label="5-95% of draws"),
                Patch(facecolor=grey, alpha=_BAND_ALPHA[0] + _BAND_ALPHA[1], label="25-75% of draws")]
    handles += [legend_ax.plot([], [], color=grey, linewidth=1.8, label="median")[0]]
    legend_ax.legend(handles=handles, loc="center", frameon=False, fontsize=11, title="scenarios and bands",
                     title_fontsize=11)
    runs = int(quantiles.loc[quantiles["step"] == 0, "runs"].max()) if "runs" in quantiles else None
    fig.suptitle(f"{title}: quantiles over {runs} parameter draws" if runs else title, fontsize=13)
    return fig


def write_fan_charts(out_dir: Path | str, quantiles: pd.DataFrame, title: str = "Ensemble") -> Path:
    """Write ``fan_charts.png`` into ``out_dir``; returns its path."""
    path = Path(out_dir) / FAN_FILE
    save_figure(fan_charts(quantiles, title), path)
    return path
