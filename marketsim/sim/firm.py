"""Firms: mesa Agents that train models, sell access to them and go bankrupt.

A :class:`FirmAgent` holds cash, a price, its deployed model (N, D, loss) and at most one model in
training, and books each period's revenue and costs (dollars). Which model to train, and when, is
decided by its :class:`~marketsim.sim.strategies.Strategy` (:mod:`marketsim.sim.strategies`).
"""

from __future__ import annotations

import mesa

from marketsim.config import Firm as FirmConfig
from marketsim.economics.costs import serving_cost, training_cost
from marketsim.sim.finance import FinancePolicy, equity_raised, financing_capacity, payout
from marketsim.sim import regimes
from marketsim.sim.strategies import Strategy
from marketsim.sim.views import MarketView, TrainedModel


_SPEND_TOLERANCE = 1e-9
"""Relative rounding slack on the credit line: a plan may cost this much more than ``max_spend``
(the optimizer's budget bound is met only to rounding), and spending the line to the last cent must
not count as falling below the credit limit."""

#: firms.csv ``exit_reason`` of a firm whose cash fell below its credit limit (other reasons:
#: :mod:`marketsim.sim.entry`).
EXIT_INSOLVENT = "insolvent"


class FirmAgent(mesa.Agent):
    """An LLM lab.

    Attributes:
        config: the scenario's ``[[firms]]`` entry.
        name: display name.
        strategy: the decision rule.
        cash: dollars.
        price, price_adj, price_per_mtok, markup: this period's paid price (dollars per adopter per
            period), quality-adjusted price (reference dollars), price per million tokens and price
            minus serving cost per adopter; set by the pricing stage (marketsim.sim.pricing), NaN
            while the firm has no model on sale.
        deployed: the released model on sale (None before the first release).
        pending: the model in training and its release step (None if none).
        alive: False once the firm has exited.
        entered: whether the firm has entered the market (a potential entrant or a firm before its
            entry year has not; :mod:`marketsim.sim.entry`); in_market: entered and not exited;
            entry_step, exit_step: the step of each (None: not yet; an incumbent has no entry_step);
            exit_reason: why it exited ("" while in).
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
        # money (docs/theory.md, Money): what investors see (last period's operating profit, dollars)
        # and what the payout reserve is based on (the latest training run's cost, dollars)
        self.finance = FinancePolicy.of(config)
        self.last_operating_profit = self.last_training_run = 0.0
        # prices (dollars per adopter per period; NaN until the firm has a model on sale): set each
        # period by the pricing stage (marketsim.sim.pricing.set_prices)
        self.price = self.price_adj = self.price_per_mtok = self.markup = float("nan")
        self.retrain_every = config.retrain_every_periods
        self.deployed: TrainedModel | None = None
        self.pending: TrainedModel | None = None
        self.alive = True
        self.followed_release: int | None = None
        self.exit_step: int | None = None
        # entry and exit (marketsim.sim.entry): incumbents are in the market from the start
        entry_year = config.entry_year
        self.entered = not config.potential and (entry_year is None or entry_year <= model.scenario.meta.start_year)
        self.entry_step: int | None = None
        self.exit_reason = ""
        self.loss_periods = 0  # consecutive periods of negative expected profit
        self.expected_profit = float("nan")  # dollars over the horizon, when judged for entry or exit
        # Stagger retraining cycles so that firms do not all move in the same period: after its first
        # model, firm number `order` retrains `stagger` periods early once. Potential entrants do
        # not count: they stay out until entry pays, and an entrant's first model starts its own cycle.
        n = max(sum(not f.potential for f in model.scenario.firms), 1)
        self.stagger = (order * self.retrain_every) // n
        self.last_start = -self.retrain_every
        # firms.csv regime, binding, decision (marketsim.sim.regimes): empty until the first decision
        self.regime = self.binding = self.decision = ""
        self._reset_period()

    # -- state -----------------------------------------------------------------------------------
    def _reset_period(self) -> None:
        self.revenue = self.serving_cost = self.training_cost = self.fixed_cost = self.profit = 0.0
        self.adopters = self.share = 0.0
        self.raised = self.paid_out = 0.0

    @property
    def active(self) -> bool:
        """In the market: entered and not exited."""
        return self.alive and self.entered

    @property
    def in_market(self) -> bool:
        """firms.csv ``in_market``: :attr:`active`."""
        return self.active

    @property
    def entry_spend(self) -> float:
        """Entry cost paid this period, dollars (firms.csv ``entry_cost``)."""
        return self.config.entry_cost if self.entry_step is not None and self.entry_step == self.model.steps else 0.0

    def enter(self) -> None:
        """Enter the market now, paying the entry cost."""
        self.entered = True
        self.entry_step = self.model.steps
        self.cash -= self.config.entry_cost

    def leave(self, reason: str) -> None:
        """Exit the market now, abandoning any model in training; ``reason`` goes to firms.csv."""
        self.alive = False
        self.pending = None
        self.exit_step = self.model.steps
        self.exit_reason = reason

    @property
    def offering(self) -> bool:
        """Whether the firm has a released model on sale."""
        return self.active and self.deployed is not None

    @property
    def max_spend(self) -> float:
        """Most the firm can spend on training now: cash above its credit limit plus the equity
        investors will provide (:func:`~marketsim.sim.finance.financing_capacity`), less the fixed
        costs due before a new model earns (one period, or training lag + 1 without a model on sale:
        an entrant must not spend the credit line it needs for its overheads), dollars."""
        fixed_due = self.config.fixed_cost_per_period * (1 if self.offering else self.config.training_lag_periods + 1)
        return max(financing_capacity(self.cash, self.last_operating_profit, self.finance) - fixed_due, 0.0)

    @property
    def debt(self) -> float:
        """Borrowed on the credit line: max(-cash, 0), dollars."""
        return max(-self.cash, 0.0)

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
        """Start training a new model if the strategy says so and it can be paid for.

        A research run (the strategy's ``research_funded``: the compute-optimal model of the lab's
        research budget, :func:`marketsim.sim.strategies.research_plan`) is paid in full by outside
        money, booked as ``raised``: it needs no cash or credit and leaves cash unchanged.
        """
        self._reset_period()
        if not self.active or not self.strategy.due(self):
            self.decision = regimes.idle_decision(self)
            return
        plan = self.strategy.plan(self)
        model = self.model
        if plan is None:
            # Nothing worth training now: look again at the next point of the retraining cycle.
            regimes.note_decision(self, self.strategy.reason or regimes.SKIPPED, self.strategy.considered)
            self.last_start = model.steps
            return
        cost = float(training_cost(plan.N, plan.D, model.state.E)) * self.strategy.cost_factor(self)
        research = self.strategy.research_funded
        if not research and cost > self.max_spend * (1 + _SPEND_TOLERANCE):
            regimes.note_decision(self, regimes.NO_BUDGET, plan, cost)
            return
        regimes.note_decision(self, regimes.TRAINED_RESEARCH if research else regimes.TRAINED, plan, cost)
        R = float(model.law.reducible_loss(plan.N, plan.D, **model.state.efficiencies))
        # Firms enter the simulation with their first model ready (the market exists at start).
        first = self.deployed is None and model.steps <= 1
        lag = 0 if first else self.config.training_lag_periods
        self.pending = TrainedModel(N=plan.N, D=plan.D, R=R, loss=model.law.E0 + R, release_step=model.steps + lag)
        self.last_start = model.steps - (self.stagger if first else 0)
        self.training_cost = self.last_training_run = cost
        # a research run: all of it from outside; otherwise 0 unless cash and credit fall short
        self.raised = cost if research else equity_raised(cost, self.cash, self.last_operating_profit, self.finance)
        self.cash += self.raised - cost

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
            self.revenue = adopters * self.price  # the paid price (marketsim.sim.pricing)
            self.serving_cost = float(serving_cost(self.deployed.N, model.scenario.consumers.serving_tokens,
                                                 model.state.E, adopters=adopters))
        self.fixed_cost = self.config.fixed_cost_per_period
        self.profit = self.revenue - self.serving_cost - self.training_cost - self.fixed_cost - self.entry_spend
        self.cash += self.revenue - self.serving_cost - self.fixed_cost
        self.last_operating_profit = self.revenue - self.serving_cost - self.fixed_cost
        slack = _SPEND_TOLERANCE * max(abs(self.config.credit_limit), self.training_cost)
        if self.cash < self.config.credit_limit - slack:
            self.leave(EXIT_INSOLVENT)
        if self.alive:  # return the cash above the reserve (docs/theory.md, Money)
            self.paid_out = payout(self.cash, self.last_operating_profit, self.fixed_cost + self.serving_cost,
                                   self.last_training_run, self.finance)
            self.cash -= self.paid_out
