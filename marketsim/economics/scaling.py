"""Chinchilla-form scaling laws: loss as a function of parameters N and training tokens D.

    L(N, D) = E0 + A (rho_N N)^-alpha + B (rho_D D)^-beta,    R = L - E0 (reducible loss)

rho_N and rho_D are parameter- and data-efficiency multipliers (1 at baseline). The closed-form
compute-optimal frontier (docs/theory.md §2.1): with X = rho_N rho_D C / 6, a = beta/(alpha+beta),
gamma = alpha beta/(alpha+beta), G = (alpha A / (beta B))^(1/(alpha+beta)) and
K_R = A G^-alpha + B G^beta,

    N_opt = G X^a / rho_N,   D_opt = X^(1-a) / (G rho_D),   R*(C) = K_R X^-gamma.

Units: N in parameters, D in tokens, C in FLOP (C = 6 N D), loss in nats per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from marketsim.economics.checks import require_positive


@dataclass(frozen=True)
class ScalingLaw:
    """Parametric loss L(N, D) = E0 + A N^-alpha + B D^-beta (Hoffmann et al. 2022 form).

    Attributes:
        E0: irreducible loss (nats per token).
        A, B: coefficients of the parameter and data terms.
        alpha, beta: exponents of the parameter and data terms (> 0).
        name: preset name, for display.
    """

    E0: float
    A: float
    B: float
    alpha: float
    beta: float
    name: str = "custom"

    def __post_init__(self) -> None:
        for field in ("A", "B", "alpha", "beta"):
            require_positive(field, getattr(self, field), prefix="scaling law ")
        require_positive("E0", self.E0, allow_zero=True, prefix="scaling law ")

    # -- derived constants -------------------------------------------------------------------
    @property
    def a(self) -> float:
        """Share of log compute going to parameters on the frontier, beta/(alpha+beta)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def gamma(self) -> float:
        """Elasticity of frontier reducible loss with respect to compute, alpha beta/(alpha+beta)."""
        return self.alpha * self.beta / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """Frontier constant (alpha A / (beta B))^(1/(alpha+beta))."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    @property
    def K_R(self) -> float:
        """Frontier loss constant: R*(C) = K_R (rho_N rho_D C / 6)^-gamma."""
        return self.A * self.G ** (-self.alpha) + self.B * self.G**self.beta

    # -- loss --------------------------------------------------------------------------------
    def reducible_loss(
        self, N: ArrayLike, D: ArrayLike, rho_N: ArrayLike = 1.0, rho_D: ArrayLike = 1.0
    ) -> np.ndarray:
        """Reducible loss R = A (rho_N N)^-alpha + B (rho_D D)^-beta (nats per token)."""
        N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
        return self.A * (rho_N * N) ** (-self.alpha) + self.B * (rho_D * D) ** (-self.beta)

    def loss(
        self, N: ArrayLike, D: ArrayLike, rho_N: ArrayLike = 1.0, rho_D: ArrayLike = 1.0
    ) -> np.ndarray:
        """Loss L = E0 + R (nats per token)."""
        return self.E0 + self.reducible_loss(N, D, rho_N, rho_D)

    def reducible_loss_log(
        self, lnN: ArrayLike, lnD: ArrayLike, rho_N: float = 1.0, rho_D: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """R and its two terms from log inputs: returns (R, R_N, R_D), overflow-safe in logs."""
        lnN, lnD = np.asarray(lnN, dtype=float), np.asarray(lnD, dtype=float)
        R_N = self.A * np.exp(-self.alpha * (lnN + np.log(rho_N)))
        R_D = self.B * np.exp(-self.beta * (lnD + np.log(rho_D)))
        return R_N + R_D, R_N, R_D

    # -- compute-optimal frontier -------------------------------------------------------------
    def compute_optimal(
        self, C: ArrayLike, rho_N: float = 1.0, rho_D: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Loss-minimising (N, D) for training compute C = 6ND FLOP (closed form)."""
        lnN, lnD = self.compute_optimal_log(np.log(np.asarray(C, dtype=float)), rho_N, rho_D)
        return np.exp(lnN), np.exp(lnD)

    def compute_optimal_log(
        self, lnC: ArrayLike, rho_N: float = 1.0, rho_D: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ln N_opt, ln D_opt) for ln C (C in FLOP); exact, no overflow for any finite ln C."""
        lnX = np.asarray(lnC, dtype=float) + np.log(rho_N * rho_D / 6.0)
        lnN = np.log(self.G) + self.a * lnX - np.log(rho_N)
        lnD = (1.0 - self.a) * lnX - np.log(self.G) - np.log(rho_D)
        return lnN, lnD

    def reducible_at_compute(
        self, C: ArrayLike, rho_N: float = 1.0, rho_D: float = 1.0
    ) -> np.ndarray:
        """Frontier reducible loss R*(C) = K_R (rho_N rho_D C/6)^-gamma for C in FLOP."""
        lnX = np.log(np.asarray(C, dtype=float)) + np.log(rho_N * rho_D / 6.0)
        return self.K_R * np.exp(-self.gamma * lnX)

    def n_match(self, D: ArrayLike, rho_N: float = 1.0, rho_D: float = 1.0) -> np.ndarray:
        """Parameters N for which D tokens are compute-optimal (the cap closure), in parameters.

        N_match(D) = (alpha A / (beta B))^(1/alpha) (rho_D D)^(beta/alpha) / rho_N.
        """
        D = np.asarray(D, dtype=float)
        ratio = self.alpha * self.A / (self.beta * self.B)
        return ratio ** (1.0 / self.alpha) * (rho_D * D) ** (self.beta / self.alpha) / rho_N


SCALING_PRESETS: Final[dict[str, ScalingLaw]] = {
    # Besiroglu et al. 2024 refit of Chinchilla approach 3 (docs/calibration.md §1, BES24).
    "besiroglu2024": ScalingLaw(E0=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658, name="besiroglu2024"),
    # Hoffmann et al. 2022 approach 3, rounded constants as published (docs/calibration.md §1, HOF22).
    "hoffmann2022": ScalingLaw(E0=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, name="hoffmann2022"),
}


def scaling_law(name: str = "besiroglu2024") -> ScalingLaw:
    """The preset scaling law called ``name`` ('besiroglu2024' default, or 'hoffmann2022')."""
    try:
        return SCALING_PRESETS[name]
    except KeyError:
        raise ValueError(
            f"scaling law preset {name!r} is unknown: allowed {', '.join(SCALING_PRESETS)}"
        ) from None
