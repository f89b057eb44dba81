"""Research budgets (docs/theory.md "Research budgets"; marketsim.sim.strategies.research_plan).

A profit-optimal lab with ``research_budget`` B dollars per year (growing by g per year) trains, at
each retraining point where its profit-optimal decision would spend less than B g^t x cycle years
(or train nothing), the compute-optimal model of that spend, paid in full by outside money (booked
as ``raised``); otherwise the profit-optimal decision stands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from test_finance import _mini, _rows, assert_financing_identity
from marketsim.config import load_scenario, scenario_from_dict
from marketsim.config.loading import resolve_scenario_path
from marketsim.economics.scaling import ScalingLaw
from marketsim.sim import regimes
from marketsim.sim.finance import research_spend
from marketsim.sim.model import MarketModel

BUDGET = 1e6  # dollars per year
GROWTH = 2.0  # per year


def _alone(**alpha: Any) -> dict[str, Any]:
    """Three years, Alpha alone at fixed pricing (cycle: 4 quarters = 1 year)."""
    data = _mini(years=3)
    data["firms"] = [data["firms"][0]]
    data["firms"][0].update({"pricing": "fixed", **alpha})
    return data


def _run(data: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, MarketModel]:
    model = MarketModel(scenario_from_dict(data)).run()
    return model.firm_table(), model.model_table(), model


def _released(f: pd.DataFrame, step: int) -> tuple[float, float]:
    """(N, D) of the model started at ``step``: the first change of the firm's model on sale from then on."""
    before = f[f.step == step - 1][["N", "D"]].to_numpy(float)
    for row in f[f.step >= step].itertuples():
        if row.N > 0 and (before.size == 0 or (row.N, row.D) != tuple(before[0])):
            return float(row.N), float(row.D)
    raise AssertionError(f"the model started at step {step} was never released")


def test_spend_per_cycle_grows_by_the_factor() -> None:
    assert research_spend(1e6, 2.0, 0.0, 1.0) == 1e6
    assert research_spend(1e6, 2.0, 2.0, 0.5) == 2e6  # 1e6 x 2^2 x half a year
    assert research_spend(1e6, 2.0, -1.0, 1.0) == 1e6  # before the reference year: the starting budget
    assert research_spend(0.0, 2.0, 3.0, 1.0) == 0.0


@pytest.fixture(scope="module")
def unpaid() -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, MarketModel]:
    # a free product: no model earns anything, so without a research budget nothing is ever trained;
    # backers cover the cost of serving it (the credit line), not its training
    data = _alone(price=0.0, cash=0.0, credit_limit=-1e12, research_budget=BUDGET,
                  research_budget_growth_per_year=GROWTH)
    return (data, *_run(data))


def test_without_a_budget_a_lab_whose_market_pays_nothing_trains_nothing() -> None:
    firms, _, _ = _run(_alone(price=0.0, cash=0.0, credit_limit=-1e12))
    assert (firms.training_cost == 0).all()
    assert regimes.KEPT_NO_PROFIT in set(firms.decision)


def test_a_lab_whose_market_pays_nothing_trains_the_compute_optimal_model_of_its_budget(unpaid) -> None:
    data, firms, table, model = unpaid
    f = _rows(firms, "Alpha")
    runs = f[f.training_cost > 0]
    assert list(runs.year) == [2025.0, 2026.0, 2027.0]  # one run per yearly cycle
    assert set(runs.decision) == {regimes.TRAINED_RESEARCH}
    # spend = budget x growth^(years since start) x cycle years (4 quarters = 1 year)
    np.testing.assert_allclose(runs.training_cost, BUDGET * GROWTH ** (runs.year - 2025.0), rtol=1e-12)
    law: ScalingLaw = model.law
    for run in runs.itertuples():
        world = table[table.step == run.step].iloc[0]
        N, D = law.compute_optimal(run.training_cost * world.E, rho_N=world.rho_N, rho_D=world.rho_D)
        np.testing.assert_allclose(_released(f, run.step), (float(N), float(D)), rtol=1e-9)


def test_research_runs_are_raised_money_and_never_touch_cash(unpaid) -> None:
    data, firms, _, _ = unpaid
    f = _rows(firms, "Alpha")
    np.testing.assert_array_equal(f.raised, f.training_cost)  # all of it from outside
    # cash moves only with the operating flows (here the cost of serving a free model), never with training
    change = f.cash.diff().fillna(f.cash.iloc[0])
    np.testing.assert_allclose(change, f.revenue - f.serving_cost - f.fixed_cost - f.paid_out, rtol=1e-12, atol=1e-6)
    assert f.in_market.all()
    assert_financing_identity(firms, data)


def test_a_research_run_needs_no_cash_or_credit() -> None:
    # no cash, no credit line, no one buys (an unreachable adoption threshold): the lab still trains
    data = _alone(cash=0.0, credit_limit=0.0, research_budget=BUDGET, research_budget_growth_per_year=GROWTH)
    data["consumers"]["median_threshold"] = 1e-9
    firms, _, _ = _run(data)
    runs = firms[firms.training_cost > 0]
    assert len(runs) == 3 and (runs.raised == runs.training_cost).all()
    assert firms.in_market.all() and (firms.cash == 0.0).all()


def test_a_lab_whose_profit_optimal_model_costs_more_than_the_budget_trains_that_model() -> None:
    plain, _, _ = _run(_alone())
    small, _, _ = _run(_alone(research_budget=1e3))
    assert (plain.training_cost > 1e3).any()
    # the profit-optimal decisions stand, with their text and their money
    pd.testing.assert_frame_equal(small, plain)
    assert regimes.TRAINED in set(small.decision) and regimes.TRAINED_RESEARCH not in set(small.decision)


def test_a_budget_above_the_profit_optimal_spend_replaces_it() -> None:
    plain, _, _ = _run(_alone())
    first = float(plain[plain.training_cost > 0].training_cost.iloc[0])
    big, _, _ = _run(_alone(research_budget=10 * first))
    run = big[big.training_cost > 0].iloc[0]
    assert run.decision == regimes.TRAINED_RESEARCH
    # capped at the usable data stock like every plan, so it may cost less than the budget; never more
    assert first < run.training_cost <= 10 * first * (1 + 1e-12) and run.raised == run.training_cost
    assert big[big.step == 0].loss.iloc[0] < plain[plain.step == 0].loss.iloc[0]  # a better model on sale


def test_the_default_budget_changes_nothing() -> None:
    data = _mini(years=2)
    explicit = _mini(years=2)
    for firm in explicit["firms"]:
        firm.update({"research_budget": 0.0, "research_budget_growth_per_year": 3.0})
    pd.testing.assert_frame_equal(_run(explicit)[0], _run(data)[0])
    assert scenario_from_dict(data).firms[0].research_budget == 0.0


def _historical_with_labs() -> dict[str, Any]:
    """The historical world (2016-2025) with three labs with research budgets and distinct entry years."""
    data = load_scenario(resolve_scenario_path("historical_one_lab")).model_dump(exclude_none=True)
    lab = data["firms"][0]
    lab.update(research_budget=1e5, research_budget_growth_per_year=2.0)
    data["firms"] += [{**lab, "name": "BigTech", "research_budget": 2e5, "research_budget_growth_per_year": 1.8},
                      {**lab, "name": "Challenger", "entry_year": 2021, "research_budget": 2e6,
                       "research_budget_growth_per_year": 1.8}]
    return data


def test_several_labs_in_the_historical_world_train_from_2016() -> None:
    scenario = scenario_from_dict(_historical_with_labs())
    assert len({f.entry_year or scenario.meta.start_year for f in scenario.firms}) == 2
    firms = MarketModel(scenario).run().firm_table()
    early = firms[(firms.year < 2017) & (firms.training_cost > 0)]
    assert set(early.firm) == {"Frontier", "BigTech"} and set(early.decision) == {regimes.TRAINED_RESEARCH}
    # the research era: more than one lab trains every year, on outside money
    for year in range(2016, 2021):
        trained = firms[(firms.year >= year) & (firms.year < year + 1) & (firms.training_cost > 0)]
        assert trained.firm.nunique() >= 2 and (trained.raised == trained.training_cost).all(), year
    challenger = firms[firms.firm == "Challenger"]
    assert not challenger[challenger.year < 2021].in_market.any()
    assert challenger[challenger.training_cost > 0].year.min() == 2021.0
    # once the market pays, the profit-optimal decision outgrows the budgets and takes over
    assert regimes.TRAINED in set(firms[firms.year >= 2022].decision)
