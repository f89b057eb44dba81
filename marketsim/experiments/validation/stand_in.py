"""A fast stand-in for the single profit-optimal firm: its decisions without simulating consumers.

:func:`profit_optimal_path` is what :func:`~marketsim.experiments.validation.calibration.calibrate_history`
evaluates hundreds of times while it tunes the historical scenario's demand. Each decision is the
firm's own, :func:`marketsim.sim.strategies.decide_training`; only the retraining cycle around it
(due, lag, release) is replayed here.

Units: money in US dollars; N in parameters, D in tokens; R in nats per token.
"""

from __future__ import annotations

import pandas as pd

from marketsim.config import Scenario
from marketsim.economics import training_cost
from marketsim.economics.demand import Demand
from marketsim.sim.strategies import DecisionContext, decide_training
from marketsim.sim.world import World

__all__ = ["profit_optimal_path"]


def _market(scenario: Scenario, population: float, price: float, periods: int) -> Demand:
    """The whole market as the ABM's firm sees it (MarketModel.market_demand), dollars over ``periods``."""
    c = scenario.consumers
    return c.thresholds().demand(M=population, price=price * periods, kappa=c.value_exponent)


def profit_optimal_path(scenario: Scenario) -> pd.DataFrame:
    """The decisions of a single profit-optimal firm without simulating consumers.

    Replays the ABM firm's cycle (:class:`marketsim.sim.firm.FirmAgent`): each period it is due, it
    takes the firm's decision (:func:`~marketsim.sim.strategies.decide_training`: the monopoly optimum
    on the whole market over its horizon, if it beats keeping the deployed model), pays the cost and
    releases after its lag; adoption is the expected share of thresholds above the deployed model's
    reducible loss. The firm's budget is not tracked (the historical scenario's credit never binds).
    Columns: ``step``, ``year``, ``training_cost`` (dollars), ``N``, ``D``, ``R`` (deployed model),
    ``adoption_share``.

    Raises:
        ValueError: the scenario does not have exactly one firm with strategy 'profit_optimal'.
    """
    if len(scenario.firms) != 1 or scenario.firms[0].strategy != "profit_optimal":
        raise ValueError(f"scenario {scenario.meta.name!r}: profit_optimal_path needs exactly one firm with "
                         "strategy 'profit_optimal'")
    firm, cons = scenario.firms[0], scenario.consumers
    world, law = World.from_scenario(scenario), scenario.scaling.law()
    H = firm.horizon_periods
    unit_market = _market(scenario, 1.0, 1.0, 1)  # adoption share of a model: the same at any size and price
    last_start, deployed, pending, rows = -firm.retrain_every_periods, None, None, []
    for step in range(1, scenario.n_periods + 1):
        state = world.at((step - 1) * scenario.period_years)
        cost = 0.0
        # Strategy.due: before the first model every period, then once per retraining cycle.
        if pending is None and (deployed is None or step - last_start >= firm.retrain_every_periods):
            current = None if deployed is None else (deployed[0], deployed[1])
            chosen = decide_training(DecisionContext(
                law=law, base=_market(scenario, state.population, firm.price, H), E=state.E, rho_D=state.rho_D,
                T=cons.tokens_per_adopter_per_period * H, c_D=scenario.data.cost_per_token,
                D_bar=state.data_stock / state.rho_D, closure=scenario.scaling.closure,
                damping=scenario.market.damping, warm_start=current, current=current))
            # FirmAgent.decide: a skipped decision also waits for the next point of the cycle.
            last_start = step
            if chosen is not None:
                lag = 0 if deployed is None and step <= 1 else firm.training_lag_periods
                R = float(law.reducible_loss(chosen.N, chosen.D, rho_D=state.rho_D))
                pending, cost = ((chosen.N, chosen.D, R), step + lag), float(training_cost(chosen.N, chosen.D, state.E))
        if pending is not None and step >= pending[1]:
            deployed, pending = pending[0], None
        share = 0.0 if deployed is None else float(unit_market.adopters(deployed[2]))
        N, D, R = deployed if deployed is not None else (0.0, 0.0, float("inf"))
        rows.append({"step": step - 1, "year": state.year, "training_cost": cost, "N": N, "D": D, "R": R,
                     "adoption_share": share})
    return pd.DataFrame(rows)
