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
  of the profit-optimal firm; :func:`decide` (``-> Decision``) is the same decision with its reason
  (:mod:`marketsim.sim.regimes`). :class:`ProfitOptimal` builds the context from the firm and the model;
  :mod:`marketsim.experiments.validation` calls the same function without a simulation.

Built-in strategies:

- ``profit_optimal`` (default): a myopic best response to rivals' current models under
  logit-smoothed demand (docs/theory.md §7), computed with :func:`marketsim.economics.optimize`
  on the firm's residual demand, capped by the usable data stock and by what the firm can finance;
  the move away from the no-rival (monopoly) optimum is damped by ``market.damping``; a lab with a
  research budget (``firms.research_budget``) whose profit-optimal model would cost less than the
  budget for the cycle (or which would train nothing) trains the compute-optimal model of the budget
  instead, funded from outside (:func:`research_plan`; docs/theory.md "Research budgets");
- ``fixed_growth``: training spend grows by a fixed factor per year (observed-trend comparison,
  COT24: 2.4x per year), spent on the compute-optimal model;
- ``open_weights``: releases at price 0 a model trained with ``compute_fraction`` of the leader's
  compute at ``1 - imitation_discount`` of its cost, ``lag_periods`` after each of the leader's
  releases (``lag_rule = "fixed"``) or once that cost fits its ``follow_budget`` (``"cost"``).

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
from marketsim.economics.costs import training_cost
from marketsim.economics.demand import Demand
from marketsim.economics.problem import Closure, Optimum
from marketsim.economics.scaling import ScalingLaw
from marketsim.sim import regimes
from marketsim.sim.finance import research_spend
from marketsim.sim.pricing import planning_price
from marketsim.sim.views import FirmView, MarketView

__all__ = ["Plan", "Strategy", "STRATEGIES", "register_strategy", "check_strategies", "DecisionContext", "decide_training",
           "Decision", "decide", "research_budget_now", "research_plan",
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
    #: Set by :meth:`plan` when it knows more than its answer (marketsim.sim.regimes): why the firm
    #: did not train (a decision text, "" = no reason given) and the best new model it considered.
    reason: str = ""
    considered: Plan | None = None
    #: Set by :meth:`plan`: whether the plan it returned is a research run, paid in full by outside
    #: money (booked as ``raised``; :func:`research_plan`) rather than by the firm.
    research_funded: bool = False
    #: Whether the firm sells for a profit: such a firm enters on expected profit and exits on
    #: persistent expected losses (marketsim.sim.entry); a free open-weights lab does neither.
    seeks_profit: ClassVar[bool] = True

    def due(self, firm: FirmView) -> bool:
        """Whether the firm should start a new model this period (default: on its retraining cycle)."""
        return firm.pending is None and (
            firm.deployed is None or firm.model.steps - firm.last_start >= firm.retrain_every)

    def plan(self, firm: FirmView) -> Plan | None:
        """The model to train now, or None to skip this period."""
        raise NotImplementedError

    #: Pricing when the scenario leaves ``firms.pricing`` unset: "fixed" (``firms.price``) or
    #: "best_response" (marketsim.sim.pricing).
    default_pricing: ClassVar[str] = "fixed"

    def price(self, firm: FirmView) -> float:
        """The fixed quality-adjusted price, reference dollars per adopter per period (pricing "fixed")."""
        return firm.config.price

    def pricing(self, firm: FirmView) -> str:
        """"best_response" or "fixed": ``firms.pricing``, else :attr:`default_pricing`."""
        return firm.config.pricing or self.default_pricing

    def cost_factor(self, firm: FirmView) -> float:
        """Fraction of a model's training cost 6ND/E the firm pays (1: trains from scratch)."""
        return 1.0


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
        rho_N: parameter efficiency (effective parameters per parameter; 1 = the law as fitted).
        max_spend: most the firm can spend on training, dollars (None = unlimited).
        rival_R: reducible loss of each rival's model on sale (nats per token).
        rival_price: each rival's quality-adjusted price. price: the firm's own quality-adjusted price
            (both reference dollars per adopter per period, docs/theory.md "Prices").
        outside_option: utility of buying nothing above the best model on sale at price 0 (ln-R
            units); None: no outside option (every qualifying consumer buys).
        price_sensitivity: utility per dollar of price. lam: logit scale of quality differences.
        damping: theta, the fraction of the move from the monopoly optimum to the best response.
        warm_start: (N, D) to start the optimizer from (None = its own start).
        current: (N, D) of the deployed model (None = none); a new model must beat keeping it.
        current_R: the deployed model's reducible loss, fixed when it was trained (None: R(N, D) at
            today's rho_N and rho_D). Consumers see this R; re-evaluating (N, D) at a later, higher
            rho_N or rho_D would overvalue keeping the model and stop the firm from ever retraining.
    """

    law: ScalingLaw
    base: Demand
    E: float
    rho_D: float
    T: float
    c_D: float
    D_bar: float | None
    closure: Closure = "cap"
    rho_N: float = 1.0
    max_spend: float | None = None
    rival_R: tuple[float, ...] = ()
    rival_price: tuple[float, ...] = ()
    price: float = 0.0
    price_sensitivity: float = 0.0
    lam: float = 0.3
    damping: float = 1.0
    warm_start: tuple[float, float] | None = None
    current: tuple[float, float] | None = None
    current_R: float | None = None
    outside_option: float | None = None

    @property
    def efficiencies(self) -> dict[str, float]:
        """``{"rho_N": ..., "rho_D": ...}``: the efficiency keywords of the law and the optimizer."""
        return {"rho_N": self.rho_N, "rho_D": self.rho_D}


@dataclass(frozen=True)
class Decision:
    """The profit-optimal firm's decision and its reason (:mod:`marketsim.sim.regimes`).

    Attributes:
        chosen: the model to train now (None = keep the deployed model, or train nothing).
        candidate: the best new model considered (``regime == 'no-train'`` when none earns a profit).
        reason: a decision text of :data:`marketsim.sim.regimes.DECISIONS`.
    """

    chosen: Optimum | None
    candidate: Optimum
    reason: str


def decide_training(ctx: DecisionContext) -> Optimum | None:
    """The model the profit-optimal firm trains now (an :class:`Optimum`), or None to keep what it has
    (:func:`decide` with its reason)."""
    return decide(ctx).chosen


def decide(ctx: DecisionContext) -> Decision:
    """The profit-optimal firm's :class:`Decision`: the model it trains now, or why it keeps what it has.

    Without rivals: the monopoly optimum on the whole market. With rivals: the best response on the
    residual demand (logit on quality and price), damped toward the monopoly optimum. Either way it
    must train and beat keeping the current model (:func:`_beats_current`). At the data wall this
    is the same comparison: as the stock, rho_D, E or the rivals move, a new model is trained
    whenever it pays, and the reason is recorded when it does not.
    """
    ps = ctx.price_sensitivity
    own_shift = -ps * ctx.price
    alone = _alone(ctx, own_shift)
    mono = optimize(ctx.law, alone, ctx.E, warm_start=ctx.warm_start, **_cost_terms(ctx))
    demand: Demand = alone
    chosen = mono
    if ctx.rival_R:
        demand = ResidualDemand.facing(ctx.base, list(ctx.rival_R), [-ps * p for p in ctx.rival_price],
                                       own_price=ctx.base.price, own_shift=own_shift, lam=ctx.lam,
                                       outside_option=ctx.outside_option)
        best = optimize(ctx.law, demand, ctx.E, warm_start=ctx.warm_start, **_cost_terms(ctx))
        chosen = _damped(ctx, demand, best, mono)
    if not chosen.trains:
        return Decision(None, chosen, regimes.KEPT_NO_PROFIT)
    if not _beats_current(ctx, chosen, demand):
        return Decision(None, chosen, regimes.KEPT_AT_WALL if _no_better(ctx, chosen) else regimes.KEPT_NO_GAIN)
    return Decision(chosen, chosen, regimes.TRAINED)


def _alone(ctx: DecisionContext, own_shift: float) -> Demand:
    """The firm's demand alone on the market: the base demand, times the purchase share
    1 / (1 + exp((outside_option - own_shift) / lam)) with an outside option.

    That share is constant in R, so the base market scaled by it is the same demand as the
    residual demand without rivals (:class:`~marketsim.economics.ResidualDemand`, which the
    optimizer evaluates several times more slowly); the residual demand is kept only when the scaled
    market would be empty (a share that underflows).
    """
    if ctx.outside_option is None:
        return ctx.base
    share = 1.0 / (1.0 + float(np.exp(min((ctx.outside_option - own_shift) / ctx.lam, 700.0))))
    if ctx.base.M * share > 0.0:
        return ctx.base.scaled(share)
    return ResidualDemand.facing(ctx.base, [], [], own_price=ctx.base.price, own_shift=own_shift, lam=ctx.lam,
                                 outside_option=ctx.outside_option)


def _cost_terms(ctx: DecisionContext) -> dict:
    """The optimizer's cost and constraint arguments from the context."""
    return dict(T=ctx.T, c_D=ctx.c_D, D_bar=ctx.D_bar, closure=ctx.closure, **ctx.efficiencies,
                max_spend=ctx.max_spend)


def _beats_current(ctx: DecisionContext, chosen: Optimum, demand: Demand) -> bool:
    """Whether training ``chosen`` earns more over the horizon than keeping the deployed model.

    The deployed model's training cost is sunk, so it is compared on revenue minus serving cost
    alone; a new model must beat that net of its own training cost (docs/theory.md §10).
    """
    if ctx.current is None:
        return True
    N, D = ctx.current
    if ctx.current_R is None:
        keep = evaluate(ctx.law, demand, ctx.E, N, D, T=ctx.T, c_D=0.0, **ctx.efficiencies)
        return chosen.profit > keep.revenue - keep.serving_cost
    # the deployed model at the loss consumers see (fixed when it was trained), dollars over the horizon
    lnR = np.log(ctx.current_R)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ln_n = float(demand.log_adopters(lnR))
        revenue = float(np.nan_to_num(np.exp(ln_n + float(demand.log_value(lnR)))))
    adopters = float(np.exp(ln_n))
    return chosen.profit > revenue - adopters * 2.0 * N * ctx.T / ctx.E


def _no_better(ctx: DecisionContext, chosen: Optimum) -> bool:
    """Whether ``chosen`` is no better than the deployed model (at the data wall with N at N_match,
    the usual case: nothing the stock allows beats what the firm has)."""
    if ctx.current is None or not regimes.at_the_stock(chosen.D, ctx.D_bar):
        return False
    current_R = ctx.current_R
    if current_R is None:
        current_R = float(ctx.law.reducible_loss(*ctx.current, **ctx.efficiencies))
    return chosen.R >= current_R * (1.0 - 1e-9)


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
    damped = evaluate(ctx.law, residual, ctx.E, N, D, T=ctx.T, c_D=ctx.c_D, **ctx.efficiencies)
    return damped if damped.profit > 0 else best


@register_strategy("profit_optimal")
class ProfitOptimal(Strategy):
    """Best response to rivals' current models (logit demand), damped toward the monopoly optimum;
    prices by default as the Nash equilibrium of each period's pricing stage game."""

    default_pricing = "best_response"

    def plan(self, firm: FirmView) -> Plan | None:
        """The profit-optimal model (:func:`decide`), or the research run of the lab's research budget
        when that model would cost less than the budget or none is trained (:func:`research_plan`)."""
        decision = decide(self.context(firm))
        candidate = decision.candidate
        self.reason = decision.reason
        self.considered = Plan(N=candidate.N, D=candidate.D) if candidate.trains else None
        chosen = decision.chosen
        profit_plan = None if chosen is None else Plan(N=chosen.N, D=chosen.D)
        research = research_plan(firm, profit_plan)
        self.research_funded = research is not None
        return research if research is not None else profit_plan

    @staticmethod
    def context(firm: FirmView) -> DecisionContext:
        """What ``firm`` sees now: the market over its horizon at the quality-adjusted price it plans
        to charge (:func:`marketsim.sim.pricing.planning_price`), rivals on sale at their current
        quality-adjusted prices, the outside option, its budget."""
        model = firm.model
        world, scn = model.state, model.scenario
        horizon = firm.config.horizon_periods
        rivals = [f for f in model.firms if f is not firm and f.offering]
        current = None if firm.deployed is None else (firm.deployed.N, firm.deployed.D)
        price_adj = planning_price(firm)
        return DecisionContext(
            law=model.law, base=model.market_demand(price_per_period=price_adj, periods=horizon),
            E=world.E, **world.efficiencies, T=scn.consumers.serving_tokens * horizon,
            c_D=scn.data.cost_per_token, D_bar=model.raw_data_cap(), closure=scn.scaling.closure,
            max_spend=firm.max_spend, rival_R=tuple(f.deployed.R for f in rivals),
            rival_price=tuple(f.price_adj if np.isfinite(f.price_adj) else f.strategy.price(f) for f in rivals),
            price=price_adj, price_sensitivity=scn.consumers.price_sensitivity, lam=scn.market.logit_lambda,
            damping=scn.market.damping, warm_start=current, current=current,
            current_R=None if firm.deployed is None else firm.deployed.R,
            outside_option=scn.market.outside_option)


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
        N, D = model.law.compute_optimal(spend * model.state.E, **model.state.efficiencies)
        return _data_capped(model, float(N), float(D))


@register_strategy("open_weights")
class OpenWeights(Strategy):
    """Free follower of the leader's latest release: a model at a fraction of its compute with the
    leader's tokens per parameter, at (1 - imitation_discount) of its training cost.

    When: ``lag_rule = "fixed"``: ``lag_periods`` after each leader release; ``lag_rule = "cost"``: as
    soon as that discounted cost fits within ``follow_budget`` (and what the firm can finance), so
    the lag shrinks as hardware gets cheaper and as the discount grows (docs/theory.md, Entry and exit).
    """

    seeks_profit = False

    def due(self, firm: FirmView) -> bool:
        leader = firm.model.firm_named(firm.config.leader)
        if firm.pending is not None or leader is None or leader.deployed is None:
            return False
        already = firm.deployed is not None and firm.followed_release == leader.deployed.release_step
        if already:
            return False
        if firm.config.lag_rule == "cost":
            return self.follow_cost(firm) <= min(firm.config.follow_budget, firm.max_spend)
        return firm.model.steps >= leader.deployed.release_step + firm.config.lag_periods

    def plan(self, firm: FirmView) -> Plan | None:
        leader = firm.model.firm_named(firm.config.leader)
        assert leader is not None and leader.deployed is not None
        firm.followed_release = leader.deployed.release_step
        return self.target(firm)

    @staticmethod
    def target(firm: FirmView) -> Plan | None:
        """The model the firm would release now (None while the leader has none on sale)."""
        leader = firm.model.firm_named(firm.config.leader)
        if leader is None or leader.deployed is None:
            return None
        # Same tokens per parameter as the leader's model (an open release is served too, so it is
        # overtrained like the leader's), each scaled by sqrt(fraction): compute = fraction x leader's.
        scale = float(np.sqrt(firm.config.compute_fraction))
        return _data_capped(firm.model, leader.deployed.N * scale, leader.deployed.D * scale)

    def follow_cost(self, firm: FirmView) -> float:
        """Dollars the firm would pay now for :meth:`target`: the discounted 6ND/E(t) (inf without one)."""
        plan = self.target(firm)
        if plan is None:
            return float("inf")
        return float(training_cost(plan.N, plan.D, firm.model.state.E)) * self.cost_factor(firm)

    def cost_factor(self, firm: FirmView) -> float:
        return 1.0 - firm.config.imitation_discount

    def price(self, firm: FirmView) -> float:
        return 0.0

    def pricing(self, firm: FirmView) -> str:
        return "fixed"  # open weights are free whatever firms.pricing says


def research_budget_now(firm: FirmView) -> float:
    """The firm's research budget for the retraining cycle starting now, dollars
    (:func:`marketsim.sim.finance.research_spend`): ``research_budget`` x
    ``research_budget_growth_per_year`` ^ (years since meta.start_year, or since entry_year for a lab
    entering later) x the cycle's length in years (``retrain_every_periods`` periods)."""
    cfg, model = firm.config, firm.model
    if cfg.research_budget <= 0:
        return 0.0
    scn = model.scenario
    start = scn.meta.start_year if cfg.entry_year is None else max(scn.meta.start_year, cfg.entry_year)
    return research_spend(cfg.research_budget, cfg.research_budget_growth_per_year, model.state.year - start,
                          firm.retrain_every * scn.period_years)


def research_plan(firm: FirmView, profit_plan: Plan | None) -> Plan | None:
    """The research run the firm trains instead of ``profit_plan`` (None: the profit-optimal decision stands).

    A research run is due when the firm has a research budget for this cycle (:func:`research_budget_now`)
    and the profit-optimal decision would spend less on training (6ND/E dollars) or train nothing
    (``profit_plan`` None: no model pays, or keeping the deployed one pays more). It is the
    loss-minimising model for that spend, ``ScalingLaw.compute_optimal(spend x E, rho_N, rho_D)``, capped
    at the usable data stock like every plan (:func:`_data_capped`); it is skipped (None) when it
    would be no better than the deployed model, which it would replace on sale.
    """
    spend = research_budget_now(firm)
    model = firm.model
    E = model.state.E
    if spend <= 0 or (profit_plan is not None and float(training_cost(profit_plan.N, profit_plan.D, E)) >= spend):
        return None
    N, D = model.law.compute_optimal(spend * E, **model.state.efficiencies)
    plan = _data_capped(model, float(N), float(D))
    if firm.deployed is not None:
        R = float(model.law.reducible_loss(plan.N, plan.D, **model.state.efficiencies))
        if R >= firm.deployed.R:
            return None
    return plan


def _data_capped(model: MarketView, N: float, D: float) -> Plan:
    """Cap D at the usable data stock, keeping N at most N_match(D) (the cap closure)."""
    cap = model.raw_data_cap()
    if cap is not None and D > cap:
        D = cap
        N = min(N, float(model.law.n_match(D, **model.state.efficiencies)))
    return Plan(N=N, D=D)
