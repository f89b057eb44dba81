"""One calibrated world: can the record's demand also give the paper's compute-bound claims?

In the bounded hybrid market (lognormal thresholds, median R0 and spread sigma, value per adopter
~ (R_ref/R)^kappa; docs/theory.md §1.3) revenue V(R) = M Phi(z) p (R_ref/R)^kappa with
z = (ln R0 - ln R) / sigma, so its local elasticity in 1/R is

    k_eff = -d ln V / d ln R = kappa + phi(z) / (Phi(z) sigma),

where Phi(z) is the adoption share. With the training-only slopes of docs/theory.md §2.2 the claims
(N* and D* slopes in :data:`~marketsim.economics.statics.NEAR_LINEAR`, compute slope in
:data:`~marketsim.economics.statics.SUBQUADRATIC`) hold for eps = k_eff gamma in a window; this module
turns a demand and an adoption share into k_eff and compares it with that window (docs/theory.md §6.1).
Units: shares in [0, 1]; kappa, sigma, k_eff and eps dimensionless.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize as sopt
from scipy.stats import norm

from marketsim.economics.scaling import ScalingLaw
from marketsim.economics.statics import NEAR_LINEAR, SUBQUADRATIC

__all__ = ["adoption_window", "claims_window", "effective_exponent", "one_world_table"]


def effective_exponent(kappa: float, sigma: float, share: float) -> float:
    """k_eff = kappa + phi(z) / (Phi(z) sigma) at adoption share Phi(z) = ``share`` (0 < share < 1)."""
    z = norm.ppf(share)
    return float(kappa + np.exp(norm.logpdf(z) - norm.logcdf(z)) / sigma)


def claims_window(law: ScalingLaw) -> tuple[float, float]:
    """(lowest, highest) k_eff for which the training-only slopes of docs/theory.md §2.2 meet the claims:
    s_N = a/(1-eps), s_D = (1-a)/(1-eps) in NEAR_LINEAR and s_C = 1/(1-eps) in SUBQUADRATIC, eps = k_eff gamma
    (the upper end is excluded, as the compute claim's)."""
    a = law.beta / (law.alpha + law.beta)
    lo_share, hi_share = min(a, 1 - a), max(a, 1 - a)
    eps_lo = max(1 - lo_share / NEAR_LINEAR[0], 1 - 1 / SUBQUADRATIC[0])
    eps_hi = min(1 - hi_share / NEAR_LINEAR[1], 1 - 1 / SUBQUADRATIC[1])
    gamma = law.alpha * law.beta / (law.alpha + law.beta)
    return eps_lo / gamma, eps_hi / gamma


def adoption_window(kappa: float, sigma: float, window: tuple[float, float]) -> tuple[float | None, float | None]:
    """Adoption shares (from, to) over which k_eff lies in ``window``; k_eff falls from +inf to kappa
    as adoption rises from 0 to 1. ``to`` is None when k_eff stays inside as adoption tends to 1
    (kappa within the window); (None, None) when kappa is at or above the window's top (never inside).
    """
    lo, hi = window

    def share_at(k: float) -> float | None:
        if kappa >= k:
            return None  # k_eff > kappa at every share: never falls to k
        return float(sopt.brentq(lambda s: effective_exponent(kappa, sigma, s) - k, 1e-12, 1 - 1e-12))

    return share_at(hi), share_at(lo)


def one_world_table(sweep: pd.DataFrame, law: ScalingLaw, shares: Sequence[tuple[str, str]] = (
        ("adoption_2023", "k_eff_2023"), ("adoption_2025", "k_eff_2025"))) -> pd.DataFrame:
    """For each row of a kappa sweep (columns ``kappa``, ``sigma`` and the adoption shares named in
    ``shares``): k_eff at those shares, eps = k_eff gamma at the last one, whether it is inside the
    claims window, and the adoption window where it would be."""
    window = claims_window(law)
    gamma = law.alpha * law.beta / (law.alpha + law.beta)
    rows = []
    for r in sweep.itertuples():
        row: dict[str, object] = {"kappa": float(r.kappa), "sigma": float(r.sigma)}
        for column, label in shares:
            share = getattr(r, column)
            row[label] = (effective_exponent(r.kappa, r.sigma, share)
                          if share is not None and 0 < share < 1 else None)
        last = row[shares[-1][1]]
        row["eps"] = None if last is None else float(last) * gamma
        row["inside"] = last is not None and window[0] <= float(last) < window[1]
        row["share_from"], row["share_to"] = adoption_window(float(r.kappa), float(r.sigma), window)
        rows.append(row)
    return pd.DataFrame(rows)
