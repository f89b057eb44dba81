"""Named model variants of docs/theory.md §2 and §6: scaling law, market, inference and data costs.

``default`` is the recommended default of docs/theory.md §6 (Epoch-refit Chinchilla constants,
power market k = 2.5, inference T = 2e7 tokens per adopter, cap closure); the saturating markets
(fixed lognormal, fixed Pareto, log-uniform) are there to show where the paper's claims fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from marketsim.economics.demand import (Demand, FixedLognormal, FixedPareto, LogUniform, PowerMarket,
                                        ValueGrowthHybrid)
from marketsim.economics.scaling import ScalingLaw, scaling_law

#: Reference hardware efficiency, FLOP per dollar: roughly an H100 at ~40% MFU for ~2 USD/GPU-h
#: (docs/theory.md §6; docs/calibration.md §3 derives 7.1e17).
E_REF: Final = 1e18
#: Market size M (people or usage units) calibrated so that default spend(E_REF) is about 3e8
#: dollars (docs/theory.md §6: M ~ 8.7e5).
M_DEFAULT: Final = 8.7e5
#: Dollars per adopter per generation (docs/theory.md §6).
PRICE_DEFAULT: Final = 240.0
#: Tokens served per adopter per generation (docs/calibration.md §7: 16% of price at E_REF).
T_DEFAULT: Final = 2e7


@dataclass(frozen=True)
class Variant:
    """A model of the firm's problem: the law, the market, and the non-training costs.

    Attributes:
        name: key in :data:`VARIANTS`.
        description: one line.
        law: scaling law.
        demand: market (revenue per generation, dollars).
        T: tokens served per adopter per generation.
        c_D: dollars per training token.
        closure: data-bound closure ('cap' or 'additive').
    """

    name: str
    description: str
    law: ScalingLaw
    demand: Demand
    T: float = 0.0
    c_D: float = 0.0
    closure: str = "cap"

    @property
    def saturating(self) -> bool:
        """True when the market's revenue is bounded (the paper's claims should fail)."""
        return self.demand.saturating


def _variants() -> dict[str, Variant]:
    epoch, hoffmann = scaling_law("besiroglu2024"), scaling_law("hoffmann2022")
    power = PowerMarket(M=M_DEFAULT, price=PRICE_DEFAULT, R0=0.1, k=2.5)
    lognormal = FixedLognormal(M=M_DEFAULT, price=PRICE_DEFAULT, R0=0.1, sigma=1.0)
    entries = [
        Variant("default", "Epoch constants, power market k=2.5, inference T=2e7 (docs/theory.md §6)",
                epoch, power, T=T_DEFAULT),
        Variant("power_k2.5", "Epoch constants, power market k=2.5, training cost only", epoch, power),
        Variant("power_k2", "Epoch constants, power market k=2, inference T=2e7",
                epoch, PowerMarket(M=M_DEFAULT, price=PRICE_DEFAULT, R0=0.1, k=2.0), T=T_DEFAULT),
        Variant("hybrid", "bounded population: lognormal share (sigma=1) x value per adopter ~ R^-2.5",
                epoch, ValueGrowthHybrid(M=M_DEFAULT, price=PRICE_DEFAULT, R0=0.1, sigma=1.0, kappa=2.5)),
        Variant("hoffmann_power", "Hoffmann constants, power market k=2.93, inference T=2e7",
                hoffmann, PowerMarket(M=M_DEFAULT, price=PRICE_DEFAULT, R0=0.1, k=2.93), T=T_DEFAULT),
        Variant("fixed_lognormal", "saturating: fixed population, lognormal thresholds (sigma=1, median 0.1)",
                epoch, lognormal),
        Variant("fixed_pareto", "saturating: fixed population, Pareto thresholds (k=1, max 0.2)",
                epoch, FixedPareto(M=M_DEFAULT, price=PRICE_DEFAULT, R0=0.2, k=1.0)),
        Variant("loguniform", "boundary case: unbounded log-uniform thresholds below R0=1",
                epoch, LogUniform(M=M_DEFAULT, price=PRICE_DEFAULT, R0=1.0)),
    ]
    return {v.name: v for v in entries}


VARIANTS: Final[dict[str, Variant]] = _variants()
DEFAULT_VARIANT: Final = "default"


def get_variant(name: str = DEFAULT_VARIANT) -> Variant:
    """The variant called ``name``; ValueError listing the allowed names otherwise."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"variant {name!r} is unknown: allowed {', '.join(VARIANTS)}") from None
