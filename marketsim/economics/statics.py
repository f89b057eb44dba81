"""Comparative statics: how the optimum moves with hardware efficiency E, data stock D_bar and rho_D.

Slopes are elasticities d ln y / d ln x measured on a grid: a global least-squares fit in log-log
and the range of local slopes (np.gradient), since local slopes can drift (docs/theory.md §5,
pitfalls). The paper's claims (docs/theory.md §6) are checked against them:

- N* and D* near-linear in E: slopes in [0.8, 1.05];
- training compute 6ND sub-quadratic in E: slope in [1.5, 2);
- better data efficiency raises N* and training spend: positive elasticities in rho_D;
- data-bound spend ~ D_bar^2 / E: slope in [-1.15, -0.85] in E and in [1.8, 2.2] in D_bar.

:func:`check_claims` applies these ranges to any set of slopes; ``marketsim statics`` uses it on the
slopes measured in the simulated market.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from marketsim.economics.optimizer import Optimum, optimize
from marketsim.economics.variants import E_REF, Variant

#: Ranges the paper's claims require (docs/theory.md §6).
NEAR_LINEAR = (0.8, 1.05)
#: Training compute: sub-quadratic, yet more than 1.5 (near-linear N and D), half-open at 2.
SUBQUADRATIC = (1.5, 2.0)
DATABOUND_E_TARGET, DATABOUND_E_TOL = -1.0, 0.15
DATABOUND_DBAR_TARGET, DATABOUND_DBAR_TOL = 2.0, 0.2


@dataclass(frozen=True)
class Slope:
    """Elasticity of y with respect to x: global log-log fit and local range (None if undefined)."""

    fit: float | None
    local_min: float | None
    local_max: float | None

    def as_dict(self) -> dict[str, float | None]:
        """Plain dict for JSON."""
        return {"fit": self.fit, "local_min": self.local_min, "local_max": self.local_max}


def loglog_slope(x: ArrayLike, y: ArrayLike) -> Slope:
    """Elasticity d ln y / d ln x from positive samples (non-positive y are dropped)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (x > 0) & (y > 0) & np.isfinite(y)
    if keep.sum() < 3:
        return Slope(None, None, None)
    lx, ly = np.log(x[keep]), np.log(y[keep])
    local = np.gradient(ly, lx)
    return Slope(float(np.polyfit(lx, ly, 1)[0]), float(local.min()), float(local.max()))


def solve_path(variant: Variant, E: ArrayLike, *, D_bar: float | None = None, rho_D: float = 1.0,
               rho_N: float = 1.0) -> list[Optimum]:
    """Optimum at each hardware efficiency in ``E`` (FLOP per dollar), warm-started along the grid."""
    results: list[Optimum] = []
    warm: tuple[float, float] | None = None
    for e in np.asarray(E, dtype=float):
        opt = optimize(variant.law, variant.demand, float(e), T=variant.T, c_D=variant.c_D, D_bar=D_bar,
                       closure=variant.closure, rho_N=rho_N, rho_D=rho_D, warm_start=warm)  # type: ignore[arg-type]
        warm = (opt.N, opt.D) if opt.trains else None
        results.append(opt)
    return results


def _series(results: list[Optimum]) -> dict[str, np.ndarray]:
    return {
        "N": np.array([r.N for r in results]),
        "D": np.array([r.D for r in results]),
        "spend": np.array([r.training_cost for r in results]),
        "compute": np.array([r.compute for r in results]),
    }


@dataclass(frozen=True)
class StaticsReport:
    """Measured elasticities of one variant and whether each of the paper's claims holds."""

    variant: str
    slope_N_E: Slope
    slope_D_E: Slope
    slope_spend_E: Slope
    slope_compute_E: Slope
    elasticity_N_rhoD: float | None
    elasticity_spend_rhoD: float | None
    databound_slope_spend_E: Slope
    databound_slope_spend_Dbar: Slope
    claims: dict[str, bool] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The JSON object of ``marketsim theory --json``: global slopes plus local ranges and claims."""
        out: dict = {"variant": self.variant}
        for name in ("slope_N_E", "slope_D_E", "slope_spend_E", "slope_compute_E",
                     "databound_slope_spend_E", "databound_slope_spend_Dbar"):
            slope: Slope = getattr(self, name)
            out[name] = slope.fit
            out[f"{name}_local"] = [slope.local_min, slope.local_max]
        out["elasticity_N_rhoD"] = self.elasticity_N_rhoD
        out["elasticity_spend_rhoD"] = self.elasticity_spend_rhoD
        out["claims"] = dict(self.claims)
        return out


CLAIM_TEXT: dict[str, str] = {
    "N_near_linear_in_E": "optimal N* grows near-linearly with E (slope in [0.8, 1.05])",
    "D_near_linear_in_E": "optimal D* grows near-linearly with E (slope in [0.8, 1.05])",
    "compute_subquadratic_in_E": "training compute 6ND grows sub-quadratically with E (slope in [1.5, 2))",
    "data_efficiency_raises_N": "better data efficiency raises N* (elasticity > 0)",
    "data_efficiency_raises_spend": "better data efficiency raises training spend (elasticity > 0)",
    "databound_spend_D2_over_E": "data-bound spend ~ D_bar^2 / E (slopes -1 +/- 0.15 in E, 2 +/- 0.2 in D_bar)",
}


def _within(value: float | None, lo: float, hi: float) -> bool:
    return value is not None and lo <= value <= hi


def check_claims(slopes: dict[str, float | None]) -> dict[str, bool]:
    """Which of the paper's claims hold for measured slopes (keys as in ``marketsim theory --json``:
    slope_N_E, slope_D_E, slope_compute_E, elasticity_N_rhoD, elasticity_spend_rhoD,
    databound_slope_spend_E, databound_slope_spend_Dbar; a missing or None slope fails its claim)."""
    get = slopes.get
    el_N, el_spend = get("elasticity_N_rhoD"), get("elasticity_spend_rhoD")
    return {
        "N_near_linear_in_E": _within(get("slope_N_E"), *NEAR_LINEAR),
        "D_near_linear_in_E": _within(get("slope_D_E"), *NEAR_LINEAR),
        "compute_subquadratic_in_E": _within(get("slope_compute_E"), SUBQUADRATIC[0], SUBQUADRATIC[1] - 1e-9),
        "data_efficiency_raises_N": el_N is not None and el_N > 0,
        "data_efficiency_raises_spend": el_spend is not None and el_spend > 0,
        "databound_spend_D2_over_E": (
            _within(get("databound_slope_spend_E"), DATABOUND_E_TARGET - DATABOUND_E_TOL,
                    DATABOUND_E_TARGET + DATABOUND_E_TOL)
            and _within(get("databound_slope_spend_Dbar"), DATABOUND_DBAR_TARGET - DATABOUND_DBAR_TOL,
                        DATABOUND_DBAR_TARGET + DATABOUND_DBAR_TOL)),
    }


def _rho_elasticity(variant: Variant, E: float, key: str, step: float, rho_D: float = 1.0,
                    rho_N: float = 1.0) -> float | None:
    lo = _series(solve_path(variant, [E], rho_D=rho_D * np.exp(-step), rho_N=rho_N))[key][0]
    hi = _series(solve_path(variant, [E], rho_D=rho_D * np.exp(step), rho_N=rho_N))[key][0]
    if lo <= 0 or hi <= 0:
        return None
    return float((np.log(hi) - np.log(lo)) / (2 * step))


def elasticities(
    variant: Variant,
    *,
    E_grid: ArrayLike | None = None,
    E_ref: float = E_REF,
    rho_step: float = 0.05,
    databound_E_grid: ArrayLike | None = None,
    databound_D_bar: float = 1e12,
    databound_Dbar_grid: ArrayLike | None = None,
    databound_E: float = 1e21,
    rho_D: float = 1.0,
    rho_N: float = 1.0,
) -> StaticsReport:
    """Measure the elasticities of docs/theory.md §2-4 for ``variant`` and check the claims.

    Args:
        variant: the model variant.
        E_grid: hardware efficiencies (FLOP per dollar) for the compute-bound slopes
            (default 37 points from 1e15 to 1e24).
        E_ref: where the rho_D elasticities are measured (FLOP per dollar).
        rho_step: half-width of the central difference in ln rho_D.
        databound_E_grid: E grid for the data-bound spend slope (default 1e19..1e24) at
            ``databound_D_bar`` tokens.
        databound_Dbar_grid: data stocks (tokens) for the D_bar slope (default 1e11..1e13) at
            ``databound_E``.
        rho_D: data efficiency at which everything is measured (dimensionless; 1 = the law as fitted).
        rho_N: parameter efficiency at which everything is measured (dimensionless; 1 = the law as fitted).
    """
    E_grid = np.logspace(15, 24, 37) if E_grid is None else np.asarray(E_grid, dtype=float)
    db_E = np.logspace(19, 24, 11) if databound_E_grid is None else np.asarray(databound_E_grid, dtype=float)
    db_D = np.logspace(11, 13, 9) if databound_Dbar_grid is None else np.asarray(databound_Dbar_grid, dtype=float)

    free = _series(solve_path(variant, E_grid, rho_D=rho_D, rho_N=rho_N))
    slopes = {key: loglog_slope(E_grid, free[key]) for key in ("N", "D", "spend", "compute")}
    el_N = _rho_elasticity(variant, E_ref, "N", rho_step, rho_D, rho_N)
    el_spend = _rho_elasticity(variant, E_ref, "spend", rho_step, rho_D, rho_N)
    db_spend_E = loglog_slope(
        db_E, _series(solve_path(variant, db_E, D_bar=databound_D_bar, rho_D=rho_D, rho_N=rho_N))["spend"])
    db_spend_D = loglog_slope(
        db_D, np.array([_series(solve_path(variant, [databound_E], D_bar=d, rho_D=rho_D, rho_N=rho_N))["spend"][0]
                        for d in db_D]))

    claims = check_claims({
        "slope_N_E": slopes["N"].fit, "slope_D_E": slopes["D"].fit, "slope_compute_E": slopes["compute"].fit,
        "elasticity_N_rhoD": el_N, "elasticity_spend_rhoD": el_spend,
        "databound_slope_spend_E": db_spend_E.fit, "databound_slope_spend_Dbar": db_spend_D.fit})
    return StaticsReport(
        variant=variant.name, slope_N_E=slopes["N"], slope_D_E=slopes["D"], slope_spend_E=slopes["spend"],
        slope_compute_E=slopes["compute"], elasticity_N_rhoD=el_N, elasticity_spend_rhoD=el_spend,
        databound_slope_spend_E=db_spend_E, databound_slope_spend_Dbar=db_spend_D, claims=claims,
    )
