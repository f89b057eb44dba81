"""Firms: mesa Agents that train models, sell access to them and go bankrupt.

A :class:`FirmAgent` holds cash, a price, its deployed model (N, D, loss) and at most one model in
training. Which model to train is decided by a pluggable :class:`Strategy`:

- ``profit_optimal`` (default): a myopic best response to rivals' current models under
  logit-smoothed demand (docs/theory.md §7), computed with :func:`marketsim.economics.optimize`
  on the firm's residual demand, capped by the usable data stock and by what the firm can finance;
  the move away from the no-rival (monopoly) optimum is damped by ``market.damping``;
- ``fixed_growth``: training spend grows by a fixed factor per year (observed-trend comparison,
  COT24: 2.4x per year), spent on the compute-optimal model;
- ``open_weights``: releases at price 0, ``lag_periods`` after each of the leader's releases, a model
  trained with ``compute_fraction`` of the leader's compute.

New strategies: subclass :class:`Strategy`, implement ``plan``, and register it with
``@register_strategy("name")``; a scenario then selects it with ``strategy = "name"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar

import mesa
import numpy as np

from marketsim.economics import ResidualDemand, optimize
from marketsim.economics.optimizer import Optimum

if TYPE_CHECKING:  # pragma: no cover
    from marketsim.sim.model import MarketModel
    from marketsim.config.scenario import Firm as FirmConfig


@dataclass(frozen=True)
class Plan:
    """A model to train: N parameters, D tokens (cost 6ND/E dollars at today's E)."""

    N: float
    D: float


@dataclass
class TrainedModel:
    """A trained model: N parameters, D tokens, reducible loss R and loss L (nats per token)."""

    N: float
    D: float
    R: float
    loss: float
    release_step: int

    @property
    def compute(self) -> float:
        """Training compute 6ND, FLOP."""
        return 6.0 * self.N * self.D


STRATEGIES: dict[str, type["Strategy"]] = {}

_SPEND_TOLERANCE = 1e-9
"""Relative rounding slack on the credit line: a plan may cost this much more than ``max_spend``
(the optimizer's budget bound is met only to rounding), and spending the line to the last cent must
not count as falling below the credit limit."""


def register_strategy(name: str) -> Callable[[type["Strategy"]], type["Strategy"]]:
    """Class decorator: make a Strategy selectable as ``strategy = name`` in scenario files."""

    def wrap(cls: type[Strategy]) -> type[Strategy]:
        STRATEGIES[name] = cls
        cls.name = name
        return cls

    return wrap


class Strategy:
    """Decides when a firm trains and which model. Subclasses implement :meth:`plan`."""

    name: ClassVar[str] = "base"

    def due(self, firm: "FirmAgent") -> bool:
        """Whether the firm should start a new model this period (default: on its retraining cycle)."""
        return firm.pending is None and (
            firm.deployed is None or firm.model.steps - firm.last_start >= firm.retrain_every)

    def plan(self, firm: "FirmAgent") -> Plan | None:
        """The model to train now, or None to skip this period."""
        raise NotImplementedError

    def price(self, firm: "FirmAgent") -> float:
        """Dollars per adopter per period this firm charges."""
        return firm.config.price


@register_strategy("profit_optimal")
class ProfitOptimal(Strategy):
    """Best response to rivals' current models (logit demand), damped toward the monopoly optimum."""

    def plan(self, firm: "FirmAgent") -> Plan | None:
        model = firm.model
        world = model.state
        horizon = firm.config.horizon_periods
        rivals = [f for f in model.firms if f is not firm and f.offering]
        base = model.market_demand(price_per_period=firm.config.price, periods=horizon)
        kwargs = dict(T=model.scenario.consumers.tokens_per_adopter_per_period * horizon,
                      c_D=model.scenario.data.cost_per_token, D_bar=model.raw_data_cap(),
                      closure=model.scenario.scaling.closure, rho_D=world.rho_D, max_spend=firm.max_spend)
        warm = None if firm.deployed is None else (firm.deployed.N, firm.deployed.D)
        mono = optimize(model.law, base, world.E, warm_start=warm, **kwargs)
        if not rivals:
            chosen = mono
        else:
            ps = model.scenario.consumers.price_sensitivity
            residual = ResidualDemand.facing(
                base, [f.deployed.R for f in rivals], [-ps * f.price for f in rivals],
                own_price=base.price, own_shift=-ps * firm.price, lam=model.scenario.market.logit_lambda)
            best = optimize(model.law, residual, world.E, warm_start=warm, **kwargs)
            chosen = _damped(model, residual, best, mono, model.scenario.market.damping, kwargs)
        if not chosen.trains or not _beats_current(firm, chosen, residual if rivals else base, kwargs):
            return None
        return Plan(N=chosen.N, D=chosen.D)


def _beats_current(firm: "FirmAgent", chosen: Optimum, demand, kwargs: dict) -> bool:
    """Whether training ``chosen`` earns more over the horizon than keeping the deployed model.

    The deployed model's training cost is sunk, so it is compared on revenue minus serving cost
    alone; a new model must beat that net of its own training cost (docs/theory.md §10).
    """
    current = firm.deployed
    if current is None:
        return True
    from marketsim.economics import evaluate

    model = firm.model
    keep = evaluate(model.law, demand, model.state.E, current.N, current.D, T=kwargs["T"], c_D=0.0,
                    rho_D=model.state.rho_D)
    return chosen.profit > keep.revenue - keep.serving_cost


def _damped(model: "MarketModel", residual: ResidualDemand, best: Optimum, mono: Optimum, theta: float,
            kwargs: dict) -> Optimum:
    """Partial adjustment: ln N and ln D, hence ln C, move from the monopoly optimum a fraction theta
    toward the best response.

    Damping keeps sequential best responses from overshooting (docs/theory.md §7: theta = 0.5); if
    the damped model would lose money against the rivals the undamped best response is used.
    Interpolating ln N and ln D separately keeps every constraint both optima meet (D <= D_bar,
    N <= N_match(D), the budget): each is a half-plane in (ln N, ln D). Scaling N and D by one factor
    instead would push a capped D below the data stock, or N above N_match.
    """
    if not best.trains or not mono.trains or theta >= 1.0:
        return best
    from marketsim.economics import evaluate

    N = float(np.exp(theta * np.log(best.N) + (1.0 - theta) * np.log(mono.N)))
    D = float(np.exp(theta * np.log(best.D) + (1.0 - theta) * np.log(mono.D)))
    if kwargs.get("D_bar") is not None:
        D = min(D, kwargs["D_bar"])
    if kwargs.get("max_spend") is not None:
        scale = min(1.0, kwargs["max_spend"] * model.state.E / (6.0 * N * D))
        N *= scale
    damped = evaluate(model.law, residual, model.state.E, N, D, T=kwargs["T"], c_D=kwargs["c_D"],
                      rho_D=kwargs["rho_D"])
    return damped if damped.profit > 0 else best


@register_strategy("fixed_growth")
class FixedGrowth(Strategy):
    """Training spend = initial_spend x growth_factor_per_year^t, on the compute-optimal model."""

    def plan(self, firm: "FirmAgent") -> Plan | None:
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

    def due(self, firm: "FirmAgent") -> bool:
        leader = firm.model.firm_named(firm.config.leader)
        if firm.pending is not None or leader is None or leader.deployed is None:
            return False
        target = leader.deployed.release_step + firm.config.lag_periods
        already = firm.deployed is not None and firm.followed_release == leader.deployed.release_step
        return firm.model.steps >= target and not already

    def plan(self, firm: "FirmAgent") -> Plan | None:
        leader = firm.model.firm_named(firm.config.leader)
        assert leader is not None and leader.deployed is not None
        firm.followed_release = leader.deployed.release_step
        # Same tokens per parameter as the leader's model (an open release is served too, so it is
        # overtrained like the leader's), each scaled by sqrt(fraction): compute = fraction x leader's.
        scale = float(np.sqrt(firm.config.compute_fraction))
        return _data_capped(firm.model, leader.deployed.N * scale, leader.deployed.D * scale)

    def price(self, firm: "FirmAgent") -> float:
        return 0.0


def _data_capped(model: "MarketModel", N: float, D: float) -> Plan:
    """Cap D at the usable data stock, keeping N at most N_match(D) (the cap closure)."""
    cap = model.raw_data_cap()
    if cap is not None and D > cap:
        D = cap
        N = min(N, float(model.law.n_match(D, rho_D=model.state.rho_D)))
    return Plan(N=N, D=D)


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

    def __init__(self, model: "MarketModel", config: "FirmConfig", order: int = 0) -> None:
        super().__init__(model)
        self.config = config
        self.name = config.name
        try:
            self.strategy: Strategy = STRATEGIES[config.strategy]()
        except KeyError:
            raise ValueError(f"firm {config.name!r}: strategy {config.strategy!r} is unknown: allowed "
                             f"{', '.join(STRATEGIES)}") from None
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
        cost = 6.0 * plan.N * plan.D / model.state.E
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
            self.serving_cost = adopters * 2.0 * self.deployed.N * model.scenario.consumers.tokens_per_adopter_per_period / model.state.E
        self.fixed_cost = self.config.fixed_cost_per_period
        self.profit = self.revenue - self.serving_cost - self.training_cost - self.fixed_cost
        self.cash += self.revenue - self.serving_cost - self.fixed_cost
        slack = _SPEND_TOLERANCE * max(abs(self.config.credit_limit), self.training_cost)
        if self.cash < self.config.credit_limit - slack:
            self.alive = False
            self.pending = None
            self.exit_step = model.steps
