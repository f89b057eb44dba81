"""Runs of the playground: whole runs of a scenario as ``marketsim run`` computes them, cached.

A run is a pure function of its scenario (the seed is ``meta.seed``), so a small cache shares
runs between browser sessions (a second tab with the same settings opens at once). The cache
holds results only, never anything a session changes.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import mesa
import pandas as pd

from marketsim.config import Scenario, scenario_from_dict
from marketsim.experiments.outputs import write_table
from marketsim.sim.model import MODEL_COLUMNS, MarketModel
from marketsim.sim.tables import columns_table, period_name
from marketsim.viz.playground.controls import year_range
from marketsim.viz.ticks import human_number

__all__ = [
    "COMPARE_STALL_AFTER_YEARS",
    "CACHE_SIZE",
    "ResultCache",
    "Cancelled",
    "PlaygroundRun",
    "scenario_key",
    "compute_run",
    "is_cached",
    "stall_counterpart",
    "compare_label",
    "compare_runs",
    "shown_tables",
    "year_shown",
    "table_csv",
    "columns_csv",
    "headline_values",
]

#: Years after the start at which the compare view stalls hardware when the current settings
#: have no stall. Assumption: as the bundled hardware_stall scenario (2030 for a 2025 start).
COMPARE_STALL_AFTER_YEARS = 5
#: Runs and drawn figure sets kept in the cache shared by sessions (each is ~1 MB at most).
CACHE_SIZE = 8

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ResultCache(Generic[K, V]):
    """A small thread-safe least-recently-used cache of immutable results shared by sessions."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Cancelled(Exception):
    """A computation stopped because its result is no longer wanted (the settings changed)."""


@dataclass(frozen=True)
class PlaygroundRun:
    """A whole run of a scenario, as ``marketsim run`` computes it.

    Shared between sessions through the cache: read it, never modify it.

    Attributes:
        scenario: the resolved scenario (``meta.seed`` is the seed used).
        model: model.csv (one row per period).
        firms: firms.csv (one row per firm per period).
        start: the model.csv values before the first period (the headline at period 0).
    """

    scenario: Scenario
    model: pd.DataFrame
    firms: pd.DataFrame
    start: Mapping[str, float]

    @property
    def periods(self) -> int:
        """Periods computed: the scenario's horizon, or fewer when every firm left the market."""
        return len(self.model)

    @property
    def key(self) -> str:
        return scenario_key(self.scenario)


def scenario_key(scenario: Scenario) -> str:
    """The cache key of ``scenario``: its whole validated content (equal scenarios, equal runs)."""
    return scenario.model_dump_json()


# Shared by every session of this server: runs are pure results of their scenario, never changed.
_RUNS: ResultCache[str, PlaygroundRun] = ResultCache(CACHE_SIZE)


def is_cached(scenario: Scenario) -> bool:
    """True when the run of ``scenario`` is in the cache (so it shows at once)."""
    return _RUNS.get(scenario_key(scenario)) is not None


def compute_run(scenario: Scenario, should_stop: Callable[[], bool] | None = None) -> PlaygroundRun:
    """The whole run of ``scenario`` with its ``meta.seed``: the tables ``marketsim run`` writes.

    Args:
        scenario: a validated scenario.
        should_stop: polled once per period; True abandons the run (raises :class:`Cancelled`).
    """
    key = scenario_key(scenario)
    cached = _RUNS.get(key)
    if cached is not None:
        return cached
    model = MarketModel(scenario, seed=scenario.meta.seed)
    start = {column: float(getattr(model.stats, column)) for column in MODEL_COLUMNS}  # before period 1

    def check(done: int, total: int, year: float) -> None:
        if should_stop is not None and should_stop():
            raise Cancelled(f"run of {scenario.meta.name} stopped at period {done} of {total}")

    try:
        model.run(progress=check)
        run = PlaygroundRun(scenario, model.model_table(), model.firm_table(), start)
    finally:
        # Mesa 3.3.1 keeps every model in a class-level dict of agent ids (mesa issue #3179); a
        # page that recomputes on every slider move would otherwise grow without bound.
        model.remove_all_agents()
        mesa.Agent._ids.pop(model, None)
    return _RUNS.put(key, run)


def stall_counterpart(scenario: Scenario) -> Scenario:
    """``scenario`` with its hardware stall toggled: removed when it has one, else added
    :data:`COMPARE_STALL_AFTER_YEARS` after the start (clipped to the run's last year)."""
    data = scenario.model_dump(mode="python")
    if scenario.hardware.stall_year is not None:
        data["hardware"]["stall_year"] = None
    else:
        first, last = year_range(scenario)
        data["hardware"]["stall_year"] = min(first + COMPARE_STALL_AFTER_YEARS, last)
    return scenario_from_dict(data, source=f"playground ({scenario.meta.name}, stall toggled)")


def compare_label(scenario: Scenario) -> str:
    """The compare view's name for a run: "no stall" or "stall after YEAR"."""
    stall = scenario.hardware.stall_year
    return "no stall" if stall is None else f"stall after {stall}"


def shown_tables(run: PlaygroundRun, period: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(model.csv, firms.csv) of the first ``period`` periods: what the page shows at ``period``."""
    return (run.model[run.model["step"] < period].reset_index(drop=True),
            run.firms[run.firms["step"] < period].reset_index(drop=True))


def table_csv(table: pd.DataFrame) -> str:
    """``table`` as CSV text, byte for byte as ``marketsim run`` writes its tables."""
    buffer = io.StringIO()
    write_table(table, buffer)  # type: ignore[arg-type]  # pandas' to_csv: a path or a buffer
    return buffer.getvalue()


def columns_csv(run: PlaygroundRun) -> str:
    """columns.csv for the downloads: unit and meaning of every column of model.csv and firms.csv."""
    table = columns_table({"model.csv": list(run.model.columns), "firms.csv": list(run.firms.columns)},
                          run.scenario.meta.periods_per_year, strict=False)
    return table.to_csv(index=False, lineterminator="\n")


def compare_runs(run: PlaygroundRun, twin: PlaygroundRun) -> list[PlaygroundRun]:
    """The run and its stall counterpart, the one without a stall first."""
    return sorted((run, twin), key=lambda r: r.scenario.hardware.stall_year is not None)


def year_shown(run: PlaygroundRun, period: int) -> float | None:
    """The calendar year of the last period shown (None at period 0: no data yet)."""
    return None if period <= 0 or run.periods == 0 else float(run.model["year"].iloc[min(period, run.periods) - 1])


def _values_at(run: PlaygroundRun, period: int) -> Mapping[str, Any]:
    """model.csv values at the end of ``period`` (the start values at period 0)."""
    if period <= 0 or run.periods == 0:
        return run.start
    return run.model.iloc[min(period, run.periods) - 1]


def headline_values(run: PlaygroundRun, period: int) -> dict[str, str]:
    """The headline's numbers at ``period``: calendar year (the period's start), E (FLOP per
    dollar), data stock (effective tokens), adopters (people, and share of the population), mean
    price paid (dollars per adopter per period; firms set it, so it is a result), firms in the
    market, HHI (0-1), largest model on sale (parameters N) and training spend (dollars over the
    last year)."""
    row = _values_at(run, period)
    per = period_name(run.scenario.meta.periods_per_year)
    return {
        "Year": f"{float(row['year']):.2f}",
        "E (FLOP/$)": f"{float(row['E']):.3g}",
        "Data stock (effective tokens)": f"{float(row['data_stock']):.3g}",
        "Adopters": f"{human_number(float(row['adopters']))} ({100 * float(row['adoption_share']):.1f}%)",
        f"Mean price ($/adopter/{per})": f"{float(row['mean_price']):.2f}",
        "Firms in market": f"{float(row['firms_alive']):.0f}",
        "HHI": f"{float(row['hhi']):.3f}",
        "Largest N": human_number(float(row["largest_N"])),
        "Training spend/yr": human_number(float(row["training_spend_annual"]), "$"),
    }

