"""Cost cross-checks: marketsim.economics.costs against the published figures of calibration.md.

Each test recomputes a published number from its stated inputs (LOH23: Lohn 2023, CSET; COT24:
Cottier et al. 2024; EPDB: Epoch hardware price database; HOB22: Hobbhahn and Besiroglu 2022) and
checks it within the range the source's precision or the issue allows.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.economics import HARDWARE, flop_per_dollar_amortised, flop_per_dollar_cloud, scaling_law
from marketsim.economics import costs
from marketsim.experiments.validation import cost_checks

A100, H100 = HARDWARE["A100"], HARDWARE["H100"]
LOHN_UTILISATION = costs.LOHN_A100_SUSTAINED_FLOPS / A100.peak_flops


def lohn_rule(training_dollars: float) -> float:
    """LOH23 Eq A5: serving dollars per 1,000 tokens = 2.35e-5 sqrt(training dollars)."""
    return 2.35e-5 * np.sqrt(training_dollars)


# -- cloud method: LOH23 Appendix A ----------------------------------------------------------------------
@pytest.mark.parametrize(("usd_per_hour", "gpu_hours", "flop"), [
    (costs.A100_ON_DEMAND_USD_PER_HOUR, 24.4e6, 1.43e25),  # 32.77 USD/h per 8 A100s, on demand
    (costs.A100_RESERVED_3YR_USD_PER_HOUR, 69.1e6, 4.06e25),  # 11.57 USD/h per 8, three-year reserved
])
def test_cloud_method_reproduces_what_100M_dollars_buys(usd_per_hour: float, gpu_hours: float, flop: float) -> None:
    # LOH23 App. A: $100M buys 24.4M-69.1M GPU-hours, i.e. 1.43e25-4.06e25 FLOP at 163 TFLOP/s.
    E = flop_per_dollar_cloud(A100, usd_per_hour, utilisation=LOHN_UTILISATION)
    assert 1e8 / usd_per_hour == pytest.approx(gpu_hours, rel=0.01)
    assert 1e8 * E == pytest.approx(flop, rel=0.01)


@pytest.mark.parametrize(("usd_per_hour", "params"), [
    (costs.A100_ON_DEMAND_USD_PER_HOUR, 327e9), (costs.A100_RESERVED_3YR_USD_PER_HOUR, 550e9)])
def test_chinchilla_trend_parameters_for_100M_dollars(usd_per_hour: float, params: float) -> None:
    # LOH23 App. A: GPT-4 at $100M is 327B-550B parameters on the Chinchilla trend. LOH23 fitted
    # HOF22's Table 3; 20 tokens per parameter is the rounded rule, so allow 10%.
    compute = 1e8 * flop_per_dollar_cloud(A100, usd_per_hour, utilisation=LOHN_UTILISATION)
    assert float(costs.chinchilla_params(compute)) == pytest.approx(params, rel=0.10)


def test_chinchilla_params_obey_the_compute_identity() -> None:
    # C = 6 N D with D = 20 N (HOF22): a 70B model on 1.4T tokens is ~5.88e23 FLOP (Chinchilla 5.76e23).
    N = float(costs.chinchilla_params(6 * 70e9 * 1.4e12))
    assert N == pytest.approx(70e9, rel=0.01)
    assert float(costs.chinchilla_params(5.76e23)) == pytest.approx(70e9, rel=0.02)


# -- serving cost: LOH23 Appendix B ------------------------------------------------------------------------
def test_serving_cost_of_a_100M_model_matches_lohn() -> None:
    # LOH23: about $0.24 per 1,000 tokens for a $100M model; the issue asks for a factor of 2.
    ours = float(costs.serving_cost_for_training_budget(1e8))
    assert 0.24 / 2 <= ours <= 0.24 * 2
    assert ours == pytest.approx(lohn_rule(1e8), rel=0.05)  # same assumptions, so much closer than 2x


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e4, max_value=1e12))
def test_square_root_rule_holds_within_factor_two_for_any_budget(training_dollars: float) -> None:
    ours = float(costs.serving_cost_for_training_budget(training_dollars))
    assert 0.5 <= ours / lohn_rule(training_dollars) <= 2.0


def test_serving_cost_scales_as_square_root_of_training_cost() -> None:
    budgets = np.array([1e6, 1e8, 1e10])
    cost = costs.serving_cost_for_training_budget(budgets)
    slopes = np.diff(np.log(cost)) / np.diff(np.log(budgets))
    np.testing.assert_allclose(slopes, 0.5, atol=1e-12)  # LOH23 Eq A1: 0.498, rounded to 0.5


def test_square_root_rule_also_holds_with_the_besiroglu_frontier() -> None:
    # An independent route: N from the BES24 compute-optimal frontier (a = 0.513) instead of the
    # fixed 20 tokens per parameter; still within a factor of 2 of LOH23 from $1M to $10B.
    law = scaling_law("besiroglu2024")
    E = flop_per_dollar_cloud(A100, costs.A100_RESERVED_3YR_USD_PER_HOUR, utilisation=LOHN_UTILISATION)
    for dollars in (1e6, 1e8, 1e10):
        N, _ = law.compute_optimal(dollars * E)
        cost = float(costs.bandwidth_bound_serving_cost(N, costs.A100_RESERVED_3YR_USD_PER_HOUR,
                                                        costs.A100_MEMORY_BANDWIDTH))
        assert 0.5 <= cost / lohn_rule(dollars) <= 2.0


def test_bandwidth_bound_serving_cost_is_linear_in_bytes_and_inverse_in_bandwidth() -> None:
    base = float(costs.bandwidth_bound_serving_cost(1e11, 2.0, 2e12))
    # 1e11 params x 2 bytes / 2e12 B/s = 0.1 s per token; 1,000 tokens = 100 s at 2 $/h = 0.0556 $.
    assert base == pytest.approx(100 * 2.0 / 3600)
    assert float(costs.bandwidth_bound_serving_cost(1e11, 2.0, 2e12, bytes_per_param=1.0)) == pytest.approx(base / 2)
    assert float(costs.bandwidth_bound_serving_cost(1e11, 2.0, 1e12)) == pytest.approx(base * 2)


# -- amortised method: COT24 ---------------------------------------------------------------------------------
def test_amortised_a100_matches_gpt4_implied_flop_per_dollar() -> None:
    # COT24: GPT-4 (A100s, 2022) cost 40.7M amortised for ~2e25 FLOP (sec.): 4.9e17 FLOP per dollar.
    implied = 2e25 / 40.7e6
    assert implied / 1.5 <= flop_per_dollar_amortised(A100) <= implied * 1.5


def test_cloud_to_amortised_ratio_brackets_cot24_gpt4() -> None:
    # COT24 GPT-4: cloud 78.6M vs amortised 40.7M (ratio 1.93). A100 committed prices (EPDB):
    # 3-year 1.45 USD/h must give a ratio no higher, 1-year 2.40 USD/h no lower.
    ratio = 78.6 / 40.7
    amortised = flop_per_dollar_amortised(A100)
    assert amortised / flop_per_dollar_cloud(A100, 1.45) <= ratio <= amortised / flop_per_dollar_cloud(A100, 2.40)


def test_owning_an_h100_costs_less_per_hour_than_the_cheapest_rental() -> None:
    per_hour = H100.amortised_cost_per_hour() + H100.energy_cost_per_hour()
    assert 0.5 < per_hour < 1.99  # EPDB: cheapest H100 rental 1.99 USD/h (Lambda, Jun 2023)


def test_specs_reproduce_the_price_performance_trend() -> None:
    # A100 (2020) to H100 (2023): growth per year of amortised FLOP per dollar inside HOB22's 95% CI
    # for ML GPUs (doubling 1.54-3.13 years) and near COT24's 1.38x.
    growth = (flop_per_dollar_amortised(H100) / flop_per_dollar_amortised(A100)) ** (1 / 3)
    assert 2 ** (1 / 3.13) <= growth <= 2 ** (1 / 1.54)
    assert growth == pytest.approx(10**0.14, rel=0.1)


def test_every_report_cost_check_passes() -> None:
    checks = cost_checks()
    assert len(checks) >= 10
    failing = [c.name for c in checks if not c.ok]
    assert failing == []


# -- bad input --------------------------------------------------------------------------------------------
def test_bad_inputs_name_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"^tokens_per_param = 0\.0: must be a finite number > 0$"):
        costs.chinchilla_params(1e24, tokens_per_param=0.0)
    with pytest.raises(ValueError, match=r"^memory_bandwidth = -1\.0: must be a finite number > 0$"):
        costs.bandwidth_bound_serving_cost(1e9, 1.0, -1.0)
    with pytest.raises(ValueError, match=r"^usd_per_gpu_hour = nan: must be a finite number > 0$"):
        costs.bandwidth_bound_serving_cost(1e9, float("nan"), 2e12)
