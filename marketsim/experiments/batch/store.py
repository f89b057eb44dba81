"""A sweep folder on disk: one file per finished run, the combined tables, and the sweep record.

Layout of a sweep folder ``OUT``::

    marketsim-manifest.json   the marker of a folder marketsim wrote (see experiments/safety.py)
    sweep.json                the arguments; a rerun into OUT must match them
    runs/<run_id>.parquet     one row per period of one run (run_id, grid values, seed, model.csv columns)
    summaries/<run_id>.json   the run's headline numbers (summary.json of a single run)
    failures/<run_id>.json    error type, message, traceback and parameters of a run that raised
    runs.parquet              every finished run: one row per run per period
    summary.parquet           one row per run: run_id, grid values, seed, status, error, summary numbers
    columns.csv               unit and meaning of every column of the two combined tables

Every file is written atomically, so a resumed sweep never reads a half-written one; a run's table
on disk means the run is complete. ``sweep.json`` records the scenario text's sha256, and
:func:`plan_output` refuses to resume into a folder whose sweep (or scenario) differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

import marketsim
from marketsim.config.keypaths import parse_key
from marketsim.experiments.batch.parameters import RunSpec
from marketsim.experiments.batch.source import RunFn, ScenarioSource
from marketsim.experiments.files import atomic_write, json_default, write_json
from marketsim.experiments.safety import MANIFEST_NAME, atomic_output_dir, check_output_dir, read_manifest
from marketsim.sim.tables import write_columns

#: A run in its sweep folder: "done" (its table is written), "failed" (only a failure record), "missing".
Status = Literal["done", "failed", "missing"]


class SweepOutputError(ValueError):
    """The output path cannot hold this sweep (exists and is not this sweep, cannot be created).

    Raised before anything is written.
    """


class SweepMismatchError(SweepOutputError):
    """The output folder holds a different sweep (other scenario, grid, seeds or overrides)."""


def write_parquet(path: Path, table: pd.DataFrame) -> None:
    """Write a DataFrame to parquet atomically, without the index."""
    atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))


def _run_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "runs" / f"{run_id}.parquet"


def _summary_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "summaries" / f"{run_id}.json"


def _failure_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "failures" / f"{run_id}.json"


def record_outcome(out_dir: Path, spec: RunSpec, outcome: dict[str, Any]) -> Status:
    """Write one finished run (summary before table: a table on disk means the run is complete)."""
    described = {"run_id": spec.run_id, "seed": spec.seed, "params": spec.params}
    if not outcome["ok"]:
        failure = {**described, "overrides": spec.overrides}
        failure.update({k: outcome[k] for k in ("error_type", "message", "traceback")})
        write_json(failure, _failure_file(out_dir, spec.run_id), allow_nan=True)
        return "failed"
    write_json({**described, "summary": outcome["summary"]}, _summary_file(out_dir, spec.run_id), allow_nan=True)
    write_parquet(_run_file(out_dir, spec.run_id), _tag_table(outcome["table"], spec))
    _failure_file(out_dir, spec.run_id).unlink(missing_ok=True)
    return "done"


def _tag_table(table: pd.DataFrame, spec: RunSpec) -> pd.DataFrame:
    """Prefix a run's table with run_id, the grid values and seed (these replace same-named columns)."""
    front = {"run_id": spec.run_id, **spec.params, "seed": spec.seed}
    body = table.drop(columns=[c for c in front if c in table.columns]).reset_index(drop=True)
    return body.assign(**front)[[*front, *body.columns]]


def run_status(out_dir: Path, run_id: str) -> Status:
    """"done" if the run's table exists, "failed" if only a failure record does, else "missing"."""
    if _run_file(out_dir, run_id).exists():
        return "done"
    return "failed" if _failure_file(out_dir, run_id).exists() else "missing"


@dataclass(frozen=True)
class ColumnsInfo:
    """How to describe a sweep's tables in ``columns.csv`` (:func:`marketsim.sim.tables.write_columns`).

    Attributes:
        periods_per_year: the runs' meta.periods_per_year, which names "per period" in units
            (None: it varies between runs, or is unknown).
        strict: every column must have an entry (the default run function's tables); False for a
            custom run function, whose columns are described as unknown.
    """

    periods_per_year: int | None = None
    strict: bool = False


def combine_outputs(out_dir: Path, specs: Sequence[RunSpec], columns: ColumnsInfo | None = None) -> pd.DataFrame:
    """Combine what exists into runs.parquet and summary.parquet, and describe both in
    columns.csv; returns the summary table."""
    out_dir = Path(out_dir)
    frames = [pd.read_parquet(p) for s in specs if (p := _run_file(out_dir, s.run_id)).exists()]
    param_names = list(specs[0].params) if specs else []
    runs = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["run_id", *param_names, "seed"])
    )
    write_parquet(out_dir / "runs.parquet", runs)
    summary = pd.DataFrame([_summary_row(out_dir, s) for s in specs])
    if summary.empty:
        summary = pd.DataFrame(columns=["run_id", *param_names, "seed", "status", "error"])
    write_parquet(out_dir / "summary.parquet", summary)
    info = columns or ColumnsInfo()
    write_columns(out_dir, {"runs.parquet": list(runs.columns), "summary.parquet": list(summary.columns)},
                  info.periods_per_year, strict=info.strict)
    return summary


def _summary_row(out_dir: Path, spec: RunSpec) -> dict[str, Any]:
    """One row of summary.parquet: ids, status, error (failed runs), flattened summary numbers."""
    status = run_status(out_dir, spec.run_id)
    row: dict[str, Any] = {"run_id": spec.run_id, **spec.params, "seed": spec.seed}
    row.update(status=status, error=None)
    if status == "failed":
        failure = json.loads(_failure_file(out_dir, spec.run_id).read_text())
        row["error"] = f"{failure['error_type']}: {failure['message']}"
    elif status == "done":
        numbers = json.loads(_summary_file(out_dir, spec.run_id).read_text())["summary"]
        for key, value in numbers.items():
            if key not in row:
                # Nested values would give parquet struct columns that differ run to run.
                row[key] = json.dumps(value) if isinstance(value, dict | list) else value
    return row


def columns_info(
    scenario: ScenarioSource, overrides: Sequence[str], varied: Collection[str], run_fn: RunFn | None
) -> ColumnsInfo:
    """How columns.csv describes a sweep's tables: strict for the default run function; the
    period length unless ``varied`` (grid or sampled keys) changes it."""
    if run_fn is not None:
        return ColumnsInfo(None, strict=False)
    if any(parse_key(key) == ["meta", "periods_per_year"] for key in varied):
        return ColumnsInfo(None, strict=True)
    return ColumnsInfo(int(scenario.load(list(overrides)).meta.periods_per_year), strict=True)


# --- the sweep record and the output folder -------------------------------------------------------

_RECORD = "sweep.json"
#: What to do with the output folder: create it, resume the sweep in it, or replace it (force).
OutputPlan = Literal["new", "resume", "replace"]


def sweep_manifest(kind: str, scenario: ScenarioSource, overrides: Sequence[str], **arguments: Any) -> dict:
    """The arguments that define a sweep's runs, as recorded in ``sweep.json``."""
    return {
        "kind": kind,
        "scenario": scenario.path,
        "scenario_sha256": scenario.sha256,
        "overrides": list(overrides),
        **arguments,
    }


def _jsonable(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest as it reads back from JSON (tuples become lists, numpy scalars numbers)."""
    return json.loads(json.dumps(manifest, default=json_default))


def _read_record(out_dir: Path) -> dict[str, Any] | None:
    """The folder's sweep.json, or None if it is missing or not a JSON object."""
    try:
        recorded = json.loads((out_dir / _RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def _what_it_is(path: Path) -> str:
    """A path that is not a folder marketsim wrote, in words."""
    if path.is_symlink():
        return f"a symlink (to {os.readlink(path)}), not a folder marketsim wrote"
    if path.is_file():
        return "a file, not a folder"
    if not path.is_dir():
        return "a special file (device, pipe or socket), not a folder"
    return f"a folder without {MANIFEST_NAME}, so marketsim did not write it"


def plan_output(out_dir: str | Path, manifest: Mapping[str, Any], force: bool = False) -> OutputPlan:
    """Decide, touching nothing, whether ``out_dir`` gets a new sweep, resumes one or is replaced.

    Resuming needs a folder marketsim wrote whose ``sweep.json`` records the same sweep;
    ``force`` replaces any folder marketsim wrote (and only such a folder).

    Raises:
        SweepOutputError: a file, symlink or foreign folder is in the way, or the path cannot be
            created (parent is a file, not writable, name too long).
        SweepMismatchError: the folder holds another sweep, or the scenario file changed since.
    """
    out = Path(out_dir)
    try:
        exists = out.exists() or out.is_symlink()
    except OSError as err:  # e.g. ENAMETOOLONG: Path.exists raises it rather than saying False
        raise SweepOutputError(f"output path {out}: {err.strerror or err}; choose another --out") from None
    if not exists or force:
        try:
            check_output_dir(out, force=force)
        except (OSError, ValueError) as err:  # OutputExistsError is an OSError, OutputPathError a ValueError
            raise SweepOutputError(str(err)) from None
        return "replace" if exists else "new"
    written = read_manifest(out)
    if written is None:
        raise SweepOutputError(
            f"{out} already exists and is {_what_it_is(out)}; nothing was changed; choose another --out"
        )
    recorded = _read_record(out)
    if recorded is None:
        raise SweepMismatchError(
            f"{out} holds the output of `marketsim {written.get('command', '?')}`, not a sweep (no "
            f"{_RECORD}); nothing was changed; choose another --out, or pass --force to replace it"
        )
    _check_same_sweep(out, recorded, _jsonable(manifest))
    return "resume"


def _check_same_sweep(out: Path, recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
    """Raise SweepMismatchError unless ``recorded`` (sweep.json) describes the ``wanted`` sweep."""
    differing = [key for key in wanted if recorded.get(key) != wanted[key]]
    if not differing:
        return
    done = len(list((out / "runs").glob("*.parquet")))
    start_over = f"choose a new --out, or pass --force to delete its {done} finished runs and start over"
    if differing == ["scenario_sha256"]:
        raise SweepMismatchError(
            f"{wanted['scenario']} has changed since the sweep in {out} started (sha256 "
            f"{str(recorded.get('scenario_sha256'))[:12]}... recorded, {wanted['scenario_sha256'][:12]}... "
            f"now), so resuming would mix runs of two scenarios; restore the file, or {start_over}"
        )
    details = "; ".join(f"{key}: recorded {recorded.get(key)!r}, now {wanted[key]!r}" for key in differing)
    raise SweepMismatchError(
        f"{out / _RECORD} records a different sweep ({details}); its finished runs would not match. "
        f"Nothing was changed: {start_over}"
    )


def open_output(out_dir: Path, manifest: Mapping[str, Any], plan: OutputPlan) -> None:
    """Create (or, for "replace", swap in) the sweep folder with its manifest and sweep.json.

    The folder appears complete or not at all (:func:`marketsim.experiments.outputs.atomic_output_dir`);
    nothing is done for "resume".

    Raises:
        SweepOutputError: the path was taken meanwhile, or cannot be created.
    """
    if plan == "resume":
        return
    record = {**_jsonable(manifest), "marketsim_version": marketsim.__version__}
    try:
        with atomic_output_dir(out_dir, force=plan == "replace", command=str(manifest["kind"])) as tmp:
            write_json(record, tmp / _RECORD, allow_nan=True)
    except (OSError, ValueError) as err:
        raise SweepOutputError(f"cannot create the sweep folder {out_dir}: {err}") from None
