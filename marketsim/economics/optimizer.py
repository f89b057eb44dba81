"""The profit-maximising choice of model size N and training tokens D (docs/theory.md §2-5).

    profit(N, D) = n(R) (w(R) - 2 N T / E) - 6 N D / E - c_D D,    R = R(N, D)

All searches run in log variables with the objective divided by a revenue scale, following the
robust recipe of docs/theory.md §5:

- training only (T = c_D = 0): the problem is exactly one-dimensional in x = ln C; scan the
  log-FOC g(x) = ln(gamma W(R*)) - (x - ln E) on a grid, refine every + to - sign change with
  brentq, keep the best root and compare it with not training;
- general (inference or data cost): a global stage, then a local polish. Revenue depends on
  (N, D) only through the reducible loss R, so the global stage is a grid on (ln R, share of R
  from the parameter term): every R of the whole box is scanned (a lognormal share times a growing
  value per adopter can make profit bimodal in R, with one narrow peak), and along each iso-loss
  curve the share axis finds the cheapest (N, D) for that loss, however far from the compute-optimal
  frontier inference costs push it. The best local maxima in R (and the warm start) are then
  polished with L-BFGS-B on (ln N, ln D) with the analytic gradient; the training-only path uses the
  same grid when its optimum lies on an edge of the bounds;
- data-bound (D* above the usable stock D_bar): D = D_bar and a scan + bounded Brent search over
  ln N, capped at N_match(D_bar) under the default "cap" closure (docs/theory.md §4);
- budget-bound (training cost above ``max_spend``): compute fixed at E max_spend, the split chosen
  by scan + bounded Brent.

When the stock or the budget binds, the best model strictly inside them (another peak of a bimodal
profit, found on the same grid) competes with the boundary solution. Every result is compared with
not training (profit 0); no result is NaN or outside the bounds N in [1e5, 1e30] parameters and D in
[1e6, 1e33] tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize as sopt

from marketsim.economics.checks import require_positive
from marketsim.economics.demand import Demand
from marketsim.economics.objective import scalar_profit_and_gradient
from marketsim.economics.problem import (LN_D_BOUNDS, LN_N_BOUNDS, Closure, FirmProblem, Optimum, Regime,
                                         no_train, result_at)
from marketsim.economics.scaling import ScalingLaw

LN_C_SCAN = (np.log(1e10), np.log(1e50))
_SCAN_POINTS = 300
#: Global stage: points on the ln R axis (about 0.13 nats apart over the whole box, finer than the
#: narrowest profit peak seen in bimodal lognormal-share markets) ...
_R_POINTS = 161
#: ... and logits of the parameter term's share of R (s = 1/(1 + e^-t); 0.5 apart from ~6e-6 to 1 - 6e-6).
_SHARE_LOGITS = np.linspace(-12.0, 12.0, 49)
#: Most local maxima in R (best first) that the local stage polishes.
_POLISH_PEAKS = 2


def _frontier_scan(problem: FirmProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Profit along the compute-optimal frontier on a grid of ln C, restricted to the bounds."""
    x = np.linspace(*LN_C_SCAN, _SCAN_POINTS)
    lnN, lnD = problem.law.compute_optimal_log(x, problem.rho_N, problem.rho_D)
    inside = ((lnN >= LN_N_BOUNDS[0]) & (lnN <= LN_N_BOUNDS[1])
              & (lnD >= LN_D_BOUNDS[0]) & (lnD <= LN_D_BOUNDS[1]))
    x, lnN, lnD = x[inside], lnN[inside], lnD[inside]
    return x, lnN, lnD, problem.terms(lnN, lnD)["profit"]


def _training_only(problem: FirmProblem) -> tuple[tuple[float, float, bool] | None, bool]:
    """Exact 1-D solution in ln C (brentq on the log-FOC), None when not training is best; and
    whether the best model may instead lie on an edge of the bounds.

    Where the frontier leaves the bounds (or the scanned compute range) while profit still rises
    toward that edge, the best model may run along a bound, off the frontier: the caller then
    checks the 2-D grid.
    """
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
    if x.size == 0:
        return None, True
    g = log_foc(x)
    candidates: list[float] = []
    for i in np.flatnonzero((g[:-1] > 0) & (g[1:] <= 0)):
        if np.isfinite(g[i + 1]):
            candidates.append(sopt.brentq(log_foc, x[i], x[i + 1], xtol=1e-13, rtol=1e-15))
        else:  # FOC drops to -inf (no adopters beyond this point): bisect on finiteness
            candidates.append(x[i])
    best_x, best_profit = None, 0.0
    for xc in candidates:
        lnNc, lnDc = law.compute_optimal_log(xc, problem.rho_N, problem.rho_D)
        p = float(problem.terms(lnNc, lnDc)["profit"])
        if p > best_profit:
            best_x, best_profit = xc, p
    at_edge = bool((np.isfinite(g[0]) and g[0] < 0) or g[-1] > 0 or max(profit[0], profit[-1]) > best_profit)
    if best_x is None:
        return None, at_edge
    lnNb, lnDb = law.compute_optimal_log(best_x, problem.rho_N, problem.rho_D)
    return (float(lnNb), float(lnDb), True), at_edge


def _polish_2d(problem: FirmProblem, starts: list[tuple[float, float]], min_starts: int = 1,
               lnD_max: float | None = None) -> tuple[float, float, bool] | None:
    """L-BFGS-B on (ln N, ln D) with the scaled analytic gradient; best of several starts.

    Starts after the first ``min_starts`` are fallbacks, tried only while no start has converged.
    ``lnD_max`` lowers the upper bound on ln D (a data stock); None when the profit is never positive.
    """
    bounds = [LN_N_BOUNDS, LN_D_BOUNDS if lnD_max is None else (LN_D_BOUNDS[0], min(LN_D_BOUNDS[1], lnD_max))]
    best: tuple[float, float, bool] | None = None
    best_profit = 0.0
    profit_and_gradient = scalar_profit_and_gradient(problem)
    for i, (lnN0, lnD0) in enumerate(starts):
        lnN0, lnD0 = float(np.clip(lnN0, *bounds[0])), float(np.clip(lnD0, *bounds[1]))
        if i >= min_starts and best is not None and best[2]:
            break  # a converged answer from the preferred starts; the others are fallbacks
        p0, _ = profit_and_gradient(lnN0, lnD0)
        scale = max(abs(p0), float(problem.terms(lnN0, lnD0)["revenue"]), 1.0)
        last: list = [None, 0.0, None]  # the last point evaluated, its profit and gradient

        def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
            p, g = profit_and_gradient(v[0], v[1])
            last[:] = [(float(v[0]), float(v[1])), p, g]
            return -p / scale, -g / scale

        res = sopt.minimize(objective, np.array([lnN0, lnD0]), jac=True, method="L-BFGS-B",
                            bounds=bounds, options=dict(ftol=1e-15, gtol=1e-11, maxiter=500))
        x = (float(res.x[0]), float(res.x[1]))
        p, g = (last[1], last[2]) if last[0] == x else profit_and_gradient(*x)
        if not np.isfinite(p) or p <= best_profit:
            continue
        at_bound = [np.isclose(res.x[0], b) for b in bounds[0]] + [np.isclose(res.x[1], b) for b in bounds[1]]
        converged = bool(np.max(np.abs(g)) <= 1e-6 * scale or any(at_bound))
        best, best_profit = (float(res.x[0]), float(res.x[1]), converged), p
    return best


@dataclass(frozen=True)
class _IsoLossGrid:
    """Profit on the global-stage grid: rows are ln R values, columns logits t of the share s of R
    from the parameter term (A (rho_N N)^-alpha = s R and B (rho_D D)^-beta = (1 - s) R).

    Attributes:
        problem: the firm's problem.
        lnR: ln reducible loss of each row.
        revenue: dollars at each row's loss.
        serving_per_parameter: serving cost per parameter at each row's loss, dollars.
        lnN, lnD: ln parameters and ln tokens at each point (shape (rows, columns)).
        profit: dollars; -inf outside the bounds.
    """

    problem: FirmProblem
    lnR: np.ndarray
    revenue: np.ndarray
    serving_per_parameter: np.ndarray
    lnN: np.ndarray
    lnD: np.ndarray
    profit: np.ndarray

    def point(self, lnR: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ln N, ln D) at ln R and share logit t (exact for extreme logits)."""
        law, problem = self.problem.law, self.problem
        ln_s, ln_rest = -np.logaddexp(0.0, -t), -np.logaddexp(0.0, t)
        lnN = (np.log(law.A) - law.alpha * np.log(problem.rho_N) - ln_s - lnR) / law.alpha
        lnD = (np.log(law.B) - law.beta * np.log(problem.rho_D) - ln_rest - lnR) / law.beta
        return lnN, lnD


def _iso_loss_grid(problem: FirmProblem) -> _IsoLossGrid:
    """Profit on a grid of (ln R, share logit) covering every loss reachable inside the bounds.

    Demand is evaluated once per R; only the costs vary along a row.
    """
    law = problem.law
    R_lo = law.reducible_loss_log(LN_N_BOUNDS[1], LN_D_BOUNDS[1], problem.rho_N, problem.rho_D)[0]
    R_hi = law.reducible_loss_log(LN_N_BOUNDS[0], LN_D_BOUNDS[0], problem.rho_N, problem.rho_D)[0]
    lnR = np.linspace(np.log(R_lo), np.log(R_hi), _R_POINTS)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln_n = problem.demand.log_adopters(lnR)
        revenue = np.exp(ln_n + problem.demand.log_value(lnR))
        revenue = np.where(np.isnan(revenue), 0.0, revenue)  # 0 adopters x inf value, as in terms()
        serving_per_parameter = np.exp(ln_n) * (2.0 * problem.T / problem.E)
    empty = np.zeros((0, 0))
    grid = _IsoLossGrid(problem, lnR, revenue, serving_per_parameter, empty, empty, empty)
    lnN, lnD = grid.point(lnR[:, None], _SHARE_LOGITS[None, :])
    inside = ((lnN >= LN_N_BOUNDS[0]) & (lnN <= LN_N_BOUNDS[1])
              & (lnD >= LN_D_BOUNDS[0]) & (lnD <= LN_D_BOUNDS[1]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # N and D as outer products of 1-D exponentials (a 2-D exp costs more than the rest together);
        # a factor that overflows only ever belongs to a point outside the bounds.
        lnN_row, lnD_row = grid.point(lnR, np.zeros(1))  # s = 1/2
        N = np.exp(lnN_row - np.log(2.0) / law.alpha)[:, None] * np.exp(np.logaddexp(0.0, -_SHARE_LOGITS) / law.alpha)[None, :]
        D = np.exp(lnD_row - np.log(2.0) / law.beta)[:, None] * np.exp(np.logaddexp(0.0, _SHARE_LOGITS) / law.beta)[None, :]
        profit = revenue[:, None] - _costs(problem, serving_per_parameter[:, None], N, D)
    profit = np.where(inside & np.isfinite(profit), profit, -np.inf)
    # The first and last rows hold one model each, a corner of the box (largest, smallest): put it
    # on the grid exactly (at the nearest column), since profit can be positive only there.
    for row, corner in ((0, (LN_N_BOUNDS[1], LN_D_BOUNDS[1])), (-1, (LN_N_BOUNDS[0], LN_D_BOUNDS[0]))):
        R_N = law.reducible_loss_log(corner[0], corner[1], problem.rho_N, problem.rho_D)[1]
        share = float(np.clip(R_N / np.exp(lnR[row]), 1e-300, 1 - 1e-16))
        column = int(np.argmin(np.abs(_SHARE_LOGITS - (np.log(share) - np.log1p(-share)))))
        profit[row] = -np.inf
        lnN[row, column], lnD[row, column] = corner
        profit[row, column] = float(problem.terms(*corner)["profit"])
    return _IsoLossGrid(problem, lnR, revenue, serving_per_parameter, lnN, lnD, profit)


def _costs(problem: FirmProblem, serving_per_parameter: np.ndarray, N: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Serving, training and data costs in dollars of N parameters and D tokens."""
    return N * (serving_per_parameter + (6.0 / problem.E) * D) + problem.c_D * D


def _grid_peaks(grid: _IsoLossGrid, allowed: np.ndarray | None = None, peaks: int = _POLISH_PEAKS
                ) -> list[tuple[tuple[int, int], tuple[float, float], float]]:
    """The highest local maxima of profit in R, best first: (grid index, (ln N, ln D), profit).

    The cheapest share at each loss is refined between grid columns by a parabola through ln cost
    (a profit peak can be narrower than the columns' spacing when margins are thin). Peaks after the
    first count only with a positive profit (costs alone make shallow maxima among tiny models).
    ``allowed`` masks grid points out (a data stock or a budget); empty when no point is allowed.
    """
    profit = grid.profit if allowed is None else np.where(allowed, grid.profit, -np.inf)
    rows = np.arange(profit.shape[0])
    column = np.argmax(profit, axis=1)
    best = profit[rows, column]  # best profit at each loss
    lnN, lnD = grid.lnN[rows, column], grid.lnD[rows, column]
    # Refine where both neighbours are allowed: a point between them is allowed too (each limit is
    # monotone or convex in the share logit along an iso-loss curve).
    inner = (column > 0) & (column < profit.shape[1] - 1) & np.isfinite(best)
    inner[inner] &= np.isfinite(profit[rows[inner], column[inner] - 1]) & np.isfinite(profit[rows[inner], column[inner] + 1])
    if inner.any():
        r, c = rows[inner], column[inner]
        with np.errstate(divide="ignore", invalid="ignore"):
            y = [np.log(grid.revenue[r] - profit[r, c + k]) for k in (-1, 0, 1)]
            curvature = y[0] - 2.0 * y[1] + y[2]
            h = _SHARE_LOGITS[1] - _SHARE_LOGITS[0]
            shift = np.where(curvature > 0, 0.5 * h * (y[0] - y[2]) / curvature, 0.0)
        t = _SHARE_LOGITS[c] + np.clip(np.nan_to_num(shift), -h, h)
        lnN_t, lnD_t = grid.point(grid.lnR[r], t)
        with np.errstate(over="ignore", invalid="ignore"):
            refined = grid.revenue[r] - _costs(grid.problem, grid.serving_per_parameter[r], np.exp(lnN_t), np.exp(lnD_t))
        better = np.isfinite(refined) & (refined > best[r])
        best[r[better]], lnN[r[better]], lnD[r[better]] = refined[better], lnN_t[better], lnD_t[better]
    left = np.concatenate(([-np.inf], best[:-1]))
    right = np.concatenate((best[1:], [-np.inf]))
    found = np.flatnonzero((best >= left) & (best > right) & np.isfinite(best))
    found = found[np.argsort(best[found], kind="stable")[::-1]][:peaks]
    return [((int(i), int(column[i])), (float(lnN[i]), float(lnD[i])), float(best[i]))
            for k, i in enumerate(found) if k == 0 or best[i] > 0]


def _cut_by_limits(grid: _IsoLossGrid, index: tuple[int, int], within: np.ndarray) -> bool:
    """Whether profit rises from this grid point into a neighbour outside the limits.

    Such a point is the flank of a peak that the stock or budget cuts off: the best model on the
    limit (the boundary solution) already covers it, so it needs no polish of its own.
    """
    i, j = index
    rows, columns = grid.profit.shape
    for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
        if 0 <= a < rows and 0 <= b < columns and not within[a, b] and grid.profit[a, b] > grid.profit[i, j]:
            return True
    return False


def _global_search(problem: FirmProblem, grid: _IsoLossGrid, warm: tuple[float, float] | None,
                   peaks: list[tuple[tuple[int, int], tuple[float, float], float]] | None = None
                   ) -> tuple[float, float, bool] | None:
    """Global stage then local polish: the warm start competes with the grid's highest peaks
    (``peaks``: :func:`_grid_peaks` of ``grid``, when the caller has them already).

    A peak within one nat (in ln N and ln D) of the converged warm-start optimum is the same peak
    and is not polished again (in a simulation the warm start is last generation's model).
    """
    starts = [start for _, start, _ in (_grid_peaks(grid) if peaks is None else peaks)]
    found = []
    if warm is not None:
        from_warm = _polish_2d(problem, [warm])
        if from_warm is not None:
            found.append(from_warm)
            if from_warm[2]:
                starts = [s for s in starts if max(abs(s[0] - from_warm[0]), abs(s[1] - from_warm[1])) > 1.0]
    if starts:
        from_grid = _polish_2d(problem, starts, min_starts=len(starts))
        if from_grid is not None:
            found.append(from_grid)
    return max(found, key=lambda r: float(problem.terms(r[0], r[1])["profit"]), default=None)


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

    warm = None
    if warm_start is not None and all(v > 0 for v in warm_start):
        warm = (float(np.log(warm_start[0])), float(np.log(warm_start[1])))
    lnD_bar = None if D_bar is None else float(np.log(D_bar))

    # 1. The optimum without stock or budget limits: exact 1-D search for training only, else (or
    #    when that optimum is on an edge of the bounds) global grid stage + local polish.
    grid: _IsoLossGrid | None = None
    solution, at_edge = _training_only(problem) if problem.training_only else (None, True)
    if at_edge:
        grid = _iso_loss_grid(problem)
        exact = 0.0 if solution is None else float(problem.terms(solution[0], solution[1])["profit"])
        peaks = _grid_peaks(grid)
        if peaks and peaks[0][2] > exact or not problem.training_only:
            found = _global_search(problem, grid, warm, peaks)
            if found is not None and float(problem.terms(found[0], found[1])["profit"]) > exact:
                solution = found
    if solution is None:
        return no_train()  # nothing earns a profit even without limits
    lnN_opt, lnD_opt, converged = solution
    if _within_limits(problem, lnN_opt, lnD_opt, lnD_bar, max_spend):
        return _positive_or_no_train(result_at(problem, lnN_opt, lnD_opt, "compute-bound", converged))
    regime: Regime = "compute-bound"

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
    boundary = result_at(problem, lnN_opt, lnD_opt, regime, converged, cap=cap)

    # 4. Another peak strictly inside the limits may beat the best model on them.
    inside = _best_inside_limits(problem, grid if grid is not None else _iso_loss_grid(problem),
                                 lnD_bar, max_spend, closure)
    if inside is not None and inside.profit > boundary.profit:
        return _positive_or_no_train(inside)
    return _positive_or_no_train(boundary)


def _positive_or_no_train(result: Optimum) -> Optimum:
    """``result`` if it earns a profit, else the no-train corner."""
    return result if result.profit > 0 else no_train()


def _within_limits(problem: FirmProblem, lnN: float, lnD: float, lnD_bar: float | None,
                   max_spend: float | None) -> bool:
    """Whether (ln N, ln D) uses at most the data stock and costs at most the budget (dollars)."""
    if lnD_bar is not None and lnD > lnD_bar:
        return False
    return max_spend is None or 6.0 * np.exp(lnN + lnD) / problem.E <= max_spend * (1 + 1e-12)


def _best_inside_limits(problem: FirmProblem, grid: _IsoLossGrid, lnD_bar: float | None,
                        max_spend: float | None, closure: Closure) -> Optimum | None:
    """The best model within the stock and budget: the best allowed grid point, polished if it stays allowed.

    A model at D = D_bar is data-bound. Under the cap closure parameters beyond N_match(D) buy no
    lower loss at any D (as on the boundary), so such grid points are left out and every candidate
    is evaluated with the cap.
    """
    cap = closure == "cap"
    within = np.ones(grid.profit.shape, dtype=bool)
    if lnD_bar is not None:
        within &= grid.lnD <= lnD_bar
    if max_spend is not None:
        within &= grid.lnN + grid.lnD <= np.log(max_spend * problem.E / 6.0)
    allowed = within & (grid.lnN <= problem.lnN_match(grid.lnD)) if cap else within
    starts = [start for index, start, profit in _grid_peaks(grid, allowed)
              if profit > 0 and not _cut_by_limits(grid, index, within)]
    if not starts:
        return None
    candidates = [(*start, False) for start in starts]
    polished = _polish_2d(problem, starts, min_starts=len(starts), lnD_max=lnD_bar)
    if polished is not None and _within_limits(problem, polished[0], polished[1], lnD_bar, max_spend):
        candidates.insert(0, polished)
    results = []
    for lnN, lnD, converged in candidates:
        on_stock = lnD_bar is not None and lnD >= lnD_bar - 1e-9
        results.append(result_at(problem, lnN, lnD, "data-bound" if on_stock else "compute-bound", converged,
                               cap=cap))
    return max(results, key=lambda r: r.profit)
