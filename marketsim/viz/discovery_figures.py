"""Figures of ``marketsim discover`` (scenario discovery with PRIM on an ensemble).

* ``discovery_trajectory.png``: PRIM's peeling trajectory, coverage against density, one point per
  candidate box (colour: how many inputs it restricts), the chosen box ringed, the base rate dotted.
* ``discovery_box.png``: the chosen box, one row per restricted input: the drawn range in grey, the
  box's range in colour, both labelled in the input's own numbers, and PRIM's quasi-p value.
* ``discovery_scores.png``: feature scores of every input for the condition, inputs the box
  restricts in colour.
* ``discovery_scatter.png``: the runs over the two most important numeric inputs, runs where the
  condition holds in colour, the chosen box drawn as a rectangle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from marketsim.experiments.discovery import BoxLimit, Discovery, format_limit
from marketsim.viz.style import GRID_STYLE, new_figure, note, save_figure
from marketsim.viz.ticks import CountFormatter

__all__ = ["DISCOVERY_FIGURES", "plot_box", "plot_feature_scores", "plot_scatter", "plot_trajectory",
           "save_discovery_figures"]

#: File names of the figures, in the order written.
DISCOVERY_FIGURES = ("discovery_trajectory.png", "discovery_box.png", "discovery_scores.png",
                     "discovery_scatter.png")
_TRUE_COLOR = "#d62728"  # runs where the condition holds, and the chosen box
_BOX_COLOR = "#1f77b4"
_FALSE_COLOR = "0.7"
_TITLE_SIZE = 11
_LARGE = 1e5  # inputs this large (token stocks, dollars) get k/M/B/T tick labels


def _title(fig: Figure, what: str, result: Discovery) -> None:
    fig.suptitle(f"{what}\nwhere {result.condition} — scenario {result.scenario} "
                 f"({result.runs_true} of {result.runs} runs)", fontsize=_TITLE_SIZE)


def plot_trajectory(result: Discovery, path: Path | str | None = None) -> Figure:
    """Coverage (x) against density (y) of every box on PRIM's peeling trajectory."""
    fig, (ax,) = new_figure(size=(7.5, 5.5))
    traj = result.trajectory
    ax.plot(traj["coverage"], traj["density"], color="0.6", linewidth=0.8, zorder=1)
    dims = traj["restricted_inputs"].to_numpy()
    levels = sorted(set(dims))
    colors = dict(zip(levels, [f"C{i}" for i in range(len(levels))], strict=True))
    for level in levels:
        rows = traj[dims == level]
        ax.scatter(rows["coverage"], rows["density"], s=22, color=colors[level], zorder=2,
                   label=f"{level} input{'s' if level != 1 else ''} restricted")
    box = result.box
    ax.scatter([box["coverage"]], [box["density"]], s=220, facecolors="none", edgecolors=_TRUE_COLOR,
               linewidths=2, zorder=3, label="chosen box")
    ax.annotate(f"chosen: step {result.chosen}\ncoverage {box['coverage']:.2f}, density {box['density']:.2f}\n"
                f"{int(box['runs_in_box'])} runs in the box",
                (box["coverage"], box["density"]), xytext=(-60, -45), textcoords="offset points",
                ha="right", va="top", fontsize=9, color=_TRUE_COLOR,
                arrowprops={"arrowstyle": "-", "color": _TRUE_COLOR, "linewidth": 0.8})
    ax.axhline(result.base_rate, color="0.4", linestyle=":", linewidth=1)
    ax.text(0.5, result.base_rate, f"all runs: density {result.base_rate:.2f}", ha="center", va="bottom",
            fontsize=8, color="0.3", transform=ax.get_yaxis_transform())
    ax.set_xlim(0, 1.03)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage: share of the runs where the condition holds that lie in the box")
    ax.set_ylabel("density: share of the box's runs where it holds")
    ax.grid(**GRID_STYLE)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    _title(fig, "PRIM peeling trajectory (each point a candidate box; peeling starts at coverage 1)", result)
    return save_figure(fig, path)


def _box_row(ax: Axes, row: int, limit: BoxLimit) -> None:
    """One input of the box on a 0..1 axis (the drawn range), its numbers written at the ends."""
    if limit.values or limit.all_values:
        ax.barh(row, 1, color="0.9", height=0.6)
        ax.text(0.5, row, f"{{{', '.join(limit.values)}}} of {{{', '.join(limit.all_values)}}}",
                ha="center", va="center", fontsize=9)
        return
    assert limit.lower is not None and limit.upper is not None
    assert limit.full_lower is not None and limit.full_upper is not None
    span = limit.full_upper - limit.full_lower
    low, high = ((v - limit.full_lower) / span for v in (limit.lower, limit.upper))
    ax.barh(row, 1, color="0.9", height=0.6)
    ax.barh(row, high - low, left=low, color=_BOX_COLOR, height=0.6)
    ax.text(-0.01, row, format_limit(limit.full_lower, span), ha="right", va="center", fontsize=8, color="0.35")
    ax.text(1.01, row, format_limit(limit.full_upper, span), ha="left", va="center", fontsize=8, color="0.35")
    for value, at, side in ((limit.lower, low, "left"), (limit.upper, high, "right")):
        if value not in (limit.full_lower, limit.full_upper):
            ax.text(at, row + 0.36, format_limit(value, span), ha="center", va="bottom", fontsize=9,
                    color=_BOX_COLOR, fontweight="bold")


def plot_box(result: Discovery, path: Path | str | None = None) -> Figure:
    """The chosen box: for each restricted input its range within the drawn range."""
    n = len(result.limits)
    fig, (ax,) = new_figure(size=(8.5, 1.6 + 0.75 * max(n, 1)))
    box = result.box
    _title(fig, f"Chosen box: coverage {box['coverage']:.2f}, density {box['density']:.2f} "
                f"(base rate {result.base_rate:.2f})", result)
    if n == 0:
        note(ax, "The chosen box is the whole input space: no input is restricted.")
        return save_figure(fig, path)
    for row, limit in enumerate(reversed(result.limits)):
        _box_row(ax, row, limit)
    ax.set_yticks(range(n), [lim.input + ("" if lim.quasi_p is None else f"\n(quasi-p {lim.quasi_p:.1g})")
                             for lim in reversed(result.limits)])
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_xlim(-0.16, 1.16)
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("grey: the range drawn; blue: the box (bold numbers: its limits)")
    return save_figure(fig, path)


def plot_feature_scores(result: Discovery, path: Path | str | None = None) -> Figure:
    """Horizontal bars of the feature scores, highest on top."""
    scores = result.scores.iloc[::-1]
    fig, (ax,) = new_figure(size=(7.5, 1.6 + 0.4 * len(scores)))
    colors = [_BOX_COLOR if flag else _FALSE_COLOR for flag in scores["in_box"]]
    ax.barh(scores["input"], scores["score"], color=colors)
    for y, value in enumerate(scores["score"]):
        ax.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, max(float(scores["score"].max()) * 1.2, 0.05))
    ax.set_xlabel("feature score (extra trees; sums to 1; blue: restricted by the chosen box)")
    ax.grid(axis="x", **GRID_STYLE)
    _title(fig, "Which inputs matter for the condition", result)
    return save_figure(fig, path)


def _scatter_inputs(result: Discovery) -> list[str]:
    """The two numeric inputs to plot: restricted ones first, then by feature score."""
    numeric = {c for c in result.x.columns if np.issubdtype(result.x[c].dtype, np.number)}
    restricted = [lim.input for lim in result.limits if lim.input in numeric]
    by_score = [str(i) for i in result.scores["input"] if i in numeric]
    return list(dict.fromkeys(restricted + by_score))[:2]


def plot_scatter(result: Discovery, path: Path | str | None = None) -> Figure:
    """The runs over two inputs, the condition in colour and the chosen box as a rectangle."""
    fig, (ax,) = new_figure(size=(7.0, 6.0))
    _title(fig, "Runs and the chosen box", result)
    names = _scatter_inputs(result)
    if len(names) < 2:
        note(ax, "Fewer than two numeric inputs: no scatter plot.")
        return save_figure(fig, path)
    x, y = result.x[names[0]].to_numpy(), result.x[names[1]].to_numpy()
    holds = result.y
    ax.scatter(x[~holds], y[~holds], s=10, color=_FALSE_COLOR, label="condition false")
    ax.scatter(x[holds], y[holds], s=12, color=_TRUE_COLOR, label="condition holds")
    limits = {lim.input: lim for lim in result.limits}
    (x0, x1), (y0, y1) = ((limits[n].lower, limits[n].upper) if n in limits else (v.min(), v.max())
                          for n, v in ((names[0], x), (names[1], y)))
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=_BOX_COLOR, linewidth=2,
                           label="chosen box"))
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    for axis, values in ((ax.xaxis, x), (ax.yaxis, y)):
        if np.nanmax(np.abs(values)) >= _LARGE:
            axis.set_major_formatter(CountFormatter())  # 200T rather than an offset "1e14" in a corner
    ax.grid(**GRID_STYLE)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)
    return save_figure(fig, path)


def save_discovery_figures(result: Discovery, out_dir: Path) -> list[Path]:
    """Draw the four figures of :data:`DISCOVERY_FIGURES` into ``out_dir``; return their paths."""
    paths = [Path(out_dir) / name for name in DISCOVERY_FIGURES]
    for draw, path in zip((plot_trajectory, plot_box, plot_feature_scores, plot_scatter), paths, strict=True):
        draw(result, path)
    return paths
