"""The economics of a profit-optimal LLM training firm: pure numpy/scipy, no Mesa.

Usable alone in a notebook::

    from marketsim.economics import scaling_law, PowerMarket, optimize
    opt = optimize(scaling_law(), PowerMarket(M=8.7e5, price=240, k=2.5), E=1e18, T=2e7)
"""

from marketsim.economics.competition import ResidualDemand, herfindahl
from marketsim.economics.costs import (HARDWARE, HardwareSpec, data_cost, flop_per_dollar_amortised,
                                       flop_per_dollar_cloud, serving_cost, training_cost)
from marketsim.economics.demand import (Demand, FixedLognormal, FixedPareto, LogUniform, PowerMarket,
                                        ValueGrowthHybrid)
from marketsim.economics.optimizer import optimize
from marketsim.economics.pricing import StageGame, symmetric_equilibrium_price, symmetric_markup
from marketsim.economics.problem import Optimum, evaluate, no_train
from marketsim.economics.scaling import SCALING_PRESETS, ScalingLaw, scaling_law
from marketsim.economics.thresholds import THRESHOLD_DEFAULTS, ThresholdSpec, threshold_market
from marketsim.economics.statics import StaticsReport, elasticities, loglog_slope
from marketsim.economics.variants import DEFAULT_VARIANT, VARIANTS, Variant, get_variant

__all__ = [
    "Demand", "FixedLognormal", "FixedPareto", "HARDWARE", "HardwareSpec", "LogUniform", "Optimum",
    "PowerMarket", "ResidualDemand", "SCALING_PRESETS", "ScalingLaw", "StaticsReport", "VARIANTS",
    "DEFAULT_VARIANT", "ValueGrowthHybrid", "Variant", "data_cost", "elasticities", "evaluate",
    "flop_per_dollar_amortised", "flop_per_dollar_cloud", "get_variant", "herfindahl", "loglog_slope",
    "no_train", "optimize", "scaling_law", "serving_cost", "THRESHOLD_DEFAULTS",
    "ThresholdSpec", "threshold_market", "training_cost", "StageGame", "symmetric_markup",
    "symmetric_equilibrium_price",
]
