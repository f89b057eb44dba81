"""The pydantic schema of a scenario TOML file: one model per table, bounds on every number.

A scenario is one TOML file (see ``scenarios/*.toml`` and docs/architecture.md) with the sections
``[meta]``, ``[scaling]``, ``[hardware]``, ``[data]``, ``[consumers]``, ``[market]`` and one
``[[firms]]`` table per firm. Every model forbids unknown keys and validates strictly (no
string-to-number coercion), so a typo is an error, not a silent default. Cross-field rules are at the
end of this module; reading files and error messages in :mod:`marketsim.config.loading`.

Units: money in US dollars, time in years (``t`` = years since ``meta.start_year``), a period is
``1 / meta.periods_per_year`` years, loss and thresholds in nats per token (reducible loss R).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np

from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketsim.config.describe import Says
from marketsim.config.problems import CrossFieldError, Problem, format_value
from marketsim.config.uncertain import Uncertain, uncertain_problems
from marketsim.economics.scaling import SCALING_PRESETS, ScalingLaw
from marketsim.economics.thresholds import THRESHOLD_DEFAULTS as _TD
from marketsim.economics.thresholds import ThresholdFamily, ThresholdSpec

__all__ = ["MAX_DOLLARS", "Consumers", "Data", "Firm", "Hardware", "Market", "Meta", "Scaling", "Scenario", "ThresholdFamily"]

Name = Annotated[str, Field(min_length=1)]

# Bounds. Every number has a generous but finite range, so that no value a scenario accepts can
# overflow to inf or NaN anywhere in a run (money, thresholds, E(t) over 100 years): each is far
# outside any calibrated figure (docs/calibration.md) and far inside float range.

#: Multiplicative change per year (1.0 = constant): at most 100x up or down per year.
Factor = Annotated[float, Field(ge=0.01, le=100)]
#: Dollars (cash, spend, costs): at most 1e15 (a thousand trillion) in size.
MAX_DOLLARS = 1e15
Dollars = Annotated[float, Field(ge=-MAX_DOLLARS, le=MAX_DOLLARS)]
NonNegativeDollars = Annotated[float, Field(ge=0, le=MAX_DOLLARS)]
#: Reducible-loss thresholds, nats per token (the optimizer's models reach R ~ 2e-8 to ~20).
Threshold = Annotated[float, Field(ge=1e-9, le=1e3)]
#: Counts of periods (retraining cycles, lags, horizons).
Periods = Annotated[int, Field(ge=1, le=10_000)]

#: Scenario names become output folder names and table labels: letters or digits, at most 100 characters.
ScenarioName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"[A-Za-z0-9]"),
                         Says("a string of 1 to 100 characters with at least one letter or digit (A-Z, a-z, 0-9)")]


# --- schema ---------------------------------------------------------------------------------


class _Section(BaseModel):
    """Base of every scenario table: unknown keys, coercions and inf/nan are all errors."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Meta(_Section):
    """``[meta]``: identity, random seed and time grid.

    Attributes:
        name: scenario name (used in outputs and comparisons): 1 to 100 characters, at least one
            ASCII letter or digit (it names the output folder).
        description: free text; its first line is the one-line summary.
        seed: seed of the model's numpy Generator (0 to 2^63 - 1).
        start_year: calendar year at t = 0 (years).
        years: simulated length (years).
        periods_per_year: periods per year (4 = quarterly).
    """

    name: ScenarioName
    description: str = ""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    start_year: Annotated[int, Field(ge=1990, le=2100)] = 2025  # assumption: the present
    years: Annotated[float, Field(gt=0, le=100)]
    periods_per_year: Annotated[int, Field(ge=1, le=52)] = 4  # assumption: quarterly decisions


class Scaling(_Section):
    """``[scaling]``: the loss law L(N, D) = E0 + A (rho_N N)^-alpha + B (rho_D D)^-beta (nats per token).

    Attributes:
        preset: named constants (docs/calibration.md §1).
        closure: data-bound closure; "cap" limits N to N_match(D_bar), "additive" is the plain law.
        E0, A, B, alpha, beta: optional overrides of the preset's constants: E0 in (0, 100] nats per
            token, A and B in [1e-3, 1e6], alpha and beta in [0.05, 2] (published fits: 0.28-0.37).
        parameter_efficiency: parameter-efficiency multiplier rho_N at start_year (dimensionless,
            1e-6 to 1e12; one parameter counts as rho_N effective parameters, docs/theory.md §1.1).
        parameter_efficiency_growth_per_year: multiplicative growth of rho_N per year (0.01 to 100);
            rho_N must also stay within 1e-6 to 1e12 over the whole run (checked across fields).
    """

    preset: Literal["besiroglu2024", "hoffmann2022"] = "besiroglu2024"  # BES24; docs/theory.md §6 default
    closure: Literal["cap", "additive"] = "cap"  # docs/theory.md §4: cap closure by default
    E0: Annotated[float | None, Field(gt=0, le=100)] = None
    A: Annotated[float | None, Field(ge=1e-3, le=1e6)] = None
    B: Annotated[float | None, Field(ge=1e-3, le=1e6)] = None
    alpha: Annotated[float | None, Field(ge=0.05, le=2)] = None
    beta: Annotated[float | None, Field(ge=0.05, le=2)] = None
    parameter_efficiency: Annotated[float, Field(ge=1e-6, le=1e12)] = 1.0  # docs/theory.md §1.1: rho_N = 1 at baseline
    parameter_efficiency_growth_per_year: Factor = 1.0  # assumption: no parameter-efficiency progress

    def law(self) -> ScalingLaw:
        """The preset's :class:`ScalingLaw` with this section's overrides applied."""
        base = SCALING_PRESETS[self.preset]
        constants = {key: getattr(base, key) for key in ("E0", "A", "B", "alpha", "beta")}
        overrides = {key: value for key in constants if (value := getattr(self, key)) is not None}
        name = base.name if not overrides else f"{base.name}+overrides"
        return ScalingLaw(name=name, **{**constants, **overrides})

    @property
    def gamma(self) -> float:
        """Frontier elasticity of reducible loss in compute, alpha*beta/(alpha+beta) (dimensionless)."""
        law = self.law()
        return law.alpha * law.beta / (law.alpha + law.beta)


class Hardware(_Section):
    """``[hardware]``: price-performance E(t) of training and serving hardware.

    Attributes:
        flop_per_dollar: E at start_year (FLOP per dollar, 1 to 1e45).
        growth_per_year: multiplicative growth of E per year until stall_year (0.01 to 100).
        stall_year: calendar year after which E grows at growth_after_stall (None: never; 1990-2200).
        growth_after_stall: multiplicative growth of E per year after stall_year (0.01 to 100).

    E must also stay within 1 to 1e45 FLOP per dollar over the whole run (checked across fields).
    """

    flop_per_dollar: Annotated[float, Field(ge=1, le=1e45)]
    growth_per_year: Factor
    stall_year: Annotated[int | None, Field(ge=1990, le=2200)] = None
    growth_after_stall: Factor = 1.0  # assumption: progress stops entirely after a stall


class Data(_Section):
    """``[data]``: the usable stock of training data and its efficiency.

    Attributes:
        stock_tokens: usable stock D_bar at start_year (effective tokens, 1 to 1e40).
        stock_growth_per_year: multiplicative growth of the stock per year (0.01 to 100).
        efficiency: data-efficiency multiplier rho_D at start_year (dimensionless, 1e-6 to 1e12).
        efficiency_growth_per_year: multiplicative growth of rho_D per year (0.01 to 100).
        cost_per_token: data cost c_D (dollars per training token, 0 to 1e6).

    The stock and rho_D must also stay within those ranges over the whole run.
    """

    stock_tokens: Annotated[float, Field(ge=1, le=1e40)]
    stock_growth_per_year: Factor = 1.0  # assumption: fixed stock unless stated
    efficiency: Annotated[float, Field(ge=1e-6, le=1e12)] = 1.0  # docs/theory.md §1.1: rho_D = 1 at baseline
    efficiency_growth_per_year: Factor = 1.0  # assumption: no data-efficiency progress
    cost_per_token: Annotated[float, Field(ge=0, le=1e6)] = 0.0  # docs/theory.md §1.2: data cost 0 by default


class Consumers(_Section):
    """``[consumers]``: the consumer population and its quality thresholds on reducible loss R.

    Attributes:
        count: simulated consumers (each stands for population / count people; 1 to 1e8).
        population: people at start_year (1 to 1e15; also over the whole run).
        population_growth_per_year: multiplicative growth of the population per year (0.01 to 100).
        family: threshold distribution family.
        median_threshold: lognormal median of thresholds tau (nats per token, on R; 1e-9 to 1000).
        sigma: lognormal spread of ln tau (0.01 to 10).
        pareto_max_threshold, pareto_k: pareto thresholds tau = max * U^(1/k) (nats per token,
            1e-9 to 1000; k 0.01 to 100).
        loguniform_min, loguniform_max: loguniform threshold range (nats per token, 1e-9 to 1000).
        value_exponent: kappa; value per adopter grows as (R_ref/R)^kappa (0 to 1/gamma, exclusive).
        tokens_per_adopter_per_period: T, tokens served per adopter per period (0 to 1e12).
        active_parameter_fraction: share of a model's N that is active per served token (a
            mixture-of-experts model runs a few experts per token; (0, 1], 1 = dense): serving costs
            2 f N T / E dollars per adopter per period.
        awareness_midpoint_year, awareness_rate_per_year: the share of the population that knows the
            product and can adopt follows the logistic 1 / (1 + exp(-rate (year - midpoint)))
            (a diffusion curve, docs/theory.md §1.3; midpoint 1900 to 2200, rate 0.01 to 100 per
            year); None (default): everyone can adopt from the start.
        price_sensitivity: ln-R utility units per dollar; also converts surplus to dollars (1e-6 to 10).
        switching_cost: utility penalty for changing model (ln-R units, 0 to 100).
    """

    count: Annotated[int, Field(ge=1, le=100_000_000)]
    population: Annotated[float, Field(ge=1, le=1e15)]
    population_growth_per_year: Factor = 1.0  # assumption: constant population
    # threshold defaults and their sources: marketsim.economics.thresholds.ThresholdSpec
    family: ThresholdFamily = _TD.family
    median_threshold: Threshold = _TD.median
    sigma: Annotated[float, Field(ge=0.01, le=10)] = _TD.sigma
    pareto_max_threshold: Threshold = _TD.pareto_max
    pareto_k: Annotated[float, Field(ge=0.01, le=100)] = _TD.pareto_k
    loguniform_min: Threshold = _TD.loguniform_min
    loguniform_max: Threshold = _TD.loguniform_max
    value_exponent: Annotated[float, Field(ge=0, le=100)] = 2.5  # docs/theory.md §6: kappa = k = 2.5
    tokens_per_adopter_per_period: Annotated[float, Field(ge=0, le=1e12)]
    active_parameter_fraction: Annotated[float, Field(gt=0, le=1)] = 1.0  # assumption: dense models unless stated
    awareness_midpoint_year: Annotated[float | None, Field(ge=1900, le=2200)] = None  # assumption: no diffusion unless stated
    awareness_rate_per_year: Annotated[float, Field(ge=0.01, le=100)] = 1.0  # used only with a midpoint
    price_sensitivity: Annotated[float, Field(ge=1e-6, le=10)] = 0.05  # assumption
    switching_cost: Annotated[float, Field(ge=0, le=100)] = 0.0  # assumption: no inertia unless stated

    @property
    def serving_tokens(self) -> float:
        """Tokens per adopter per period, counted at the full N: T x active_parameter_fraction (serving
        costs 2 N x this / E dollars per adopter per period)."""
        return self.tokens_per_adopter_per_period * self.active_parameter_fraction

    def awareness(self, year: float) -> float:
        """Share of the population that can adopt in calendar ``year`` (0 to 1; 1 without a midpoint)."""
        if self.awareness_midpoint_year is None:
            return 1.0
        return float(1.0 / (1.0 + np.exp(-self.awareness_rate_per_year * (year - self.awareness_midpoint_year))))

    def thresholds(self) -> ThresholdSpec:
        """The threshold distribution these settings describe (builds the market's Demand)."""
        return ThresholdSpec(family=self.family, median=self.median_threshold, sigma=self.sigma,
                             pareto_max=self.pareto_max_threshold, pareto_k=self.pareto_k,
                             loguniform_min=self.loguniform_min, loguniform_max=self.loguniform_max)


class Market(_Section):
    """``[market]``: how firms' best responses are smoothed.

    Attributes:
        logit_lambda: logit noise of consumer choice among qualifying models (ln-R units, 0.01 to 10).
        damping: weight theta on the new best response in damped updates (0 < theta <= 1).
        outside_option: utility of buying no model, relative to the best model on sale at price 0
            (ln-R units, -20 to 20): u_0 = -ln R_front + outside_option (docs/theory.md "Prices").
        exit_after_loss_periods: a firm that charges for its models exits once its expected horizon
            profit has been negative this many periods in a row (periods, 1 to 10000; None: firms exit
            only when insolvent; docs/theory.md, Entry and exit).
    """

    logit_lambda: Annotated[float, Field(ge=0.01, le=10)] = 0.3  # docs/theory.md §7: lambda ~ 0.3
    damping: Annotated[float, Field(gt=0, le=1)] = 0.5  # docs/theory.md §7: theta = 0.5
    outside_option: Annotated[float, Field(ge=-20, le=20)] = -1.0  # assumption: the free frontier model beats nothing by 1 ln-R unit
    exit_after_loss_periods: Periods | None = None  # assumption: exit on insolvency only unless stated


class Firm(_Section):
    """``[[firms]]``: one firm, its strategy, prices and finances.

    Attributes:
        name: unique firm name (1 to 100 characters).
        strategy: decision rule.
        price: fixed QUALITY-ADJUSTED price, dollars per adopter per period at the reference loss
            R_ref (0 to 1e6); an adopter of a model of reducible loss R pays price x (R_ref/R)^kappa.
            Used when pricing = "fixed", and as the price before the firm first sets one.
        pricing: "best_response" (the firm sets its price each period as the Nash equilibrium of the
            pricing stage game, docs/theory.md "Prices") or "fixed" (price above); None: the
            strategy's default (profit_optimal: best_response; fixed_growth: fixed; open_weights is
            always free).
        cash: dollars at start (or at entry; -1e15 to 1e15).
        credit_limit: dollars; the firm exits when cash < credit_limit (must be <= cash; -1e15 to 1e15).
        retrain_every_periods: periods between model generations (1 to 10000).
        training_lag_periods: periods between starting and releasing a model (0 to 10000).
        horizon_periods: periods over which a new model's profit is evaluated (1 to 10000).
        fixed_cost_per_period: dollars per period the firm pays whatever it sells (staff, overheads;
            0 to 1e15).
        entry_year: calendar year of entry (None: present from the start; 1990 to 2200).
        potential: a potential entrant (docs/theory.md, Entry and exit): outside the market until, on or
            after entry_year, its expected horizon profit net of entry_cost is positive (open_weights:
            until its budget covers the entry cost and its first model); False: in the market from
            entry_year (or the start) whatever its prospects.
        entry_cost: dollars paid once on entering (0 to 1e15); sunk thereafter.
        growth_factor_per_year: fixed_growth: multiplicative growth of training spend per year (0.01 to 100).
        initial_spend: fixed_growth: first training spend (dollars, 1 to 1e15).
        leader: open_weights: the name of the firm followed.
        lag_periods: open_weights: periods behind the leader (0 to 10000).
        compute_fraction: open_weights: fraction of the leader's compute used (1e-6 to 1).
        lag_rule: open_weights: "fixed" follows lag_periods after each leader release; "cost" follows
            as soon as the discounted cost of the model (1 - imitation_discount) x 6ND/E(t) fits within
            follow_budget, so the lag falls out of hardware progress and the discount.
        imitation_discount: open_weights: fraction of the training cost saved by imitating or
            distilling the leader's released model (0 to 0.999; both lag rules pay the discounted cost).
        follow_budget: open_weights, lag_rule "cost": most the firm spends on one model (dollars, 0 to 1e15).
        equity_multiple: investors fund training up to this multiple of the firm's expected horizon
            operating profit (last period's revenue - serving - fixed cost x horizon_periods; dimensionless,
            0 to 100; 0 = no outside equity; docs/theory.md "Money").
        payout_reserve_periods: periods of fixed cost plus expected training cost per period the firm
            keeps as cash; it pays out the rest (periods, 0 to 10000; docs/theory.md "Money").
        research_budget: profit_optimal: dollars per year of training compute the lab spends on frontier
            research runs whatever its current revenue, at meta.start_year (or at entry_year for a lab
            entering later); funded by investors or a parent company and booked as ``raised``
            (0 to 1e15; 0 = no research era; docs/theory.md "Research budgets").
        research_budget_growth_per_year: profit_optimal: factor per year by which the research budget
            grows (0.01 to 100; 1 = flat): investors' and parents' expectations of future markets.
    """

    name: Annotated[str, Field(min_length=1, max_length=100)]
    strategy: Name = "profit_optimal"  # a name registered with marketsim.sim.strategies.register_strategy
    price: Annotated[float, Field(ge=0, le=1e6)]
    pricing: Literal["best_response", "fixed"] | None = None  # None: the strategy's default (sim/strategies.py)
    cash: Dollars
    credit_limit: Dollars
    retrain_every_periods: Periods = 4  # assumption; LOH23: 250-1000 days between generations
    training_lag_periods: Annotated[int, Field(ge=0, le=10_000)] = 1  # assumption
    horizon_periods: Periods = 8  # assumption: two years of quarters
    fixed_cost_per_period: NonNegativeDollars = 0.0  # dollars per period (staff etc.); COT24: R&D staff 29-49% of development cost
    entry_year: Annotated[float | None, Field(ge=1990, le=2200)] = None
    potential: bool = False  # assumption: bundled labs are incumbents unless a scenario says otherwise
    entry_cost: NonNegativeDollars = 0.0  # assumption: no entry cost unless stated
    growth_factor_per_year: Factor = 2.4  # COT24: frontier training cost grows 2.4x per year
    initial_spend: Annotated[float, Field(ge=1, le=MAX_DOLLARS)] = 1e8  # assumption; order of COT24 frontier costs (GPT-4 ~4e7)
    leader: str | None = None
    lag_periods: Annotated[int, Field(ge=0, le=10_000)] = 4  # EPOPEN24: open models ~1 year behind
    compute_fraction: Annotated[float, Field(ge=1e-6, le=1)] = 0.3  # assumption
    lag_rule: Literal["fixed", "cost"] = "fixed"  # EPOPEN24: a fixed ~1 year lag, today's behaviour
    imitation_discount: Annotated[float, Field(ge=0, le=0.999)] = 0.0  # assumption: no discount unless stated
    follow_budget: NonNegativeDollars = 1e9  # assumption: order of a 2025 frontier run (COT24)
    equity_multiple: Annotated[float, Field(ge=0, le=100)] = 1.0  # assumption: investors fund at most the profit they expect
    payout_reserve_periods: Annotated[float, Field(ge=0, le=10_000)] = 8.0  # assumption: two years of quarters
    research_budget: NonNegativeDollars = 0.0  # dollars per year; assumption: no research era unless a scenario says so
    research_budget_growth_per_year: Factor = 1.0  # factor per year; assumption: flat unless stated


class Scenario(_Section):
    """A whole scenario file. Cross-field rules are checked after the per-field ones."""

    meta: Meta
    scaling: Scaling = Field(default_factory=Scaling)
    hardware: Hardware
    data: Data
    consumers: Consumers
    market: Market = Field(default_factory=Market)
    firms: Annotated[list[Firm], Field(min_length=1)]
    uncertain: Uncertain | None = None  # [uncertain]: distributions for `marketsim ensemble` (config/uncertain.py)

    @model_validator(mode="after")
    def _check_consistency(self) -> Scenario:
        problems = [problem for check in CROSS_CHECKS for problem in check(self)]
        if problems:
            raise CrossFieldError(problems)
        return self

    @property
    def n_periods(self) -> int:
        """Number of simulated periods, round(years * periods_per_year)."""
        return round(self.meta.years * self.meta.periods_per_year)

    @property
    def period_years(self) -> float:
        """Length of one period (years)."""
        return 1.0 / self.meta.periods_per_year

    @property
    def end_year(self) -> float:
        """Calendar year at the end of the last period (years)."""
        return self.meta.start_year + self.n_periods * self.period_years


# --- cross-field rules: checked after every field is valid on its own ----------------------------
# Strategy names are NOT checked here: the strategy registry belongs to the simulation, which checks
# them when a model is built (marketsim.sim.check_strategies).

#: Ranges the exogenous paths must stay within at every time of the run (checked across fields):
#: hardware E in FLOP per dollar, data stock in tokens, data and parameter efficiency, population in people.
PATH_RANGES: dict[str, tuple[str, float, float, str]] = {
    "hardware": ("hardware E", 1.0, 1e45, "FLOP per dollar"),
    "data_stock": ("the data stock", 1.0, 1e40, "tokens"),
    "data_efficiency": ("data efficiency rho_D", 1e-6, 1e12, "(dimensionless)"),
    "parameter_efficiency": ("parameter efficiency rho_N", 1e-6, 1e12, "(dimensionless)"),
    "population": ("the population", 1.0, 1e15, "people"),
}


def _check_time(s: Scenario) -> list[Problem]:
    problems = []
    if s.n_periods < 1:
        problems.append(
            Problem(
                "meta.years",
                f"must give at least one period (round(years * periods_per_year) >= 1; "
                f"periods_per_year = {s.meta.periods_per_year})",
                s.meta.years,
            )
        )
    stall = s.hardware.stall_year
    if stall is not None and stall < s.meta.start_year:
        problems.append(Problem("hardware.stall_year", f"must be >= meta.start_year ({s.meta.start_year})", stall))
    return problems


def _check_thresholds(s: Scenario) -> list[Problem]:
    c = s.consumers
    if c.loguniform_min < c.loguniform_max:
        return []
    message = f"must be < consumers.loguniform_max ({format_value(c.loguniform_max)})"
    return [Problem("consumers.loguniform_min", message, c.loguniform_min)]


def _check_value_exponent(s: Scenario) -> list[Problem]:
    """Profit is unbounded when revenue grows at least as fast as compute: kappa * gamma >= 1."""
    gamma = s.scaling.gamma
    kappa = s.consumers.value_exponent
    if kappa * gamma < 1:
        return []
    overridden = any(getattr(s.scaling, key) is not None for key in ("alpha", "beta"))
    law = f"preset {s.scaling.preset}" + (" with overrides" if overridden else "")
    message = (
        f"must be < {1 / gamma:.5g} for scaling {law} (profit is unbounded when "
        f"value_exponent * gamma >= 1, gamma = alpha*beta/(alpha+beta) = {gamma:.4g})"
    )
    return [Problem("consumers.value_exponent", message, kappa)]


def _check_firms(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for i, firm in enumerate(s.firms):
        if firm.credit_limit > firm.cash:
            message = f"must be <= firms[{i}].cash ({format_value(firm.cash)})"
            problems.append(Problem(f"firms[{i}].credit_limit", message, firm.credit_limit))
        if firm.name in first_index:
            message = f"must be unique (already used by firms[{first_index[firm.name]}])"
            problems.append(Problem(f"firms[{i}].name", message, firm.name))
        first_index.setdefault(firm.name, i)
    leaders = [firm.name for firm in s.firms if firm.strategy != "open_weights"]
    allowed = ", ".join(json.dumps(name) for name in leaders) or "none in this scenario"
    for i, firm in enumerate(s.firms):
        if firm.strategy != "open_weights" or firm.leader in leaders:
            continue
        rule = f"must name another firm that is not open_weights (allowed: {allowed})"
        if firm.leader is None:
            problems.append(Problem(f"firms[{i}].leader", f"required for an open_weights firm; {rule}"))
        else:
            problems.append(Problem(f"firms[{i}].leader", rule, firm.leader))
    return problems


def _paths(s: Scenario) -> dict[str, tuple[float, float, float | None, float, str, str | None]]:
    """Each exogenous path of PATH_RANGES as (start, growth per year, years until the stall or None,
    growth per year after it, key of the growth before the stall, key of the growth after it or None)."""
    hw, data, cons = s.hardware, s.data, s.consumers
    stall = None if hw.stall_year is None else float(hw.stall_year - s.meta.start_year)
    return {
        "hardware": (hw.flop_per_dollar, hw.growth_per_year, stall, hw.growth_after_stall,
                     "hardware.growth_per_year", "hardware.growth_after_stall"),
        "data_stock": (data.stock_tokens, data.stock_growth_per_year, None, 1.0, "data.stock_growth_per_year", None),
        "data_efficiency": (data.efficiency, data.efficiency_growth_per_year, None, 1.0,
                            "data.efficiency_growth_per_year", None),
        "parameter_efficiency": (s.scaling.parameter_efficiency, s.scaling.parameter_efficiency_growth_per_year,
                                 None, 1.0, "scaling.parameter_efficiency_growth_per_year", None),
        "population": (cons.population, cons.population_growth_per_year, None, 1.0,
                       "consumers.population_growth_per_year", None),
    }


def _check_paths(s: Scenario) -> list[Problem]:
    """Each exogenous path (E, data stock, rho_D, rho_N, population) stays within PATH_RANGES over the run.

    Growth is exponential between the start, the stall and the end, so those times bound it; the
    check runs in logs (as the simulation's growth paths do), so that a path that would overflow is
    reported instead of computed.
    """
    if s.hardware.stall_year is not None and s.hardware.stall_year < s.meta.start_year:
        return []  # _check_time reports it
    end = s.n_periods * s.period_years
    problems = []
    for name, (start, growth, stall, growth_after, before, after) in _paths(s).items():
        label, low, high, unit = PATH_RANGES[name]
        times = np.array([0.0, end] if stall is None or stall >= end else [0.0, stall, end])
        span = times if stall is None else np.minimum(times, stall)
        logs = np.log(start) + span * np.log(growth)
        if stall is not None:
            logs = logs + np.maximum(times - stall, 0.0) * np.log(growth_after)
        outside = (logs > np.log(high)) | (logs < np.log(low))
        if not outside.any():
            continue
        first = int(np.argmax(outside))
        after_stall = after is not None and len(times) == 3 and first == 2 and not outside[1]
        key = after if after_stall else before
        section, field = key.split(".")
        value = getattr(getattr(s, section), field)
        reaches = f"10^{logs[first] / np.log(10):.1f}"
        message = (f"must keep {label} within {low:g} to {high:g} {unit} over the run "
                   f"(it would reach {reaches} in {s.meta.start_year + times[first]:g})")
        problems.append(Problem(key, message, value))
    return problems


#: The cross-field checks, in the order their problems are reported.
CROSS_CHECKS: tuple[Callable[[Scenario], list[Problem]], ...] = (
    _check_time, _check_thresholds, _check_value_exponent, _check_firms, _check_paths, uncertain_problems)
