"""The validation report's figures: frontier costs and adoption of the historical run against the
record, spend growth against kappa, and the trend check.

Each function draws one PNG at ``path`` (150 dpi) from results of :mod:`marketsim.experiments.validation`.
Units: years are calendar years; money in US dollars; growth as a factor per year.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from marketsim.economics.trends import OBSERVED_SPEND_CI, OBSERVED_SPEND_GROWTH, TrendTable
from marketsim.experiments.validation import (GPT4_YEAR, RECORD, RECORD_FRONTIER_COSTS, RELEASE_LAG_YEARS,
                                              HistoryReport)
from marketsim.sim.world import World
from marketsim.viz.style import new_figure, save_figure

__all__ = ["plot_history_costs", "plot_history_adoption", "plot_kappa_sweep", "plot_trends"]


def _finish(fig: Figure, ax: Axes, path: Path | str, xlabel: str, ylabel: str, title: str, *,
            legend_size: float, legend_loc: str) -> None:
    """Labels, title, a light grid and the legend, then the PNG at ``path``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=legend_size, loc=legend_loc)
    save_figure(fig, path)


def plot_history_costs(report: HistoryReport, path: Path | str) -> None:
    """Simulated frontier run costs (at the year training starts), the record and COT24's trend line."""
    fig, (ax,) = new_figure(size=(7.5, 4.5))
    runs = report.runs
    ax.plot(runs["year"], runs["cost"], "o-", color="tab:blue", label="simulated frontier runs (start of training)")
    for name, year, cost in RECORD_FRONTIER_COSTS:
        ax.plot(year - RELEASE_LAG_YEARS, cost, "s", color="black", markersize=5)
        ax.annotate(name, (year - RELEASE_LAG_YEARS, cost), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.plot([], [], "s", color="black", label=f"COT24 amortised costs (release year - {RELEASE_LAG_YEARS:g})")
    years = np.linspace(report.scenario.meta.start_year, report.scenario.end_year, 50)
    lo, hi = OBSERVED_SPEND_CI
    for growth, style in ((OBSERVED_SPEND_GROWTH, "-"), (lo, ":"), (hi, ":")):
        ax.plot(years, RECORD["cost_2022"].value * growth ** (years - GPT4_YEAR), style, color="tab:red", linewidth=1,
                label=f"COT24 trend {OBSERVED_SPEND_GROWTH}x/yr (90% CI {lo}-{hi}) through GPT-4" if style == "-" else None)
    ax.set_yscale("log")
    _finish(fig, ax, path, "Year", "training run cost, US dollars", "Frontier training cost: historical scenario vs record",
            legend_size=7, legend_loc="upper left")


def plot_history_adoption(report: HistoryReport, path: Path | str) -> None:
    """Simulated adoption share per period and the ChatGPT weekly-user record over the population."""
    fig, (ax,) = new_figure(size=(7.5, 4))
    model = report.model
    ax.plot(model["year"], 100 * model["adoption_share"], color="tab:blue", label="simulated adoption share")
    world = World.from_scenario(report.scenario)
    points = ((2023.85, 100e6), (2024.6, 200e6), (2024.95, 300e6), (2025.1, 400e6), (2025.25, 500e6),
              (2025.6, 700e6), (2025.77, 800e6))  # ChatGPT WAU, docs/calibration.md §8 (sec.)
    shares = [100 * wau / world.at(y - report.scenario.meta.start_year).population for y, wau in points]
    ax.plot([p[0] for p in points], shares, "s", color="black", label="ChatGPT weekly users / population")
    _finish(fig, ax, path, "Year", "adoption, % of population", "Adoption: historical scenario vs ChatGPT weekly users",
            legend_size=8, legend_loc="upper left")


def plot_kappa_sweep(sweep: pd.DataFrame, path: Path | str) -> None:
    """Simulated spend growth against kappa, with COT24's interval."""
    fig, (ax,) = new_figure(size=(6, 4))
    lo, hi = OBSERVED_SPEND_CI
    ax.axhspan(lo, hi, color="tab:red", alpha=0.15, label=f"COT24 90% CI {lo}-{hi}x/yr")
    ax.axhline(OBSERVED_SPEND_GROWTH, color="tab:red", linewidth=1)
    ax.plot(sweep["kappa"], sweep["spend_growth"], "o-", color="tab:blue", label="simulated, demand re-tuned per kappa")
    ax.set_yscale("log")
    _finish(fig, ax, path, "value exponent kappa (value per adopter ~ R^-kappa)",
            "frontier training cost growth, x per year", "Spend growth of the historical scenario vs kappa",
            legend_size=8, legend_loc="best")


def plot_trends(table: TrendTable, path: Path | str) -> None:
    """Predicted spend growth per variant and case, against the observed interval."""
    fig, (ax,) = new_figure(size=(9, 5))
    lo, hi = table.inputs.observed_ci
    results = [r for r in table.results if r.growth is not None]
    labels = [f"{r.variant} | {r.regime} | {r.efficiency}" for r in results]
    colors = ["tab:green" if r.consistent else ("tab:blue" if r.market == "permissive" else "tab:gray") for r in results]
    y = np.arange(len(results))
    # Bars start at 1x (no growth), so shrinking spend points left.
    ax.barh(y, [r.growth - 1.0 for r in results], left=1.0, color=colors)
    for i, r in enumerate(results):
        if r.growth_band is not None and None not in r.growth_band:
            ax.plot(sorted(r.growth_band), [i, i], color="black", linewidth=1)
    ax.axvspan(lo, hi, color="tab:red", alpha=0.15)
    ax.axvline(table.inputs.observed, color="tab:red", linewidth=1)
    ax.set_yticks(y, labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("profit-optimal spend growth, x per year (red band: COT24 90% CI; green: consistent)")
    ax.set_title("Trend check: which variants predict the observed 2.4x/yr")
    ax.grid(True, axis="x", alpha=0.3)
    save_figure(fig, path)

