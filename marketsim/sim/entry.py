"""Entry and exit of firms (docs/theory.md, Entry and exit).

Two stages of :meth:`marketsim.sim.model.MarketModel.step`:

- :func:`enter_firms`, right after the world advances: a firm outside the market whose
  ``entry_year`` has come (or that has none) enters. A firm with ``potential = false`` enters on
  that date whatever its prospects (the old ``entry_year`` behaviour); a potential entrant enters
  only when :func:`entry_margin` is positive: its expected horizon profit net of the entry cost
  (a profit seeker), or the funding left after the entry cost and its first model (a free
  open-weights lab). On entry it pays ``entry_cost`` (dollars, sunk) and then decides like any firm.
- :func:`exit_firms`, after accounts are settled: a firm that sells for a profit exits once its
  expected horizon profit (:func:`staying_value`) has been negative ``market.exit_after_loss_periods``
  periods in a row. Insolvency exits (cash below the credit limit) happen when the firm settles
  (:meth:`marketsim.sim.firm.FirmAgent.settle`).

The reason of every exit is recorded (:data:`EXIT_INSOLVENT`, :data:`EXIT_LOSSES`: firms.csv
``exit_reason``); the value the entry or exit test used is firms.csv ``expected_profit``.
Money in dollars; "horizon" is the firm's ``horizon_periods``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from marketsim.sim.firm import EXIT_INSOLVENT, FirmAgent
from marketsim.sim.strategies import OpenWeights, ProfitOptimal, decide_training

__all__ = ["EXIT_INSOLVENT", "EXIT_LOSSES", "expected_profit", "entry_margin", "staying_value", "enter_firms",
           "exit_firms"]

#: firms.csv ``exit_reason`` of a firm whose expected profit stayed negative (market.exit_after_loss_periods).
EXIT_LOSSES = "persistent losses"


def expected_profit(firm: FirmAgent, budget: float | None = None) -> float:
    """Expected profit over the firm's horizon of the model the profit-optimal decision would train
    now against the rivals' models on sale, net of the fixed cost over the horizon (dollars).

    It is the profit-optimal firm's own evaluation (:func:`~marketsim.sim.strategies.decide_training`
    on :meth:`ProfitOptimal.context <marketsim.sim.strategies.ProfitOptimal.context>`), as if the firm
    had no model yet; ``budget`` (dollars) replaces what the firm can finance. When no model is
    worth training the firm earns nothing and still pays the fixed cost.
    """
    ctx = replace(ProfitOptimal.context(firm), current=None, warm_start=None)
    if budget is not None:
        ctx = replace(ctx, max_spend=budget)
    chosen = decide_training(ctx)
    gross = 0.0 if chosen is None else float(chosen.profit)
    return gross - firm.config.fixed_cost_per_period * firm.config.horizon_periods


def entry_margin(firm: FirmAgent) -> float:
    """Dollars by which entering now clears the bar; a potential entrant enters when this is > 0.

    A profit seeker: :func:`expected_profit` (with its budget net of the entry cost) minus the entry
    cost. A free open-weights lab (price 0, funded by a parent): its per-model budget, capped by what
    it can finance, minus the entry cost and the discounted cost of following the leader's latest
    model now (:meth:`OpenWeights.follow_cost <marketsim.sim.strategies.OpenWeights.follow_cost>`;
    -inf while the leader has no model).
    """
    cfg = firm.config
    funds = firm.max_spend - cfg.entry_cost
    if isinstance(firm.strategy, OpenWeights):
        return min(cfg.follow_budget, funds) - firm.strategy.follow_cost(firm)
    return expected_profit(firm, budget=max(funds, 0.0)) - cfg.entry_cost


def staying_value(firm: FirmAgent) -> float:
    """Expected profit over the horizon of staying in the market (dollars): keeping the model on sale
    (this period's revenue - serving cost - fixed cost, expected to last the horizon) or, for a
    profit-optimal firm whose next retraining point falls within its horizon, the profit-optimal new
    model (:func:`expected_profit`) if that is better. A firm that follows a fixed rule (fixed_growth)
    does not re-optimise, so it judges staying on its operating profit alone. The new model is
    evaluated only when keeping loses money: otherwise staying is already worth at least zero.
    """
    horizon = firm.config.horizon_periods
    keep = horizon * (firm.revenue - firm.serving_cost - firm.fixed_cost)
    retrains = firm.deployed is None or firm.model.steps + horizon - firm.last_start >= firm.retrain_every
    if keep >= 0 or not retrains or not isinstance(firm.strategy, ProfitOptimal):
        return keep
    return max(keep, expected_profit(firm))


def enter_firms(firms: Sequence[FirmAgent], year: float) -> None:
    """Stage: the firms whose date has come enter (module docstring), in scenario order.

    Entrants of one period judge the market as it is: none sees the others' models before they are
    on sale.
    """
    for firm in firms:
        firm.expected_profit = float("nan")
        if firm.entered or not firm.alive:
            continue
        entry_year = firm.config.entry_year
        if entry_year is not None and year < entry_year:
            continue
        if firm.config.potential:
            margin = entry_margin(firm)
            # -inf (an open-weights lab whose leader has nothing to follow yet) is no estimate: the
            # table shows a missing value, not an infinity
            firm.expected_profit = margin if math.isfinite(margin) else float("nan")
            if not margin > 0:
                continue
        firm.enter()


def exit_firms(firms: Sequence[FirmAgent], after_loss_periods: int | None) -> None:
    """Stage: a firm selling for a profit exits once :func:`staying_value` has been negative
    ``after_loss_periods`` periods in a row (None: never; a firm with a model in training is
    committed to it and is not judged)."""
    if after_loss_periods is None:
        return
    for firm in firms:
        if not firm.active or not firm.strategy.seeks_profit or firm.pending is not None:
            continue
        firm.expected_profit = staying_value(firm)
        firm.loss_periods = firm.loss_periods + 1 if firm.expected_profit < 0 else 0
        if firm.loss_periods >= after_loss_periods:
            firm.leave(EXIT_LOSSES)
