"""The 2024-2025 forecast of a calibration: the simulated frontier's yearly levels over posterior draws.

One selection rule (:data:`RULE`, :func:`year_levels`) applies to the record and to a simulated run, so
that a forecast year and a record year are comparable: among the *frontier* models (top 10 by compute at
release, :func:`~marketsim.experiments.validation.frontier.frontier_mask`, the record's rule) published
in calendar year Y (Y <= year < Y + 1) with a known value of the quantity, take the one with the largest
training compute and read that quantity; parameters and tokens per parameter are read on the
largest-compute *dense* frontier model (mixture-of-experts models left out, as the record's dense
targets; every simulated model is dense). Blank values are left out as in the record's "range" targets
(the record's largest 2023 models, GPT-4 and Gemini Ultra, have no disclosed parameter count).

:class:`PredictiveDraw` is the posterior-predictive run of :mod:`.outputs`: one draw ``(parameters,
seed)`` of the historical scenario (2016-2025), reduced to every target's statistic and the forecast's
``forecast:<year>:<quantity>`` values. :func:`forecast_table` summarises those over the draws (median,
5%, 95%): the rows of ``forecast.csv``.

The record of 2024-2025 is not in the data (``data/frontier_lm_2016_2023.csv`` ends in 2023): the forecast
is stated before any comparison.

Units (:data:`FORECAST_QUANTITIES`): compute in FLOP, amortised training cost in USD, parameters (count),
tokens per parameter (D / N, the record's compute / 6 N^2); years are calendar years.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from marketsim.config import scenario_from_dict
from marketsim.experiments.calibration.model import Simulator
from marketsim.experiments.calibration.statistics import measure_all, simulated_models
from marketsim.experiments.run import run_scenario
from marketsim.experiments.validation.frontier import frontier_mask

__all__ = ["FORECAST_YEARS", "FORECAST_QUANTITIES", "DENSE_QUANTITIES", "RULE", "FORECAST_COLUMNS",
           "year_levels", "forecast_key", "forecast_statistics", "PredictiveDraw", "forecast_table"]

#: The forecast's years: published after the record ends (2023).
FORECAST_YEARS: Final = (2024, 2025)
#: Quantity (a column of the record and of :func:`.statistics.simulated_models`) -> unit.
FORECAST_QUANTITIES: Final[dict[str, str]] = {
    "compute_flop": "FLOP", "cost_amortised_usd": "USD", "params": "parameters",
    "tokens_per_param": "tokens per parameter"}
#: Quantities read on the largest-compute dense frontier model.
DENSE_QUANTITIES: Final = ("params", "tokens_per_param")
#: The selection rule, as written into forecast.csv and the report.
RULE: Final = ("largest-compute frontier model (top 10 by compute at release) published in the year with "
               "a known value; params and tokens per parameter: largest-compute dense one")
#: Columns of forecast.csv.
FORECAST_COLUMNS: Final = ("year", "quantity", "median", "p05", "p95", "unit", "rule", "defined", "draws")


def year_levels(models: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Per year and quantity, the value of the model :data:`RULE` selects (NaN: no such model, or blank).

    Args:
        models: one row per model with ``year`` (decimal), ``compute_flop`` and the columns of
            :data:`FORECAST_QUANTITIES`; an optional boolean ``moe`` (absent = all dense). All models, not
            only the frontier: the frontier is selected here, ranked among every row.
        years: calendar years.

    Returns:
        Columns ``year``, ``quantity``, ``value`` (unit of :data:`FORECAST_QUANTITIES`), ``model_year``
        (the selected model's decimal publication year), one row per year and quantity.
    """
    frontier = models[frontier_mask(models["year"], models["compute_flop"])] if len(models) else models
    moe = frontier["moe"].astype(bool) if "moe" in frontier.columns else pd.Series(False, index=frontier.index)
    rows = []
    for year in years:
        in_year = (frontier["year"] >= year) & (frontier["year"] < year + 1)
        for quantity in FORECAST_QUANTITIES:
            known = in_year & np.isfinite(frontier[quantity].to_numpy(float))
            pool = frontier[known & ~moe] if quantity in DENSE_QUANTITIES else frontier[known]
            if pool.empty:
                rows.append({"year": int(year), "quantity": quantity, "value": float("nan"),
                             "model_year": float("nan")})
                continue
            pick = pool.loc[pool["compute_flop"].idxmax()]
            rows.append({"year": int(year), "quantity": quantity, "value": float(pick[quantity]),
                         "model_year": float(pick["year"])})
    return pd.DataFrame(rows, columns=["year", "quantity", "value", "model_year"])


def forecast_key(year: int, quantity: str) -> str:
    """The statistic's key of one forecast value in a draw's dict: ``forecast:<year>:<quantity>``."""
    return f"forecast:{year}:{quantity}"


def forecast_statistics(firms_df: pd.DataFrame, years: Sequence[int] = FORECAST_YEARS) -> dict[str, float]:
    """:func:`forecast_key` -> value of :func:`year_levels` on a run's models (firms.csv)."""
    levels = year_levels(simulated_models(firms_df), years)
    return {forecast_key(int(r.year), str(r.quantity)): float(r.value) for r in levels.itertuples(index=False)}


@dataclass(frozen=True)
class PredictiveDraw:
    """One posterior-predictive run: every target's statistic and the forecast values (picklable for dask)."""

    simulator: Simulator

    def __call__(self, draw: tuple[Mapping[str, float], int]) -> dict[str, float]:
        parameters, seed = draw
        sim = self.simulator
        scenario = scenario_from_dict(sim.data, source=sim.source, overrides=sim.prior.overrides(parameters))
        result = run_scenario(scenario, seed=seed, progress=False)
        statistics = measure_all(sim.targets, result.model, result.firms)
        statistics.update(forecast_statistics(result.firms))
        return statistics


def forecast_table(statistics: Sequence[Mapping[str, float]], quantiles: Sequence[float] = (0.05, 0.5, 0.95),
                   years: Sequence[int] = FORECAST_YEARS) -> pd.DataFrame:
    """The rows of forecast.csv: per year and quantity, the median and 5%-95% band over the draws.

    ``defined`` = draws with a value (a year without a frontier model gives none); the quantiles are over
    those, NaN when fewer than half the draws have one (as the predictive table).
    """
    rows = []
    for year in years:
        for quantity, unit in FORECAST_QUANTITIES.items():
            key = forecast_key(year, quantity)
            values = np.array([s.get(key, np.nan) for s in statistics], dtype=float)
            finite = values[np.isfinite(values)]
            enough = finite.size > 0 and 2 * finite.size >= values.size
            p05, median, p95 = np.quantile(finite, quantiles) if enough else (np.nan,) * 3
            rows.append({"year": int(year), "quantity": quantity, "median": float(median), "p05": float(p05),
                         "p95": float(p95), "unit": unit, "rule": RULE, "defined": int(finite.size),
                         "draws": int(values.size)})
    return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))
