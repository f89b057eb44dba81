"""The design of ``marketsim statics``: which variations of a scenario are run, and how long.

Four groups of runs of the scenario's full agent-based model (its firms, consumers and world), each
a scenario with a few keys overridden (docs/theory.md, "Comparative statics in the simulated market"):

- ``E``: the hardware efficiency level ``hardware.flop_per_dollar`` times each of
  :attr:`Design.E_factors`, with a data stock that never binds (``data.stock_tokens`` =
  :data:`OPEN_STOCK` effective tokens, no growth): the compute-bound slopes of N, D, spend and compute;
- ``rho_D``: data efficiency ``data.efficiency`` times :attr:`Design.rho_factors`, stock open: the
  elasticities of N and spend in rho_D;
- ``databound_E``: a small stock that binds from the first generation, at an E level high enough for
  N to be at the cap N_match(D_bar) (:func:`databound_setting`), E scaled by the E factors: the
  data-bound slope of spend in E;
- ``databound_Dbar``: that stock times :attr:`Design.Dbar_factors` at that E level: the slope of
  spend in D_bar.

Runs are cut to the first few generations (:func:`run_years`); every run has the scenario's seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from marketsim.config import Scenario
from marketsim.config.standalone import StandaloneProblem
from marketsim.experiments.batch.parameters import RunSpec, make_run_id
from marketsim.experiments.batch.source import ScenarioSource
from marketsim.experiments.statics.generations import generation_table
from marketsim.sim.model import MarketModel

__all__ = ["Design", "GROUPS", "OPEN_STOCK", "DesignRun", "design_runs", "run_years", "DataBoundSetting", "databound_setting",
           "group_table", "statics_run", "E_KEY", "STOCK_KEY", "STOCK_GROWTH_KEY", "RHO_KEY"]

E_KEY, STOCK_KEY, STOCK_GROWTH_KEY, RHO_KEY = ("hardware.flop_per_dollar", "data.stock_tokens",
                                               "data.stock_growth_per_year", "data.efficiency")
#: Effective tokens of a data stock that no model of any bundled scenario comes near (the schema allows 1e40).
OPEN_STOCK = 1e36
#: The design's groups, in the order of the report.
GROUPS = ("E", "rho_D", "databound_E", "databound_Dbar")
#: Doublings of E tried for the data-bound groups until the optimizer is at the cap (:func:`databound_setting`).
_E_DOUBLINGS = 16


@dataclass(frozen=True)
class Design:
    """Factors of the variations and the length of the runs.

    Attributes:
        E_factors: multipliers of the scenario's E level (``E`` and ``databound_E`` groups).
        rho_factors: multipliers of the scenario's rho_D (``rho_D`` group).
        Dbar_factors: multipliers of the small data stock (``databound_Dbar`` group).
        generations: model generations per firm used in the fits (the runs last long enough for
            them even if the firm skips one retraining date).
        stock_margin: the small stock is this fraction of the free optimum's D at the lowest E,
            before the largest D_bar factor (so it binds in every run of the data-bound groups).
    """

    E_factors: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    rho_factors: tuple[float, ...] = (0.5, 1.0, 2.0)
    Dbar_factors: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    generations: int = 3
    stock_margin: float = 0.25

    def as_dict(self) -> dict:
        """Plain dict for JSON."""
        return {"E_factors": list(self.E_factors), "rho_factors": list(self.rho_factors),
                "Dbar_factors": list(self.Dbar_factors), "generations": self.generations,
                "stock_margin": self.stock_margin}


@dataclass(frozen=True)
class DesignRun:
    """One run of the design: its overrides (a RunSpec) and the groups (with the factor) it serves."""

    spec: RunSpec
    groups: tuple[tuple[str, float], ...]


def run_years(scenario: Scenario, generations: int) -> float:
    """Years to simulate for ``generations`` model generations of every firm: one retraining cycle
    more than needed (a firm may skip a date when no new model pays), plus the training lag, capped at
    the scenario's length."""
    ppy = scenario.meta.periods_per_year
    periods = max((f.retrain_every_periods * (generations + 1) + f.training_lag_periods + 1
                   for f in scenario.firms), default=1)
    entry = max((f.entry_year - scenario.meta.start_year for f in scenario.firms if f.entry_year is not None),
                default=0.0)
    return min(float(scenario.meta.years), math.ceil(periods + entry * ppy) / ppy)


def _capped(problem: StandaloneProblem, E: float, D_bar: float) -> bool:
    """Whether the stand-alone optimum at E (FLOP per dollar) with a raw stock of D_bar tokens trains
    at the stock with N at N_match(D_bar) (the cap of docs/theory.md §4)."""
    opt = problem.optimize(E=E, D_bar=D_bar)
    N_match = float(problem.law.n_match(D_bar, rho_N=problem.rho_N, rho_D=problem.rho_D))
    return opt.trains and opt.D >= D_bar * (1 - 1e-4) and opt.N >= N_match * (1 - 1e-4)


@dataclass(frozen=True)
class DataBoundSetting:
    """Where the data-bound groups run: a raw stock of ``stock`` tokens (before the D_bar factors) and
    E at ``E_multiplier`` x the scenario's E (before the E factors); ``capped``: the stand-alone
    optimizer is at the cap on the whole grid there."""

    stock: float
    E_multiplier: float
    capped: bool


def databound_setting(problem: StandaloneProblem, design: Design) -> DataBoundSetting:
    """The data-bound groups' stock and E level.

    The stock is ``stock_margin`` x the free optimum's D at the lowest E factor, divided by the largest
    D_bar factor, so it binds in every data-bound run. The cap N <= N_match(D_bar) binds only once
    compute is cheap enough for the stock (docs/theory.md §4), so E is raised by the smallest power of
    2 (up to 2^:data:`_E_DOUBLINGS`) at which the stand-alone optimizer is at the cap both at the lowest
    E factor and, with the largest D_bar factor, at the middle of the grid.
    """
    E_low = problem.E * min(design.E_factors)
    free = problem.optimize(E=E_low, data_limited=False)
    stock = (free.D if free.trains else problem.D_bar) * design.stock_margin / max(design.Dbar_factors)
    for k in range(_E_DOUBLINGS + 1):
        m = 2.0 ** k
        if _capped(problem, E_low * m, stock) and _capped(problem, problem.E * m, stock * max(design.Dbar_factors)):
            return DataBoundSetting(stock, m, True)
    return DataBoundSetting(stock, 1.0, False)


def design_runs(scenario: Scenario, design: Design, databound: DataBoundSetting) -> list[DesignRun]:
    """The distinct runs of the design (a run shared by two groups appears once, serving both)."""
    E0, rho0 = scenario.hardware.flop_per_dollar, scenario.data.efficiency
    small = databound.stock * rho0  # effective tokens, as data.stock_tokens is given
    E_db = E0 * databound.E_multiplier
    growth = scenario.data.stock_growth_per_year
    wanted: list[tuple[str, float, dict[str, float]]] = []
    for f in design.E_factors:
        wanted.append(("E", f, {E_KEY: E0 * f, STOCK_KEY: OPEN_STOCK, STOCK_GROWTH_KEY: 1.0, RHO_KEY: rho0}))
        wanted.append(("databound_E", f, {E_KEY: E_db * f, STOCK_KEY: small, STOCK_GROWTH_KEY: growth, RHO_KEY: rho0}))
    for f in design.rho_factors:
        wanted.append(("rho_D", f, {E_KEY: E0, STOCK_KEY: OPEN_STOCK, STOCK_GROWTH_KEY: 1.0, RHO_KEY: rho0 * f}))
    for f in design.Dbar_factors:
        wanted.append(("databound_Dbar", f, {E_KEY: E_db, STOCK_KEY: small * f, STOCK_GROWTH_KEY: growth,
                                            RHO_KEY: rho0}))
    runs: dict[str, tuple[RunSpec, list[tuple[str, float]]]] = {}
    for group, factor, params in wanted:
        run_id = make_run_id(params, scenario.meta.seed)
        spec, groups = runs.setdefault(run_id, (RunSpec(run_id, params, scenario.meta.seed), []))
        groups.append((group, factor))
    return [DesignRun(spec, tuple(groups)) for spec, groups in runs.values()]


def group_table(runs: Sequence[DesignRun]) -> pd.DataFrame:
    """One row per (run, group): run_id, group, factor."""
    return pd.DataFrame([{"run_id": r.spec.run_id, "group": g, "factor": f} for r in runs for g, f in r.groups],
                        columns=["run_id", "group", "factor"])


def statics_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, Mapping]:
    """Run function of the parallel runner (on a worker): the scenario's full model with the design's
    overrides; returns the generation table (:func:`generation_table`) and a count of generations."""
    loaded = scenario.load(overrides)
    model = MarketModel(loaded, seed=seed).run()
    table = generation_table(model.firm_table(), model.model_table(), model.law)
    return table, {"generations": int(len(table))}
