"""Economics core: closed forms as oracles, properties, the paper's claims, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from marketsim.economics import (HARDWARE, FixedLognormal, FixedPareto, LogUniform, PowerMarket,
                                 ResidualDemand, ScalingLaw, ValueGrowthHybrid, elasticities,
                                 flop_per_dollar_amortised, flop_per_dollar_cloud, get_variant, herfindahl,
                                 evaluate, optimize, scaling_law, ThresholdSpec, VARIANTS)
from marketsim.economics.optimizer import FirmProblem, _polish_2d, _training_only

LAW = scaling_law("besiroglu2024")
E_GRID = np.logspace(15, 24, 19)


# -- scaling law ---------------------------------------------------------------------------------
def test_presets_match_calibration_constants() -> None:
    epoch, hoff = scaling_law("besiroglu2024"), scaling_law("hoffmann2022")
    assert (epoch.E0, epoch.A, epoch.B, epoch.alpha, epoch.beta) == (1.8172, 482.01, 2085.43, 0.3478, 0.3658)
    assert (hoff.E0, hoff.A, hoff.B, hoff.alpha, hoff.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    assert epoch.a == pytest.approx(0.5126, abs=1e-4)  # BES24: a = 0.5126
    assert 1 / epoch.gamma == pytest.approx(5.6, abs=0.05)  # theory.md §5: k < 5.6 (Epoch)
    assert 1 / hoff.gamma == pytest.approx(6.5, abs=0.05)


@pytest.mark.parametrize("C", [5.76e23, 1e25, 1e26])
def test_compute_optimal_frontier_minimises_loss_at_fixed_compute(C: float) -> None:
    N, D = LAW.compute_optimal(C)
    assert 6 * N * D == pytest.approx(C, rel=1e-12)
    # Any other split of the same compute has a higher loss.
    for shift in (-0.5, -0.1, 0.1, 0.5):
        N2 = N * np.exp(shift)
        assert LAW.loss(N2, C / (6 * N2)) > LAW.loss(N, D)
    assert LAW.reducible_at_compute(C) == pytest.approx(float(LAW.reducible_loss(N, D)), rel=1e-12)


def test_tokens_per_parameter_matches_calibration() -> None:
    # calibration.md §1: D/N = 18.4 / 17.1 / 16.1 at 5.76e23 / 1e25 / 1e26 FLOP (Besiroglu, derived).
    for C, ratio in [(5.76e23, 18.4), (1e25, 17.1), (1e26, 16.1)]:
        N, D = LAW.compute_optimal(C)
        assert D / N == pytest.approx(ratio, abs=0.15)


def test_n_match_is_the_frontier_model_for_its_data() -> None:
    N, D = LAW.compute_optimal(1e25)
    assert LAW.n_match(D) == pytest.approx(N, rel=1e-10)
    # theory.md §4: tokens per parameter at N_match is 18.7, 16.6, 14.7 at D = 1e12, 1e13, 1e14.
    for D_bar, ratio in [(1e12, 18.7), (1e13, 16.6), (1e14, 14.7)]:
        assert D_bar / LAW.n_match(D_bar) == pytest.approx(ratio, abs=0.1)


@settings(max_examples=60, deadline=None)
@given(lnN=st.floats(np.log(1e6), np.log(1e16)), lnD=st.floats(np.log(1e8), np.log(1e16)),
       dN=st.floats(0.01, 3), dD=st.floats(0.01, 3))
def test_loss_decreases_in_N_and_D(lnN: float, lnD: float, dN: float, dD: float) -> None:
    N, D = np.exp(lnN), np.exp(lnD)
    assert LAW.loss(N * np.exp(dN), D) < LAW.loss(N, D)
    assert LAW.loss(N, D * np.exp(dD)) < LAW.loss(N, D)
    assert LAW.loss(N, D) > LAW.E0


# -- demand ----------------------------------------------------------------------------------------
MARKETS = [
    PowerMarket(M=1e6, price=100, R0=0.1, k=2.5),
    FixedLognormal(M=1e6, price=100, R0=0.1, sigma=1.0),
    FixedPareto(M=1e6, price=100, R0=0.2, k=1.0),
    LogUniform(M=1e6, price=100, R0=1.0),
    LogUniform(M=1e6, price=100, R0=1.0, R_min=0.01),
    ValueGrowthHybrid(M=1e6, price=100, R0=0.1, sigma=1.0, kappa=2.5),
]


@pytest.mark.parametrize("demand", MARKETS, ids=lambda d: type(d).__name__)
def test_adoption_non_increasing_in_loss_and_derivative_matches(demand) -> None:
    R = np.logspace(-3, 0.3, 400)
    n = demand.adopters(R)
    assert np.all(np.isfinite(n)) and np.all(n >= 0)
    assert np.all(np.diff(n) <= 1e-9 * n.max())
    # analytic d ln n / d ln R against a central difference where n > 0
    lnR = np.log(R[(n > 0) & (R < 0.9 * getattr(demand, "R0", 10))])[5:-5]
    h = 1e-6
    numeric = (demand.log_adopters(lnR + h) - demand.log_adopters(lnR - h)) / (2 * h)
    np.testing.assert_allclose(demand.dlog_adopters(lnR), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("demand", [m for m in MARKETS if m.threshold_dist() is not None],
                         ids=lambda d: type(d).__name__)
def test_finite_markets_adopters_are_population_times_threshold_survival(demand) -> None:
    R = np.logspace(-2.5, -0.2, 50)
    np.testing.assert_allclose(demand.adopters(R), demand.M * demand.threshold_dist().sf(R), rtol=1e-9)


def test_threshold_distribution_families() -> None:
    ln = ThresholdSpec("lognormal", median=0.06, sigma=0.8).distribution()
    assert ln.median() == pytest.approx(0.06)
    par = ThresholdSpec("pareto", pareto_max=0.2, pareto_k=2.0).distribution()
    assert par.cdf(0.1) == pytest.approx(0.25)  # P(tau <= x) = (x / max)^k
    lu = ThresholdSpec("loguniform", loguniform_min=0.01, loguniform_max=1.0).distribution()
    assert lu.cdf(0.1) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"^threshold family 'gamma' is unknown: allowed lognormal, pareto, loguniform$"):
        ThresholdSpec("gamma")  # type: ignore[arg-type]


def test_threshold_spec_builds_the_market_with_its_median_as_reference() -> None:
    # value per adopter equals the list price at the family's median threshold, for every family
    for spec in (ThresholdSpec("lognormal", median=0.06), ThresholdSpec("pareto", pareto_max=0.2, pareto_k=2.0),
                 ThresholdSpec("loguniform", loguniform_min=0.01, loguniform_max=1.0)):
        assert spec.distribution().median() == pytest.approx(spec.reference_loss, rel=1e-12)
        market = spec.demand(M=1e6, price=30.0, kappa=2.5)
        assert market.R_ref == spec.reference_loss and market.kappa == 2.5 and not market.saturating
        assert market.value_per_adopter(spec.reference_loss / 2) == pytest.approx(30.0 * 2**2.5)
        assert market.adopters(spec.reference_loss) == pytest.approx(0.5e6, rel=1e-9)
        assert spec.demand(M=1.0, price=1.0).saturating  # kappa = 0: a flat price


def test_scenario_threshold_defaults_are_the_spec_defaults() -> None:
    # one place for the defaults: a scenario that leaves the thresholds out gets ThresholdSpec()'s
    from marketsim.config import Consumers

    cons = Consumers(count=10, population=1e6, tokens_per_adopter_per_period=1.0)
    assert cons.thresholds() == ThresholdSpec()


def test_lognormal_uses_stable_tails() -> None:
    d = FixedLognormal(M=1e9, price=1, R0=0.1, sigma=0.3)
    lnR = np.log(np.array([1e3, 10.0, 1e-8]))  # z = -30, -15, +45
    assert np.all(np.isfinite(d.log_adopters(lnR)))
    assert np.all(np.isfinite(d.dlog_adopters(lnR)))
    assert d.log_adopters(lnR)[0] == pytest.approx(np.log(1e9) + stats.norm.logcdf(-(np.log(1e4)) / 0.3))


# -- closed forms as oracles ------------------------------------------------------------------------
@pytest.mark.parametrize("law_name,k", [("besiroglu2024", 2.5), ("besiroglu2024", 1.0), ("hoffmann2022", 2.93)])
def test_power_market_matches_closed_form(law_name: str, k: float) -> None:
    law = scaling_law(law_name)
    M, p, R0 = 8.7e5, 240.0, 0.1
    demand = PowerMarket(M=M, price=p, R0=R0, k=k)
    eps = k * law.gamma
    for E in E_GRID:
        Q = p * M * (R0 / law.K_R) ** k * (1 / 6) ** eps
        lnC = np.log(eps * Q * E) / (1 - eps)  # C* = (eps Q E)^(1/(1-eps)), theory.md §2
        lnN, lnD = law.compute_optimal_log(lnC)
        opt = optimize(law, demand, E)
        assert abs(np.log(opt.N) - lnN) < 1e-6 and abs(np.log(opt.D) - lnD) < 1e-6
        assert opt.training_cost / opt.revenue == pytest.approx(eps, rel=1e-6)  # spend/revenue = eps


def test_fixed_lognormal_matches_closed_form_and_corner() -> None:
    law = LAW
    M, p, R0, sigma = 8.7e5, 240.0, 0.1, 0.5
    demand = FixedLognormal(M=M, price=p, R0=R0, sigma=sigma)
    g = law.gamma
    c1 = g / sigma
    c0 = (np.log(R0) - np.log(law.K_R) + g * np.log(1 / 6)) / sigma
    interior = 0
    for E in np.logspace(12, 24, 25):
        Lam = np.log(p * M * g * E / (sigma * np.sqrt(2 * np.pi)))
        disc = 1 + 2 * c0 * c1 + 2 * c1**2 * Lam
        opt = optimize(law, demand, E)
        if disc <= 0:
            assert not opt.trains
            continue
        x = (-(1 + c0 * c1) + np.sqrt(disc)) / c1**2
        lnN, lnD = law.compute_optimal_log(x)
        nN, nD = np.exp(lnN), np.exp(lnD)
        closed_profit = p * M * stats.norm.cdf(c0 + c1 * x) - np.exp(x) / E
        if closed_profit <= 0:
            assert not opt.trains  # the corner "do not train" wins
            continue
        interior += 1
        assert abs(np.log(opt.N) - lnN) < 1e-6 and abs(np.log(opt.D) - lnD) < 1e-6, E
        assert opt.profit == pytest.approx(closed_profit, rel=1e-9)
        del nN, nD
    assert interior >= 15


def test_two_dimensional_solver_agrees_with_exact_one_dimensional() -> None:
    demand = PowerMarket(M=8.7e5, price=240, R0=0.1, k=2.5)
    for E in (1e15, 1e18, 1e21, 1e24):
        problem = FirmProblem(law=LAW, demand=demand, E=E)
        (lnN1, lnD1, _), at_edge = _training_only(problem)
        assert not at_edge
        lnN2, lnD2, ok = _polish_2d(problem, [(lnN1 + 1.0, lnD1 - 0.5)])
        assert ok
        assert abs(lnN2 - lnN1) < 1e-6 and abs(lnD2 - lnD1) < 1e-6


# -- properties of the optimum ----------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lnE=st.floats(np.log(1e15), np.log(1e24)),
    lnM=st.floats(np.log(1e4), np.log(1e9)),
    price=st.floats(10, 1000),
    k=st.floats(1.0, 4.5),
    T=st.sampled_from([0.0, 1e6, 2e7, 1e8]),
    family=st.sampled_from(["power", "lognormal", "hybrid"]),
)
def test_optimum_beats_a_coarse_grid_and_respects_bounds(lnE, lnM, price, k, T, family) -> None:
    E, M = float(np.exp(lnE)), float(np.exp(lnM))
    demand = {"power": PowerMarket(M=M, price=price, R0=0.1, k=k),
              "lognormal": FixedLognormal(M=M, price=price, R0=0.1, sigma=1.0),
              "hybrid": ValueGrowthHybrid(M=M, price=price, R0=0.1, sigma=1.0, kappa=k)}[family]
    opt = optimize(LAW, demand, E, T=T)
    values = np.array([v for v in opt.as_dict().values() if isinstance(v, float)])
    assert not np.any(np.isnan(values))
    assert opt.profit >= 0
    if opt.trains:
        assert 1e5 <= opt.N <= 1e30 and 1e6 <= opt.D <= 1e33
        assert opt.profit == pytest.approx(opt.revenue - opt.training_cost - opt.serving_cost - opt.data_cost,
                                           rel=1e-9, abs=1e-6)
    problem = FirmProblem(law=LAW, demand=demand, E=E, T=T)
    lnN, lnD = np.meshgrid(np.linspace(np.log(1e5), np.log(1e22), 45), np.linspace(np.log(1e6), np.log(1e25), 45))
    grid_best = float(np.max(problem.terms(lnN.ravel(), lnD.ravel())["profit"]))
    assert opt.profit >= grid_best - 1e-7 * max(abs(grid_best), 1.0)


# Regression (issue 16.5): a bounded lognormal-share market with value growing as R^-3 and an
# inference cost has a single narrow profit peak far off the compute-optimal frontier; the
# frontier-started search returned "do not train" although N = 7.3e8, D = 3e12 earns $62,833.
NARROW_PEAK = dict(demand=ValueGrowthHybrid(M=np.e**20, price=112, R0=0.1, sigma=1, kappa=3), E=np.e**35, T=1e6)


def _dense_best(problem: FirmProblem, points: int = 400) -> float:
    """Best profit (dollars) on a dense (ln N, ln D) grid over the whole box of the optimizer's bounds."""
    lnN, lnD = np.meshgrid(np.linspace(np.log(1e5), np.log(1e30), points), np.linspace(np.log(1e6), np.log(1e33), points))
    return float(np.max(problem.terms(lnN.ravel(), lnD.ravel())["profit"]))


def test_optimizer_finds_a_narrow_peak_off_the_frontier() -> None:
    demand, E, T = NARROW_PEAK["demand"], NARROW_PEAK["E"], NARROW_PEAK["T"]
    cited = evaluate(LAW, demand, E, 7.3e8, 3e12, T=T)
    assert cited.profit == pytest.approx(62_833, rel=0.01)  # the model the issue cites
    opt = optimize(LAW, demand, E, T=T)
    assert opt.trains and opt.regime == "compute-bound" and opt.converged
    assert opt.profit >= cited.profit
    assert opt.profit >= _dense_best(FirmProblem(law=LAW, demand=demand, E=E, T=T)) * (1 - 1e-9)
    assert opt.D / opt.N > 1000  # far from the frontier's ~20-40 tokens per parameter


def test_optimizer_finds_the_narrow_peak_inside_a_stock_or_a_budget() -> None:
    demand, E, T = NARROW_PEAK["demand"], NARROW_PEAK["E"], NARROW_PEAK["T"]
    limited = optimize(LAW, demand, E, T=T, D_bar=1e12)
    assert limited.regime == "data-bound" and limited.D == pytest.approx(1e12, rel=1e-9)
    assert limited.profit >= evaluate(LAW, demand, E, 3.5e8, 1e12, T=T).profit > 0
    poor = optimize(LAW, demand, E, T=T, max_spend=1e7)
    assert poor.trains and poor.training_cost <= 1e7 * (1 + 1e-9)
    assert poor.profit >= evaluate(LAW, demand, E, 1e9, 2.6e12, T=T).profit > 0


def test_training_only_optimum_beyond_the_scanned_compute_range() -> None:
    # Training-only (exact 1-D) search: the optimum needs more than the 1e50 FLOP it scans.
    demand, E = PowerMarket(M=np.exp(19.171), price=447.93, R0=0.1, k=3.902), np.exp(52.369)
    opt = optimize(LAW, demand, E)
    assert opt.compute > 1e50
    assert opt.profit >= _dense_best(FirmProblem(law=LAW, demand=demand, E=E)) * (1 - 1e-9)


def test_data_bound_regime_uses_the_stock_and_the_cap() -> None:
    v = get_variant("default")
    free = optimize(v.law, v.demand, 1e20, T=v.T)
    D_bar = free.D / 10
    capped = optimize(v.law, v.demand, 1e20, T=v.T, D_bar=D_bar)
    assert capped.regime == "data-bound"
    assert capped.D == pytest.approx(D_bar, rel=1e-12)
    assert capped.N <= LAW.n_match(D_bar) * (1 + 1e-9)
    additive = optimize(v.law, v.demand, 1e20, T=v.T, D_bar=D_bar, closure="additive")
    assert additive.N > capped.N  # without the cap, parameters keep paying off
    # A stock above the compute-bound D* changes nothing.
    assert optimize(v.law, v.demand, 1e20, T=v.T, D_bar=free.D * 2).N == pytest.approx(free.N, rel=1e-9)


def test_budget_bound_spends_exactly_the_budget() -> None:
    v = get_variant("default")
    free = optimize(v.law, v.demand, 1e18, T=v.T)
    tight = optimize(v.law, v.demand, 1e18, T=v.T, max_spend=free.training_cost / 5)
    assert tight.regime == "budget-bound"
    assert tight.training_cost == pytest.approx(free.training_cost / 5, rel=1e-9)
    assert 0 < tight.profit < free.profit
    assert not optimize(v.law, v.demand, 1e18, T=v.T, max_spend=0).trains


# -- the paper's claims -------------------------------------------------------------------------------
def test_default_variant_reproduces_every_claim() -> None:
    report = elasticities(get_variant("default"))
    assert all(report.claims.values()), report.claims
    # DESIGN.md §3 ranges and theory.md §6 measured values (N 0.96, D 0.87, spend 0.84, compute 1.84).
    assert 0.8 <= report.slope_N_E.fit <= 1.05 and 0.8 <= report.slope_D_E.fit <= 1.05
    assert report.slope_compute_E.fit < 2
    assert report.slope_N_E.fit == pytest.approx(0.96, abs=0.01)
    assert report.slope_spend_E.fit == pytest.approx(0.84, abs=0.01)
    assert report.elasticity_N_rhoD == pytest.approx(0.39, abs=0.02)
    assert report.elasticity_spend_rhoD == pytest.approx(0.33, abs=0.02)
    assert report.databound_slope_spend_E.fit == pytest.approx(-1.0, abs=0.01)
    assert report.databound_slope_spend_Dbar.fit == pytest.approx(1 + LAW.beta / LAW.alpha, abs=0.01)


def test_power_market_slopes_equal_their_closed_forms() -> None:
    report = elasticities(get_variant("power_k2.5"))
    eps = 2.5 * LAW.gamma
    assert report.slope_N_E.fit == pytest.approx(LAW.a / (1 - eps), abs=1e-6)
    assert report.slope_D_E.fit == pytest.approx((1 - LAW.a) / (1 - eps), abs=1e-6)
    assert report.slope_spend_E.fit == pytest.approx(eps / (1 - eps), abs=1e-6)
    # theory.md §3 identity: d ln N*/d ln rho_D = s_N with training-only costs.
    assert report.elasticity_N_rhoD == pytest.approx(report.slope_N_E.fit, abs=1e-3)


@pytest.mark.parametrize("name", [n for n, v in VARIANTS.items() if v.saturating])
def test_saturating_variants_fail_the_claims(name: str) -> None:
    report = elasticities(get_variant(name))
    assert report.slope_spend_E.fit <= 1e-6
    assert not report.claims["N_near_linear_in_E"]
    assert not report.claims["data_efficiency_raises_spend"]


# -- competition ----------------------------------------------------------------------------------------
BASE = ValueGrowthHybrid(M=1e6, price=10, R0=0.1, sigma=1.0, kappa=2.5)


def test_residual_demand_without_rivals_is_the_whole_market() -> None:
    res = ResidualDemand.facing(BASE, [], [], own_price=10)
    R = np.logspace(-2, -0.5, 30)
    np.testing.assert_allclose(res.adopters(R), BASE.adopters(R), rtol=1e-12)


def test_residual_demand_splits_with_an_identical_rival_and_falls_with_rival_quality() -> None:
    R = 0.05
    alone = float(BASE.adopters(R))
    twin = float(ResidualDemand.facing(BASE, [R], [0.0], own_price=10).adopters(R))
    assert twin == pytest.approx(alone / 2, rel=1e-12)
    better_rival = float(ResidualDemand.facing(BASE, [0.04], [0.0], own_price=10).adopters(R))
    assert better_rival < twin
    cheaper_rival = float(ResidualDemand.facing(BASE, [R], [0.5], own_price=10).adopters(R))
    assert cheaper_rival < twin


def test_residual_demand_derivative_matches_finite_difference() -> None:
    res = ResidualDemand.facing(BASE, [0.03, 0.06, 0.09], [0.0, -0.2, 0.1], own_price=10, lam=0.3)
    lnR = np.log(np.array([0.02, 0.035, 0.05, 0.07, 0.08]))
    h = 1e-6
    numeric = (res.log_adopters(lnR + h) - res.log_adopters(lnR - h)) / (2 * h)
    np.testing.assert_allclose(res.dlog_adopters(lnR), numeric, rtol=1e-5)


def test_best_response_against_a_strong_rival_is_smaller_than_monopoly() -> None:
    mono = optimize(LAW, BASE, 1e18, T=1e6)
    rival_R = mono.R * 0.8
    duo = optimize(LAW, ResidualDemand.facing(BASE, [rival_R], [0.0], own_price=10), 1e18, T=1e6)
    assert duo.profit < mono.profit
    assert duo.adopters < mono.adopters


def test_herfindahl() -> None:
    assert herfindahl([1.0]) == 1.0
    assert herfindahl([0.5, 0.5]) == pytest.approx(0.5)
    assert herfindahl([30, 30, 40]) == pytest.approx(0.34)
    assert herfindahl([0, 0]) == 0.0


# -- costs ------------------------------------------------------------------------------------------------
def test_cloud_rental_efficiency_matches_calibration() -> None:
    # calibration.md §3: H100 at 2 USD/h gives 1.78e18 peak FLOP/$ and 7.1e17 at 40% MFU (derived).
    assert flop_per_dollar_cloud(HARDWARE["H100"], 2.0, utilisation=1.0) == pytest.approx(1.78e18, rel=0.01)
    assert flop_per_dollar_cloud(HARDWARE["H100"], 2.0, utilisation=0.4) == pytest.approx(7.1e17, rel=0.01)


def test_amortised_efficiency_is_cheaper_than_on_demand_cloud() -> None:
    a100 = HARDWARE["A100"]
    amortised = flop_per_dollar_amortised(a100)
    # COT24: cloud rental costs ~2x the amortised approach (GPT-4: 78.6M vs 40.7M).
    assert flop_per_dollar_cloud(a100, 4.10) < amortised  # AWS on-demand 4.10 USD/h (EPDB)
    per_hour = a100.amortised_cost_per_hour() + a100.energy_cost_per_hour()
    assert 0.5 < per_hour < 1.45  # below the 3-year committed price of 1.45 USD/h (EPDB)


# -- bad input ---------------------------------------------------------------------------------------------
def test_bad_inputs_raise_naming_the_parameter() -> None:
    demand = PowerMarket(M=1e6, price=100, k=2.5)
    with pytest.raises(ValueError, match=r"^E = -1\.0: must be a finite number > 0"):
        optimize(LAW, demand, -1.0)
    with pytest.raises(ValueError, match=r"alpha = 0\.0: must be a finite number > 0"):
        ScalingLaw(E0=1.8, A=400, B=400, alpha=0.0, beta=0.3)
    with pytest.raises(ValueError, match=r"k = 6: profit is unbounded when k \* gamma >= 1.*must be < 5\.61"):
        optimize(LAW, PowerMarket(M=1e6, price=100, k=6.0), 1e18)
    with pytest.raises(ValueError, match=r"variant 'nope' is unknown: allowed default"):
        get_variant("nope")
    with pytest.raises(ValueError, match=r"price = -5: must be a finite number >= 0"):
        PowerMarket(M=1e6, price=-5, k=2.5)
    with pytest.raises(ValueError, match=r"closure = 'leontief': allowed 'cap' or 'additive'"):
        optimize(LAW, demand, 1e18, closure="leontief")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"scaling law preset 'kaplan' is unknown"):
        scaling_law("kaplan")
