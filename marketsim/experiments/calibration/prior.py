"""The prior of a calibration: a scenario's ``[uncertain]`` section, as a pyabc prior in the unit cube.

One idea in one place: the distributions a scenario declares for ``marketsim ensemble``
(:mod:`marketsim.config.uncertain`) are the calibration's prior. pyabc samples one uniform ``u_j`` on
[0.001, 0.999] per declared key (the section's truncation at 0.1% and 99.9%); :meth:`Prior.values`
maps a point of the cube to the keys' values exactly as ``draw_parameters`` maps its Latin-hypercube
points: normal scores, the Cholesky factor of the declared rank correlations (Gaussian copula), back to
uniforms, then each marginal's ppf. The image of the uniform prior is therefore the declared joint
distribution. Values are in each key's unit; integer keys are rounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from marketsim.config.describe import node_at, strip_optional
from marketsim.config.keypaths import parse_key
from marketsim.config.uncertain import TRUNCATION, Distribution

__all__ = ["Prior", "NoPriorError", "prior_of"]


class NoPriorError(ValueError):
    """The scenario declares no ``[uncertain]`` section: a calibration has no prior."""


@dataclass(frozen=True)
class Prior:
    """The declared distributions of the calibrated keys and their copula.

    Attributes:
        distributions: one per calibrated key, in file order.
        cholesky: lower Cholesky factor of the normal (copula) correlation matrix.
        integer: whether each key is an integer key (its values are rounded).
    """

    distributions: tuple[Distribution, ...]
    cholesky: np.ndarray
    integer: tuple[bool, ...]

    @property
    def keys(self) -> list[str]:
        """The calibrated key paths, in file order."""
        return [d.key for d in self.distributions]

    @property
    def names(self) -> list[str]:
        """pyabc's parameter names, one per key: u0, u1, ... (the unit-cube coordinates)."""
        return [f"u{j}" for j in range(len(self.distributions))]

    def pyabc_prior(self) -> Any:
        """The pyabc prior: independent uniforms on [TRUNCATION, 1 - TRUNCATION], one per key."""
        import pyabc

        return pyabc.Distribution(**{name: pyabc.RV("uniform", TRUNCATION, 1 - 2 * TRUNCATION)
                                     for name in self.names})

    def values_of(self, u: np.ndarray) -> np.ndarray:
        """Key values (one column per key) of unit-cube points ``u`` (rows: points; columns: keys)."""
        u = np.clip(np.atleast_2d(np.asarray(u, dtype=float)), TRUNCATION, 1 - TRUNCATION)
        correlated = np.clip(stats.norm.cdf(stats.norm.ppf(u) @ self.cholesky.T), TRUNCATION, 1 - TRUNCATION)
        columns = [dist.ppf(correlated[:, j]) for j, dist in enumerate(self.distributions)]
        values = np.column_stack(columns).astype(float)
        for j, is_int in enumerate(self.integer):
            if is_int:
                values[:, j] = np.round(values[:, j])
        return values

    def values(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """key path -> value of one pyabc parameter (``{"u0": ..., "u1": ...}``)."""
        point = np.array([float(parameters[name]) for name in self.names])
        return dict(zip(self.keys, self.values_of(point)[0].tolist(), strict=True))

    def overrides(self, parameters: Mapping[str, float]) -> list[str]:
        """``key.path=value`` overrides of one pyabc parameter (integers without a decimal point)."""
        return [f"{key}={int(v) if is_int else v!r}"
                for (key, v), is_int in zip(self.values(parameters).items(), self.integer, strict=True)]

    def quantiles(self, probabilities: Sequence[float]) -> np.ndarray:
        """The marginal quantiles of each key (rows: probabilities; columns: keys)."""
        p = np.asarray(probabilities, dtype=float)
        return np.column_stack([d.ppf(p) for d in self.distributions])


def prior_of(scenario: Any, file: str) -> Prior:
    """The prior of ``scenario``'s ``[uncertain]`` section (``file`` names the scenario in messages).

    Raises:
        NoPriorError: the scenario has no ``[uncertain]`` section, or it declares no distribution.
    """
    section = getattr(scenario, "uncertain", None)
    if section is None or not section.distributions:
        raise NoPriorError(
            f"{file}: no [uncertain] section; marketsim calibrate needs one: it is the prior of the calibration, "
            "a distribution for each key to calibrate, e.g.\n  [uncertain]\n  \"consumers.sigma\" = { dist = "
            "\"lognormal\", median = 0.47, p5 = 0.3, p95 = 0.75, source = \"assumption\" }\n"
            "(see scenarios/historical.toml and config/uncertain.py for the distributions allowed)")
    integer = []
    for dist in section.distributions:
        node = node_at(type(scenario), parse_key(dist.key))
        integer.append(node is not None and strip_optional(node[0])[0] is int)
    return Prior(tuple(section.distributions), np.linalg.cholesky(section.correlation_matrix()), tuple(integer))
