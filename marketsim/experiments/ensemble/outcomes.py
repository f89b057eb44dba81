"""What one ensemble run returns: its model table and scalar outcomes (computed on the worker).

The outcomes are the columns of ``outcomes.csv`` (:mod:`marketsim.experiments.ensemble.layout`);
:data:`OUTCOMES` gives each one's unit and meaning (written to ``columns.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from marketsim.experiments.batch.source import ScenarioSource
from marketsim.experiments.run import run_scenario

__all__ = ["DATA_WALL_SHARE", "OUTCOMES", "ensemble_run", "run_outcomes"]

#: A run hits the data wall in the first period whose largest model trains on at least this share of
#: the usable raw data stock (data_stock / rho_D): data, not compute, then bounds the frontier.
DATA_WALL_SHARE = 0.95

#: Scalar outcomes of one run: name -> (unit, meaning). ``{period}`` is filled from meta.periods_per_year.
OUTCOMES: dict[str, tuple[str, str]] = {
    "adoption_final": ("fraction 0-1", "Share of the population using some model in the last period."),
    "adoption_50_year": ("calendar year (decimal)", "First period in which adoption_share >= 0.5; empty if never."),
    "hhi_final": ("index 0-1", "Herfindahl-Hirschman index of adopter shares in the last period."),
    "mean_price_final": ("dollars per adopter per {period}", "Adopter-weighted mean price in the last period."),
    "largest_N_max": ("parameters", "Parameters of the largest model on sale at any time of the run."),
    "best_loss_min": ("nats per token", "Lowest loss of any model on sale during the run."),
    "cumulative_training_spend": ("dollars", "Training spend of all firms summed over the run."),
    "training_spend_annual_final": ("dollars per year", "Training spend over the run's last year."),
    "consumer_surplus_total": ("dollars", "Consumer surplus summed over the run."),
    "firms_alive_final": ("firms", "Firms that have not exited at the end of the run."),
    "data_wall_year": ("calendar year (decimal)", f"First period whose largest model trains on >= "
                       f"{DATA_WALL_SHARE:g} of the usable raw data stock (data_stock / rho_D); empty if never."),
}


def _first_year(model: pd.DataFrame, hit: pd.Series) -> float:
    """Calendar year of the first row where ``hit`` is true (NaN if never)."""
    years = model.loc[hit.fillna(False).astype(bool), "year"]
    return float(years.iloc[0]) if len(years) else float("nan")


def run_outcomes(model: pd.DataFrame) -> dict[str, float]:
    """The :data:`OUTCOMES` of one run's model table (model.csv columns), as floats (NaN: none)."""
    last = model.iloc[-1]
    raw_stock = model["data_stock"] / model["rho_D"]
    values = {
        "adoption_final": last["adoption_share"],
        "adoption_50_year": _first_year(model, model["adoption_share"] >= 0.5),
        "hhi_final": last["hhi"],
        "mean_price_final": last["mean_price"],
        "largest_N_max": model["largest_N"].max(),
        "best_loss_min": model["best_loss"].min(),
        "cumulative_training_spend": model["training_spend"].sum(),
        "training_spend_annual_final": last["training_spend_annual"],
        "consumer_surplus_total": model["consumer_surplus"].sum(),
        "firms_alive_final": last["firms_alive"],
        "data_wall_year": _first_year(model, model["largest_D"] >= DATA_WALL_SHARE * raw_stock),
    }
    return {key: float(value) if value is not None else float("nan") for key, value in values.items()}


def ensemble_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, Mapping[str, Any]]:
    """Worker side: run the scenario with one draw's overrides and consumer seed.

    Returns:
        The model table (model.csv columns, with step) and :func:`run_outcomes` (NaN as None).
    """
    result = run_scenario(scenario.load(overrides), seed=seed, progress=False)
    outcomes = run_outcomes(result.model)
    return result.model, {k: (None if np.isnan(v) else v) for k, v in outcomes.items()}
