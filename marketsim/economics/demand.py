"""Demand for a model of reducible loss R: adopters n(R), value per adopter w(R), revenue V = n w.

Consumers hold thresholds tau on reducible loss and adopt a model only when R <= tau, so the number
of adopters is the population times the survival function of the thresholds, n(R) = M P(tau >= R)
(docs/theory.md §1.3). Value per adopter is ``price * (R_ref / R)^kappa``: kappa = 0 is a flat
price; kappa > 0 is the bounded "value-growth hybrid" whose revenue keeps growing with quality
while adopters saturate. Revenue is per model generation (or per period, in the simulation): the
caller decides the time unit of ``price``.

Every market works in log R so that tiny shares and huge markets neither underflow nor overflow:
``log_adopters(lnR)``, ``dlog_adopters(lnR)`` (= d ln n / d ln R), ``log_value(lnR)`` and
``dlog_value(lnR)``. The optimizer needs nothing else.

Families (docs/theory.md §1.3 table):

===================  =============================  ==============================
name                 n(R)                           thresholds tau
===================  =============================  ==============================
power (permissive)   M (R0/R)^k                     unbounded Pareto mass (no sampling)
lognormal            M Phi((ln R0 - ln R)/sigma)    lognormal, median R0
pareto (fixed)       M (1 - (R/R0)^k), R < R0       tau = R0 U^(1/k)
loguniform           M ln(R0/R) [/ ln(R0/R_min)]    log-uniform on [R_min, R0]
===================  =============================  ==============================
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from marketsim.economics.checks import require_positive

_NEG_INF = -np.inf


def _positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    require_positive(name, value, allow_zero=allow_zero, prefix="demand parameter ")


@dataclass(frozen=True)
class Demand(ABC):
    """Base class: a population of adopters and the value each one pays.

    Attributes:
        M: market size, people (or usage units for the unbounded power market).
        price: dollars per adopter per generation (or per period) at the reference loss.
        kappa: elasticity of value per adopter with respect to 1/R (0 = flat price).
        R_ref: reference reducible loss where value per adopter equals ``price``.
    """

    M: float
    price: float
    kappa: float = 0.0
    R_ref: float = 0.1

    #: True when revenue is bounded as quality improves (spend falls with E in that case).
    saturating: bool = False

    def __post_init__(self) -> None:
        _positive("M", self.M)
        _positive("price", self.price, allow_zero=True)
        _positive("kappa", self.kappa, allow_zero=True)
        _positive("R_ref", self.R_ref)

    # -- the interface the optimizer uses (arrays of ln R) -------------------------------------
    @abstractmethod
    def log_adopters(self, lnR: ArrayLike) -> np.ndarray:
        """ln n(R): log of the number of adopters (people); -inf where nobody adopts."""

    @abstractmethod
    def dlog_adopters(self, lnR: ArrayLike) -> np.ndarray:
        """d ln n / d ln R (<= 0): how fast adopters fall as the loss rises."""

    def log_value(self, lnR: ArrayLike) -> np.ndarray:
        """ln w(R): log dollars per adopter; w = price (R_ref / R)^kappa."""
        lnR = np.asarray(lnR, dtype=float)
        with np.errstate(divide="ignore"):
            return np.log(self.price) + self.kappa * (np.log(self.R_ref) - lnR)

    def dlog_value(self, lnR: ArrayLike) -> np.ndarray:
        """d ln w / d ln R = -kappa."""
        return np.full(np.shape(lnR), -self.kappa, dtype=float)

    # -- conveniences on R ---------------------------------------------------------------------
    def adopters(self, R: ArrayLike) -> np.ndarray:
        """Number of adopters n(R) (people) of a model with reducible loss R."""
        return np.exp(self.log_adopters(np.log(np.asarray(R, dtype=float))))

    def value_per_adopter(self, R: ArrayLike) -> np.ndarray:
        """Dollars per adopter w(R)."""
        return np.exp(self.log_value(np.log(np.asarray(R, dtype=float))))

    def revenue(self, R: ArrayLike) -> np.ndarray:
        """Revenue V(R) = n(R) w(R), dollars."""
        lnR = np.log(np.asarray(R, dtype=float))
        return np.exp(self.log_adopters(lnR) + self.log_value(lnR))

    def threshold_dist(self) -> Any | None:
        """Frozen scipy.stats distribution of consumer thresholds tau, or None if unbounded."""
        return None

    def revenue_exponent(self) -> float:
        """Asymptotic -d ln V / d ln R as quality improves (R -> 0): kappa for finite populations.

        Profit is unbounded when this exponent times the scaling law's gamma reaches 1.
        """
        return self.kappa

    def scaled(self, factor: float) -> "Demand":
        """The same market with M multiplied by ``factor``."""
        from dataclasses import replace

        return replace(self, M=self.M * factor)


@dataclass(frozen=True)
class PowerMarket(Demand):
    """Permissive power market n(R) = M (R0/R)^k: the mass of tasks unlocked grows without bound.

    With a flat price its revenue elasticity with respect to effective compute is k * gamma; the
    optimum exists only for k * gamma < 1 (docs/theory.md §5).
    """

    R0: float = 0.1
    k: float = 2.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive("R0", self.R0)
        _positive("k", self.k)

    def log_adopters(self, lnR: ArrayLike) -> np.ndarray:
        return np.log(self.M) + self.k * (np.log(self.R0) - np.asarray(lnR, dtype=float))

    def dlog_adopters(self, lnR: ArrayLike) -> np.ndarray:
        return np.full(np.shape(lnR), -self.k, dtype=float)

    def revenue_exponent(self) -> float:
        return self.k + self.kappa


@dataclass(frozen=True)
class FixedLognormal(Demand):
    """Fixed population with lognormal thresholds (median R0, log-spread sigma): saturating."""

    R0: float = 0.1
    sigma: float = 1.0
    saturating: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive("R0", self.R0)
        _positive("sigma", self.sigma)

    def _z(self, lnR: ArrayLike) -> np.ndarray:
        return (np.log(self.R0) - np.asarray(lnR, dtype=float)) / self.sigma

    def log_adopters(self, lnR: ArrayLike) -> np.ndarray:
        return np.log(self.M) + special.log_ndtr(self._z(lnR))

    def dlog_adopters(self, lnR: ArrayLike) -> np.ndarray:
        z = self._z(lnR)
        # phi(z)/Phi(z) in logs: stable for z -> -inf where both underflow.
        log_phi = -0.5 * z * z - 0.5 * np.log(2.0 * np.pi)
        return -np.exp(log_phi - special.log_ndtr(z)) / self.sigma

    def threshold_dist(self) -> Any:
        return stats.lognorm(s=self.sigma, scale=self.R0)


def ValueGrowthHybrid(
    M: float, price: float, R0: float = 0.1, sigma: float = 1.0, kappa: float = 2.5, R_ref: float | None = None
) -> FixedLognormal:
    """Bounded hybrid: lognormal adopter share times value per adopter growing as (R_ref/R)^kappa.

    Adopters saturate at M but revenue keeps rising with quality, which gives the same
    compute-bound slopes as a power market with k = kappa (docs/theory.md §1.3, §6).
    """
    return FixedLognormal(M=M, price=price, kappa=kappa, R_ref=R0 if R_ref is None else R_ref,
                          R0=R0, sigma=sigma, saturating=False)


@dataclass(frozen=True)
class FixedPareto(Demand):
    """Fixed population with thresholds tau = R0 U^(1/k) (quality 1/tau Pareto): saturating."""

    R0: float = 0.2
    k: float = 1.0
    saturating: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive("R0", self.R0)
        _positive("k", self.k)

    def _ratio(self, lnR: ArrayLike) -> np.ndarray:
        return np.exp(self.k * (np.asarray(lnR, dtype=float) - np.log(self.R0)))

    def log_adopters(self, lnR: ArrayLike) -> np.ndarray:
        q = self._ratio(lnR)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(q < 1.0, np.log(self.M) + np.log1p(-np.minimum(q, 1.0)), _NEG_INF)

    def dlog_adopters(self, lnR: ArrayLike) -> np.ndarray:
        q = self._ratio(lnR)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(q < 1.0, -self.k * q / (1.0 - np.minimum(q, 1.0)), 0.0)

    def threshold_dist(self) -> Any:
        return stats.powerlaw(a=self.k, scale=self.R0)


@dataclass(frozen=True)
class LogUniform(Demand):
    """Log-uniform thresholds below R0: n = M ln(R0/R), normalised by ln(R0/R_min) if R_min is set.

    Unbounded (R_min None) it is the boundary case where optimal spend does not move with E.
    """

    R0: float = 1.0
    R_min: float | None = None
    saturating: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive("R0", self.R0)
        if self.R_min is not None:
            _positive("R_min", self.R_min)
            if self.R_min >= self.R0:
                raise ValueError(f"demand parameter R_min = {self.R_min!r}: must be below R0 = {self.R0!r}")

    def _span(self, lnR: ArrayLike) -> np.ndarray:
        span = np.log(self.R0) - np.asarray(lnR, dtype=float)
        if self.R_min is not None:
            span = np.minimum(span, np.log(self.R0 / self.R_min))
        return span

    def log_adopters(self, lnR: ArrayLike) -> np.ndarray:
        span = self._span(lnR)
        norm = 0.0 if self.R_min is None else np.log(np.log(self.R0 / self.R_min))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(span > 0, np.log(self.M) + np.log(np.maximum(span, 1e-300)) - norm, _NEG_INF)

    def dlog_adopters(self, lnR: ArrayLike) -> np.ndarray:
        lnR = np.asarray(lnR, dtype=float)
        span = self._span(lnR)
        inside = span > 0
        if self.R_min is not None:
            inside &= lnR > np.log(self.R_min)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(inside, -1.0 / np.where(span > 0, span, 1.0), 0.0)

    def threshold_dist(self) -> Any | None:
        return None if self.R_min is None else stats.loguniform(self.R_min, self.R0)
