"""Measure the paper's comparative statics in a scenario's simulated market (``marketsim statics``).

Runs the design (:mod:`~marketsim.experiments.statics.design`) through the parallel runner
(:func:`marketsim.experiments.batch.sweep.run_specs`, a temporary sweep folder), collects every model
generation (:mod:`~marketsim.experiments.statics.generations`), fits each elasticity with generation
fixed effects on the generations of the regime it is about (:mod:`~marketsim.experiments.statics.fit`),
checks the claims (:func:`marketsim.economics.statics.check_claims`) and puts the stand-alone
optimizer's prediction for the same scenario and design next to them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from marketsim.config.standalone import StandaloneProblem, standalone_problem
from marketsim.economics.statics import StaticsReport, check_claims, elasticities
from marketsim.experiments.batch.cluster import check_cluster_options
from marketsim.experiments.batch.source import read_scenario, validate_overrides
from marketsim.experiments.batch.store import sweep_manifest
from marketsim.experiments.batch.sweep import run_specs
from marketsim.experiments.statics.design import (GROUPS, DataBoundSetting, Design, databound_setting,
                                                  design_runs, group_table, run_years, statics_run)
from marketsim.experiments.statics.fit import Fit, fixed_effects_slope

__all__ = ["FitSpec", "FITS", "POINT_COLUMNS", "StaticsResult", "StaticsRunError", "measure_statics",
           "fit_points", "generation_key", "predict"]


@dataclass(frozen=True)
class FitSpec:
    """One elasticity: the design group it is measured on, the regressor and outcome columns of the
    generation table, and the regime a generation must be in to count."""

    group: str
    x: str
    y: str
    regime: str


#: The elasticities, keyed as in ``marketsim theory --json``.
FITS: dict[str, FitSpec] = {
    "slope_N_E": FitSpec("E", "E", "N", "compute-bound"),
    "slope_D_E": FitSpec("E", "E", "D", "compute-bound"),
    "slope_spend_E": FitSpec("E", "E", "spend", "compute-bound"),
    "slope_compute_E": FitSpec("E", "E", "compute", "compute-bound"),
    "elasticity_N_rhoD": FitSpec("rho_D", "rho_D", "N", "compute-bound"),
    "elasticity_spend_rhoD": FitSpec("rho_D", "rho_D", "spend", "compute-bound"),
    "databound_slope_spend_E": FitSpec("databound_E", "E", "spend", "capped"),
    "databound_slope_spend_Dbar": FitSpec("databound_Dbar", "D_bar", "spend", "capped"),
}
#: Regime each design group is run for (a generation counts in a fit only in it).
GROUP_REGIME = {spec.group: spec.regime for spec in FITS.values()}

POINT_COLUMNS = ["group", "factor", "run_id", "firm", "generation", "start_step", "year", "E", "rho_D", "D_bar",
                 "N", "D", "compute", "spend", "N_match", "regime", "binding", "used"]


class StaticsRunError(RuntimeError):
    """Runs of the design failed (the first error is in the message)."""


@dataclass(frozen=True)
class StaticsResult:
    """Everything ``marketsim statics`` reports.

    Attributes:
        scenario: the scenario's name. path: its file.
        design: the design. years: simulated years per run. runs: distinct runs.
        problem: the stand-alone optimizer problem at the scenario's start.
        databound: the data-bound groups' stock and E level.
        fits: elasticity key -> :class:`Fit`. claims: claim name -> holds.
        prediction: the stand-alone optimizer's statics on the same design.
        points: one row per generation per group (:data:`POINT_COLUMNS`).
        seconds: wall time of the measurement.
    """

    scenario: str
    path: str
    design: Design
    years: float
    runs: int
    problem: StandaloneProblem
    databound: DataBoundSetting
    fits: dict[str, Fit]
    claims: dict[str, bool]
    prediction: StaticsReport
    points: pd.DataFrame
    seconds: float

    def as_json(self) -> dict:
        """The keys of ``marketsim theory --json`` (fitted slopes, claims), then per fit its interval,
        generations used and the optimizer's prediction, the optimizer's own report, and the design."""
        predicted = self.prediction.as_json()
        out: dict = {"scenario": self.scenario, "file": self.path}
        out.update({key: fit.slope for key, fit in self.fits.items()})
        out["claims"] = dict(self.claims)
        out["fits"] = {key: {**fit.as_dict(), "regime": FITS[key].regime, "optimizer": predicted[key]}
                       for key, fit in self.fits.items()}
        out["optimizer"] = predicted
        out["standalone_problem"] = self.problem.as_dict()
        out["design"] = {**self.design.as_dict(), "years_per_run": self.years, "runs": self.runs,
                         "databound_stock_tokens": self.databound.stock,
                         "databound_E_multiplier": self.databound.E_multiplier,
                         "databound_optimizer_capped": self.databound.capped}
        out["seconds"] = self.seconds
        return out


def generation_key(points: pd.DataFrame) -> pd.Series:
    """The fixed effect of each point: its firm and the period its training started ("Frontier@8").

    The runs of a design group share the retraining calendar, so the same firm's models started in the
    same period are the same generation, in worlds that differ only in the varied input; a firm that
    skipped a date (no new model paid) trains off the calendar and its model has no partner.
    """
    return points["firm"].astype(str) + "@" + points["start_step"].astype(int).astype(str)


def fit_points(points: pd.DataFrame) -> dict[str, Fit]:
    """Each elasticity of :data:`FITS` from the used points of its group, one fixed effect per
    generation (:func:`generation_key`)."""
    fits = {}
    for key, spec in FITS.items():
        rows = points[(points["group"] == spec.group) & points["used"]]
        fits[key] = fixed_effects_slope(rows[spec.x], rows[spec.y], list(generation_key(rows)))
    return fits


def predict(problem: StandaloneProblem, design: Design, databound: DataBoundSetting) -> StaticsReport:
    """The stand-alone optimizer's statics on the design's grids at the scenario's start."""
    E = problem.E * np.asarray(design.E_factors)
    stock = databound.stock
    return elasticities(problem.variant(), E_grid=E, E_ref=problem.E,
                        rho_step=float(np.log(max(design.rho_factors))),
                        databound_E_grid=E * databound.E_multiplier, databound_D_bar=stock,
                        databound_Dbar_grid=stock * np.asarray(design.Dbar_factors),
                        databound_E=problem.E * databound.E_multiplier, rho_D=problem.rho_D, rho_N=problem.rho_N)


def measure_statics(path: str | Path, *, design: Design | None = None, overrides: Sequence[str] = (),
                    workers: int | None = None, progress: bool = True) -> StaticsResult:
    """Run the design on ``path`` (a scenario file) and fit the elasticities.

    Args:
        path: the scenario TOML file.
        design: factors and generations (default :class:`Design`).
        overrides: ``key.path=value`` applied to the scenario first.
        workers: local worker processes (None: one per core).
        progress: show a progress bar of finished runs (stderr).

    Raises:
        ScenarioError: the file cannot be read or is invalid.
        StaticsRunError: a run of the design failed.
        ValueError: bad worker count, or the cluster cannot start.
    """
    started = time.monotonic()
    check_cluster_options(workers, None)  # before the (seconds-long) optimizer work
    design = design or Design()
    source = read_scenario(path)
    scenario = source.load(overrides)
    problem = standalone_problem(scenario)
    years = run_years(scenario, design.generations)
    common = [*overrides, f"meta.years={years!r}"]
    databound = databound_setting(problem, design)
    runs = design_runs(scenario, design, databound)
    specs = [r.spec for r in runs]
    validate_overrides(source, specs, common)
    manifest = sweep_manifest("statics", source, common, design=design.as_dict())
    with tempfile.TemporaryDirectory(prefix="marketsim-statics-") as tmp:
        result = run_specs(source, specs, Path(tmp) / "runs", manifest, overrides=common, workers=workers,
                           progress=progress, run_fn=statics_run, label=f"statics {source.name}", unit="runs")
        if result.failed:
            errors = result.summary.loc[result.summary["status"] == "failed", "error"]
            raise StaticsRunError(f"{result.failed} of {result.total} runs of the statics design failed; "
                                  f"first: {errors.iloc[0]}")
        table = result.runs
    points = table.merge(group_table(runs), on="run_id")
    points = points[points["generation"] < design.generations].copy()
    # a generation counts in its group's fits when it is in the group's regime and the budget did not bind
    points["used"] = (points["regime"] == points["group"].map(GROUP_REGIME)) & (points["binding"] != "budget")
    order = {g: i for i, g in enumerate(GROUPS)}
    points = points.sort_values(["group", "factor", "firm", "generation"], key=lambda c: c.map(order)
                                if c.name == "group" else c, kind="stable")[POINT_COLUMNS].reset_index(drop=True)
    fits = fit_points(points)
    claims = check_claims({key: fit.slope for key, fit in fits.items()})
    return StaticsResult(
        scenario=scenario.meta.name, path=source.path, design=design, years=years, runs=len(runs),
        problem=problem, databound=databound, fits=fits, claims=claims,
        prediction=predict(problem, design, databound),
        points=points, seconds=time.monotonic() - started)


