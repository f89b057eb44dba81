"""Elasticities with generation fixed effects: ln y = a_g + b ln x over simulated model generations.

Each generation g (a firm's model started in a given period) has its own intercept, so b is
identified only by how the same generation differs across the runs of a design (E, rho_D or D_bar
scaled by a factor), not by the world's drift between generations. The 90% interval is the OLS one with Student-t
quantiles on the within-generation residuals (exact identities give a zero-width interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Fit", "fixed_effects_slope", "INTERVAL_LEVEL"]

#: Coverage of the reported intervals.
INTERVAL_LEVEL = 0.90


@dataclass(frozen=True)
class Fit:
    """A fitted elasticity d ln y / d ln x.

    Attributes:
        slope: the within-generation OLS slope (None when no generation has two usable points).
        interval: its 90% interval (None when there are no residual degrees of freedom).
        generations_used: generations with at least two usable points (each one fixed effect).
        points: model generations (observations) in those generations.
    """

    slope: float | None
    interval: tuple[float, float] | None
    generations_used: int
    points: int

    def as_dict(self) -> dict:
        """Plain dict for JSON."""
        return {"slope": self.slope, "interval_90": None if self.interval is None else list(self.interval),
                "generations_used": self.generations_used, "points": self.points}


NO_FIT = Fit(None, None, 0, 0)


def fixed_effects_slope(x: Sequence[float], y: Sequence[float], groups: Sequence[object]) -> Fit:
    """Slope of ln y on ln x with one intercept per group (generation); non-positive values dropped.

    Args:
        x, y: positive values (e.g. E in FLOP per dollar, spend in dollars).
        groups: the generation of each point (any hashable label).
    """
    x_arr, y_arr = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    labels = np.asarray([str(g) for g in groups])
    ok = (x_arr > 0) & (y_arr > 0) & np.isfinite(x_arr) & np.isfinite(y_arr)
    lx, ly, labels = np.log(x_arr[ok]), np.log(y_arr[ok]), labels[ok]
    xd, yd, used = [], [], 0
    for label in dict.fromkeys(labels):
        member = labels == label
        if member.sum() < 2 or np.ptp(lx[member]) == 0:
            continue  # a generation seen once (or at one x) says nothing about the slope
        used += 1
        xd.append(lx[member] - lx[member].mean())
        yd.append(ly[member] - ly[member].mean())
    if not used:
        return NO_FIT
    xd_all, yd_all = np.concatenate(xd), np.concatenate(yd)
    sxx = float(xd_all @ xd_all)
    slope = float(xd_all @ yd_all) / sxx
    dof = len(xd_all) - used - 1
    interval = None
    if dof > 0:
        resid = yd_all - slope * xd_all
        se = float(np.sqrt(resid @ resid / dof / sxx))
        half = float(stats.t.ppf(0.5 + INTERVAL_LEVEL / 2, dof)) * se
        interval = (slope - half, slope + half)
    return Fit(slope, interval, used, len(xd_all))
