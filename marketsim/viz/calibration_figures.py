"""The figure of a calibration (``marketsim calibrate``): posterior marginals and predictive vs record.

Top row: one panel per calibrated key: the weighted histogram of the posterior particles
(``posterior.csv``), the prior's 5-95% range shaded grey and its median dashed, the posterior median as a
line. Bottom: one line per target of ``predictive.csv``, on a log axis of simulated / record: the record's
band (grey), the posterior-predictive 90% band (blue for targets used for tuning, orange for held-out
ones) and its median (dot); 1 = the record's value (a target in calendar years is printed, not drawn).
Written as ``calibration.png``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from marketsim.viz.style import new_figure, save_figure

__all__ = ["CALIBRATION_FILE", "write_calibration_figure"]

CALIBRATION_FILE = "calibration.png"
_TUNED, _HELD_OUT = "#1f77b4", "#ff7f0e"


def _marginal(ax, posterior: pd.DataFrame, row: pd.Series) -> None:
    key = str(row["key"])
    values = posterior[key].to_numpy(float)
    ax.axvspan(row["prior_p5"], row["prior_p95"], color="0.9", label="prior 5-95%")
    ax.axvline(row["prior_median"], color="0.5", linestyle="--", linewidth=1, label="prior median")
    bins = np.linspace(min(values.min(), row["prior_p5"]), max(values.max(), row["prior_p95"]), 21)
    ax.hist(values, bins=bins, weights=posterior["weight"].to_numpy(float), color=_TUNED, alpha=0.6,
            label="posterior")
    ax.axvline(row["median"], color=_TUNED, linewidth=1.8, label="posterior median")
    ax.set_title(key, fontsize=10, loc="left")
    ax.set_ylabel("posterior weight")
    ax.tick_params(labelsize=8)


def _predictive(ax, predictive: pd.DataFrame) -> None:
    n = len(predictive)
    for i, row in enumerate(predictive.itertuples(index=False)):
        y = n - 1 - i
        record = float(row.record)
        low = float(row.low) if pd.notna(row.low) else np.nan
        high = float(row.high) if pd.notna(row.high) else np.nan
        if record > 0 and np.isfinite(low) and np.isfinite(high) and low > 0:
            ax.plot([low / record, high / record], [y, y], color="0.75", linewidth=9, solid_capstyle="butt")
        color = _TUNED if row.used_for_tuning else _HELD_OUT
        if row.unit == "year":  # a ratio of calendar years says nothing: print the years
            ax.text(1.0, y, f"  {row.median:.2f} (90% {row.p5:.2f}-{row.p95:.2f}) vs record {record:g}",
                    va="center", fontsize=7, color=color)
        elif np.isfinite(row.median) and record > 0 and row.p5 > 0:
            ax.plot([row.p5 / record, row.p95 / record], [y, y], color=color, linewidth=2.5)
            ax.plot([row.median / record], [y], "o", color=color, markersize=5)
        else:
            ax.text(1.0, y, "  not measured", va="center", fontsize=7, color="0.4")
    ax.axvline(1.0, color="0.3", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(n), list(predictive["key"])[::-1], fontsize=7)
    ax.set_xlabel("simulated / record (log scale); grey: record band; blue: tuned, orange: held out\n"
                  "(posterior-predictive 90% band and median)", fontsize=8)
    ax.set_title("Posterior predictive vs the record", fontsize=11, loc="left")


def write_calibration_figure(out: Path | str, posterior: pd.DataFrame, summary: pd.DataFrame,
                             predictive: pd.DataFrame) -> Path:
    """Draw the figure from the three tables (:mod:`marketsim.experiments.calibration.outputs`) into
    ``out/calibration.png`` and return its path."""
    k = max(len(summary), 1)
    fig, _ = new_figure(1, 1, size=(max(9.0, 3.2 * k), 4.0 + 0.28 * len(predictive)))
    fig.clear()
    grid = fig.add_gridspec(2, k, height_ratios=[1.0, max(1.2, 0.12 * len(predictive))])
    for j, row in enumerate(summary.to_dict(orient="records")):
        _marginal(fig.add_subplot(grid[0, j]), posterior, pd.Series(row))
    if len(summary):
        fig.axes[0].legend(fontsize=7, loc="upper right")
    _predictive(fig.add_subplot(grid[1, :]), predictive)
    path = Path(out) / CALIBRATION_FILE
    save_figure(fig, path)
    return path
