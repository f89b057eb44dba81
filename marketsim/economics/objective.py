"""Profit and its gradient at one point (ln N, ln D) in plain floats, for the optimizer's local polish.

The same quantities as :meth:`marketsim.economics.problem.FirmProblem.profit_and_gradient`
(dollars; gradient with respect to ln N and ln D), computed without array operations: the polish
evaluates one point at a time, many times per decision, and array overheads dominated its cost.
The demand is asked once per point for each of ln n, ln w and their slopes (the only market
calls). Agreement with the array form is to rounding (tests/test_speed_equivalence.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from marketsim.economics.problem import FirmProblem

__all__ = ["scalar_profit_and_gradient"]


def _exp(x: float) -> float:
    """e^x, inf on overflow (as numpy)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def scalar_profit_and_gradient(problem: FirmProblem) -> Callable[[float, float], tuple[float, np.ndarray]]:
    """A function (ln N, ln D) -> (profit in dollars, its gradient in (ln N, ln D)) for ``problem``."""
    law, demand = problem.law, problem.demand
    A, B, alpha, beta = float(law.A), float(law.B), float(law.alpha), float(law.beta)
    ln_rho_N, ln_rho_D = math.log(problem.rho_N), math.log(problem.rho_D)
    T, E, c_D = float(problem.T), float(problem.E), float(problem.c_D)

    def evaluate(lnN: float, lnD: float) -> tuple[float, np.ndarray]:
        lnN, lnD = float(lnN), float(lnD)
        R_N = A * _exp(-alpha * (lnN + ln_rho_N))
        R_D = B * _exp(-beta * (lnD + ln_rho_D))
        R = R_N + R_D
        lnR = math.log(R)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ln_n = float(demand.log_adopters(lnR))
            ln_w = float(demand.log_value(lnR))
            d_ln_n = float(demand.dlog_adopters(lnR))
            d_ln_w = float(demand.dlog_value(lnR))
        n = _exp(ln_n)
        revenue = _exp(ln_n + ln_w)
        if math.isnan(revenue):
            revenue = 0.0  # 0 adopters x inf value
        serving_each = 2.0 * T * _exp(lnN) / E
        serving = n * serving_each
        train = 6.0 * _exp(lnN + lnD) / E
        data = c_D * _exp(lnD)
        profit = revenue - serving - train - data
        dprofit_dlnR = revenue * (d_ln_n + d_ln_w) - serving_each * n * d_ln_n
        if not math.isfinite(dprofit_dlnR):
            dprofit_dlnR = 0.0
        g_N = dprofit_dlnR * (-alpha * R_N / R) - serving - train
        g_D = dprofit_dlnR * (-beta * R_D / R) - train - data
        return profit, np.array([g_N, g_D])

    return evaluate
