"""Regimes in plain sight (issue 12, items 3-4): the regime, binding and decision columns follow the
constraint that binds; firms at the data wall keep deciding; regime changes are printed; the
figures mark the data-bound periods.

Every scenario here is a small synthetic one (one profit-optimal firm, few consumers, a few
years); assertions are oracles (the stock, N_match, the budget), not bundled-scenario numbers.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketsim.sim import regimes
from marketsim.sim.model import MarketModel
from marketsim.sim.strategies import ProfitOptimal, decide, decide_training

from _cli import invoke
from _synthetic import hand_model_table

SOLO_TOML = """\
[meta]
name = "{name}"
seed = 1
start_year = 2025
years = {years}
periods_per_year = 2

[hardware]
flop_per_dollar = 7.1e17
growth_per_year = 1.38

[data]
stock_tokens = {stock}
stock_growth_per_year = {growth}

[consumers]
count = 300
population = 5e9
tokens_per_adopter_per_period = 1e5

[[firms]]
name = "Solo"
price = 1.0
cash = {cash}
credit_limit = {credit}
retrain_every_periods = 2
horizon_periods = 2
"""


def solo(tmp_path: Path, name: str, *, years: int = 3, stock: float = 3e14, growth: float = 1.0,
         cash: float = 1e10, credit: float = -2e10) -> Path:
    """A one-firm scenario file: a decision every year (two periods per year)."""
    path = tmp_path / f"{name}.toml"
    path.write_text(SOLO_TOML.format(name=name, years=years, stock=stock, growth=growth, cash=cash, credit=credit),
                    encoding="utf-8")
    return path


def run(path: Path, steps: int | None = None) -> MarketModel:
    model = MarketModel(path)
    if steps is None:
        return model.run()
    for _ in range(steps):
        model.step()
    return model


def decisions(firms: pd.DataFrame) -> pd.DataFrame:
    """The rows in which the firm decided (trained, kept or could not pay)."""
    idle = {regimes.NOT_DUE, regimes.IN_TRAINING, regimes.EXITED, regimes.NOT_ENTERED}
    return firms[~firms["decision"].isin(idle)]


# -- the rule -------------------------------------------------------------------------------------


def test_classify_names_the_constraint_that_binds():
    free = regimes.classify(1e12, 1e13, D_bar=1e14, N_match=5e12, cost=1.0, max_spend=10.0)
    assert (free.regime, free.binding) == ("compute-bound", "none")
    wall = regimes.classify(1e12, 1e14, D_bar=1e14, N_match=5e12, cost=1.0, max_spend=10.0)
    assert (wall.regime, wall.binding) == ("data-bound", "data")
    capped = regimes.classify(5e12, 1e14, D_bar=1e14, N_match=5e12, cost=1.0, max_spend=None)
    assert (capped.regime, capped.binding) == ("capped", "data")
    broke = regimes.classify(1e12, 1e13, D_bar=None, N_match=5e12, cost=10.0, max_spend=10.0)
    assert (broke.regime, broke.binding) == ("compute-bound", "budget")


# -- the simulated firm ----------------------------------------------------------------------------


def test_huge_stock_is_compute_bound(tmp_path):
    model = run(solo(tmp_path, "huge", stock=1e22, cash=1e15))
    rows = decisions(model.firm_table())
    assert len(rows) >= 2
    assert set(rows["regime"]) == {"compute-bound"}
    assert "data" not in set(rows["binding"])
    assert (model.model_table()["data_bound_firms"] == 0).all()


def test_tiny_stock_is_at_the_data_wall(tmp_path):
    model = run(solo(tmp_path, "tiny", stock=1e12))
    firms = model.firm_table()
    trained = firms[firms["decision"] == regimes.TRAINED]
    assert len(trained) >= 1
    assert set(firms["regime"]) <= {"data-bound", "capped"}
    assert set(firms["binding"]) == {"data"}
    # oracle: a trained model uses the whole stock (rho_D = 1), and "capped" means N = N_match(D)
    first = trained.iloc[0]
    assert first["D"] == pytest.approx(1e12, rel=1e-6)
    n_match = float(model.law.n_match(first["D"]))
    assert (first["regime"] == "capped") == (first["N"] >= n_match * (1 - 1e-6))
    assert (model.model_table()["data_bound_firms"] == 1).all()


def test_tiny_credit_line_binds_the_budget(tmp_path):
    model = run(solo(tmp_path, "broke", stock=1e22, cash=1e5, credit=0.0), steps=1)
    first = model.firm_table().iloc[0]
    assert first["decision"] == regimes.TRAINED
    assert first["binding"] == "budget"
    assert 0 < first["training_cost"] <= 1e5 * (1 + 1e-6)  # all it could finance, not more


def test_growing_stock_keeps_the_firm_training_at_the_wall(tmp_path):
    """The data-bound regime is a regime, not an ending: with the stock growing 60% a year the firm
    retrains at the wall generation after generation, each time on the whole (larger) stock."""
    model = run(solo(tmp_path, "grow", years=5, stock=3e13, growth=1.6))
    firms = model.firm_table()
    wall = firms[(firms["training_cost"] > 0) & firms["regime"].isin(regimes.DATA_WALL_REGIMES)]
    assert len(wall) >= 3
    stock = model.model_table().set_index("year")["data_stock"]
    started = firms[firms["decision"] == regimes.TRAINED]
    D_next = firms.set_index("step")["D"]
    for _, row in started.iloc[1:].iterrows():  # the model released a period later trains on that year's stock
        assert D_next[row["step"] + 1] == pytest.approx(stock[row["year"]], rel=1e-6)


def test_firm_at_a_fixed_wall_keeps_its_model_and_says_why(tmp_path):
    model = run(solo(tmp_path, "fixed", years=3, stock=1e12))
    firms = model.firm_table()
    kept = firms[firms["decision"].str.startswith("kept")]
    assert len(kept) >= 1
    assert set(kept["decision"]) == {regimes.KEPT_AT_WALL}
    assert (kept["training_cost"] == 0).all()
    assert (firms["decision"] == regimes.NOT_DUE).any()  # between decisions


def test_keeping_reason_when_a_new_model_would_not_pay(tmp_path):
    model = run(solo(tmp_path, "same", stock=1e22, cash=1e15), steps=1)
    firm = model.firms[0]
    # the same period, the same world: the best new model is the deployed one, whose cost is sunk
    ctx = ProfitOptimal.context(firm)
    assert ctx.current == (firm.deployed.N, firm.deployed.D) and ctx.current_R == firm.deployed.R
    decision = decide(ctx)
    assert decision.chosen is None and decision.candidate.trains
    assert decision.reason == regimes.KEPT_NO_GAIN
    assert decide_training(ctx) is None


def test_kept_model_is_valued_at_the_loss_consumers_see(tmp_path):
    """A deployed model's R is fixed when it was trained. Re-evaluating its (N, D) at a later, higher
    rho_D overvalues keeping it (the old valuation): a firm holding the very (N, D) that is optimal
    today, trained when rho_D was 1, would then never retrain however much better today's model is."""
    model = run(solo(tmp_path, "rho", stock=1e22), steps=1)
    ctx = dataclasses.replace(ProfitOptimal.context(model.firms[0]), rho_D=3.0, current=None, current_R=None)
    best = decide(ctx).chosen
    assert best is not None
    trained_at_rho_1 = float(model.law.reducible_loss(best.N, best.D, rho_D=1.0))
    held = dataclasses.replace(ctx, current=(best.N, best.D), current_R=trained_at_rho_1)
    assert trained_at_rho_1 > best.R
    assert decide(held).reason == regimes.TRAINED
    assert decide(dataclasses.replace(held, current_R=None)).chosen is None  # the old valuation


# -- changes, lines, figures ----------------------------------------------------------------------------


def _table(regime: list[str], binding: list[str]) -> pd.DataFrame:
    n = len(regime)
    return pd.DataFrame({"year": 2030 + np.arange(n) / 4, "firm": "A", "regime": regime, "binding": binding})


def test_regime_changes_from_a_firms_table():
    table = _table(["", "compute-bound", "compute-bound", "data-bound", "capped", "capped", "capped"],
                   ["", "none", "budget", "data", "data", "budget", "data"])
    changes = regimes.regime_changes(table)
    assert [(c.year, c.before, c.after) for c in changes] == [
        (2030.5, "compute-bound", "compute-bound"), (2030.75, "compute-bound", "data-bound"),
        (2031.0, "data-bound", "capped"), (2031.25, "capped", "capped"), (2031.5, "capped", "capped")]
    lines = regimes.regime_lines(table)
    assert lines[1].startswith("2030.75: A reaches the data wall")
    assert "D_bar^2/E" in lines[2]
    assert "budget binds" in lines[0] and "no longer binds" in lines[4]
    assert regimes.regime_lines(table.drop(columns="regime")) == []
    # a firm whose first decision is at the wall says so; one that never leaves it says nothing more
    starts = regimes.regime_lines(_table(["capped"] * 3, ["data"] * 3))
    assert len(starts) == 1 and starts[0].startswith("2030.00: A starts at the data wall")


def test_data_bound_years_merge_consecutive_periods():
    years = 2030 + np.arange(8) / 4
    flags = [False, True, True, False, False, True, True, True]
    assert regimes.data_bound_years(years, flags) == [(2030.25, 2030.75), (2031.25, 2032.0)]
    assert regimes.data_bound_years([], []) == []


def test_run_prints_one_line_per_regime_change(tmp_path):
    # 3e14 tokens, fixed: compute-bound in 2025, at the wall from the next decision on
    path = solo(tmp_path, "wallrun", years=3, stock=3e14)
    result = invoke("run", str(path), "--out", str(tmp_path / "out"), "--no-figures", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    firms = pd.read_csv(tmp_path / "out" / "firms.csv")
    expected = regimes.regime_lines(firms)
    assert expected and "reaches the data wall" in expected[0]
    assert "Regime changes" in result.output
    for line in expected:
        assert line in result.output
    assert {"regime", "binding", "decision"} <= set(firms.columns)


@pytest.mark.slow  # two runs with their figures and the overlays (~10-30 s on a shared machine)
def test_compare_prints_each_scenarios_regime_changes(tmp_path):
    wall = solo(tmp_path, "walled", years=2, stock=3e14)
    free = solo(tmp_path, "open", years=2, stock=1e22, cash=1e15)
    result = invoke("compare", str(wall), str(free), "--out", str(tmp_path / "cmp"), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    text = result.output[result.output.index("Regime changes"):]
    assert "  walled:" in text and "  open:" in text
    walled = regimes.regime_lines(pd.read_csv(tmp_path / "cmp" / "walled" / "firms.csv"))
    assert walled and all(line in text for line in walled)
    assert "none: every firm stays in its first regime" in text.split("  open:")[1]


def test_run_figures_shade_the_data_bound_periods():
    from marketsim.viz.regime_marks import DATA_BOUND_GID, DATA_BOUND_LABEL
    from marketsim.viz.run_figures import plot_training_spend

    model = hand_model_table([0.1] * 8)
    model["data_bound_firms"] = [0, 0, 0, 1, 1, 1, 1, 1]
    fig = plot_training_spend(model, scenario="wall")
    for ax in fig.axes:
        shades = [a for a in ax.patches if a.get_gid() == DATA_BOUND_GID]
        assert len(shades) == 1
        x0 = shades[0].get_x()
        assert x0 == pytest.approx(2030.75)
    legend_texts = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert DATA_BOUND_LABEL in legend_texts
    # no data-bound period, no shading
    model["data_bound_firms"] = 0
    clean = plot_training_spend(model, scenario="free")
    assert not [a for ax in clean.axes for a in ax.patches if a.get_gid() == DATA_BOUND_GID]


def test_compare_figures_mark_each_scenarios_data_bound_periods():
    from marketsim.viz.compare_figures import plot_compare_overview
    from marketsim.viz.regime_marks import DATA_BOUND_GID

    wall = hand_model_table([0.1] * 8)
    wall["data_bound_firms"] = [0, 0, 1, 1, 1, 1, 1, 1]
    free = hand_model_table([0.2] * 8)
    free["data_bound_firms"] = 0
    fig = plot_compare_overview({"wall": wall, "free": free})
    bars = [c for c in fig.axes[0].collections if c.get_gid() == DATA_BOUND_GID]
    assert len(bars) == 1  # one scenario at the wall: one bar
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(t.startswith("data-bound periods") for t in texts)
