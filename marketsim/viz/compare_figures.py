"""Overlay figures of several scenarios: one line per scenario of a model.csv quantity.

``models`` maps each scenario's name to its model.csv table; ``stall_years`` maps names to their
hardware-stall year (calendar year, or None). Each quantity is a per-model
:class:`~marketsim.viz.panels.Panel` (:data:`COMPARE_PANELS`), drawn by
:func:`~marketsim.viz.panels.draw_overlay_panel`. A scenario identical to an earlier one is drawn
dashed and labelled "(identical to X)"; an HHI panel where one firm holds the whole market in
every scenario says so in text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from marketsim.viz.axes import STALL_COLOR, mark_stalls, year_span
from marketsim.viz.lines import LINE_WIDTH
from marketsim.viz.panels import Panel, draw_overlay_panel
from marketsim.viz.regime_marks import DATA_BOUND_GID, data_bound_spans, mark_scenario_data_bound
from marketsim.viz.style import NOTE_SIZE, new_figure, note, save_figure, scenario_colors

__all__ = [
    "COMPARE_FIGURES",
    "COMPARE_PANELS",
    "plot_compare_adoption",
    "plot_compare_model_size",
    "plot_compare_training_spend",
    "plot_compare_hhi",
    "plot_compare_overview",
    "save_compare_figures",
]

StallYears = Mapping[str, float | None]

ADOPTION = Panel("adoption_share", "Adoption share (% of population)", "Adoption share (% of population)",
                 scale="percent")
LARGEST_N = Panel("largest_N", "Largest model (parameters)", "Largest model N (parameters)", scale="log",
                  kind="steps")
# Cumulative, not per year: generations come every year or two, and a per-year line on a log
# scale would break into gaps in the years without a training run.
SPEND = Panel("training_spend", "Cumulative training spend (USD)", "Cumulative training spend (USD)",
              scale="log", kind="steps", transform="cumulative", prefix="$")
HHI = Panel("hhi", "Market concentration (HHI, 0-1)", "HHI (sum of squared shares, 0-1)")
#: The overview's panels, top-left first.
COMPARE_PANELS: tuple[Panel, ...] = (ADOPTION, LARGEST_N, SPEND, HHI)


def _one_firm(model: pd.DataFrame) -> bool:
    """True when one firm holds the whole market throughout: every non-zero HHI is 1."""
    hhi = model["hhi"].to_numpy(dtype=float) if "hhi" in model.columns else np.array([])
    hhi = hhi[np.isfinite(hhi) & (hhi > 0)]
    return bool(hhi.size) and bool(np.allclose(hhi, 1.0, atol=1e-9))


def _all_one_firm(panel: Panel, models: Mapping[str, pd.DataFrame]) -> bool:
    """True for the HHI panel when every scenario has one firm holding the whole market."""
    return panel is HHI and all(_one_firm(m) for m in models.values())


def _overlay_span(models: Mapping[str, pd.DataFrame]) -> tuple[float, float]:
    """Calendar years covering every scenario's run."""
    spans = [year_span(m["year"]) for m in models.values()]
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _draw_overlay(ax: Axes, models: Mapping[str, pd.DataFrame], panel: Panel, stall_years: StallYears) -> bool:
    """One line per scenario of ``panel``, then the stall markers.

    Returns True when the legend labels carry notes ("(identical to X)", "(one firm)") that a
    legend of the plain scenario names would lose. An HHI panel where every scenario has one
    firm holding the whole market says so instead of drawing flat lines at 1.
    """
    colors = scenario_colors(list(models))
    ax.set_title(panel.title)
    if _all_one_firm(panel, models):
        which = "the scenario" if len(models) == 1 else "every scenario"
        note(ax, f"Market concentration: one firm in {which}\nholds the whole market (HHI = 1 throughout).")
        return False
    notes = {name: f"{name} (one firm)" for name, m in models.items() if panel is HHI and _one_firm(m)}
    labels = draw_overlay_panel(ax, panel, models, span=_overlay_span(models), colors=colors, labels=notes)
    _mark_scenario_stalls(ax, stall_years, colors)
    mark_scenario_data_bound(ax, {name: data_bound_spans(m) for name, m in models.items()}, colors)
    return labels != list(models)


def _mark_scenario_stalls(ax: Axes, stall_years: StallYears, colors: Mapping[str, object]) -> list[Text]:
    """Mark each scenario's stall year in that scenario's colour (one label per distinct year)."""
    by_year: dict[float, list[str]] = {}
    for name, year in stall_years.items():
        if year is not None:
            by_year.setdefault(float(year), []).append(name)
    stalls = []
    for year, names in sorted(by_year.items()):
        color = colors.get(names[0], STALL_COLOR) if len(names) == 1 else STALL_COLOR
        who = ", ".join(names) if len(names) <= 2 else f"{len(names)} scenarios"
        stalls.append((year, f"stall {year:g} ({who})", color))
    return mark_stalls(ax, stalls)


def _need_models(models: Mapping[str, pd.DataFrame]) -> None:
    if not models:
        raise ValueError("need at least one scenario to plot; got none")


def _overlay_figure(
    models: Mapping[str, pd.DataFrame], panel: Panel, stall_years: StallYears | None, path: Path | str | None
) -> Figure:
    """A figure of one overlay panel, with a legend of the scenarios."""
    _need_models(models)
    fig, (ax,) = new_figure(size=NOTE_SIZE if _all_one_firm(panel, models) else (8.0, 4.8))
    _draw_overlay(ax, models, panel, stall_years or {})
    if ax.get_lines():
        ax.legend(title="scenario", loc="best")
    ax.set_title(f"{panel.title}: {' vs '.join(models)}")
    return save_figure(fig, path)


def plot_compare_adoption(
    models: Mapping[str, pd.DataFrame], *, stall_years: StallYears | None = None, path: Path | str | None = None
) -> Figure:
    """Adoption share (percent of population) per scenario; ``models`` maps name -> model.csv."""
    return _overlay_figure(models, ADOPTION, stall_years, path)


def plot_compare_model_size(
    models: Mapping[str, pd.DataFrame], *, stall_years: StallYears | None = None, path: Path | str | None = None
) -> Figure:
    """Largest model in the market (parameters, log scale) per scenario."""
    return _overlay_figure(models, LARGEST_N, stall_years, path)


def plot_compare_training_spend(
    models: Mapping[str, pd.DataFrame], *, stall_years: StallYears | None = None, path: Path | str | None = None
) -> Figure:
    """Cumulative industry training spend (dollars, log scale) per scenario."""
    return _overlay_figure(models, SPEND, stall_years, path)


def plot_compare_hhi(
    models: Mapping[str, pd.DataFrame], *, stall_years: StallYears | None = None, path: Path | str | None = None
) -> Figure:
    """Herfindahl-Hirschman index of adopter shares (0-1) per scenario.

    When every scenario has one firm holding the whole market the figure says so in text.
    """
    return _overlay_figure(models, HHI, stall_years, path)


def plot_compare_overview(
    models: Mapping[str, pd.DataFrame], *, stall_years: StallYears | None = None, path: Path | str | None = None
) -> Figure:
    """2x2 dashboard: adoption, largest model, training spend and HHI, one line per scenario.

    One legend of scenario names for the figure; a panel whose lines carry notes (identical
    lines, one-firm scenarios) gets its own small legend with them.
    """
    _need_models(models)
    fig, axes = new_figure(2, 2, size=(12.0, 8.5), sharex=True)
    for ax, panel in zip(axes, COMPARE_PANELS, strict=True):
        if _draw_overlay(ax, models, panel, stall_years or {}):
            ax.legend(loc="best", fontsize=8)
    for top, below in zip(axes[:2], axes[2:], strict=True):
        if below.axison:
            top.set_xlabel("")
        else:  # the panel below is a note: this one shows the year labels itself
            top.xaxis.set_tick_params(labelbottom=True)
    # Plain scenario names in plain solid lines: each panel's own legend carries its notes.
    colors = scenario_colors(list(models))
    handles = [Line2D([], [], color=colors[name], linewidth=LINE_WIDTH) for name in models]
    names = list(models)
    bars = [a for a in axes[0].get_children() if a.get_gid() == DATA_BOUND_GID]
    if bars:  # each panel's bars at the bottom: one entry for the figure
        handles.append(Patch(color="0.55"))
        names.append("data-bound periods (bar at the bottom of each panel, scenario colour)")
    fig.legend(handles, names, title="scenario", loc="outside lower center", ncols=min(len(names), 5))
    fig.suptitle(f"Scenario comparison: {' vs '.join(models)}")
    return save_figure(fig, path)


_COMPARE_PLOTTERS: dict[str, Callable[..., Figure]] = {
    "compare_adoption.png": plot_compare_adoption,
    "compare_model_size.png": plot_compare_model_size,
    "compare_training_spend.png": plot_compare_training_spend,
    "compare_hhi.png": plot_compare_hhi,
    "compare_overview.png": plot_compare_overview,
}
#: File names of the overlay figures (:func:`save_compare_figures`), in the order written.
COMPARE_FIGURES: tuple[str, ...] = tuple(_COMPARE_PLOTTERS)


def save_compare_figures(
    models: Mapping[str, pd.DataFrame], out_dir: Path | str, *, stall_years: StallYears | None = None
) -> list[Path]:
    """Write the overlay figures (:data:`COMPARE_FIGURES`) into ``out_dir``; return their paths."""
    out = Path(out_dir)
    paths = []
    for name, plotter in _COMPARE_PLOTTERS.items():
        plotter(models, stall_years=stall_years, path=out / name)
        paths.append(out / name)
    return paths
