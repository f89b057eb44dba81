"""The table of calibration and backtest targets (``data/targets.toml``, package data) and its loader.

One row per target: a growth factor per year over a window of the frontier record, a level at a named
model, or the range of a quantity over a window (all measured on Epoch AI's record,
:mod:`.frontier`), or a figure of :data:`.record.RECORD` (adoption, revenue, first run), whose value
and interval are read from record.py rather than repeated in the file. Every row says how its band
is set, its source and whether the calibration is tuned to it (``used_for_tuning``).

:func:`load_targets` reads and validates the file (a :class:`TargetsError` names the file, the row
and the field); :func:`measure_target` recomputes a record row's value and band from the record, so a
test can check the file against the data.

Units: each row's ``unit`` (growth factors in x/yr, compute in FLOP, money in USD, years decimal).
"""

from __future__ import annotations

import math
import statistics
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import pandas as pd

from marketsim.experiments.validation.frontier import QUANTITIES, named_level, record_growth, window_rows
from marketsim.experiments.validation.record import RECORD, WAU_2023, WAU_2025, adoption_target

__all__ = [
    "TARGETS_FILE", "LEVEL_FACTOR", "STATISTICS", "TargetRow", "TargetsError", "load_targets",
    "measure_target",
]

#: The table's file name inside this package's ``data`` folder.
TARGETS_FILE: Final = "targets.toml"
#: Band of a level at a named model: value / LEVEL_FACTOR to value x LEVEL_FACTOR (assumption: the
#: x/2-2x of record.py's cost levels, COT24's two cost methods differ ~2x).
LEVEL_FACTOR: Final = 2.0
STATISTICS: Final = ("growth", "level", "range")
#: Adoption rows of RECORD are shares of a scenario's population; the table holds them as users per
#: week (the population is the scenario's): RECORD key -> weekly active users.
_ADOPTION_USERS: Final[dict[str, float]] = {"adoption_2023": WAU_2023, "adoption_2025": WAU_2025}

_REQUIRED: Final = ("key", "description", "statistic", "unit", "band", "source", "used_for_tuning")
_OPTIONAL: Final = ("quantity", "window", "dense_only", "model", "value", "low", "high", "record_key")


class TargetsError(ValueError):
    """A malformed targets file; the message names the file, the row (1-based) and the field."""


@dataclass(frozen=True)
class TargetRow:
    """One target of the table.

    Attributes:
        key: identifier, unique in the table.
        description: what is compared.
        statistic: 'growth' (factor per year over ``window``), 'level' (at ``model``, or a RECORD
            figure) or 'range' (median, and lowest to highest, over ``window``).
        value: the record's value; low, high: the band a simulated value must fall in (None = open).
        unit: unit of value, low and high.
        band: how the band is set.
        source: where the figure comes from.
        used_for_tuning: whether the calibration is fitted to it (False = held out, a test).
        quantity: the record's column (None for a RECORD figure); window: (first, last) calendar
            year, inclusive; dense_only: mixture-of-experts models left out; model: the named model.
        record_key: the :data:`.record.RECORD` key the value and band are read from (None otherwise).
    """

    key: str
    description: str
    statistic: str
    value: float
    low: float | None
    high: float | None
    unit: str
    band: str
    source: str
    used_for_tuning: bool
    quantity: str | None = None
    window: tuple[int, int] | None = None
    dense_only: bool = False
    model: str | None = None
    record_key: str | None = None

    def contains(self, x: float | None) -> bool | None:
        """Whether ``x`` lies in [low, high] (None when x is undefined)."""
        if x is None or not math.isfinite(x):
            return None
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)


def _default_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("data", TARGETS_FILE)))


def load_targets(path: str | Path | None = None) -> tuple[TargetRow, ...]:
    """The targets of ``path`` (default: the packaged ``data/targets.toml``), validated.

    Raises:
        TargetsError: unreadable TOML, an unknown or missing field, a value of the wrong type or out of
            its allowed set, a band that does not contain the value, or a repeated key.
    """
    file = Path(path) if path is not None else _default_path()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise TargetsError(f"{file}: cannot read the targets table: {err}") from None
    extra = sorted(set(data) - {"target"})
    if extra:
        raise TargetsError(f"{file}: unknown top-level key(s) {', '.join(extra)}; allowed: [[target]] rows")
    rows = data.get("target")
    if not isinstance(rows, list) or not rows:
        raise TargetsError(f"{file}: no [[target]] rows")
    targets: list[TargetRow] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, 1):
        target = _row(raw, _Where(file, number, raw.get("key") if isinstance(raw, dict) else None))
        if target.key in seen:
            raise TargetsError(f"{file}: row {number}: field 'key': {target.key!r} is repeated")
        seen.add(target.key)
        targets.append(target)
    return tuple(targets)


@dataclass(frozen=True)
class _Where:
    file: Path
    row: int
    key: Any

    def error(self, field: str, problem: str) -> TargetsError:
        name = f" (key {self.key!r})" if isinstance(self.key, str) else ""
        return TargetsError(f"{self.file}: row {self.row}{name}: field '{field}': {problem}")


def _text(raw: dict[str, Any], field: str, where: _Where) -> str:
    value = raw[field]
    if not isinstance(value, str) or not value.strip():
        raise where.error(field, f"must be a non-empty string, got {value!r}")
    return value


def _number(raw: dict[str, Any], field: str, where: _Where) -> float | None:
    if field not in raw:
        return None
    value = raw[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise where.error(field, f"must be a finite number, got {value!r}")
    return float(value)


def _row(raw: Any, where: _Where) -> TargetRow:
    if not isinstance(raw, dict):
        raise where.error("target", "must be a table")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise where.error(unknown[0], f"unknown field; allowed: {', '.join(_REQUIRED + _OPTIONAL)}")
    for field in _REQUIRED:
        if field not in raw:
            raise where.error(field, "missing (required)")
    texts = {f: _text(raw, f, where) for f in ("key", "description", "unit", "band", "source")}
    statistic = raw["statistic"]
    if statistic not in STATISTICS:
        raise where.error("statistic", f"{statistic!r} is not one of {', '.join(STATISTICS)}")
    if not isinstance(raw["used_for_tuning"], bool):
        raise where.error("used_for_tuning", f"must be true or false, got {raw['used_for_tuning']!r}")
    if "record_key" in raw:
        return _record_row(raw, texts, statistic, where)
    return _data_row(raw, texts, statistic, where)


def _record_row(raw: dict[str, Any], texts: dict[str, str], statistic: str, where: _Where) -> TargetRow:
    """A row whose value and band are RECORD's (adoption as weekly users, x/1.5-1.5x)."""
    key = raw["record_key"]
    if key not in RECORD:
        raise where.error("record_key", f"{key!r} is not a key of record.py's RECORD ({', '.join(RECORD)})")
    for field in ("value", "low", "high", "quantity", "window", "model", "dense_only"):
        if field in raw:
            raise where.error(field, "not allowed with record_key (the figure is record.py's)")
    base = adoption_target(key, _ADOPTION_USERS[key], 1.0) if key in _ADOPTION_USERS else RECORD[key]
    return TargetRow(texts["key"], texts["description"], statistic, base.value, base.low, base.high,
                     texts["unit"], texts["band"], texts["source"], raw["used_for_tuning"], record_key=key)


def _data_row(raw: dict[str, Any], texts: dict[str, str], statistic: str, where: _Where) -> TargetRow:
    """A row measured on the frontier record: quantity, window or model, and the numbers."""
    for field in ("quantity", "value", "low", "high"):
        if field not in raw:
            raise where.error(field, f"missing (required for a {statistic} of the record)")
    quantity = raw["quantity"]
    if quantity not in QUANTITIES:
        raise where.error("quantity", f"{quantity!r} is not one of {', '.join(QUANTITIES)}")
    value, low, high = (_number(raw, f, where) for f in ("value", "low", "high"))
    assert value is not None and low is not None and high is not None
    if not low <= value <= high:
        raise where.error("value", f"{value} is outside its band [{low}, {high}]")
    dense_only = raw.get("dense_only", False)
    if not isinstance(dense_only, bool):
        raise where.error("dense_only", f"must be true or false, got {dense_only!r}")
    window, model = None, None
    if statistic == "level":
        if "model" not in raw:
            raise where.error("model", "missing (a level is read at a named model)")
        model = _text(raw, "model", where)
        if "window" in raw:
            raise where.error("window", "not allowed for a level (it is read at a named model)")
    else:
        if "model" in raw:
            raise where.error("model", f"not allowed for a {statistic} (it is measured over a window)")
        window = _window(raw.get("window"), where)
    return TargetRow(texts["key"], texts["description"], statistic, value, low, high, texts["unit"],
                     texts["band"], texts["source"], raw["used_for_tuning"], quantity=quantity,
                     window=window, dense_only=dense_only, model=model)


def _window(value: Any, where: _Where) -> tuple[int, int]:
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(y, int) and not isinstance(y, bool) for y in value) and value[0] <= value[1])
    if not ok:
        raise where.error("window", f"must be [first, last] calendar years with first <= last, got {value!r}")
    return int(value[0]), int(value[1])


def measure_target(target: TargetRow, record: pd.DataFrame) -> tuple[float, float | None, float | None]:
    """(value, low, high) of a record row measured on ``record`` (:func:`.frontier.load_record`).

    growth: the factor and its bootstrap 90% interval (:func:`.frontier.record_growth`, defaults);
    level: the named model's value, band x/:data:`LEVEL_FACTOR`; range: the median, lowest and highest
    value over the window (blank values left out). A RECORD row returns its own numbers.
    """
    if target.record_key is not None:
        return target.value, target.low, target.high
    assert target.quantity is not None
    if target.statistic == "growth":
        assert target.window is not None
        fit = record_growth(record, target.quantity, *target.window, dense_only=target.dense_only)
        return fit.factor, fit.low, fit.high
    if target.statistic == "level":
        assert target.model is not None
        value = named_level(record, target.model, target.quantity)
        if value is None:
            raise ValueError(f"target {target.key}: the record has no {target.quantity} for {target.model!r}")
        return value, value / LEVEL_FACTOR, value * LEVEL_FACTOR
    assert target.window is not None
    rows = window_rows(record, *target.window, dense_only=target.dense_only)
    values = [float(v) for v in rows[target.quantity] if math.isfinite(v)]
    if not values:
        raise ValueError(f"target {target.key}: no {target.quantity} in {target.window}")
    return statistics.median(values), min(values), max(values)
