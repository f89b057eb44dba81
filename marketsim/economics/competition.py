"""Several firms: the demand one firm faces given its rivals' current models (docs/theory.md §7).

A consumer with threshold tau qualifies the models with R_j <= tau and picks among them by logit on
utility u_j = -ln R_j + shift_j with scale lambda (ln-R units); shift_j carries price and other
non-quality terms (e.g. -price_sensitivity * price_j). Sorting rivals by loss, the thresholds split
into segments [b_i, b_{i+1}) in which the same rivals qualify, and a firm with loss R earns

    n_own(R) = sum_i [n(max(R, b_i)) - n(max(R, b_{i+1}))] * share_i(R),
    share_i = e_own / (e_own + sum_{l <= i} e_l),   e = exp(u / lambda),

with n the market's adopters (people with tau >= R). This is the firm's residual demand; it is a
:class:`~marketsim.economics.demand.Demand`, so :func:`~marketsim.economics.optimizer.optimize`
takes it unchanged (a myopic best response to rivals' current models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from marketsim.economics.demand import Demand


@dataclass(frozen=True)
class ResidualDemand(Demand):
    """Demand left to one firm when rivals sell models of reducible loss ``rival_R``.

    Attributes:
        base: the whole market (adopters n(R) = people with threshold tau >= R).
        rival_R: rivals' reducible losses (nats per token).
        rival_shift: rivals' utility shifts (ln-R units), e.g. -price_sensitivity * price.
        own_shift: this firm's utility shift (ln-R units).
        lam: logit scale lambda (ln-R units, > 0); docs/theory.md §7 recommends about 0.3.
        M, price, kappa, R_ref: this firm's value side (price it charges; value exponent).
    """

    base: Demand | None = None
    rival_R: tuple[float, ...] = field(default_factory=tuple)
    rival_shift: tuple[float, ...] = field(default_factory=tuple)
    own_shift: float = 0.0
    lam: float = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.base is None:
            raise ValueError("ResidualDemand needs a base market")
        if not self.lam > 0:
            raise ValueError(f"logit lambda = {self.lam!r}: must be > 0")
        if len(self.rival_R) != len(self.rival_shift):
            raise ValueError("rival_R and rival_shift must have the same length")
        if any(not (np.isfinite(r) and r > 0) for r in self.rival_R):
            raise ValueError(f"rival_R = {self.rival_R!r}: every rival loss must be a finite number > 0")

    @classmethod
    def facing(cls, base: Demand, rival_R: ArrayLike, rival_shift: ArrayLike, *, own_price: float,
               own_shift: float = 0.0, lam: float = 0.3) -> "ResidualDemand":
        """The residual demand of a firm charging ``own_price`` against the given rivals."""
        rival_R = tuple(float(r) for r in np.atleast_1d(rival_R))
        rival_shift = tuple(float(s) for s in np.atleast_1d(rival_shift))
        return cls(M=base.M, price=own_price, kappa=base.kappa, R_ref=base.R_ref, saturating=base.saturating,
                   base=base, rival_R=rival_R, rival_shift=rival_shift, own_shift=own_shift, lam=lam)

    @cached_property
    def _rivals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rivals sorted by loss: ln R_j, utility shifts, and market adopters n(R_j) (people)."""
        assert self.base is not None
        order = np.argsort(self.rival_R)
        b = np.log(np.asarray(self.rival_R, dtype=float)[order])
        shift = np.asarray(self.rival_shift, dtype=float)[order]
        with np.errstate(divide="ignore", over="ignore"):
            n_b = np.exp(self.base.log_adopters(b))
        return b, shift, n_b

    def _segments(self, lnR: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Adopters and d adopters / d ln R (people) for an array of own ln R."""
        base = self.base
        assert base is not None
        b, shift, n_b = self._rivals
        u_own = -lnR + self.own_shift
        n_own = np.zeros_like(lnR)
        dn_own = np.zeros_like(lnR)
        S = np.zeros_like(lnR)  # sum over qualifying rivals of exp((u_l - u_own)/lam)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            n_here = np.exp(base.log_adopters(lnR))
            dn_here = n_here * base.dlog_adopters(lnR)
            n_lower = n_here  # n(max(lnR, b_0)) with b_0 = -inf
            for i in range(len(b) + 1):
                if i > 0:
                    S = S + np.exp(np.minimum((-b[i - 1] + shift[i - 1] - u_own) / self.lam, 700.0))
                share = 1.0 / (1.0 + S)
                # n(max(lnR, b_{i+1})): the market above the segment's upper end (0 above the last)
                n_upper = np.where(lnR < b[i], n_b[i], n_here) if i < len(b) else 0.0
                mass = np.maximum(n_lower - n_upper, 0.0)
                n_own += mass * share
                lower = -np.inf if i == 0 else b[i - 1]
                upper = np.inf if i == len(b) else b[i]
                inside = (lnR >= lower) & (lnR < upper)
                dn_own += np.where(inside, dn_here * share, 0.0) - mass * share * (1.0 - share) / self.lam
                n_lower = n_upper
        n_own = np.where(np.isfinite(n_own), n_own, 0.0)
        dn_own = np.where(np.isfinite(dn_own), dn_own, 0.0)
        return n_own, dn_own

    def log_adopters(self, lnR: ArrayLike) -> np.ndarray:
        n, _ = self._segments(np.asarray(lnR, dtype=float))
        with np.errstate(divide="ignore"):
            return np.log(n)

    def dlog_adopters(self, lnR: ArrayLike) -> np.ndarray:
        n, dn = self._segments(np.asarray(lnR, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, dn / np.where(n > 0, n, 1.0), 0.0)

    def revenue_exponent(self) -> float:
        return self.kappa if self.base is None else self.base.revenue_exponent()

    def threshold_dist(self):  # noqa: D102 - same consumers as the base market
        return None if self.base is None else self.base.threshold_dist()


def herfindahl(shares: ArrayLike) -> float:
    """Herfindahl-Hirschman index of market shares (fractions summing to 1): 0..1 (1 = monopoly)."""
    s = np.asarray(shares, dtype=float)
    total = s.sum()
    if total <= 0:
        return 0.0
    s = s / total
    return float(np.sum(s * s))
