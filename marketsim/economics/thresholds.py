"""The consumer market's thresholds: one :class:`ThresholdSpec` owns the family, its parameters and
their defaults, and builds the :class:`~marketsim.economics.demand.Demand` and the threshold
distribution from them.

Consumers hold thresholds tau on reducible loss R (nats per token) and adopt a model only when
R <= tau (docs/theory.md §1.3, §6). The scenario schema takes its ``[consumers]`` defaults from
:data:`THRESHOLD_DEFAULTS`; the simulation and the validation build their markets with
:meth:`ThresholdSpec.demand`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import numpy as np

from marketsim.economics.demand import Demand, FixedLognormal, FixedPareto, LogUniform

__all__ = ["ThresholdFamily", "THRESHOLD_FAMILIES", "ThresholdSpec", "THRESHOLD_DEFAULTS", "threshold_market"]

ThresholdFamily = Literal["lognormal", "pareto", "loguniform"]
THRESHOLD_FAMILIES: Final[tuple[str, ...]] = get_args(ThresholdFamily)


@dataclass(frozen=True)
class ThresholdSpec:
    """The distribution of consumer thresholds tau on reducible loss (nats per token).

    Attributes:
        family: 'lognormal' (docs/theory.md §6, the default), 'pareto' or 'loguniform'.
        median: lognormal median threshold R0 (docs/theory.md §6: 0.1).
        sigma: lognormal spread of ln tau (docs/theory.md §6: 1).
        pareto_max, pareto_k: pareto thresholds tau = pareto_max * U^(1/pareto_k) (assumption: 0.2, 1).
        loguniform_min, loguniform_max: support of the log-uniform family (assumption: 0.01, 1).
    """

    family: ThresholdFamily = "lognormal"
    median: float = 0.1
    sigma: float = 1.0
    pareto_max: float = 0.2
    pareto_k: float = 1.0
    loguniform_min: float = 0.01
    loguniform_max: float = 1.0

    def __post_init__(self) -> None:
        if self.family not in THRESHOLD_FAMILIES:
            raise ValueError(f"threshold family {self.family!r} is unknown: allowed {', '.join(THRESHOLD_FAMILIES)}")

    @property
    def reference_loss(self) -> float:
        """The family's median threshold, nats per token: where value per adopter equals the list price."""
        if self.family == "lognormal":
            return self.median
        if self.family == "pareto":
            return self.pareto_max * 0.5 ** (1.0 / self.pareto_k)
        return float(np.sqrt(self.loguniform_min * self.loguniform_max))

    def demand(self, M: float, price: float, kappa: float = 0.0, R_ref: float | None = None) -> Demand:
        """The market of M people with these thresholds: adopters M P(tau >= R), revenue per adopter
        ``price (R_ref / R)^kappa`` dollars (``R_ref`` defaults to :attr:`reference_loss`)."""
        ref = self.reference_loss if R_ref is None else R_ref
        saturating = kappa == 0
        if self.family == "lognormal":
            return FixedLognormal(M=M, price=price, kappa=kappa, R_ref=ref, R0=self.median, sigma=self.sigma,
                                  saturating=saturating)
        if self.family == "pareto":
            return FixedPareto(M=M, price=price, kappa=kappa, R_ref=ref, R0=self.pareto_max, k=self.pareto_k,
                               saturating=saturating)
        return LogUniform(M=M, price=price, kappa=kappa, R_ref=ref, R0=self.loguniform_max,
                          R_min=self.loguniform_min, saturating=saturating)

    def distribution(self) -> Any:
        """Frozen scipy.stats distribution of the thresholds tau (nats per token), for sampling consumers."""
        return self.demand(M=1.0, price=1.0).threshold_dist()


#: The defaults of every threshold parameter (the scenario schema's ``[consumers]`` defaults).
THRESHOLD_DEFAULTS: Final = ThresholdSpec()


def threshold_market(family: str, *, M: float, price: float, kappa: float = 0.0, R_ref: float | None = None,
                     **params: float) -> Demand:
    """Shorthand for ``ThresholdSpec(family, **params).demand(M, price, kappa, R_ref)``."""
    return ThresholdSpec(family, **params).demand(M, price, kappa, R_ref)  # type: ignore[arg-type]
