"""The column dictionary of every table marketsim writes (``columns.csv``); the columns themselves,
with their units, are defined once in :mod:`marketsim.sim.columns` (re-exported here).

Each output folder gets a ``columns.csv`` (columns ``table, column, unit, description``) written by
:func:`write_columns`, describing the tables in that folder:

- ``model.csv`` (one row per period) and ``firms.csv`` (one row per firm per period), see
  :class:`marketsim.sim.model.MarketModel`; ``summary.json`` (headline numbers of one run);
- ``comparison.csv`` of ``marketsim compare``: summary numbers per scenario, each numeric one with a
  difference (``<metric>_diff``) and a percent change (``<metric>_pct_change``) against the first;
- ``runs.parquet`` and ``summary.parquet`` of a sweep (their grid columns are scenario key paths,
  described by :data:`PARAMETERS`) and ``sensitivity.csv`` of a sensitivity analysis.

Units are concrete: "per period" is spelled with the period's length, derived from
``meta.periods_per_year`` ("dollars per quarter" for 4, "dollars per year" for 1).

A column without an entry in :mod:`marketsim.sim.columns` is an error (:class:`UnknownColumnError`), so a new column cannot be
added to a table without saying what it is. This module imports nothing from
:mod:`marketsim.experiments` (those modules import it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from marketsim.config.keypaths import without_indices
from marketsim.sim.columns import (FIRM_COLUMNS, FIRMS, MODEL, MODEL_COLUMNS, PARAMETERS, SENSITIVITY,
                                   STATICS_POINTS, SUMMARY, SWEEP, TEXT_UNIT, Column, UnknownColumnError)

__all__ = [
    "COLUMNS_FILE",
    "Column",
    "DIFF_SUFFIX",
    "FIRMS",
    "FIRM_COLUMNS",
    "MODEL",
    "MODEL_COLUMNS",
    "PARAMETERS",
    "PCT_SUFFIX",
    "SENSITIVITY",
    "SUMMARY",
    "SWEEP",
    "TABLES",
    "UNKNOWN",
    "UnknownColumnError",
    "columns_table",
    "describe",
    "has_percent_change",
    "period_name",
    "write_columns",
]

#: File name of the column dictionary in an output folder.
COLUMNS_FILE = "columns.csv"
_HEADER = ["table", "column", "unit", "description"]
#: Suffixes of comparison.csv's derived columns (difference / percent change against the first row).
DIFF_SUFFIX = "_diff"
PCT_SUFFIX = "_pct_change"

# --- tables by file name ---------------------------------------------------------------------------

#: File name -> the dictionaries its columns are looked up in, first match wins.
TABLES: dict[str, tuple[Mapping[str, Column], ...]] = {
    "model.csv": (MODEL,),
    "firms.csv": (FIRMS,),
    "summary.json": (SUMMARY,),
    "comparison.csv": (SUMMARY,),
    "runs.parquet": (SWEEP, MODEL),
    "summary.parquet": (SWEEP, SUMMARY),
    "sensitivity.csv": (SENSITIVITY,),
    "statics_points.csv": (STATICS_POINTS,),
}
# Tables whose columns may be scenario key paths (sweep grid values).
_WITH_PARAMETERS = {"runs.parquet", "summary.parquet"}
# Tables with <metric>_diff / <metric>_pct_change columns.
_WITH_CHANGES = {"comparison.csv"}

_PERIOD_NAMES = {1: ("year", "years"), 2: ("half-year", "half-years"), 4: ("quarter", "quarters"),
                 12: ("month", "months"), 26: ("fortnight", "fortnights"), 52: ("week", "weeks")}


def period_name(periods_per_year: int | None, plural: bool = False) -> str:
    """The length of one period in words: 4 -> "quarter", 1 -> "year", 6 -> "period of 1/6 year".

    None (the length differs between runs of a sweep) names the scenario key instead.
    """
    if periods_per_year is None:
        return f"period{'s' if plural else ''} (1/meta.periods_per_year year each; varies by run)"
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int) or periods_per_year < 1:
        raise ValueError(f"periods_per_year = {periods_per_year!r}: must be an integer >= 1")
    if periods_per_year in _PERIOD_NAMES:
        return _PERIOD_NAMES[periods_per_year][plural]
    return f"period{'s' if plural else ''} of 1/{periods_per_year} year"


def _fill(text: str, periods_per_year: int | None) -> str:
    return text.format(period=period_name(periods_per_year), periods=period_name(periods_per_year, True),
                       per_year="meta.periods_per_year" if periods_per_year is None else periods_per_year)


def _lookup(table: str, column: str) -> Column | None:
    """The entry of ``column`` in ``table`` (derived and parameter columns included), or None."""
    for dictionary in TABLES[table]:
        if column in dictionary:
            return dictionary[column]
    if table in _WITH_PARAMETERS and ("." in column or "[" in column):
        return PARAMETERS.get(without_indices(column))
    if table in _WITH_CHANGES:
        for suffix in (DIFF_SUFFIX, PCT_SUFFIX):
            base = _lookup(table, column.removesuffix(suffix)) if column.endswith(suffix) else None
            if base is not None and (suffix == DIFF_SUFFIX or base.ratio_scale) and base.unit != TEXT_UNIT:
                return _change_column(column.removesuffix(suffix), base, suffix)
    return None


def _change_column(metric: str, base: Column, suffix: str) -> Column:
    if suffix == DIFF_SUFFIX:
        return Column(base.diff_unit or base.unit, f"{metric} minus its value in the first scenario; "
                      f"empty for the first scenario and where either value is empty.", ratio_scale=False)
    return Column("percent", f"Percent change of {metric} against the first scenario: 100 x ({metric} - "
                  f"first) / first; empty for the first scenario and where the first value is 0 or empty.",
                  ratio_scale=False)


def has_percent_change(metric: str) -> bool:
    """Whether comparison.csv gets ``<metric>_pct_change`` (False for calendar years and text)."""
    base = _lookup("comparison.csv", metric)
    return base is not None and base.ratio_scale


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise UnknownColumnError(f"table {table!r} is not described in marketsim.sim.tables: allowed "
                                 f"{', '.join(TABLES)}")


def describe(table: str, column: str, periods_per_year: int | None) -> tuple[str, str]:
    """(unit, description) of ``column`` of ``table`` (a file name such as "model.csv").

    Args:
        table: a key of :data:`TABLES`.
        column: the column name; in sweep tables also a scenario key path, in comparison.csv also
            ``<metric>_diff`` and ``<metric>_pct_change``.
        periods_per_year: ``meta.periods_per_year`` of the run(s), which fixes "per period"
            (None: it varies between the runs of a sweep).

    Raises:
        UnknownColumnError: the table or the column has no entry.
    """
    _check_table(table)
    entry = _lookup(table, column)
    if entry is None:
        raise UnknownColumnError(f"{table}: column {column!r} has no entry in marketsim.sim.tables; add its "
                                 f"unit and meaning in marketsim.sim.columns")
    return _fill(entry.unit, periods_per_year), _fill(entry.description, periods_per_year)


#: Unit and description written for a column marketsim does not know (``strict=False`` only).
UNKNOWN = ("unknown", "Not described by marketsim (written by a custom run function).")


def columns_table(
    tables: Mapping[str, Sequence[str]], periods_per_year: int | None, strict: bool = True
) -> pd.DataFrame:
    """The dictionary of ``tables`` as a DataFrame with columns table, column, unit, description.

    Args:
        tables: file name -> its column names, in order (e.g. ``{"model.csv": df.columns}``).
        periods_per_year: as for :func:`describe`.
        strict: an unknown column is an error; False describes it as :data:`UNKNOWN` (for tables
            from user-supplied run functions, whose columns marketsim cannot know).

    Raises:
        UnknownColumnError: an unknown table, or (``strict``) unknown columns, all named at once.
    """
    rows, unknown = [], []
    for table, columns in tables.items():
        _check_table(table)
        for column in columns:
            column = str(column)
            try:
                unit, description = describe(table, column, periods_per_year)
            except UnknownColumnError:
                unknown.append(f"{table}: {column}")
                unit, description = UNKNOWN
            rows.append({"table": table, "column": column, "unit": unit, "description": description})
    if unknown and strict:
        raise UnknownColumnError(f"columns without an entry in marketsim.sim.tables (add their unit and "
                                 f"meaning in marketsim.sim.columns): {'; '.join(unknown)}")
    return pd.DataFrame(rows, columns=_HEADER)


def _other_tables(path: Path, tables: Mapping[str, Sequence[str]]) -> pd.DataFrame | None:
    """Rows of an existing ``columns.csv`` that describe tables other than ``tables`` (None if none)."""
    try:
        existing = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError):
        return None  # absent, empty or not ours: written afresh
    if list(existing.columns) != _HEADER:
        return None
    kept = existing[~existing["table"].isin(list(tables))]
    return kept if len(kept) else None


def write_columns(
    folder: Path | str, tables: Mapping[str, Sequence[str]], periods_per_year: int | None,
    strict: bool = True,
) -> Path:
    """Write ``columns.csv`` describing ``tables`` into an existing ``folder``; return its path.

    Rows that an existing ``columns.csv`` in ``folder`` holds for other tables are kept (before
    the new ones), so a folder whose tables are written at different times (a sweep, then its
    sensitivity analysis) can call this once per step; rows of the tables given are replaced.
    The file is written to a temporary name and renamed, so a reader (or a resumed sweep) never
    sees half of it. Arguments and errors as for :func:`columns_table` (raised before writing).
    """
    path = Path(folder) / COLUMNS_FILE
    table = columns_table(tables, periods_per_year, strict)
    kept = _other_tables(path, tables)
    if kept is not None:
        table = pd.concat([kept, table], ignore_index=True)
    tmp = path.with_name(f".{COLUMNS_FILE}.tmp-{secrets.token_hex(4)}")
    try:
        table.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path

