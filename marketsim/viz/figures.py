"""Report figures from the result tables (matplotlib; no model imports).

Every function takes the tidy tables of docs/architecture.md (``model.csv``: one row per period;
``firms.csv``: one row per firm per period), returns a :class:`matplotlib.figure.Figure` and, when
given ``path``, saves it as a PNG at :data:`FIGURE_DPI`. Figures are built with the object API
(``Figure`` + Agg canvas) rather than ``pyplot`` so that no global figure registry or interactive
backend is involved: plotting works headless, in threads and in worker processes.

Units on the axes: years are calendar years (the ``year`` column); N in parameters, D in tokens,
money in US dollars; prices in dollars per adopter per period (the period spelled out, e.g.
"per quarter"); shares in percent.

Conventions that make the figures readable in a report (each is tested in tests/test_plots.py):

* every time axis spans the run (start of the first period to end of the last) with integer
  year ticks from one locator (:func:`format_year_axis`);
* counts and dollars use one label style per axis (:class:`CountFormatter`: '$800M', '$2B',
  '600T', or '2e14'...'1e15' on an axis that reaches 1e15);
* log axes label enough ticks to read values off (decades, or 1-2-5, or finer on short ranges)
  and tick labels never overlap (:func:`format_log_axis`);
* bars are only drawn on linear axes (a log axis has no zero for a bar to stand on);
* the hardware-stall label sits inside the top of the axes on a white box, in head room above
  the data, so it neither hides a curve nor leaves the figure;
* a series identical to an earlier one is drawn dashed with markers and labelled
  "(identical to X)"; a series sharing only some stretch with a later one is drawn wider
  beneath it, so both stay visible;
* panels with nothing to show for a single firm (market-share stack, HHI = 1) say so in text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps, rcParams
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import (
    Formatter,
    FuncFormatter,
    Locator,
    LogLocator,
    MaxNLocator,
    MultipleLocator,
    NullFormatter,
    PercentFormatter,
)

__all__ = [
    "FIGURE_DPI",
    "RUN_FIGURES",
    "COMPARE_FIGURES",
    "STALL_LABEL_GID",
    "CountFormatter",
    "firm_colors",
    "scenario_colors",
    "human_number",
    "format_year_axis",
    "format_log_axis",
    "period_name",
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

#: ``gid`` of the hardware-stall label texts, so that callers and tests can find them.
STALL_LABEL_GID = "stall-label"

_STALL_COLOR = "0.35"
_GRID_STYLE = {"color": "0.85", "linewidth": 0.6}
_NOTE_COLOR = "0.3"
_NOTE_SIZE = (8.0, 2.2)  # inches: a figure that only says why there is nothing to plot
# A positive series spanning fewer decades than this is drawn on a linear axis in the
# "log where it spans orders of magnitude" panels (profits); assumption, chosen for legibility.
_LOG_MIN_DECADES = 1.5
# Year tick steps (years) and the most year ticks on an axis: round steps, uncluttered.
_YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 500)
_MAX_YEAR_TICKS = 8
# Labelled ticks wanted on a log axis: at least 4 to read a value off, at most ~10 to stay clean.
_LOG_MIN_TICKS = 4
_LOG_MAX_TICKS = 10
# Neighbouring tick labels must be this many label heights apart (centre to centre).
_TICK_GAP = 1.6
# Head room added above the data for the stall label(s), as a fraction of the data's height on
# the axis scale: the label is ~20 pt tall and the smallest panel ~200 pt high.
_STALL_HEADROOM = 0.14
_STALL_FONTSIZE = 9.0
_STALL_LINE_PT = 13.0  # vertical spacing (points) of stacked stall labels
# Line widths (points): the top-most line and the extra width per later line it shares a stretch
# with, so that a line drawn over part of another leaves a visible outline of the first one.
_LINE_WIDTH = 1.5
_LINE_WIDTH_STEP = 0.9
_LINE_WIDTH_MAX = 3.3
# Two series are "identical" when they agree to this relative tolerance everywhere.
_IDENTICAL_RTOL = 1e-3
_IDENTICAL_MARKERS = ("o", "s", "^", "D", "v")


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
# From this magnitude on, numbers are written 2e15 rather than with a suffix: 'thousand
# trillion' is not a unit anyone reads easily.
_SCIENTIFIC_FROM = 1e15


def _scientific(mag: float) -> str:
    """A non-negative magnitude as '2e15' / '1.5e16' (no '+', no padded exponent)."""
    mantissa, exponent = f"{mag:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def human_number(x: float, prefix: str = "", *, scientific: bool | None = None) -> str:
    """Format a count or dollar amount compactly: 1.5e9 -> '1.5B', with '$' as ``prefix``.

    Amounts of 1e15 and more use scientific notation ('3e15'); ``scientific=True`` forces that
    style for any amount (so that all labels of one axis look alike), ``False`` forbids it.
    """
    if not math.isfinite(x):
        return str(x)
    sign = "-" if x < 0 else ""
    mag = abs(x)
    if scientific is None:
        scientific = mag >= _SCIENTIFIC_FROM
    if scientific and mag > 0:
        return f"{sign}{prefix}{_scientific(mag)}"
    for scale, suffix in _SUFFIXES:
        if mag >= scale:
            return f"{sign}{prefix}{mag / scale:.3g}{suffix}"
    return f"{sign}{prefix}{mag:.3g}"


class CountFormatter(Formatter):
    """Tick labels for counts and dollars with one style per axis.

    Labels use k/M/B/T suffixes ('$800M', '$2B', '600T') unless a visible tick reaches 1e15; then
    every label of the axis is scientific ('2e14', '1e15'), so an axis never mixes '600T' with
    '1e+15'. Zero is '0'.
    """

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._scientific = False

    def set_locs(self, locs: Sequence[float]) -> None:
        """Choose the style from the ticks that are visible (the locator may return more)."""
        values = np.asarray(locs, dtype=float)
        if self.axis is not None and values.size:
            lo, hi = sorted(self.axis.get_view_interval())
            tol = 1e-9 * max(abs(lo), abs(hi))
            values = values[(values >= lo - tol) & (values <= hi + tol)]
        finite = np.abs(values[np.isfinite(values)])
        self._scientific = bool(finite.size) and float(finite.max()) >= _SCIENTIFIC_FROM

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Label of the tick at ``x`` (axis units)."""
        if x == 0:
            return "0"
        return human_number(x, self.prefix, scientific=self._scientific)


# --- tick locators ------------------------------------------------------------------------------


def _log_ticks(vmin: float, vmax: float, subs: Sequence[float]) -> np.ndarray:
    """Values m * 10^k (m in ``subs``) within [vmin, vmax]; vmin > 0."""
    lo, hi = math.floor(math.log10(vmin)), math.ceil(math.log10(vmax))
    ticks = np.array([m * 10.0**k for k in range(lo, hi + 1) for m in subs])
    tol = 1e-9
    return ticks[(ticks >= vmin * (1 - tol)) & (ticks <= vmax * (1 + tol))]


class _LogLabelLocator(Locator):
    """Major ticks of a log axis: decades, else 1-2-5, else 1-2-3-5, else every integer mantissa,
    else (a range well within one decade) evenly spaced round values; whichever first gives
    between :data:`_LOG_MIN_TICKS` and :data:`_LOG_MAX_TICKS` ticks. Many decades are thinned to
    every 2nd, 3rd... decade.
    """

    _SUBS = ((1.0,), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), tuple(float(m) for m in range(1, 10)))

    def __init__(self) -> None:
        # matplotlib's own log locator keeps the view limits positive and non-degenerate.
        self._log = LogLocator()

    def set_axis(self, axis: Axis) -> None:
        super().set_axis(axis)
        self._log.set_axis(axis)

    def nonsingular(self, vmin: float, vmax: float) -> tuple[float, float]:
        return self._log.nonsingular(vmin, vmax)

    def __call__(self) -> np.ndarray:
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        vmin, vmax = sorted((float(vmin), float(vmax)))
        if not (math.isfinite(vmin) and math.isfinite(vmax)) or vmax <= 0:
            return np.array([])
        vmin = vmin if vmin > 0 else vmax * 1e-3
        candidates = [_log_ticks(vmin, vmax, subs) for subs in self._SUBS]
        decades = candidates[0]
        if decades.size > _LOG_MAX_TICKS:
            every = math.ceil(decades.size / _LOG_MAX_TICKS)
            exps = np.round(np.log10(decades)).astype(int)
            return decades[exps % every == 0]
        for ticks in candidates:
            if _LOG_MIN_TICKS <= ticks.size <= _LOG_MAX_TICKS:
                return ticks
        if all(ticks.size < _LOG_MIN_TICKS for ticks in candidates):
            # Well within a decade a log axis is nearly linear: round, evenly spaced values read best.
            linear = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax)
            linear = linear[(linear > 0) & (linear >= vmin) & (linear <= vmax)]
            return linear if linear.size >= candidates[-1].size else candidates[-1]
        # The step from too few to too many: the fuller set, the spacing filter thins it.
        return next(t for t in candidates if t.size > _LOG_MAX_TICKS)


class _SymlogLabelLocator(Locator):
    """Major ticks of a symlog axis: 0 and the signed decades outside the linear band."""

    def __init__(self, linthresh: float) -> None:
        self.linthresh = linthresh

    def __call__(self) -> np.ndarray:
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        lo, hi = sorted((float(vmin), float(vmax)))
        ticks = [0.0] if lo <= 0.0 <= hi else []
        # From the decade at or below the linear band's edge, so that a small negative (or
        # positive) side still gets a label; the spacing filter drops it if it crowds 0.
        first = math.floor(math.log10(self.linthresh))
        for sign, bound in ((1.0, hi), (-1.0, -lo)):
            if bound >= 10.0**first:
                ticks += [sign * 10.0**k for k in range(first, math.floor(math.log10(bound)) + 1)]
        return np.array(sorted(ticks))


def _tick_priority(value: float) -> tuple[int, float]:
    """Which ticks survive thinning first: zero, then decades, then the rest; larger first."""
    if value == 0:
        return (0, 0.0)
    mantissa = abs(value) / 10.0 ** math.floor(math.log10(abs(value)) + 1e-12)
    return (1 if math.isclose(mantissa, 1.0, rel_tol=1e-6) else 2, -abs(value))


class _SpacedLocator(Locator):
    """Wrap a locator and drop ticks whose labels would print over each other.

    Runs at draw time, when the axes' size on the canvas is known: a tick is kept only if it is at
    least :data:`_TICK_GAP` label heights from every tick kept before it (in the order of
    :func:`_tick_priority`).
    """

    def __init__(self, base: Locator, which: str) -> None:
        self.base = base
        label_size = rcParams[f"{which}tick.labelsize"]
        self.label_pt = FontProperties(size=label_size).get_size_in_points()

    def set_axis(self, axis: Axis) -> None:
        super().set_axis(axis)
        self.base.set_axis(axis)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        return self.base.tick_values(vmin, vmax)

    def nonsingular(self, vmin: float, vmax: float) -> tuple[float, float]:
        return self.base.nonsingular(vmin, vmax)

    def view_limits(self, vmin: float, vmax: float) -> tuple[float, float]:
        return self.base.view_limits(vmin, vmax)

    def __call__(self) -> np.ndarray:
        ticks = np.asarray(self.base(), dtype=float)
        axis = self.axis
        if axis is None or ticks.size < 2:
            return ticks
        ax = axis.axes
        lo, hi = axis.get_view_interval()
        scale = axis.get_transform()
        ends = scale.transform(np.array([[lo], [hi]], dtype=float)).ravel()
        where = scale.transform(ticks.reshape(-1, 1)).ravel()
        length_px = ax.bbox.height if axis.axis_name == "y" else ax.bbox.width
        span = float(ends[1] - ends[0])
        if not span or not math.isfinite(span) or length_px <= 0:
            return ticks
        px = (where - ends[0]) / span * length_px
        gap_px = _TICK_GAP * self.label_pt * ax.figure.dpi / 72.0
        kept: list[int] = []
        for i in sorted(range(ticks.size), key=lambda i: _tick_priority(ticks[i])):
            if all(abs(px[i] - px[j]) >= gap_px for j in kept):
                kept.append(i)
        return ticks[sorted(kept)]


def format_log_axis(ax: Axes, prefix: str = "", which: str = "y") -> None:
    """Log scale on the ``which`` ('x' or 'y') axis of ``ax`` with enough, non-overlapping,
    uniformly styled labels.

    Major ticks from :class:`_LogLabelLocator` (at least 4 labelled ticks on a range of less
    than ~3 decades), labels by :class:`CountFormatter` (``prefix`` '$' for money), unlabelled
    minor ticks.
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_locator(_SpacedLocator(_LogLabelLocator(), which))
    axis.set_major_formatter(CountFormatter(prefix))
    axis.set_minor_locator(LogLocator(subs="auto"))
    axis.set_minor_formatter(NullFormatter())


def _format_symlog_axis(ax: Axes, linthresh: float, prefix: str = "") -> None:
    """Symlog y scale: labels at 0 and at signed decades, never overlapping."""
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.yaxis.set_major_locator(_SpacedLocator(_SymlogLabelLocator(linthresh), "y"))
    ax.yaxis.set_major_formatter(CountFormatter(prefix))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _periods_per_year(years: pd.Index | np.ndarray | Sequence[float]) -> int:
    """Periods per year inferred from the spacing of the ``year`` column (at least 1)."""
    steps = np.diff(np.unique(np.asarray(years, dtype=float)))
    if steps.size == 0:
        return 1
    return max(1, int(round(1.0 / float(np.median(steps)))))


_PERIOD_NAMES = {1: "year", 2: "half-year", 4: "quarter", 12: "month", 52: "week"}


def period_name(periods_per_year: int) -> str:
    """The period's length in words: 4 -> 'quarter', 12 -> 'month', 3 -> '1/3 year'."""
    return _PERIOD_NAMES.get(periods_per_year, f"1/{periods_per_year} year")


def _year_span(years: Iterable[float]) -> tuple[float, float]:
    """Calendar years a run covers: start of the first period to end of the last."""
    values = np.unique(np.asarray(list(years), dtype=float))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no finite year to plot: the table's year column is empty or NaN")
    return float(values[0]), float(values[-1]) + 1.0 / _periods_per_year(values)


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


# --- axes helpers ------------------------------------------------------------------------------


def _new_figure(
    nrows: int = 1, ncols: int = 1, *, size: tuple[float, float], sharex: bool = False
) -> tuple[Figure, list[Axes]]:
    """A Figure on an Agg canvas with a grid of axes (constrained layout)."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False)
    return fig, list(axes.ravel())


def _style_axes(ax: Axes, ylabel: str, span: tuple[float, float]) -> None:
    """Year x axis over ``span``, light grid, y label with units."""
    format_year_axis(ax, span)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", **_GRID_STYLE)
    ax.set_axisbelow(True)


def _percent_axis(ax: Axes) -> None:
    """0-100% y axis, ticks every 25% (no tick above 100% when head room is added)."""
    ax.set_ylim(0.0, 100.0)
    ax.yaxis.set_major_locator(MultipleLocator(25.0))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100.0, decimals=0))


def _positive(values: pd.Series | np.ndarray) -> np.ndarray:
    """Values as floats with non-positive and missing entries set to NaN (gaps on a log axis)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr) & (arr > 0), arr, np.nan)


def _set_log(ax: Axes, values: np.ndarray, prefix: str = "") -> None:
    """Log y scale with readable labels; stays linear when there is nothing positive to show."""
    if not np.isfinite(_positive(values)).any():
        ax.yaxis.set_major_formatter(CountFormatter(prefix))
        return
    format_log_axis(ax, prefix)


def _set_auto_scale(ax: Axes, values: np.ndarray, prefix: str = "") -> None:
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
        _format_symlog_axis(ax, float(nonzero.max()) * 1e-3, prefix)
        ax.axhline(0.0, color="0.4", linewidth=0.8)
    elif math.log10(nonzero.max() / nonzero.min()) >= _LOG_MIN_DECADES and (arr > 0).all():
        _set_log(ax, arr, prefix)
    else:
        ax.yaxis.set_major_formatter(CountFormatter(prefix))


def _add_headroom(ax: Axes, fraction: float) -> None:
    """Raise the top of the y axis by ``fraction`` of its current height on the axis' scale."""
    lo, hi = ax.get_ylim()
    scale = ax.yaxis.get_transform()
    a, b = scale.transform(np.array([[lo], [hi]], dtype=float)).ravel()
    top = scale.inverted().transform(np.array([[b + fraction * (b - a)]]))[0, 0]
    ax.set_ylim(lo, float(top))


def _mark_stalls(ax: Axes, stalls: Sequence[tuple[float, str, object]]) -> list[Text]:
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


def _mark_stall(ax: Axes, year: float | None) -> list[Text]:
    """The stall marker of a single run (grey: it belongs to no firm)."""
    return [] if year is None else _mark_stalls(ax, [(float(year), f"hardware stall {year:g}", _STALL_COLOR)])


def _note(ax: Axes, text: str) -> None:
    """Replace a panel's plot by a centred sentence (for panels with nothing to show)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color=_NOTE_COLOR, wrap=True)


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


# --- lines that may coincide ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    """One line to draw: legend label, x (calendar years), y and colour."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: object


def _aligned(a: _Series, b: _Series) -> tuple[np.ndarray, np.ndarray]:
    """The y values of ``a`` and ``b`` at their common x values."""
    _, ia, ib = np.intersect1d(a.x, b.x, return_indices=True)
    return a.y[ia], b.y[ib]


def _close(ya: np.ndarray, yb: np.ndarray) -> np.ndarray:
    """Element-wise: equal within :data:`_IDENTICAL_RTOL` of the larger magnitude, or both NaN."""
    scale = np.nanmax(np.abs(np.concatenate([ya, yb, [0.0]])))
    near = np.abs(ya - yb) <= _IDENTICAL_RTOL * max(scale, 1e-300)
    return near | (np.isnan(ya) & np.isnan(yb))


def _identical(a: _Series, b: _Series) -> bool:
    """True when ``a`` and ``b`` have the same x values and (nearly) the same finite y values."""
    if a.x.shape != b.x.shape or not np.allclose(a.x, b.x):
        return False
    if not (np.isfinite(a.y).any() and np.isfinite(b.y).any()):
        return False
    return bool(_close(a.y, b.y).all())


def _shares_a_stretch(a: _Series, b: _Series) -> bool:
    """True when ``a`` and ``b`` coincide on at least two neighbouring common points."""
    ya, yb = _aligned(a, b)
    same = _close(ya, yb) & np.isfinite(ya)
    return bool((same[1:] & same[:-1]).any())


def _duplicate_style(k: int, copies: int, n_points: int) -> dict[str, object]:
    """Line style of the k-th (1-based) of ``copies`` series identical to an earlier one.

    Dashes and markers are staggered: the copies' dashes fill different slots of one period
    (the last slot shows the original underneath) and their markers sit at different points.
    """
    dash = 2.0
    every = max(1, n_points // 10)
    return {
        "linestyle": (dash * (k - 1), (dash, dash * copies)),
        "marker": _IDENTICAL_MARKERS[(k - 1) % len(_IDENTICAL_MARKERS)],
        "markevery": ((k - 1) * every // copies, every),
        "markersize": 5.0,
    }


def _plot_lines(ax: Axes, series: Sequence[_Series], *, steps: bool = False) -> list[str]:
    """Draw ``series`` so that none hides another; return the legend labels used.

    A series identical to an earlier one is drawn dashed, with markers, on top, and labelled
    "LABEL (identical to OTHER)" (see :func:`_duplicate_style`). A series that shares only a
    stretch with later ones is drawn wider (by :data:`_LINE_WIDTH_STEP` per such later series)
    beneath them, so the later line runs inside an outline of the earlier one.
    """
    twins = [next((t.label for t in series[:i] if _identical(s, t)), None) for i, s in enumerate(series)]
    labels = []
    for i, (s, twin) in enumerate(zip(series, twins, strict=True)):
        style: dict[str, object] = {}
        label = s.label
        if twin is not None:
            label = f"{s.label} (identical to {twin})"
            copies = twins.count(twin)
            k = twins[: i + 1].count(twin)
            style = _duplicate_style(k, copies, s.x.size)
            width = _LINE_WIDTH
        else:
            later = [t for t, t_twin in zip(series[i + 1:], twins[i + 1:], strict=True) if t_twin != s.label]
            width = min(_LINE_WIDTH + _LINE_WIDTH_STEP * sum(_shares_a_stretch(s, t) for t in later),
                        _LINE_WIDTH_MAX)
        ax.plot(s.x, s.y, color=s.color, label=label, linewidth=width, zorder=2.0 + 0.01 * i,
                drawstyle="steps-post" if steps else "default", **style)
        labels.append(label)
    return labels


def _firm_lines(
    ax: Axes, wide: pd.DataFrame, colors: Mapping[str, object], *, steps: bool = False, positive: bool = False
) -> None:
    """One line per firm column of ``wide``; ``steps`` for quantities that jump at releases."""
    x = wide.index.to_numpy(dtype=float)
    series = [
        _Series(str(firm), x, _positive(wide[firm]) if positive else wide[firm].to_numpy(dtype=float),
                colors[firm])
        for firm in wide.columns
    ]
    _plot_lines(ax, series, steps=steps)


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
    span = _year_span(model["year"])
    fig, (top, bottom) = _new_figure(2, 1, size=(8.0, 6.5), sharex=True)
    top.plot(model["year"], 100.0 * model["adoption_share"], color="tab:blue", linewidth=1.8,
             label="adoption share")
    _percent_axis(top)
    _style_axes(top, "Adoption share (% of population)", span)
    top.set_xlabel("")
    top.set_title("Share of the population using LLMs (%)")

    bottom.plot(model["year"], model["adopters"], color="tab:blue", linewidth=1.8, label="adopters")
    bottom.plot(model["year"], model["population"], color="0.45", linewidth=1.2, linestyle="--",
                label="population")
    bottom.set_ylim(bottom=0.0)
    bottom.yaxis.set_major_formatter(CountFormatter())
    _style_axes(bottom, "People", span)
    bottom.set_title("Adopters and population (people)")
    bottom.legend(loc="best")

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
    span = _year_span(firms["year"])
    fig, (ax_n, ax_d) = _new_figure(1, 2, size=(12.0, 4.8))
    for ax, column, label, what in (
        (ax_n, "N", "Parameters N", "Model size (parameters)"),
        (ax_d, "D", "Training tokens D", "Training data (tokens)"),
    ):
        wide = _by_firm(firms, column)
        _firm_lines(ax, wide, colors, steps=True, positive=True)
        _set_log(ax, wide.to_numpy())
        _style_axes(ax, label, span)
        ax.set_title(what)
        _mark_stall(ax, stall_year)
    ax_n.legend(title="firm", loc="best")
    fig.suptitle(_title("Model size and training data per firm", scenario))
    return _save(fig, path)


def plot_training_spend(
    model: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Industry training spend: per calendar year (dollars, bars, linear) and running total (log).

    Bars on a linear axis rather than a log one: firms train a new generation every year or two,
    so some years have no spend at all, and a bar needs a zero to stand on. The running total
    grows by orders of magnitude and has no zeros, so it gets the log axis.
    """
    _require(model, ["year", "training_spend"], "model")
    span = _year_span(model["year"])
    fig, (ax_year, ax_total) = _new_figure(2, 1, size=(8.0, 6.5), sharex=True)
    spend = model["training_spend"].to_numpy(dtype=float)
    calendar = np.floor(model["year"].to_numpy(dtype=float))
    per_year = pd.Series(spend).groupby(calendar).sum()
    ax_year.bar(per_year.index + 0.5, per_year.to_numpy(), width=0.8, color="tab:red", alpha=0.85,
                label="training spend in the year")
    ax_year.set_ylim(bottom=0.0)
    ax_year.yaxis.set_major_formatter(CountFormatter("$"))
    _style_axes(ax_year, "USD per calendar year", span)
    ax_year.set_xlabel("")
    ax_year.set_title("Spent on training in each calendar year (USD)")

    cumulative = np.nancumsum(spend)
    ax_total.plot(model["year"], _positive(cumulative), color="0.2", linewidth=1.8,
                  drawstyle="steps-post", label="cumulative since start")
    _set_log(ax_total, cumulative, "$")
    _style_axes(ax_total, "USD since the start", span)
    ax_total.set_title(f"Cumulative training spend since {span[0]:.0f} (USD)")
    for ax in (ax_year, ax_total):
        _mark_stall(ax, stall_year)
    fig.suptitle(_title("Industry training spend", scenario))
    return _save(fig, path)


def plot_market_shares(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Stacked area of each firm's share of adopters (percent); uses ``year``, ``firm``, ``share``.

    With a single firm the stack would be one solid block; the figure says "one firm" instead.
    """
    colors = firm_colors(list(firms["firm"]))
    wide = _by_firm(firms, "share", alive_only=False).fillna(0.0) * 100.0
    fig, (ax,) = _new_figure(size=(8.0, 4.8) if wide.shape[1] > 1 else _NOTE_SIZE)
    ax.set_title(_title("Market shares (% of adopters)", scenario))
    if wide.shape[1] <= 1:
        name = f" ({wide.columns[0]})" if wide.shape[1] else ""
        _note(ax, f"One firm{name} in the market:\nit serves every adopter (100% share) throughout.")
        return _save(fig, path)
    ax.stackplot(
        wide.index.to_numpy(dtype=float),
        wide.to_numpy(dtype=float).T,
        labels=[str(f) for f in wide.columns],
        colors=[colors[f] for f in wide.columns],
        alpha=0.85,
        linewidth=0.4,
        edgecolor="white",
    )
    _percent_axis(ax)
    _style_axes(ax, "Share of adopters (%)", _year_span(firms["year"]))
    _mark_stall(ax, stall_year)
    ax.legend(title="firm", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


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
    span = _year_span(firms["year"])
    prices = _by_firm(firms, "price")
    profits = _by_firm(firms, "profit")
    window = _periods_per_year(profits.index)
    period = period_name(window)
    trailing = profits.rolling(window, min_periods=1).sum().where(profits.notna())

    fig, (ax_p, ax_pi) = _new_figure(1, 2, size=(12.0, 4.8))
    _firm_lines(ax_p, prices, colors, steps=True)
    top = ax_p.get_ylim()[1]
    # A little room below zero, so that a free (price 0) model's line is not hidden by the spine.
    ax_p.set_ylim(-0.04 * (top if top > 0 else 1.0), top if top > 0 else 1.0)
    ax_p.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
    ax_p.yaxis.set_major_formatter(CountFormatter("$"))
    _style_axes(ax_p, f"Price (USD per adopter per {period})", span)
    ax_p.set_title(f"Prices (USD per adopter per {period})")

    _firm_lines(ax_pi, trailing, colors)
    _set_auto_scale(ax_pi, trailing.to_numpy(), "$")
    _style_axes(ax_pi, "Profit, trailing year (USD per year)", span)
    ax_pi.set_title("Profits over the trailing year (USD per year)")
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
    steps: bool = False  # the quantity jumps at releases (drawn as steps)

    def values(self, model: pd.DataFrame) -> np.ndarray:
        """The plotted series of one scenario."""
        y = model[self.column].to_numpy(dtype=float)
        return np.nancumsum(y) if self.cumulative else y


_ADOPTION = _Panel("adoption_share", "Adoption share (% of population)", "Adoption share (% of population)",
                   "percent")
_LARGEST_N = _Panel("largest_N", "Largest model (parameters)", "Largest model N (parameters)", "log",
                    steps=True)
# Cumulative, not per year: generations come every year or two, and a per-year line on a log
# scale would break into gaps in the years without a training run.
_SPEND = _Panel("training_spend", "Cumulative training spend (USD)", "Cumulative training spend (USD)",
                "log", "$", cumulative=True, steps=True)
_HHI = _Panel("hhi", "Market concentration (HHI, 0-1)", "HHI (sum of squared shares, 0-1)", "linear")


def _one_firm(model: pd.DataFrame) -> bool:
    """True when one firm holds the whole market throughout: every non-zero HHI is 1."""
    hhi = model["hhi"].to_numpy(dtype=float) if "hhi" in model.columns else np.array([])
    hhi = hhi[np.isfinite(hhi) & (hhi > 0)]
    return bool(hhi.size) and bool(np.allclose(hhi, 1.0, atol=1e-9))


def _overlay_span(models: Mapping[str, pd.DataFrame]) -> tuple[float, float]:
    """Calendar years covering every scenario's run."""
    spans = [_year_span(m["year"]) for m in models.values()]
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _draw_overlay(
    ax: Axes,
    models: Mapping[str, pd.DataFrame],
    panel: _Panel,
    stall_years: Mapping[str, float | None],
) -> bool:
    """One line per scenario of ``panel.column``, then the scale and stall markers.

    Returns True when the legend labels carry notes ("(identical to X)", "(one firm)") that a
    legend of the plain scenario names would lose. An HHI panel where every scenario has one
    firm holding the whole market says so instead of drawing flat lines at 1.
    """
    colors = scenario_colors(list(models))
    for name, model in models.items():
        _require(model, ["year", panel.column], f"model ({name})")
    ax.set_title(panel.title)
    if panel is _HHI and all(_one_firm(m) for m in models.values()):
        which = "the scenario" if len(models) == 1 else "every scenario"
        _note(ax, f"Market concentration: one firm in {which}\nholds the whole market (HHI = 1 throughout).")
        return False
    series = []
    for name, model in models.items():
        y = panel.values(model)
        if panel.scale == "percent":
            y = 100.0 * y
        elif panel.scale == "log":
            y = _positive(y)
        label = f"{name} (one firm)" if panel is _HHI and _one_firm(model) else name
        series.append(_Series(label, model["year"].to_numpy(dtype=float), y, colors[name]))
    labels = _plot_lines(ax, series, steps=panel.steps)
    _style_axes(ax, panel.ylabel, _overlay_span(models))
    if panel.scale == "percent":
        _percent_axis(ax)
    elif panel.scale == "log":
        _set_log(ax, np.concatenate([s.y for s in series]), panel.prefix)
    else:
        ax.set_ylim(bottom=0.0)
    _mark_scenario_stalls(ax, stall_years, colors)
    return labels != list(models)


def _mark_scenario_stalls(
    ax: Axes, stall_years: Mapping[str, float | None], colors: Mapping[str, object]
) -> list[Text]:
    """Mark each scenario's stall year in that scenario's colour (one label per distinct year)."""
    by_year: dict[float, list[str]] = {}
    for name, year in stall_years.items():
        if year is not None:
            by_year.setdefault(float(year), []).append(name)
    stalls = []
    for year, names in sorted(by_year.items()):
        color = colors.get(names[0], _STALL_COLOR) if len(names) == 1 else _STALL_COLOR
        who = ", ".join(names) if len(names) <= 2 else f"{len(names)} scenarios"
        stalls.append((year, f"stall {year:g} ({who})", color))
    return _mark_stalls(ax, stalls)


def _overlay_figure(
    models: Mapping[str, pd.DataFrame],
    panel: _Panel,
    stall_years: Mapping[str, float | None] | None,
    path: Path | str | None,
) -> Figure:
    if not models:
        raise ValueError("need at least one scenario to plot; got none")
    note_only = panel is _HHI and all(_one_firm(m) for m in models.values())
    fig, (ax,) = _new_figure(size=_NOTE_SIZE if note_only else (8.0, 4.8))
    _draw_overlay(ax, models, panel, stall_years or {})
    if ax.get_lines():
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
    """Herfindahl-Hirschman index of adopter shares (0-1) per scenario.

    When every scenario has one firm holding the whole market the figure says so in text.
    """
    return _overlay_figure(models, _HHI, stall_years, path)


def plot_compare_overview(
    models: Mapping[str, pd.DataFrame],
    *,
    stall_years: Mapping[str, float | None] | None = None,
    path: Path | str | None = None,
) -> Figure:
    """2x2 dashboard: adoption, largest model, training spend and HHI, one line per scenario.

    One legend of scenario names for the figure; a panel whose lines carry notes (identical
    lines, one-firm scenarios) gets its own small legend with them.
    """
    if not models:
        raise ValueError("need at least one scenario to plot; got none")
    fig, axes = _new_figure(2, 2, size=(12.0, 8.5), sharex=True)
    for ax, panel in zip(axes, (_ADOPTION, _LARGEST_N, _SPEND, _HHI), strict=True):
        if _draw_overlay(ax, models, panel, stall_years or {}):
            ax.legend(loc="best", fontsize=8)
    for top, below in zip(axes[:2], axes[2:], strict=True):
        if below.axison:
            top.set_xlabel("")
        else:  # the panel below is a note: this one shows the year labels itself
            top.xaxis.set_tick_params(labelbottom=True)
    # Plain scenario names in plain solid lines: each panel's own legend carries its notes.
    colors = scenario_colors(list(models))
    handles = [Line2D([], [], color=colors[name], linewidth=_LINE_WIDTH) for name in models]
    fig.legend(handles, list(models), title="scenario", loc="outside lower center", ncols=min(len(models), 5))
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
