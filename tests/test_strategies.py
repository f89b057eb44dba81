"""A user-written firm strategy, exactly as the README shows, plugs into scenarios and the model."""

from __future__ import annotations

import pytest

from marketsim.sim.firm import STRATEGIES, Plan, Strategy, register_strategy
from marketsim.sim.model import MarketModel
from marketsim.config.scenario import ScenarioError, load_scenario, resolve_scenario_path


@register_strategy("double_every_year")
class DoubleEveryYear(Strategy):
    def plan(self, firm):
        spend = 1e8 * 2 ** firm.model.state.t  # dollars
        N, D = firm.model.law.compute_optimal(spend * firm.model.state.E)
        return Plan(N=float(N), D=float(D))


def _scenario(strategy: str):
    return load_scenario(resolve_scenario_path("baseline"),
                         [f'firms.0.strategy="{strategy}"', "meta.years=3", "consumers.count=500",
                          "data.stock_tokens=1e17"])


def test_registered_strategy_is_accepted_and_drives_spend() -> None:
    assert "double_every_year" in STRATEGIES
    model = MarketModel(_scenario("double_every_year")).run()
    firms = model.firm_table()
    spend = firms.loc[firms.training_cost > 0, ["year", "training_cost"]]
    assert len(spend) == 3  # one model a year (retrain_every_periods = 4)
    ratios = spend.training_cost.to_numpy()[1:] / spend.training_cost.to_numpy()[:-1]
    assert ratios == pytest.approx([2.0, 2.0], rel=1e-9)
    assert spend.training_cost.iloc[0] == pytest.approx(1e8, rel=1e-9)


def test_unknown_strategy_lists_the_registered_ones() -> None:
    with pytest.raises(ScenarioError, match=r'firms\[0\]\.strategy = "greedy": must be one of "profit_optimal", '
                                            r'"fixed_growth", "open_weights", "double_every_year"'):
        _scenario("greedy")
