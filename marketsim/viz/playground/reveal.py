"""Figures drawn once over the whole run, then revealed period by period by clipping.

:func:`reveal_figure` draws a report figure twice, with and without its data, and records where
each axes is and which calendar years its x axis spans. The page shows the figure without data
and, on top, the figure with data clipped to each axes' revealed part
(:meth:`RevealFigure.clip_paths`), so a frame of playback costs no drawing.
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

__all__ = ["SCREEN_DPI", "AxesBox", "RevealFigure", "reveal_figure"]

#: Resolution of the page's figures (dots per inch): the report figures are 8-12 inches wide, so
#: 640-960 pixels, about the width of the page's columns.
SCREEN_DPI = 80


@dataclass(frozen=True)
class AxesBox:
    """Where one axes of a drawn figure is, as fractions of the image from its top-left corner.

    Attributes:
        left, top, right, bottom: the axes' edges (0-1).
        x0, x1: the data x (calendar years) at the left and right edges; None when the x axis is
            not a linear axis of years (then the axes is shown whole).
    """

    left: float
    top: float
    right: float
    bottom: float
    x0: float | None
    x1: float | None

    def revealed_right(self, year: float | None, pad: float) -> float:
        """The right edge of the revealed part (fraction of the image) when data up to ``year``
        is shown (None: nothing yet); ``pad`` (a fraction) keeps the last point's line whole."""
        if self.x0 is None or self.x1 is None:
            return self.right
        if year is None:
            return self.left
        x = self.left + (year - self.x0) / (self.x1 - self.x0) * (self.right - self.left)
        return min(max(x + pad, self.left), self.right)


@dataclass(frozen=True)
class RevealFigure:
    """A report figure drawn over the whole run twice: with its data and without.

    The page shows the figure without data and, on top, the figure with data clipped to each
    axes' revealed part (:meth:`clip_paths`).

    Attributes:
        title: what the figure shows (the images' alt text).
        full_png, empty_png: the figure with and without its data (lines, areas, bars).
        width, height: image size (pixels).
        axes: every axes of the figure.
    """

    title: str
    full_png: bytes
    empty_png: bytes
    width: int
    height: int
    axes: tuple[AxesBox, ...]

    @functools.cached_property
    def full_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.full_png).decode("ascii")

    @functools.cached_property
    def empty_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.empty_png).decode("ascii")

    def clip_paths(self, year: float | None) -> list[str]:
        """CSS ``clip-path`` per axes showing its data up to calendar year ``year`` (None: none)."""
        pad = 2.0 / self.width  # 2 pixels: the line width of the last point
        paths = []
        for box in self.axes:
            right = box.revealed_right(year, pad)
            paths.append(f"inset({100 * box.top:.3f}% {100 * (1 - right):.3f}% "
                         f"{100 * (1 - box.bottom):.3f}% {100 * box.left:.3f}%)")
        return paths


def _is_data(artist: Any, ax: Any) -> bool:
    """True for an artist placed in data coordinates on both axes (a line, area or bar of the
    data); reference lines and stall markers are placed in axes coordinates on one axis."""
    return bool(artist.get_transform().contains_branch(ax.transData))


def _freeze(fig: Figure) -> None:
    """Fix what a draw decided (axis limits, legend places, layout), so the figure drawn again
    without its data keeps every other pixel in place."""
    for ax in fig.axes:
        ax.set_xlim(ax.get_xlim())
        ax.set_ylim(ax.get_ylim())
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    for legend in legends:
        if legend is None:
            continue
        # 'best' places a legend away from the data, so without the data it would move: pin its
        # lower-left corner where the draw put it, in the coordinates of its anchor box.
        box, anchor = legend.get_window_extent(), legend.get_bbox_to_anchor()
        if anchor.width <= 0 or anchor.height <= 0:
            continue  # anchored to a point, not placed by the data
        legend.set_loc(((box.x0 - anchor.x0) / anchor.width, (box.y0 - anchor.y0) / anchor.height))
    fig.set_layout_engine("none")


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def reveal_figure(fig: Figure, title: str, dpi: int = SCREEN_DPI) -> RevealFigure:
    """Draw ``fig`` (a report figure of the whole run, e.g. of :mod:`marketsim.viz.run_figures`) with and without its data.

    The figure is modified (its data hidden) and should not be used afterwards.
    """
    fig.set_dpi(dpi)
    full = _png(fig, dpi)
    _freeze(fig)
    width, height = int(round(fig.bbox.width)), int(round(fig.bbox.height))
    boxes = []
    for ax in fig.axes:
        extent = ax.get_window_extent()
        x0, x1 = map(float, ax.get_xlim()) if ax.get_xscale() == "linear" and ax.axison else (None, None)
        boxes.append(AxesBox(float(extent.x0 / width), float(1 - extent.y1 / height), float(extent.x1 / width),
                             float(1 - extent.y0 / height), x0, x1))
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images]:
            if _is_data(artist, ax):
                artist.set_visible(False)
    return RevealFigure(title, full, _png(fig, dpi), width, height, tuple(boxes))

