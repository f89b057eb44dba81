"""A user-written firm strategy, exactly as the README shows, plugs into scenarios and the model."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from marketsim.config import ScenarioError, bundled_scenarios, load, load_scenario, resolve_scenario_path
from marketsim.sim import check_strategies
from marketsim.sim.model import MarketModel
from marketsim.economics import optimize
from marketsim.sim.strategies import (STRATEGIES, DecisionContext, Plan, ProfitOptimal, Strategy, decide_training,
                                      register_strategy)


class DoubleEveryYear(Strategy):
    def plan(self, firm):
        spend = 1e8 * 2 ** firm.model.state.t  # dollars
        N, D = firm.model.law.compute_optimal(spend * firm.model.state.E)
        return Plan(N=float(N), D=float(D))


@pytest.fixture(autouse=True)
def _registered():
    """Register the README's strategy (``@register_strategy("double_every_year")``) for this module's
    tests only: the registry is process-wide, and other tests list the built-in strategies."""
    register_strategy("double_every_year")(DoubleEveryYear)
    yield
    STRATEGIES.pop("double_every_year", None)


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


_UNKNOWN = (r'firms\[0\]\.strategy = "greedy": must be one of "profit_optimal", "fixed_growth", "open_weights", '
            r'"double_every_year"$')


def test_unknown_strategy_is_refused_when_the_model_is_built_listing_the_registered_ones() -> None:
    scenario = _scenario("greedy")  # the schema does not know the registry: the file itself is valid
    assert len(check_strategies(scenario)) == 1
    assert re.match(_UNKNOWN, check_strategies(scenario)[0])
    with pytest.raises(ScenarioError, match=r"^scenario 'baseline': " + _UNKNOWN):
        MarketModel(scenario)
    file = resolve_scenario_path("baseline")
    with pytest.raises(ScenarioError, match="^" + re.escape(str(file)) + ": " + _UNKNOWN):
        MarketModel(file, overrides=['firms.0.strategy="greedy"'])


def test_check_strategies_is_empty_for_every_bundled_scenario() -> None:
    names = [name for name, _, _ in bundled_scenarios()]
    assert "oligopoly" in names and "open_weights" in names
    for name in names:
        assert check_strategies(load(name)) == [], name


# --- the pure decision of the profit-optimal firm ------------------------------------------------

def _monopoly_context(**changes) -> DecisionContext:
    """The baseline firm's view at the start: no rivals, whole market over its horizon."""
    model = MarketModel("baseline", overrides=["meta.years=1", "consumers.count=100"])
    model.step()
    firm = model.firms[0]
    ctx = ProfitOptimal.context(firm)
    return dataclasses.replace(ctx, **changes)


def test_decision_without_rivals_is_the_optimizer_on_the_whole_market() -> None:
    ctx = _monopoly_context(current=None, warm_start=None)
    assert ctx.rival_R == () and ctx.T > 0 and ctx.max_spend > 0
    chosen = decide_training(ctx)
    # Alone on the market the outside option takes a share that does not depend on R
    # (docs/theory.md, Prices): the decision is the optimizer on the whole market scaled by the
    # purchase share 1 / (1 + exp((outside_option + ps * price_adj) / lam)).
    assert ctx.outside_option is not None
    share = 1.0 / (1.0 + np.exp((ctx.outside_option + ctx.price_sensitivity * ctx.price) / ctx.lam))
    direct = optimize(ctx.law, ctx.base.scaled(share), ctx.E, T=ctx.T, c_D=ctx.c_D, D_bar=ctx.D_bar,
                      closure=ctx.closure, rho_D=ctx.rho_D, max_spend=ctx.max_spend)
    assert chosen is not None
    assert (chosen.N, chosen.D, chosen.profit) == pytest.approx((direct.N, direct.D, direct.profit), rel=1e-6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.E = 1.0  # type: ignore[misc]


def test_a_firm_keeps_a_deployed_model_that_is_already_optimal() -> None:
    # Training the same model again costs 6ND/E more than keeping it, so the decision is None; a
    # deployed model 100x too small is worth replacing.
    ctx = _monopoly_context(current=None, warm_start=None)
    best = decide_training(ctx)
    assert best is not None and best.training_cost > 0
    # current_R=None: the deployed model's R is R(N, D) (the context's is the firm's own deployed model)
    assert decide_training(dataclasses.replace(ctx, current=(best.N, best.D), current_R=None)) is None
    assert decide_training(dataclasses.replace(ctx, current=(best.N / 100, best.D / 100), current_R=None)) is not None


def test_the_model_firm_plans_what_the_decision_function_decides() -> None:
    model = MarketModel("oligopoly", overrides=["meta.years=1", "consumers.count=100"])
    for _ in range(3):
        model.step()
    firm = model.firms[0]
    ctx = ProfitOptimal.context(firm)
    assert len(ctx.rival_R) == 2 and ctx.current == (firm.deployed.N, firm.deployed.D)  # rivals on sale
    assert ctx.damping == model.scenario.market.damping and ctx.lam == model.scenario.market.logit_lambda
    chosen, plan = decide_training(ctx), ProfitOptimal().plan(firm)
    assert (plan is None) == (chosen is None)
    assert plan is None or (plan.N, plan.D) == (chosen.N, chosen.D)
    # against two equal rivals nothing pays here; against rivals ten times worse (in R) it does
    weak = decide_training(dataclasses.replace(ctx, rival_R=tuple(10 * r for r in ctx.rival_R), current=None))
    assert weak is not None and weak.trains and weak.profit > 0
