"""Parameter sweeps: a grid of scenario overrides x seeds, run on dask.distributed, resumable.

Every run is one scenario (with overrides ``"key.path=value"``) and one seed. Runs go to a local
process cluster or to a running dask scheduler; the parent process writes each finished run at once,
so an interrupted sweep keeps its work and a rerun with the same arguments computes only what is
missing (and retries failures).

The scenario file is read once, by the calling process, and validated there; its text travels with
every task (:class:`ScenarioSource`), so workers never open the file: editing it while a sweep runs
cannot change the sweep, and a remote cluster needs no shared filesystem. ``sweep.json`` records the
text's sha256; resuming refuses a file whose contents changed since (``force`` starts over).

The pieces: :mod:`~marketsim.experiments.batch.parameters` (grid, seeds, run ids),
:mod:`~marketsim.experiments.batch.source` (the scenario read once, the run function),
:mod:`~marketsim.experiments.batch.store` (the folder layout, per-run files, sweep.json),
:mod:`~marketsim.experiments.batch.cluster` (dask) and :mod:`~marketsim.experiments.batch.execute`
(submitting and collecting runs). This module ties them together.

Every argument is checked, the output path judged and the cluster reached before anything is
written. A run lost to the infrastructure (its worker died, the scheduler went away) is resubmitted
or left "missing" for a rerun, never recorded as failed; a cluster with no worker (or no scheduler)
for ``stall_timeout`` seconds stops the sweep with :class:`SweepIncomplete`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn

from marketsim.experiments.batch.cluster import (
    DEFAULT_STALL_TIMEOUT,
    ClusterStalled,
    check_cluster_options,
    check_stall_timeout,
    dask_client,
)
from marketsim.experiments.batch.execute import compute_runs
from marketsim.experiments.batch.parameters import GridValue, RunSpec, sweep_runs
from marketsim.experiments.batch.source import (
    RunFn,
    ScenarioSource,
    read_scenario,
    run_one,
    scenario_seed,
    validate_overrides,
)
from marketsim.experiments.batch.store import (
    ColumnsInfo,
    Status,
    columns_info,
    combine_outputs,
    open_output,
    plan_output,
    run_status,
    sweep_manifest,
)


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

                    lost = compute_runs(client, scenario, todo, out_dir, overrides, run_fn or run_one,
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
        grid: {key path: values}, e.g. from :func:`marketsim.config.keypaths.parse_list_specs`; every combination is run.
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
