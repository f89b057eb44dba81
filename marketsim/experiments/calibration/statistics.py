"""The summary statistics of a simulated run, measured exactly as the record's targets, and the distance.

A run's *models* (:func:`simulated_models`) are the releases of every firm: publication year = the
calendar year of the period the model went on sale, compute = 6 N D (FLOP), cost = the training cost
paid when its run started (USD), params = N, tokens_per_param = D / N (the record's compute / 6 N^2).
The frontier models are those ranked in the top 10 by compute at release
(:func:`~marketsim.experiments.validation.frontier.frontier_mask`, the record's rule), and every row of
the targets table (:mod:`~marketsim.experiments.validation.targets`) is measured on them as on the record:

- ``growth``: :func:`~marketsim.experiments.validation.frontier.growth_fit` (exp of the OLS slope of
  ln value on publication year) over the frontier models published in the window (x/yr);
- ``level`` at a named model: the quantity of the simulated frontier leader (largest compute) among the
  models published up to the named model's publication date in the record;
- ``range``: the median over the window's frontier models;
- a :data:`~marketsim.experiments.validation.record.RECORD` row: revenue in 2024 (USD, all firms), the
  mean adopters over the calendar year (weekly users: an adopter is a weekly user, assumption of
  record.py) for adoption, and :func:`~marketsim.experiments.validation.history.history_metrics` for
  the rest (first_run_year: the first year a training run starts).

A statistic that cannot be measured (fewer than 3 models in a window, no model by a date) is NaN.

Distance (:func:`distance`): the sum over the targets used for tuning of
``(ln(simulated / record) / h)^2``, where ``h`` is the half-width of the target's band in logs,
``(ln high - ln low) / 2`` (one-sided band: the distance from the value to its bound). A miss by the
band's half-width costs 1. An undefined statistic costs :data:`MISSING_TERM` (a miss by 10 half-widths).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from marketsim.experiments.validation.frontier import frontier_mask, growth_fit, load_record
from marketsim.experiments.validation.history import history_metrics
from marketsim.experiments.validation.targets import TargetRow

__all__ = ["MISSING_TERM", "MODEL_COLUMNS", "simulated_models", "frontier_models", "measure", "measure_all",
           "half_width", "distance", "observed"]

#: Distance term of a target whose simulated statistic is undefined (a miss by 10 band half-widths).
MISSING_TERM: Final = 100.0
#: Columns of :func:`simulated_models` (units: decimal year, FLOP, USD, parameters, tokens, tokens/param).
MODEL_COLUMNS: Final = ("firm", "year", "compute_flop", "cost_amortised_usd", "params", "tokens", "tokens_per_param")
#: The record's quantities and the simulated model's column measuring each.
_SIM_COLUMN: Final = {"compute_flop": "compute_flop", "cost_amortised_usd": "cost_amortised_usd",
                      "cost_cloud_usd": "cost_amortised_usd", "params": "params", "tokens_implied": "tokens",
                      "tokens_per_param": "tokens_per_param"}
#: Bootstrap resamples inside the calibration: only the point estimate of a growth fit is used.
_N_BOOT: Final = 1


def simulated_models(firms_df: pd.DataFrame) -> pd.DataFrame:
    """Every model any firm put on sale in a run (firms.csv), one row each, by publication year.

    A model is a change of a firm's (N, D) to a new non-zero pair; its cost is the training cost of the
    firm's latest run started at or before its release (NaN if none is recorded).
    """
    rows = []
    for firm, own in firms_df.sort_values("step", kind="stable").groupby("firm", sort=False):
        cost, last = float("nan"), (0.0, 0.0)
        for row in own.itertuples(index=False):
            if row.training_cost > 0:
                cost = float(row.training_cost)
            pair = (float(row.N), float(row.D))
            if pair[0] > 0 and pair != last:
                rows.append({"firm": str(firm), "year": float(row.year), "compute_flop": 6.0 * pair[0] * pair[1],
                             "cost_amortised_usd": cost, "params": pair[0], "tokens": pair[1],
                             "tokens_per_param": pair[1] / pair[0]})
            last = pair
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS)).sort_values("year", kind="stable").reset_index(drop=True)


def frontier_models(models: pd.DataFrame) -> pd.DataFrame:
    """The models ranked in the top 10 by compute at their release (the record's selection rule)."""
    if models.empty:
        return models
    return models[frontier_mask(models["year"], models["compute_flop"])].reset_index(drop=True)


@lru_cache(maxsize=None)
def _publication_year(model: str) -> float:
    record = load_record()
    rows = record[record["Model"] == model]
    if len(rows) != 1:
        raise KeyError(f"the record has {len(rows)} rows named {model!r} (expected one)")
    return float(rows["year"].iloc[0])


def _window(frontier: pd.DataFrame, window: tuple[int, int]) -> pd.DataFrame:
    return frontier[(frontier["year"] >= window[0]) & (frontier["year"] < window[1] + 1)]


def _finite(x: float | None) -> float:
    return float(x) if x is not None and math.isfinite(x) else float("nan")


def _record_statistic(key: str, model_df: pd.DataFrame, firms_df: pd.DataFrame) -> float:
    if key.startswith("adoption_"):
        year = int(key.rsplit("_", 1)[1])
        rows = model_df[(model_df["year"] >= year) & (model_df["year"] < year + 1)]
        return float(rows["adopters"].mean()) if len(rows) else float("nan")
    if key == "revenue_2024":
        in_year = (firms_df["year"] >= 2024) & (firms_df["year"] < 2025)
        return float(firms_df.loc[in_year, "revenue"].sum()) if in_year.any() else float("nan")
    if key == "first_run_year":
        started = firms_df.loc[firms_df["training_cost"] > 0, "year"]
        return float(started.min()) if len(started) else float("nan")
    return _finite(history_metrics(model_df, firms_df).get(key))


def measure(target: TargetRow, model_df: pd.DataFrame, firms_df: pd.DataFrame,
            frontier: pd.DataFrame | None = None) -> float:
    """The simulated counterpart of ``target`` in its unit (NaN when it cannot be measured).

    Args:
        target: a row of the targets table.
        model_df, firms_df: model.csv and firms.csv of a run.
        frontier: :func:`frontier_models` of the run (computed when None).
    """
    if target.record_key is not None:
        return _record_statistic(target.record_key, model_df, firms_df)
    frontier = frontier_models(simulated_models(firms_df)) if frontier is None else frontier
    column = _SIM_COLUMN[str(target.quantity)]
    if target.statistic == "level":
        published = frontier[frontier["year"] <= _publication_year(str(target.model))]
        if published.empty:
            return float("nan")
        return _finite(published.loc[published["compute_flop"].idxmax(), column])
    assert target.window is not None
    rows = _window(frontier, target.window)
    if target.statistic == "range":
        values = rows[column].to_numpy(float)
        values = values[np.isfinite(values)]
        return float(np.median(values)) if values.size else float("nan")
    values = rows[column].to_numpy(float)
    keep = np.isfinite(values) & (values > 0)
    if keep.sum() < 3 or np.ptp(rows["year"].to_numpy(float)[keep]) == 0:
        return float("nan")
    return growth_fit(rows["year"].to_numpy(float)[keep], values[keep], n_boot=_N_BOOT).factor


def measure_all(targets: Sequence[TargetRow], model_df: pd.DataFrame, firms_df: pd.DataFrame) -> dict[str, float]:
    """target key -> simulated statistic (:func:`measure`) for every row of ``targets``."""
    frontier = frontier_models(simulated_models(firms_df))
    return {t.key: measure(t, model_df, firms_df, frontier) for t in targets}


def half_width(target: TargetRow) -> float:
    """Half-width of the target's band in natural logs (> 0).

    Raises:
        ValueError: the band is open on both sides, not positive, or has no width.
    """
    if target.low is not None and target.high is not None and target.low > 0:
        h = (math.log(target.high) - math.log(target.low)) / 2
    elif target.value > 0 and (target.low or target.high):
        bound = target.low if target.low is not None else target.high
        h = abs(math.log(float(bound)) - math.log(target.value)) if bound and bound > 0 else 0.0
    else:
        h = 0.0
    if not h > 0:
        raise ValueError(f"target {target.key}: its band [{target.low}, {target.high}] around {target.value} has no "
                         "positive width in logs, so it cannot weigh a distance; give it a band, or set "
                         "used_for_tuning = false")
    return h


def observed(targets: Sequence[TargetRow]) -> dict[str, float]:
    """The record's value of each target used for tuning (the observed summary statistics)."""
    return {t.key: float(t.value) for t in targets if t.used_for_tuning}


def distance(simulated: Mapping[str, float], record: Mapping[str, float], widths: Mapping[str, float]) -> float:
    """sum over the keys of ``record`` of (ln(simulated / record) / width)^2; :data:`MISSING_TERM` per
    statistic that is undefined or not positive."""
    total = 0.0
    for key, want in record.items():
        got = float(simulated.get(key, float("nan")))
        if not (math.isfinite(got) and got > 0):
            total += MISSING_TERM
        else:
            total += (math.log(got / want) / widths[key]) ** 2
    return total
