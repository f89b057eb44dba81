"""Firm strategies: which model a firm trains and when, and the one profit-optimal decision.

Public API:

- :class:`Plan` (N parameters, D tokens), :class:`Strategy` (override ``plan``; optionally ``due``
  and ``price``), :data:`STRATEGIES` (name -> class) and :func:`register_strategy` (class
  decorator making a strategy selectable as ``strategy = "name"`` in a scenario file).
- :func:`check_strategies` (``Scenario -> list[str]``): one problem line per firm whose strategy is
  not registered (``firms[1].strategy = "nope": must be one of "profit_optimal", ...``); the model
  raises :class:`~marketsim.config.ScenarioError` with them when it is built.
- :class:`DecisionContext` (frozen dataclass: everything the profit-optimal firm sees when it
  decides) and :func:`decide_training` (``DecisionContext -> Optimum | None``): the pure decision
  of the profit-optimal firm. :class:`ProfitOptimal` builds the context from the firm and the model;
  :mod:`marketsim.experiments.validation` calls the same function without a simulation.

Built-in strategies:

- ``profit_optimal`` (default): a myopic best response to rivals' current models under
  logit-smoothed demand (docs/theory.md §7), computed with :func:`marketsim.economics.optimize`
  on the firm's residual demand, capped by the usable data stock and by what the firm can finance;
  the move away from the no-rival (monopoly) optimum is damped by ``market.damping``;
- ``fixed_growth``: training spend grows by a fixed factor per year (observed-trend comparison,
  COT24: 2.4x per year), spent on the compute-optimal model;
- ``open_weights``: releases at price 0, ``lag_periods`` after each of the leader's releases, a model
  trained with ``compute_fraction`` of the leader's compute.

Units: money in dollars, E in FLOP per dollar, N parameters, D and T tokens, prices in dollars per
adopter per period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from marketsim.config import Scenario
from marketsim.config.keypaths import format_key
from marketsim.config.problems import format_value
from marketsim.economics import ResidualDemand, evaluate, optimize
from marketsim.economics.demand import Demand
from marketsim.economics.problem import Closure, Optimum
from marketsim.economics.scaling import ScalingLaw
from marketsim.sim.views import FirmView, MarketView

__all__ = ["Plan", "Strategy", "STRATEGIES", "register_strategy", "check_strategies", "DecisionContext", "decide_training",
           "ProfitOptimal", "FixedGrowth", "OpenWeights"]


@dataclass(frozen=True)
class Plan:
    """A model to train: N parameters, D tokens (cost 6ND/E dollars at today's E)."""

    N: float
    D: float


STRATEGIES: dict[str, type["Strategy"]] = {}


def register_strategy(name: str) -> Callable[[type["Strategy"]], type["Strategy"]]:
    """Class decorator: make a Strategy selectable as ``strategy = name`` in scenario files."""

    def wrap(cls: type[Strategy]) -> type[Strategy]:
        STRATEGIES[name] = cls
        cls.name = name
        return cls

    return wrap


def check_strategies(scenario: Scenario) -> list[str]:
    """Problem lines for the firms whose ``strategy`` is not registered (empty when all are)."""
    allowed = ", ".join(format_value(name) for name in STRATEGIES)
    return [f"{format_key(['firms', i, 'strategy'])} = {format_value(firm.strategy)}: must be one of {allowed}"
            for i, firm in enumerate(scenario.firms) if firm.strategy not in STRATEGIES]


class Strategy:
    """Decides when a firm trains and which model. Subclasses implement :meth:`plan`."""

    name: ClassVar[str] = "base"

    def due(self, firm: FirmView) -> bool:
        """Whether the firm should start a new model this period (default: on its retraining cycle)."""
        return firm.pending is None and (
            firm.deployed is None or firm.model.steps - firm.last_start >= firm.retrain_every)

    def plan(self, firm: FirmView) -> Plan | None:
        """The model to train now, or None to skip this period."""
        raise NotImplementedError

    def price(self, firm: FirmView) -> float:
        """Dollars per adopter per period this firm charges."""
        return firm.config.price


# -- the profit-optimal decision ------------------------------------------------------------------

@dataclass(frozen=True)
class DecisionContext:
    """What the profit-optimal firm sees when it decides (docs/theory.md §7, §10).

    Attributes:
        law: the scaling law.
        base: the whole market's demand, revenue per adopter = own list price x horizon periods.
        E: hardware efficiency, FLOP per dollar. rho_D: data efficiency (effective tokens per raw token).
        T: tokens served per adopter over the horizon. c_D: dollars per training token.
        D_bar: usable data stock in raw tokens (None = unlimited). closure: how the data cap binds.
        max_spend: most the firm can spend on training, dollars (None = unlimited).
        rival_R: reducible loss of each rival's model on sale (nats per token).
        rival_price: each rival's price. price: the firm's own price (both dollars per adopter per period).
        price_sensitivity: utility per dollar of price. lam: logit scale of quality differences.
        damping: theta, the fraction of the move from the monopoly optimum to the best response.
        warm_start: (N, D) to start the optimizer from (None = its own start).
        current: (N, D) of the deployed model (None = none); a new model must beat keeping it.
    """

    law: ScalingLaw
    base: Demand
    E: float
    rho_D: float
    T: float
    c_D: float
    D_bar: float | None
    closure: Closure = "cap"
    max_spend: float | None = None
    rival_R: tuple[float, ...] = ()
    rival_price: tuple[float, ...] = ()
    price: float = 0.0
    price_sensitivity: float = 0.0
    lam: float = 0.3
    damping: float = 1.0
    warm_start: tuple[float, float] | None = None
    current: tuple[float, float] | None = None


def decide_training(ctx: DecisionContext) -> Optimum | None:
    """The model the profit-optimal firm trains now (an :class:`Optimum`), or None to keep what it has.

    Without rivals: the monopoly optimum on the whole market. With rivals: the best response on the
    residual demand (logit on quality and price), damped toward the monopoly optimum. Either way it
    must train and beat keeping the current model (:func:`_beats_current`).
    """
    mono = optimize(ctx.law, ctx.base, ctx.E, warm_start=ctx.warm_start, **_cost_terms(ctx))
    demand: Demand = ctx.base
    chosen = mono
    if ctx.rival_R:
        ps = ctx.price_sensitivity
        demand = ResidualDemand.facing(ctx.base, list(ctx.rival_R), [-ps * p for p in ctx.rival_price],
                                       own_price=ctx.base.price, own_shift=-ps * ctx.price, lam=ctx.lam)
        best = optimize(ctx.law, demand, ctx.E, warm_start=ctx.warm_start, **_cost_terms(ctx))
        chosen = _damped(ctx, demand, best, mono)
    if not chosen.trains or not _beats_current(ctx, chosen, demand):
        return None
    return chosen


def _cost_terms(ctx: DecisionContext) -> dict:
    """The optimizer's cost and constraint arguments from the context."""
    return dict(T=ctx.T, c_D=ctx.c_D, D_bar=ctx.D_bar, closure=ctx.closure, rho_D=ctx.rho_D,
                max_spend=ctx.max_spend)


def _beats_current(ctx: DecisionContext, chosen: Optimum, demand: Demand) -> bool:
    """Whether training ``chosen`` earns more over the horizon than keeping the deployed model.

    The deployed model's training cost is sunk, so it is compared on revenue minus serving cost
    alone; a new model must beat that net of its own training cost (docs/theory.md §10).
    """
    if ctx.current is None:
        return True
    N, D = ctx.current
    keep = evaluate(ctx.law, demand, ctx.E, N, D, T=ctx.T, c_D=0.0, rho_D=ctx.rho_D)
    return chosen.profit > keep.revenue - keep.serving_cost


def _damped(ctx: DecisionContext, residual: Demand, best: Optimum, mono: Optimum) -> Optimum:
    """Partial adjustment: ln N and ln D, hence ln C, move from the monopoly optimum a fraction theta
    toward the best response.

    Damping keeps sequential best responses from overshooting (docs/theory.md §7: theta = 0.5); if
    the damped model would lose money against the rivals the undamped best response is used.
    Interpolating ln N and ln D separately keeps every constraint both optima meet (D <= D_bar,
    N <= N_match(D), the budget): each is a half-plane in (ln N, ln D). Scaling N and D by one factor
    instead would push a capped D below the data stock, or N above N_match.
    """
    theta = ctx.damping
    if not best.trains or not mono.trains or theta >= 1.0:
        return best
    N = float(np.exp(theta * np.log(best.N) + (1.0 - theta) * np.log(mono.N)))
    D = float(np.exp(theta * np.log(best.D) + (1.0 - theta) * np.log(mono.D)))
    if ctx.D_bar is not None:
        D = min(D, ctx.D_bar)
    if ctx.max_spend is not None:
        # affordable compute (FLOP) over the planned compute 6ND
        scale = min(1.0, ctx.max_spend * ctx.E / (6.0 * N * D))
        N *= scale
    damped = evaluate(ctx.law, residual, ctx.E, N, D, T=ctx.T, c_D=ctx.c_D, rho_D=ctx.rho_D)
    return damped if damped.profit > 0 else best


@register_strategy("profit_optimal")
class ProfitOptimal(Strategy):
    """Best response to rivals' current models (logit demand), damped toward the monopoly optimum."""

    def plan(self, firm: FirmView) -> Plan | None:
        chosen = decide_training(self.context(firm))
        return None if chosen is None else Plan(N=chosen.N, D=chosen.D)

    @staticmethod
    def context(firm: FirmView) -> DecisionContext:
        """What ``firm`` sees now: the market over its horizon at its list price, rivals on sale, its budget."""
        model = firm.model
        world, scn = model.state, model.scenario
        horizon = firm.config.horizon_periods
        rivals = [f for f in model.firms if f is not firm and f.offering]
        current = None if firm.deployed is None else (firm.deployed.N, firm.deployed.D)
        return DecisionContext(
            law=model.law, base=model.market_demand(price_per_period=firm.config.price, periods=horizon),
            E=world.E, rho_D=world.rho_D, T=scn.consumers.tokens_per_adopter_per_period * horizon,
            c_D=scn.data.cost_per_token, D_bar=model.raw_data_cap(), closure=scn.scaling.closure,
            max_spend=firm.max_spend, rival_R=tuple(f.deployed.R for f in rivals),
            rival_price=tuple(f.price for f in rivals), price=firm.price,
            price_sensitivity=scn.consumers.price_sensitivity, lam=scn.market.logit_lambda,
            damping=scn.market.damping, warm_start=current, current=current)


@register_strategy("fixed_growth")
class FixedGrowth(Strategy):
    """Training spend = initial_spend x growth_factor_per_year^t, on the compute-optimal model."""

    def plan(self, firm: FirmView) -> Plan | None:
        model, cfg = firm.model, firm.config
        spend = cfg.initial_spend * cfg.growth_factor_per_year ** model.state.t
        if firm.max_spend is not None:
            spend = min(spend, firm.max_spend)
        if spend <= 0:
            return None
        N, D = model.law.compute_optimal(spend * model.state.E, rho_D=model.state.rho_D)
        return _data_capped(model, float(N), float(D))


@register_strategy("open_weights")
class OpenWeights(Strategy):
    """Free follower: ``lag_periods`` after each leader release, a model at a fraction of its compute
    with the leader's tokens per parameter."""

    def due(self, firm: FirmView) -> bool:
        leader = firm.model.firm_named(firm.config.leader)
        if firm.pending is not None or leader is None or leader.deployed is None:
            return False
        target = leader.deployed.release_step + firm.config.lag_periods
        already = firm.deployed is not None and firm.followed_release == leader.deployed.release_step
        return firm.model.steps >= target and not already

    def plan(self, firm: FirmView) -> Plan | None:
        leader = firm.model.firm_named(firm.config.leader)
        assert leader is not None and leader.deployed is not None
        firm.followed_release = leader.deployed.release_step
        # Same tokens per parameter as the leader's model (an open release is served too, so it is
        # overtrained like the leader's), each scaled by sqrt(fraction): compute = fraction x leader's.
        scale = float(np.sqrt(firm.config.compute_fraction))
        return _data_capped(firm.model, leader.deployed.N * scale, leader.deployed.D * scale)

    def price(self, firm: FirmView) -> float:
        return 0.0


def _data_capped(model: MarketView, N: float, D: float) -> Plan:
    """Cap D at the usable data stock, keeping N at most N_match(D) (the cap closure)."""
    cap = model.raw_data_cap()
    if cap is not None and D > cap:
        D = cap
        N = min(N, float(model.law.n_match(D, rho_D=model.state.rho_D)))
    return Plan(N=N, D=D)
