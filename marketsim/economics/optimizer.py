"""The profit-maximising choice of model size N and training tokens D (theory.md sections 2-5).

    profit(N, D) = n(R) (w(R) - 2 N T / E) - 6 N D / E - c_D D,    R = R(N, D)

All searches run in log variables with the objective divided by a revenue scale, following the
robust recipe of theory.md section 5:

- training only (T = c_D = 0): the problem is exactly one-dimensional in x = ln C; scan the
  log-FOC g(x) = ln(gamma W(R*)) - (x - ln E) on a grid, refine every + to - sign change with
  brentq, keep the best root and compare it with not training;
- general (inference or data cost): scan the compute-optimal frontier for a start, then polish
  with L-BFGS-B on (ln N, ln D) with the analytic gradient from two starts (warm start optional);
- data-bound (D* above the usable stock D_bar): D = D_bar and a scan + bounded Brent search over
  ln N, capped at N_match(D_bar) under the default "cap" closure (theory.md section 4);
- budget-bound (training cost above ``max_spend``): compute fixed at E max_spend, the split chosen
  by scan + bounded Brent.

Every result is compared with not training (profit 0); no result is NaN or outside the bounds
N in [1e5, 1e30] parameters and D in [1e6, 1e33] tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize as sopt

from marketsim.economics._checks import require_positive
from marketsim.economics.demand import Demand
from marketsim.economics.scaling import ScalingLaw

LN_N_BOUNDS = (np.log(1e5), np.log(1e30))
LN_D_BOUNDS = (np.log(1e6), np.log(1e33))
LN_C_SCAN = (np.log(1e10), np.log(1e50))
_SCAN_POINTS = 300

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
    def spend(self) -> float:
        """Training spend in dollars (alias of training_cost)."""
        return self.training_cost

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


def _result(problem: FirmProblem, lnN: float, lnD: float, regime: Regime, converged: bool,
            cap: bool = False) -> Optimum:
    lnN = float(np.clip(lnN, *LN_N_BOUNDS))
    lnD = float(np.clip(lnD, *LN_D_BOUNDS))
    t = problem.terms(lnN, lnD, cap=cap)
    N, D = float(np.exp(lnN)), float(np.exp(lnD))
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


def _frontier_scan(problem: FirmProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Profit along the compute-optimal frontier on a grid of ln C, restricted to the bounds."""
    x = np.linspace(*LN_C_SCAN, _SCAN_POINTS)
    lnN, lnD = problem.law.compute_optimal_log(x, problem.rho_N, problem.rho_D)
    inside = ((lnN >= LN_N_BOUNDS[0]) & (lnN <= LN_N_BOUNDS[1])
              & (lnD >= LN_D_BOUNDS[0]) & (lnD <= LN_D_BOUNDS[1]))
    x, lnN, lnD = x[inside], lnN[inside], lnD[inside]
    return x, lnN, lnD, problem.terms(lnN, lnD)["profit"]


def _training_only(problem: FirmProblem) -> tuple[float, float, bool] | None:
    """Exact 1-D solution in ln C (brentq on the log-FOC); None when not training is best."""
    law, demand = problem.law, problem.demand
    ln_rho6 = np.log(problem.rho_N * problem.rho_D / 6.0)

    def log_foc(x: np.ndarray | float) -> np.ndarray:
        lnR = np.log(law.K_R) - law.gamma * (np.asarray(x) + ln_rho6)
        with np.errstate(divide="ignore", invalid="ignore"):
            lnV = demand.log_adopters(lnR) + demand.log_value(lnR)
            elasticity = -(demand.dlog_adopters(lnR) + demand.dlog_value(lnR))
            g = np.log(law.gamma) + lnV + np.log(elasticity) - (np.asarray(x) - np.log(problem.E))
        return np.where(np.isfinite(g), g, -np.inf)

    x, lnN, lnD, profit = _frontier_scan(problem)
    g = log_foc(x)
    candidates: list[float] = []
    for i in np.flatnonzero((g[:-1] > 0) & (g[1:] <= 0)):
        if np.isfinite(g[i + 1]):
            candidates.append(sopt.brentq(log_foc, x[i], x[i + 1], xtol=1e-13, rtol=1e-15))
        else:  # FOC drops to -inf (no adopters beyond this point): bisect on finiteness
            candidates.append(x[i])
    if not candidates:
        best = int(np.argmax(profit))
        if profit[best] <= 0:
            return None
        candidates.append(x[best])
    best_x, best_profit = None, 0.0
    for xc in candidates:
        lnNc, lnDc = law.compute_optimal_log(xc, problem.rho_N, problem.rho_D)
        p = float(problem.terms(lnNc, lnDc)["profit"])
        if p > best_profit:
            best_x, best_profit = xc, p
    if best_x is None:
        return None
    lnNb, lnDb = law.compute_optimal_log(best_x, problem.rho_N, problem.rho_D)
    return float(lnNb), float(lnDb), True


def _polish_2d(problem: FirmProblem, starts: list[tuple[float, float]],
               min_starts: int = 1) -> tuple[float, float, bool] | None:
    """L-BFGS-B on (ln N, ln D) with the scaled analytic gradient; best of several starts."""
    best: tuple[float, float, bool] | None = None
    best_profit = 0.0
    for i, (lnN0, lnD0) in enumerate(starts):
        if i >= min_starts and best is not None and best[2]:
            break  # a converged answer from the preferred starts; the others are fallbacks
        p0, _ = problem.profit_and_gradient(lnN0, lnD0)
        scale = max(abs(p0), float(problem.terms(lnN0, lnD0)["revenue"]), 1.0)

        def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
            p, g = problem.profit_and_gradient(v[0], v[1])
            return -p / scale, -g / scale

        res = sopt.minimize(objective, np.array([lnN0, lnD0]), jac=True, method="L-BFGS-B",
                            bounds=[LN_N_BOUNDS, LN_D_BOUNDS],
                            options=dict(ftol=1e-15, gtol=1e-11, maxiter=500))
        p, g = problem.profit_and_gradient(res.x[0], res.x[1])
        if not np.isfinite(p) or p <= best_profit:
            continue
        at_bound = [np.isclose(res.x[0], b) for b in LN_N_BOUNDS] + [np.isclose(res.x[1], b) for b in LN_D_BOUNDS]
        converged = bool(np.max(np.abs(g)) <= 1e-6 * scale or any(at_bound))
        best, best_profit = (float(res.x[0]), float(res.x[1]), converged), p
    return best


def _scan_1d(f, lo: float, hi: float, points: int = 160) -> tuple[float, float, bool]:
    """Maximise a scalar function of one log variable on [lo, hi] by a scan plus bounded Brent."""
    grid = np.linspace(lo, hi, points)
    values = f(grid)
    values = np.where(np.isfinite(values), values, -np.inf)
    i = int(np.argmax(values))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, points - 1)]
    if b - a <= 0:
        return float(grid[i]), float(values[i]), True
    res = sopt.minimize_scalar(lambda v: -float(f(v)), bounds=(a, b), method="bounded",
                               options=dict(xatol=1e-10))
    if res.success and -res.fun >= values[i]:
        return float(res.x), float(-res.fun), True
    return float(grid[i]), float(values[i]), bool(res.success)


def _data_bound(problem: FirmProblem, lnD_bar: float, closure: Closure) -> tuple[float, float, bool]:
    """Best ln N with D = D_bar (and N <= N_match(D_bar) under the cap closure)."""
    hi = float(problem.lnN_match(lnD_bar)) if closure == "cap" else LN_N_BOUNDS[1]
    hi = min(max(hi, LN_N_BOUNDS[0]), LN_N_BOUNDS[1])
    lnN, _, converged = _scan_1d(lambda v: problem.terms(v, lnD_bar)["profit"], LN_N_BOUNDS[0], hi)
    return lnN, lnD_bar, converged


def _budget_bound(problem: FirmProblem, lnC6: float, lnD_bar: float | None, cap: bool) -> tuple[float, float, bool]:
    """Best split of a fixed compute budget (ln(C/6) = ln N + ln D), respecting D <= D_bar."""
    lo = max(LN_N_BOUNDS[0], lnC6 - LN_D_BOUNDS[1])
    if lnD_bar is not None:
        lo = max(lo, lnC6 - lnD_bar)
    hi = min(LN_N_BOUNDS[1], lnC6 - LN_D_BOUNDS[0])
    if hi <= lo:
        return lo, lnC6 - lo, False
    lnN, _, converged = _scan_1d(lambda v: problem.terms(v, lnC6 - v, cap=cap)["profit"], lo, hi)
    return lnN, lnC6 - lnN, converged


def optimize(
    law: ScalingLaw,
    demand: Demand,
    E: float,
    *,
    T: float = 0.0,
    c_D: float = 0.0,
    D_bar: float | None = None,
    closure: Closure = "cap",
    rho_N: float = 1.0,
    rho_D: float = 1.0,
    max_spend: float | None = None,
    warm_start: tuple[float, float] | None = None,
) -> Optimum:
    """Profit-optimal (N, D) for one model generation.

    Args:
        law: scaling law L(N, D).
        demand: market; revenue per generation in dollars.
        E: hardware efficiency, FLOP per dollar (> 0).
        T: tokens served per adopter per generation (inference cost 2NT/E per adopter).
        c_D: data cost, dollars per training token.
        D_bar: usable data stock in tokens (None = unlimited). When the compute-bound D* exceeds
            it, D = D_bar and N is re-optimised (data-bound regime).
        closure: data-bound closure, 'cap' (N <= N_match(D_bar), default; spend ~ D_bar^2/E) or
            'additive' (plain Chinchilla law).
        rho_N, rho_D: parameter- and data-efficiency multipliers.
        max_spend: most the firm can spend on training, dollars (None = unlimited; <= 0 = cannot train).
        warm_start: (N, D) of a previous optimum to try as an extra start.

    Returns:
        The :class:`Optimum` (regime 'no-train' when no model earns a positive profit).
    """
    if closure not in ("cap", "additive"):
        raise ValueError(f"closure = {closure!r}: allowed 'cap' or 'additive'")
    if D_bar is not None:
        require_positive("D_bar", D_bar)
    if max_spend is not None and not np.isfinite(max_spend):
        raise ValueError(f"max_spend = {max_spend!r}: must be a finite number of dollars or None")
    problem = FirmProblem(law=law, demand=demand, E=E, T=T, c_D=c_D, rho_N=rho_N, rho_D=rho_D)
    if max_spend is not None and max_spend <= 0:
        return no_train()

    # 1. Compute-bound optimum.
    if problem.training_only:
        solution = _training_only(problem)
    else:
        x, lnN, lnD, profit = _frontier_scan(problem)
        i = int(np.argmax(profit))
        starts = [(float(lnN[i]), float(lnD[i])), (float(lnN[i]) - 1.0, float(lnD[i]) + 1.0)]
        if warm_start is not None and all(v > 0 for v in warm_start):
            starts.insert(0, (float(np.log(warm_start[0])), float(np.log(warm_start[1]))))
        solution = _polish_2d(problem, starts)
    if solution is None:
        return no_train()
    lnN_opt, lnD_opt, converged = solution
    regime: Regime = "compute-bound"
    lnD_bar = None if D_bar is None else float(np.log(D_bar))

    # 2. Data-bound: the usable stock caps D.
    if lnD_bar is not None and lnD_opt > lnD_bar:
        lnN_opt, lnD_opt, converged = _data_bound(problem, lnD_bar, closure)
        regime = "data-bound"

    # 3. Budget-bound: the firm cannot finance the training run.
    cap = closure == "cap" and regime == "data-bound"
    if max_spend is not None and 6.0 * np.exp(lnN_opt + lnD_opt) / E > max_spend * (1 + 1e-12):
        lnC6 = float(np.log(max_spend * E / 6.0))
        lnN_opt, lnD_opt, converged = _budget_bound(problem, lnC6, lnD_bar, cap=closure == "cap")
        regime, cap = "budget-bound", closure == "cap"

    result = _result(problem, lnN_opt, lnD_opt, regime, converged, cap=cap)
    if not result.profit > 0:
        return no_train()
    return result


def evaluate(law: ScalingLaw, demand: Demand, E: float, N: float, D: float, *, T: float = 0.0,
             c_D: float = 0.0, rho_N: float = 1.0, rho_D: float = 1.0) -> Optimum:
    """Revenue, costs and profit (dollars) of a given model (N parameters, D tokens), not optimised."""
    require_positive("N", N)
    require_positive("D", D)
    problem = FirmProblem(law=law, demand=demand, E=E, T=T, c_D=c_D, rho_N=rho_N, rho_D=rho_D)
    return _result(problem, float(np.log(N)), float(np.log(D)), "compute-bound", True)
