"""Sobol' sensitivity of a run's headline number to scenario inputs (SALib), run as a sweep.

Each row of a Sobol' sample (``SALib.sample.sobol.sample``, N (k + 2) rows for k parameters) becomes
one run per seed with the row's values as overrides, through the same dask machinery as
:mod:`marketsim.experiments.sweep` (so it resumes, and records failures). The metric is the mean over
seeds of one key of the run summary; ``SALib.analyze.sobol.analyze`` gives first-order (S1) and
total (ST) indices with bootstrap confidence intervals.

The output metric is not part of the recorded sweep: rerunning with another ``output`` into the same
folder reuses every run and only re-analyses.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import BaseModel
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from marketsim.experiments.sweep import (
    RunFn,
    RunSpec,
    atomic_write,
    check_scenario_file,
    make_run_id,
    resolve_seeds,
    run_specs,
    scenario_seed,
    sweep_manifest,
    validate_overrides,
)
from marketsim.scenario import load_scenario

_PARAM_FORMAT = "expected key.path=low:high (e.g. hardware.growth_per_year=1.1:1.5)"
_KEY_PATH = re.compile(r"^[A-Za-z_]\w*(\.\w+|\[\d+\])*$")
# Columns of summary.parquet that are not run outputs.
_NOT_METRICS = {"run_id", "seed", "status", "error"}
RESULT_COLUMNS = ["parameter", "S1", "S1_conf", "ST", "ST_conf"]


def parse_bounds(specs: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Parse ``--param`` specs ``"key.path=low:high"`` into {key path: (low, high)}.

    Raises:
        ValueError: naming the spec, for a bad format, non-numbers, low >= high or a repeated key.
    """
    bounds: dict[str, tuple[float, float]] = {}
    for spec in specs:
        key, sep, range_text = (part.strip() for part in spec.partition("="))
        low_text, colon, high_text = range_text.partition(":")
        if not sep or not colon or not _KEY_PATH.match(key):
            raise ValueError(f"--param {spec!r}: {_PARAM_FORMAT}")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            raise ValueError(f"--param {spec!r}: low and high must be numbers; {_PARAM_FORMAT}") from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"--param {spec!r}: need finite low < high, got low={low}, high={high}")
        if key in bounds:
            raise ValueError(f"--param {spec!r}: key {key!r} is given twice")
        bounds[key] = (low, high)
    return bounds


def sobol_problem(params: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem dict for {key path: (low, high)}."""
    return {
        "num_vars": len(params),
        "names": list(params),
        "bounds": [[float(lo), float(hi)] for lo, hi in params.values()],
    }


def is_integer_field(model: BaseModel, key_path: str) -> bool:
    """Whether ``key_path`` (e.g. ``"firms.0.retrain_every_periods"``) of a pydantic model is an
    int field (bools are not); unset optional fields are judged by their annotation.

    Raises:
        KeyError: naming the key path and the missing segment.
    """
    node: Any = model
    annotation: Any = None
    for segment in re.sub(r"\[(\d+)\]", r".\1", key_path).split("."):
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if segment not in fields:
                raise KeyError(f"{key_path}: no field {segment!r}; allowed: {', '.join(fields)}")
            annotation = fields[segment].annotation
            node = getattr(node, segment)
        elif isinstance(node, list | tuple) and segment.isdigit() and int(segment) < len(node):
            node, annotation = node[int(segment)], None
        else:
            raise KeyError(f"{key_path}: cannot index {type(node).__name__} with {segment!r}")
    if node is not None:
        return isinstance(node, int) and not isinstance(node, bool)
    return int in _annotation_types(annotation)


def _annotation_types(annotation: Any) -> set[Any]:
    """The member types of a (possibly Optional / union) annotation."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set(typing.get_args(annotation))
    return {annotation}


def integer_params(
    scenario_path: str | Path, names: Sequence[str], overrides: Sequence[str] = ()
) -> set[str]:
    """The parameters among ``names`` that are integer fields of the scenario (rounded when sampled)."""
    scenario = load_scenario(scenario_path, list(overrides))
    return {name for name in names if is_integer_field(scenario, name)}


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
    progress: bool = True,
) -> pd.DataFrame:
    """First-order and total Sobol' indices of summary metric ``output`` over ``params``.

    Args:
        scenario_path: the scenario TOML file.
        params: {key path: (low, high)} sampled uniformly, e.g. from :func:`parse_bounds`.
        samples: Sobol' base sample size N, a power of 2; N (k + 2) configurations are run.
        output: a numeric key of the run summary (e.g. ``final_adoption_share``).
        seeds: seeds per configuration (count from meta.seed, or a list); the metric is averaged.
        workers, scheduler: as for :func:`marketsim.experiments.sweep.run_sweep`.
        out_dir: folder for the runs (resumable), ``sensitivity.csv`` and ``sensitivity.png``.
        run_fn: as for ``run_sweep``; default loads and runs the scenario.
        overrides: ``"key.path=value"`` applied to every run.
        integer: parameters to round to integers; None infers them from the scenario's field types.
        progress: show a progress bar.

    Returns:
        Columns parameter, S1, S1_conf, ST, ST_conf (conf: half-width of the 95% interval),
        sorted by ST, largest first.

    Raises:
        ValueError: bad samples, unknown metric, failed runs or a constant metric.
    """
    path = check_scenario_file(scenario_path)
    if not params:
        raise ValueError("give at least one parameter to vary (--param key.path=low:high)")
    if samples < 2 or samples & (samples - 1):
        # Sobol' sequences are balanced only at powers of 2; SALib merely warns, we refuse.
        raise ValueError(f"samples must be a power of 2 (>= 2), got {samples}; e.g. 64 or 128")
    base_seed = scenario_seed(path, overrides) if isinstance(seeds, int) else 0
    seed_list = resolve_seeds(seeds, base_seed)
    problem = sobol_problem(params)
    if integer is None:
        integer = integer_params(path, problem["names"], overrides)
    # The sample depends on the first seed, so a new seed set is a new, independent design.
    x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed_list[0])
    specs, row_ids = sample_specs(problem, x, seed_list, integer)
    if run_fn is None:
        validate_overrides(path, specs, overrides)
    manifest = sweep_manifest(
        "sensitivity", path, overrides, params={k: list(v) for k, v in params.items()},
        samples=samples, seeds=seed_list, integer=sorted(integer),
    )
    # Checking each new summary stops a sweep with a misspelt metric after its first run.
    result = run_specs(
        path, specs, out_dir, manifest, overrides=overrides, workers=workers, scheduler=scheduler,
        progress=progress, run_fn=run_fn, on_summary=lambda summary: check_metric(output, summary),
    )
    y = _metric_per_row(result.summary, row_ids, output, problem["names"], Path(out_dir))
    table = analyze(problem, y, seed=seed_list[0])
    save_sensitivity(table, output, Path(out_dir))
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
