"""A scenario's stand-alone optimizer problem: the one firm's training problem of docs/theory.md §2-5
with the scenario's own scaling law, market, costs and world at its start (or at time t).

The problem is the one the simulated profit-optimal firm solves at its first decision when no rival
is on sale (its monopoly optimum, :class:`marketsim.sim.strategies.ProfitOptimal`): the whole market's
demand (consumer thresholds x value per adopter ``price (R_ref / R)^kappa``, revenue per adopter =
the quality-adjusted price it plans to charge x its horizon in periods, times the constant share of
the market that buys rather than take the outside option), hardware efficiency E, data efficiency rho_D and parameter
efficiency rho_N (``scaling.parameter_efficiency``), tokens served
per adopter over the horizon T, data cost c_D, the usable raw data stock D_bar = stock / rho_D and
the data-bound closure. The planned price is ``firms.price`` under fixed pricing; under best-response
pricing it is the monopoly price of a firm with no model yet (:class:`marketsim.economics.pricing.StageGame`
at R_ref with zero serving cost, as ``marketsim.sim.pricing.planning_price``). The firm's budget
(cash above its credit limit) is left out: the paper's claims are about the unconstrained optimum.

Used by ``marketsim theory FILE``, ``marketsim optimize FILE`` and the optimizer's prediction next to
``marketsim statics FILE``. Imports only :mod:`marketsim.economics` (the config layer's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from marketsim.config.schema import Firm, Scenario
from marketsim.economics.competition import ResidualDemand
from marketsim.economics.demand import Demand
from marketsim.economics.optimizer import Optimum, optimize
from marketsim.economics.pricing import StageGame
from marketsim.economics.problem import Closure
from marketsim.economics.scaling import ScalingLaw
from marketsim.economics.variants import Variant

__all__ = ["StandaloneProblem", "standalone_problem", "grown", "planned_price", "pricing_rule"]


def grown(start: float, growth_per_year: float, t: float, stall_after: float | None = None,
          growth_after_stall: float = 1.0) -> float:
    """A scenario growth path at t years after the start: ``start g^min(t, ts) g2^max(t - ts, 0)``
    (the rule of ``marketsim.sim.world.GrowthPath``, which the config layer cannot import)."""
    if stall_after is None:
        return float(start * np.exp(t * np.log(growth_per_year)))
    before, after = min(t, stall_after), max(t - stall_after, 0.0)
    return float(start * np.exp(before * np.log(growth_per_year) + after * np.log(growth_after_stall)))


@dataclass(frozen=True)
class StandaloneProblem:
    """One firm's training problem in a scenario at time t (money in dollars).

    Attributes:
        scenario: the scenario's name. firm: the firm whose price and horizon set the market.
        t: years after ``meta.start_year``; year: the calendar year.
        law: the scaling law. demand: the whole market, revenue per adopter = price x horizon.
        E: hardware efficiency, FLOP per dollar. rho_D: data efficiency (effective tokens per raw token).
        T: tokens served per adopter over the horizon. c_D: dollars per training token.
        D_bar: usable data stock in raw tokens (the effective stock / rho_D).
        closure: how the data stock binds ('cap' or 'additive').
        price: the quality-adjusted price the firm plans at, reference dollars per adopter per period
            (what an adopter pays at the reference loss R_ref). horizon_periods: periods
            over which a new model's profit is evaluated.
        rho_N: parameter efficiency (effective parameters per parameter; 1 = the law as fitted).
    """

    scenario: str
    firm: str
    t: float
    year: float
    law: ScalingLaw
    demand: Demand
    E: float
    rho_D: float
    T: float
    c_D: float
    D_bar: float
    closure: Closure
    price: float
    horizon_periods: int
    rho_N: float = 1.0

    def optimize(self, *, E: float | None = None, D_bar: float | None = None, rho_D: float | None = None,
                 data_limited: bool = True) -> Optimum:
        """The profit-optimal model (N, D) of this problem, optionally at another E (FLOP per dollar),
        raw data stock D_bar (tokens) or rho_D; ``data_limited=False`` drops the data stock."""
        stock = (self.D_bar if D_bar is None else D_bar) if data_limited else None
        return optimize(self.law, self.demand, self.E if E is None else E, T=self.T, c_D=self.c_D,
                        D_bar=stock, closure=self.closure, rho_N=self.rho_N,
                        rho_D=self.rho_D if rho_D is None else rho_D)

    def variant(self) -> Variant:
        """The problem as a model variant (law, market, T, c_D, closure) for :func:`marketsim.economics.elasticities`."""
        return Variant(name=f"scenario:{self.scenario}", description=self.describe(), law=self.law,
                       demand=self.demand, T=self.T, c_D=self.c_D, closure=self.closure)

    def describe(self) -> str:
        """One line: which scenario, firm and time, and the inputs."""
        return (f"scenario '{self.scenario}' at {self.year:g}, firm '{self.firm}': {self.law.name} law, "
                f"{type(self.demand).__name__} market of {self.demand.M:.3g} people, revenue per adopter "
                f"${self.price:g} x {self.horizon_periods} periods, E = {self.E:.3g} FLOP/$, rho_D = {self.rho_D:g}, "
                f"rho_N = {self.rho_N:g}, "
                f"T = {self.T:.3g} tokens, c_D = {self.c_D:g} $/token, D_bar = {self.D_bar:.3g} tokens "
                f"({self.closure} closure)")

    def as_dict(self) -> dict[str, Any]:
        """The numbers of the problem (JSON)."""
        return {"scenario": self.scenario, "firm": self.firm, "t": self.t, "year": self.year,
                "law": self.law.name, "market": type(self.demand).__name__, "M": self.demand.M,
                "price": self.price, "horizon_periods": self.horizon_periods, "E": self.E,
                "rho_D": self.rho_D, "rho_N": self.rho_N, "T": self.T, "c_D": self.c_D, "D_bar": self.D_bar,
                "closure": self.closure}


def _deciding_firm(scenario: Scenario, firm: str | None) -> Firm:
    """The named firm, else the first profit-optimal firm, else the first firm (ValueError if absent)."""
    if firm is not None:
        for cfg in scenario.firms:
            if cfg.name == firm:
                return cfg
        names = ", ".join(repr(f.name) for f in scenario.firms)
        raise ValueError(f"firm = {firm!r}: must be one of the scenario's firms ({names})")
    return next((f for f in scenario.firms if f.strategy == "profit_optimal"), scenario.firms[0])


def pricing_rule(cfg: Firm) -> str:
    """``firms.pricing``, else the strategy's default: best_response for profit_optimal, fixed otherwise
    (the defaults of marketsim.sim.strategies, which the config layer cannot import)."""
    return cfg.pricing or ("best_response" if cfg.strategy == "profit_optimal" else "fixed")


def planned_price(scenario: Scenario, cfg: Firm, population: float) -> float:
    """Quality-adjusted price the firm plans its first model at, reference dollars per adopter per period."""
    cons, market = scenario.consumers, scenario.market
    if pricing_rule(cfg) == "fixed" or cons.price_sensitivity <= 0:
        return float(cfg.price)
    spec = cons.thresholds()
    R_ref = spec.reference_loss
    adopters = spec.demand(M=population, price=1.0, kappa=cons.value_exponent).adopters(np.array([R_ref]))
    game = StageGame.nested([R_ref], [0.0], adopters, lam=market.logit_lambda,
                            price_sensitivity=cons.price_sensitivity, outside_option=market.outside_option)
    return float(game.best_response(0, [np.nan]))


def standalone_problem(scenario: Scenario, t: float = 0.0, firm: str | None = None) -> StandaloneProblem:
    """The stand-alone optimizer problem of ``scenario`` at ``t`` years after its start.

    Args:
        scenario: a validated scenario.
        t: years since ``meta.start_year`` (>= 0).
        firm: whose price and horizon define the market (default: the first profit-optimal firm).

    Raises:
        ValueError: t < 0 or not finite, or no firm of that name.
    """
    if not np.isfinite(t) or t < 0:
        raise ValueError(f"t = {t!r}: must be a finite number of years >= 0")
    cfg = _deciding_firm(scenario, firm)
    hw, data, cons = scenario.hardware, scenario.data, scenario.consumers
    stall = None if hw.stall_year is None else hw.stall_year - scenario.meta.start_year
    E = grown(hw.flop_per_dollar, hw.growth_per_year, t, stall, hw.growth_after_stall)
    rho_D = grown(data.efficiency, data.efficiency_growth_per_year, t)
    rho_N = grown(scenario.scaling.parameter_efficiency, scenario.scaling.parameter_efficiency_growth_per_year, t)
    stock = grown(data.stock_tokens, data.stock_growth_per_year, t)
    # only the people aware of the product can adopt (consumers.awareness_midpoint_year)
    population = grown(cons.population, cons.population_growth_per_year, t) * cons.awareness(scenario.meta.start_year + t)
    horizon = cfg.horizon_periods
    price = planned_price(scenario, cfg, population)
    demand: Demand = cons.thresholds().demand(M=population, price=price * horizon, kappa=cons.value_exponent)
    outside = scenario.market.outside_option
    if outside is not None:
        # alone on the market the buying share is a constant factor on the demand (sim/strategies.py decide)
        demand = ResidualDemand.facing(demand, [], [], own_price=demand.price,
                                       own_shift=-cons.price_sensitivity * price, lam=scenario.market.logit_lambda,
                                       outside_option=outside)
    return StandaloneProblem(
        scenario=scenario.meta.name, firm=cfg.name, t=float(t), year=scenario.meta.start_year + float(t),
        law=scenario.scaling.law(), demand=demand, E=E, rho_D=rho_D,
        T=cons.serving_tokens * horizon, c_D=data.cost_per_token, D_bar=stock / rho_D,
        closure=scenario.scaling.closure, price=price, horizon_periods=horizon, rho_N=rho_N)
