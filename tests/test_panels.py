"""The one Panel abstraction of marketsim.viz: panels drawn per model, per firm and per scenario."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from _synthetic import SyntheticSpec, make_tables
from marketsim import viz
from marketsim.viz.panels import Panel, draw_overlay_panel, draw_run_panel
from marketsim.viz.style import firm_colors, new_figure

FIRMS = ("Atlas", "Beacon", "Cobalt")


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_tables(SyntheticSpec(years=6, firms=FIRMS))


def test_run_figure_specs_are_the_files_written_and_name_their_panels(tables):
    model, firms = tables
    assert [s.file for s in viz.RUN_FIGURE_SPECS] == list(viz.RUN_FIGURES) == [
        "adoption.png", "model_size.png", "training_spend.png", "market_shares.png", "prices_profits.png",
        "prices.png", "market_structure.png"]
    spec = next(s for s in viz.RUN_FIGURE_SPECS if s.name == "prices-profits")
    fig = spec.draw(model, firms, scenario="demo")
    assert fig.get_suptitle() == "Prices and profits per firm — demo"
    # the panels' titles with {period} filled from the quarterly year column
    assert [ax.get_title() for ax in fig.axes] == ["Prices (USD per adopter per quarter)",
                                                   "Profits over the trailing year (USD per year)"]
    assert [p.column for p in spec.panels] == ["price", "profit"]


def test_a_per_firm_panel_draws_one_line_per_firm_on_its_scale(tables):
    _, firms = tables
    panel = Panel("compute", "Compute", "Training compute (FLOP)", scale="log", per="firm", kind="steps")
    fig, (ax,) = new_figure(size=(6.0, 4.0))
    draw_run_panel(ax, panel, firms, span=(2025.0, 2031.0), colors=firm_colors(FIRMS))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(FIRMS)
    assert {line.get_drawstyle() for line in lines} == {"steps-post"}
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "Training compute (FLOP)"
    # Cobalt leaves half-way: its compute after the exit is a gap, not a zero on the log axis
    cobalt = np.asarray(lines[2].get_ydata(), dtype=float)
    assert np.isnan(cobalt[-1]) and np.isfinite(cobalt[0])
    with pytest.raises(ValueError, match="drawn per firm: colors"):
        draw_run_panel(ax, panel, firms, span=(2025.0, 2031.0))


def test_per_model_transforms_sum_what_they_say(tables):
    model, _ = tables
    spend = model["training_spend"].to_numpy(dtype=float)
    x, total = Panel("training_spend", "t", "y", transform="cumulative").values(model)
    assert total[-1] == pytest.approx(spend.sum()) and x[0] == 2025.0
    mid_years, per_year = Panel("training_spend", "t", "y", transform="calendar-year").values(model)
    assert list(mid_years) == [2025.5 + k for k in range(6)]
    assert per_year[1] == pytest.approx(spend[4:8].sum())  # four quarters of 2026
    _, trailing = Panel("training_spend", "t", "y", transform="trailing-year").values(model)
    assert trailing[7] == pytest.approx(spend[4:8].sum()) and trailing[0] == pytest.approx(spend[0])


def test_an_overlay_panel_draws_one_line_per_scenario_and_only_per_model(tables):
    model, firms = tables
    half = model.assign(adoption_share=model["adoption_share"] / 2)
    fig, (ax,) = new_figure(size=(6.0, 4.0))
    panel = Panel("adoption_share", "Adoption", "Adoption share (% of population)", scale="percent")
    labels = draw_overlay_panel(ax, panel, {"a": model, "b": half}, span=(2025.0, 2031.0),
                                colors={"a": "red", "b": "blue"}, labels={"b": "b (half)"})
    assert labels == ["a", "b (half)"]
    a, b = (np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines())
    assert a == pytest.approx(100.0 * model["adoption_share"].to_numpy()) and b == pytest.approx(a / 2)
    assert ax.get_ylim() == (0.0, 100.0)
    with pytest.raises(ValueError, match="is per firm: only per-model panels"):
        draw_overlay_panel(ax, Panel("N", "N", "N", per="firm"), {"a": firms}, span=(2025.0, 2031.0), colors={})


def test_the_public_api_is_importable_from_the_package_and_numbers_need_no_matplotlib():
    assert viz.human_number(1.5e9, "$") == "$1.5B"
    assert all(hasattr(viz, name) for name in viz.__all__)
    code = "import sys, marketsim.viz.numbers; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
