"""Validation against the published record: the historical scenario, the trend check, cost checks.

Three comparisons, each returning plain data that the CLI prints and the report writes:

- :func:`validate_history` runs ``scenarios/historical.toml`` (2016-2025) and sets the simulated
  frontier training runs against the published trends (COT24: cost 2.4x per year, 90% CI 2.0-2.9;
  EPTC24: compute 4-5x per year; GPT-4's ~$40M; HOF22: ~20 tokens per parameter) and a few
  cross-checks (revenue, later frontier costs, adoption). Each row says whether the simulated value
  is inside the published interval and whether it was tuned to it ("calibrated") or is a test.
- :func:`calibrate_history` re-tunes the historical scenario's demand (median threshold, sigma,
  price) to its calibration targets with a fast stand-in for the single profit-optimal firm
  (:func:`profit_optimal_path`), so the tuned numbers in the scenario file can be reproduced.
- :func:`cost_checks` recomputes the published cost figures with :mod:`marketsim.economics.costs`.

The trend check itself is pure economics (:mod:`marketsim.economics.trends`); the report
(:func:`write_validation_report`) gathers all of it into docs/validation.md with figures.

Units: years are calendar years; money in US dollars; compute in FLOP; growth as a factor per year.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from scipy import optimize as sopt

from marketsim.economics import optimize, threshold_market
from marketsim.economics.trends import OBSERVED_SPEND_CI, OBSERVED_SPEND_GROWTH, TrendTable, growth_per_year
from marketsim.experiments.run import json_safe, run_scenario
from marketsim.config.scenario import Scenario, load_scenario, resolve_scenario_path, scenario_from_dict
from marketsim.sim.world import World

__all__ = [
    "Target", "HistoryRow", "HistoryReport", "RECORD", "HISTORICAL_SCENARIO", "frontier_runs",
    "history_metrics", "compare_with_record", "validate_history", "load_historical", "profit_optimal_path",
    "Calibration", "CALIBRATION_TARGETS", "calibrate_history", "CostCheck", "cost_checks",
    "RECORD_FRONTIER_COSTS", "kappa_sweep", "kappa_sweep_row", "ValidationResults", "validation_results",
    "write_validation_report", "history_table_markdown",
    "cost_table_markdown", "trend_table_markdown",
]

HISTORICAL_SCENARIO: Final = "historical"

Kind = Literal["test", "calibrated", "cross-check"]


# --- the published record ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A published figure and the interval a simulated value must fall in to match it.

    Attributes:
        key: identifier (also the key of :func:`history_metrics`).
        label: what is compared, with its unit.
        value: the published central value.
        low, high: the interval (None = unbounded on that side).
        source: docs/calibration.md key of the figure.
        detail: what the figure is and, for intervals the source does not give, why this width.
        kind: 'test' (not tuned to), 'calibrated' (a tuning target) or 'cross-check' (a test on a
            weaker, secondary-source figure).
    """

    key: str
    label: str
    value: float
    low: float | None
    high: float | None
    source: str
    detail: str
    kind: Kind = "test"

    def contains(self, x: float | None) -> bool | None:
        """Whether ``x`` lies in [low, high] (None when x is undefined)."""
        if x is None or not math.isfinite(x):
            return None
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)


# ChatGPT weekly active users (docs/calibration.md §8, secondary sources), as yearly levels for the
# adoption targets: 2023 = 100M (Nov 2023, DevDay; 100M monthly users already in Jan 2023);
# 2025 = mean of the year's four figures 400M (Feb), 500M (Mar), 700M (Aug), 800M (Oct) = 600M.
WAU_2023: Final = 100e6
WAU_2025: Final = (400e6 + 500e6 + 700e6 + 800e6) / 4
#: Where the record's frontier costs sit in time: GPT-4 finished training in Aug 2022 (released Mar
#: 2023); GPT-4.5 and Grok-3 (released Feb 2025) trained in 2024. Mid-year is an assumption.
GPT4_YEAR: Final = 2022.5
GPT45_YEAR: Final = 2024.5
#: Years from training to release, to place released models at training time on the figure
#: (assumption: GPT-4 released Mar 2023 = 2023.2, trained around 2022.5).
RELEASE_LAG_YEARS: Final = 0.7

RECORD: Final[dict[str, Target]] = {t.key: t for t in [
    Target("spend_growth", "frontier training cost growth, x per year", OBSERVED_SPEND_GROWTH,
           *OBSERVED_SPEND_CI, "COT24", "amortised hardware + energy, frontier models 2016-2024; 90% CI"),
    Target("compute_growth", "frontier training compute growth, x per year", 4.5, 4.0, 5.0,
           "EPTC24", "4-5x per year, notable and frontier models"),
    Target("cost_2022", "frontier run cost in mid-2022 (GPT-4), $", 40.7e6, 40.7e6 / 2, 40.7e6 * 2,
           "COT24", "GPT-4 amortised 40.7M; interval x/2-2x, as COT24's methods differ ~2x (cloud 78.6M)",
           kind="calibrated"),
    Target("tokens_per_param_2022", "tokens per parameter of the frontier model, mid-2022", 20.0, 10.0, 40.0,
           "HOF22", "~20 compute-optimal; interval x/2-2x, assumption (BES24 derived 16-18)"),
    Target("first_run_year", "first year with a frontier training run", 2016.0, None, 2017.0,
           "COT24", "the frontier-model cost series starts in 2016"),
    Target("cost_2024", "frontier run cost in mid-2024 (GPT-4.5, Grok-3), $", math.sqrt(185e6 * 301e6),
           185e6 / 2, 301e6 * 2, "COT24", "updated repo: GPT-4.5 185M, Grok-3 301M; interval x/2-2x around the two",
           kind="cross-check"),
    Target("revenue_2024", "frontier lab revenue in 2024, $", 3.7e9, 3.7e9 / 2, 3.7e9 * 2,
           "docs/calibration.md §8 (sec.)", "OpenAI ~3.7e9 (press); interval x/2-2x, assumption", kind="cross-check"),
    Target("adoption_2023", "adoption share, mean over 2023", float("nan"), None, None,
           "docs/calibration.md §8 (sec.)", "ChatGPT 100M WAU (Nov 2023) / scenario population; x/1.5-1.5x",
           kind="calibrated"),
    Target("adoption_2025", "adoption share, mean over 2025", float("nan"), None, None,
           "docs/calibration.md §8 (sec.)", "ChatGPT 400-800M WAU in 2025, mean 600M / scenario population; x/1.5-1.5x",
           kind="calibrated"),
]}

#: Published amortised hardware + energy costs of frontier runs (COT24 repo model_costs.csv,
#: docs/calibration.md §6): (model, release year, dollars). Release years are public release dates
#: (assumption: not in docs/calibration.md), used only to place the points on the figure, shifted back by
#: :data:`RELEASE_LAG_YEARS` to when training ran.
RECORD_FRONTIER_COSTS: Final[tuple[tuple[str, float, float], ...]] = (
    ("GPT-4", 2023.2, 40.7e6),
    ("Gemini 1.0 Ultra", 2023.9, 28.3e6),
    ("GPT-4o", 2024.4, 36e6),
    ("Claude 3.5 Sonnet", 2024.5, 25e6),
    ("Llama 3.1-405B", 2024.6, 51e6),
    ("GPT-4.5", 2025.2, 185e6),
    ("Grok-3", 2025.1, 301e6),
)


def _adoption_target(key: str, wau: float, population: float) -> Target:
    """An adoption target as a share of the scenario's population, interval x/1.5-1.5x (assumption)."""
    base = RECORD[key]
    share = wau / population
    return Target(key, base.label, share, share / 1.5, share * 1.5, base.source, base.detail, base.kind)


# --- simulated frontier runs ---------------------------------------------------------------------


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
        notes["first_run_year"] = "no model is profitable before adoption starts; pre-market research spending is not modelled"
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
        targets[key] = _adoption_target(key, wau, _mean_population(world, scenario, year))
    notes = _notes(scenario, metrics, runs)
    rows = [HistoryRow(target, metrics[key], notes.get(key, "")) for key, target in targets.items()]
    return rows, runs


def load_historical(overrides: Sequence[str] = ()) -> Scenario:
    """The bundled historical scenario with ``key.path=value`` overrides applied."""
    return load_scenario(resolve_scenario_path(HISTORICAL_SCENARIO), overrides)


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


# --- calibration: a fast stand-in for the single profit-optimal firm ---------------------------------


def _market(scenario: Scenario, population: float, price: float, periods: int):
    """The whole market as the ABM's firm sees it (MarketModel.market_demand), dollars over ``periods``."""
    c = scenario.consumers
    return threshold_market(c.family, M=population, price=price * periods, kappa=c.value_exponent,
                            median=c.median_threshold, sigma=c.sigma, pareto_max=c.pareto_max_threshold,
                            pareto_k=c.pareto_k, loguniform_min=c.loguniform_min, loguniform_max=c.loguniform_max)


def profit_optimal_path(scenario: Scenario) -> pd.DataFrame:
    """The decisions of a single profit-optimal firm without simulating consumers.

    Mirrors the ABM's firm (agents/firm.py): each period it is due, it solves
    :func:`marketsim.economics.optimize` on the whole market over its horizon, pays the cost and
    releases after its lag; adoption is the expected share of thresholds above the deployed model's
    reducible loss. The firm's budget is not tracked (the historical scenario's credit never binds).
    Columns: ``step``, ``year``, ``training_cost`` (dollars), ``N``, ``D``, ``R`` (deployed model),
    ``adoption_share``.

    Raises:
        ValueError: the scenario does not have exactly one firm with strategy 'profit_optimal'.
    """
    if len(scenario.firms) != 1 or scenario.firms[0].strategy != "profit_optimal":
        raise ValueError(f"scenario {scenario.meta.name!r}: profit_optimal_path needs exactly one firm with "
                         "strategy 'profit_optimal'")
    firm, cons = scenario.firms[0], scenario.consumers
    world, law = World.from_scenario(scenario), scenario.scaling.law()
    H = firm.horizon_periods
    last_start, deployed, pending, rows = -firm.retrain_every_periods, None, None, []
    for step in range(1, scenario.n_periods + 1):
        state = world.at((step - 1) * scenario.period_years)
        cost = 0.0
        if pending is None and (deployed is None or step - last_start >= firm.retrain_every_periods):
            opt = optimize(law, _market(scenario, state.population, firm.price, H), state.E,
                           T=cons.tokens_per_adopter_per_period * H, c_D=scenario.data.cost_per_token,
                           D_bar=state.data_stock / state.rho_D, closure=scenario.scaling.closure, rho_D=state.rho_D)
            if opt.trains:
                lag = 0 if deployed is None and step <= 1 else firm.training_lag_periods
                pending, last_start, cost = (opt, step + lag), step, opt.training_cost
        if pending is not None and step >= pending[1]:
            deployed, pending = pending[0], None
        share = 0.0
        if deployed is not None:
            share = float(_market(scenario, 1.0, 1.0, 1).adopters(deployed.R))
        rows.append({"step": step - 1, "year": state.year, "training_cost": cost,
                     "N": deployed.N if deployed else 0.0, "D": deployed.D if deployed else 0.0,
                     "R": deployed.R if deployed else float("inf"), "adoption_share": share})
    return pd.DataFrame(rows)


#: Override key -> calibration target of the historical scenario's tuned numbers.
CALIBRATION_TARGETS: Final[dict[str, str]] = {
    "consumers.median_threshold": "adoption_2023",
    "consumers.sigma": "adoption_2025",
    "firms.0.price": "cost_2022",
}


@dataclass(frozen=True)
class Calibration:
    """Tuned values of the historical scenario's free demand parameters.

    Attributes:
        values: override key -> tuned value.
        targets: target key -> (wanted, achieved by the stand-in firm).
        converged: whether the search met its tolerance.
    """

    values: dict[str, float]
    targets: dict[str, tuple[float, float | None]]
    converged: bool

    @property
    def overrides(self) -> list[str]:
        """The tuned values as ``key.path=value`` overrides (4 significant digits)."""
        return [f"{key}={value:.4g}" for key, value in self.values.items()]


def _stand_in_metrics(scenario: Scenario) -> dict[str, float | None]:
    path = profit_optimal_path(scenario)
    firms = path.assign(firm="firm", revenue=0.0)
    model = path.assign(E=[World.from_scenario(scenario).at(y - scenario.meta.start_year).E for y in path["year"]])
    runs = frontier_runs(model, firms)
    return history_metrics(model, firms, runs)


def _wanted(scenario: Scenario) -> dict[str, float]:
    world = World.from_scenario(scenario)
    return {"adoption_2023": WAU_2023 / _mean_population(world, scenario, 2023),
            "adoption_2025": WAU_2025 / _mean_population(world, scenario, 2025),
            "cost_2022": RECORD["cost_2022"].value}


def _mean_population(world: World, scenario: Scenario, year: int) -> float:
    """Mean population (people) over the periods of calendar ``year``."""
    ppy = scenario.meta.periods_per_year
    return float(np.mean([world.at(year + k / ppy - scenario.meta.start_year).population for k in range(ppy)]))


def calibrate_history(scenario: Scenario | None = None, *, max_iter: int = 200, restarts: int = 3,
                      grid_points: int = 5, xatol: float = 1e-4, fatol: float = 1e-8) -> Calibration:
    """Tune median threshold, sigma and price so the stand-in firm hits the calibration targets.

    Targets (:data:`CALIBRATION_TARGETS`): mean adoption ~2% over 2023 and ~12% over 2025 (ChatGPT
    weekly users over the scenario's population) and $40.7M for the frontier run in mid-2022 (COT24
    GPT-4).
    Minimises the sum of squared log errors over the logs of the three values: the best point of a
    ``grid_points``^3 grid from half to twice the scenario's values (``grid_points=1``: start at the
    scenario's values), then Nelder-Mead with ``restarts`` restarts, stopping when the simplex is
    within ``xatol`` in the logs of the values (0.01 = about 1%) and ``fatol`` in the loss. A target
    that is not reached (no run, no adopters) costs a fixed penalty. Each evaluation runs the stand-in
    firm over the whole scenario (about 0.2 s), and a search takes tens to hundreds of them.
    """
    base = load_historical() if scenario is None else scenario
    data = base.model_dump(mode="python")
    wanted = _wanted(base)
    start = np.log([_get(base, key) for key in CALIBRATION_TARGETS])

    def candidate(x: np.ndarray) -> Scenario:
        overrides = [f"{key}={value!r}" for key, value in zip(CALIBRATION_TARGETS, np.exp(x).tolist())]
        return scenario_from_dict(data, source="calibration", overrides=overrides)

    def loss(x: np.ndarray) -> float:
        got = _stand_in_metrics(candidate(x))
        return sum(_log_error(got[key], want) for key, want in wanted.items())

    # The firm's discrete yearly cycle puts small steps into the objective, which trap a local search
    # started far away: begin at the best point of a coarse grid (x/2 to 2x around the start), and
    # restart Nelder-Mead from its own answer, which rebuilds the simplex.
    if grid_points > 1:
        offsets = np.log(2.0) * np.linspace(-1.0, 1.0, grid_points)
        grid = [start + np.array(step) for step in itertools.product(offsets, repeat=len(start))]
        start = min(grid, key=loss)
    options = dict(maxiter=max_iter, xatol=xatol, fatol=fatol)
    res = sopt.minimize(loss, start, method="Nelder-Mead", options=options)
    for _ in range(restarts):
        again = sopt.minimize(loss, res.x, method="Nelder-Mead", options=options)
        if again.fun >= res.fun - 1e-9:
            break
        res = again
    got = _stand_in_metrics(candidate(res.x))
    values = dict(zip(CALIBRATION_TARGETS, np.exp(res.x).tolist()))
    return Calibration(values=values, targets={k: (w, got[k]) for k, w in wanted.items()}, converged=bool(res.success))


def _get(scenario: Scenario, key: str) -> float:
    node: Any = scenario
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return float(node)


def _log_error(got: float | None, want: float) -> float:
    if got is None or not got > 0:
        return 100.0  # the target is not reached at all
    return float(np.log(got / want) ** 2)


# --- cost cross-checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CostCheck:
    """A published cost figure recomputed with :mod:`marketsim.economics.costs`.

    Attributes:
        name: what is computed, with its unit.
        published: the published figure.
        computed: our value.
        low, high: the interval ``computed`` must fall in (None = unbounded on that side).
        source: docs/calibration.md key of the figure, and why the interval is what it is.
    """

    name: str
    published: float
    computed: float
    low: float | None
    high: float | None
    source: str

    @property
    def ok(self) -> bool:
        """Whether the computed value is inside the interval."""
        return (self.low is None or self.computed >= self.low) and (self.high is None or self.computed <= self.high)


def _within(published: float, rel: float) -> tuple[float, float]:
    return published * (1 - rel), published * (1 + rel)


def cost_checks() -> list[CostCheck]:
    """Published per-GPU-hour, per-FLOP and serving-cost figures, recomputed (docs/calibration.md §3, §6, §11)."""
    from marketsim.economics import HARDWARE, flop_per_dollar_amortised, flop_per_dollar_cloud
    from marketsim.economics import costs

    a100, h100 = HARDWARE["A100"], HARDWARE["H100"]
    lohn_util = costs.LOHN_A100_SUSTAINED_FLOPS / a100.peak_flops
    on_demand = 1e8 * flop_per_dollar_cloud(a100, costs.A100_ON_DEMAND_USD_PER_HOUR, utilisation=lohn_util)
    reserved = 1e8 * flop_per_dollar_cloud(a100, costs.A100_RESERVED_3YR_USD_PER_HOUR, utilisation=lohn_util)
    amortised_a100 = flop_per_dollar_amortised(a100)
    gpt4_implied = 2e25 / 40.7e6  # GPT-4 compute ~2e25 FLOP (sec.) / COT24 amortised cost

    def cloud_over_amortised(usd_per_hour: float) -> float:
        return amortised_a100 / flop_per_dollar_cloud(a100, usd_per_hour)

    budgets = np.array([1e8, 1e9])
    slope = float(np.diff(np.log(costs.serving_cost_for_training_budget(budgets)))[0] / np.diff(np.log(budgets))[0])
    h100_per_hour = h100.amortised_cost_per_hour() + h100.energy_cost_per_hour()
    hw_growth = (flop_per_dollar_amortised(h100) / amortised_a100) ** (1 / 3)  # A100 2020 -> H100 2023
    return [
        CostCheck("FLOP bought by $100M of A100 on demand (32.77 $/h per 8, 163 TFLOP/s)", 1.43e25, on_demand,
                  *_within(1.43e25, 0.01), "LOH23 App. A; +/-1% (3 significant digits)"),
        CostCheck("FLOP bought by $100M of A100, 3-year reserved (11.57 $/h per 8)", 4.06e25, reserved,
                  *_within(4.06e25, 0.01), "LOH23 App. A; +/-1% (3 significant digits)"),
        CostCheck("Chinchilla-trend parameters for $100M on demand", 327e9,
                  float(costs.chinchilla_params(on_demand)), *_within(327e9, 0.10),
                  "LOH23 App. A (327B); +/-10%, as LOH23 fitted HOF22 Table 3 while we use 20 tokens/param"),
        CostCheck("Chinchilla-trend parameters for $100M reserved", 550e9,
                  float(costs.chinchilla_params(reserved)), *_within(550e9, 0.10), "LOH23 App. A (550B); +/-10%"),
        CostCheck("serving cost of a $100M model, $ per 1,000 tokens", 0.24,
                  float(costs.serving_cost_for_training_budget(1e8)), 0.12, 0.48,
                  "LOH23 Eq A5 (2.35e-5 sqrt(1e8) = 0.235); within a factor of 2 (issue 6)"),
        CostCheck("exponent of serving cost in training cost", 0.498, slope, 0.45, 0.55,
                  "LOH23 Eq A1 (0.498, rounded to 0.5); +/-0.05, assumption"),
        CostCheck("A100 amortised hardware + energy, FLOP per $", gpt4_implied, amortised_a100,
                  gpt4_implied / 1.5, gpt4_implied * 1.5,
                  "COT24 GPT-4 40.7M for ~2e25 FLOP (sec.) = 4.9e17; x/1.5-1.5x, assumption"),
        CostCheck("cloud / amortised cost, A100 at the 3-year price (1.45 $/h)", 78.6 / 40.7,
                  cloud_over_amortised(1.45), None, 78.6 / 40.7,
                  "COT24 GPT-4: cloud 78.6M / amortised 40.7M = 1.93; EPDB 3-yr price; must not exceed it"),
        CostCheck("cloud / amortised cost, A100 at the 1-year price (2.40 $/h)", 78.6 / 40.7,
                  cloud_over_amortised(2.40), 78.6 / 40.7, None,
                  "COT24 GPT-4 ratio 1.93; EPDB 1-yr price; must not fall below it"),
        CostCheck("H100 amortised hardware + energy, $ per GPU-hour", 1.99, h100_per_hour, None, 1.99,
                  "EPDB: cheapest H100 rental 1.99 $/h (Lambda, Jun 2023); owning must cost less"),
        CostCheck("H100 peak FLOP per $ at 2 $/h", 1.78e18, flop_per_dollar_cloud(h100, 2.0, utilisation=1.0),
                  *_within(1.78e18, 0.01), "docs/calibration.md §3 (derived); +/-1%"),
        CostCheck("price-performance growth, A100 (2020) to H100 (2023), x per year", 10**0.14, hw_growth,
                  2 ** (1 / 3.13), 2 ** (1 / 1.54),
                  "COT24 0.14 OOM/yr; interval: HOB22 ML GPUs' doubling time 95% CI 1.54-3.13 years"),
    ]


# --- sensitivity of the history to kappa ---------------------------------------------------------


def kappa_sweep(kappas: Sequence[float], scenario: Scenario | None = None, seed: int | None = None, *,
                grid_points: int = 3, restarts: int = 1) -> pd.DataFrame:
    """For each value exponent kappa: re-tune the demand (:func:`calibrate_history`), run, compare.

    kappa (``consumers.value_exponent``) is the one demand number the record does not pin, and it
    sets how fast spend grows once adoption takes off. The kappas are taken in increasing order,
    each tuning starting from the previous one's answer. One row per kappa: the tuned values, then
    the simulated ``spend_growth``, ``compute_growth``, ``cost_2022``, ``cost_2024``,
    ``revenue_2024``, ``adoption_2023``, ``adoption_2025``, ``first_run_year`` and
    ``spend_growth_inside`` (within COT24's 90% CI).
    """
    base = load_historical() if scenario is None else scenario
    rows, warm = [], []
    for kappa in sorted(kappas):
        with_kappa = scenario_from_dict(base.model_dump(mode="python"), source=f"kappa={kappa:g}",
                                        overrides=[f"consumers.value_exponent={float(kappa)!r}", *warm])
        tuned = calibrate_history(with_kappa, grid_points=grid_points, restarts=restarts)
        warm = tuned.overrides
        run = scenario_from_dict(with_kappa.model_dump(mode="python"), source="calibrated", overrides=tuned.overrides)
        rows.append(kappa_sweep_row(kappa, tuned.values, validate_history(run, seed=seed)))
    return pd.DataFrame(rows)


def kappa_sweep_row(kappa: float, values: dict[str, float], report: HistoryReport) -> dict[str, Any]:
    """One row of :func:`kappa_sweep`: kappa, the tuned ``values`` (by last key part) and the run's metrics."""
    metrics = {row.target.key: row.simulated for row in report.rows}
    return {"kappa": float(kappa), **{key.split(".")[-1]: v for key, v in values.items()}, **metrics,
            "spend_growth_inside": report.row("spend_growth").inside}


# --- the report: docs/validation.md and its figures ------------------------------------------------

#: Value exponents of the kappa sweep in the report: the scenario's 1.0, docs/theory.md §6's 2.5, between.
REPORT_KAPPAS: Final = (0.5, 1.0, 1.5, 2.0, 2.5)
REPORT_FIGURES: Final = ("history_costs.png", "history_adoption.png", "kappa_sweep.png", "trends.png")


def _money(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"${x / size:.3g}{suffix}"
    return f"${x:.3g}"


def _fmt(key: str, x: float | None) -> str:
    """A simulated or published value as the report shows it (money, growth factor, share, year)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if key.startswith(("cost", "revenue")):
        return _money(x)
    if key.endswith("growth"):
        return f"{x:.2f}x/yr"
    if key.startswith("adoption"):
        return f"{100 * x:.1f}%"
    if key == "first_run_year":
        return f"{x:.2f}"
    return f"{x:.3g}"


def _interval(key: str, target: Target) -> str:
    lo = "-" if target.low is None else _fmt(key, target.low)
    hi = "-" if target.high is None else _fmt(key, target.high)
    return f"{lo} to {hi}"


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    escape = lambda cell: str(cell).replace("|", "\\|")  # noqa: E731 - table cells only
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def history_table_markdown(report: HistoryReport) -> str:
    """The validate-history table as Markdown: quantity, record, interval, simulated, verdict, source, note."""
    rows = [(r.target.label, _fmt(r.target.key, r.target.value), _interval(r.target.key, r.target),
             _fmt(r.target.key, r.simulated), f"**{r.verdict}**", f"{r.target.source}: {r.target.detail}")
            for r in report.rows]
    return _md_table(["quantity", "record", "interval", "simulated", "verdict", "source"], rows)


def cost_table_markdown(checks: Sequence[CostCheck]) -> str:
    """The cost cross-checks as Markdown."""
    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.4g}"

    rows = [(c.name, num(c.published), num(c.computed), f"{num(c.low)} to {num(c.high)}",
             "**ok**" if c.ok else "**FAILS**", c.source) for c in checks]
    return _md_table(["quantity", "published", "computed", "allowed", "verdict", "source"], rows)


def trend_table_markdown(table) -> str:
    """The trend check (:func:`marketsim.economics.trends.trend_table`) as Markdown."""
    lo, hi = table.inputs.observed_ci
    with_band = any(r.growth_band is not None for r in table.results)

    def g(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f}"

    rows = []
    for r in table.results:
        band = "" if r.growth_band is None else f"{g(r.growth_band[0])} to {g(r.growth_band[1])}"
        verdict = "**consistent**" if r.consistent else "no"
        held = "" if r.regime_held else " (regime not held throughout)"
        rows.append((r.variant, r.market, r.regime + held, r.efficiency, g(r.growth), *([band] if with_band else []),
                     verdict))
    band_header = ["at 14-month / 5-month halving (HO24 95% CI)"] if with_band else []
    return _md_table(["variant", "market", "regime", "efficiency", f"spend growth, x/yr (observed {lo:g}-{hi:g})",
                      *band_header, "verdict"], rows)


def _figure(size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def plot_history_costs(report: HistoryReport, path) -> None:
    """Simulated frontier run costs (at the year training starts), the record and COT24's trend line."""
    fig, ax = _figure((7.5, 4.5))
    runs = report.runs
    ax.plot(runs["year"], runs["cost"], "o-", color="tab:blue", label="simulated frontier runs (start of training)")
    for name, year, cost in RECORD_FRONTIER_COSTS:
        ax.plot(year - RELEASE_LAG_YEARS, cost, "s", color="black", markersize=5)
        ax.annotate(name, (year - RELEASE_LAG_YEARS, cost), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.plot([], [], "s", color="black", label=f"COT24 amortised costs (release year - {RELEASE_LAG_YEARS:g})")
    years = np.linspace(report.scenario.meta.start_year, report.scenario.end_year, 50)
    lo, hi = OBSERVED_SPEND_CI
    for growth, style in ((OBSERVED_SPEND_GROWTH, "-"), (lo, ":"), (hi, ":")):
        ax.plot(years, 40.7e6 * growth ** (years - GPT4_YEAR), style, color="tab:red", linewidth=1,
                label=f"COT24 trend {OBSERVED_SPEND_GROWTH}x/yr (90% CI {lo}-{hi}) through GPT-4" if style == "-" else None)
    ax.set_yscale("log")
    ax.set_xlabel("Year")
    ax.set_ylabel("training run cost, US dollars")
    ax.set_title("Frontier training cost: historical scenario vs record")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.savefig(path, dpi=150)


def plot_history_adoption(report: HistoryReport, path) -> None:
    """Simulated adoption share per period and the ChatGPT weekly-user record over the population."""
    fig, ax = _figure((7.5, 4))
    model = report.model
    ax.plot(model["year"], 100 * model["adoption_share"], color="tab:blue", label="simulated adoption share")
    world = World.from_scenario(report.scenario)
    points = ((2023.85, 100e6), (2024.6, 200e6), (2024.95, 300e6), (2025.1, 400e6), (2025.25, 500e6),
              (2025.6, 700e6), (2025.77, 800e6))  # ChatGPT WAU, docs/calibration.md §8 (sec.)
    shares = [100 * wau / world.at(y - report.scenario.meta.start_year).population for y, wau in points]
    ax.plot([p[0] for p in points], shares, "s", color="black", label="ChatGPT weekly users / population")
    ax.set_xlabel("Year")
    ax.set_ylabel("adoption, % of population")
    ax.set_title("Adoption: historical scenario vs ChatGPT weekly users")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.savefig(path, dpi=150)


def plot_kappa_sweep(sweep: pd.DataFrame, path) -> None:
    """Simulated spend growth against kappa, with COT24's interval."""
    fig, ax = _figure((6, 4))
    lo, hi = OBSERVED_SPEND_CI
    ax.axhspan(lo, hi, color="tab:red", alpha=0.15, label=f"COT24 90% CI {lo}-{hi}x/yr")
    ax.axhline(OBSERVED_SPEND_GROWTH, color="tab:red", linewidth=1)
    ax.plot(sweep["kappa"], sweep["spend_growth"], "o-", color="tab:blue", label="simulated, demand re-tuned per kappa")
    ax.set_yscale("log")
    ax.set_xlabel("value exponent kappa (value per adopter ~ R^-kappa)")
    ax.set_ylabel("frontier training cost growth, x per year")
    ax.set_title("Spend growth of the historical scenario vs kappa")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=150)


def plot_trends(table, path) -> None:
    """Predicted spend growth per variant and case, against the observed interval."""
    fig, ax = _figure((9, 5))
    lo, hi = table.inputs.observed_ci
    results = [r for r in table.results if r.growth is not None]
    labels = [f"{r.variant} | {r.regime} | {r.efficiency}" for r in results]
    colors = ["tab:green" if r.consistent else ("tab:blue" if r.market == "permissive" else "tab:gray") for r in results]
    y = np.arange(len(results))
    # Bars start at 1x (no growth), so shrinking spend points left.
    ax.barh(y, [r.growth - 1.0 for r in results], left=1.0, color=colors)
    for i, r in enumerate(results):
        if r.growth_band is not None and None not in r.growth_band:
            ax.plot(sorted(r.growth_band), [i, i], color="black", linewidth=1)
    ax.axvspan(lo, hi, color="tab:red", alpha=0.15)
    ax.axvline(table.inputs.observed, color="tab:red", linewidth=1)
    ax.set_yticks(y, labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("profit-optimal spend growth, x per year (red band: COT24 90% CI; green: consistent)")
    ax.set_title("Trend check: which variants predict the observed 2.4x/yr")
    ax.grid(True, axis="x", alpha=0.3)
    fig.savefig(path, dpi=150)


def _setup_rows(s: Scenario) -> list[tuple[str, str, str]]:
    """What the historical scenario puts on which trend, for the report."""
    c, f, d, hw, y0 = s.consumers, s.firms[0], s.data, s.hardware, s.meta.start_year
    raw_growth = d.stock_growth_per_year / d.efficiency_growth_per_year
    return [
        ("hardware efficiency E", f"{hw.flop_per_dollar:.3g} FLOP/$ in {y0}, x{hw.growth_per_year:g}/yr",
         "COT24 0.14 OOM/yr; level: A100 amortised (COT24 method) in 2020, back along the trend"),
        ("algorithmic progress (all in rho_D)", f"rho_D {d.efficiency:.4g} in {y0}, x{d.efficiency_growth_per_year:g}/yr",
         "HO24 (8-month halving); rho_D = 1 in 2022"),
        ("raw text stock", f"{d.stock_tokens / d.efficiency:.3g} tokens in {y0}, x{raw_growth:.3g}/yr",
         "VIL24 3e14 (2024); VIL22 ~7%/yr"),
        ("population", f"{c.population:.3g} people, x{c.population_growth_per_year:g}/yr",
         "assumption (~5e9 online in 2025)"),
        ("value exponent kappa", f"{c.value_exponent:g}", "assumption, not tuned (section 1.1 varies it)"),
        ("tokens served per adopter", f"{c.tokens_per_adopter_per_period:.3g} per quarter",
         "derived: OpenAI API throughput / ChatGPT WAU (sec.)"),
        ("firm", f"1 profit-optimal lab, retrains every {f.retrain_every_periods} quarters, "
                 f"horizon {f.horizon_periods} quarters", "assumption; LOH23 250-1000 days between generations"),
    ]


def _tuned_rows(s: Scenario, report: HistoryReport) -> list[tuple[str, str, str, str]]:
    rows = []
    for key, target in CALIBRATION_TARGETS.items():
        row = report.row(target)
        rows.append((key, f"{_get(s, key):.4g}", f"{row.target.label}: {_fmt(target, row.target.value)}",
                     _fmt(target, row.simulated)))
    return rows


def _history_statements(report: HistoryReport) -> list[str]:
    """Plain sentences on each tested row, worded from the values (so they stay true when rerun)."""
    r = {row.target.key: row for row in report.rows}
    runs, s = report.runs, report.scenario
    world = World.from_scenario(s)
    rho_start, rho_end = world.at(0.0).rho_D, world.at(s.end_year - s.meta.start_year).rho_D
    span = f"{runs['year'].min():.2f}-{runs['year'].max():.2f}" if len(runs) else "no runs"
    out = []
    g = r["spend_growth"]
    out.append(f"Frontier training cost grows {_fmt('spend_growth', g.simulated)} over the simulated runs ({span}); "
               f"COT24 measures 2.4x/yr (90% CI 2.0-2.9) over 2016-2024: **{g.verdict}**. The simulated series "
               f"starts in {_fmt('first_run_year', r['first_run_year'].simulated)}, so this is a match over the "
               "market era only.")
    out.append(f"No profit-optimal run before {_fmt('first_run_year', r['first_run_year'].simulated)} "
               f"(**{r['first_run_year'].verdict}**): until the models are good enough for some consumers' thresholds "
               "there is no revenue to pay for training. The record's 2016-2021 frontier runs were research "
               "spending, which the model does not contain.")
    out.append(f"Training compute grows {_fmt('compute_growth', r['compute_growth'].simulated)} against EPTC24's 4-5x/yr "
               f"(**{r['compute_growth'].verdict}**). In the model compute growth is cost growth times hardware "
               "growth (1.38x/yr); the record's cost and compute trends together imply the cost per FLOP of "
               "frontier runs fell ~1.7-2.1x/yr (4-5 / 2.4), faster than the hardware trend: utilisation "
               "rose (GPT-3 21% MFU in 2020, PALM22; Llama 3.1 38-43% in 2024, LLAMA3) and lower-precision "
               "tensor formats arrived (EPH25), neither of which is in E(t).")
    out.append(f"The mid-2024 frontier run costs {_fmt('cost_2024', r['cost_2024'].simulated)} against GPT-4.5's $185M "
               f"and Grok-3's $301M (**{r['cost_2024'].verdict}**).")
    cost, revenue = r["cost_2024"].simulated, r["revenue_2024"].simulated
    ratio = f"{100 * cost / revenue:.0f}%" if cost and revenue else "n/a"
    out.append(f"The lab's 2024 revenue is {_fmt('revenue_2024', revenue)} against OpenAI's ~$3.7B "
               f"(**{r['revenue_2024'].verdict}**). The simulated mid-2024 run costs {ratio} of the year's revenue; "
               "on the record a frontier run costs about 1% of a leading lab's revenue (GPT-4 $40.7M vs "
               "$3.7B in 2024; GPT-4.5 $185M vs ~$12.7B projected for 2025; docs/calibration.md §6, §8). A "
               "profit-optimal lab that pays for each model from that model's revenue spends a large share of "
               "it on training; real labs' revenue also pays for serving, staff and research compute (COT24: "
               "R&D staff 29-49% of development cost). Matching the run cost therefore leaves revenue low.")
    tpp = r["tokens_per_param_2022"]
    out.append(f"Tokens per parameter of the mid-2022 model: {_fmt('tokens_per_param_2022', tpp.simulated)} "
               f"against HOF22's compute-optimal ~20 (**{tpp.verdict}**). The simulated lab "
               "serves ~1e6 tokens per adopter per quarter, so it trains smaller models on more tokens (SAR24); "
               "~20 is the training-only optimum. Separately, the scenario puts all algorithmic progress into "
               "data efficiency rho_D (the schema has no parameter efficiency). Compared with a neutral split "
               f"this multiplies raw tokens per parameter by 1/rho_D: x{1 / rho_start:.3g} in "
               f"{s.meta.start_year}, x{1 / rho_end:.2g} at the end (section 3 uses the neutral split).")
    return out


def _trend_statements(table) -> list[str]:
    """Plain sentences on the trend check, from the numbers (cases not in the table are skipped)."""
    def pick(**conditions) -> list:
        return [r for r in table.results if r.growth is not None
                and all(getattr(r, k) == v for k, v in conditions.items())]

    def line(text: str, results: list, tail: str = "") -> list[str]:
        if not results:
            return []
        values = [r.growth for r in results]
        return [f"{text}: {min(values):.2f}-{max(values):.2f}x/yr{tail}."]

    consistent = [f"{r.variant} ({r.regime}, {r.efficiency})" for r in table.results if r.consistent]
    return [
        *line("Permissive markets, compute-bound, both trends continuing",
              pick(market="permissive", regime="compute-bound", efficiency="continuing")),
        *line("Permissive markets, compute-bound, hardware stalled but algorithms continuing",
              pick(market="permissive", regime="compute-bound", efficiency="hardware stalled"),
              ": algorithmic progress alone keeps raising the return on compute, because training cost per "
              "unit of quality depends only on the product of hardware and algorithmic efficiency"),
        *line("Everything stalled (compute-bound)", pick(efficiency="all stalled", regime="compute-bound")),
        *line("Data-bound, any market (under the cap closure spend is 6 N_match(D) D / E for a given scaling "
              "law, whatever the demand)",
              pick(regime="data-bound")),
        *line("Saturating markets, compute-bound", pick(market="saturating", regime="compute-bound")),
        "Consistent with 2.0-2.9x/yr: " + ("; ".join(consistent) if consistent else "none") + ".",
    ]


def _trend_summary(table) -> str:
    """Expected pattern (issue 6) against what the trend check found."""
    consistent = [r for r in table.results if r.consistent]
    only_permissive_cb = all(r.market == "permissive" and r.regime == "compute-bound" for r in consistent)
    stalled = [r for r in consistent if r.efficiency != "continuing"]
    lo, hi = table.inputs.observed_ci
    near = [r for r in table.results if r.growth is not None and not r.consistent and r.efficiency == "continuing"
            and r.regime == "compute-bound" and (lo / 1.1 <= r.growth < lo or hi < r.growth <= hi * 1.1)]
    text = ("as expected, every consistent case is a permissive, compute-bound market"
            if only_permissive_cb else "unlike the expected pattern, some consistent cases are not permissive and compute-bound")
    if stalled:
        text += ("; but stalled hardware is not ruled out while algorithmic progress continues ("
                 + ", ".join(f"{r.variant} {r.growth:.2f}x/yr" for r in stalled) + ")")
    if near:
        text += ("; near misses with both trends continuing: "
                 + ", ".join(f"{r.variant} {r.growth:.2f}x/yr" for r in near)
                 + " (COT24 v1's 95% CI, 2.0-3.1, would include those above 2.9)")
    return text + "."


@dataclass
class ValidationResults:
    """Everything docs/validation.md reports (:func:`validation_results` computes it).

    Attributes:
        history: the historical run against the record.
        sweep: the kappa sweep (:func:`kappa_sweep`).
        checks: the cost cross-checks.
        trends: the trend check, algorithmic progress split evenly, with HO24's band.
        trends_data_only: the trend check with all algorithmic progress in rho_D.
    """

    history: HistoryReport
    sweep: pd.DataFrame
    checks: list[CostCheck]
    trends: TrendTable
    trends_data_only: TrendTable


def validation_results(kappas: Sequence[float] = REPORT_KAPPAS, seed: int | None = None, log=None) -> ValidationResults:
    """Run what the validation report shows (minutes): the historical scenario, the kappa sweep
    (re-tuning the demand for each kappa, the slow part), the cost checks and the trend check
    (neutral split of algorithmic progress, and all of it in rho_D). ``log(message)`` reports progress.
    """
    from marketsim.economics.trends import TrendInputs, trend_table

    say = log or (lambda message: None)
    say("historical scenario")
    report = validate_history(seed=seed)
    say(f"kappa sweep ({len(kappas)} values; re-tuning each)")
    sweep = kappa_sweep(kappas, seed=seed)
    say("cost checks and trend check")
    return ValidationResults(
        history=report, sweep=sweep, checks=cost_checks(), trends=trend_table(band=True),
        trends_data_only=trend_table(inputs=TrendInputs(rho_D_share=1.0), efficiencies=("continuing", "hardware stalled")))


def write_validation_report(markdown_path, figure_dir, *, kappas: Sequence[float] = REPORT_KAPPAS,
                            seed: int | None = None, log=None, results: ValidationResults | None = None) -> list:
    """Regenerate docs/validation.md and its figures; returns the paths written.

    Computes everything from scratch with :func:`validation_results` (``kappas``, ``seed``, ``log``),
    or writes the given ``results`` (then those three are not used).
    """
    from pathlib import Path

    import marketsim

    markdown_path, figure_dir = Path(markdown_path), Path(figure_dir)
    figure_dir.mkdir(parents=True, exist_ok=True)
    rel = Path(figure_dir.resolve().relative_to(markdown_path.resolve().parent)).as_posix() \
        if figure_dir.resolve().is_relative_to(markdown_path.resolve().parent) else str(figure_dir)
    r = validation_results(kappas, seed, log) if results is None else results

    figures = [figure_dir / name for name in REPORT_FIGURES]
    plot_history_costs(r.history, figures[0])
    plot_history_adoption(r.history, figures[1])
    plot_kappa_sweep(r.sweep, figures[2])
    plot_trends(r.trends, figures[3])

    text = _report_markdown(r.history, r.sweep, r.checks, r.trends, r.trends_data_only, rel, marketsim.__version__)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(text, encoding="utf-8")
    return [markdown_path, *figures]


def _sweep_table(sweep: pd.DataFrame) -> str:
    rows = [(f"{r.kappa:g}", f"{r.median_threshold:.4g}", f"{r.sigma:.4g}", f"{r.price:.4g}",
             _fmt("adoption_2023", r.adoption_2023), _fmt("adoption_2025", r.adoption_2025), _fmt("cost_2022", r.cost_2022),
             _fmt("spend_growth", r.spend_growth), "**inside**" if r.spend_growth_inside else "OUTSIDE",
             _fmt("cost_2024", r.cost_2024), _fmt("revenue_2024", r.revenue_2024), _fmt("first_run_year", r.first_run_year))
            for r in sweep.itertuples()]
    return _md_table(["kappa", "median threshold", "sigma", "price", "adoption 2023", "adoption 2025", "cost mid-2022",
                      "spend growth", "vs 2.0-2.9", "cost mid-2024", "revenue 2024", "first run"], rows)


def _report_markdown(report: HistoryReport, sweep: pd.DataFrame, checks: list[CostCheck], neutral, data_only,
                     rel: str, version: str) -> str:
    s = report.scenario
    g = report.row("spend_growth")
    inside_kappas = sweep.loc[sweep["spend_growth_inside"].astype(bool), "kappa"].tolist()
    bad_checks = [c.name for c in checks if not c.ok]
    parts = [
        "# Validation against the published record",
        "",
        f"Generated by `marketsim report validation` (marketsim {version}); do not edit by hand. Every number "
        "is either a published figure, named by its key in `docs/calibration.md` (sources in "
        "its §12), or the output of the command named in its section. \"sec.\" marks a figure "
        "docs/calibration.md has only from a secondary source.",
        "",
        "## Summary",
        "",
        f"- Historical scenario (`marketsim validate-history`): frontier training cost grows "
        f"**{_fmt('spend_growth', g.simulated)}** against COT24's 2.4x/yr (90% CI 2.0-2.9): **{g.verdict}**, "
        f"but only over the market era ({_fmt('first_run_year', report.row('first_run_year').simulated)} on); "
        f"compute grows {_fmt('compute_growth', report.row('compute_growth').simulated)} against 4-5x/yr "
        f"(**{report.row('compute_growth').verdict}**).",
        f"- The spend match depends on the value exponent kappa: with the demand re-tuned for each kappa, "
        f"spend growth is inside the interval for kappa in {{{', '.join(f'{k:g}' for k in inside_kappas) or 'none'}}} "
        f"of {{{', '.join(f'{k:g}' for k in sweep['kappa'])}}} (section 1.1).",
        f"- Cost cross-checks (`pytest tests/test_costs_calibration.py`): {len(checks) - len(bad_checks)} of "
        f"{len(checks)} published figures reproduced within their stated ranges"
        + (f"; failing: {', '.join(bad_checks)}." if bad_checks else "."),
        "- Trend check (`marketsim trends`): " + _trend_statements(neutral)[-1] + " Against the expected "
        "pattern: " + _trend_summary(neutral),
        "",
        "## 1. The historical scenario, 2016-2025",
        "",
        "`scenarios/historical.toml` puts one profit-optimal lab in the world of 2016-2025. Its inputs:",
        "",
        _md_table(["input", "value", "source"], _setup_rows(s)),
        "",
        "Three demand numbers were tuned (`marketsim validate-history --calibrate` reproduces them; the "
        "stand-in firm it uses is `profit_optimal_path`) and nothing else:",
        "",
        _md_table(["parameter", "tuned value", "target", "achieved in the simulation"], _tuned_rows(s, report)),
        "",
        f"`marketsim validate-history` (seed {report.seed}):",
        "",
        history_table_markdown(report),
        "",
        "\"calibrated\" rows were tuning targets and test nothing; the others were not tuned to. "
        "Intervals not given by the source are stated in the source column.",
        "",
        f"![Frontier training cost, simulated vs record]({rel}/history_costs.png)",
        "",
        f"![Adoption, simulated vs ChatGPT weekly users]({rel}/history_adoption.png)",
        "",
        "What the rows say:",
        "",
        *[f"- {line}" for line in _history_statements(report)],
        "",
        "### 1.1 Sensitivity to the value exponent kappa",
        "",
        "kappa (value per adopter ~ R^-kappa) is the one demand number the record does not pin "
        "(docs/calibration.md: no estimate of willingness to pay for quality). For each kappa below the "
        "three tuned numbers were re-tuned to the same targets, then the scenario was run "
        "(`kappa_sweep` in `marketsim/experiments/validation.py`):",
        "",
        _sweep_table(sweep),
        "",
        f"![Spend growth vs kappa]({rel}/kappa_sweep.png)",
        "",
        "With adoption taking off from near zero, the adopter share already makes revenue very elastic "
        "to quality; a high kappa adds to that and the profit-optimal spend explodes at take-off. "
        "docs/theory.md §6's kappa = 2.5 was chosen for saturated markets, not for a market in its first years. "
        "So the spend-growth match of section 1 is conditional on kappa near 1. The scenario's kappa = 1 is a "
        "round low value (revenue per ChatGPT weekly user was roughly flat from 2024 to 2025, ~$19 vs ~$21 "
        "a year, docs/calibration.md §8, sec.), not a fit to the trend, but the record pins it only weakly: "
        "read the match as consistency, not confirmation.",
        "",
        "## 2. Cost cross-checks",
        "",
        "`marketsim.economics.costs` recomputes published figures (asserted by "
        "`tests/test_costs_calibration.py`):",
        "",
        cost_table_markdown(checks),
        "",
        "## 3. Trend check: which variants predict the observed 2.4x/yr?",
        "",
        "`marketsim trends` solves each variant's profit-optimal model yearly over a 9-year window with "
        f"hardware efficiency growing {neutral.inputs.hardware_growth:.2f}x/yr (COT24, HHA23) and algorithmic "
        f"progress {neutral.inputs.algorithmic_growth:.2f}x/yr as a compute-equivalent gain (HO24), and fits the "
        "growth of training spend per year. Algorithmic progress enters the loss as rho_N x rho_D (the "
        "compute-optimal frontier depends only on their product); the default splits it evenly "
        "(each ~1.67x/yr), which leaves the compute-optimal tokens per parameter unchanged. Data-bound "
        "cases fix a raw token stock that binds throughout and grows 7%/yr (VIL22). \"hardware stalled\" "
        "keeps algorithmic progress; \"all stalled\" stops both. The band column reruns at HO24's 95% CI "
        "on the halving time (5-14 months).",
        "",
        trend_table_markdown(neutral),
        "",
        f"![Trend check]({rel}/trends.png)",
        "",
        *[f"- {line}" for line in _trend_statements(neutral)],
        "",
        "The mapping matters for the data-bound verdict. With all algorithmic progress in data efficiency "
        "(`marketsim trends --rho-d-share 1`), better data efficiency raises the value of the fixed raw "
        "stock and data-bound spend grows too:",
        "",
        trend_table_markdown(data_only),
        "",
        *[f"- {line}" for line in _trend_statements(data_only)],
        "",
        "## 4. Where the model matches the record and where it does not",
        "",
        *[f"- {line}" for line in _match_statements(report, checks, neutral)],
        "",
        "## Closing note",
        "",
        _closing_note(report, sweep, neutral),
        "",
    ]
    return "\n".join(parts)


def _match_statements(report: HistoryReport, checks: list[CostCheck], neutral) -> list[str]:
    matches = [r.target.label for r in report.rows if r.inside and r.target.kind != "calibrated"]
    misses = [r.target.label for r in report.rows if r.inside is False and r.target.kind != "calibrated"]
    undefined = [r.target.label for r in report.rows if r.inside is None]
    out = [f"Matches (not tuned to): {'; '.join(matches) or 'none'}.",
           f"Does not match: {'; '.join(misses) or 'none'}.",
           f"Calibrated, so not evidence: {'; '.join(r.target.label for r in report.rows if r.target.kind == 'calibrated')}."]
    if undefined:
        out.append(f"Undefined in this run: {'; '.join(undefined)}.")
    out.append(f"Costs: {sum(c.ok for c in checks)} of {len(checks)} published figures reproduced.")
    permissive = [r for r in neutral.results if r.market == "permissive" and r.regime == "compute-bound"
                  and r.efficiency == "continuing" and r.growth is not None]
    if permissive:
        out.append("Only permissive, compute-bound markets predict spend growth of the observed size "
                   f"({min(r.growth for r in permissive):.2f}-{max(r.growth for r in permissive):.2f}x/yr with "
                   "both trends continuing); data-bound and saturating markets predict spend that barely grows "
                   "or falls. Trend check against the expected pattern: " + _trend_summary(neutral))
    return out


def _closing_note(report: HistoryReport, sweep: pd.DataFrame, neutral) -> str:
    rates = ", ".join(f"kappa {r.kappa:g}: {_fmt('spend_growth', r.spend_growth)}" for r in sweep.itertuples())
    trend = ", ".join(f"{r.variant} {r.growth:.2f}x/yr" for r in neutral.results
                      if r.regime == "compute-bound" and r.efficiency == "continuing" and r.growth is not None)
    return (f"Simulated growth rates. Historical scenario (kappa {report.scenario.consumers.value_exponent:g}): "
            f"training cost {_fmt('spend_growth', report.row('spend_growth').simulated)}, training compute "
            f"{_fmt('compute_growth', report.row('compute_growth').simulated)}, against the record's 2.4x/yr "
            f"(90% CI 2.0-2.9, COT24) and 4-5x/yr (EPTC24). Re-tuned for each kappa: {rates}. Trend check, "
            f"compute-bound with both trends continuing: {trend}.")
