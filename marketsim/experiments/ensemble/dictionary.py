"""``columns.csv`` of an ensemble folder: the unit and meaning of every column of every table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from marketsim.experiments.ensemble.outcomes import OUTCOMES as OUTCOME_INFO
from marketsim.experiments.ensemble.tables import (
    OUTCOME_QUANTILE_FILE,
    PAIRED_QUANTILE_FILE,
    PROBABILITIES,
    PROBABILITY_FILE,
    QUANTILE_COLUMNS,
    QUANTILE_FILE,
)
from marketsim.experiments.files import atomic_write, write_table
from marketsim.sim.tables import UnknownColumnError, describe

__all__ = ["COLUMNS_FILE", "columns_table", "write_columns"]

COLUMNS_FILE = "columns.csv"
_TEXT = "text"

_COMMON = {
    "scenario": (_TEXT, "Scenario label (meta.name, plus [overrides] when given as FILE[key=value,...])."),
    "base": (_TEXT, "The first scenario on the command line, against which paired differences are taken."),
    "draw": ("index", "Parameter draw 0..N-1; every scenario runs draw i with the same values and consumer seed."),
    "seed": ("integer", "Consumer (model) seed of the draw: --seed + draw, shared by every scenario."),
    "series": (_TEXT, "A model.csv column (unit and meaning: the rows of table 'model.csv')."),
    "outcome": (_TEXT, "A column of outcomes.csv or paired.csv."),
    "statement": (_TEXT, "What is estimated (unit and meaning: the rows of table 'probabilities.csv statement')."),
    "step": ("periods since the start", "Period index; step 0 starts at meta.start_year of the first scenario."),
    "year": ("calendar year (decimal)", "Calendar year at the start of the period."),
    "mean": ("unit of the series or outcome", "Mean over draws."),
    "runs": ("runs", "Finished runs with a value (not empty) that the row summarizes."),
    "value": ("see unit", "The estimate: a probability 0-1 or a median in the row's unit."),
    "unit": (_TEXT, "Unit of value."),
    **{name: ("unit of the series or outcome", f"{name[1:]}th percentile over draws.") for name in QUANTILE_COLUMNS},
}


def _outcome_rows() -> dict[str, tuple[str, str]]:
    rows = dict(OUTCOME_INFO)
    for key, (unit, meaning) in OUTCOME_INFO.items():
        diff_unit = "years" if unit.startswith("calendar year") else unit
        rows[f"{key}_diff"] = (diff_unit, f"Paired: scenario minus base on the same draw, of: {meaning}")
        rows[f"{key}_ratio"] = ("ratio", f"Paired: scenario / base on the same draw (empty when the base is 0), of: {meaning}")
    rows["spend_cut"] = ("fraction", "Paired: 1 - cumulative_training_spend / the base's on the same draw.")
    rows["adoption_later"] = ("0 or 1", "Paired: 1 if adoption passes 50% later than in the base on the same draw "
                              "(or never while the base's does).")
    return rows


def _model_series(column: str, periods_per_year: int) -> tuple[str, str]:
    try:
        return describe("model.csv", column, periods_per_year)
    except UnknownColumnError:
        return "see model.csv", "A model.csv column without an entry in marketsim.sim.columns."


def columns_table(tables: Mapping[str, pd.DataFrame], keys: list[str], series: list[str],
                  periods_per_year: int) -> pd.DataFrame:
    """One row per (table, column) of ``tables``, then one per model series and statement named in them."""
    known = {**_COMMON, **_outcome_rows(), **{k: ("unit of the key", f"Drawn value of the scenario key {k} "
                                                 "(see docs/calibration.md).") for k in keys}}
    rows = []
    for name, table in tables.items():
        for column in table.columns:
            unit, meaning = known.get(str(column), ("unknown", "Not described."))
            rows.append({"table": name, "column": str(column), "unit": unit, "description": meaning})
    for column in series:
        unit, meaning = _model_series(column, periods_per_year)
        rows.append({"table": "model.csv", "column": column, "unit": unit, "description": meaning})
    for statement, (unit, meaning) in PROBABILITIES.items():
        rows.append({"table": f"{PROBABILITY_FILE} statement", "column": statement, "unit": unit,
                     "description": meaning})
    return pd.DataFrame(rows, columns=["table", "column", "unit", "description"])


def write_columns(out_dir: Path, tables: Mapping[str, pd.DataFrame], keys: list[str],
                  periods_per_year: int) -> Path:
    """Write columns.csv for the ensemble's tables (the series are those of quantiles.csv)."""
    quantiles = tables.get(QUANTILE_FILE)
    series = list(dict.fromkeys(quantiles["series"])) if quantiles is not None and len(quantiles) else []
    table = columns_table(tables, keys, series, periods_per_year)
    path = out_dir / COLUMNS_FILE
    atomic_write(path, lambda tmp: write_table(table, tmp))
    return path

