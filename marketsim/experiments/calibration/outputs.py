"""The tables a calibration writes: posterior, its summary, the posterior predictive and the verdicts.

Files in the calibration folder (each written atomically, CSV format of :func:`~marketsim.experiments.files.write_table`):

- ``posterior.csv``: the last generation's particles: ``particle``, one column per calibrated key (its
  unit), ``weight`` (importance weights, sum 1), ``distance`` (:func:`.statistics.distance`), and the
  unit-cube coordinates ``u0``, ``u1``... pyabc sampled.
- ``posterior_summary.csv``: per key, the prior's 5%, median, 95% (marginal) and the weighted posterior's;
  ``width_ratio`` = posterior 90% width / prior 90% width.
- ``predictive.csv``: per row of the targets table (every row, tuned or held out): the record's value and
  band, and the posterior predictive median, 5% and 95% over ``draws`` re-runs of posterior particles
  (drawn by weight with ``default_rng(seed)``; draw i runs at consumer seed ``seed + i``); ``defined`` =
  draws in which the statistic could be measured (the quantiles are over those).
- ``targets_matched.csv``: per target: ``inside`` = predictive median inside the record's band (the
  verdict: "matched", "missed", or "undefined" when fewer than half the draws measure it),
  ``record_in_predictive`` = record value inside the predictive 90% band.
- ``generations.csv``: per generation t: epsilon, accepted particles, model runs, seconds.
- ``forecast.csv``: from the same predictive draws, the simulated frontier's compute, amortised cost,
  parameters and tokens per parameter of models published in 2024 and 2025 (median, 5%, 95%; the
  selection rule of :mod:`.forecast`, the one the report applies to the record's years).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketsim.experiments.calibration.forecast import PredictiveDraw, forecast_table
from marketsim.experiments.calibration.model import Simulator
from marketsim.experiments.files import atomic_write, write_table

__all__ = ["PREDICTIVE_QUANTILES", "weighted_quantiles", "posterior_table", "posterior_summary",
           "predictive_table", "matched_table", "write_outputs"]

#: Quantiles of the summaries: 5%, median, 95% (a central 90% band).
PREDICTIVE_QUANTILES = (0.05, 0.5, 0.95)

Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles ``q`` of ``values`` under normalised ``weights`` (linear in the cumulative weight, midpoints)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, v)


def posterior_table(history: Any, simulator: Simulator) -> pd.DataFrame:
    """The last generation's particles, with their key values, weights and distances."""
    particles = history.get_population(t=history.max_t).particles
    prior = simulator.prior
    u = np.array([[p.parameter[name] for name in prior.names] for p in particles])
    values = prior.values_of(u)
    table = pd.DataFrame(values, columns=prior.keys)
    table.insert(0, "particle", range(len(particles)))
    weights = np.array([p.weight for p in particles], dtype=float)
    table["weight"] = weights / weights.sum()
    table["distance"] = [float(p.distance) for p in particles]
    for j, name in enumerate(prior.names):
        table[name] = u[:, j]
    return table


def posterior_summary(posterior: pd.DataFrame, simulator: Simulator) -> pd.DataFrame:
    """Per key: prior and weighted posterior 5%, median, 95%, and the ratio of their 90% widths."""
    prior_q = simulator.prior.quantiles(PREDICTIVE_QUANTILES)
    rows = []
    for j, key in enumerate(simulator.prior.keys):
        post = weighted_quantiles(posterior[key].to_numpy(float), posterior["weight"].to_numpy(float),
                                  PREDICTIVE_QUANTILES)
        width = prior_q[2, j] - prior_q[0, j]
        rows.append({"key": key, "prior_p5": prior_q[0, j], "prior_median": prior_q[1, j], "prior_p95": prior_q[2, j],
                     "p5": post[0], "median": post[1], "p95": post[2],
                     "width_ratio": (post[2] - post[0]) / width if width > 0 else float("nan")})
    return pd.DataFrame(rows)


def _draws(posterior: pd.DataFrame, simulator: Simulator, n: int) -> list[tuple[dict[str, float], int]]:
    """``n`` posterior particles drawn by weight (default_rng(seed)), each with seed ``seed + i``."""
    rng = np.random.default_rng(simulator.seed)
    picks = rng.choice(len(posterior), size=n, replace=True, p=posterior["weight"].to_numpy(float))
    names = simulator.prior.names
    return [({name: float(posterior[name].iloc[i]) for name in names}, simulator.seed + k)
            for k, i in enumerate(picks)]


def predictive_table(statistics: list[dict[str, float]], simulator: Simulator) -> pd.DataFrame:
    """Per target (every row of the table): record, band, predictive quantiles and how many draws measure it."""
    rows = []
    for target in simulator.targets:
        values = np.array([s.get(target.key, np.nan) for s in statistics], dtype=float)
        finite = values[np.isfinite(values)]
        enough = finite.size > 0 and 2 * finite.size >= values.size
        p5, median, p95 = np.quantile(finite, PREDICTIVE_QUANTILES) if enough else (np.nan,) * 3
        rows.append({"key": target.key, "statistic": target.statistic, "unit": target.unit,
                     "used_for_tuning": target.used_for_tuning, "record": target.value, "low": target.low,
                     "high": target.high, "median": median, "p5": p5, "p95": p95, "defined": int(finite.size),
                     "draws": int(values.size), "description": target.description})
    return pd.DataFrame(rows)


def matched_table(predictive: pd.DataFrame, simulator: Simulator) -> pd.DataFrame:
    """Per target: is the predictive median inside the record's band, is the record inside the predictive band."""
    rows = []
    for target, row in zip(simulator.targets, predictive.itertuples(index=False), strict=True):
        inside = target.contains(row.median)
        covered = None if not np.isfinite(row.median) else bool(row.p5 <= target.value <= row.p95)
        verdict = {True: "matched", False: "missed", None: "undefined"}[inside]
        rows.append({"key": target.key, "used_for_tuning": target.used_for_tuning, "record": target.value,
                     "low": target.low, "high": target.high, "median": row.median, "p5": row.p5, "p95": row.p95,
                     "inside": inside, "record_in_predictive": covered, "verdict": verdict})
    return pd.DataFrame(rows)


def generations_table(history: Any) -> pd.DataFrame:
    """One row per finished generation t >= 0: epsilon, accepted, runs (model evaluations), seconds."""
    table = history.get_all_populations()
    table = table[table["t"] >= 0].sort_values("t")
    return pd.DataFrame({"t": table["t"].astype(int), "epsilon": table["epsilon"].astype(float),
                         "accepted": table["particles"].astype(int), "runs": table["samples"].astype(int),
                         "seconds": table["wall_time"].astype(float)})


def write_outputs(out: Path, history: Any, simulator: Simulator, draws: int, mapper: Mapper | None) -> dict[str, pd.DataFrame]:
    """Compute and write every table of the module docstring into ``out``; return them by file name.

    Args:
        draws: posterior draws re-run for the predictive.
        mapper: ``mapper(fn, items) -> results`` (a dask map), or None to run in this process.
    """
    posterior = posterior_table(history, simulator)
    items = _draws(posterior, simulator, draws)
    draw = PredictiveDraw(simulator)  # every target's statistic and the forecast values of one draw
    statistics = list(mapper(draw, items) if mapper is not None else [draw(i) for i in items])
    predictive = predictive_table(statistics, simulator)
    tables = {"posterior.csv": posterior, "posterior_summary.csv": posterior_summary(posterior, simulator),
              "predictive.csv": predictive, "targets_matched.csv": matched_table(predictive, simulator),
              "generations.csv": generations_table(history), "forecast.csv": forecast_table(statistics)}
    for name, table in tables.items():
        atomic_write(out / name, lambda tmp, table=table: write_table(table, tmp))
    return tables
