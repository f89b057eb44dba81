"""The paper's trend check (docs/theory.md §8): profit-optimal growth of training spend per year.

Given measured growth rates of hardware efficiency E (FLOP per dollar) and of algorithmic
efficiency, each model variant implies a growth rate of the profit-optimal training spend per
year. Comparing it with the observed growth of frontier training cost (COT24: 2.4x per year, 90%
CI 2.0-2.9) says which variants are consistent with the record.

How algorithmic progress enters the loss. HO24 measures it as a compute-equivalent multiplier: the
compute needed for a fixed loss halves every ~8 months (2.8x per year). In the loss
``R = A (rho_N N)^-alpha + B (rho_D D)^-beta`` the compute-optimal frontier depends on efficiency
only through the product ``rho_N * rho_D`` (docs/theory.md §2.1: R*(C) = K_R (rho_N rho_D C / 6)^-gamma),
so a compute-equivalent gain g per year is exactly ``rho_N * rho_D`` growing by g. How g is split
between the two is a choice; ``rho_D_share`` is the share of ln g given to rho_D. The default 0.5
(rho_N and rho_D each grow by sqrt(g) ~ 1.67x per year) is neutral: it leaves the compute-optimal
tokens per parameter unchanged, as HO24's augmented scaling law lets both effective parameters and
effective data grow. ``rho_D_share = 1`` puts all progress into data efficiency.

Data-bound cases hold the *raw* token stock fixed except for its own slow growth (VIL22: ~7% per
year), so better data efficiency raises effective data (docs/theory.md §4).

Units: t in years, E in FLOP per dollar, spend in dollars per model generation, growth as a factor
per year. No Mesa here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final, Literal

import numpy as np

from marketsim.economics.checks import require_positive
from marketsim.economics.optimizer import Optimum
from marketsim.economics.statics import solve_path
from marketsim.economics.variants import VARIANTS, Variant

#: Observed growth of the amortised hardware + energy cost of frontier training runs since 2016,
#: factor per year, and its 90% CI (COT24 v2; v1 reports a 95% CI of 2.0-3.1).
OBSERVED_SPEND_GROWTH: Final = 2.4
OBSERVED_SPEND_CI: Final = (2.0, 2.9)
#: Hardware price-performance growth, factor per year: 0.14 OOM/yr (COT24 code, citing HHA23).
HARDWARE_GROWTH: Final = 10**0.14
#: Algorithmic progress as a compute-equivalent factor per year: compute for fixed performance halves
#: every 8 months (HO24), 2.8x per year as docs/calibration.md §4 rounds it.
ALGORITHMIC_GROWTH: Final = 2.8
#: HO24's 95% CI on the halving time, 5-14 months, as factors per year.
ALGORITHMIC_GROWTH_CI: Final = (2 ** (12 / 14), 2 ** (12 / 5))
#: Own growth of the raw stock of text, factor per year (VIL22: ~7% per year).
DATA_STOCK_GROWTH: Final = 1.07
#: Hardware efficiency at the start of the window, FLOP per dollar: the A100 amortised figure
#: (~4.7e17 in 2020, :func:`marketsim.economics.costs.flop_per_dollar_amortised`) taken back to
#: 2016 along the 1.38x trend (derived; same as scenarios/historical.toml).
E_START: Final = 1.29e17
#: Window of the trend (COT24 fits frontier models since 2016), years since the start.
WINDOW_YEARS: Final = 9.0
#: Years since the start at which efficiency multipliers equal 1: 2022, the vintage of the runs the
#: scaling-law constants were fitted to (HOF22 Chinchilla runs, refit by BES24).
ANCHOR_YEARS: Final = 6.0

Regime = Literal["compute-bound", "data-bound"]
Efficiency = Literal["continuing", "hardware stalled", "all stalled"]
REGIMES: Final[tuple[Regime, ...]] = ("compute-bound", "data-bound")
EFFICIENCY_CASES: Final[tuple[Efficiency, ...]] = ("continuing", "hardware stalled", "all stalled")


@dataclass(frozen=True)
class TrendInputs:
    """Measured efficiency trends and how they enter the model.

    Attributes:
        hardware_growth: growth of E per year while hardware progresses (factor).
        algorithmic_growth: compute-equivalent algorithmic progress per year (factor).
        rho_D_share: share of ln(algorithmic_growth) given to rho_D (the rest to rho_N), in [0, 1].
        data_stock_growth: growth of the raw token stock per year in data-bound cases (factor).
        E_start: E at the start of the window, FLOP per dollar.
        years: length of the window, years.
        points: number of yearly points solved (window / (points - 1) apart).
        anchor_years: years after the start at which rho_N = rho_D = 1.
        observed: observed spend growth per year (factor).
        observed_ci: interval the predicted growth must fall in to be called consistent.
    """

    hardware_growth: float = HARDWARE_GROWTH
    algorithmic_growth: float = ALGORITHMIC_GROWTH
    rho_D_share: float = 0.5
    data_stock_growth: float = DATA_STOCK_GROWTH
    E_start: float = E_START
    years: float = WINDOW_YEARS
    points: int = 10
    anchor_years: float = ANCHOR_YEARS
    observed: float = OBSERVED_SPEND_GROWTH
    observed_ci: tuple[float, float] = OBSERVED_SPEND_CI

    def __post_init__(self) -> None:
        for name in ("hardware_growth", "algorithmic_growth", "data_stock_growth", "E_start", "years"):
            require_positive(name, getattr(self, name), prefix="TrendInputs.")
        if not 0.0 <= self.rho_D_share <= 1.0:
            raise ValueError(f"TrendInputs.rho_D_share = {self.rho_D_share!r}: must be in [0, 1]")
        if self.points < 3:
            raise ValueError(f"TrendInputs.points = {self.points!r}: must be an integer >= 3")
        lo, hi = self.observed_ci
        if not 0 < lo <= hi:
            raise ValueError(f"TrendInputs.observed_ci = {self.observed_ci!r}: must be (low, high) with 0 < low <= high")

    def times(self) -> np.ndarray:
        """Years since the start of the window at which the optimum is solved."""
        return np.linspace(0.0, self.years, self.points)

    def paths(self, efficiency: Efficiency) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(E, rho_N, rho_D) at :meth:`times` for an efficiency case.

        'continuing': both trends go on; 'hardware stalled': E stays at ``E_start`` while
        algorithms progress; 'all stalled': both stay at their start values.
        """
        if efficiency not in EFFICIENCY_CASES:
            raise ValueError(f"efficiency = {efficiency!r}: allowed {', '.join(EFFICIENCY_CASES)}")
        t = self.times()
        g_E = self.hardware_growth if efficiency == "continuing" else 1.0
        # Algorithms that stall stay at their start-of-window level (not at the anchor's).
        t_alg = np.zeros_like(t) if efficiency == "all stalled" else t
        ln_alg = np.log(self.algorithmic_growth) * (t_alg - self.anchor_years)
        E = self.E_start * g_E**t
        rho_D = np.exp(self.rho_D_share * ln_alg)
        rho_N = np.exp((1.0 - self.rho_D_share) * ln_alg)
        return E, rho_N, rho_D


@dataclass(frozen=True)
class TrendResult:
    """The profit-optimal spend path of one variant in one regime and efficiency case.

    Attributes:
        variant: variant name (:data:`marketsim.economics.variants.VARIANTS`).
        market: 'permissive' or 'saturating'.
        regime: 'compute-bound' or 'data-bound' (the case asked for).
        efficiency: 'continuing', 'hardware stalled' or 'all stalled'.
        growth: fitted growth of spend per year, factor (None if the firm trains at < 3 points).
        growth_local: (min, max) of the year-to-year growth factors (None if undefined).
        spend: dollars per generation at each point (0 where the firm does not train).
        regimes: the optimizer's regime at each point.
        consistent: growth lies in the observed interval.
        growth_band: growth at the low and high ends of HO24's CI on algorithmic progress (when asked).
    """

    variant: str
    market: str
    regime: Regime
    efficiency: Efficiency
    growth: float | None
    growth_local: tuple[float, float] | None
    spend: tuple[float, ...]
    regimes: tuple[str, ...]
    consistent: bool
    growth_band: tuple[float | None, float | None] | None = None

    @property
    def regime_held(self) -> bool:
        """Whether the optimum was in the asked-for regime at every point where the firm trains."""
        seen = [r for r in self.regimes if r != "no-train"]
        return bool(seen) and all(r == self.regime for r in seen)

    def as_dict(self) -> dict:
        """Plain dict (JSON-safe apart from None)."""
        return {
            "variant": self.variant, "market": self.market, "regime": self.regime,
            "efficiency": self.efficiency, "growth_per_year": self.growth,
            "growth_local": list(self.growth_local) if self.growth_local else None,
            "growth_band": list(self.growth_band) if self.growth_band else None,
            "consistent": self.consistent, "regime_held": self.regime_held,
            "spend": list(self.spend), "regimes": list(self.regimes),
        }


def growth_per_year(t: np.ndarray, values: np.ndarray) -> tuple[float | None, tuple[float, float] | None]:
    """Fitted growth factor per year of positive ``values`` over times ``t`` (years), and the local range.

    The fit is exp of the least-squares slope of ln(values) on t, as in COT24's log-linear trend;
    the local range is exp of the min and max of the pointwise slopes (np.gradient). Points where
    values <= 0 (no training) are dropped; None when fewer than 3 remain.
    """
    t, values = np.asarray(t, dtype=float), np.asarray(values, dtype=float)
    keep = (values > 0) & np.isfinite(values)
    if keep.sum() < 3:
        return None, None
    tk, ly = t[keep], np.log(values[keep])
    # Centre the times so calendar years (~2e3) do not cost precision in the fit.
    slope = float(np.polyfit(tk - tk.mean(), ly, 1)[0])
    local = np.gradient(ly, tk)
    return float(np.exp(slope)), (float(np.exp(local.min())), float(np.exp(local.max())))


def _spend_path(variant: Variant, inputs: TrendInputs, efficiency: Efficiency,
                D_bar: np.ndarray | None) -> list[Optimum]:
    E, rho_N, rho_D = inputs.paths(efficiency)
    results = []
    for i, e in enumerate(E):
        d_bar = None if D_bar is None else float(D_bar[i])
        results.extend(solve_path(variant, [e], D_bar=d_bar, rho_D=float(rho_D[i]), rho_N=float(rho_N[i])))
    return results


def binding_stock(variant: Variant, inputs: TrendInputs) -> np.ndarray | None:
    """A raw token stock (tokens, growing at ``data_stock_growth``) that binds at every point.

    Set to a tenth of the smallest compute-bound D* over all efficiency cases, so the data-bound
    optimum is below the compute-bound one throughout. None if the variant never trains.
    """
    smallest = np.inf
    for efficiency in EFFICIENCY_CASES:
        D = np.array([o.D for o in _spend_path(variant, inputs, efficiency, None)])
        t = inputs.times()
        scaled = D[D > 0] / inputs.data_stock_growth ** t[D > 0]
        if scaled.size:
            smallest = min(smallest, float(scaled.min()))
    if not np.isfinite(smallest):
        return None
    return 0.1 * smallest * inputs.data_stock_growth ** inputs.times()


def spend_trend(variant: Variant, regime: Regime, efficiency: Efficiency, inputs: TrendInputs | None = None,
                *, band: bool = False, D_bar: np.ndarray | None = None) -> TrendResult:
    """Profit-optimal spend growth per year of ``variant`` in ``regime`` under ``efficiency``.

    Args:
        variant: the model variant.
        regime: 'compute-bound' (no data limit) or 'data-bound' (a raw stock that binds).
        efficiency: 'continuing', 'hardware stalled' or 'all stalled'.
        inputs: measured trends (default :class:`TrendInputs`).
        band: also solve at the ends of HO24's CI on algorithmic progress.
        D_bar: raw stock per point for the data-bound case (default :func:`binding_stock`).
    """
    inputs = TrendInputs() if inputs is None else inputs
    if regime not in REGIMES:
        raise ValueError(f"regime = {regime!r}: allowed {', '.join(REGIMES)}")
    if regime == "data-bound" and D_bar is None:
        D_bar = binding_stock(variant, inputs)
    path = _spend_path(variant, inputs, efficiency, D_bar if regime == "data-bound" else None)
    spend = np.array([o.training_cost for o in path])
    growth, local = growth_per_year(inputs.times(), spend)
    lo, hi = inputs.observed_ci
    band_values = None
    if band:
        ends = []
        for g in ALGORITHMIC_GROWTH_CI:
            other = spend_trend(variant, regime, efficiency, replace(inputs, algorithmic_growth=g), D_bar=D_bar)
            ends.append(other.growth)
        band_values = (ends[0], ends[1])
    return TrendResult(
        variant=variant.name, market="saturating" if variant.saturating else "permissive", regime=regime,
        efficiency=efficiency, growth=growth, growth_local=local, spend=tuple(float(s) for s in spend),
        regimes=tuple(o.regime for o in path), consistent=growth is not None and lo <= growth <= hi,
        growth_band=band_values,
    )


@dataclass(frozen=True)
class TrendTable:
    """All trend results plus the inputs that produced them."""

    inputs: TrendInputs
    results: list[TrendResult] = field(default_factory=list)

    def consistent_variants(self) -> list[tuple[str, str, str]]:
        """(variant, regime, efficiency) of every consistent case."""
        return [(r.variant, r.regime, r.efficiency) for r in self.results if r.consistent]


def trend_table(variants: list[str] | None = None, inputs: TrendInputs | None = None, *,
                regimes: tuple[Regime, ...] = REGIMES, efficiencies: tuple[Efficiency, ...] = EFFICIENCY_CASES,
                band: bool = False) -> TrendTable:
    """Spend growth of each variant x regime x efficiency case (default: every variant and case)."""
    inputs = TrendInputs() if inputs is None else inputs
    names = list(VARIANTS) if variants is None else variants
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"variant {unknown[0]!r} is unknown: allowed {', '.join(VARIANTS)}")
    results = []
    for name in names:
        variant = VARIANTS[name]
        stock = binding_stock(variant, inputs) if "data-bound" in regimes else None
        for regime in regimes:
            for efficiency in efficiencies:
                results.append(spend_trend(variant, regime, efficiency, inputs, band=band,
                                           D_bar=stock if regime == "data-bound" else None))
    return TrendTable(inputs=inputs, results=results)
