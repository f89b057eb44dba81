"""Parameter sweeps: a grid of scenario overrides x seeds, run on dask.distributed, resumable.

Every run is one scenario (with overrides ``"key.path=value"``) and one seed. Runs go to a local
process cluster or to a running dask scheduler; the parent process writes each finished run at once,
so an interrupted sweep keeps its work and a rerun with the same arguments computes only what is
missing (and retries failures).

Layout of a sweep folder ``OUT``::

    sweep.json                the arguments; a rerun into OUT must match them
    runs/<run_id>.parquet     one row per period of one run (run_id, grid values, seed, model.csv columns)
    summaries/<run_id>.json   the run's headline numbers (summary.json of a single run)
    failures/<run_id>.json    error type, message, traceback and parameters of a run that raised
    runs.parquet              every finished run: one row per run per period
    summary.parquet           one row per run: run_id, grid values, seed, status, error, summary numbers

On a remote cluster (``scheduler="tcp://host:port"``) the workers open the scenario file by its
absolute path, so it must be readable there too (shared filesystem); outputs are written only by the
calling process.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import signal
import tempfile
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from distributed import Client, LocalCluster, as_completed
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn

import marketsim
from marketsim.experiments.run import run_scenario
from marketsim.scenario import load_scenario

#: A run function: (scenario file path, overrides "key.path=value", seed) -> (per-period table,
#: headline numbers). It runs on a dask worker, so it must be picklable (a module-level function).
RunFn = Callable[[str, Sequence[str], int], "tuple[pd.DataFrame, Mapping[str, Any]]"]

GridValue = int | float | bool | str
Status = Literal["done", "failed", "missing"]

_KEY_PATH = re.compile(r"^[A-Za-z_]\w*(\.\w+|\[\d+\])*$")
_GRID_FORMAT = "expected key.path=v1,v2,... (e.g. hardware.growth_per_year=1.2,1.35)"
_RUN_ID_LENGTH = 12  # hex digits of sha256: 48 bits, no collisions in any realistic sweep


class SweepMismatchError(ValueError):
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
    """Outcome of :func:`run_sweep` (or of an interrupted one, via ``SweepInterrupted.result``).

    Attributes:
        out_dir: the sweep folder.
        total: number of distinct runs in the sweep.
        computed: runs computed successfully by this call.
        skipped: runs already finished before this call (found in ``runs/``).
        failed: runs that raised in this call (recorded in ``failures/``).
        summary: one row per run (see module docstring); also in ``summary.parquet``.
        counts: runs per status now: "done", "failed", "missing" (missing only if interrupted).
    """

    out_dir: Path
    total: int
    computed: int
    skipped: int
    failed: int
    summary: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def runs_path(self) -> Path:
        """Path of the combined per-period table (one row per run per period)."""
        return self.out_dir / "runs.parquet"

    @property
    def runs(self) -> pd.DataFrame:
        """The combined per-period table, read from ``runs.parquet``."""
        return pd.read_parquet(self.runs_path)


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
            duplicated value or a key given twice.
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
        grid[key] = _parse_values(texts)
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
        return [base_seed + i for i in range(seeds)]
    resolved = [int(s) for s in seeds]
    if not resolved or len(set(resolved)) != len(resolved) or min(resolved) < 0:
        raise ValueError(f"seeds: expected distinct integers >= 0, got {list(seeds)}")
    return resolved


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
    return [
        RunSpec(make_run_id(params, seed), params, seed)
        for combo in itertools.product(*(grid[k] for k in keys))
        for params in [dict(zip(keys, combo, strict=True))]
        for seed in seed_list
    ]


# --- the default run function (runs on a worker) -------------------------------------------------


def run_one(scenario_path: str, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """Load the scenario with overrides and run it once (no progress bar: it runs on a worker).

    Returns:
        The model table (one row per period, model.csv columns) and the summary numbers.
    """
    result = run_scenario(load_scenario(scenario_path, overrides), seed=seed, progress=False)
    return result.model, dict(result.summary)


def _run_remote(run_fn: RunFn, scenario_path: str, overrides: list[str], seed: int) -> dict[str, Any]:
    """Worker side: call run_fn and turn an exception into a record (formatted where it happened)."""
    try:
        table, summary = run_fn(scenario_path, overrides, seed)
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
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


def combine_outputs(out_dir: Path, specs: Sequence[RunSpec]) -> pd.DataFrame:
    """Combine what exists into runs.parquet and summary.parquet; returns the summary table."""
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


# --- the sweep manifest ------------------------------------------------------------------------


def sweep_manifest(kind: str, scenario_path: Path, overrides: Sequence[str], **arguments: Any) -> dict:
    """The arguments that define a sweep's runs, as recorded in ``sweep.json``."""
    return {
        "kind": kind,
        "scenario": str(scenario_path.resolve()),
        "scenario_sha256": hashlib.sha256(scenario_path.read_bytes()).hexdigest(),
        "overrides": list(overrides),
        **arguments,
    }


def check_manifest(out_dir: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``sweep.json``, or check that the one already in ``out_dir`` records the same sweep.

    Raises:
        SweepMismatchError: ``out_dir`` holds another sweep, or is a non-empty non-sweep folder.
    """
    path = out_dir / "sweep.json"
    wanted = json.loads(json.dumps(manifest, default=_json_default))
    if not path.exists():
        if out_dir.exists() and any(out_dir.iterdir()):
            raise SweepMismatchError(
                f"{out_dir} exists and is not a sweep folder (no sweep.json); choose a new --out"
            )
        write_json(path, {**wanted, "marketsim_version": marketsim.__version__})
        return
    recorded = json.loads(path.read_text())
    differing = [key for key in wanted if recorded.get(key) != wanted[key]]
    if differing:
        details = "; ".join(
            f"{key}: recorded {recorded.get(key)!r}, now {wanted[key]!r}" for key in differing
        )
        raise SweepMismatchError(
            f"{path} records a different sweep ({details}); its finished runs would not match. "
            f"Choose a new --out folder, or delete {out_dir} to start over"
        )


# --- running -----------------------------------------------------------------------------------


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


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A dask Client: on a new LocalCluster of ``workers`` single-threaded processes (None: one
    per core), or connected to a running scheduler at ``scheduler`` (``tcp://host:port``).

    Raises:
        ValueError: both given, workers < 1, or the scheduler cannot be reached.
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers (a local cluster) or scheduler (an address), not both")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValueError(
                f"cannot connect to dask scheduler {scheduler!r} (expected tcp://host:port): {exc}"
            ) from exc
    else:
        # One thread per worker: a run is pure Python/numpy and holds the GIL. The scheduler's
        # HTTP server takes a free port (":0"), so concurrent sweeps do not fight over 8787.
        with _sigint_ignored():
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.ERROR,  # cancelled-task warnings on Ctrl-C are expected
            )
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def _progress_bar(enabled: bool, total: int, skipped: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar (stderr) counting finished runs; yields a function advancing it by one."""
    if not enabled:
        yield lambda: None
        return
    columns = (
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(f"runs ({skipped} already done)"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("runs", total=total)
        yield lambda: bar.advance(task)


def run_specs(
    scenario_path: str | Path,
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
) -> SweepResult:
    """Run every spec whose table is not in ``out_dir/runs`` yet, then combine the outputs.

    The machinery behind :func:`run_sweep` and Sobol sensitivity: ``manifest`` is checked against
    (or written to) ``sweep.json``; ``overrides`` apply to every run before its own;
    ``on_summary`` is called with each new run's summary and may raise to stop the sweep.

    Raises:
        SweepInterrupted: on Ctrl-C, after saving finished runs and combining.
        SweepMismatchError: ``out_dir`` holds another sweep.
    """
    out_dir = Path(out_dir)
    check_manifest(out_dir, manifest)
    unique = list({s.run_id: s for s in specs}.values())
    todo = [s for s in unique if run_status(out_dir, s.run_id) != "done"]
    tally: Counter[str] = Counter()
    interrupted = False
    try:
        if todo:
            with dask_client(workers, scheduler) as client:
                with _progress_bar(progress, len(todo), len(unique) - len(todo)) as advance:

                    def finished(status: Status, summary: Mapping[str, Any] | None) -> None:
                        tally[status] += 1
                        advance()
                        if on_summary is not None and summary is not None:
                            on_summary(summary)

                    _compute(client, Path(scenario_path), todo, out_dir, overrides,
                             run_fn or run_one, finished)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        summary_table = combine_outputs(out_dir, unique)
    counts = summary_table["status"].value_counts().to_dict() if len(summary_table) else {}
    result = SweepResult(
        out_dir=out_dir,
        total=len(unique),
        computed=tally["done"],
        skipped=len(unique) - len(todo),
        failed=tally["failed"],
        summary=summary_table,
        counts={str(k): int(v) for k, v in counts.items()},
    )
    if interrupted:
        raise SweepInterrupted(result)
    return result


def _compute(
    client: Client,
    scenario_path: Path,
    todo: Sequence[RunSpec],
    out_dir: Path,
    overrides: Sequence[str],
    run_fn: RunFn,
    finished: Callable[[Status, Mapping[str, Any] | None], None],
) -> None:
    """Submit the runs, write each as it completes and report it to ``finished``; on Ctrl-C keep
    the runs that have completed meanwhile, and always cancel what is still pending."""
    path = str(scenario_path.resolve())
    pending = {
        client.submit(_run_remote, run_fn, path, [*overrides, *s.overrides], s.seed, pure=False): s
        for s in todo
    }
    try:
        for future in as_completed(list(pending)):
            outcome = _future_outcome(future)
            finished(_record_outcome(out_dir, pending.pop(future), outcome), outcome.get("summary"))
    except KeyboardInterrupt:
        for future in [f for f in pending if f.status == "finished"]:
            finished(_record_outcome(out_dir, pending.pop(future), _future_outcome(future)), None)
        raise
    finally:
        if pending:
            client.cancel(list(pending))


def _future_outcome(future: Any) -> dict[str, Any]:
    """The worker's record, or an error record for a task dask itself failed (e.g. KilledWorker)."""
    try:
        return future.result()
    except Exception as exc:
        return _error_record(exc)


def validate_overrides(
    scenario_path: str | Path, specs: Sequence[RunSpec], overrides: Sequence[str] = ()
) -> None:
    """Load the scenario with each distinct set of overrides, so a bad key or value stops the
    sweep before any cluster starts (raises the loader's ScenarioError)."""
    for combo in {tuple(s.overrides) for s in specs}:
        load_scenario(scenario_path, [*overrides, *combo])


def scenario_seed(scenario_path: str | Path, overrides: Sequence[str] = ()) -> int:
    """The scenario's meta.seed (after overrides): the first seed of a sweep given a seed count."""
    return int(load_scenario(scenario_path, list(overrides)).meta.seed)


def check_scenario_file(scenario_path: str | Path) -> Path:
    """The scenario path as a Path; raises FileNotFoundError naming it if it is not a file."""
    path = Path(scenario_path)
    if not path.is_file():
        raise FileNotFoundError(f"scenario file {str(path)!r} does not exist or is not a file")
    return path


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
) -> SweepResult:
    """Run a scenario over a grid of overrides x seeds on dask, resumably, into ``out_dir``.

    Args:
        scenario_path: the scenario TOML file.
        grid: {key path: values}, e.g. from :func:`parse_grid`; every combination is run.
        seeds: a number of seeds (meta.seed, meta.seed + 1, ...) or an explicit list.
        out_dir: the sweep folder (see the module docstring); reuse it to resume.
        workers: local worker processes (None: one per core); exclusive with ``scheduler``.
        scheduler: address of a running dask scheduler, ``tcp://host:port``.
        progress: show a progress bar of finished runs (stderr).
        run_fn: (scenario path, overrides, seed) -> (table, summary); default :func:`run_one`
            (which also makes the overrides be validated before the cluster starts).
        overrides: ``"key.path=value"`` applied to every run before the grid values.

    Returns:
        Counts of computed / skipped / failed runs and the summary table.

    Raises:
        SweepInterrupted: on Ctrl-C (finished runs are kept; rerun to resume).
        SweepMismatchError: ``out_dir`` holds a different sweep.
    """
    path = check_scenario_file(scenario_path)
    base_seed = scenario_seed(path, overrides) if isinstance(seeds, int) else 0
    specs = sweep_runs(grid, seeds, base_seed)
    if run_fn is None:
        validate_overrides(path, specs, overrides)
    manifest = sweep_manifest(
        "sweep", path, overrides, grid={k: list(v) for k, v in grid.items()},
        seeds=sorted({s.seed for s in specs}),
    )
    return run_specs(
        path, specs, out_dir, manifest, overrides=overrides, workers=workers,
        scheduler=scheduler, progress=progress, run_fn=run_fn,
    )

