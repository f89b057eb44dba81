"""Report figures from the result tables (matplotlib; no model imports).

Every function takes the tidy tables of docs/architecture.md (``model.csv``: one row per period;
``firms.csv``: one row per firm per period), returns a :class:`matplotlib.figure.Figure` and, when
given ``path``, saves it as a PNG at :data:`FIGURE_DPI`. Figures are built with the object API
(``Figure`` + Agg canvas) rather than ``pyplot`` so that no global figure registry or interactive
backend is involved: plotting works headless, in threads and in worker processes.

Units on the axes: years are calendar years (the ``year`` column); N in parameters, D in tokens,
money in US dollars; prices in dollars per adopter per period; shares in percent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogFormatterSciNotation,
    MaxNLocator,
    PercentFormatter,
    ScalarFormatter,
)
from matplotlib.transforms import blended_transform_factory

__all__ = [
    "FIGURE_DPI",
    "RUN_FIGURES",
    "COMPARE_FIGURES",
    "firm_colors",
    "scenario_colors",
    "human_number",
    "plot_adoption",
    "plot_model_size",
    "plot_training_spend",
    "plot_market_shares",
    "plot_prices_profits",
    "save_run_figures",
    "plot_compare_adoption",
    "plot_compare_model_size",
    "plot_compare_training_spend",
    "plot_compare_hhi",
    "plot_compare_overview",
    "save_compare_figures",
]

FIGURE_DPI = 150  # assumption: sharp in a report or README, PNGs stay ~100 kB

RUN_FIGURES = (
    "adoption.png",
    "model_size.png",
    "training_spend.png",
    "market_shares.png",
    "prices_profits.png",
)
COMPARE_FIGURES = (
    "compare_adoption.png",
    "compare_model_size.png",
    "compare_training_spend.png",
    "compare_hhi.png",
    "compare_overview.png",
)

_STALL_COLOR = "0.35"
_GRID_STYLE = {"color": "0.85", "linewidth": 0.6}
# A positive series spanning fewer decades than this is drawn on a linear axis in the
# "log where it spans orders of magnitude" panels (profits); assumption, chosen for legibility.
_LOG_MIN_DECADES = 1.5


# --- colours and number formats -------------------------------------------------------------


def _palette(n: int, cmap: str) -> list[tuple[float, float, float, float]]:
    """Return n distinct colours, cycling the qualitative colormap ``cmap`` when n exceeds it."""
    colors = colormaps[cmap].colors  # type: ignore[attr-defined]
    return [tuple(colors[i % len(colors)]) for i in range(n)]


def _first_seen(values: Iterable[str]) -> list[str]:
    """Unique values in order of first appearance (the firm order of the scenario file)."""
    return list(dict.fromkeys(values))


def firm_colors(firms: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """Map each firm name to a fixed colour, by order of first appearance.

    The same table always yields the same mapping, so a firm has one colour across all figures of
    a run.
    """
    names = _first_seen(firms)
    return dict(zip(names, _palette(len(names), "tab10"), strict=True))


def scenario_colors(names: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """Map each scenario name to a colour (a palette distinct from the firms' one)."""
    names = _first_seen(names)
    return dict(zip(names, _palette(len(names), "Dark2"), strict=True))


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def human_number(x: float, prefix: str = "") -> str:
    """Format a count or dollar amount compactly: 1.5e9 -> '1.5B', with '$' as ``prefix``.

    Amounts of 1e15 and more use scientific notation ('3e+15') because 'thousand trillion' is
    not a unit anyone reads easily.
    """
    if not math.isfinite(x):
        return str(x)
    sign = "-" if x < 0 else ""
    mag = abs(x)
    if mag >= 1e15:
        return f"{sign}{prefix}{mag:.3g}"
    for scale, suffix in _SUFFIXES:
        if mag >= scale:
            return f"{sign}{prefix}{mag / scale:.3g}{suffix}"
    return f"{sign}{prefix}{mag:.3g}"


class _HumanLogFormatter(LogFormatterSciNotation):
    """Log-axis labels as '$10B' instead of 10^10, keeping matplotlib's choice of labelled ticks."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self._prefix = prefix

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Label tick ``x`` (axis units) if matplotlib's log formatter would label it."""
        return human_number(x, self._prefix) if super().__call__(x, pos) else ""


def _human_formatter(prefix: str = "") -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: "0" if x == 0 else human_number(x, prefix))


# --- axes helpers ------------------------------------------------------------------------------


def _new_figure(
    nrows: int = 1, ncols: int = 1, *, size: tuple[float, float], sharex: bool = False
) -> tuple[Figure, list[Axes]]:
    """A Figure on an Agg canvas with a grid of axes (constrained layout)."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False)
    return fig, list(axes.ravel())


def _style_axes(ax: Axes, ylabel: str) -> None:
    """Year x axis without offsets or fractional ticks, light grid, y label with units."""
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))
    ax.grid(True, which="major", **_GRID_STYLE)
    ax.set_axisbelow(True)


def _positive(values: pd.Series | np.ndarray) -> np.ndarray:
    """Values as floats with non-positive and missing entries set to NaN (gaps on a log axis)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr) & (arr > 0), arr, np.nan)


def _set_log(ax: Axes, values: np.ndarray, prefix: str = "") -> None:
    """Log y scale with compact labels; stays linear when there is nothing positive to show."""
    if not np.isfinite(_positive(values)).any():
        ax.yaxis.set_major_formatter(_human_formatter(prefix))
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_HumanLogFormatter(prefix))
    ax.yaxis.set_minor_formatter(_HumanLogFormatter(prefix))


def _set_auto_scale(ax: Axes, values: np.ndarray, prefix: str = "") -> None:
    """symlog if signs mix, log if positive over orders of magnitude, else linear.

    The symlog linear band is one thousandth of the largest magnitude, so losses and gains
    of a few percent of the peak still show but near-zero periods do not dominate the axis.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    nonzero = np.abs(arr[arr != 0])
    if nonzero.size == 0:
        ax.yaxis.set_major_formatter(_human_formatter(prefix))
        return
    if (arr < 0).any() and (arr > 0).any():
        ax.set_yscale("symlog", linthresh=float(nonzero.max()) * 1e-3)
        ax.yaxis.set_major_formatter(_human_formatter(prefix))
        ax.axhline(0.0, color="0.4", linewidth=0.8)
    elif math.log10(nonzero.max() / nonzero.min()) >= _LOG_MIN_DECADES and (arr > 0).all():
        _set_log(ax, arr, prefix)
    else:
        ax.yaxis.set_major_formatter(_human_formatter(prefix))


def _mark_stall(
    ax: Axes, year: float | None, label: str | None = None, color: object = _STALL_COLOR
) -> None:
    """Dashed vertical line at a hardware-stall year (calendar year) with a rotated label.

    Nothing is drawn when there is no stall or it falls outside the plotted years (drawing it
    would stretch the axis).
    """
    if year is None:
        return
    label = label if label is not None else f"hardware stall {year:g}"
    lo, hi = ax.get_xlim()
    if not lo <= year <= hi:
        return
    ax.axvline(year, color=color, linestyle="--", linewidth=1.1, zorder=1.5)
    ax.text(
        year,
        0.98,
        f" {label}",
        transform=blended_transform_factory(ax.transData, ax.transAxes),
        rotation=90,
        va="top",
        ha="right",
        fontsize=8,
        color=color,
    )


def _title(base: str, scenario: str | None) -> str:
    return f"{base} — {scenario}" if scenario else base


def _save(fig: Figure, path: Path | str | None) -> Figure:
    if path is not None:
        fig.savefig(Path(path), dpi=FIGURE_DPI)
    return fig


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise a ValueError naming the table and the missing columns."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{table} table is missing column(s) {missing}; it has {list(df.columns)}"
        )


def _by_firm(firms: pd.DataFrame, column: str, *, alive_only: bool = True) -> pd.DataFrame:
    """Wide table year x firm of ``column``; periods where a firm is not alive become NaN."""
    _require(firms, ["year", "firm", column], "firms")
    data = firms
    if alive_only and "alive" in firms.columns:
        data = firms.assign(**{column: firms[column].where(firms["alive"].astype(bool))})
    wide = data.pivot_table(index="year", columns="firm", values=column, aggfunc="first", dropna=False)
    return wide.reindex(columns=_first_seen(firms["firm"]))


def _firm_lines(
    ax: Axes, wide: pd.DataFrame, colors: Mapping[str, object], *, steps: bool = False, positive: bool = False
) -> None:
    """One line per firm column of ``wide``; ``steps`` for quantities that jump at releases."""
    for firm in wide.columns:
        y = _positive(wide[firm]) if positive else wide[firm].to_numpy(dtype=float)
        ax.plot(
            wide.index,
            y,
            color=colors[firm],
            label=str(firm),
            linewidth=1.6,
            drawstyle="steps-post" if steps else "default",
        )


# --- figures of one run -----------------------------------------------------------------------


def plot_adoption(
    model: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Adoption over time: share of the population adopting (percent) and adopters (people).

    Uses ``year``, ``adoption_share`` (0-1), ``adopters`` and ``population`` of model.csv.
    """
    _require(model, ["year", "adoption_share", "adopters", "population"], "model")
    fig, (top, bottom) = _new_figure(2, 1, size=(8.0, 6.5), sharex=True)
    top.plot(model["year"], 100.0 * model["adoption_share"], color="tab:blue", linewidth=1.8,
             label="adoption share")
    top.axhline(50.0, color="0.6", linewidth=0.8, linestyle=":", label="50%")
    top.set_ylim(0.0, 100.0)
    top.yaxis.set_major_formatter(PercentFormatter(xmax=100.0))
    _style_axes(top, "Adoption share (% of population)")
    top.set_xlabel("")
    top.legend(loc="upper left")

    bottom.plot(model["year"], model["adopters"], color="tab:blue", linewidth=1.8, label="adopters")
    bottom.plot(model["year"], model["population"], color="0.45", linewidth=1.2, linestyle="--",
                label="population")
    bottom.set_ylim(bottom=0.0)
    bottom.yaxis.set_major_formatter(_human_formatter())
    _style_axes(bottom, "People")
    bottom.legend(loc="upper left")

    for ax in (top, bottom):
        _mark_stall(ax, stall_year)
    fig.suptitle(_title("Adoption of LLMs", scenario))
    return _save(fig, path)


def plot_model_size(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Model size per firm: parameters N (left) and training tokens D (right), log scales.

    Uses ``year``, ``firm``, ``N``, ``D`` (and ``alive``) of firms.csv; firms without a model
    or out of the market leave a gap.
    """
    colors = firm_colors(list(firms["firm"]))
    fig, (ax_n, ax_d) = _new_figure(1, 2, size=(12.0, 4.8))
    for ax, column, label, what in (
        (ax_n, "N", "Parameters N", "Model size"),
        (ax_d, "D", "Training tokens D", "Training data"),
    ):
        wide = _by_firm(firms, column)
        _firm_lines(ax, wide, colors, steps=True, positive=True)
        _set_log(ax, wide.to_numpy())
        _style_axes(ax, label)
        ax.set_title(what)
        _mark_stall(ax, stall_year)
    ax_n.legend(title="firm", loc="upper left")
    fig.suptitle(_title("Model size and training data per firm", scenario))
    return _save(fig, path)


def plot_training_spend(
    model: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Industry training spend per calendar year (dollars, bars, log scale) and its running total.

    Bars rather than a line: firms train a new generation every year or two, so some years have
    no spend at all, which a log-scale line would hide as gaps.
    """
    _require(model, ["year", "training_spend"], "model")
    fig, (ax,) = _new_figure(size=(8.0, 4.8))
    calendar = np.floor(model["year"].to_numpy(dtype=float))
    per_year = pd.Series(model["training_spend"].to_numpy(dtype=float)).groupby(calendar).sum()
    ax.bar(per_year.index + 0.5, _positive(per_year.to_numpy()), width=0.8, color="tab:red", alpha=0.8,
           label="training spend in the year")
    cumulative = model["training_spend"].to_numpy(dtype=float).cumsum()
    ax.plot(model["year"], _positive(cumulative), color="0.25", linewidth=1.5, linestyle="--",
            label="cumulative since start")
    _set_log(ax, np.concatenate([per_year.to_numpy(), cumulative]), "$")
    _style_axes(ax, "Training spend (USD per year)")
    _mark_stall(ax, stall_year)
    ax.legend(loc="upper left")
    ax.set_title(_title("Industry training spend", scenario))
    return _save(fig, path)


def plot_market_shares(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Stacked area of each firm's share of adopters (percent); uses ``year``, ``firm``, ``share``."""
    colors = firm_colors(list(firms["firm"]))
    wide = _by_firm(firms, "share", alive_only=False).fillna(0.0) * 100.0
    fig, (ax,) = _new_figure(size=(8.0, 4.8))
    ax.stackplot(
        wide.index.to_numpy(dtype=float),
        wide.to_numpy(dtype=float).T,
        labels=[str(f) for f in wide.columns],
        colors=[colors[f] for f in wide.columns],
        alpha=0.85,
        linewidth=0.4,
        edgecolor="white",
    )
    ax.set_ylim(0.0, 100.0)
    ax.set_xlim(float(wide.index.min()), float(wide.index.max()))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100.0))
    _style_axes(ax, "Share of adopters (%)")
    _mark_stall(ax, stall_year)
    ax.legend(title="firm", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(_title("Market shares", scenario))
    return _save(fig, path)


def _periods_per_year(years: pd.Index | np.ndarray) -> int:
    """Periods per year inferred from the spacing of the ``year`` column (at least 1)."""
    steps = np.diff(np.unique(np.asarray(years, dtype=float)))
    if steps.size == 0:
        return 1
    return max(1, int(round(1.0 / float(np.median(steps)))))


def plot_prices_profits(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Price per firm (dollars per adopter per period) and profit per firm over the trailing year.

    The profit panel sums ``profit`` (dollars per period) over the last year of periods, so a
    lumpy training bill reads as a dip of one year rather than a one-period spike; in the first
    year the sum covers the periods so far. The scale is symlog when profits change sign.
    """
    colors = firm_colors(list(firms["firm"]))
    prices = _by_firm(firms, "price")
    profits = _by_firm(firms, "profit")
    window = _periods_per_year(profits.index)
    trailing = profits.rolling(window, min_periods=1).sum().where(profits.notna())

    fig, (ax_p, ax_pi) = _new_figure(1, 2, size=(12.0, 4.8))
    _firm_lines(ax_p, prices, colors, steps=True)
    ax_p.set_ylim(bottom=0.0)
    ax_p.yaxis.set_major_formatter(_human_formatter("$"))
    _style_axes(ax_p, "Price (USD per adopter per period)")
    ax_p.set_title("Prices")

    _firm_lines(ax_pi, trailing, colors)
    _set_auto_scale(ax_pi, trailing.to_numpy(), "$")
    _style_axes(ax_pi, "Profit, trailing year (USD per year)")
    ax_pi.set_title("Profits")
    for ax in (ax_p, ax_pi):
        _mark_stall(ax, stall_year)
    ax_p.legend(title="firm", loc="best")
    fig.suptitle(_title("Prices and profits per firm", scenario))
    return _save(fig, path)


_RUN_PLOTTERS: dict[str, tuple[Callable[..., Figure], str]] = {
    "adoption.png": (plot_adoption, "model"),
    "model_size.png": (plot_model_size, "firms"),
    "training_spend.png": (plot_training_spend, "model"),
    "market_shares.png": (plot_market_shares, "firms"),
    "prices_profits.png": (plot_prices_profits, "firms"),
}


def save_run_figures(
    model: pd.DataFrame,
    firms: pd.DataFrame,
    out_dir: Path | str,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
) -> list[Path]:
    """Write the five figures of one run (:data:`RUN_FIGURES`) into ``out_dir``; return their paths."""
    out = Path(out_dir)
    tables = {"model": model, "firms": firms}
    paths = []
    for name in RUN_FIGURES:
        plotter, table = _RUN_PLOTTERS[name]
        plotter(tables[table], scenario=scenario, stall_year=stall_year, path=out / name)
        paths.append(out / name)
    return paths


# --- overlays of several scenarios --------------------------------------------------------------


@dataclass(frozen=True)
class _Panel:
    """One overlay quantity: a model.csv column, how to draw it and how to label it."""

    column: str
    title: str
    ylabel: str
    scale: str  # "log", "linear" or "percent"
    prefix: str = ""
    cumulative: bool = False  # plot the running total of the column

    def values(self, model: pd.DataFrame) -> np.ndarray:
        """The plotted series of one scenario."""
        y = model[self.column].to_numpy(dtype=float)
        return y.cumsum() if self.cumulative else y


_ADOPTION = _Panel("adoption_share", "Adoption share", "Adoption share (% of population)", "percent")
_LARGEST_N = _Panel("largest_N", "Largest model", "Largest model N (parameters)", "log")
# Cumulative, not per year: generations come every year or two, and a per-year line on a log
# scale would break into gaps in the years without a training run.
_SPEND = _Panel("training_spend", "Cumulative training spend", "Cumulative training spend (USD)",
                "log", "$", cumulative=True)
_HHI = _Panel("hhi", "Market concentration", "HHI (sum of squared shares, 0-1)", "linear")


def _draw_overlay(
    ax: Axes,
    models: Mapping[str, pd.DataFrame],
    panel: _Panel,
    stall_years: Mapping[str, float | None],
) -> None:
    """One line per scenario of ``panel.column``, then the scale and stall markers."""
    colors = scenario_colors(list(models))
    values = []
    for name, model in models.items():
        _require(model, ["year", panel.column], f"model ({name})")
        y = panel.values(model)
        if panel.scale == "percent":
            y = 100.0 * y
        elif panel.scale == "log":
            y = _positive(y)
        values.append(y)
        ax.plot(model["year"], y, color=colors[name], linewidth=1.8, label=name)
    _style_axes(ax, panel.ylabel)
    ax.set_title(panel.title)
    if panel.scale == "percent":
        ax.set_ylim(0.0, 100.0)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100.0))
    elif panel.scale == "log":
        _set_log(ax, np.concatenate(values) if values else np.array([]), panel.prefix)
    else:
        ax.set_ylim(bottom=0.0)
    _mark_stalls(ax, stall_years, colors)


def _mark_stalls(
    ax: Axes, stall_years: Mapping[str, float | None], colors: Mapping[str, object]
) -> None:
    """Mark each scenario's stall year in that scenario's colour (one label per distinct year)."""
    by_year: dict[float, list[str]] = {}
    for name, year in stall_years.items():
        if year is not None:
            by_year.setdefault(float(year), []).append(name)
    for year, names in by_year.items():
        color = colors[names[0]] if len(names) == 1 else _STALL_COLOR
        _mark_stall(ax, year, f"stall {year:g} ({', '.join(names)})", color=color)


def _overlay_figure(
    models: Mapping[str, pd.DataFrame],
    panel: _Panel,
    stall_years: Mapping[str, float | None] | None,
    path: Path | str | None,
) -> Figure:
    if not models:
        raise ValueError("need at least one scenario to plot; got none")
    fig, (ax,) = _new_figure(size=(8.0, 4.8))
    _draw_overlay(ax, models, panel, stall_years or {})
    ax.legend(title="scenario", loc="best")
    ax.set_title(f"{panel.title}: {' vs '.join(models)}")
    return _save(fig, path)


def plot_compare_adoption(
    models: Mapping[str, pd.DataFrame],
    *,
    stall_years: Mapping[str, float | None] | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Adoption share (percent of population) per scenario; ``models`` maps name -> model.csv."""
    return _overlay_figure(models, _ADOPTION, stall_years, path)


def plot_compare_model_size(
    models: Mapping[str, pd.DataFrame],
    *,
    stall_years: Mapping[str, float | None] | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Largest model in the market (parameters, log scale) per scenario."""
    return _overlay_figure(models, _LARGEST_N, stall_years, path)


def plot_compare_training_spend(
    models: Mapping[str, pd.DataFrame],
    *,
    stall_years: Mapping[str, float | None] | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Cumulative industry training spend (dollars, log scale) per scenario."""
    return _overlay_figure(models, _SPEND, stall_years, path)


def plot_compare_hhi(
    models: Mapping[str, pd.DataFrame],
    *,
    stall_years: Mapping[str, float | None] | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Herfindahl-Hirschman index of adopter shares (0-1) per scenario."""
    return _overlay_figure(models, _HHI, stall_years, path)


def plot_compare_overview(
    models: Mapping[str, pd.DataFrame],
    *,
    stall_years: Mapping[str, float | None] | None = None,
    path: Path | str | None = None,
) -> Figure:
    """2x2 dashboard: adoption, largest model, training spend and HHI, one line per scenario."""
    if not models:
        raise ValueError("need at least one scenario to plot; got none")
    fig, axes = _new_figure(2, 2, size=(12.0, 8.5), sharex=True)
    for ax, panel in zip(axes, (_ADOPTION, _LARGEST_N, _SPEND, _HHI), strict=True):
        _draw_overlay(ax, models, panel, stall_years or {})
    for ax in axes[:2]:
        ax.set_xlabel("")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="scenario", loc="outside lower center", ncols=min(len(labels), 5))
    fig.suptitle(f"Scenario comparison: {' vs '.join(models)}")
    return _save(fig, path)


_COMPARE_PLOTTERS: dict[str, Callable[..., Figure]] = {
    "compare_adoption.png": plot_compare_adoption,
    "compare_model_size.png": plot_compare_model_size,
    "compare_training_spend.png": plot_compare_training_spend,
    "compare_hhi.png": plot_compare_hhi,
    "compare_overview.png": plot_compare_overview,
}


def save_compare_figures(
    models: Mapping[str, pd.DataFrame],
    out_dir: Path | str,
    *,
    stall_years: Mapping[str, float | None] | None = None,
) -> list[Path]:
    """Write the overlay figures (:data:`COMPARE_FIGURES`) into ``out_dir``; return their paths."""
    out = Path(out_dir)
    paths = []
    for name in COMPARE_FIGURES:
        _COMPARE_PLOTTERS[name](models, stall_years=stall_years, path=out / name)
        paths.append(out / name)
    return paths
