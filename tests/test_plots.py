"""Figures: files written, titles, axis labels and scales, legends, colours, stall markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from _synthetic import SyntheticSpec, make_tables
from marketsim import viz as plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIRMS = ("Atlas", "Beacon", "Cobalt")


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_tables(SyntheticSpec(years=12, firms=FIRMS, stall_year=2030))


def stall_lines(ax) -> list[float]:
    """x positions of dashed vertical lines (the stall markers) on ``ax``."""
    xs = []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if line.get_linestyle() == "--" and x.size == 2 and x[0] == x[1]:
            xs.append(float(x[0]))
    return xs


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def line_colors(ax) -> dict[str, tuple]:
    return {line.get_label(): to_rgba(line.get_color()) for line in ax.get_lines()
            if not line.get_label().startswith("_")}


# --- one run -------------------------------------------------------------------------------------


def test_save_run_figures_writes_every_png(tables, tmp_path):
    model, firms = tables
    paths = plots.save_run_figures(model, firms, tmp_path, scenario="demo", stall_year=2030)
    assert [p.name for p in paths] == list(plots.RUN_FIGURES)
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 10_000, path.name


def test_adoption_figure(tables, tmp_path):
    model, _ = tables
    fig = plots.plot_adoption(model, scenario="demo", stall_year=2030, path=tmp_path / "a.png")
    assert isinstance(fig, Figure) and (tmp_path / "a.png").read_bytes()[:8] == PNG_MAGIC
    top, bottom = fig.axes
    assert fig.get_suptitle() == "Adoption of LLMs — demo"
    assert top.get_ylabel() == "Adoption share (% of population)" and top.get_ylim()[0] == 0.0
    # 0-100%, plus head room above for the stall label; no tick beyond 100%
    lo, hi = top.get_ylim()
    assert 100.0 < hi < 125.0 and max(t for t in top.get_yticks() if lo <= t <= hi) == 100.0
    assert bottom.get_xlabel() == "Year" and bottom.get_ylabel() == "People"
    assert legend_texts(bottom) == ["adopters", "population"]
    # the share is drawn in percent
    share_line = top.get_lines()[0]
    np.testing.assert_allclose(share_line.get_ydata(), 100.0 * model["adoption_share"])
    assert stall_lines(top) == [2030.0] and stall_lines(bottom) == [2030.0]


def test_model_size_figure_is_log_per_firm_with_gaps_for_missing_models(tables):
    model, firms = tables
    fig = plots.plot_model_size(firms, scenario="demo")
    ax_n, ax_d = fig.axes
    assert (ax_n.get_ylabel(), ax_d.get_ylabel()) == ("Parameters N", "Training tokens D")
    assert ax_n.get_yscale() == "log" and ax_d.get_yscale() == "log"
    assert ax_n.get_xlabel() == "Year"
    assert legend_texts(ax_n) == list(FIRMS)
    assert stall_lines(ax_n) == []  # no stall given, no marker
    # Cobalt leaves half-way: its N after exit (reported as 0) is a gap, not a drop to 0
    cobalt = next(line for line in ax_n.get_lines() if line.get_label() == "Cobalt")
    y = np.asarray(cobalt.get_ydata(), dtype=float)
    assert np.isnan(y[len(y) // 2:]).all() and np.isfinite(y[: len(y) // 2]).all()


def test_training_spend_figure(tables):
    model, _ = tables
    fig = plots.plot_training_spend(model, scenario="demo", stall_year=2030)
    ax_year, ax_total = fig.axes
    assert fig.get_suptitle() == "Industry training spend — demo"
    assert ax_year.get_yscale() == "linear" and ax_year.get_ylabel() == "USD per calendar year"
    assert ax_total.get_yscale() == "log" and ax_total.get_ylabel() == "USD since the start"
    assert ax_total.get_xlabel() == "Year" and ax_total.get_title() == "Cumulative training spend since 2025 (USD)"
    assert stall_lines(ax_year) == [2030.0] and stall_lines(ax_total) == [2030.0]


def test_market_shares_are_stacked_to_100_percent_while_anyone_adopts(tables):
    _, firms = tables
    fig = plots.plot_market_shares(firms)
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Share of adopters (%)" and ax.get_ylim() == (0.0, 100.0)
    assert legend_texts(ax) == list(FIRMS)
    top_layer = ax.collections[-1].get_paths()[0].vertices[:, 1]
    assert top_layer.max() == pytest.approx(100.0)
    assert top_layer.min() >= 0.0


def test_prices_profits_use_symlog_when_profits_change_sign(tables):
    _, firms = tables
    mixed = firms.assign(profit=np.where(firms["step"] % 2 == 0, -1e9, 3e9))
    fig = plots.plot_prices_profits(mixed, stall_year=2030)
    ax_p, ax_pi = fig.axes
    assert ax_p.get_ylabel() == "Price (USD per adopter per quarter)"  # the synthetic run is quarterly
    assert ax_pi.get_ylabel() == "Profit, trailing year (USD per year)"
    assert ax_pi.get_yscale() == "symlog"
    assert stall_lines(ax_p) == [2030.0]
    # a steady 1e9 profit per quarter reads as 4e9 per year once a full year has passed
    steady = firms.assign(profit=1e9)
    ax_pi = plots.plot_prices_profits(steady).axes[1]
    atlas = next(line for line in ax_pi.get_lines() if line.get_label() == "Atlas")
    assert np.asarray(atlas.get_ydata())[4:] == pytest.approx(4e9)
    assert ax_pi.get_yscale() == "linear"


def test_each_firm_keeps_its_colour_across_figures(tables):
    _, firms = tables
    sizes = line_colors(plots.plot_model_size(firms).axes[0])
    prices = line_colors(plots.plot_prices_profits(firms).axes[0])
    shares_ax = plots.plot_market_shares(firms).axes[0]
    shares = {c.get_label(): tuple(c.get_facecolor()[0][:3]) for c in shares_ax.collections}
    assert sizes == prices
    assert len(set(sizes.values())) == len(FIRMS)
    for firm in FIRMS:
        assert shares[firm] == pytest.approx(sizes[firm][:3])


def test_stall_outside_the_plotted_years_is_not_drawn(tables):
    model, _ = tables
    for ax in plots.plot_training_spend(model, stall_year=2090).axes:
        assert stall_lines(ax) == []
        assert ax.get_xlim() == (2025.0, 2037.0)  # the run's 12 years, not stretched to the stall


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"model table is missing column\(s\) \['adopters', 'population'\]"):
        plots.plot_adoption(pd.DataFrame({"year": [2025.0], "adoption_share": [0.1]}))


# --- comparisons ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs() -> dict[str, pd.DataFrame]:
    base, _ = make_tables(SyntheticSpec(years=12, firms=FIRMS))
    stall, _ = make_tables(SyntheticSpec(years=12, firms=FIRMS, stall_year=2030))
    return {"baseline": base, "stall2030": stall}


@pytest.mark.parametrize(
    ("plotter", "ylabel", "scale"),
    [
        (plots.plot_compare_adoption, "Adoption share (% of population)", "linear"),
        (plots.plot_compare_model_size, "Largest model N (parameters)", "log"),
        (plots.plot_compare_training_spend, "Cumulative training spend (USD)", "log"),
        (plots.plot_compare_hhi, "HHI (sum of squared shares, 0-1)", "linear"),
    ],
)
def test_overlay_figures_have_one_line_per_scenario(two_runs, plotter, ylabel, scale):
    fig = plotter(two_runs, stall_years={"baseline": None, "stall2030": 2030})
    (ax,) = fig.axes
    assert ax.get_ylabel() == ylabel and ax.get_yscale() == scale and ax.get_xlabel() == "Year"
    # the synthetic stall changes hardware only, so some overlays are identical: they say so
    texts = legend_texts(ax)
    assert texts[0] == "baseline" and texts[1] in ("stall2030", "stall2030 (identical to baseline)")
    assert ax.get_title().endswith("baseline vs stall2030")
    assert stall_lines(ax) == [2030.0]
    colors = line_colors(ax)
    assert colors["baseline"] != colors[texts[1]]


def test_overlay_stall_lowers_the_largest_model(two_runs):
    # independent check that the overlay draws each scenario's own data
    ax = plots.plot_compare_model_size(two_runs).axes[0]
    ys = {line.get_label(): np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()}
    assert ys["stall2030"][-1] < ys["baseline"][-1]
    np.testing.assert_allclose(ys["baseline"], two_runs["baseline"]["largest_N"])


def test_overview_is_a_2x2_dashboard_with_one_legend(two_runs, tmp_path):
    fig = plots.plot_compare_overview(two_runs, path=tmp_path / "o.png")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == [
        "Adoption share (% of population)", "Largest model (parameters)", "Cumulative training spend (USD)",
        "Market concentration (HHI, 0-1)"]
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "log", "log", "linear"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["baseline", "stall2030"]
    assert (tmp_path / "o.png").read_bytes()[:8] == PNG_MAGIC


def test_save_compare_figures(two_runs, tmp_path):
    paths = plots.save_compare_figures(two_runs, tmp_path)
    assert [p.name for p in paths] == list(plots.COMPARE_FIGURES)
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)


def test_overlay_needs_a_scenario():
    with pytest.raises(ValueError, match="need at least one scenario to plot; got none"):
        plots.plot_compare_hhi({})


@pytest.mark.parametrize(
    ("x", "prefix", "text"),
    [(1.5e9, "$", "$1.5B"), (2e12, "", "2T"), (-3.2e6, "$", "-$3.2M"), (950.0, "", "950"), (4e15, "", "4e15")],
)
def test_human_number(x, prefix, text):
    assert plots.human_number(x, prefix) == text
