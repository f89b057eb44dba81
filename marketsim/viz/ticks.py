"""Tick labels and tick positions of the report figures: numbers, log and symlog axes.

* :class:`CountFormatter`: counts and dollars as '$800M', '$2B', '600T', or '2e14'...'1e15' on an
  axis that reaches 1e15 (one style per axis; :func:`~marketsim.viz.numbers.human_number`).
* :func:`format_log_axis`: a log axis with enough labelled ticks to read values off (decades,
  or 1-2-5, or finer on short ranges), none overlapping (:class:`SpacedLocator`).
* :func:`format_symlog_axis`: a symlog axis (profits that change sign) labelled at 0 and at
  signed decades.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import Formatter, Locator, LogLocator, MaxNLocator, NullFormatter

from marketsim.viz.numbers import SCIENTIFIC_FROM, human_number

__all__ = ["CountFormatter", "SpacedLocator", "format_log_axis", "format_symlog_axis"]

# Labelled ticks wanted on a log axis: at least 4 to read a value off, at most ~10 to stay clean.
_LOG_MIN_TICKS = 4
_LOG_MAX_TICKS = 10
# Neighbouring tick labels must be this many label heights apart (centre to centre).
_TICK_GAP = 1.6


# --- tick labels --------------------------------------------------------------------------------


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
        self._scientific = bool(finite.size) and float(finite.max()) >= SCIENTIFIC_FROM

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


class SpacedLocator(Locator):
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
    axis.set_major_locator(SpacedLocator(_LogLabelLocator(), which))
    axis.set_major_formatter(CountFormatter(prefix))
    axis.set_minor_locator(LogLocator(subs="auto"))
    axis.set_minor_formatter(NullFormatter())


def format_symlog_axis(ax: Axes, linthresh: float, prefix: str = "") -> None:
    """Symlog y scale: labels at 0 and at signed decades, never overlapping."""
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.yaxis.set_major_locator(SpacedLocator(_SymlogLabelLocator(linthresh), "y"))
    ax.yaxis.set_major_formatter(CountFormatter(prefix))
    ax.yaxis.set_minor_formatter(NullFormatter())
