"""Sobol' sensitivity of a run's headline number to scenario inputs (SALib), run as a sweep.

Each row of a Sobol' sample (``SALib.sample.sobol.sample``, N (k + 2) rows for k parameters) becomes
one run per seed with the row's values as overrides, through the same dask machinery as
:mod:`marketsim.experiments.batch.sweep` (so it resumes, and records failures). The metric is the mean over
seeds of one key of the run summary; ``SALib.analyze.sobol.analyze`` gives first-order (S1) and
total (ST) indices with bootstrap confidence intervals.

The output metric is not part of the recorded sweep: rerunning with another ``output`` into the same
folder reuses every run and only re-analyses. Every argument (each parameter's key, type and range,
the sample size, the metric name) is checked before the cluster starts or anything is written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from marketsim.config import ScenarioError
from marketsim.config.keypaths import field_type
from marketsim.experiments.batch.cluster import DEFAULT_STALL_TIMEOUT
from marketsim.experiments.batch.parameters import RunSpec, check_run_count, make_run_id, resolve_seeds
from marketsim.experiments.batch.source import (
    RunFn,
    ScenarioSource,
    read_scenario,
    scenario_seed,
    validate_overrides,
)
from marketsim.experiments.batch.store import columns_info, sweep_manifest
from marketsim.experiments.batch.sweep import run_specs
from marketsim.experiments.files import atomic_write
from marketsim.sim.tables import write_columns

# Columns of summary.parquet that are not run outputs.
_NOT_METRICS = {"run_id", "seed", "status", "error"}
RESULT_COLUMNS = ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
#: The numeric keys of a run's summary.json (:func:`marketsim.experiments.run.summarize`): the
#: metrics a sensitivity can analyse. Checked against a real run by the tests.
SUMMARY_METRICS = (
    "start_year", "end_year", "years", "periods", "final_adoption_share", "final_adopters",
    "largest_N", "largest_D", "best_loss", "cumulative_training_spend",
    "final_training_spend_annual", "year_adoption_passes_50pct", "final_hhi", "firms_alive",
    "ended_early_year",
)


def sobol_problem(params: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem dict for {key path: (low, high)}."""
    return {
        "num_vars": len(params),
        "names": list(params),
        "bounds": [[float(lo), float(hi)] for lo, hi in params.values()],
    }


def check_params(
    scenario: ScenarioSource, params: Mapping[str, tuple[float, float]], overrides: Sequence[str] = ()
) -> set[str]:
    """Check that each parameter is a number field of the scenario and both ends of its range
    are allowed values; return the integer ones (rounded when sampled).

    Raises:
        ValueError: ``--param 'key=low:high': ...`` naming the unknown key, the non-number field
            or the rule an end of the range breaks.
        ScenarioError: the scenario itself (with ``overrides``) is invalid.
    """
    base = scenario.load(overrides)
    integer: set[str] = set()
    for key, (low, high) in params.items():
        spec = f"--param {f'{key}={low:g}:{high:g}'!r}"
        try:
            kind = field_type(base, key)
        except ValueError as err:
            raise ValueError(f"{spec}: {err}") from None
        if kind is bool or kind not in (int, float):
            name = {bool: "true/false", str: "text"}.get(kind, getattr(kind, "__name__", str(kind)))
            raise ValueError(f"{spec}: {key} is {name}, not a number; only number fields can be varied")
        if kind is int:
            integer.add(key)
            low, high = round(low), round(high)
            if low == high:
                raise ValueError(f"{spec}: {key} is a whole number and this range holds only {low}")
        for end in (low, high):
            try:
                scenario.load([*overrides, f"{key}={end!r}"])
            except ScenarioError as err:
                raise ValueError(f"{spec}: {'; '.join(err.problems)}") from None
    return integer


def sample_specs(
    problem: Mapping[str, Any], samples: np.ndarray, seeds: Sequence[int], integer: Collection[str]
) -> tuple[list[RunSpec], list[list[str]]]:
    """Runs for the sample rows (one per row per seed) and, per row, the run_ids of its seeds.

    Integer parameters are rounded, so two rows can share runs (same run_id, run once).
    """
    specs: list[RunSpec] = []
    row_ids: list[list[str]] = []
    for row in samples:
        params: dict[str, int | float] = {
            name: int(round(value)) if name in integer else float(value)
            for name, value in zip(problem["names"], row, strict=True)
        }
        ids = []
        for seed in seeds:
            specs.append(RunSpec(make_run_id(params, seed), params, seed))
            ids.append(specs[-1].run_id)
        row_ids.append(ids)
    return specs, row_ids


def check_output_name(output: str, metrics: Collection[str]) -> None:
    """Raise ValueError unless ``output`` is one of ``metrics`` (checked before any run)."""
    if output not in metrics:
        raise ValueError(
            f"--output {output!r}: unknown metric; the numeric summary keys are: {', '.join(sorted(metrics))}"
        )


def check_metric(output: str, summary: Mapping[str, Any]) -> None:
    """Raise ValueError if ``output`` is not a numeric key of a run summary, listing those allowed."""
    allowed = sorted(
        key for key, value in summary.items()
        if key not in _NOT_METRICS and _is_number_or_none(value)
    )
    if output not in allowed:
        raise ValueError(
            f"unknown output metric {output!r}; numeric summary keys are: {', '.join(allowed)}"
        )


def _is_number_or_none(value: Any) -> bool:
    """Numbers (and null, e.g. a year that never came) can be metrics; text and lists cannot."""
    return value is None or (isinstance(value, int | float | np.number) and not isinstance(value, bool))


def sobol_sensitivity(
    scenario_path: str | Path,
    params: Mapping[str, tuple[float, float]],
    samples: int,
    output: str,
    seeds: int | Sequence[int] = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    out_dir: str | Path,
    run_fn: RunFn | None = None,
    overrides: Sequence[str] = (),
    integer: Collection[str] | None = None,
    metrics: Collection[str] | None = None,
    progress: bool = True,
    force: bool = False,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    dashboard: bool = False,
) -> pd.DataFrame:
    """First-order and total Sobol' indices of summary metric ``output`` over ``params``.

    Args:
        scenario_path: the scenario TOML file, read once here (workers get its text).
        params: {key path: (low, high)} sampled uniformly, e.g. from :func:`marketsim.config.keypaths.parse_range_specs`.
        samples: Sobol' base sample size N, a power of 2; N (k + 2) configurations are run.
        output: a numeric key of the run summary (e.g. ``final_adoption_share``).
        seeds: seeds per configuration (count from meta.seed, or a list); the metric is averaged.
        workers, scheduler: as for :func:`marketsim.experiments.batch.sweep.run_sweep`.
        out_dir: folder for the runs (resumable), ``sensitivity.csv`` and ``sensitivity.png``.
        run_fn: as for ``run_sweep``; default loads and runs the scenario.
        overrides: ``"key.path=value"`` applied to every run.
        integer: parameters to round to integers; None checks every parameter against the
            scenario's fields and infers them from their types.
        metrics: the names ``output`` may take, checked before any run; None: :data:`SUMMARY_METRICS`
            with the default run function, else checked on the first run's summary.
        progress: show a progress bar.
        force, stall_timeout, dashboard: as for ``run_sweep``.

    Returns:
        Columns parameter, S1, S1_conf, ST, ST_conf (conf: half-width of the 95% interval),
        sorted by ST, largest first.

    Raises:
        ValueError: bad parameters, samples or metric (before anything runs), failed runs or a
            constant metric (after).
        SweepInterrupted, SweepIncomplete, SweepOutputError: as for ``run_sweep``.
    """
    if not params:
        raise ValueError("give at least one parameter to vary (--param key.path=low:high)")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2 or samples & (samples - 1):
        # Sobol' sequences are balanced only at powers of 2; SALib merely warns, we refuse.
        raise ValueError(f"samples must be a power of 2 (>= 2), got {samples}; e.g. 64 or 128")
    if metrics is None and run_fn is None:
        metrics = SUMMARY_METRICS
    if metrics is not None:
        check_output_name(output, metrics)
    scenario = read_scenario(scenario_path)
    base_seed = scenario_seed(scenario, overrides) if isinstance(seeds, int) else 0
    seed_list = resolve_seeds(seeds, base_seed)
    check_run_count(samples * (len(params) + 2) * len(seed_list),
                    f"{samples} samples x ({len(params)} parameters + 2) x {len(seed_list)} seeds")
    problem = sobol_problem(params)
    if integer is None:
        integer = check_params(scenario, params, overrides)
    # The sample depends on the first seed, so a new seed set is a new, independent design.
    x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed_list[0])
    specs, row_ids = sample_specs(problem, x, seed_list, integer)
    if run_fn is None:
        validate_overrides(scenario, specs, overrides)
    manifest = sweep_manifest(
        "sensitivity", scenario, overrides, params={k: list(v) for k, v in params.items()},
        samples=samples, seeds=seed_list, integer=sorted(integer),
    )
    unit = "Sobol' samples" if len(seed_list) == 1 else f"runs (Sobol' samples x {len(seed_list)} seeds)"
    # Checking each new summary stops a sweep with a misspelt metric after its first run (for a
    # run function whose metrics were not listed).
    columns = columns_info(scenario, overrides, params, run_fn)
    result = run_specs(
        scenario, specs, out_dir, manifest, overrides=overrides, workers=workers, scheduler=scheduler,
        progress=progress, run_fn=run_fn, on_summary=lambda summary: check_metric(output, summary),
        force=force, stall_timeout=stall_timeout, dashboard=dashboard,
        label=f"sensitivity {scenario.name}", unit=unit, columns=columns,
    )
    y = _metric_per_row(result.summary, row_ids, output, problem["names"], Path(out_dir))
    table = analyze(problem, y, seed=seed_list[0])
    save_sensitivity(table, output, Path(out_dir))
    write_columns(out_dir, {"sensitivity.csv": list(table.columns)}, columns.periods_per_year)
    return table


def _metric_per_row(
    summary: pd.DataFrame,
    row_ids: Sequence[Sequence[str]],
    output: str,
    params: Collection[str],
    out_dir: Path,
) -> np.ndarray:
    """Mean of ``output`` over each sample row's seeds; errors if any run failed or gave null."""
    done = summary[summary["status"] == "done"]
    if done.empty:
        raise ValueError(f"no run finished; see {out_dir / 'failures'}")
    metrics = {
        c: None for c in done.columns
        if c not in params and (pd.api.types.is_numeric_dtype(done[c]) or done[c].isna().all())
    }
    check_metric(output, metrics)
    values = pd.to_numeric(summary.set_index("run_id")[output], errors="coerce")
    per_run = np.array([[values.get(i, np.nan) for i in ids] for ids in row_ids], dtype=float)
    bad = ~np.isfinite(per_run)
    if bad.any():
        failed = int((summary["status"] == "failed").sum())
        raise ValueError(
            f"{int(bad.sum())} of {per_run.size} runs have no value for {output!r} ({failed} failed: "
            f"see {out_dir / 'failures'}, rerun to retry; the others returned null)"
        )
    return per_run.mean(axis=1)


def analyze(problem: Mapping[str, Any], y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Sobol' indices from model outputs ``y`` (one per sample row), sorted by ST.

    Raises:
        ValueError: if y is constant (the indices are 0/0).
    """
    if np.ptp(y) == 0:
        raise ValueError(
            f"the output is constant ({float(y[0])!r}) across all {len(y)} samples; Sobol' indices are "
            "undefined; widen the ranges or choose another metric"
        )
    indices = sobol_analyze.analyze(
        dict(problem), y, calc_second_order=False, print_to_console=False, seed=seed
    )
    table = pd.DataFrame({"parameter": problem["names"]})
    for column in RESULT_COLUMNS[1:]:
        table[column] = np.asarray(indices[column], dtype=float)
    return table.sort_values("ST", ascending=False, ignore_index=True)


def save_sensitivity(table: pd.DataFrame, output: str, out_dir: Path) -> None:
    """Write ``sensitivity.csv`` and the bar chart ``sensitivity.png`` into ``out_dir``, atomically."""
    atomic_write(out_dir / "sensitivity.csv", lambda tmp: table.to_csv(tmp, index=False))
    figure = sensitivity_figure(table, output)
    atomic_write(out_dir / "sensitivity.png", lambda tmp: figure.savefig(tmp, format="png", dpi=120))


def sensitivity_figure(table: pd.DataFrame, output: str) -> Figure:
    """Horizontal bars of S1 and ST per parameter with 95% confidence bars (largest ST on top)."""
    figure = Figure(figsize=(7, 1.2 + 0.55 * len(table)), layout="constrained")
    axes = figure.subplots()
    ordered = table.iloc[::-1]
    rows = np.arange(len(ordered))
    height = 0.38
    axes.barh(rows + height / 2, ordered["ST"], height, xerr=ordered["ST_conf"], label="total (ST)",
              capsize=3)
    axes.barh(rows - height / 2, ordered["S1"], height, xerr=ordered["S1_conf"],
              label="first order (S1)", capsize=3)
    axes.set_yticks(rows, ordered["parameter"])
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel("Sobol' index (share of output variance)")
    axes.set_ylabel("scenario parameter")
    axes.set_title(f"Sensitivity of {output}")
    axes.legend(loc="best")
    return figure
