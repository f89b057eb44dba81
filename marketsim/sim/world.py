"""Exogenous drivers of the market: hardware E(t), data stock D_bar(t), data efficiency rho_D(t),
parameter efficiency rho_N(t), M(t).

Every driver is a :class:`GrowthPath`: a value at ``meta.start_year`` that grows by a constant factor
per year, optionally switching to another factor after a stall. Time ``t`` is in years since
``meta.start_year`` (docs/architecture.md, "Units").

Typical values (docs/calibration.md, sections as cited):

- Hardware price-performance E (FLOP per dollar) grows 0.12-0.14 orders of magnitude per year, i.e.
  about 1.32-1.38x per year, doubling every ~2.1-2.5 years (section 3: HOB22 0.122 OOM/yr; COT24
  cost model 0.14 OOM/yr). A stall year models the end of that trend.
- The effective stock of public human text is ~3e14 tokens (90% CI 1e14-1e15) in 2024 (section 5:
  VIL24); its own growth is slow, ~7% per year (VIL22).
- Algorithmic efficiency: compute needed for fixed performance halves every ~8 months, about 2.8x per
  year (section 4: HO24); the data-efficiency multiplier rho_D and the parameter-efficiency
  multiplier rho_N are its two channels (docs/theory.md §3: only their product moves the
  compute-optimal frontier; the scenario splits the progress between ``data.efficiency_growth_per_year``
  and ``scaling.parameter_efficiency_growth_per_year``).

No Mesa here: the model asks ``World.at(t)`` once per period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import numpy as np
from numpy.typing import ArrayLike

from marketsim.config import Scenario
from marketsim.economics.checks import is_real, require_positive


@dataclass(frozen=True)
class GrowthPath:
    """A quantity growing by a constant factor per year, with an optional stall.

    ``value(t) = start * growth_per_year**min(t, ts) * growth_after_stall**max(t - ts, 0)`` where
    ``ts = stall_after_years`` (no stall when None).

    Attributes:
        start: value at t = 0 (in the units of the quantity it describes).
        growth_per_year: multiplicative factor per year before the stall (> 0; 1 = flat).
        stall_after_years: years after the start at which growth switches, or None (never).
        growth_after_stall: factor per year after the stall (> 0; default 1.0 = the trend stops,
            assumption matching docs/architecture.md ``hardware.growth_after_stall``).
    """

    start: float
    growth_per_year: float
    stall_after_years: float | None = None
    growth_after_stall: float = 1.0

    def __post_init__(self) -> None:
        for field in ("start", "growth_per_year", "growth_after_stall"):
            require_positive(field, getattr(self, field), prefix="GrowthPath.")
        if self.stall_after_years is not None:
            require_positive("stall_after_years", self.stall_after_years, allow_zero=True, prefix="GrowthPath.",
                             unit="years; or None")

    def log_growth(self, t: ArrayLike) -> float | np.ndarray:
        """ln(value(t) / start) at t years since the start: the exponents add in logs, so decades
        of fast growth never overflow an intermediate power."""
        t_arr = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t_arr)):
            raise ValueError(f"GrowthPath.value: t = {t!r} must be finite (years since the start)")
        ln_g = np.log(self.growth_per_year)
        if self.stall_after_years is None:
            out = t_arr * ln_g
        else:
            ts = float(self.stall_after_years)
            out = np.minimum(t_arr, ts) * ln_g + np.maximum(t_arr - ts, 0.0) * np.log(self.growth_after_stall)
        return float(out) if out.ndim == 0 else out

    def value(self, t: ArrayLike) -> float | np.ndarray:
        """Value at t years since the start (same units as ``start``; float for a scalar t, array for
        an array). Exactly ``start`` at t = 0."""
        growth = self.log_growth(t)
        if isinstance(growth, np.ndarray):
            return self.start * np.exp(growth)
        return float(self.start * np.exp(growth))


@dataclass(frozen=True)
class WorldState:
    """The exogenous world in one period.

    Attributes:
        t: years since ``meta.start_year``.
        year: calendar year (start_year + t, fractional within a year).
        E: hardware price-performance, FLOP per dollar.
        data_stock: usable data stock D_bar, effective tokens.
        rho_D: data-efficiency multiplier (dimensionless; 1 at the calibration baseline).
        population: market size M, people.
        awareness: share of the population that can adopt (0 to 1; the diffusion curve of
            ``consumers.awareness_midpoint_year``; 1 without one).
        rho_N: parameter-efficiency multiplier (dimensionless; 1 at the calibration baseline).
    """

    t: float
    year: float
    E: float
    data_stock: float
    rho_D: float
    population: float
    awareness: float = 1.0
    rho_N: float = 1.0

    @property
    def efficiencies(self) -> dict[str, float]:
        """``{"rho_N": ..., "rho_D": ...}`` (dimensionless): the efficiency keywords of the scaling law
        (``reducible_loss``, ``n_match``, ``compute_optimal``) and of the optimizer, so that every model
        the simulation trains or plans is valued at today's rho_N and rho_D."""
        return {"rho_N": self.rho_N, "rho_D": self.rho_D}


@dataclass(frozen=True)
class World:
    """The five exogenous growth paths, anchored at ``start_year``.

    Attributes:
        hardware: E(t), FLOP per dollar.
        data_stock: D_bar(t), effective tokens.
        data_efficiency: rho_D(t), dimensionless.
        population: M(t), people.
        start_year: calendar year of t = 0.
        awareness: share of the population that can adopt by calendar year (a logistic diffusion
            curve, :meth:`marketsim.config.schema.Consumers.awareness`); None: everyone, always.
        parameter_efficiency: rho_N(t), dimensionless (default: 1, constant).
    """

    hardware: GrowthPath
    data_stock: GrowthPath
    data_efficiency: GrowthPath
    population: GrowthPath
    start_year: int
    awareness: Callable[[float], float] | None = None
    parameter_efficiency: GrowthPath = GrowthPath(1.0, 1.0)

    def __post_init__(self) -> None:
        for name in ("hardware", "data_stock", "data_efficiency", "population", "parameter_efficiency"):
            path = getattr(self, name)
            if not isinstance(path, GrowthPath):
                raise ValueError(f"World.{name} = {path!r}: must be a GrowthPath")
        if not is_real(self.start_year) or not isinstance(self.start_year, (int, np.integer)):
            raise ValueError(f"World.start_year = {self.start_year!r}: must be an integer calendar year")

    def at(self, t: float) -> WorldState:
        """The world t years after ``start_year`` (E in FLOP per dollar, data stock in tokens,
        rho_D and rho_N dimensionless, population in people)."""
        t = float(t)
        return WorldState(
            t=t,
            year=self.start_year + t,
            E=self.hardware.value(t),
            data_stock=self.data_stock.value(t),
            rho_D=self.data_efficiency.value(t),
            population=self.population.value(t),
            awareness=1.0 if self.awareness is None else float(self.awareness(self.start_year + t)),
            rho_N=self.parameter_efficiency.value(t),
        )

    @classmethod
    def from_scenario(cls, scn: Scenario) -> "World":
        """The world of a validated scenario. ``hardware.stall_year`` is an absolute calendar year
        and becomes ``stall_after_years = stall_year - meta.start_year`` (the schema has checked
        that it is not before the start)."""
        start_year = scn.meta.start_year
        hw, data, cons = scn.hardware, scn.data, scn.consumers
        stall = None if hw.stall_year is None else hw.stall_year - start_year
        return cls(
            hardware=GrowthPath(hw.flop_per_dollar, hw.growth_per_year, stall, hw.growth_after_stall),
            data_stock=GrowthPath(data.stock_tokens, data.stock_growth_per_year),
            data_efficiency=GrowthPath(data.efficiency, data.efficiency_growth_per_year),
            population=GrowthPath(cons.population, cons.population_growth_per_year),
            start_year=start_year,
            awareness=None if cons.awareness_midpoint_year is None else cons.awareness,
            parameter_efficiency=GrowthPath(scn.scaling.parameter_efficiency,
                                            scn.scaling.parameter_efficiency_growth_per_year),
        )
