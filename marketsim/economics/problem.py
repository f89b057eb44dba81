"""One firm's training problem and its answer: profit of a model (N parameters, D tokens) and the
:class:`Optimum` the optimizer returns (docs/theory.md §2-5).

    profit(N, D) = n(R) (w(R) - 2 N T / E) - 6 N D / E - c_D D,    R = R(N, D)

Money in dollars, E in FLOP per dollar, T tokens served per adopter per generation, c_D dollars per
training token. Searches over (N, D) are in :mod:`marketsim.economics.optimizer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from marketsim.economics.checks import require_positive
from marketsim.economics.demand import Demand
from marketsim.economics.scaling import ScalingLaw

__all__ = ["N_BOUNDS", "D_BOUNDS", "LN_N_BOUNDS", "LN_D_BOUNDS", "Regime", "Closure", "Optimum", "FirmProblem",
           "result_at", "no_train", "evaluate"]

N_BOUNDS = (1e5, 1e30)  # parameters
D_BOUNDS = (1e6, 1e33)  # tokens
LN_N_BOUNDS = (np.log(N_BOUNDS[0]), np.log(N_BOUNDS[1]))
LN_D_BOUNDS = (np.log(D_BOUNDS[0]), np.log(D_BOUNDS[1]))

Regime = Literal["compute-bound", "data-bound", "budget-bound", "no-train"]
Closure = Literal["cap", "additive"]


@dataclass(frozen=True)
class Optimum:
    """A firm's profit-optimal model for one generation.

    Attributes:
        N: parameters (0 when the firm does not train).
        D: training tokens (0 when the firm does not train).
        loss: L = E0 + R, nats per token (inf when not training).
        R: reducible loss, nats per token (inf when not training).
        adopters: people (or usage units) adopting the model.
        revenue: dollars per generation.
        training_cost: 6ND/E, dollars.
        serving_cost: adopters x 2NT/E, dollars per generation.
        data_cost: c_D D, dollars.
        profit: revenue - costs, dollars per generation.
        compute: 6ND, FLOP.
        regime: 'compute-bound', 'data-bound', 'budget-bound' or 'no-train'.
        converged: whether the final search met its tolerance.
    """

    N: float
    D: float
    loss: float
    R: float
    adopters: float
    revenue: float
    training_cost: float
    serving_cost: float
    data_cost: float
    profit: float
    compute: float
    regime: Regime
    converged: bool = True

    @property
    def trains(self) -> bool:
        """True unless the best choice is not to train."""
        return self.regime != "no-train"

    def as_dict(self) -> dict[str, float | str | bool]:
        """Plain dict (for JSON and tables)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class FirmProblem:
    """One firm's training problem: scaling law, market, prices of compute and data.

    Attributes:
        law: the scaling law.
        demand: the market (revenue per generation).
        E: hardware efficiency, FLOP per dollar.
        T: tokens served per adopter per generation (0 = no inference cost).
        c_D: data cost, dollars per training token.
        rho_N, rho_D: parameter- and data-efficiency multipliers.
    """

    law: ScalingLaw
    demand: Demand
    E: float
    T: float = 0.0
    c_D: float = 0.0
    rho_N: float = 1.0
    rho_D: float = 1.0

    def __post_init__(self) -> None:
        require_positive("E", self.E)
        require_positive("T", self.T, allow_zero=True)
        require_positive("c_D", self.c_D, allow_zero=True)
        require_positive("rho_N", self.rho_N)
        require_positive("rho_D", self.rho_D)
        exponent = self.demand.revenue_exponent()
        if exponent * self.law.gamma >= 1.0:
            raise ValueError(
                f"revenue exponent k = {exponent:g}: profit is unbounded when k * gamma >= 1; with the "
                f"{self.law.name} scaling law (gamma = {self.law.gamma:.4f}) k must be < {1 / self.law.gamma:.2f}"
            )

    @property
    def training_only(self) -> bool:
        """True when costs are training compute only (the exact 1-D case)."""
        return self.T == 0 and self.c_D == 0

    def lnN_match(self, lnD: np.ndarray | float) -> np.ndarray:
        """ln N_match(D): the compute-optimal model size for D tokens (cap closure)."""
        law = self.law
        ratio = np.log(law.alpha * law.A / (law.beta * law.B))
        return (ratio + law.beta * (np.asarray(lnD) + np.log(self.rho_D))) / law.alpha - np.log(self.rho_N)

    def terms(self, lnN: np.ndarray | float, lnD: np.ndarray | float, cap: bool = False) -> dict[str, np.ndarray]:
        """Revenue, costs and profit (dollars) at (ln N, ln D); ``cap`` applies the Leontief cap on N."""
        lnN = np.asarray(lnN, dtype=float)
        lnD = np.asarray(lnD, dtype=float)
        lnN_eff = np.minimum(lnN, self.lnN_match(lnD)) if cap else lnN
        R, R_N, R_D = self.law.reducible_loss_log(lnN_eff, lnD, self.rho_N, self.rho_D)
        lnR = np.log(R)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ln_n = self.demand.log_adopters(lnR)
            ln_w = self.demand.log_value(lnR)
            n = np.exp(ln_n)
            revenue = np.exp(ln_n + ln_w)
            serving_each = 2.0 * self.T * np.exp(lnN) / self.E
            serving = n * serving_each
            train = 6.0 * np.exp(lnN + lnD) / self.E
            data = self.c_D * np.exp(lnD)
        revenue = np.where(np.isnan(revenue), 0.0, revenue)  # 0 adopters x inf value
        profit = revenue - serving - train - data
        return dict(R=R, R_N=R_N, R_D=R_D, lnR=lnR, n=n, revenue=revenue, serving_each=serving_each,
                    serving=serving, train=train, data=data, profit=profit)

    def profit_and_gradient(self, lnN: float, lnD: float) -> tuple[float, np.ndarray]:
        """Profit (dollars) and its gradient with respect to (ln N, ln D)."""
        t = self.terms(lnN, lnD)
        d_ln_n = self.demand.dlog_adopters(t["lnR"])
        d_ln_w = self.demand.dlog_value(t["lnR"])
        with np.errstate(invalid="ignore"):
            dV = t["revenue"] * (d_ln_n + d_ln_w)  # dV/dlnR
            dS = t["serving_each"] * t["n"] * d_ln_n  # d(serving)/dlnR at fixed N
            dprofit_dlnR = dV - dS
            dprofit_dlnR = np.where(np.isfinite(dprofit_dlnR), dprofit_dlnR, 0.0)
        R = t["R"]
        g_N = dprofit_dlnR * (-self.law.alpha * t["R_N"] / R) - t["serving"] - t["train"]
        g_D = dprofit_dlnR * (-self.law.beta * t["R_D"] / R) - t["train"] - t["data"]
        return float(t["profit"]), np.array([float(g_N), float(g_D)])


def result_at(problem: FirmProblem, lnN: float, lnD: float, regime: Regime, converged: bool,
              cap: bool = False) -> Optimum:
    """The :class:`Optimum` record of the model at (ln N, ln D), clipped to the bounds (``cap``: Leontief cap on N)."""
    lnN = float(np.clip(lnN, *LN_N_BOUNDS))
    lnD = float(np.clip(lnD, *LN_D_BOUNDS))
    t = problem.terms(lnN, lnD, cap=cap)
    # exp(ln 1e6) rounds to 999999.9999999995: clip again so that a model on a bound is on it
    N, D = float(np.clip(np.exp(lnN), *N_BOUNDS)), float(np.clip(np.exp(lnD), *D_BOUNDS))
    return Optimum(
        N=N, D=D, loss=float(problem.law.E0 + t["R"]), R=float(t["R"]), adopters=float(t["n"]),
        revenue=float(t["revenue"]), training_cost=float(t["train"]), serving_cost=float(t["serving"]),
        data_cost=float(t["data"]), profit=float(t["profit"]), compute=6.0 * N * D, regime=regime,
        converged=converged,
    )


def no_train() -> Optimum:
    """The corner where the firm does not train: zero everything, infinite loss."""
    return Optimum(N=0.0, D=0.0, loss=float("inf"), R=float("inf"), adopters=0.0, revenue=0.0,
                   training_cost=0.0, serving_cost=0.0, data_cost=0.0, profit=0.0, compute=0.0,
                   regime="no-train", converged=True)


def evaluate(law: ScalingLaw, demand: Demand, E: float, N: float, D: float, *, T: float = 0.0,
             c_D: float = 0.0, rho_N: float = 1.0, rho_D: float = 1.0) -> Optimum:
    """Revenue, costs and profit (dollars) of a given model (N parameters, D tokens), not optimised."""
    require_positive("N", N)
    require_positive("D", D)
    problem = FirmProblem(law=law, demand=demand, E=E, T=T, c_D=c_D, rho_N=rho_N, rho_D=rho_D)
    return result_at(problem, float(np.log(N)), float(np.log(D)), "compute-bound", True)
