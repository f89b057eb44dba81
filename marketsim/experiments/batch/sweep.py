"""Parameter sweeps: a grid of scenario overrides x seeds, run on dask.distributed, resumable.

Every run is one scenario (with overrides ``"key.path=value"``) and one seed. Runs go to a local
process cluster or to a running dask scheduler; the parent process writes each finished run at once,
so an interrupted sweep keeps its work and a rerun with the same arguments computes only what is
missing (and retries failures).

The scenario file is read once, by the calling process, and validated there; its text travels with
every task (:class:`ScenarioSource`), so workers never open the file: editing it while a sweep runs
cannot change the sweep, and a remote cluster needs no shared filesystem. ``sweep.json`` records the
text's sha256; resuming refuses a file whose contents changed since (``force`` starts over).

Layout of a sweep folder ``OUT``::

    marketsim-manifest.json   the marker of a folder marketsim wrote (see experiments/outputs.py)
    sweep.json                the arguments; a rerun into OUT must match them
    runs/<run_id>.parquet     one row per period of one run (run_id, grid values, seed, model.csv columns)
    summaries/<run_id>.json   the run's headline numbers (summary.json of a single run)
    failures/<run_id>.json    error type, message, traceback and parameters of a run that raised
    runs.parquet              every finished run: one row per run per period
    summary.parquet           one row per run: run_id, grid values, seed, status, error, summary numbers

Every argument is checked, the output path judged and the cluster reached before anything is
written. A run lost to the infrastructure (its worker died, the scheduler went away) is resubmitted
or left "missing" for a rerun, never recorded as failed; a cluster with no worker (or no scheduler)
for ``stall_timeout`` seconds stops the sweep with :class:`SweepIncomplete`.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import itertools
import json
import logging
import math
import os
import re
import secrets
import signal
import socket
import threading
import time
import tomllib
import traceback
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from distributed import Client, LocalCluster, as_completed
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn

import marketsim
from marketsim.sim.tables import write_columns
from marketsim.experiments.outputs import (
    MANIFEST_NAME,
    atomic_output_dir,
    check_output_dir,
    read_manifest,
)
from marketsim.experiments.run import run_scenario
from marketsim.config.scenario import ScenarioError, _toml_syntax_problem, scenario_from_dict

if TYPE_CHECKING:
    from marketsim.config.scenario import Scenario

GridValue = int | float | bool | str
Status = Literal["done", "failed", "missing"]

_KEY_PATH = re.compile(r"^[A-Za-z_]\w*(\.\w+|\[\d+\])*$")
_GRID_FORMAT = "expected key.path=v1,v2,... (e.g. hardware.growth_per_year=1.2,1.35)"
_RUN_ID_LENGTH = 12  # hex digits of sha256: 48 bits, no collisions in any realistic sweep
_SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")

#: Most runs one sweep folder may hold: each run is two files, and every run is read to combine the
#: tables; a larger design is a mistake (e.g. a mistyped --seeds) or needs splitting into folders.
MAX_RUNS = 1_000_000
#: Seconds without any connected worker (or without the scheduler) after which a sweep stops.
DEFAULT_STALL_TIMEOUT = 120.0
#: Seconds to wait for a TCP connection to a given scheduler before giving up (nothing written yet).
SCHEDULER_CONNECT_TIMEOUT = 10.0
#: How often the parent looks for finished runs and asks the scheduler how many workers it has, s.
_POLL_SECONDS = 0.1
_HEALTH_SECONDS = 1.0
#: Times a run lost to the infrastructure is resubmitted within one call (then left for a rerun).
_MAX_RESUBMITS = 2


class SweepOutputError(ValueError):
    """The output path cannot hold this sweep (exists and is not this sweep, cannot be created).

    Raised before anything is written.
    """


class SweepMismatchError(SweepOutputError):
    """The output folder holds a different sweep (other scenario, grid, seeds or overrides)."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; finished runs are saved and combined. ``.result`` has the counts.

    A subclass of KeyboardInterrupt so that ``except Exception`` does not swallow it.
    """

    def __init__(self, result: SweepResult) -> None:
        self.result = result
        finished = result.total - result.counts.get("missing", 0)
        super().__init__(
            f"sweep interrupted: {finished} of {result.total} runs are finished and saved in "
            f"{result.out_dir}; rerun with the same arguments to resume (finished runs are skipped)"
        )


class ClusterStalled(RuntimeError):
    """The cluster had no worker, or the scheduler was unreachable, for too long (no result lost)."""


class SweepIncomplete(RuntimeError):
    """The cluster stalled or went away; finished runs are saved, the rest are left "missing".

    Attributes:
        result: the counts and summary table as saved (``counts["missing"]`` runs are not done).
        reason: what happened to the cluster.
    """

    def __init__(self, result: SweepResult, reason: str) -> None:
        self.result = result
        self.reason = reason
        missing = result.counts.get("missing", 0)
        super().__init__(
            f"{reason}. {result.total - missing} of {result.total} runs are finished and saved in "
            f"{result.out_dir}; the other {missing} are not marked failed: rerun the same command "
            "with a working cluster to compute them (finished runs are skipped)"
        )


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: grid values (key path -> value) and a seed, named by a stable run_id."""

    run_id: str
    params: dict[str, GridValue]
    seed: int

    @property
    def overrides(self) -> list[str]:
        """The grid values as scenario overrides ``"key.path=value"``."""
        return [f"{key}={format_value(value)}" for key, value in self.params.items()]


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep` (or of a stopped one, via ``SweepInterrupted.result``).

    Attributes:
        out_dir: the sweep folder.
        total: number of distinct runs in the sweep.
        computed: runs computed successfully by this call.
        skipped: runs already finished before this call (found in ``runs/``).
        failed: runs that raised in this call (recorded in ``failures/``).
        summary: one row per run (see module docstring); also in ``summary.parquet``.
        counts: runs per status now: "done", "failed", "missing" (missing only if stopped early).
        lost: runs of this call lost to the infrastructure and not finished (left "missing").
    """

    out_dir: Path
    total: int
    computed: int
    skipped: int
    failed: int
    summary: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    lost: int = 0

    @property
    def runs_path(self) -> Path:
        """Path of the combined per-period table (one row per run per period)."""
        return self.out_dir / "runs.parquet"

    @property
    def runs(self) -> pd.DataFrame:
        """The combined per-period table, read from ``runs.parquet``."""
        return pd.read_parquet(self.runs_path)


# --- the scenario, read once -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario file's text as the calling process read it, once: what every run of a sweep uses.

    Workers receive this object with each task (a few kB), never the path, so the file on disk can
    change or be missing on a remote machine without affecting the sweep.

    Attributes:
        path: the file's absolute path (named in messages and recorded in sweep.json).
        text: its contents, UTF-8.
    """

    path: str
    text: str

    @property
    def sha256(self) -> str:
        """Hex sha256 of the file's bytes (recorded in sweep.json; a resume compares it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        """The file's stem, e.g. ``baseline`` (labels only)."""
        return Path(self.path).stem

    def load(self, overrides: Sequence[str] = ()) -> Scenario:
        """Parse and validate the text with ``overrides`` (as :func:`marketsim.config.scenario.load_scenario`).

        Raises:
            ScenarioError: TOML syntax error (line, column), nesting too deep, or invalid content.
        """
        try:
            data = tomllib.loads(self.text)
            return scenario_from_dict(data, source=self.path, overrides=overrides)
        except tomllib.TOMLDecodeError as err:
            raise ScenarioError(self.path, [_toml_syntax_problem(err)]) from None
        except RecursionError:
            raise ScenarioError(
                self.path, ["arrays or tables are nested too deeply to read; a scenario needs at most a few levels"]
            ) from None


def read_scenario(path: str | Path) -> ScenarioSource:
    """Read a scenario file once (text only; :meth:`ScenarioSource.load` validates it).

    Raises:
        ScenarioError: the file is missing, a folder, unreadable (permissions, I/O) or not UTF-8.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), ["no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), ["is a directory, not a scenario file"]) from None
    except PermissionError:
        raise ScenarioError(str(path), ["cannot read the file: permission denied"]) from None
    except OSError as err:
        raise ScenarioError(str(path), [f"cannot read the file: {err.strerror or err}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(str(path), [f"byte {err.start}: not UTF-8 text"]) from None
    return ScenarioSource(str(file.resolve()), text)


#: A run function: (scenario, overrides "key.path=value", seed) -> (per-period table, headline
#: numbers). It runs on a dask worker, so it must be picklable (a module-level function), and it
#: must take the scenario from its argument, never from the file.
RunFn = Callable[[ScenarioSource, Sequence[str], int], "tuple[pd.DataFrame, Mapping[str, Any]]"]


# --- grid and run specs ------------------------------------------------------------------------


def parse_value(text: str) -> GridValue:
    """Parse one grid value: int, then float, then true/false, else the text itself."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def format_value(value: GridValue) -> str:
    """Format a grid value for an override string (round-trips floats exactly)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def parse_grid(specs: Sequence[str]) -> dict[str, list[GridValue]]:
    """Parse ``--grid`` specs ``"key.path=v1,v2,..."`` into {key path: [values]}.

    Values are numbers where every value of a spec parses as one (ints stay ints), booleans if all
    are true/false, else strings; one type family per key keeps the table columns typed.

    Raises:
        ValueError: naming the spec, for a missing ``=``, a bad key path, an empty value, a
            duplicated value, a non-finite number or a key given twice.
    """
    grid: dict[str, list[GridValue]] = {}
    for spec in specs:
        key, sep, values_text = (part.strip() for part in spec.partition("="))
        if not sep or not _KEY_PATH.match(key):
            raise ValueError(f"--grid {spec!r}: {_GRID_FORMAT}")
        texts = [v.strip() for v in values_text.split(",")]
        if any(not t for t in texts):
            raise ValueError(f"--grid {spec!r}: empty value in {values_text!r}; {_GRID_FORMAT}")
        if len(set(texts)) != len(texts):
            raise ValueError(f"--grid {spec!r}: a value is repeated; give each value once")
        if key in grid:
            raise ValueError(f"--grid {spec!r}: key {key!r} is given twice; list all values in one spec")
        values = _parse_values(texts)
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ValueError(f"--grid {spec!r}: values must be finite numbers (no nan or inf)")
        grid[key] = values
    return grid


def _parse_values(texts: list[str]) -> list[GridValue]:
    """Parse the values of one key; mixed families fall back to strings (see parse_grid)."""
    values = [parse_value(t) for t in texts]
    if all(isinstance(v, bool) for v in values):
        return values
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return values
    return texts


def make_run_id(params: Mapping[str, GridValue], seed: int) -> str:
    """Stable short id of a run: hash of the sorted (key, value) pairs and the seed."""
    payload = json.dumps({"params": sorted(params.items()), "seed": seed}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:_RUN_ID_LENGTH]


def resolve_seeds(seeds: int | Sequence[int], base_seed: int = 0) -> list[int]:
    """Seeds of a sweep: ``range(seeds)`` offset by ``base_seed`` (meta.seed), or the list given.

    Raises:
        ValueError: for a count below 1, an empty or repeated list, or a negative seed.
    """
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds: number of seeds must be >= 1, got {seeds}")
        check_run_count(seeds, f"{seeds} seeds")
        return [base_seed + i for i in range(seeds)]
    resolved = [int(s) for s in seeds]
    if not resolved or len(set(resolved)) != len(resolved) or min(resolved) < 0:
        raise ValueError(f"seeds: expected distinct integers >= 0, got {list(seeds)}")
    return resolved


def check_run_count(runs: int, design: str) -> None:
    """Raise ValueError if a design of ``runs`` runs exceeds :data:`MAX_RUNS` (checked before the
    runs are listed, so a mistyped count fails at once instead of filling memory)."""
    if runs > MAX_RUNS:
        raise ValueError(
            f"{design} make {runs:,} runs; one sweep folder holds at most {MAX_RUNS:,}: "
            "use fewer values or seeds, or split the design over several --out folders"
        )


def sweep_runs(
    grid: Mapping[str, Sequence[GridValue]], seeds: int | Sequence[int], base_seed: int = 0
) -> list[RunSpec]:
    """Cartesian product of the grid values x seeds, in grid order then seed order.

    Args:
        grid: {key path: values}; an empty grid gives one configuration (replications only).
        seeds: a number of seeds (``range(seeds)`` offset by ``base_seed``) or an explicit list.
        base_seed: the scenario's meta.seed.
    """
    seed_list = resolve_seeds(seeds, base_seed)
    keys = list(grid)
    check_run_count(math.prod(len(grid[k]) for k in keys) * len(seed_list),
                    f"the grid ({' x '.join(str(len(grid[k])) for k in keys) or '1'} values) x {len(seed_list)} seeds")
    return [
        RunSpec(make_run_id(params, seed), params, seed)
        for combo in itertools.product(*(grid[k] for k in keys))
        for params in [dict(zip(keys, combo, strict=True))]
        for seed in seed_list
    ]


# --- the default run function (runs on a worker) -------------------------------------------------


def run_one(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """Validate the shipped scenario with overrides and run it once (no progress bar: on a worker).

    Returns:
        The model table (one row per period, model.csv columns) and the summary numbers.
    """
    result = run_scenario(scenario.load(overrides), seed=seed, progress=False)
    return result.model, dict(result.summary)


def _run_remote(run_fn: RunFn, scenario: ScenarioSource, overrides: list[str], seed: int) -> dict[str, Any]:
    """Worker side: call run_fn and turn an exception into a record (formatted where it happened)."""
    try:
        table, summary = run_fn(scenario, overrides, seed)
        if not isinstance(table, pd.DataFrame) or not isinstance(summary, Mapping):
            raise TypeError(
                "run function must return (pandas.DataFrame, mapping), got "
                f"({type(table).__name__}, {type(summary).__name__})"
            )
        return {"ok": True, "table": table, "summary": dict(summary)}
    except Exception as exc:  # any run error is data for failures/, not a reason to stop the sweep
        return _error_record(exc)


def _error_record(exc: BaseException) -> dict[str, Any]:
    """Error type, message and formatted traceback of an exception."""
    return {
        "ok": False,
        "error_type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


# --- files -------------------------------------------------------------------------------------


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` by calling ``write`` on a temporary file in the same folder, then
    os.replace: readers (and a resumed sweep) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # os.open with 0o666 (not tempfile.mkstemp's 0o600): the file gets the user's umask
            # permissions, like every other file marketsim writes.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (numpy scalars become Python numbers)."""
    text = json.dumps(data, indent=2, default=_json_default) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text))


def write_parquet(path: Path, table: pd.DataFrame) -> None:
    """Write a DataFrame to parquet atomically, without the index."""
    atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays -> Python; anything else -> str (summaries are for reading)."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _run_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "runs" / f"{run_id}.parquet"


def _summary_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "summaries" / f"{run_id}.json"


def _failure_file(out_dir: Path, run_id: str) -> Path:
    return out_dir / "failures" / f"{run_id}.json"


def _record_outcome(out_dir: Path, spec: RunSpec, outcome: dict[str, Any]) -> Status:
    """Write one finished run (summary before table: a table on disk means the run is complete)."""
    described = {"run_id": spec.run_id, "seed": spec.seed, "params": spec.params}
    if not outcome["ok"]:
        failure = {**described, "overrides": spec.overrides}
        failure.update({k: outcome[k] for k in ("error_type", "message", "traceback")})
        write_json(_failure_file(out_dir, spec.run_id), failure)
        return "failed"
    write_json(_summary_file(out_dir, spec.run_id), {**described, "summary": outcome["summary"]})
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
    return json.loads(json.dumps(manifest, default=_json_default))


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
            write_json(tmp / _RECORD, record)
    except (OSError, ValueError) as err:
        raise SweepOutputError(f"cannot create the sweep folder {out_dir}: {err}") from None


# --- the cluster ---------------------------------------------------------------------------------


def check_cluster_options(workers: int | None, scheduler: str | None, dashboard: bool = False) -> None:
    """Refuse both options together, fewer than one worker, a malformed scheduler address, or a
    dashboard that cannot be served.

    Raises:
        ValueError: naming the option and what is expected.
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either --workers (a local cluster) or --scheduler (a running one), not both")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    if scheduler is not None:
        _scheduler_host_port(scheduler)
    if dashboard and scheduler is not None:
        raise ValueError("--dashboard is for the local cluster; a running scheduler (--scheduler) serves its own")
    if dashboard and importlib.util.find_spec("bokeh") is None:
        raise ValueError("--dashboard: the dask dashboard needs the bokeh package: pip install 'bokeh>=3.1'")


def _scheduler_host_port(address: str) -> tuple[str, int]:
    """(host, port) of ``tcp://host:port`` (or tls://); ValueError naming the expected form."""
    match = _SCHEDULER_ADDRESS.match(address)
    if not match or not 0 < int(match[3]) < 65536:
        raise ValueError(
            f"--scheduler {address!r}: expected tcp://host:port with a port 1-65535 "
            "(e.g. tcp://127.0.0.1:8786, as printed by `dask scheduler`)"
        )
    return match[2].strip("[]"), int(match[3])


def _connect(address: str) -> Client:
    """A Client of the scheduler at ``address``; ValueError if it cannot be reached in time.

    A plain TCP connection is tried first, so a refused port fails at once instead of after
    dask's connection retries.
    """
    host, port = _scheduler_host_port(address)
    hint = "start one with `dask scheduler`, or leave out --scheduler to use local worker processes"
    try:
        socket.create_connection((host, port), timeout=SCHEDULER_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ValueError(f"cannot reach the dask scheduler at {address}: {exc.strerror or exc}; {hint}") from None
    try:
        with _quiet_logs():
            return Client(address, timeout=f"{SCHEDULER_CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"cannot connect to the dask scheduler at {address}: {exc}; {hint}") from None


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes are spawned, so they inherit "ignore".

    Ctrl-C in a terminal goes to the whole process group; the workers would die with tracebacks
    while this process is still saving finished runs. This process handles Ctrl-C and closes them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be changed from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextmanager
def _remember_interrupts() -> Iterator[list[BaseException]]:
    """Record what the installed SIGINT/SIGTERM/SIGHUP handlers raise, so the polling loop can
    raise it again if Python swallowed it (an exception raised inside a ``__del__`` method or a
    weakref callback is only printed as "Exception ignored in ...").

    Only handlers that are Python callables are wrapped (the default KeyboardInterrupt one, or the
    command line's); the block yields the list of exceptions raised so far.
    """
    caught: list[BaseException] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous: dict[int, Any] = {}

    def relay(signum: int, frame: Any) -> None:
        try:
            previous[signum](signum, frame)
        except BaseException as exc:
            caught.append(exc)
            raise

    for signum in _STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if callable(handler):
            previous[signum] = handler
            signal.signal(signum, relay)
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


#: Loggers that report a closing or lost connection as an error with a traceback (CommClosedError,
#: "Task exception was never retrieved"); expected when a sweep stops or its cluster goes away.
_NOISY_LOGGERS = ("distributed", "asyncio", "tornado")


@contextmanager
def _quiet_logs(level: int = logging.CRITICAL + 1, families: Sequence[str] = _NOISY_LOGGERS) -> Iterator[None]:
    """Raise the level of the loggers of ``families`` (distributed's, asyncio's...) to ``level``.

    The default silences them entirely: this process says itself, in one message, what happened.
    """
    # distributed's logging config sets levels on child loggers (distributed.client, ...), which
    # then ignore their parent's level: raise every existing one of the family.
    names = [
        name for name in [*families, *logging.root.manager.loggerDict]
        if name.split(".")[0] in families
    ]
    loggers = [logging.getLogger(name) for name in dict.fromkeys(names)]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, old in zip(loggers, previous, strict=True):
            logger.setLevel(old)


def local_cluster(workers: int | None, dashboard: bool) -> LocalCluster:
    """A cluster of single-threaded worker processes that listens on 127.0.0.1 only.

    One thread per worker: a run is pure Python/numpy and holds the GIL. The dashboard is off
    unless asked for. The scheduler always runs a small HTTP server (health and metrics routes):
    on 127.0.0.1 and a free port, so concurrent sweeps do not compete for dask's default 8787.
    """
    try:
        with _sigint_ignored():
            return LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0" if dashboard else None, worker_dashboard_address=None,
                scheduler_kwargs={"dashboard": dashboard, "dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,  # cancelled-task warnings on Ctrl-C are expected
            )
    except (OSError, TimeoutError, RuntimeError) as exc:
        raise ValueError(f"cannot start a local dask cluster: {exc}") from None


@contextmanager
def dask_client(
    workers: int | None = None, scheduler: str | None = None, dashboard: bool = False
) -> Iterator[Client]:
    """A dask Client: on a new LocalCluster of ``workers`` single-threaded processes on 127.0.0.1
    (None: one per core), or connected to a running scheduler at ``scheduler`` (``tcp://host:port``).

    Args:
        dashboard: serve the dask dashboard of a local cluster on 127.0.0.1 (``client.dashboard_link``).

    Raises:
        ValueError: both given, workers < 1, a malformed address, or the scheduler cannot be reached.
    """
    check_cluster_options(workers, scheduler, dashboard)
    cluster = None
    if scheduler is not None:
        client = _connect(scheduler)
    else:
        cluster = local_cluster(workers, dashboard)
        try:
            client = Client(cluster)
        except BaseException:
            with _quiet_logs():
                cluster.close()
            raise
    try:
        # asyncio's "Task exception was never retrieved" is always distributed's internal noise
        with _quiet_logs(logging.ERROR, ("distributed", "tornado")), _quiet_logs(families=("asyncio",)):
            yield client
    finally:
        _close_quietly(client, cluster)


def _close_quietly(client: Client, cluster: LocalCluster | None) -> None:
    """Close the client and cluster without distributed's connection-closed tracebacks.

    Ends with a garbage collection while still quiet: asyncio reports a failed task that nobody
    awaited ("Task exception was never retrieved", e.g. a gather cut short) only when it is freed.
    """
    with _quiet_logs():
        try:
            client.close(timeout=10)
        except Exception:  # noqa: BLE001 - a failing close must not hide why the sweep stopped
            pass
        if cluster is not None:
            try:
                cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass
        gc.collect()


class _Watchdog:
    """Notices a cluster that can make no progress: no worker connected, or the scheduler gone.

    Busy workers are healthy however long a run takes; only the absence of any worker (or of the
    scheduler) for ``timeout`` seconds counts as a stall.
    """

    def __init__(self, client: Client, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self.last_healthy = time.monotonic()
        self.next_probe = 0.0
        self.problem = "no worker is connected"

    def healthy(self) -> None:
        """Record that the cluster just delivered a run."""
        self.last_healthy = time.monotonic()

    def check(self) -> None:
        """Probe the scheduler (at most once per second).

        Raises:
            ClusterStalled: the client was closed (scheduler lost for good), or the cluster has
                been unhealthy for longer than ``timeout``.
        """
        now = time.monotonic()
        if now >= self.next_probe:
            self.next_probe = now + _HEALTH_SECONDS
            problem = _cluster_problem(self.client)
            if problem is None:
                self.last_healthy = now
                return
            self.problem = problem
            if self.client.status in ("closing", "closed"):
                raise ClusterStalled(f"lost the connection to the dask scheduler ({problem})")
        if now - self.last_healthy > self.timeout:
            raise ClusterStalled(
                f"the dask cluster stalled: {self.problem} for {self.timeout:g} s (the stall timeout)"
            )


def _cluster_problem(client: Client) -> str | None:
    """Why the cluster cannot run anything now, or None if a worker is connected."""
    address = getattr(client.scheduler, "address", "?")
    if client.status != "running":
        return f"the scheduler at {address} is unreachable"
    try:
        info = client.sync(client.scheduler.identity, n_workers=0, callback_timeout=_HEALTH_SECONDS * 5)
    except (OSError, TimeoutError, CancelledError):
        return f"the scheduler at {address} does not answer"
    if not info.get("n_workers"):
        return f"no worker is connected to the scheduler at {address}"
    return None


# --- running -----------------------------------------------------------------------------------


@contextmanager
def _progress_bar(enabled: bool, total: int, skipped: int, label: str, unit: str) -> Iterator[Callable[[], None]]:
    """A rich progress bar (stderr) counting finished runs; yields a function advancing it by one.

    Args:
        label: what runs, e.g. ``sweep baseline`` (shown escaped: names may contain rich markup).
        unit: what is counted, e.g. ``runs``.
    """
    if not enabled:
        yield lambda: None
        return
    columns = (
        TextColumn(f"[bold]{escape(label)}:[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(escape(f"{unit} ({skipped} already done)")),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def run_specs(
    scenario: ScenarioSource,
    specs: Sequence[RunSpec],
    out_dir: str | Path,
    manifest: Mapping[str, Any],
    *,
    overrides: Sequence[str] = (),
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    run_fn: RunFn | None = None,
    on_summary: Callable[[Mapping[str, Any]], None] | None = None,
    force: bool = False,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    dashboard: bool = False,
    label: str = "sweep",
    unit: str = "runs",
    columns: ColumnsInfo | None = None,
) -> SweepResult:
    """Run every spec whose table is not in ``out_dir/runs`` yet, then combine the outputs.

    The machinery behind :func:`run_sweep` and Sobol sensitivity. Nothing is written until the
    output folder is judged (:func:`plan_output`) and the cluster is up; ``manifest`` is then
    written to (or was checked against) ``sweep.json``. ``overrides`` apply to every run before its
    own; ``on_summary`` is called with each new run's summary and may raise to stop the sweep;
    ``columns`` says how columns.csv describes the combined tables.

    Raises:
        SweepInterrupted: on Ctrl-C, after saving finished runs and combining.
        SweepIncomplete: the cluster stalled or went away (finished runs saved, others "missing").
        SweepOutputError, SweepMismatchError: the output path cannot be used (nothing written).
        ValueError: bad cluster options, the scheduler cannot be reached, or a bad stall timeout.
    """
    out_dir = Path(out_dir)
    check_stall_timeout(stall_timeout)
    check_cluster_options(workers, scheduler, dashboard)
    plan = plan_output(out_dir, manifest, force)
    unique = list({s.run_id: s for s in specs}.values())
    todo = [s for s in unique if plan != "resume" or run_status(out_dir, s.run_id) != "done"]
    tally: Counter[str] = Counter()
    lost: list[str] = []
    stop: BaseException | None = None
    opened = plan == "resume"
    try:
        if todo:
            with dask_client(workers, scheduler, dashboard) as client:
                open_output(out_dir, manifest, plan)
                opened = True
                if dashboard and progress:
                    Console(stderr=True).print(f"dask dashboard: {escape(str(client.dashboard_link))}")
                with _progress_bar(progress, len(todo), len(unique) - len(todo), label, unit) as advance:

                    def finished(status: Status, summary: Mapping[str, Any] | None) -> None:
                        tally[status] += 1
                        advance()
                        if on_summary is not None and summary is not None:
                            on_summary(summary)

                    lost = _compute(client, scenario, todo, out_dir, overrides, run_fn or run_one,
                                    finished, stall_timeout)
    except KeyboardInterrupt as exc:
        stop = exc
    except ClusterStalled as exc:
        stop = exc
    finally:
        summary_table = combine_outputs(out_dir, unique, columns) if opened else pd.DataFrame()
    if not opened:  # interrupted before anything was written
        if stop is not None:
            raise stop
    counts = summary_table["status"].value_counts().to_dict() if len(summary_table) else {}
    result = SweepResult(
        out_dir=out_dir,
        total=len(unique),
        computed=tally["done"],
        skipped=len(unique) - len(todo),
        failed=tally["failed"],
        summary=summary_table,
        counts={str(k): int(v) for k, v in counts.items()},
        lost=len(lost),
    )
    if isinstance(stop, KeyboardInterrupt):
        raise SweepInterrupted(result) from None
    if stop is not None:
        raise SweepIncomplete(result, str(stop)) from None
    if lost:
        shown = ", ".join(lost[:3]) + (", ..." if len(lost) > 3 else "")
        raise SweepIncomplete(
            result,
            f"{len(lost)} runs were lost to the cluster ({shown}): the workers running them died "
            "(dask's KilledWorker, after its retries) or their results could not be fetched; a run "
            "that kills its worker may need more memory than a worker has",
        )
    return result


def check_stall_timeout(seconds: float) -> None:
    """Raise ValueError unless the stall timeout is a finite number of seconds > 0."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"--stall-timeout must be a number of seconds > 0, got {seconds!r}")


class _Lost(Exception):
    """A run's task was lost to the infrastructure (not to an error of the run)."""

    def __init__(self, killed_workers: bool) -> None:
        super().__init__()
        self.killed_workers = killed_workers


def _compute(
    client: Client,
    scenario: ScenarioSource,
    todo: Sequence[RunSpec],
    out_dir: Path,
    overrides: Sequence[str],
    run_fn: RunFn,
    finished: Callable[[Status, Mapping[str, Any] | None], None],
    stall_timeout: float,
) -> list[str]:
    """Submit the runs, write each as it completes and report it to ``finished``.

    A run lost to the infrastructure (cancelled because the scheduler connection dropped, its
    result gone with its worker) is resubmitted once the client is connected, up to
    ``_MAX_RESUBMITS`` times; one that killed its workers (KilledWorker) is not. On Ctrl-C the
    runs that completed meanwhile are kept; what is still pending is always cancelled.

    Returns:
        The run_ids lost for good in this call (they stay "missing", not "failed").

    Raises:
        ClusterStalled: from the watchdog.
    """

    def submit(spec: RunSpec) -> Any:
        return client.submit(_run_remote, run_fn, scenario, [*overrides, *spec.overrides], spec.seed,
                             pure=False)

    pending = {submit(s): s for s in todo}
    queue = as_completed(list(pending))
    parked: list[RunSpec] = []  # lost, to resubmit when the client is connected
    resubmits: Counter[str] = Counter()
    lost: list[str] = []
    # Handled futures stay referenced until the end: a Future's __del__ runs in this thread, and a
    # Ctrl-C landing inside a __del__ would be swallowed by Python ("Exception ignored in").
    handled: list[Any] = []
    watchdog = _Watchdog(client, stall_timeout)
    with _remember_interrupts() as interrupts:
        try:
            while pending or parked:
                if interrupts:
                    raise interrupts[0]
                if parked and client.status == "running":
                    for spec in parked:
                        future = submit(spec)
                        pending[future] = spec
                        queue.add(future)
                    parked.clear()
                batch = queue.next_batch(block=False)
                if not batch:
                    watchdog.check()
                    time.sleep(_POLL_SECONDS)
                    continue
                handled.extend(batch)
                for future in batch:
                    spec = pending.pop(future)
                    try:
                        outcome = _future_outcome(future, stall_timeout)
                    except _Lost as why:
                        if why.killed_workers or resubmits[spec.run_id] >= _MAX_RESUBMITS:
                            lost.append(spec.run_id)
                        else:
                            resubmits[spec.run_id] += 1
                            parked.append(spec)
                        continue
                    watchdog.healthy()
                    finished(_record_outcome(out_dir, spec, outcome), outcome.get("summary"))
        except KeyboardInterrupt:
            for future in [f for f in pending if f.status == "finished"]:
                try:
                    outcome = _future_outcome(future, _HEALTH_SECONDS)
                except _Lost:
                    continue
                finished(_record_outcome(out_dir, pending.pop(future), outcome), None)
            raise
        finally:
            if pending and client.status == "running":
                with _quiet_logs():
                    try:
                        client.cancel(list(pending))
                    except Exception:  # noqa: BLE001 - the cluster may be going away; we stop anyway
                        pass
    return lost


def _future_outcome(future: Any, timeout: float) -> dict[str, Any]:
    """The worker's record, or an error record for a task dask itself failed.

    Raises:
        _Lost: the task was cancelled (scheduler connection lost), its workers died (KilledWorker),
            the connection closed, or its result could not be fetched within ``timeout`` seconds.
    """
    if future.status == "cancelled":
        raise _Lost(killed_workers=False)
    try:
        return future.result(timeout=timeout)
    except KilledWorker:
        raise _Lost(killed_workers=True) from None
    except (CancelledError, CommClosedError, TimeoutError):
        raise _Lost(killed_workers=False) from None
    except Exception as exc:
        return _error_record(exc)


def validate_overrides(
    scenario: ScenarioSource, specs: Sequence[RunSpec], overrides: Sequence[str] = ()
) -> None:
    """Validate the scenario with each distinct set of overrides, and with the largest seed, so a
    bad key, value or seed stops the sweep before any cluster starts (raises ScenarioError)."""
    for combo in {tuple(s.overrides) for s in specs}:
        scenario.load([*overrides, *combo])
    if specs:
        scenario.load([*overrides, f"meta.seed={max(s.seed for s in specs)}"])


def scenario_seed(scenario: ScenarioSource, overrides: Sequence[str] = ()) -> int:
    """The scenario's meta.seed (after overrides): the first seed of a sweep given a seed count."""
    return int(scenario.load(list(overrides)).meta.seed)


def run_sweep(
    scenario_path: str | Path,
    grid: Mapping[str, Sequence[GridValue]],
    seeds: int | Sequence[int],
    out_dir: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    run_fn: RunFn | None = None,
    *,
    overrides: Sequence[str] = (),
    force: bool = False,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    dashboard: bool = False,
) -> SweepResult:
    """Run a scenario over a grid of overrides x seeds on dask, resumably, into ``out_dir``.

    Args:
        scenario_path: the scenario TOML file, read once here (workers get its text).
        grid: {key path: values}, e.g. from :func:`parse_grid`; every combination is run.
        seeds: a number of seeds (meta.seed, meta.seed + 1, ...) or an explicit list.
        out_dir: the sweep folder (see the module docstring); reuse it to resume.
        workers: local worker processes (None: one per core); exclusive with ``scheduler``.
        scheduler: address of a running dask scheduler, ``tcp://host:port``.
        progress: show a progress bar of finished runs (stderr).
        run_fn: (scenario, overrides, seed) -> (table, summary); default :func:`run_one`
            (which also makes every run's overrides be validated before the cluster starts).
        overrides: ``"key.path=value"`` applied to every run before the grid values.
        force: replace ``out_dir`` if it holds another sweep or other marketsim output (a folder
            marketsim wrote, and only such a folder), starting over instead of resuming.
        stall_timeout: seconds with no worker connected (or no scheduler) before the sweep stops
            with :class:`SweepIncomplete`.
        dashboard: serve the dask dashboard of the local cluster on 127.0.0.1.

    Returns:
        Counts of computed / skipped / failed runs and the summary table.

    Raises:
        SweepInterrupted: on Ctrl-C (finished runs are kept; rerun to resume).
        SweepIncomplete: the cluster stalled or went away (finished runs are kept; rerun to resume).
        SweepMismatchError: ``out_dir`` holds a different sweep, or the scenario file changed.
        SweepOutputError: ``out_dir`` is a file, symlink or foreign folder, or cannot be created.
        ScenarioError: the file cannot be read, or a run's overrides are invalid.
    """
    scenario = read_scenario(scenario_path)
    base_seed = scenario_seed(scenario, overrides) if isinstance(seeds, int) else 0
    specs = sweep_runs(grid, seeds, base_seed)
    if run_fn is None:
        validate_overrides(scenario, specs, overrides)
    manifest = sweep_manifest(
        "sweep", scenario, overrides, grid={k: list(v) for k, v in grid.items()},
        seeds=sorted({s.seed for s in specs}),
    )
    return run_specs(
        scenario, specs, out_dir, manifest, overrides=overrides, workers=workers,
        scheduler=scheduler, progress=progress, run_fn=run_fn, force=force,
        stall_timeout=stall_timeout, dashboard=dashboard, label=f"sweep {scenario.name}",
        columns=columns_info(scenario, overrides, grid, run_fn),
    )


def columns_info(
    scenario: ScenarioSource, overrides: Sequence[str], varied: Collection[str], run_fn: RunFn | None
) -> ColumnsInfo:
    """How columns.csv describes a sweep's tables: strict for the default run function; the
    period length unless ``varied`` (grid or sampled keys) changes it."""
    if run_fn is not None:
        return ColumnsInfo(None, strict=False)
    if any(re.sub(r"\[(\d+)\]", r".\1", key) == "meta.periods_per_year" for key in varied):
        return ColumnsInfo(None, strict=True)
    return ColumnsInfo(int(scenario.load(list(overrides)).meta.periods_per_year), strict=True)
