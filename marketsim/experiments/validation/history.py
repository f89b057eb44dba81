"""The historical scenario against the record: frontier runs, their metrics and the verdict rows.

:func:`validate_history` runs ``scenarios/historical.toml`` (2016-2025) and sets the simulated
frontier training runs (:func:`frontier_runs`, :func:`history_metrics`) against
:data:`~marketsim.experiments.validation.record.RECORD`. Each row says whether the simulated value
is inside the published interval and whether it was tuned to it ("calibrated") or is a test.

Units: years are calendar years; money in US dollars; compute in FLOP; growth as a factor per year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketsim.config import Scenario, load_scenario, resolve_scenario_path
from marketsim.economics.trends import growth_per_year
from marketsim.experiments.run import json_safe, run_scenario
from marketsim.experiments.validation.record import (GPT4_YEAR, GPT45_YEAR, HISTORICAL_SCENARIO, ONE_LAB_SCENARIO, RECORD, WAU_2023,
                                                     WAU_2025, Target, adoption_target)
from marketsim.sim.world import World

__all__ = [
    "frontier_runs", "history_metrics", "HistoryRow", "HistoryReport", "compare_with_record", "load_historical", "load_one_lab",
    "validate_history", "mean_population",
]


def frontier_runs(model_df: pd.DataFrame, firms_df: pd.DataFrame) -> pd.DataFrame:
    """One row per period in which training started: the largest run of that period.

    Columns: ``step``, ``year`` (calendar year the run started), ``firm``, ``cost`` (dollars),
    ``E`` (FLOP per dollar then), ``compute`` (FLOP = cost x E), ``N`` (parameters) and ``D``
    (tokens) of the model once released (NaN if not released by the end), ``tokens_per_param``.
    """
    started = firms_df[firms_df["training_cost"] > 0]
    columns = ["step", "year", "firm", "cost", "E", "compute", "N", "D", "tokens_per_param"]
    if started.empty:
        return pd.DataFrame(columns=columns)
    largest = started.loc[started.groupby("step")["training_cost"].idxmax()]
    E = model_df.set_index("step")["E"]
    rows = []
    for row in largest.itertuples():
        N, D = _released_model(firms_df, row.firm, row.step)
        rows.append({"step": int(row.step), "year": float(row.year), "firm": row.firm, "cost": float(row.training_cost),
                     "E": float(E.loc[row.step]), "compute": float(row.training_cost * E.loc[row.step]),
                     "N": N, "D": D, "tokens_per_param": D / N if N > 0 else float("nan")})
    return pd.DataFrame(rows, columns=columns)


def _released_model(firms_df: pd.DataFrame, firm: str, start_step: int) -> tuple[float, float]:
    """(N, D) of the model ``firm`` started at ``start_step``: the first change of its deployed model."""
    own = firms_df[firms_df["firm"] == firm].set_index("step")
    before = own.loc[start_step - 1, ["N", "D"]].to_numpy(dtype=float) if start_step - 1 in own.index else None
    for step in own.index[own.index >= start_step]:
        now = own.loc[step, ["N", "D"]].to_numpy(dtype=float)
        if now[0] > 0 and (before is None or not np.array_equal(now, before)):
            return float(now[0]), float(now[1])
    return float("nan"), float("nan")


def _at_year(runs: pd.DataFrame, column: str, year: float) -> float | None:
    """``column`` of the frontier runs at ``year``, interpolated in logs between the runs around it.

    Interpolating makes the value independent of the quarter in which the firm's yearly cycle
    happens to start (None when no runs bracket ``year``).
    """
    t, v = runs["year"].to_numpy(float), runs[column].to_numpy(float)
    keep = np.isfinite(v) & (v > 0)
    order = np.argsort(t[keep])
    t, v = t[keep][order], v[keep][order]
    if len(t) == 0 or not t[0] <= year <= t[-1]:
        return None
    return float(np.exp(np.interp(year, t, np.log(v))))


def _mean_share(model_df: pd.DataFrame, year: int) -> float | None:
    rows = model_df[(model_df["year"] >= year) & (model_df["year"] < year + 1)]
    return None if rows.empty else float(rows["adoption_share"].mean())


def history_metrics(model_df: pd.DataFrame, firms_df: pd.DataFrame, runs: pd.DataFrame | None = None) -> dict[str, float | None]:
    """The simulated counterpart of every :data:`RECORD` entry (None when undefined).

    Growth rates are fitted over all frontier runs (:func:`frontier_runs`) with
    :func:`marketsim.economics.trends.growth_per_year`; costs and tokens per parameter at a given
    year are interpolated in logs between the runs around it; adoption is the mean share over the
    calendar year; revenue is the sum over 2024's periods (all firms).
    """
    runs = frontier_runs(model_df, firms_df) if runs is None else runs
    runs = runs.assign(tokens_per_param=runs["tokens_per_param"].astype(float))
    spend_growth, _ = growth_per_year(runs["year"].to_numpy(float), runs["cost"].to_numpy(float))
    compute_growth, _ = growth_per_year(runs["year"].to_numpy(float), runs["compute"].to_numpy(float))
    in_2024 = (firms_df["year"] >= 2024) & (firms_df["year"] < 2025)
    return {
        "spend_growth": spend_growth,
        "compute_growth": compute_growth,
        "cost_2022": _at_year(runs, "cost", GPT4_YEAR),
        "tokens_per_param_2022": _at_year(runs, "tokens_per_param", GPT4_YEAR),
        "first_run_year": None if runs.empty else float(runs["year"].min()),
        "cost_2024": _at_year(runs, "cost", GPT45_YEAR),
        "revenue_2024": float(firms_df.loc[in_2024, "revenue"].sum()) if in_2024.any() else None,
        "adoption_2023": _mean_share(model_df, 2023),
        "adoption_2025": _mean_share(model_df, 2025),
    }


@dataclass(frozen=True)
class HistoryRow:
    """One line of the validation table: the record, the simulated value and the verdict."""

    target: Target
    simulated: float | None
    note: str = ""

    @property
    def inside(self) -> bool | None:
        """Whether the simulated value is inside the published interval (None if undefined)."""
        return self.target.contains(self.simulated)

    @property
    def verdict(self) -> str:
        """'inside', 'OUTSIDE' or 'n/a', with '(calibrated)' when the scenario was tuned to it."""
        text = {True: "inside", False: "OUTSIDE", None: "n/a"}[self.inside]
        return f"{text} (calibrated)" if self.target.kind == "calibrated" else text


@dataclass
class HistoryReport:
    """The historical run and its comparison with the record.

    Attributes:
        scenario: the scenario that was run.
        seed: its seed.
        rows: one :class:`HistoryRow` per :data:`RECORD` entry.
        runs: the simulated frontier runs (:func:`frontier_runs`).
        model: model.csv table of the run.
        firms: firms.csv table of the run.
    """

    scenario: Scenario
    seed: int
    rows: list[HistoryRow]
    runs: pd.DataFrame
    model: pd.DataFrame = field(repr=False)
    firms: pd.DataFrame = field(repr=False)

    def row(self, key: str) -> HistoryRow:
        """The row for RECORD key ``key``."""
        for row in self.rows:
            if row.target.key == key:
                return row
        raise KeyError(f"no validation row {key!r}: allowed {', '.join(r.target.key for r in self.rows)}")

    def as_json(self) -> dict[str, Any]:
        """JSON-safe dict: scenario, seed, rows (record, interval, simulated, verdict) and runs."""
        rows = [{"key": r.target.key, "label": r.target.label, "kind": r.target.kind, "record": r.target.value,
                 "low": r.target.low, "high": r.target.high, "simulated": r.simulated, "inside": r.inside,
                 "verdict": r.verdict, "source": r.target.source, "detail": r.target.detail, "note": r.note}
                for r in self.rows]
        return json_safe({"scenario": self.scenario.meta.name, "seed": self.seed, "rows": rows,
                          "runs": self.runs.to_dict(orient="records")})


def _notes(scenario: Scenario, metrics: dict[str, float | None], runs: pd.DataFrame) -> dict[str, str]:
    """Plain-language explanations attached to rows whose value needs one."""
    notes = {}
    g = metrics["spend_growth"]
    if g is not None:
        notes["compute_growth"] = (f"= cost growth x hardware growth ({g:.2f} x {scenario.hardware.growth_per_year:g}); "
                                   "the record's 4-5x needs cost per FLOP falling ~2x/yr")
    first = metrics["first_run_year"]
    if first is not None and first >= 2017:
        notes["first_run_year"] = ("no model is profitable before adoption starts, and no lab here has a research budget "
                                   "(firms.research_budget; scenarios/historical.toml has three labs with them)")
    tpp = runs["tokens_per_param"].astype(float).dropna() if len(runs) else pd.Series(dtype=float)
    if len(tpp):
        T = scenario.consumers.tokens_per_adopter_per_period
        notes["tokens_per_param_2022"] = (f"{tpp.min():.3g}-{tpp.max():.3g} over the runs: serving {T:.3g} tokens per "
                                          "adopter per period makes smaller models on more tokens pay (SAR24); "
                                          "~20 is the training-only optimum")
    return notes


def compare_with_record(scenario: Scenario, model_df: pd.DataFrame, firms_df: pd.DataFrame) -> tuple[list[HistoryRow], pd.DataFrame]:
    """Rows of the validation table for a finished historical run, and its frontier runs."""
    runs = frontier_runs(model_df, firms_df)
    metrics = history_metrics(model_df, firms_df, runs)
    world = World.from_scenario(scenario)
    targets = dict(RECORD)
    for key, wau, year in (("adoption_2023", WAU_2023, 2023), ("adoption_2025", WAU_2025, 2025)):
        targets[key] = adoption_target(key, wau, mean_population(world, scenario, year))
    notes = _notes(scenario, metrics, runs)
    rows = [HistoryRow(target, metrics[key], notes.get(key, "")) for key, target in targets.items()]
    return rows, runs


def load_historical(overrides: Sequence[str] = ()) -> Scenario:
    """The bundled historical scenario (three labs, ``scenarios/historical.toml``) with ``key.path=value``
    overrides applied."""
    return load_scenario(resolve_scenario_path(HISTORICAL_SCENARIO), overrides)


def load_one_lab(overrides: Sequence[str] = ()) -> Scenario:
    """The bundled one-lab history (``scenarios/historical_one_lab.toml``: the world in which the
    baseline's demand is tuned) with ``key.path=value`` overrides applied."""
    return load_scenario(resolve_scenario_path(ONE_LAB_SCENARIO), overrides)


def validate_history(scenario: Scenario | None = None, seed: int | None = None) -> HistoryReport:
    """Run the historical scenario (default: the bundled one) and compare it with the record.

    Raises:
        ValueError: the scenario does not cover 2022-2025 (the years the record is read at).
    """
    scenario = load_historical() if scenario is None else scenario
    if scenario.meta.start_year > 2022 or scenario.end_year < 2026:
        raise ValueError(f"scenario {scenario.meta.name!r} covers {scenario.meta.start_year}-{scenario.end_year:g}: "
                         "validate-history needs meta.start_year <= 2022 and an end at or after 2026")
    result = run_scenario(scenario, seed=seed)
    rows, runs = compare_with_record(result.scenario, result.model, result.firms)
    return HistoryReport(scenario=result.scenario, seed=result.seed, rows=rows, runs=runs,
                         model=result.model, firms=result.firms)



def mean_population(world: World, scenario: Scenario, year: int) -> float:
    """Mean population (people) over the periods of calendar ``year``."""
    ppy = scenario.meta.periods_per_year
    return float(np.mean([world.at(year + k / ppy - scenario.meta.start_year).population for k in range(ppy)]))
