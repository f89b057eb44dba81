"""Firms: mesa Agents that train models, sell access to them and go bankrupt.

A :class:`FirmAgent` holds cash, a price, its deployed model (N, D, loss) and at most one model in
training, and books each period's revenue and costs (dollars). Which model to train, and when, is
decided by its :class:`~marketsim.sim.strategies.Strategy` (:mod:`marketsim.sim.strategies`).
"""

from __future__ import annotations

import mesa

from marketsim.config import Firm as FirmConfig
from marketsim.economics.costs import serving_cost, training_cost
from marketsim.sim.strategies import Strategy
from marketsim.sim.views import MarketView, TrainedModel


_SPEND_TOLERANCE = 1e-9
"""Relative rounding slack on the credit line: a plan may cost this much more than ``max_spend``
(the optimizer's budget bound is met only to rounding), and spending the line to the last cent must
not count as falling below the credit limit."""


class FirmAgent(mesa.Agent):
    """An LLM lab.

    Attributes:
        config: the scenario's ``[[firms]]`` entry.
        name: display name.
        strategy: the decision rule.
        cash: dollars.
        price: dollars per adopter per period.
        deployed: the released model on sale (None before the first release).
        pending: the model in training and its release step (None if none).
        alive: False once the firm has exited.
        Per-period accounting (dollars this period): revenue, serving_cost, training_cost, fixed_cost, profit;
        adopters (people) and share (of all adopters).
    """

    def __init__(self, model: MarketView, config: FirmConfig, strategy: Strategy, order: int = 0) -> None:
        """Args:
            model: the market (a MarketModel).
            config: the scenario's ``[[firms]]`` entry.
            strategy: the decision rule (an instance of the registered ``config.strategy``).
            order: the firm's position in the scenario (staggers retraining cycles).
        """
        super().__init__(model)  # type: ignore[arg-type]
        self.config = config
        self.name = config.name
        self.strategy = strategy
        self.cash = float(config.cash)
        self.price = self.strategy.price(self)
        self.retrain_every = config.retrain_every_periods
        self.deployed: TrainedModel | None = None
        self.pending: TrainedModel | None = None
        self.alive = True
        self.followed_release: int | None = None
        self.exit_step: int | None = None
        # Stagger retraining cycles so that firms do not all move in the same period: after its first
        # model, firm number `order` retrains `stagger` periods early once.
        n = max(len(model.scenario.firms), 1)
        self.stagger = (order * self.retrain_every) // n
        self.last_start = -self.retrain_every
        self._reset_period()

    # -- state -----------------------------------------------------------------------------------
    def _reset_period(self) -> None:
        self.revenue = self.serving_cost = self.training_cost = self.fixed_cost = self.profit = 0.0
        self.adopters = self.share = 0.0

    @property
    def active(self) -> bool:
        """Alive and past its entry year."""
        entry = self.config.entry_year
        return self.alive and (entry is None or self.model.state.year >= entry)

    @property
    def offering(self) -> bool:
        """Whether the firm has a released model on sale."""
        return self.active and self.deployed is not None

    @property
    def max_spend(self) -> float:
        """Most the firm can spend on training now: cash above its credit limit, dollars."""
        return max(self.cash - self.config.credit_limit, 0.0)

    # table columns ------------------------------------------------------------------------------
    @property
    def _sold(self) -> TrainedModel | None:
        # The exit period still shows the model: it had adopters and revenue that period.
        exiting = self.exit_step is not None and self.exit_step == self.model.steps
        return self.deployed if self.offering or exiting else None

    @property
    def N(self) -> float:
        return self._sold.N if self._sold else 0.0

    @property
    def D(self) -> float:
        return self._sold.D if self._sold else 0.0

    @property
    def loss(self) -> float:
        return self._sold.loss if self._sold else float("nan")

    @property
    def compute(self) -> float:
        return self._sold.compute if self._sold else 0.0

    @property
    def strategy_name(self) -> str:
        return self.config.strategy

    @property
    def training(self) -> bool:
        return self.pending is not None

    # -- one period ------------------------------------------------------------------------------
    def decide(self) -> None:
        """Start training a new model if the strategy says so and it can be paid for."""
        self._reset_period()
        if not self.active or not self.strategy.due(self):
            return
        plan = self.strategy.plan(self)
        model = self.model
        if plan is None:
            # Nothing worth training now: look again at the next point of the retraining cycle.
            self.last_start = model.steps
            return
        cost = float(training_cost(plan.N, plan.D, model.state.E))
        if cost > self.max_spend * (1 + _SPEND_TOLERANCE):
            return
        R = float(model.law.reducible_loss(plan.N, plan.D, rho_D=model.state.rho_D))
        # Firms enter the simulation with their first model ready (the market exists at start).
        first = self.deployed is None and model.steps <= 1
        lag = 0 if first else self.config.training_lag_periods
        self.pending = TrainedModel(N=plan.N, D=plan.D, R=R, loss=model.law.E0 + R, release_step=model.steps + lag)
        self.last_start = model.steps - (self.stagger if first else 0)
        self.training_cost = cost
        self.cash -= cost

    def release(self) -> None:
        """Put the model in training on sale once its lag has passed."""
        if self.pending is not None and self.model.steps >= self.pending.release_step:
            self.deployed, self.pending = self.pending, None

    def settle(self, adopters: float, share: float) -> None:
        """Book this period's revenue and serving cost for ``adopters`` people; exit if insolvent."""
        if not self.active:
            return
        model = self.model
        self.adopters, self.share = adopters, share
        if self.deployed is not None and adopters > 0:
            value = model.value_per_adopter(self.price, self.deployed.R)
            self.revenue = adopters * value
            self.serving_cost = float(serving_cost(self.deployed.N, model.scenario.consumers.tokens_per_adopter_per_period,
                                                 model.state.E, adopters=adopters))
        self.fixed_cost = self.config.fixed_cost_per_period
        self.profit = self.revenue - self.serving_cost - self.training_cost - self.fixed_cost
        self.cash += self.revenue - self.serving_cost - self.fixed_cost
        slack = _SPEND_TOLERANCE * max(abs(self.config.credit_limit), self.training_cost)
        if self.cash < self.config.credit_limit - slack:
            self.alive = False
            self.pending = None
            self.exit_step = model.steps
