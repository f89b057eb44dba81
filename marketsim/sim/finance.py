"""Money: how a firm pays for training and what it does with cash it cannot use (docs/theory.md, "Money").

Pure functions; :class:`~marketsim.sim.firm.FirmAgent` calls them. All money in dollars, flows per
period. A firm finances a training run, in this order (a pecking order: internal funds, then debt,
then outside equity):

1. **cash** it holds;
2. **the credit line**: it may borrow until its cash reaches ``credit_limit`` (negative = debt
   allowed); the line is interest-free (assumption) and a firm whose cash falls below the limit
   exits;
3. **equity** from outside investors (:func:`equity_capacity`, the investor rule): investors expect
   the firm's last operating profit (revenue - serving cost - fixed cost of the last period) to
   continue over its planning horizon, and fund at most ``equity_multiple`` times that expected
   horizon profit; nothing when it is not positive. Equity is raised only for the part of a training
   run that cash and the credit line cannot pay (:func:`equity_raised`); it is never repaid.

A **research run** (docs/theory.md "Research budgets") is paid differently: a profit-optimal lab with
a research budget (``research_budget`` dollars per year, growing by ``research_budget_growth_per_year``
per year; :func:`research_spend`) whose profit-optimal model would cost less than that budget for the
cycle trains the compute-optimal model of the budget instead, and investors or a parent company pay
all of it: it is booked as ``raised`` in full, so it neither draws on cash and credit nor depends on
revenue, and it never makes the lab insolvent.

After settling a period in which it earned an operating profit, a firm **pays out** (dividends or
buy-backs) the cash above a reserve (:func:`payout`): ``payout_reserve_periods`` periods of its
running cost (fixed plus serving cost) plus its expected training cost per period (its last training
run's cost spread over ``retrain_every_periods``; on top of the credit limit when that is positive),
so that cash does not pile up. Nothing is paid out
while the firm is in debt or loses money, or before its first training run (its starting cash is
there to pay for it).

These flows keep one identity exact, every period and for every firm (tests/test_finance.py):

    cash_t = cash_{t-1} + revenue - serving_cost - training_cost - fixed_cost + raised - paid_out
"""

from __future__ import annotations

from dataclasses import dataclass

from marketsim.config import Firm as FirmConfig

__all__ = ["FinancePolicy", "internal_funds", "equity_capacity", "financing_capacity", "equity_raised", "payout_reserve", "payout",
           "research_spend"]


@dataclass(frozen=True)
class FinancePolicy:
    """A firm's financing rules (the scenario's ``[[firms]]`` keys of the same names).

    Attributes:
        credit_limit: dollars; cash may fall to this (negative = a credit line of -credit_limit dollars).
        equity_multiple: investors fund at most this multiple of the expected horizon operating profit
            (dimensionless; 0 = no outside equity).
        horizon_periods: periods over which investors expect the last operating profit to continue.
        payout_reserve_periods: periods of fixed plus expected training cost kept as a reserve; cash
            above it is paid out.
        retrain_every_periods: periods between training runs (spreads a run's cost per period).
    """

    credit_limit: float
    equity_multiple: float
    horizon_periods: int
    payout_reserve_periods: float
    retrain_every_periods: int

    @classmethod
    def of(cls, config: FirmConfig) -> "FinancePolicy":
        """The policy of a scenario ``[[firms]]`` entry."""
        return cls(credit_limit=config.credit_limit, equity_multiple=config.equity_multiple,
                   horizon_periods=config.horizon_periods, payout_reserve_periods=config.payout_reserve_periods,
                   retrain_every_periods=config.retrain_every_periods)


def internal_funds(cash: float, policy: FinancePolicy) -> float:
    """Cash plus what the credit line still allows: cash - credit_limit, at least 0 (dollars)."""
    return max(cash - policy.credit_limit, 0.0)


def equity_capacity(last_operating_profit: float, policy: FinancePolicy) -> float:
    """The investor rule: at most ``equity_multiple x horizon_periods x last operating profit`` dollars,
    0 unless that expected profit is positive.

    Args:
        last_operating_profit: revenue - serving cost - fixed cost of the firm's last period (dollars
            per period); investors expect it to continue over the horizon (static expectations).
    """
    expected = last_operating_profit * policy.horizon_periods
    return policy.equity_multiple * expected if expected > 0 else 0.0


def financing_capacity(cash: float, last_operating_profit: float, policy: FinancePolicy) -> float:
    """Most a firm can spend on training now: internal funds plus the equity investors will provide (dollars)."""
    return internal_funds(cash, policy) + equity_capacity(last_operating_profit, policy)


def equity_raised(cost: float, cash: float, last_operating_profit: float, policy: FinancePolicy) -> float:
    """Equity raised to pay a training run of ``cost`` dollars: the part internal funds cannot pay,
    at most what investors provide (:func:`equity_capacity`); dollars, >= 0.

    The caller has checked ``cost <= financing_capacity(...)`` to rounding; a shortfall of rounding
    size beyond the capacity is left on the credit line.
    """
    shortfall = max(cost - internal_funds(cash, policy), 0.0)
    return min(shortfall, equity_capacity(last_operating_profit, policy))


def payout_reserve(running_cost: float, last_training_run: float, policy: FinancePolicy) -> float:
    """Cash a firm keeps (dollars): ``payout_reserve_periods x (running_cost + last_training_run / retrain_every_periods)``.

    Args:
        running_cost: fixed plus serving cost of this period (dollars per period).
        last_training_run: cost of the firm's latest training run (dollars; 0 if none yet).
    """
    return policy.payout_reserve_periods * (running_cost + last_training_run / policy.retrain_every_periods)


def payout(cash: float, operating_profit: float, running_cost: float, last_training_run: float,
           policy: FinancePolicy) -> float:
    """Dollars paid out this period: cash above the reserve (:func:`payout_reserve`), which sits on top
    of a positive credit limit (cash the firm must hold) and is never borrowed for.

    0 when the firm holds less than its reserve, does not earn an operating profit this period
    (``operating_profit`` = revenue - serving - fixed cost <= 0: a loss-making firm, such as a free
    open-weights lab, keeps its cash to cover its losses), or has not trained a model yet
    (``last_training_run`` 0: its cash is there to pay for the first).
    """
    if operating_profit <= 0 or last_training_run <= 0:
        return 0.0
    floor = max(policy.credit_limit, 0.0) + payout_reserve(running_cost, last_training_run, policy)
    return max(cash - floor, 0.0)


def research_spend(budget_per_year: float, growth_per_year: float, years_since: float, cycle_years: float) -> float:
    """A lab's research budget for one retraining cycle, dollars:
    ``budget_per_year x growth_per_year ** years_since x cycle_years``.

    Args:
        budget_per_year: ``research_budget``, dollars per year at the reference year (meta.start_year,
            or entry_year for a lab entering later); 0 = no research budget.
        growth_per_year: ``research_budget_growth_per_year``, factor per year.
        years_since: years from the reference year to now (clipped at 0).
        cycle_years: years between the lab's training decisions (retrain_every_periods x period length).
    """
    if budget_per_year <= 0:
        return 0.0
    return budget_per_year * growth_per_year ** max(years_since, 0.0) * cycle_years
