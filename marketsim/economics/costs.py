"""Costs of one model generation and the hardware efficiency E (FLOP per dollar) behind them.

- training: 6 N D / E dollars (6 FLOP per parameter per token, KAP20 section 2.1; HOF22);
- serving: 2 N T / E dollars per adopter, T tokens served per adopter (forward pass 2N FLOP per
  token, KAP20), counted at the same FLOP price as training (docs/theory.md §1.2);
- data: c_D D dollars (optional).

E can be derived from a hardware spec in the two ways of Cottier et al. 2024 (COT24):
amortised hardware plus energy, or cloud rental. Figures are from docs/calibration.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from marketsim.economics.checks import require_positive

HOURS_PER_YEAR: Final = 8766.0  # 365.25 days


def training_cost(N: ArrayLike, D: ArrayLike, E: ArrayLike) -> np.ndarray:
    """Training cost 6 N D / E in dollars (N parameters, D tokens, E FLOP per dollar)."""
    return 6.0 * np.asarray(N, dtype=float) * np.asarray(D, dtype=float) / np.asarray(E, dtype=float)


def serving_cost(N: ArrayLike, T: ArrayLike, E: ArrayLike, adopters: ArrayLike = 1.0) -> np.ndarray:
    """Serving cost 2 N T / E in dollars per adopter (T tokens served to each), times ``adopters`` people."""
    # adopters multiplies 2.0 first: exact (for adopters = 1 the per-adopter cost is unchanged)
    return (2.0 * np.asarray(adopters, dtype=float) * np.asarray(N, dtype=float) * np.asarray(T, dtype=float)
            / np.asarray(E, dtype=float))


def data_cost(D: ArrayLike, c_D: ArrayLike) -> np.ndarray:
    """Data cost c_D D in dollars (c_D dollars per training token)."""
    return np.asarray(c_D, dtype=float) * np.asarray(D, dtype=float)


@dataclass(frozen=True)
class HardwareSpec:
    """An accelerator and how it is run.

    Attributes:
        name: display name.
        chip_price: dollars per accelerator (chip alone).
        peak_flops: dense BF16 peak, FLOP per second.
        tdp_watts: thermal design power, watts.
        server_multiplier: server cost / chip cost (COT24 code: A100 1.66, default 1.64).
        interconnect_markup: cluster cost / server cost (COT24: interconnect 19% of cluster
            cost, i.e. a 1.23x markup on servers; derived in docs/calibration.md §3).
        lifetime_years: straight-line amortisation period (COT24: 4 years 2021-22, 5 from 2023).
        utilisation: model FLOP utilisation (COT24 median 37.5%).
        avg_power_fraction: average draw / TDP during training (COT24: 75% for GPUs).
        pue: data-centre power usage effectiveness (COT24: 1.1 hyperscalers, 1.25 others).
        electricity_usd_per_kwh: price of electricity, dollars per kWh (assumption: 0.08, a
            typical US industrial rate; docs/calibration.md §3).
    """

    name: str
    chip_price: float
    peak_flops: float
    tdp_watts: float
    server_multiplier: float = 1.64
    interconnect_markup: float = 1.23
    lifetime_years: float = 4.0
    utilisation: float = 0.375
    avg_power_fraction: float = 0.75
    pue: float = 1.1
    electricity_usd_per_kwh: float = 0.08

    def __post_init__(self) -> None:
        for field in ("chip_price", "peak_flops", "tdp_watts", "server_multiplier", "interconnect_markup",
                      "lifetime_years", "pue", "electricity_usd_per_kwh"):
            require_positive(field, getattr(self, field), prefix=f"hardware {self.name}: ")
        for field in ("utilisation", "avg_power_fraction"):
            value = getattr(self, field)
            if not (0 < value <= 1):
                raise ValueError(f"hardware {self.name}: {field} = {value!r}: must be in (0, 1]")

    @property
    def effective_flops(self) -> float:
        """Achieved FLOP per second: peak times utilisation."""
        return self.peak_flops * self.utilisation

    def amortised_cost_per_hour(self) -> float:
        """Capital cost per accelerator-hour: chip x server x interconnect over the lifetime, dollars."""
        capital = self.chip_price * self.server_multiplier * self.interconnect_markup
        return capital / (self.lifetime_years * HOURS_PER_YEAR)

    def energy_cost_per_hour(self) -> float:
        """Electricity per accelerator-hour at average draw and PUE, dollars."""
        kw = self.tdp_watts * self.avg_power_fraction * self.pue / 1000.0
        return kw * self.electricity_usd_per_kwh


HARDWARE: Final[dict[str, HardwareSpec]] = {
    # A100 SXM4: 312 TFLOP/s BF16 dense, 400 W (docs/calibration.md §3, spec page); 15,000 USD list
    # price Jul 2020 (EPDB); server multiplier 1.66 for A100 (COT24 code).
    "A100": HardwareSpec(name="A100", chip_price=15_000.0, peak_flops=312e12, tdp_watts=400.0,
                         server_multiplier=1.66, lifetime_years=4.0),
    # H100 SXM5: 989.4 TFLOP/s BF16 dense, 700 W (KLO); 33,750 USD per GPU incl. DGX share
    # (EPDB, May 2023), so no separate server multiplier; 5-year life from 2023 (COT24 code).
    "H100": HardwareSpec(name="H100", chip_price=33_750.0, peak_flops=989.4e12, tdp_watts=700.0,
                         server_multiplier=1.0, lifetime_years=5.0),
}


def flop_per_dollar_amortised(spec: HardwareSpec) -> float:
    """Hardware efficiency E in FLOP per dollar from amortised hardware plus energy (COT24 method)."""
    dollars_per_hour = spec.amortised_cost_per_hour() + spec.energy_cost_per_hour()
    return spec.effective_flops * 3600.0 / dollars_per_hour


def flop_per_dollar_cloud(spec: HardwareSpec, usd_per_hour: float, utilisation: float | None = None) -> float:
    """Hardware efficiency E in FLOP per dollar when renting ``spec`` at ``usd_per_hour`` per GPU-hour.

    Example: H100 at 2 USD/h and 40% utilisation gives 7.1e17 FLOP/$ (docs/calibration.md §3, derived).
    """
    require_positive("usd_per_hour", usd_per_hour)
    util = spec.utilisation if utilisation is None else utilisation
    if not (0 < util <= 1):
        raise ValueError(f"utilisation = {util!r}: must be in (0, 1]")
    return spec.peak_flops * util * 3600.0 / usd_per_hour


# --- serving cost of a Chinchilla-trend model (Lohn 2023, CSET, Appendices A-B) -----------------------

#: A100 three-year reserved cloud price, dollars per GPU-hour: 11.57 USD/h for 8 GPUs (LOH23 App. A).
A100_RESERVED_3YR_USD_PER_HOUR: Final = 11.57 / 8
#: A100 on-demand cloud price, dollars per GPU-hour: 32.77 USD/h for 8 GPUs (LOH23 App. A).
A100_ON_DEMAND_USD_PER_HOUR: Final = 32.77 / 8
#: Sustained A100 training throughput assumed by LOH23, FLOP per second (163 TFLOP/s).
LOHN_A100_SUSTAINED_FLOPS: Final = 163e12
#: A100 memory bandwidth, bytes per second. LOH23 App. B writes "2GB/s"; its stated result
#: (2.35e-5 sqrt(C_T)) requires 2e12 B/s, i.e. 2 TB/s, so the text's unit is a typo.
A100_MEMORY_BANDWIDTH: Final = 2.0e12
#: Compute-optimal tokens per parameter on the Chinchilla trend (HOF22 rule of thumb, ~20).
CHINCHILLA_TOKENS_PER_PARAM: Final = 20.0


def chinchilla_params(compute: ArrayLike, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> np.ndarray:
    """Parameters N of the Chinchilla-trend model for ``compute`` FLOP: C = 6 N (r N), r tokens per parameter."""
    require_positive("tokens_per_param", tokens_per_param)
    return np.sqrt(np.asarray(compute, dtype=float) / (6.0 * tokens_per_param))


def bandwidth_bound_serving_cost(N: ArrayLike, usd_per_gpu_hour: float, memory_bandwidth: float,
                                 bytes_per_param: float = 2.0) -> np.ndarray:
    """Dollars per 1,000 generated tokens when every token reads all N parameters from memory once.

    Time per token is bytes_per_param * N / memory_bandwidth seconds, whatever the number of GPUs
    (more GPUs divide the time and multiply the price), priced at ``usd_per_gpu_hour`` (LOH23 Eq A3).
    """
    for name, value in (("usd_per_gpu_hour", usd_per_gpu_hour), ("memory_bandwidth", memory_bandwidth),
                        ("bytes_per_param", bytes_per_param)):
        require_positive(name, value)
    seconds_per_token = bytes_per_param * np.asarray(N, dtype=float) / memory_bandwidth
    return 1000.0 * seconds_per_token * usd_per_gpu_hour / 3600.0


def serving_cost_for_training_budget(training_dollars: ArrayLike, *,
                                     usd_per_gpu_hour: float = A100_RESERVED_3YR_USD_PER_HOUR,
                                     sustained_flops: float = LOHN_A100_SUSTAINED_FLOPS,
                                     memory_bandwidth: float = A100_MEMORY_BANDWIDTH,
                                     bytes_per_param: float = 2.0,
                                     tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> np.ndarray:
    """Serving dollars per 1,000 tokens of the Chinchilla-trend model trained for ``training_dollars``.

    The budget buys training compute at the cloud price (``flop_per_dollar_cloud`` of an A100 run at
    ``sustained_flops``), the compute fixes N on the Chinchilla trend, and serving is
    memory-bandwidth-bound at the same GPU price. With the defaults (LOH23's assumptions) this is
    the derivation behind LOH23's rule C_I ~ 2.35e-5 sqrt(C_T) dollars per 1,000 tokens.
    """
    a100 = HARDWARE["A100"]
    E = flop_per_dollar_cloud(a100, usd_per_gpu_hour, utilisation=sustained_flops / a100.peak_flops)
    N = chinchilla_params(np.asarray(training_dollars, dtype=float) * E, tokens_per_param)
    return bandwidth_bound_serving_cost(N, usd_per_gpu_hour, memory_bandwidth, bytes_per_param)
