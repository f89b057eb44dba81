"""Figures fit for a report: one test per defect seen (issue 10, point 7).

Each test inspects the drawn figure's objects (tick labels and their extents on the canvas,
scales, line data and styles, text boxes, legend texts), not just that a PNG was written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from _synthetic import SyntheticSpec, hand_model_table, make_tables
from marketsim import viz as plots

FIRMS = ("Atlas", "Beacon", "Cobalt")
MONEY = re.compile(r"^-?\$\d+(\.\d+)?[kMBT]?$")  # '$800M', '$2B', '$10B', '$1.5B'
SUFFIXED = re.compile(r"^-?\$?\d+(\.\d+)?[kMBT]?$")  # '600T', '2B', '950'
SCIENTIFIC = re.compile(r"^-?\$?\d+(\.\d+)?e\d+$")  # '2e14', '1.5e15'


# --- helpers --------------------------------------------------------------------------------------


def drawn(fig: Figure) -> Figure:
    """Lay the figure out and draw it, so that ticks, labels and extents are final."""
    fig.canvas.draw()
    return fig


def visible_labels(axis: Axis) -> list[Text]:
    """The non-empty major tick labels inside the axis' view (as drawn)."""
    lo, hi = sorted(axis.get_view_interval())
    tol = 1e-9 * max(abs(lo), abs(hi), 1.0)
    return [
        tick.label1
        for tick in axis.get_major_ticks()
        if lo - tol <= tick.get_loc() <= hi + tol and tick.label1.get_visible() and tick.label1.get_text()
    ]


def label_texts(axis: Axis) -> list[str]:
    return [t.get_text().replace("\N{MINUS SIGN}", "-") for t in visible_labels(axis)]


def plotted_axes(fig: Figure) -> list[Axes]:
    """Axes that show data (not the ones turned into a text note)."""
    return [ax for ax in fig.axes if ax.axison]


def stall_labels(fig: Figure) -> Iterator[tuple[Axes, Text]]:
    for ax in fig.axes:
        for text in ax.texts:
            if text.get_gid() == plots.STALL_LABEL_GID:
                yield ax, text


def data_lines(ax: Axes) -> list:
    """Lines with data (not the vertical stall markers)."""
    out = []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if x.size >= 2 and np.nanmin(x) == np.nanmax(x):
            continue
        out.append(line)
    return out


def line_points_px(line, per_segment: int = 25) -> np.ndarray:
    """Points along a drawn line in display pixels (steps expanded, segments densified)."""
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    if line.get_drawstyle() == "steps-post":
        x = np.repeat(x, 2)[1:]
        y = np.repeat(y, 2)[:-1]
    t = np.linspace(0.0, 1.0, per_segment)
    xs = (x[:-1, None] + (x[1:] - x[:-1])[:, None] * t).ravel()
    ys = (y[:-1, None] + (y[1:] - y[:-1])[:, None] * t).ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return np.empty((0, 2))
    return line.get_transform().transform(np.column_stack([xs[ok], ys[ok]]))


def overlaps(a: Bbox, b: Bbox) -> bool:
    """True when two boxes share area (touching edges do not count)."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def inside(inner: Bbox, outer: Bbox, tol: float = 0.5) -> bool:
    return (inner.x0 >= outer.x0 - tol and inner.x1 <= outer.x1 + tol
            and inner.y0 >= outer.y0 - tol and inner.y1 <= outer.y1 + tol)


# --- fixtures: every figure of a run and of a comparison ------------------------------------------------


@pytest.fixture(scope="module")
def run_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_tables(SyntheticSpec(years=12, firms=FIRMS, stall_year=2030))


@pytest.fixture(scope="module")
def all_figures(run_tables) -> dict[str, Figure]:
    """The five run figures (with a stall) and the overview of two scenarios, drawn (~10 s)."""
    model, firms = run_tables
    base, _ = make_tables(SyntheticSpec(years=12, firms=FIRMS))
    figs = {
        "adoption": plots.plot_adoption(model, scenario="demo", stall_year=2030),
        "model_size": plots.plot_model_size(firms, scenario="demo", stall_year=2030),
        "training_spend": plots.plot_training_spend(model, scenario="demo", stall_year=2030),
        "market_shares": plots.plot_market_shares(firms, scenario="demo", stall_year=2030),
        "prices_profits": plots.plot_prices_profits(firms, scenario="demo", stall_year=2030),
    }
    # The overview draws every overlay panel (the single overlays share its code).
    figs["compare_overview"] = plots.plot_compare_overview(
        {"baseline": base, "stall2030": model}, stall_years={"baseline": None, "stall2030": 2030})
    return {name: drawn(fig) for name, fig in figs.items()}


# --- 1. log axes label enough ticks; money reads $800M, $2B, $10B -------------------------------------


def spend_model(cumulative_from: float, cumulative_to: float) -> pd.DataFrame:
    """A 20-year quarterly model table whose cumulative training spend runs from/to the given USD."""
    n = 80
    spend = np.zeros(n)
    spend[0] = cumulative_from
    spend[4::8] = (cumulative_to - cumulative_from) / spend[4::8].size
    return hand_model_table([0.5] * n, start_year=2025, training_spend=list(spend))


def test_log_axis_over_two_decades_of_money_has_at_least_four_dollar_labels():
    # The defect: cumulative spend from $0.8B to $80B was labelled only at $1B and $10B.
    models = {"a": spend_model(8e8, 8e10)}
    ax = drawn(plots.plot_compare_training_spend(models)).axes[0]
    assert ax.get_yscale() == "log"
    labels = label_texts(ax.yaxis)
    assert len(labels) >= 4, labels
    assert all(MONEY.match(text) for text in labels), labels
    assert {"$1B", "$2B", "$10B"} <= set(labels), labels


@pytest.mark.parametrize(("lo", "hi"), [(8e8, 8e10), (2e14, 4e14), (1.5e14, 1.2e15), (3e11, 2e13), (5e9, 4e12)])
def test_every_log_axis_under_three_decades_labels_four_ticks(lo, hi):
    models = {"a": spend_model(lo, hi)}
    ax = drawn(plots.plot_compare_training_spend(models)).axes[0]
    decades = math.log10(ax.get_ylim()[1] / ax.get_ylim()[0])
    assert decades < 3.5
    assert len(label_texts(ax.yaxis)) >= 4, (lo, hi, label_texts(ax.yaxis))


@pytest.mark.slow  # shares the ~10 s all_figures fixture
def test_log_axes_of_all_figures_are_readable(all_figures):
    for name, fig in all_figures.items():
        for ax in plotted_axes(fig):
            if ax.get_yscale() != "log":
                continue
            lo, hi = ax.get_ylim()
            labels = label_texts(ax.yaxis)
            if math.log10(hi / lo) < 3.0:
                assert len(labels) >= 4, (name, ax.get_title(), labels)
            assert len(labels) >= 2, (name, ax.get_title(), labels)


# --- 2. one number style per counts axis ---------------------------------------------------------------


def firms_with_tokens(d_from: float, d_to: float) -> pd.DataFrame:
    _, firms = make_tables(SyntheticSpec(years=12, firms=("Solo",), exit_firm=None))
    steps = firms["step"].to_numpy(dtype=float)
    return firms.assign(D=d_from * (d_to / d_from) ** (steps / steps.max()))


def test_tokens_axis_reaching_1e15_does_not_mix_styles():
    # The defect: a tokens axis labelled '600T' next to '1e+15'.
    ax_d = drawn(plots.plot_model_size(firms_with_tokens(1.5e14, 1.2e15))).axes[1]
    labels = label_texts(ax_d.yaxis)
    assert len(labels) >= 4, labels
    assert all(SCIENTIFIC.match(t) for t in labels), labels
    assert not any("+" in t for t in labels)


def test_tokens_axis_below_1e15_uses_suffixes_only():
    ax_d = drawn(plots.plot_model_size(firms_with_tokens(1e12, 6e14))).axes[1]
    labels = label_texts(ax_d.yaxis)
    assert labels and all(SUFFIXED.match(t) for t in labels), labels
    assert "600T" in labels or "500T" in labels


def test_count_formatter_and_human_number_agree_on_large_numbers():
    assert plots.human_number(4e15) == "4e15"
    assert plots.human_number(6e14) == "600T"
    assert plots.human_number(6e14, scientific=True) == "6e14"
    assert plots.human_number(2.5e9, "$") == "$2.5B"


# --- 3. no bars on a log axis ------------------------------------------------------------------------


@pytest.mark.slow  # shares the ~10 s all_figures fixture
def test_no_bars_on_log_axes(all_figures):
    for name, fig in all_figures.items():
        for ax in fig.axes:
            bars = [c for c in ax.containers if isinstance(c, BarContainer)]
            rects = [p for p in ax.patches if isinstance(p, Rectangle)]
            if ax.get_yscale() in ("log", "symlog"):
                assert not bars and not rects, (name, ax.get_title())


def test_training_spend_bars_are_per_calendar_year_on_a_linear_axis(run_tables):
    model, _ = run_tables
    ax_year, ax_total = plots.plot_training_spend(model).axes
    assert ax_year.get_yscale() == "linear" and ax_year.get_ylim()[0] == 0.0
    (bars,) = [c for c in ax_year.containers if isinstance(c, BarContainer)]
    per_year = model.groupby(np.floor(model["year"]))["training_spend"].sum()
    np.testing.assert_allclose([b.get_height() for b in bars], per_year.to_numpy())
    assert ax_total.get_yscale() == "log"
    np.testing.assert_allclose(ax_total.get_lines()[0].get_ydata(), model["training_spend"].cumsum())


# --- 4. stall label inside the axes, on a box, clear of the curves -----------------------------------


def assert_stall_labels_fit(fig: Figure, name: str) -> int:
    """Every stall label lies inside its axes and the figure, and no data line runs under it."""
    count = 0
    renderer = fig.canvas.get_renderer()
    for ax, text in stall_labels(fig):
        count += 1
        box = text.get_window_extent(renderer)
        assert text.get_bbox_patch() is not None, name  # on a background box
        assert text.get_rotation() == 0, name
        assert inside(box, fig.bbox), (name, box, fig.bbox)
        assert inside(box, ax.bbox), (name, ax.get_title(), box, ax.bbox)
        for line in data_lines(ax):
            pts = line_points_px(line)
            hit = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
            assert not hit.any(), (name, ax.get_title(), line.get_label())
    return count


@pytest.mark.slow  # shares the ~10 s all_figures fixture
def test_stall_labels_lie_inside_the_axes_and_clear_of_curves(all_figures):
    counted = {name: assert_stall_labels_fit(fig, name) for name, fig in all_figures.items()}
    # every time panel with the stall in range is labelled: 2+2+2+1+2 run panels, 4 in the overview
    assert counted == {"adoption": 2, "model_size": 2, "training_spend": 2, "market_shares": 1,
                       "prices_profits": 2, "compare_overview": 4}


def test_stall_near_the_end_and_several_stalls_stay_inside_and_apart(run_tables):
    model, firms = run_tables
    late = drawn(plots.plot_model_size(firms, stall_year=2036))
    assert assert_stall_labels_fit(late, "late") == 2
    for ax, text in stall_labels(late):  # near the right edge the label sits left of its line
        assert text.get_horizontalalignment() == "right"
    models = {"a": model, "b": model.assign(adoption_share=model["adoption_share"] * 0.9),
              "c": model.assign(adoption_share=model["adoption_share"] * 0.8)}
    fig = drawn(plots.plot_compare_adoption(models, stall_years={"a": 2028, "b": 2029, "c": 2034}))
    assert assert_stall_labels_fit(fig, "three stalls") == 3
    boxes = [t.get_window_extent() for _, t in stall_labels(fig)]
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


# --- 5. tick labels never print over each other ----------------------------------------------------------


def assert_no_overlapping_tick_labels(fig: Figure, name: str) -> None:
    for ax in plotted_axes(fig):
        for axis in (ax.xaxis, ax.yaxis):
            boxes = [t.get_window_extent() for t in visible_labels(axis)]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    assert not overlaps(a, b), (name, ax.get_title(), label_texts(axis))


def test_profit_axis_labels_do_not_overlap(run_tables):
    # The defect: a symlog profit axis printed '$10M', '0' and '-$10M' over each other.
    _, firms = run_tables
    steps = firms["step"].to_numpy(dtype=float)
    profit = np.where(steps < 6, -4e8, 1.5e10)  # a year and a half of losses, then $15B a quarter
    fig = drawn(plots.plot_prices_profits(firms.assign(profit=profit)))
    ax_pi = fig.axes[1]
    assert ax_pi.get_yscale() == "symlog"
    labels = label_texts(ax_pi.yaxis)
    assert "0" in labels and any(t.startswith("-$") for t in labels) and len(labels) >= 4, labels
    assert_no_overlapping_tick_labels(fig, "profits")


@pytest.mark.slow  # shares the ~10 s all_figures fixture
def test_no_tick_labels_overlap_in_any_figure(all_figures):
    for name, fig in all_figures.items():
        assert_no_overlapping_tick_labels(fig, name)


# --- 6. identical lines stay visible and are named -------------------------------------------------------


def test_identical_scenarios_are_marked_in_line_style_and_legend(run_tables):
    model, _ = run_tables
    models = {"baseline": model, "copy": model.copy()}
    ax = plots.plot_compare_adoption(models).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["baseline", "copy (identical to baseline)"]
    first, second = data_lines(ax)
    np.testing.assert_allclose(first.get_ydata(), second.get_ydata())
    assert first.get_linestyle() == "-" and second.get_linestyle() != "-"
    assert second.get_marker() not in ("None", "", None)
    assert second.get_zorder() > first.get_zorder()  # the marked copy is drawn on top
    # the overview keeps one legend of plain names and notes the copies in each panel's legend
    overview = plots.plot_compare_overview(models)
    assert [t.get_text() for t in overview.legends[0].get_texts()] == ["baseline", "copy"]
    for panel in plotted_axes(overview):
        assert "copy (identical to baseline)" in [t.get_text() for t in panel.get_legend().get_texts()]


def test_identical_firms_are_marked_and_staggered():
    _, firms = make_tables(SyntheticSpec(years=6, firms=FIRMS, exit_firm=None))
    same_price = firms.assign(price=10.0)
    ax_p = plots.plot_prices_profits(same_price).axes[0]
    texts = [t.get_text() for t in ax_p.get_legend().get_texts()]
    assert texts == ["Atlas", "Beacon (identical to Atlas)", "Cobalt (identical to Atlas)"]
    lines = {line.get_label(): line for line in data_lines(ax_p)}
    beacon, cobalt = lines["Beacon (identical to Atlas)"], lines["Cobalt (identical to Atlas)"]
    # the two copies use different markers at different points and dashes in different slots
    assert beacon.get_marker() != cobalt.get_marker()
    assert beacon.get_markevery() != cobalt.get_markevery()
    assert beacon.get_linestyle() != cobalt.get_linestyle() or beacon._dash_pattern != cobalt._dash_pattern
    # a firm that leaves the market half-way is not 'identical' to one that stays
    _, with_exit = make_tables(SyntheticSpec(years=6, firms=FIRMS, exit_firm="Cobalt"))
    ax_p = plots.plot_prices_profits(with_exit.assign(price=10.0)).axes[0]
    assert [t.get_text() for t in ax_p.get_legend().get_texts()][2] == "Cobalt"


def test_partly_coinciding_lines_leave_the_earlier_one_visible(run_tables):
    model, _ = run_tables
    later = model.copy()
    later.loc[later.index[20:], "largest_N"] *= 3.0  # same for five years, then apart
    ax = plots.plot_compare_model_size({"a": model, "b": later}).axes[0]
    a, b = data_lines(ax)
    assert a.get_linewidth() > b.get_linewidth() and b.get_zorder() > a.get_zorder()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]  # not identical


# --- 7. one firm: no HHI line, no solid share block --------------------------------------------------------


@pytest.fixture(scope="module")
def single_firm() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_tables(SyntheticSpec(years=8, firms=("Frontier",), exit_firm=None))


def test_single_firm_run_has_no_share_stack(single_firm):
    _, firms = single_firm
    fig = plots.plot_market_shares(firms, scenario="solo")
    (ax,) = fig.axes
    assert not ax.collections and not ax.get_lines()
    assert any("One firm (Frontier)" in t.get_text() for t in ax.texts)


def test_single_firm_comparison_has_no_hhi_line(single_firm):
    model, _ = single_firm
    assert np.allclose(model["hhi"], 1.0)
    models = {"a": model, "b": model.assign(adoption_share=model["adoption_share"] * 0.5)}
    (ax,) = plots.plot_compare_hhi(models).axes
    assert not ax.get_lines() and not ax.axison
    assert any("one firm" in t.get_text().lower() for t in ax.texts)
    overview = plots.plot_compare_overview(models)
    hhi_panel = overview.axes[3]
    assert not hhi_panel.get_lines() and any("one firm" in t.get_text().lower() for t in hhi_panel.texts)
    assert [ax.axison for ax in overview.axes] == [True, True, True, False]


def test_one_firm_scenario_next_to_a_multi_firm_one_is_named_in_the_legend(single_firm, run_tables):
    solo, _ = single_firm
    many, _ = run_tables
    ax = plots.plot_compare_hhi({"solo": solo, "three": many}).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["solo (one firm)", "three"]


# --- 8. integer years, one locator on every time axis --------------------------------------------------------


@pytest.mark.slow  # shares the ~10 s all_figures fixture
def test_year_ticks_are_integers_and_the_same_on_every_time_axis(all_figures, run_tables):
    model, _ = run_tables
    start, end = 2025.0, 2025.0 + 12  # 12 years of quarters: 2025.00 ... 2036.75, ending 2037
    seen = []
    for name, fig in all_figures.items():
        for ax in plotted_axes(fig):
            if ax.get_xlabel() not in ("Year", ""):
                continue
            assert ax.get_xlim() == (start, end), (name, ax.get_title())
            locs = [float(t.get_loc()) for t in ax.xaxis.get_major_ticks() if start <= t.get_loc() <= end]
            assert all(loc == int(loc) for loc in locs), (name, locs)
            labels = label_texts(ax.xaxis)
            if labels:  # shared x axes show labels on the bottom panel only
                assert labels == [f"{int(loc)}" for loc in locs], (name, labels)
            seen.append(tuple(locs))
    assert len(seen) == 13 and len(set(seen)) == 1, set(seen)  # 9 run panels, 4 overview panels
    assert seen[0] == (2026.0, 2028.0, 2030.0, 2032.0, 2034.0, 2036.0)


@pytest.mark.parametrize(("years", "step"), [(5, 1), (12, 2), (20, 5), (40, 5), (60, 10)])
def test_year_step_is_round_and_uncluttered(years, step):
    model, _ = make_tables(SyntheticSpec(years=years, firms=("Solo",), exit_firm=None))
    ax = drawn(plots.plot_adoption(model)).axes[1]
    locs = [t.get_loc() for t in ax.xaxis.get_major_ticks() if 2025 <= t.get_loc() <= 2025 + years]
    assert np.all(np.diff(locs) == step) and len(locs) <= 9, locs
