"""Epoch AI's record of frontier language models 2016-2023, the frontier selection rule and the growth fit.

The record (``data/frontier_lm_2016_2023.csv``, package data; see ``data/README.md`` for its source and
licence) lists the language models Epoch AI ranks among the top 10 by training compute at their
publication date. The same two tools apply to the record and to simulated models, so that a simulated
frontier is measured exactly as the real one:

- :func:`frontier_ranks` / :func:`frontier_mask`: a model is *frontier* if, at its publication date, it
  ranks in the top ``n`` (default :data:`TOP_N` = 10) by training compute among all models published up
  to that date (itself included);
- :func:`growth_fit`: the growth factor per year ``exp(slope)`` of an OLS fit of ``ln value`` on the
  publication year, with a bootstrap interval that resamples models with replacement.

:func:`record_growth` and :func:`named_level` apply them to windows of the record and to named models.

Units: years are decimal calendar years (2020.5 = early July 2020); compute in FLOP; money in US dollars
of the cost estimate's year (Epoch's ``model_costs.csv``); parameters and tokens are counts; growth
factors are per year (x/yr).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from importlib import resources
from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "RECORD_FILE", "TOP_N", "N_BOOT", "INTERVAL", "QUANTITIES", "GPT3", "GPT4", "GrowthFit",
    "load_record", "frontier_ranks", "frontier_mask", "growth_fit", "record_growth", "named_level",
    "window_rows",
]

#: The record's file name inside this package's ``data`` folder.
RECORD_FILE: Final = "frontier_lm_2016_2023.csv"
#: A model is frontier if it ranks in the top TOP_N by training compute at its publication date (Epoch's
#: ``top_n_rank <= 10`` selection of the record).
TOP_N: Final = 10
#: Bootstrap resamples and the central interval of :func:`growth_fit` (the record's targets use them).
N_BOOT: Final = 2000
INTERVAL: Final = 0.90
#: Quantities of the record that can be fitted or read at a named model, with their units.
QUANTITIES: Final[dict[str, str]] = {
    "compute_flop": "FLOP",
    "cost_amortised_usd": "USD",
    "cost_cloud_usd": "USD",
    "params": "parameters",
    "tokens_implied": "tokens",
    "tokens_per_param": "tokens per parameter",
}
#: The record's names of the two named models of the backtest.
GPT3: Final = "GPT-3 175B (davinci)"
GPT4: Final = "GPT-4"


def load_record() -> pd.DataFrame:
    """Epoch AI's frontier language models 2016-2023 (61 rows), one row per model, by publication date.

    Columns (units): ``Model``, ``Organization``; ``Publication date`` (ISO date); ``year`` (decimal
    publication year); ``compute_flop`` training compute (FLOP); ``params`` parameters (count; NaN where
    undisclosed, e.g. GPT-4); ``moe`` True for mixture-of-experts models (``params`` is then the total);
    ``tokens_implied`` = compute / (6 params) (tokens; NaN for MoE); ``tokens_per_param`` = tokens_implied /
    params; ``dataset_size_db`` as Epoch's database gives it (units vary by domain); ``Epochs``;
    ``cost_amortised_usd`` amortised hardware + energy cost (USD, Cottier et al. 2024 method);
    ``cost_cloud_usd`` cloud-rental cost (USD); ``Hardware utilization (MFU)`` (fraction); ``Confidence``
    (Epoch's confidence in the compute estimate); ``top_n_rank`` (Epoch's compute rank at publication).
    """
    path = resources.files(__package__).joinpath("data", RECORD_FILE)
    with resources.as_file(path) as file:
        frame = pd.read_csv(file)
    frame["moe"] = frame["moe"].astype(bool)
    return frame.sort_values("year", kind="stable").reset_index(drop=True)


# --- the frontier selection rule -------------------------------------------------------------------


def frontier_ranks(year: np.ndarray | pd.Series | list[float],
                   compute: np.ndarray | pd.Series | list[float]) -> np.ndarray:
    """Each model's rank by training compute among the models published up to its date (1 = largest).

    rank_i = 1 + #{j : year_j <= year_i and compute_j > compute_i}: models published the same day count
    as published before it, ties in compute share the better rank. A model with a missing or non-positive
    compute has rank NaN and does not count against others.

    Args:
        year: publication dates (decimal years).
        compute: training compute (FLOP), same length.
    """
    t = np.asarray(year, dtype=float)
    c = np.asarray(compute, dtype=float)
    if t.shape != c.shape or t.ndim != 1:
        raise ValueError(f"year and compute must be 1-D of one length, got {t.shape} and {c.shape}")
    valid = np.isfinite(t) & np.isfinite(c) & (c > 0)
    ranks = np.full(t.shape, np.nan)
    order = np.flatnonzero(valid)[np.argsort(t[valid], kind="stable")]
    seen: list[float] = []  # computes of the models published so far, sorted
    start = 0
    while start < order.size:  # one publication date at a time: same-day models count for each other
        stop = start
        while stop < order.size and t[order[stop]] == t[order[start]]:
            bisect.insort(seen, float(c[order[stop]]))
            stop += 1
        for i in order[start:stop]:
            ranks[i] = 1.0 + len(seen) - bisect.bisect_right(seen, float(c[i]))
        start = stop
    return ranks


def frontier_mask(year: np.ndarray | pd.Series | list[float], compute: np.ndarray | pd.Series | list[float],
                  *, n: int = TOP_N) -> np.ndarray:
    """True for the frontier models: rank (:func:`frontier_ranks`) at most ``n`` at publication."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    ranks = frontier_ranks(year, compute)
    return np.isfinite(ranks) & (ranks <= n)


# --- the growth fit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthFit:
    """An OLS fit of ln(value) on the publication year, and its bootstrap interval.

    Attributes:
        factor: growth factor per year, exp(slope) (x/yr).
        low, high: the bootstrap ``interval`` (central, percentile) of the factor (x/yr).
        slope: ln-units per year; intercept: ln(value) at ``year_ref``.
        year_ref: the mean publication year of the fitted models (decimal year).
        n_models: models fitted; n_skipped: models left out (value missing or <= 0, or year missing).
        interval: the interval's coverage (0.90 = 5th to 95th percentile); n_boot: resamples used
            (those whose years all coincide have no slope and are dropped; n_boot counts the kept ones).
        year_min, year_max: range of the fitted years.
    """

    factor: float
    low: float
    high: float
    slope: float
    intercept: float
    year_ref: float
    n_models: int
    n_skipped: int
    interval: float
    n_boot: int
    year_min: float
    year_max: float

    def level(self, year: float) -> float:
        """The fitted value at ``year`` (decimal year), in the unit of the fitted values."""
        return math.exp(self.intercept + self.slope * (year - self.year_ref))

    def contains(self, factor: float) -> bool:
        """Whether a growth factor (x/yr) lies in [low, high]."""
        return self.low <= factor <= self.high


def _ols_slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slopes of y on x along the last axis (x, y of shape (..., n)); NaN where x does not vary."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    sxx = (xc * xc).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sxx > 0, (xc * yc).sum(axis=-1) / np.where(sxx > 0, sxx, 1.0), np.nan)


def growth_fit(year: np.ndarray | pd.Series | list[float], value: np.ndarray | pd.Series | list[float], *,
               n_boot: int = N_BOOT, seed: int = 0, interval: float = INTERVAL) -> GrowthFit:
    """Growth factor per year of ``value`` over ``year``: exp of the OLS slope of ln(value) on year.

    Models whose value is missing or non-positive (no logarithm), or whose year is missing, are skipped
    and counted in ``n_skipped``. The interval resamples the fitted models with replacement ``n_boot``
    times (``numpy.random.default_rng(seed)``), refits each resample and takes the central ``interval``
    percentiles of exp(slope).

    Args:
        year: publication dates (decimal years).
        value: the quantity per model, > 0 (any unit: FLOP, USD, parameters, tokens per parameter).
        n_boot: bootstrap resamples (>= 1).
        seed: seed of the resampling.
        interval: coverage of the interval, in (0, 1).

    Raises:
        ValueError: fewer than 3 usable models, or all at one date; bad ``n_boot`` or ``interval``.
    """
    t = np.asarray(year, dtype=float)
    v = np.asarray(value, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"year and value must be 1-D of one length, got {t.shape} and {v.shape}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0.0 < interval < 1.0:
        raise ValueError(f"interval must be in (0, 1), got {interval}")
    keep = np.isfinite(t) & np.isfinite(v) & (v > 0)
    t, y = t[keep], np.log(v[keep])
    n = int(t.size)
    if n < 3:
        raise ValueError(f"growth_fit needs at least 3 models with a positive value, got {n} "
                         f"({int((~keep).sum())} skipped: missing or non-positive)")
    if np.ptp(t) == 0:
        raise ValueError(f"growth_fit: all {n} models share one date ({t[0]}), no slope")
    year_ref = float(t.mean())
    slope = float(_ols_slope(t, y))
    intercept = float(y.mean())  # the OLS line passes through (mean year, mean ln value)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boot = _ols_slope(t[idx], y[idx])
    boot = boot[np.isfinite(boot)]
    tail = 100.0 * (1.0 - interval) / 2.0
    lo, hi = np.percentile(boot, [tail, 100.0 - tail])
    return GrowthFit(factor=math.exp(slope), low=math.exp(lo), high=math.exp(hi), slope=slope,
                     intercept=intercept, year_ref=year_ref, n_models=n, n_skipped=int((~keep).sum()),
                     interval=interval, n_boot=int(boot.size), year_min=float(t.min()), year_max=float(t.max()))


# --- the record's windows and named models ---------------------------------------------------------


def window_rows(record: pd.DataFrame, start: int, end: int, *, dense_only: bool = False) -> pd.DataFrame:
    """Rows published in calendar years ``start`` to ``end`` inclusive (start <= year < end + 1).

    ``dense_only`` drops mixture-of-experts models (``moe`` True).
    """
    if end < start:
        raise ValueError(f"window {start}-{end}: end before start")
    rows = record[(record["year"] >= start) & (record["year"] < end + 1)]
    return rows[~rows["moe"].astype(bool)] if dense_only else rows


def record_growth(record: pd.DataFrame, quantity: str, start: int, end: int, *, dense_only: bool = False,
                  n_boot: int = N_BOOT, seed: int = 0, interval: float = INTERVAL) -> GrowthFit:
    """:func:`growth_fit` of the record's ``quantity`` (a column of :data:`QUANTITIES`) over a window."""
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")
    rows = window_rows(record, start, end, dense_only=dense_only)
    return growth_fit(rows["year"], rows[quantity], n_boot=n_boot, seed=seed, interval=interval)


def named_level(record: pd.DataFrame, model: str, quantity: str) -> float | None:
    """The record's ``quantity`` (unit in :data:`QUANTITIES`) for the model named ``model``; None if blank.

    Raises:
        KeyError: no row, or more than one, has that name.
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")
    rows = record[record["Model"] == model]
    if len(rows) != 1:
        raise KeyError(f"the record has {len(rows)} rows named {model!r} (expected one)")
    value = float(rows[quantity].iloc[0])
    return value if math.isfinite(value) else None
