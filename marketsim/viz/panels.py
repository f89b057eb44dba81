"""The one Panel abstraction: a declarative description of a time-series panel (one axes).

A :class:`Panel` says what one axes shows and how: which column of which table (``per="model"``:
model.csv, one value per period; ``per="firm"``: firms.csv, one value per firm per period), how
the column is transformed (running total, trailing-year sum, sum per calendar year), the title and
the y label with units, the y scale, and how it is drawn (line, steps, bars, stacked areas).
Two functions draw a panel, so every figure draws a given quantity the same way:

* :func:`draw_run_panel` (one run): the model's series (a line or bars per calendar year), or one
  line per firm, or the firms' shares stacked. Used by :mod:`marketsim.viz.run_figures`.
* :func:`draw_overlay_panel` (several scenarios): one line per scenario of a per-model panel.
  Used by :mod:`marketsim.viz.compare_figures`.

A figure is a :class:`FigureSpec`: its key, file name, title, the panels it shows and the function
that lays them out. ``marketsim.viz.RUN_FIGURE_SPECS`` lists the figures of one run (what
``marketsim run`` writes and what the playground's Market tab shows); ``spec.draw(model, firms,
scenario=..., stall_year=...)`` draws one of them from the run's tables.

Example (a custom panel)::

    from marketsim.viz.panels import Panel, draw_run_panel
    panel = Panel("largest_N", "Largest model", "Parameters N", scale="log", kind="steps")
    draw_run_panel(ax, panel, model, span=(2025.0, 2045.0))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from marketsim.sim.tables import period_name
from marketsim.viz.axes import percent_axis, periods_per_year, positive, set_auto_scale, set_log, style_axes
from marketsim.viz.lines import Series, firm_lines, plot_lines
from marketsim.viz.style import first_seen, require_columns
from marketsim.viz.ticks import CountFormatter

__all__ = [
    "Scale",
    "Per",
    "Kind",
    "Transform",
    "Panel",
    "FigureSpec",
    "by_firm",
    "apply_scale",
    "draw_run_panel",
    "draw_overlay_panel",
]

#: y scales: "percent" (a 0-1 column shown as 0-100 %), "log", "auto" (symlog when signs mix,
#: log over orders of magnitude, else linear), "linear" (from zero), "linear-margin" (linear with
#: a little room below zero, so that a line at 0 is not hidden by the spine).
Scale = Literal["percent", "log", "auto", "linear", "linear-margin"]
#: which table: "model" (model.csv, one row per period) or "firm" (firms.csv, one row per firm per period).
Per = Literal["model", "firm"]
#: how the series is drawn: "line", "steps" (jumps at releases), "bars", "stack" (per-firm areas).
Kind = Literal["line", "steps", "bars", "stack"]
#: "none"; "cumulative" (running total over periods); "trailing-year" (sum over the last year of
#: periods, so a lumpy bill reads as a dip of one year); "calendar-year" (sum per calendar year).
Transform = Literal["none", "cumulative", "trailing-year", "calendar-year"]

_RUN_LINE_WIDTH = 1.8  # points: the single series of a per-model panel of one run
_REFERENCE_STYLE = {"color": "0.45", "linewidth": 1.2, "linestyle": "--"}
_BAR_STYLE = {"width": 0.8, "alpha": 0.85}  # width in years: bars of one calendar year
_STACK_STYLE = {"alpha": 0.85, "linewidth": 0.4, "edgecolor": "white"}
_BELOW_ZERO = 0.04  # "linear-margin": room below zero, as a fraction of the axis top


@dataclass(frozen=True)
class Panel:
    """One time-series panel: a column, how to transform it, label it, scale it and draw it.

    Attributes:
        column: the table column shown (``year`` is the x axis, calendar years).
        title: the axes title; may use ``{period}`` (one period in words, e.g. 'quarter') and
            ``{start}`` (the first calendar year).
        ylabel: the y label with its unit; may use ``{period}`` and ``{start}``.
        scale: see :data:`Scale`.
        per: see :data:`Per`.
        kind: see :data:`Kind`.
        transform: see :data:`Transform`.
        prefix: tick-label prefix ('$' for US dollars).
        counts: on a linear scale, label ticks as counts ('600M', '$2B') rather than plain numbers.
        color: colour of a per-model series in a run figure (per-firm and overlay panels colour
            by firm / scenario).
        label: legend label of a per-model series in a run figure.
        reference: a second model.csv column drawn dashed grey for reference (e.g. population).
    """

    column: str
    title: str
    ylabel: str
    scale: Scale = "linear"
    per: Per = "model"
    kind: Kind = "line"
    transform: Transform = "none"
    prefix: str = ""
    counts: bool = False
    color: str = "tab:blue"
    label: str = ""
    reference: str | None = None

    @property
    def steps(self) -> bool:
        """True for quantities that jump at releases (drawn as steps)."""
        return self.kind == "steps"

    @property
    def columns(self) -> list[str]:
        """The columns the panel needs from its table."""
        needed = ["year", self.column] if self.per == "model" else ["year", "firm", self.column]
        return needed + ([self.reference] if self.reference else [])

    def text(self, template: str, years: pd.Series | np.ndarray) -> str:
        """``template`` (the title or y label) with ``{period}`` and ``{start}`` filled from ``years``."""
        values = np.asarray(years, dtype=float)
        return template.format(period=period_name(periods_per_year(values)), start=f"{np.nanmin(values):.0f}")

    def values(self, model: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """x (calendar years) and y of a per-model panel, transformed, in the column's units."""
        x = model["year"].to_numpy(dtype=float)
        y = model[self.column].to_numpy(dtype=float)
        if self.transform == "cumulative":
            return x, np.nancumsum(y)
        if self.transform == "calendar-year":
            per_year = pd.Series(y).groupby(np.floor(x)).sum()
            return per_year.index.to_numpy(dtype=float) + 0.5, per_year.to_numpy(dtype=float)  # bar mid-year
        if self.transform == "trailing-year":
            return x, pd.Series(y).rolling(periods_per_year(x), min_periods=1).sum().to_numpy(dtype=float)
        return x, y

    def firm_values(self, firms: pd.DataFrame) -> pd.DataFrame:
        """Wide table year x firm of a per-firm panel, transformed; NaN where a firm is out
        (a stack counts an absent firm as 0)."""
        if self.kind == "stack":
            return by_firm(firms, self.column, alive_only=False).fillna(0.0)
        wide = by_firm(firms, self.column)
        if self.transform == "trailing-year":
            window = periods_per_year(wide.index)
            return wide.rolling(window, min_periods=1).sum().where(wide.notna())
        if self.transform == "cumulative":
            return wide.cumsum().where(wide.notna())
        return wide

    def shown(self, y: np.ndarray) -> np.ndarray:
        """Values as plotted: percent of a 0-1 share, gaps where a log axis has no value."""
        if self.scale == "percent":
            return 100.0 * y
        return positive(y) if self.scale == "log" else y


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: what it is called, what it shows and the function that draws it.

    Attributes:
        name: short key (CSS class suffix, cache key), e.g. 'adoption'.
        file: PNG file name, e.g. 'adoption.png'.
        title: what the figure shows (its title without the scenario name).
        table: the run table it is drawn from ('model' or 'firms').
        panels: the panels it shows, top-left first.
        plot: ``plot(table, *, scenario, stall_year, path) -> Figure``.
    """

    name: str
    file: str
    title: str
    table: Literal["model", "firms"]
    panels: tuple[Panel, ...]
    plot: Callable[..., Figure]

    def draw(
        self,
        model: pd.DataFrame,
        firms: pd.DataFrame,
        *,
        scenario: str | None = None,
        stall_year: float | None = None,
        path: Path | str | None = None,
    ) -> Figure:
        """The figure of one run from its tables (``path``: also save it as a PNG)."""
        table = model if self.table == "model" else firms
        return self.plot(table, scenario=scenario, stall_year=stall_year, path=path)


def by_firm(firms: pd.DataFrame, column: str, *, alive_only: bool = True) -> pd.DataFrame:
    """Wide table year x firm of ``column``; periods where a firm is not in the market (not yet
    entered, or exited: ``in_market``, else ``alive``) become NaN."""
    require_columns(firms, ["year", "firm", column], "firms")
    data = firms
    flag = "in_market" if "in_market" in firms.columns else "alive"
    if alive_only and flag in firms.columns:
        data = firms.assign(**{column: firms[column].where(firms[flag].astype(bool))})
    wide = data.pivot_table(index="year", columns="firm", values=column, aggfunc="first", dropna=False)
    return wide.reindex(columns=first_seen(firms["firm"]))


def apply_scale(ax: Axes, panel: Panel, values: np.ndarray) -> None:
    """Set the y scale, limits and tick labels of ``ax`` for ``panel`` showing ``values``."""
    if panel.scale == "percent":
        percent_axis(ax)
    elif panel.scale == "log":
        set_log(ax, values, panel.prefix)
    elif panel.scale == "auto":
        set_auto_scale(ax, values, panel.prefix)
    elif panel.scale == "linear-margin":
        top = ax.get_ylim()[1]
        top = top if top > 0 else 1.0
        ax.set_ylim(-_BELOW_ZERO * top, top)
        ax.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
        ax.yaxis.set_major_formatter(CountFormatter(panel.prefix))
    else:
        ax.set_ylim(bottom=0.0)
        if panel.counts:
            ax.yaxis.set_major_formatter(CountFormatter(panel.prefix))


def _draw_model_series(ax: Axes, panel: Panel, model: pd.DataFrame) -> np.ndarray:
    """The single series of a per-model panel of one run (and its reference line); its values."""
    x, y = panel.values(model)
    if panel.kind == "bars":
        ax.bar(x, y, color=panel.color, label=panel.label, **_BAR_STYLE)
    else:
        ax.plot(x, panel.shown(y), color=panel.color, linewidth=_RUN_LINE_WIDTH, label=panel.label,
                drawstyle="steps-post" if panel.steps else "default")
    if panel.reference:
        ax.plot(x, model[panel.reference].to_numpy(dtype=float), label=panel.reference, **_REFERENCE_STYLE)
    return y


def _draw_firm_series(ax: Axes, panel: Panel, firms: pd.DataFrame, colors: Mapping[str, object]) -> np.ndarray:
    """One line per firm, or the firms' stacked areas; the values drawn."""
    wide = panel.firm_values(firms)
    if panel.kind == "stack":
        shown = panel.shown(wide.to_numpy(dtype=float))
        ax.stackplot(wide.index.to_numpy(dtype=float), shown.T, labels=[str(f) for f in wide.columns],
                     colors=[colors[f] for f in wide.columns], **_STACK_STYLE)
        return shown
    firm_lines(ax, wide, colors, steps=panel.steps, positive=panel.scale == "log")
    return wide.to_numpy()


def draw_run_panel(
    ax: Axes,
    panel: Panel,
    table: pd.DataFrame,
    *,
    span: tuple[float, float],
    colors: Mapping[str, object] | None = None,
) -> None:
    """Draw ``panel`` of one run on ``ax``: data, y scale, year axis over ``span``, labels.

    ``table`` is model.csv for a per-model panel, firms.csv for a per-firm one (then ``colors``
    maps each firm to its colour).
    """
    require_columns(table, panel.columns, "model" if panel.per == "model" else "firms")
    if panel.per == "model":
        values = _draw_model_series(ax, panel, table)
    else:
        if colors is None:
            raise ValueError(f"panel {panel.column!r} is drawn per firm: colors (firm -> colour) are needed")
        values = _draw_firm_series(ax, panel, table, colors)
    apply_scale(ax, panel, values)
    style_axes(ax, panel.text(panel.ylabel, table["year"]), span)
    ax.set_title(panel.text(panel.title, table["year"]))


def draw_overlay_panel(
    ax: Axes,
    panel: Panel,
    models: Mapping[str, pd.DataFrame],
    *,
    span: tuple[float, float],
    colors: Mapping[str, object],
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """Draw a per-model ``panel`` with one line per scenario (``models``: name -> model.csv).

    ``labels`` may replace a scenario's legend label (e.g. to add a note). Lines that coincide
    stay visible (:func:`marketsim.viz.lines.plot_lines`). Returns the legend labels drawn.
    """
    if panel.per != "model":
        raise ValueError(f"panel {panel.column!r} is per firm: only per-model panels overlay scenarios")
    for name, model in models.items():
        require_columns(model, ["year", panel.column], f"model ({name})")
    series = []
    for name, model in models.items():
        x, y = panel.values(model)
        series.append(Series((labels or {}).get(name, name), x, panel.shown(y), colors[name]))
    drawn = plot_lines(ax, series, steps=panel.steps)
    style_axes(ax, panel.ylabel, span)
    apply_scale(ax, panel, np.concatenate([s.y for s in series]))
    return drawn
