"""Exogenous drivers of the market: hardware E(t), data stock D_bar(t), data efficiency rho_D(t), M(t).

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
  year (section 4: HO24); the data-efficiency multiplier rho_D is one channel of that progress.

No Mesa here: the model asks ``World.at(t)`` once per period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


class GrowthPathError(ValueError):
    """A GrowthPath field is invalid; ``field`` names it so callers can point at their own key."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"GrowthPath.{field} = {_show(value)}: must be {allowed}")


def _show(value: Any) -> str:
    """repr of a value for an error message, with numpy scalars shown as plain Python numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_positive(field: str, value: Any) -> None:
    if not _is_real(value) or not (np.isfinite(value) and value > 0):
        raise GrowthPathError(field, value, "a finite number > 0")


def _is_real(value: Any) -> bool:
    # bool is an int subclass, but True/False as a growth factor is always a mistake
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


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
        _check_positive("start", self.start)
        _check_positive("growth_per_year", self.growth_per_year)
        _check_positive("growth_after_stall", self.growth_after_stall)
        ts = self.stall_after_years
        if ts is not None and (not _is_real(ts) or not (np.isfinite(ts) and ts >= 0)):
            raise GrowthPathError("stall_after_years", ts, "None or a finite number >= 0 (years)")

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
    """

    t: float
    year: float
    E: float
    data_stock: float
    rho_D: float
    population: float


@dataclass(frozen=True)
class World:
    """The four exogenous growth paths, anchored at ``start_year``.

    Attributes:
        hardware: E(t), FLOP per dollar.
        data_stock: D_bar(t), effective tokens.
        data_efficiency: rho_D(t), dimensionless.
        population: M(t), people.
        start_year: calendar year of t = 0.
    """

    hardware: GrowthPath
    data_stock: GrowthPath
    data_efficiency: GrowthPath
    population: GrowthPath
    start_year: int

    def __post_init__(self) -> None:
        for name in ("hardware", "data_stock", "data_efficiency", "population"):
            path = getattr(self, name)
            if not isinstance(path, GrowthPath):
                raise ValueError(f"World.{name} = {path!r}: must be a GrowthPath")
        if not isinstance(self.start_year, (int, np.integer)) or isinstance(self.start_year, bool):
            raise ValueError(f"World.start_year = {self.start_year!r}: must be an integer calendar year")

    def at(self, t: float) -> WorldState:
        """The world t years after ``start_year`` (E in FLOP per dollar, data stock in tokens,
        rho_D dimensionless, population in people)."""
        t = float(t)
        return WorldState(
            t=t,
            year=self.start_year + t,
            E=self.hardware.value(t),
            data_stock=self.data_stock.value(t),
            rho_D=self.data_efficiency.value(t),
            population=self.population.value(t),
        )

    @classmethod
    def from_scenario(cls, scn: Any) -> "World":
        """Build the world from a validated scenario (reads ``meta``, ``hardware``, ``data`` and
        ``consumers`` attributes; see docs/architecture.md). ``hardware.stall_year`` is an absolute
        calendar year and becomes ``stall_after_years = stall_year - meta.start_year``."""
        start_year = scn.meta.start_year
        hw, data, cons = scn.hardware, scn.data, scn.consumers
        stall_year = getattr(hw, "stall_year", None)
        if stall_year is not None and stall_year < start_year:
            raise ValueError(
                f"scenario hardware.stall_year = {stall_year!r}: must be >= meta.start_year "
                f"= {start_year!r} (or omitted for no stall)")
        stall = None if stall_year is None else stall_year - start_year
        return cls(
            hardware=_scenario_path("hardware", start=("flop_per_dollar", hw.flop_per_dollar),
                                    growth_per_year=("growth_per_year", hw.growth_per_year),
                                    stall_after_years=("stall_year", stall),
                                    growth_after_stall=("growth_after_stall",
                                                        getattr(hw, "growth_after_stall", 1.0))),
            data_stock=_scenario_path("data", start=("stock_tokens", data.stock_tokens),
                                      growth_per_year=("stock_growth_per_year", data.stock_growth_per_year)),
            data_efficiency=_scenario_path("data", start=("efficiency", data.efficiency),
                                           growth_per_year=("efficiency_growth_per_year",
                                                            data.efficiency_growth_per_year)),
            population=_scenario_path("consumers", start=("population", cons.population),
                                      growth_per_year=("population_growth_per_year",
                                                       cons.population_growth_per_year)),
            start_year=start_year,
        )


def _scenario_path(section: str, **fields: tuple[str, Any]) -> GrowthPath:
    """GrowthPath from ``field=(scenario_key, value)`` pairs; errors name ``section.scenario_key``."""
    try:
        return GrowthPath(**{field: value for field, (_, value) in fields.items()})
    except GrowthPathError as err:
        key = fields[err.field][0]
        raise ValueError(f"scenario {section}.{key} = {_show(err.value)}: must be {err.allowed}") from err
