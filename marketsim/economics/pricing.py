"""Prices that firms choose: logit demand with an outside option, best responses, Nash equilibrium.

Units (docs/theory.md, "Prices"). Consumers value a model of reducible loss R (nats per token) at
``w(R) = (R_ref / R)^kappa`` reference dollars, so a firm's prices are compared in QUALITY-ADJUSTED
units: ``p_adj = p * (R / R_ref)^kappa``, dollars per adopter per period at the reference loss
R_ref (the paid price is ``p = p_adj * (R_ref / R)^kappa``). Serving cost per adopter is adjusted
the same way, ``c_adj = c * (R / R_ref)^kappa``, so a firm's profit per period is
``(R_ref / R)^kappa * (p_adj - c_adj) * demand``: the constant factor does not move its best price.

Demand. Consumers are grouped in segments s by which offers they qualify for (a consumer uses a
model only if ``R_j <= tau``); segment s has ``masses[s]`` people. Within a segment the logit
shares over the qualifying offers and the outside option ("no model") are

    u_j = -ln R_j - price_sensitivity * p_adj_j,   u_0 = -ln R_front + outside_option,
    s_sj = exp(u_j / lam) / (exp(u_0 / lam) + sum_{l qualifying} exp(u_l / lam)),

with R_front the best (lowest) R on sale, lam the logit scale and price_sensitivity in ln-R units
per reference dollar. Firm j's demand is ``sum_s masses[s] * s_sj`` people.

Best response. Firm j maximizes ``(p_adj - c_adj) * demand_j``; ds_sj/dp = -(ps/lam) s_sj (1 - s_sj)
gives the first-order condition

    p_adj - c_adj = (lam / ps) * sum_s m_s s_sj / sum_s m_s s_sj (1 - s_sj),

which with one segment is the closed form ``p_adj - c_adj = lam / (ps (1 - s))``
(:func:`symmetric_markup`). :meth:`StageGame.best_response` solves the condition by bracketing
root finding; :meth:`StageGame.equilibrium` iterates best responses (fixed-price firms held fixed)
until no price moves by more than a relative tolerance.

Pure numpy/scipy; no Mesa.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from marketsim.economics.checks import require_positive

__all__ = ["StageGame", "nested_segments", "symmetric_markup", "symmetric_equilibrium_price",
           "EQUILIBRIUM_TOLERANCE"]

EQUILIBRIUM_TOLERANCE = 1e-12
"""Relative change of every price between two rounds of best responses at which iteration stops."""

_MAX_ROUNDS = 500
"""Rounds of best responses before giving up (logit price best responses are contractions with
slope below 1; symmetric markets converge in a few dozen rounds)."""


def symmetric_markup(lam: float, price_sensitivity: float, share: float) -> float:
    """Closed-form equilibrium markup ``p_adj - c_adj = lam / (price_sensitivity (1 - share))``.

    For single-product firms facing one segment of logit consumers, in reference dollars per
    adopter per period. ``share`` is the firm's purchase share of the segment (0 <= share < 1; the
    outside option keeps it below 1).
    """
    require_positive("logit lam", lam, unit="ln-R units")
    require_positive("price_sensitivity", price_sensitivity, unit="ln-R units per dollar")
    if not 0.0 <= share < 1.0:
        raise ValueError(f"share = {share!r}: must lie in [0, 1)")
    return lam / (price_sensitivity * (1.0 - share))


def symmetric_equilibrium_price(n_firms: int, cost_adj: float, lam: float, price_sensitivity: float,
                                outside_option: float) -> float:
    """The symmetric Nash price p_adj (reference dollars per adopter per period) of ``n_firms``
    identical firms (same R, same ``cost_adj``) facing one segment: the root of
    ``x = lam / (ps (1 - s(x)))`` with ``s(x) = 1 / (n + exp((outside_option + ps (c + x)) / lam))``,
    x the markup. An independent oracle for :meth:`StageGame.equilibrium`."""
    if n_firms < 1:
        raise ValueError(f"n_firms = {n_firms!r}: must be >= 1")
    ps = price_sensitivity

    def share(x: float) -> float:
        return 1.0 / (n_firms + np.exp((outside_option + ps * (cost_adj + x)) / lam))

    lo = lam / ps  # the markup at zero share; the equilibrium markup is above it
    hi = 2.0 * lo
    while hi - lam / (ps * (1.0 - share(hi))) < 0:
        hi *= 2.0
    x = brentq(lambda x: x - lam / (ps * (1.0 - share(x))), lo, hi, xtol=1e-15 * hi, rtol=1e-15)
    return cost_adj + float(x)


def nested_segments(R: ArrayLike, adopters_at: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Segments of consumers by the offers they qualify for, when qualifying sets are nested by R.

    A consumer with threshold tau qualifies the offers with ``R_j <= tau``. With the offers sorted
    by R, the consumers qualifying exactly the l best ones have tau in [R_(l), R_(l+1)).

    Args:
        R: (K,) reducible loss of each offer, nats per token.
        adopters_at: (K,) people with threshold tau >= R_j (the market's n(R_j)).

    Returns:
        masses: (K,) people in segment l = 1..K (those qualifying exactly the l best offers).
        qualifies: (K, K) bool, row l-1 = which offers (original order) segment l qualifies.
    """
    R = np.asarray(R, dtype=float)
    n_at = np.asarray(adopters_at, dtype=float)
    if R.shape != n_at.shape or R.ndim != 1:
        raise ValueError(f"nested_segments: R and adopters_at must be (K,) arrays of equal length, got "
                         f"shapes {R.shape} and {n_at.shape}")
    order = np.argsort(R, kind="stable")
    n_sorted = n_at[order]
    upper = np.append(n_sorted[1:], 0.0)
    masses = np.maximum(n_sorted - upper, 0.0)
    qualifies = R[np.newaxis, :] <= R[order][:, np.newaxis]
    return masses, qualifies


@dataclass(frozen=True)
class StageGame:
    """One period's pricing game among the offers on sale.

    Attributes:
        R: (K,) reducible loss of each offer, nats per token.
        cost_adj: (K,) serving cost per adopter in reference dollars per period, c (R / R_ref)^kappa.
        masses: (S,) people in each consumer segment.
        qualifies: (S, K) bool, which offers each segment qualifies for.
        lam: logit scale, ln-R units (> 0).
        price_sensitivity: ln-R units per reference dollar (> 0).
        outside_option: utility of buying nothing relative to the best model on sale at price 0,
            ln-R units (u_0 = -ln R_front + outside_option).
    """

    R: np.ndarray
    cost_adj: np.ndarray
    masses: np.ndarray
    qualifies: np.ndarray
    lam: float
    price_sensitivity: float
    outside_option: float

    def __post_init__(self) -> None:
        require_positive("logit lam", self.lam, unit="ln-R units")
        require_positive("price_sensitivity", self.price_sensitivity, unit="ln-R units per dollar")
        if not np.isfinite(self.outside_option):
            raise ValueError(f"outside_option = {self.outside_option!r}: must be finite (ln-R units)")
        for name in ("R", "cost_adj", "masses"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=float))
        object.__setattr__(self, "qualifies", np.asarray(self.qualifies, dtype=bool))
        K = len(self.R)
        if self.cost_adj.shape != (K,) or self.qualifies.shape != (len(self.masses), K):
            raise ValueError(f"StageGame: R and cost_adj must be (K,), qualifies (S, K); got {self.R.shape}, "
                             f"{self.cost_adj.shape}, {self.qualifies.shape} for masses {self.masses.shape}")
        if not np.all(np.isfinite(self.R) & (self.R > 0)):
            raise ValueError(f"StageGame.R = {self.R.tolist()}: every entry must be finite and > 0")
        if not np.all(np.isfinite(self.cost_adj) & (self.cost_adj >= 0)):
            raise ValueError(f"StageGame.cost_adj = {self.cost_adj.tolist()}: must be finite and >= 0 (dollars)")
        if not np.all(np.isfinite(self.masses) & (self.masses >= 0)):
            raise ValueError(f"StageGame.masses = {self.masses.tolist()}: must be finite and >= 0 (people)")

    @classmethod
    def nested(cls, R: ArrayLike, cost_adj: ArrayLike, adopters_at: ArrayLike, *, lam: float,
               price_sensitivity: float, outside_option: float) -> "StageGame":
        """The game when consumers qualify offers by threshold (segments: :func:`nested_segments`)."""
        masses, qualifies = nested_segments(R, adopters_at)
        return cls(np.asarray(R, dtype=float), np.asarray(cost_adj, dtype=float), masses, qualifies,
                   lam, price_sensitivity, outside_option)

    # -- demand -----------------------------------------------------------------------------------
    def shares(self, p_adj: ArrayLike) -> np.ndarray:
        """(S, K) purchase share of each offer within each segment (the outside option takes the rest)."""
        p = np.asarray(p_adj, dtype=float)
        if len(self.R) == 0:
            return np.zeros((len(self.masses), 0))
        u = -np.log(self.R) - self.price_sensitivity * p
        u0 = -np.log(self.R.min()) + self.outside_option
        util = np.where(self.qualifies, u[np.newaxis, :], -np.inf)
        top = np.maximum(util.max(axis=1, initial=-np.inf), u0)[:, np.newaxis]
        weights = np.exp((util - top) / self.lam)
        outside = np.exp((u0 - top[:, 0]) / self.lam)
        total = outside + weights.sum(axis=1)
        return weights / total[:, np.newaxis]

    def demand(self, p_adj: ArrayLike) -> np.ndarray:
        """(K,) expected adopters of each offer, people."""
        return self.masses @ self.shares(p_adj)

    def profits(self, p_adj: ArrayLike) -> np.ndarray:
        """(K,) (p_adj - c_adj) x demand: profit per period in reference dollars (multiply by
        (R_ref / R_j)^kappa for dollars)."""
        p = np.asarray(p_adj, dtype=float)
        return (p - self.cost_adj) * self.demand(p)

    # -- prices -----------------------------------------------------------------------------------
    def best_response(self, k: int, p_adj: ArrayLike) -> float:
        """Firm k's profit-maximizing p_adj (reference dollars per adopter per period) given the
        other entries of ``p_adj`` (rivals' quality-adjusted prices).

        Solves the first-order condition of the module docstring by Brent's method between c_adj
        and an upper bracket found by doubling; a firm that no segment qualifies for gets the
        zero-share markup ``c_adj + lam / ps``.
        """
        p = np.array(p_adj, dtype=float)
        c = float(self.cost_adj[k])
        ps, lam = self.price_sensitivity, self.lam
        mass = self.masses[self.qualifies[:, k]]
        if not np.any(mass > 0):
            return c + lam / ps

        # The FOC needs firm k's share in each segment it qualifies for, as :meth:`shares` computes
        # it; only firm k's price moves, so the rivals' utilities are fixed: plain floats (a few
        # segments and offers) cost far less than array operations per evaluation.
        u = (-np.log(self.R) - ps * p).tolist()
        u0 = float(-np.log(self.R.min()) + self.outside_option)
        u_k0 = float(-np.log(self.R[k]))
        segments = [(float(m), [u[j] for j in np.flatnonzero(row) if j != k])
                    for m, row in zip(self.masses, self.qualifies) if row[k]]

        def foc(price: float) -> float:
            # d profit / d p divided by (ps / lam): positive below the best price, negative above
            u_k = u_k0 - ps * price
            sold = spread = 0.0  # sum_s m_s s_sk and sum_s m_s s_sk (1 - s_sk)
            for m, rivals in segments:
                top = max(u0, u_k, *rivals)
                w_k = math.exp((u_k - top) / lam)
                share = w_k / (math.exp((u0 - top) / lam) + w_k + math.fsum(math.exp((v - top) / lam) for v in rivals))
                sold += m * share
                spread += m * share * (1.0 - share)
            return lam / ps * sold - (price - c) * spread

        width = lam / ps
        while foc(c + width) > 0:
            width *= 2.0
        return float(brentq(foc, c, c + width, xtol=1e-15 * (c + width), rtol=1e-15))

    def equilibrium(self, fixed: ArrayLike | None = None, tol: float = EQUILIBRIUM_TOLERANCE,
                    start: ArrayLike | None = None) -> np.ndarray:
        """(K,) Nash equilibrium p_adj of the stage game, reference dollars per adopter per period.

        Args:
            fixed: (K,) fixed quality-adjusted prices; NaN marks a firm that best-responds
                (None: every firm best-responds).
            tol: stop when no best-responding price changes by more than ``tol`` relative (a single
                best responder is done after one round: its best response does not depend on its own price).
            start: (K,) starting prices of the best responders (default c_adj + lam / ps).

        Raises:
            RuntimeError: no convergence within the round limit.
        """
        K = len(self.R)
        fixed_arr = np.full(K, np.nan) if fixed is None else np.asarray(fixed, dtype=float)
        free = np.flatnonzero(np.isnan(fixed_arr))
        p = np.where(np.isnan(fixed_arr), self.cost_adj + self.lam / self.price_sensitivity, fixed_arr)
        if start is not None:
            p[free] = np.asarray(start, dtype=float)[free]
        for _ in range(_MAX_ROUNDS):
            moved = 0.0
            for k in free:  # Gauss-Seidel: each firm answers the latest prices
                new = self.best_response(int(k), p)
                moved = max(moved, abs(new - p[k]) / max(abs(new), 1e-300))
                p[k] = new
            if moved <= tol or len(free) == 1:
                # one best responder: its best response ignores its own current price, so a second
                # round would return the same price
                return p
        raise RuntimeError(f"pricing equilibrium did not converge in {_MAX_ROUNDS} rounds (last relative "
                           f"change {moved:.3g})")
