"""Cost cross-checks: published per-GPU-hour, per-FLOP and serving-cost figures recomputed with
:mod:`marketsim.economics.costs` (docs/calibration.md §3, §6, §11).

Units: money in US dollars; compute in FLOP; time in hours or years as named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CostCheck", "cost_checks"]


@dataclass(frozen=True)
class CostCheck:
    """A published cost figure recomputed with :mod:`marketsim.economics.costs`.

    Attributes:
        name: what is computed, with its unit.
        published: the published figure.
        computed: our value.
        low, high: the interval ``computed`` must fall in (None = unbounded on that side).
        source: docs/calibration.md key of the figure, and why the interval is what it is.
    """

    name: str
    published: float
    computed: float
    low: float | None
    high: float | None
    source: str

    @property
    def ok(self) -> bool:
        """Whether the computed value is inside the interval."""
        return (self.low is None or self.computed >= self.low) and (self.high is None or self.computed <= self.high)


def _within(published: float, rel: float) -> tuple[float, float]:
    return published * (1 - rel), published * (1 + rel)


def cost_checks() -> list[CostCheck]:
    """Published per-GPU-hour, per-FLOP and serving-cost figures, recomputed (docs/calibration.md §3, §6, §11)."""
    from marketsim.economics import HARDWARE, flop_per_dollar_amortised, flop_per_dollar_cloud
    from marketsim.economics import costs

    a100, h100 = HARDWARE["A100"], HARDWARE["H100"]
    lohn_util = costs.LOHN_A100_SUSTAINED_FLOPS / a100.peak_flops
    on_demand = 1e8 * flop_per_dollar_cloud(a100, costs.A100_ON_DEMAND_USD_PER_HOUR, utilisation=lohn_util)
    reserved = 1e8 * flop_per_dollar_cloud(a100, costs.A100_RESERVED_3YR_USD_PER_HOUR, utilisation=lohn_util)
    amortised_a100 = flop_per_dollar_amortised(a100)
    gpt4_implied = 2e25 / 40.7e6  # GPT-4 compute ~2e25 FLOP (sec.) / COT24 amortised cost

    def cloud_over_amortised(usd_per_hour: float) -> float:
        return amortised_a100 / flop_per_dollar_cloud(a100, usd_per_hour)

    budgets = np.array([1e8, 1e9])
    slope = float(np.diff(np.log(costs.serving_cost_for_training_budget(budgets)))[0] / np.diff(np.log(budgets))[0])
    h100_per_hour = h100.amortised_cost_per_hour() + h100.energy_cost_per_hour()
    hw_growth = (flop_per_dollar_amortised(h100) / amortised_a100) ** (1 / 3)  # A100 2020 -> H100 2023
    return [
        CostCheck("FLOP bought by $100M of A100 on demand (32.77 $/h per 8, 163 TFLOP/s)", 1.43e25, on_demand,
                  *_within(1.43e25, 0.01), "LOH23 App. A; +/-1% (3 significant digits)"),
        CostCheck("FLOP bought by $100M of A100, 3-year reserved (11.57 $/h per 8)", 4.06e25, reserved,
                  *_within(4.06e25, 0.01), "LOH23 App. A; +/-1% (3 significant digits)"),
        CostCheck("Chinchilla-trend parameters for $100M on demand", 327e9,
                  float(costs.chinchilla_params(on_demand)), *_within(327e9, 0.10),
                  "LOH23 App. A (327B); +/-10%, as LOH23 fitted HOF22 Table 3 while we use 20 tokens/param"),
        CostCheck("Chinchilla-trend parameters for $100M reserved", 550e9,
                  float(costs.chinchilla_params(reserved)), *_within(550e9, 0.10), "LOH23 App. A (550B); +/-10%"),
        CostCheck("serving cost of a $100M model, $ per 1,000 tokens", 0.24,
                  float(costs.serving_cost_for_training_budget(1e8)), 0.12, 0.48,
                  "LOH23 Eq A5 (2.35e-5 sqrt(1e8) = 0.235); within a factor of 2 (issue 6)"),
        CostCheck("exponent of serving cost in training cost", 0.498, slope, 0.45, 0.55,
                  "LOH23 Eq A1 (0.498, rounded to 0.5); +/-0.05, assumption"),
        CostCheck("A100 amortised hardware + energy, FLOP per $", gpt4_implied, amortised_a100,
                  gpt4_implied / 1.5, gpt4_implied * 1.5,
                  "COT24 GPT-4 40.7M for ~2e25 FLOP (sec.) = 4.9e17; x/1.5-1.5x, assumption"),
        CostCheck("cloud / amortised cost, A100 at the 3-year price (1.45 $/h)", 78.6 / 40.7,
                  cloud_over_amortised(1.45), None, 78.6 / 40.7,
                  "COT24 GPT-4: cloud 78.6M / amortised 40.7M = 1.93; EPDB 3-yr price; must not exceed it"),
        CostCheck("cloud / amortised cost, A100 at the 1-year price (2.40 $/h)", 78.6 / 40.7,
                  cloud_over_amortised(2.40), 78.6 / 40.7, None,
                  "COT24 GPT-4 ratio 1.93; EPDB 1-yr price; must not fall below it"),
        CostCheck("H100 amortised hardware + energy, $ per GPU-hour", 1.99, h100_per_hour, None, 1.99,
                  "EPDB: cheapest H100 rental 1.99 $/h (Lambda, Jun 2023); owning must cost less"),
        CostCheck("H100 peak FLOP per $ at 2 $/h", 1.78e18, flop_per_dollar_cloud(h100, 2.0, utilisation=1.0),
                  *_within(1.78e18, 0.01), "docs/calibration.md §3 (derived); +/-1%"),
        CostCheck("price-performance growth, A100 (2020) to H100 (2023), x per year", 10**0.14, hw_growth,
                  2 ** (1 / 3.13), 2 ** (1 / 1.54),
                  "COT24 0.14 OOM/yr; interval: HOB22 ML GPUs' doubling time 95% CI 1.54-3.13 years"),
    ]

