"""The figure of ``marketsim statics``: one panel per elasticity, the simulated generations' points and
the fitted line.

Each panel plots ln y minus its generation's mean against ln x minus its generation's mean (the
within-generation variation the fixed-effects slope is fitted on), one marker per generation rank
(the firm's k-th model),
points outside the fit's regime hollow; the line has the fitted slope and the caption the 90%
interval and the stand-alone optimizer's prediction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from marketsim.experiments.statics import FITS, StaticsResult, generation_key
from marketsim.viz.style import GRID_STYLE, new_figure, save_figure

__all__ = ["plot_statics"]

_MARKERS = "osD^v<>p"
_LABELS = {"E": "E, FLOP per dollar", "rho_D": "rho_D", "D_bar": "D_bar, raw tokens", "N": "N, parameters",
           "D": "D, tokens", "spend": "training spend, dollars", "compute": "compute 6ND, FLOP"}


def _demeaned(rows: pd.DataFrame, column: str) -> np.ndarray:
    """ln of ``column`` minus its mean within each generation (firm and start period) among the used points."""
    logs = np.log(rows[column].astype(float).clip(lower=1e-300))
    key = generation_key(rows)
    used = rows["used"].astype(bool)
    means = logs[used].groupby(key[used]).mean()
    return (logs - key.map(means)).to_numpy(float)


def _panel(ax: Axes, result: StaticsResult, key: str) -> None:
    spec, fit = FITS[key], result.fits[key]
    rows = result.points[result.points["group"] == spec.group]
    predicted = result.prediction.as_json().get(key)
    title = key
    if fit.slope is None or rows.empty:
        ax.set_title(f"{title}: no fit", fontsize=9)
        ax.text(0.5, 0.5, f"no two {spec.regime} generations of one rank", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
        return
    x, y = _demeaned(rows, spec.x), _demeaned(rows, spec.y)
    for rank, marker in zip(sorted(rows["generation"].unique()), _MARKERS, strict=False):
        for used in (True, False):
            pick = ((rows["generation"] == rank) & (rows["used"] == used)).to_numpy()
            if pick.any():
                ax.plot(x[pick], y[pick], marker, markersize=5, color=f"C{rank}",
                        fillstyle="full" if used else "none", linestyle="none",
                        label=f"generation {rank}" if used else None)
    span = np.array([np.nanmin(x), np.nanmax(x)])
    if np.all(np.isfinite(span)):
        ax.plot(span, fit.slope * span, color="black", linewidth=1)
    interval = "" if fit.interval is None else f" [{fit.interval[0]:.2f}, {fit.interval[1]:.2f}]"
    pred = "n/a" if predicted is None else f"{predicted:.2f}"
    ax.set_title(f"{title}: {fit.slope:.2f}{interval}\noptimizer {pred}; {fit.generations_used} generations",
                 fontsize=8)
    ax.set_xlabel(f"ln {_LABELS[spec.x]} (within generation)", fontsize=7)
    ax.set_ylabel(f"ln {_LABELS[spec.y]}", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(True, **GRID_STYLE)


def plot_statics(result: StaticsResult, path: Path | str | None = None) -> None:
    """Draw the statics figure (2 rows x 4 panels) and write it as a PNG at ``path``."""
    fig, axes = new_figure(2, 4, size=(13.0, 6.5))
    for ax, key in zip(axes, FITS, strict=True):
        _panel(ax, result, key)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"Comparative statics measured in the simulated market: {result.scenario} "
                 "(filled: in the fit's regime; line: fitted slope)", fontsize=10)
    save_figure(fig, path)
