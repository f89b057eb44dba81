"""The fast paths of the decision and the pricing stage give the answers of the slow, direct ones.

- A firm alone on the market with an outside option decides on the base market scaled by its
  purchase share (marketsim.sim.strategies._alone); the oracle is the optimizer on the residual
  demand without rivals (ResidualDemand), solved cold for every problem. Changing E, the price or
  the outside option must change the answer exactly as the cold solve does (nothing is reused).
- One best responder among fixed-price offers reaches the equilibrium in one round: the oracle is
  that its best response to the returned prices is the returned price, and the closed form for one
  firm and one segment.
- The best response (plain-float first-order condition) maximises the profit that
  StageGame.profits computes from StageGame.shares.
- The optimizer's plain-float profit and gradient (economics/objective.py) equal the problem's
  array form in every demand family, including where nobody adopts.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from marketsim.economics import ResidualDemand, optimize
from marketsim.economics.demand import FixedLognormal, FixedPareto, LogUniform, PowerMarket
from marketsim.economics.objective import scalar_profit_and_gradient
from marketsim.economics.problem import LN_D_BOUNDS, LN_N_BOUNDS, FirmProblem
from marketsim.economics.pricing import StageGame, symmetric_equilibrium_price
from marketsim.economics.scaling import scaling_law
from marketsim.sim.model import MarketModel
from marketsim.sim.strategies import DecisionContext, ProfitOptimal, decide

LAM, PS = 0.3, 0.9604


@functools.cache
def _baseline_context() -> DecisionContext:
    """The baseline firm's view after its first period: no rivals, whole market over its horizon."""
    model = MarketModel("baseline", overrides=["meta.years=1", "consumers.count=100"])
    model.step()
    return ProfitOptimal.context(model.firms[0])


def _scaled(factors: dict) -> DecisionContext:
    """The baseline view with some fields multiplied by factors (outside_option: added; 0.0: set to 0)."""
    ctx = _baseline_context()
    values = {}
    for name, factor in factors.items():
        old = getattr(ctx, name)
        values[name] = old + factor if name == "outside_option" else (0.0 if factor == 0.0 else old * factor)
    return dataclasses.replace(ctx, **values)


def _cold(ctx: DecisionContext):
    """The optimizer on the residual demand of a firm without rivals (no fast path)."""
    demand = ResidualDemand.facing(ctx.base, [], [], own_price=ctx.base.price,
                                   own_shift=-ctx.price_sensitivity * ctx.price,
                                   lam=ctx.lam, outside_option=ctx.outside_option)
    return optimize(ctx.law, demand, ctx.E, T=ctx.T, c_D=ctx.c_D, D_bar=ctx.D_bar, closure=ctx.closure,
                    rho_D=ctx.rho_D, max_spend=ctx.max_spend, warm_start=ctx.warm_start)


_CHANGES = [{}, {"E": 10.0}, {"E": 0.1}, {"price": 1.3}, {"outside_option": 1.5}, {"max_spend": 0.01},
            {"D_bar": 0.01}, {"T": 0.0, "c_D": 0.0}]


@pytest.mark.parametrize("changes", _CHANGES)
def test_a_lone_firm_decides_as_on_its_residual_demand(changes: dict) -> None:
    ctx = _scaled(changes)
    fast, cold = decide(ctx).candidate, _cold(ctx)
    assert fast.trains and fast.regime == cold.regime
    for name in ("N", "D", "R", "adopters", "revenue", "profit"):
        assert getattr(fast, name) == pytest.approx(getattr(cold, name), rel=1e-6), name


def test_a_changed_problem_gets_its_own_answer() -> None:
    """Two problems solved in turn (warm-started from the first answer) each match their own cold
    solve, and differ: no answer of the first problem is returned for the second."""
    first = decide(_baseline_context()).candidate
    assert first.trains
    for changes in ({"E": 10.0}, {"price": 1.3}, {"outside_option": 1.5}):
        ctx = dataclasses.replace(_scaled(changes), warm_start=(first.N, first.D))
        second, cold = decide(ctx).candidate, _cold(ctx)
        assert second.N == pytest.approx(cold.N, rel=1e-6) and second.profit == pytest.approx(cold.profit, rel=1e-6)
        assert abs(second.profit / first.profit - 1.0) > 1e-3, changes


def _game(R: list[float], costs: list[float], masses_at: list[float], outside: float = -1.0) -> StageGame:
    return StageGame.nested(R, costs, masses_at, lam=LAM, price_sensitivity=PS, outside_option=outside)


@pytest.mark.parametrize("fixed_rival_price", [0.3, 1.0, 2.0])
def test_one_best_responder_is_in_equilibrium_after_one_round(fixed_rival_price: float) -> None:
    game = _game([0.20, 0.25, 0.31], [0.5, 0.2, 0.1], [1e6, 3e6, 8e6])
    fixed = np.array([np.nan, fixed_rival_price, 0.0])
    p = game.equilibrium(fixed, start=np.array([123.0, np.nan, np.nan]))
    assert p[1:].tolist() == [fixed_rival_price, 0.0]
    assert game.best_response(0, p) == pytest.approx(p[0], rel=1e-12)
    # dearer rivals let the responder charge more (a stale price would not move)
    cheaper = game.equilibrium(np.array([np.nan, fixed_rival_price / 2, 0.0]))
    assert cheaper[0] < p[0]


def test_a_lone_responder_charges_the_closed_form_monopoly_price() -> None:
    game = _game([0.2], [1.5], [1e6], outside=0.5)
    p = game.equilibrium(start=np.array([1e3]))
    assert p[0] == pytest.approx(symmetric_equilibrium_price(1, 1.5, LAM, PS, 0.5), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_best_response_maximises_the_profit_from_shares(seed: int) -> None:
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 5))
    R = np.sort(rng.uniform(0.15, 0.4, K))
    game = _game(R.tolist(), rng.uniform(0.0, 3.0, K).tolist(), np.sort(rng.uniform(1e5, 1e7, K))[::-1].tolist(),
                 outside=float(rng.uniform(-2.0, 1.0)))
    prices = rng.uniform(1.0, 10.0, K)
    for k in range(K):
        p = prices.copy()
        p[k] = game.best_response(k, prices)

        def loss(x: float) -> float:
            q = p.copy()
            q[k] = x
            return -float(game.profits(q)[k])

        best = minimize_scalar(loss, bounds=(0.5 * p[k], 2.0 * p[k]), method="bounded", options={"xatol": 1e-10})
        assert p[k] == pytest.approx(best.x, rel=1e-6)
        assert -loss(p[k]) >= -best.fun * (1.0 - 1e-12)


_MARKETS = [
    FixedLognormal(M=1e8, price=50.0, kappa=0.5, R_ref=0.3, R0=0.4, sigma=1.0),
    PowerMarket(M=1e3, price=10.0, R0=0.5, k=1.5),
    FixedPareto(M=1e8, price=30.0, R0=0.5, k=1.0),  # nobody adopts above R0: zero revenue, zero slope
    LogUniform(M=1e8, price=30.0, R0=1.0, R_min=0.05),
    ResidualDemand.facing(FixedLognormal(M=1e8, price=50.0, R0=0.4, sigma=1.0), [0.2, 0.35], [-1.0, -0.5],
                          own_price=50.0, own_shift=-0.8, lam=0.3, outside_option=0.5),
]


@pytest.mark.parametrize("market", _MARKETS, ids=lambda m: type(m).__name__)
def test_the_scalar_objective_is_the_problems_profit_and_gradient(market) -> None:
    problem = FirmProblem(law=scaling_law(), demand=market, E=3e18, T=2e6, c_D=1e-10, rho_D=5.0)
    scalar = scalar_profit_and_gradient(problem)
    rng = np.random.default_rng(0)
    for lnN, lnD in zip(rng.uniform(*LN_N_BOUNDS, 40), rng.uniform(*LN_D_BOUNDS, 40)):
        p, g = scalar(lnN, lnD)
        p_ref, g_ref = problem.profit_and_gradient(lnN, lnD)
        assert p == pytest.approx(p_ref, rel=1e-12, abs=1e-300)
        assert g == pytest.approx(g_ref, rel=1e-12, abs=1e-300)
