"""A fast stand-in for the single profit-optimal firm: its decisions without simulating consumers.

:func:`profit_optimal_path` is what :func:`~marketsim.experiments.validation.calibration.calibrate_history`
evaluates hundreds of times while it tunes the historical scenario's demand. Every decision is the
agent-based firm's own code, run on a market without consumer agents: the firm's strategy
(:class:`marketsim.sim.strategies.ProfitOptimal`, which calls
:func:`~marketsim.sim.strategies.decide_training` at the planning price of
:func:`marketsim.sim.pricing.planning_price`), the pricing stage (:func:`marketsim.sim.pricing.set_prices`)
and the money rules (:mod:`marketsim.sim.finance`); only the firm's retraining cycle around them
(due, lag, release, budget check) is replayed here, as :class:`marketsim.sim.firm.FirmAgent` does it.

What differs from the agent-based run: the consumers are the same sample of thresholds the model
draws with the same seed (``consumers.count`` of them), but their choices are not drawn: adopters are
the EXPECTED number, the consumers who qualify for the model times the logit purchase share at the
period's price (the stage game's), so revenue, cash and the budget are expected values too.
Decisions do not depend on them unless the budget binds (they use the threshold distribution, not
the sample; the historical scenario's credit line is far above its training bills), so the stand-in
trains the same models in the same periods as the agent-based firm, exactly; its adoption differs
from the simulated one by the noise of the purchase draws only, about 1/sqrt(adopting consumers)
relative per period (~3% for ~900 qualifying consumers in 2023, ~1% averaged over the year).

Units: money in US dollars; N in parameters, D in tokens; R in nats per token.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from marketsim.config import Firm as FirmConfig
from marketsim.config import Scenario
from marketsim.economics import training_cost
from marketsim.economics.costs import serving_cost
from marketsim.economics.demand import Demand
from marketsim.sim.finance import FinancePolicy, equity_raised, financing_capacity, payout
from marketsim.sim.consumers import sample_thresholds
from marketsim.sim.pricing import cost_adj, set_prices, stage_game
from marketsim.sim.strategies import ProfitOptimal
from marketsim.sim.views import TrainedModel
from marketsim.sim.world import World, WorldState

__all__ = ["profit_optimal_path"]


class _Market:
    """The market as the firm sees it (a :class:`~marketsim.sim.views.MarketView`), without consumers."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.law = scenario.scaling.law()
        self.world = World.from_scenario(scenario)
        self.thresholds = scenario.consumers.thresholds()
        self.value_reference_loss = self.thresholds.reference_loss
        self.steps = 0
        self.state: WorldState = self.world.at(0.0)
        self.firms: Sequence[_Firm] = ()
        # the consumers' thresholds as MarketModel draws them (its first draw from mesa's
        # numpy Generator seeded with the run's seed), sorted to count who qualifies for a model
        taus = sample_thresholds(np.random.default_rng(seed), scenario.consumers.count, self.thresholds.distribution())
        self.sorted_taus = np.sort(taus)

    def qualifying_people(self, R: float) -> float:
        """People whose threshold admits a model of reducible loss R (tau >= R), from the sample."""
        n = self.sorted_taus.size - np.searchsorted(self.sorted_taus, R, side="left")
        return float(n) * self.state.population * self.state.awareness / self.scenario.consumers.count if n else 0.0

    def advance(self) -> None:
        """The next period's world (MarketModel._advance_world)."""
        self.steps += 1
        self.state = self.world.at((self.steps - 1) * self.scenario.period_years)

    def market_demand(self, price_per_period: float, periods: int) -> Demand:
        """The whole market now, revenue per adopter over ``periods`` periods (MarketModel.market_demand)."""
        return self.thresholds.demand(M=self.state.population * self.state.awareness, price=price_per_period * periods,
                                      kappa=self.scenario.consumers.value_exponent)

    def raw_data_cap(self) -> float:
        """Usable data stock in raw tokens (MarketModel.raw_data_cap)."""
        return self.state.data_stock / self.state.rho_D

    def firm_named(self, name: str | None) -> "_Firm | None":
        return next((f for f in self.firms if f.name == name), None)


class _Firm:
    """The lab's state as :class:`~marketsim.sim.firm.FirmAgent` keeps it (a :class:`~marketsim.sim.views.FirmView`),
    with the same budget rule (:attr:`max_spend`) and money flows (:meth:`settle`)."""

    unique_id = 1

    def __init__(self, model: _Market, config: FirmConfig) -> None:
        self.model, self.config, self.name = model, config, config.name
        self.strategy = ProfitOptimal()
        self.finance = FinancePolicy.of(config)
        self.cash = float(config.cash)
        self.last_operating_profit = self.last_training_run = 0.0
        self.price = self.price_adj = self.price_per_mtok = self.markup = float("nan")
        self.retrain_every = config.retrain_every_periods
        self.last_start = -self.retrain_every
        self.deployed: TrainedModel | None = None
        self.pending: TrainedModel | None = None
        self.alive, self.followed_release, self.regime = True, None, ""
        self.entry_step: int | None = None
        self.exit_step: int | None = None

    active = property(lambda self: self.alive)
    offering = property(lambda self: self.deployed is not None)

    @property
    def max_spend(self) -> float:
        """FirmAgent.max_spend: financing capacity less the fixed costs due before a new model earns, dollars."""
        fixed_due = self.config.fixed_cost_per_period * (1 if self.offering else self.config.training_lag_periods + 1)
        return max(financing_capacity(self.cash, self.last_operating_profit, self.finance) - fixed_due, 0.0)

    def decide(self) -> float:
        """FirmAgent.decide: start training if due and affordable; returns the training cost, dollars."""
        model = self.model
        if not self.strategy.due(self):
            return 0.0
        plan = self.strategy.plan(self)
        if plan is None:
            self.last_start = model.steps
            return 0.0
        cost = float(training_cost(plan.N, plan.D, model.state.E))
        if cost > self.max_spend * (1 + 1e-9):  # FirmAgent's rounding slack on the credit line
            return 0.0
        R = float(model.law.reducible_loss(plan.N, plan.D, **model.state.efficiencies))
        lag = 0 if self.deployed is None and model.steps <= 1 else self.config.training_lag_periods
        self.pending = TrainedModel(N=plan.N, D=plan.D, R=R, loss=model.law.E0 + R, release_step=model.steps + lag)
        self.last_start = model.steps  # a single firm has no stagger
        self.last_training_run = cost
        self.cash += equity_raised(cost, self.cash, self.last_operating_profit, self.finance) - cost
        return cost

    def release(self) -> None:
        if self.pending is not None and self.model.steps >= self.pending.release_step:
            self.deployed, self.pending = self.pending, None

    def expected_adopters(self) -> float:
        """Expected adopters at this period's price, people: the sampled consumers who qualify for
        the deployed model times the stage game's purchase share (the rest take the outside option)."""
        if self.deployed is None:
            return 0.0
        game = stage_game(self.model, [self.deployed.R], [cost_adj(self.model, self.deployed)])
        return float(game.shares([self.price_adj])[0, 0]) * self.model.qualifying_people(self.deployed.R)

    def settle(self, adopters: float) -> float:
        """FirmAgent.settle with ``adopters`` people: books the period's money; returns revenue, dollars."""
        revenue = serving = 0.0
        if self.deployed is not None and adopters > 0:
            revenue = adopters * self.price
            serving = float(serving_cost(self.deployed.N, self.model.scenario.consumers.serving_tokens,
                                         self.model.state.E, adopters=adopters))
        fixed = self.config.fixed_cost_per_period
        self.last_operating_profit = revenue - serving - fixed
        self.cash += self.last_operating_profit
        self.cash -= payout(self.cash, self.last_operating_profit, fixed + serving, self.last_training_run, self.finance)
        return revenue


def profit_optimal_path(scenario: Scenario, seed: int | None = None) -> pd.DataFrame:
    """The decisions of a single profit-optimal firm without simulating consumers.

    Replays the ABM firm's period (:class:`marketsim.sim.firm.FirmAgent`, :class:`marketsim.sim.model.MarketModel`):
    it decides when due (its strategy's own decision at its planning price, within its budget), pays
    the cost and releases after its lag; the pricing stage sets its price; it sells to the expected
    adopters at that price and books the money. Exit is not simulated (the firm stays in).
    ``seed`` (default ``meta.seed``, as :class:`~marketsim.sim.model.MarketModel`) draws the consumers'
    thresholds; decisions do not depend on it.
    Columns: ``step``, ``year``, ``training_cost`` (dollars), ``N``, ``D``, ``R`` (deployed model),
    ``price`` (paid, dollars per adopter per period; NaN before the first model), ``adoption_share``
    (expected adopters / population, as the model's adopting consumers / consumers.count), ``revenue`` (expected, dollars), ``cash`` (dollars).

    Raises:
        ValueError: the scenario does not have exactly one firm with strategy 'profit_optimal'.
    """
    if len(scenario.firms) != 1 or scenario.firms[0].strategy != "profit_optimal":
        raise ValueError(f"scenario {scenario.meta.name!r}: profit_optimal_path needs exactly one firm with "
                         "strategy 'profit_optimal' (several labs: calibrate with `marketsim calibrate`)")
    market = _Market(scenario, scenario.meta.seed if seed is None else int(seed))
    firm = _Firm(market, scenario.firms[0])
    market.firms = (firm,)
    rows = []
    for _ in range(scenario.n_periods):
        market.advance()
        cost = firm.decide()
        firm.release()
        set_prices(market)  # type: ignore[arg-type]  # a MarketView without consumers
        adopters = firm.expected_adopters()
        revenue = firm.settle(adopters)
        N, D, R = (firm.deployed.N, firm.deployed.D, firm.deployed.R) if firm.deployed else (0.0, 0.0, float("inf"))
        rows.append({"step": market.steps - 1, "year": market.state.year, "training_cost": cost, "N": N, "D": D,
                     "R": R, "price": firm.price, "adoption_share": adopters / market.state.population,
                     "revenue": revenue, "cash": firm.cash})
    return pd.DataFrame(rows)
