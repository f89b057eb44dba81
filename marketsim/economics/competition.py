"""Several firms: the demand one firm faces given its rivals' current models (docs/theory.md §7).

A consumer with threshold tau qualifies the models with R_j <= tau and picks among them by logit on
utility u_j = -ln R_j + shift_j with scale lambda (ln-R units); shift_j carries price and other
non-quality terms (e.g. -price_sensitivity * price_j). Sorting rivals by loss, the thresholds split
into segments [b_i, b_{i+1}) in which the same rivals qualify, and a firm with loss R earns

    n_own(R) = sum_i [n(max(R, b_i)) - n(max(R, b_{i+1}))] * share_i(R),
    share_i = e_own / (e_own + sum_{l <= i} e_l),   e = exp(u / lambda),

with n the market's adopters (people with tau >= R). With an outside option (docs/theory.md
"Prices"), buying nothing has utility u_0 = -ln R_front + outside_option (R_front = the best model
on sale, own included) and adds e_0 = exp(u_0 / lambda) to every segment's denominator, so own
demand falls with own price even without rivals; for a firm alone on the market the purchase share
1 / (1 + exp((outside_option - own_shift) / lambda)) does not depend on R.
This is the firm's residual demand; it is a
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
        outside_option: utility of buying nothing above the best model on sale at price 0 (ln-R
            units); None: no outside option (every qualifying consumer buys some model).
        M, price, kappa, R_ref: this firm's value side (price it charges; value exponent).
    """

    base: Demand | None = None
    rival_R: tuple[float, ...] = field(default_factory=tuple)
    rival_shift: tuple[float, ...] = field(default_factory=tuple)
    own_shift: float = 0.0
    lam: float = 0.3
    outside_option: float | None = None

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
        if self.outside_option is not None and not np.isfinite(self.outside_option):
            raise ValueError(f"outside_option = {self.outside_option!r}: must be finite (ln-R units) or None")

    @classmethod
    def facing(cls, base: Demand, rival_R: ArrayLike, rival_shift: ArrayLike, *, own_price: float,
               own_shift: float = 0.0, lam: float = 0.3,
               outside_option: float | None = None) -> "ResidualDemand":
        """The residual demand of a firm charging ``own_price`` against the given rivals (and the
        outside option, if given)."""
        rival_R = tuple(float(r) for r in np.atleast_1d(rival_R))
        rival_shift = tuple(float(s) for s in np.atleast_1d(rival_shift))
        return cls(M=base.M, price=own_price, kappa=base.kappa, R_ref=base.R_ref, saturating=base.saturating,
                   base=base, rival_R=rival_R, rival_shift=rival_shift, own_shift=own_shift, lam=lam,
                   outside_option=outside_option)

    def _outside_terms(self, lnR: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """exp((u_0 - u_own) / lam) and its derivative in own ln R (0 without an outside option).

        u_0 = -ln R_front + outside_option: while the firm's own model is the front, u_0 - u_own is
        -own_shift + outside_option whatever R is; behind the best rival it rises one-for-one with
        own ln R."""
        if self.outside_option is None:
            zero = np.zeros_like(lnR)
            return zero, zero
        b_front = min(np.log(self.rival_R)) if self.rival_R else np.inf
        behind = lnR > b_front
        gap = self.outside_option - self.own_shift + np.where(behind, lnR - b_front, 0.0)
        term = np.exp(np.minimum(gap / self.lam, 700.0))
        return term, np.where(behind, term / self.lam, 0.0)

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
        # S: the outside option's term plus, over qualifying rivals, exp((u_l - u_own)/lam);
        # dS: its derivative in own ln R (every rival term has derivative term / lam)
        S, dS = self._outside_terms(lnR)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            n_here = np.exp(base.log_adopters(lnR))
            dn_here = n_here * base.dlog_adopters(lnR)
            n_lower = n_here  # n(max(lnR, b_0)) with b_0 = -inf
            for i in range(len(b) + 1):
                if i > 0:
                    term = np.exp(np.minimum((-b[i - 1] + shift[i - 1] - u_own) / self.lam, 700.0))
                    S = S + term
                    dS = dS + term / self.lam
                share = 1.0 / (1.0 + S)
                # n(max(lnR, b_{i+1})): the market above the segment's upper end (0 above the last)
                n_upper = np.where(lnR < b[i], n_b[i], n_here) if i < len(b) else 0.0
                mass = np.maximum(n_lower - n_upper, 0.0)
                n_own += mass * share
                lower = -np.inf if i == 0 else b[i - 1]
                upper = np.inf if i == len(b) else b[i]
                inside = (lnR >= lower) & (lnR < upper)
                dn_own += np.where(inside, dn_here * share, 0.0) - mass * share * share * dS
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
