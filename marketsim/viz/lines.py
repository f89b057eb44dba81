"""Lines that may coincide: draw several series on one axes so that none hides another.

A series identical to an earlier one is drawn dashed with markers and labelled
"(identical to X)"; a series sharing only some stretch with a later one is drawn wider
beneath it, so both stay visible (:func:`plot_lines`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from marketsim.viz import axes

__all__ = ["LINE_WIDTH", "Series", "plot_lines", "firm_lines"]

# Line widths (points): the top-most line and the extra width per later line it shares a stretch
# with, so that a line drawn over part of another leaves a visible outline of the first one.
LINE_WIDTH = 1.5
_LINE_WIDTH_STEP = 0.9
_LINE_WIDTH_MAX = 3.3
# Two series are "identical" when they agree to this relative tolerance everywhere.
_IDENTICAL_RTOL = 1e-3
_IDENTICAL_MARKERS = ("o", "s", "^", "D", "v")


@dataclass(frozen=True)
class Series:
    """One line to draw: legend label, x (calendar years), y and colour."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: object


def _aligned(a: Series, b: Series) -> tuple[np.ndarray, np.ndarray]:
    """The y values of ``a`` and ``b`` at their common x values."""
    _, ia, ib = np.intersect1d(a.x, b.x, return_indices=True)
    return a.y[ia], b.y[ib]


def _close(ya: np.ndarray, yb: np.ndarray) -> np.ndarray:
    """Element-wise: equal within :data:`_IDENTICAL_RTOL` of the larger magnitude, or both NaN."""
    scale = np.nanmax(np.abs(np.concatenate([ya, yb, [0.0]])))
    near = np.abs(ya - yb) <= _IDENTICAL_RTOL * max(scale, 1e-300)
    return near | (np.isnan(ya) & np.isnan(yb))


def _identical(a: Series, b: Series) -> bool:
    """True when ``a`` and ``b`` have the same x values and (nearly) the same finite y values."""
    if a.x.shape != b.x.shape or not np.allclose(a.x, b.x):
        return False
    if not (np.isfinite(a.y).any() and np.isfinite(b.y).any()):
        return False
    return bool(_close(a.y, b.y).all())


def _shares_a_stretch(a: Series, b: Series) -> bool:
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


def plot_lines(ax: Axes, series: Sequence[Series], *, steps: bool = False) -> list[str]:
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
            width = LINE_WIDTH
        else:
            later = [t for t, t_twin in zip(series[i + 1:], twins[i + 1:], strict=True) if t_twin != s.label]
            width = min(LINE_WIDTH + _LINE_WIDTH_STEP * sum(_shares_a_stretch(s, t) for t in later),
                        _LINE_WIDTH_MAX)
        ax.plot(s.x, s.y, color=s.color, label=label, linewidth=width, zorder=2.0 + 0.01 * i,
                drawstyle="steps-post" if steps else "default", **style)
        labels.append(label)
    return labels


def firm_lines(
    ax: Axes, wide: pd.DataFrame, colors: Mapping[str, object], *, steps: bool = False, positive: bool = False
) -> None:
    """One line per firm column of ``wide``; ``steps`` for quantities that jump at releases."""
    x = wide.index.to_numpy(dtype=float)
    series = [
        Series(str(firm), x, axes.positive(wide[firm]) if positive else wide[firm].to_numpy(dtype=float),
                colors[firm])
        for firm in wide.columns
    ]
    plot_lines(ax, series, steps=steps)
