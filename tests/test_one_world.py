"""The one-world check (marketsim.experiments.validation.one_world): k_eff of the hybrid market and the claims' window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from marketsim.economics.demand import FixedLognormal
from marketsim.economics.scaling import SCALING_PRESETS
from marketsim.economics.statics import NEAR_LINEAR, SUBQUADRATIC
from marketsim.experiments.validation.one_world import (adoption_window, claims_window, effective_exponent,
                                                        one_world_table)

LAW = SCALING_PRESETS["besiroglu2024"]


@pytest.mark.parametrize(("kappa", "sigma", "share"), [(1.0, 0.5623, 0.12), (2.5, 1.0, 0.36), (0.0, 2.0, 0.9)])
def test_effective_exponent_is_minus_the_log_slope_of_revenue(kappa: float, sigma: float, share: float) -> None:
    demand = FixedLognormal(M=1e9, price=3.0, kappa=kappa, R_ref=0.05, R0=0.03, sigma=sigma)
    lnR = np.log(0.03) - sigma * norm.ppf(share)  # the loss at which `share` adopt
    h = 1e-6
    numeric = -(np.log(demand.revenue(np.exp(lnR + h))) - np.log(demand.revenue(np.exp(lnR - h)))) / (2 * h)
    assert effective_exponent(kappa, sigma, share) == pytest.approx(float(numeric), rel=1e-5)
    assert effective_exponent(kappa, sigma, 1 - 1e-12) == pytest.approx(kappa, abs=1e-6)  # saturated: kappa


def test_claims_window_ends_where_the_closed_form_slopes_reach_the_claim_bounds() -> None:
    lo, hi = claims_window(LAW)
    a = LAW.beta / (LAW.alpha + LAW.beta)
    gamma = LAW.alpha * LAW.beta / (LAW.alpha + LAW.beta)
    slopes = lambda k: (a / (1 - k * gamma), (1 - a) / (1 - k * gamma), 1 / (1 - k * gamma))  # s_N, s_D, s_C
    assert min(slopes(lo)[:2]) == pytest.approx(NEAR_LINEAR[0])
    assert slopes(hi)[2] == pytest.approx(SUBQUADRATIC[1])
    assert (lo, hi) == pytest.approx((2.19, 2.80), abs=0.01)  # docs/theory.md §2.2


def test_adoption_window_brackets_the_shares_inside_the_claims() -> None:
    window = claims_window(LAW)
    start, end = adoption_window(1.0, 0.5623, window)
    assert 0 < start < end < 1
    assert effective_exponent(1.0, 0.5623, start) == pytest.approx(window[1])
    assert effective_exponent(1.0, 0.5623, end) == pytest.approx(window[0])
    assert adoption_window(2.5, 1.5, window)[1] is None  # kappa inside: stays inside up to saturation
    assert adoption_window(3.0, 1.0, window) == (None, None)  # kappa above the window: never inside


def test_one_world_table_flags_only_rows_inside_the_window() -> None:
    sweep = pd.DataFrame({"kappa": [1.0, 2.5], "sigma": [0.5623, 10.0], "adoption_2023": [0.02, 0.5],
                          "adoption_2025": [0.12, 0.9]})
    table = one_world_table(sweep, LAW)
    assert table["inside"].tolist() == [False, True]
    assert table.loc[0, "k_eff_2025"] == pytest.approx(1.0 + norm.pdf(norm.ppf(0.12)) / 0.12 / 0.5623)
