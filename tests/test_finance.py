"""Money: credit line, equity, payout (marketsim.sim.finance; docs/theory.md, "Money").

The rules are checked twice: on the pure functions with hand-computed numbers, and in small synthetic
runs (tests/_synthetic.py MINI_SCENARIO_TOML), where the financing identity

    cash_t = cash_{t-1} + revenue - serving_cost - training_cost - fixed_cost (- entry_cost) + raised - paid_out

must hold every period for every firm.
"""

from __future__ import annotations

import tomllib
from typing import Any

import numpy as np
import pandas as pd
import pytest

from _synthetic import MINI_SCENARIO_TOML
from marketsim.config import ScenarioError, scenario_from_dict
from marketsim.sim.finance import (FinancePolicy, equity_capacity, equity_raised, financing_capacity, internal_funds,
                                   payout, payout_reserve)
from marketsim.sim.model import MarketModel

POLICY = FinancePolicy(credit_limit=-100.0, equity_multiple=2.0, horizon_periods=4, payout_reserve_periods=8.0,
                       retrain_every_periods=4)


# --- the rules, by hand -----------------------------------------------------------------------------


def test_internal_funds_are_cash_down_to_the_credit_limit() -> None:
    assert internal_funds(50.0, POLICY) == 150.0
    assert internal_funds(-100.0, POLICY) == 0.0
    assert internal_funds(-150.0, POLICY) == 0.0  # already below the limit: nothing left, never negative


def test_investors_fund_a_multiple_of_expected_horizon_profit_only_when_positive() -> None:
    # 2 x (4 periods x 10 dollars per period)
    assert equity_capacity(10.0, POLICY) == 80.0
    assert equity_capacity(0.0, POLICY) == 0.0
    assert equity_capacity(-10.0, POLICY) == 0.0
    no_equity = FinancePolicy(**{**POLICY.__dict__, "equity_multiple": 0.0})
    assert equity_capacity(10.0, no_equity) == 0.0
    assert financing_capacity(50.0, 10.0, POLICY) == 150.0 + 80.0


def test_equity_pays_only_what_cash_and_the_credit_line_cannot() -> None:
    assert equity_raised(100.0, 50.0, 10.0, POLICY) == 0.0  # internal funds 150 suffice
    assert equity_raised(200.0, 50.0, 10.0, POLICY) == 50.0
    assert equity_raised(30.0, -100.0, 10.0, POLICY) == 30.0  # credit line used up: all equity
    # never more than investors provide (2 x 4 x 10 = 80), nothing without expected profit
    assert equity_raised(300.0, 50.0, 10.0, POLICY) == 80.0
    assert equity_raised(200.0, 50.0, 0.0, POLICY) == 0.0


def test_payout_is_the_cash_above_the_reserve_of_a_profitable_firm() -> None:
    # reserve = 8 periods x (running cost 5 + last run 40 / 4 periods) = 120 dollars
    assert payout_reserve(5.0, 40.0, POLICY) == 120.0
    assert payout(500.0, 1.0, 5.0, 40.0, POLICY) == 380.0
    assert payout(100.0, 1.0, 5.0, 40.0, POLICY) == 0.0  # below the reserve
    assert payout(500.0, -1.0, 5.0, 40.0, POLICY) == 0.0  # losing money: keeps its cash
    assert payout(500.0, 1.0, 5.0, 0.0, POLICY) == 0.0  # no model trained yet
    assert payout(-50.0, 1.0, 0.0, 40.0, POLICY) == 0.0  # in debt
    # a positive credit limit is cash the firm must hold: the reserve sits on top of it
    covenant = FinancePolicy(**{**POLICY.__dict__, "credit_limit": 300.0})
    assert payout(500.0, 1.0, 5.0, 40.0, covenant) == 80.0


def test_finance_keys_are_validated_with_their_bounds() -> None:
    data = _mini()
    data["firms"][0]["equity_multiple"] = -1.0
    with pytest.raises(ScenarioError, match=r"firms\[0\]\.equity_multiple = -1(\.0)?: must be"):
        scenario_from_dict(data)
    data = _mini()
    data["firms"][1]["payout_reserve_periods"] = 1e5
    with pytest.raises(ScenarioError, match=r"firms\[1\]\.payout_reserve_periods"):
        scenario_from_dict(data)


# --- synthetic runs ------------------------------------------------------------------------------


def _mini(**meta: Any) -> dict[str, Any]:
    """MINI_SCENARIO_TOML as a dict (two firms: profit-optimal Alpha, fixed-growth Beta), ``meta`` updated."""
    data = tomllib.loads(MINI_SCENARIO_TOML.format(name="finance"))
    data["meta"].update(meta)
    return data


def _run(data: dict[str, Any]) -> pd.DataFrame:
    """firms.csv of the scenario ``data`` run to its horizon."""
    return MarketModel(scenario_from_dict(data)).run().firm_table()


def _rows(firms: pd.DataFrame, name: str) -> pd.DataFrame:
    return firms[firms.firm == name].sort_values("step").reset_index(drop=True)


def assert_financing_identity(firms: pd.DataFrame, data: dict[str, Any]) -> None:
    """cash_t - cash_{t-1} = revenue - serving - training - fixed (- entry cost) + raised - paid_out,
    every period of every firm (cash_{-1} = the scenario's starting cash); debt = max(-cash, 0)."""
    for cfg in data["firms"]:
        f = _rows(firms, cfg["name"])
        entry = f["entry_cost"] if "entry_cost" in f else 0.0  # entry and exit: marketsim.sim.entry
        flows = f.revenue - f.serving_cost - f.training_cost - f.fixed_cost - entry + f.raised - f.paid_out
        change = f.cash.diff().fillna(f.cash.iloc[0] - cfg["cash"])
        scale = max(abs(cfg["cash"]), abs(cfg["credit_limit"]), float(f.cash.abs().max()))
        np.testing.assert_allclose(change, flows, rtol=1e-9, atol=1e-12 * scale, err_msg=cfg["name"])
        np.testing.assert_allclose(change, f.profit + f.raised - f.paid_out, rtol=1e-9, atol=1e-12 * scale)
        np.testing.assert_array_equal(f.debt, np.maximum(-f.cash, 0.0))
        assert (f.raised >= 0).all() and (f.paid_out >= 0).all()


def _fixed_prices(data: dict[str, Any]) -> dict[str, Any]:
    """Every firm at its scenario price (firms.pricing = "fixed"): isolates money from price setting."""
    for firm in data["firms"]:
        firm["pricing"] = "fixed"
    return data


def _starved(**alpha: Any) -> dict[str, Any]:
    """Three years at fixed prices; Alpha (profit-optimal) starts with $10M and no credit line, so its
    first model is small and the unconstrained optimum of its second generation costs far more than
    its cash; Beta is a free open-weights follower of Alpha."""
    data = _fixed_prices(_mini(years=3))
    data["firms"][0].update({"cash": 1e7, "credit_limit": 0.0, **alpha})
    data["firms"][1].update({"strategy": "open_weights", "leader": "Alpha", "price": 0.0})
    return data


@pytest.fixture(scope="module")
def starved() -> tuple[dict[str, Any], pd.DataFrame]:
    data = _starved()
    return data, _run(data)


def test_the_identity_holds_every_period_for_every_firm_of_the_mini_scenario() -> None:
    data = _mini(years=2)
    firms = _run(data)
    assert_financing_identity(firms, data)
    assert firms.paid_out.sum() > 0  # the identity is exercised with payouts


def test_the_identity_holds_with_equity_debt_and_payouts_in_a_multi_firm_market(starved) -> None:
    data, firms = starved
    assert_financing_identity(firms, data)
    assert firms.raised.sum() > 0 and firms.paid_out.sum() > 0
    # a third firm with fixed costs that borrows on its credit line
    data = _starved()
    data["firms"].append({"name": "Gamma", "price": 10.0, "pricing": "fixed", "cash": 1e8, "credit_limit": -5e10,
                          "fixed_cost_per_period": 1e8})
    firms = _run(data)
    assert_financing_identity(firms, data)
    assert (firms.debt > 0).any()


def test_a_firm_that_cannot_pay_for_a_profitable_plan_raises_equity_and_trains(starved) -> None:
    data, firms = starved
    alpha = _rows(firms, "Alpha")
    k = int(np.flatnonzero(alpha.raised > 0)[0])
    row, before = alpha.iloc[k], alpha.iloc[k - 1]
    internal = before.cash - data["firms"][0]["credit_limit"]
    # it trained a model that cash alone could not pay for, and raised exactly the shortfall ...
    assert row.training_cost > internal > 0
    assert row.raised == pytest.approx(row.training_cost - internal, rel=1e-12)
    # ... within the investor rule: multiple (1) x horizon (8) x last period's operating profit
    expected = (before.revenue - before.serving_cost - before.fixed_cost) * 8
    assert 0 < row.raised <= expected * (1 + 1e-9)
    # without investors the same firm trains a smaller model at that step, paid from its own cash
    alone = _rows(_run(_starved(equity_multiple=0.0)), "Alpha")
    assert alone.raised.sum() == 0
    assert alone.training_cost.iloc[k] <= internal * (1 + 1e-9)
    assert alone.training_cost.iloc[k] < row.training_cost
    assert alone.compute.iloc[-1] < alpha.compute.iloc[-1]


def test_a_firm_with_no_profitable_plan_raises_nothing() -> None:
    # Alpha's price is so low that no model pays; it starts poor, so any plan would need outside money
    data = _fixed_prices(_mini(years=2))
    data["firms"][0].update({"price": 1e-9, "cash": 1e6, "credit_limit": 0.0, "equity_multiple": 100.0})
    alpha = _rows(_run(data), "Alpha")
    assert (alpha.training_cost == 0).all() and (alpha.raised == 0).all()
    assert (alpha.paid_out == 0).all() and (alpha.cash == 1e6).all()


def test_payout_keeps_cash_bounded_where_it_used_to_grow() -> None:
    data = _mini(years=5)
    kept = _mini(years=5)
    for firm in kept["firms"]:
        firm["payout_reserve_periods"] = 10_000.0  # a reserve no firm reaches: the old behaviour
    firms, hoard = _run(data), _run(kept)
    for cfg in data["firms"]:
        f, h = _rows(firms, cfg["name"]), _rows(hoard, cfg["name"])
        assert h.cash.iloc[-1] > 10 * cfg["cash"] and h.paid_out.sum() == 0  # cash piled up before
        # with payouts it ends below a tenth of that, and never above its reserve after a profitable period
        assert f.cash.iloc[-1] < 0.1 * h.cash.iloc[-1]
        last_run = f.training_cost.where(f.training_cost > 0).ffill().fillna(0.0)
        reserve = 8.0 * (f.fixed_cost + f.serving_cost + last_run / 4)
        profitable = (f.revenue - f.serving_cost - f.fixed_cost > 0) & (last_run > 0)
        assert (f.cash[profitable] <= reserve[profitable] * (1 + 1e-9)).all()
        assert f.paid_out.sum() > 0.5 * h.cash.iloc[-1]


def test_a_firm_below_its_credit_limit_exits_as_before_and_investors_do_not_rescue_it() -> None:
    data = _fixed_prices(_mini(years=3))
    # Alpha sells at a price below its serving cost and pays a large fixed cost: it loses money every period
    data["firms"][0].update({"price": 1e-3, "fixed_cost_per_period": 3e9, "equity_multiple": 100.0})
    alpha = _rows(_run(data), "Alpha")
    limit = data["firms"][0]["credit_limit"]
    assert not alpha.alive.iloc[-1]
    k = int(np.argmin(alpha.alive.to_numpy()))
    assert alpha.cash.iloc[k] < limit <= alpha.cash.iloc[k - 1]
    assert (alpha.alive.iloc[:k]).all() and not alpha.alive.iloc[k:].any()
    assert (alpha.raised == 0).all() and (alpha.paid_out == 0).all()
    assert (alpha.cash.iloc[k:] == alpha.cash.iloc[k]).all()
