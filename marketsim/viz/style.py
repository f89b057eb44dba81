"""The look shared by every report figure: resolution, colours, the canvas, titles and notes.

Figures are built with the object API (``Figure`` + Agg canvas, :func:`new_figure`) rather than
``pyplot``, so that no global figure registry or interactive backend is involved: plotting works
headless, in threads and in worker processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "FIGURE_DPI",
    "GRID_STYLE",
    "NOTE_SIZE",
    "firm_colors",
    "scenario_colors",
    "first_seen",
    "new_figure",
    "save_figure",
    "figure_title",
    "note",
    "require_columns",
]

FIGURE_DPI = 150  # assumption: sharp in a report or README, PNGs stay ~100 kB

GRID_STYLE = {"color": "0.85", "linewidth": 0.6}
_NOTE_COLOR = "0.3"
NOTE_SIZE = (8.0, 2.2)  # inches: a figure that only says why there is nothing to plot


def _palette(n: int, cmap: str) -> list[tuple[float, float, float, float]]:
    """Return n distinct colours, cycling the qualitative colormap ``cmap`` when n exceeds it."""
    colors = colormaps[cmap].colors  # type: ignore[attr-defined]
    return [tuple(colors[i % len(colors)]) for i in range(n)]


def first_seen(values: Iterable[str]) -> list[str]:
    """Unique values in order of first appearance (the firm order of the scenario file)."""
    return list(dict.fromkeys(values))


def firm_colors(firms: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """Map each firm name to a fixed colour, by order of first appearance.

    The same table always yields the same mapping, so a firm has one colour across all figures of
    a run.
    """
    names = first_seen(firms)
    return dict(zip(names, _palette(len(names), "tab10"), strict=True))


def scenario_colors(names: Sequence[str]) -> dict[str, tuple[float, float, float, float]]:
    """Map each scenario name to a colour (a palette distinct from the firms' one)."""
    names = first_seen(names)
    return dict(zip(names, _palette(len(names), "Dark2"), strict=True))


def new_figure(
    nrows: int = 1, ncols: int = 1, *, size: tuple[float, float], sharex: bool = False
) -> tuple[Figure, list[Axes]]:
    """A Figure of ``size`` (inches) on an Agg canvas with a grid of axes (constrained layout)."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False)
    return fig, list(axes.ravel())


def save_figure(fig: Figure, path: Path | str | None) -> Figure:
    """Write ``fig`` as a PNG at :data:`FIGURE_DPI` when ``path`` is given; return it."""
    if path is not None:
        fig.savefig(Path(path), dpi=FIGURE_DPI)
    return fig


def figure_title(base: str, scenario: str | None) -> str:
    """``base`` followed by the scenario's name, when there is one."""
    return f"{base} — {scenario}" if scenario else base


def note(ax: Axes, text: str) -> None:
    """Replace a panel's plot by a centred sentence (for panels with nothing to show)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color=_NOTE_COLOR, wrap=True)


def require_columns(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise a ValueError naming the table and the missing columns."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{table} table is missing column(s) {missing}; it has {list(df.columns)}"
        )
