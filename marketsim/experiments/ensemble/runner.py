"""``run_ensemble``: every scenario on every draw, on the batch runner's dask cluster, resumable.

The folder is a sweep folder of the batch store (marketsim-manifest.json, sweep.json with
kind "ensemble", ``runs/<run_id>.parquet`` and ``summaries/<run_id>.json`` per finished run,
``failures/`` for runs that raised), plus the ensemble's tables (:mod:`~.tables`, ``columns.csv``,
figures from the caller). Each run is written by the parent as soon as it finishes, so an
interrupted ensemble keeps its work; rerunning the same command computes only the missing runs,
and the tables are computed (streaming, from the files) once every run is finished.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from marketsim.experiments.batch.cluster import (
    DEFAULT_STALL_TIMEOUT,
    ClusterStalled,
    check_cluster_options,
    check_stall_timeout,
    dask_client,
)
from marketsim.experiments.batch.execute import compute_runs
from marketsim.experiments.batch.source import RunFn
from marketsim.experiments.batch.store import Status, open_output, plan_output, run_status
from marketsim.experiments.batch.sweep import SweepIncomplete, SweepInterrupted, SweepResult
from marketsim.experiments.ensemble.design import Design, make_design
from marketsim.experiments.ensemble.dictionary import write_columns
from marketsim.experiments.ensemble.outcomes import ensemble_run
from marketsim.experiments.ensemble.tables import write_tables

__all__ = ["EnsembleResult", "run_ensemble"]


@dataclass
class EnsembleResult(SweepResult):
    """A finished ensemble: the sweep counts plus ``design`` and ``tables`` (file name -> table)."""

    design: Design | None = None
    tables: dict[str, pd.DataFrame] | None = None


@contextmanager
def _bar(enabled: bool, total: int, done: int) -> Iterator[Callable[[], None]]:
    """A progress bar of finished runs on stderr; yields a function advancing it by one."""
    if not enabled:
        yield lambda: None
        return
    columns = (TextColumn("[bold]ensemble:[/]"), BarColumn(), MofNCompleteColumn(),
               TextColumn(escape(f"runs ({done} already done)")), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("ensemble", total=total)
        yield lambda: progress.advance(task)


def run_ensemble(
    files: list[str],
    draws: int,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int | None = None,
    sampler: Literal["lhs", "sobol"] = "lhs",
    progress: bool = True,
    force: bool = False,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    run_fn: RunFn | None = None,
    on_run: Callable[[Status, Mapping[str, Any] | None], None] | None = None,
    overrides: Sequence[str] = (),
) -> EnsembleResult:
    """Run every scenario of ``files`` on ``draws`` common parameter draws into ``out_dir``.

    Args:
        files: scenario files or bundled names, each optionally ``FILE[key=value,...]``; the first
            one's ``[uncertain]`` section defines the draws and it is the base of paired differences.
        draws: N parameter sets; every scenario runs each one (N x scenarios runs).
        out_dir: the ensemble folder; rerun into it to resume.
        workers, scheduler: the dask cluster (as ``marketsim sweep``).
        seed: sampler seed and first consumer seed (None: the first scenario's meta.seed).
        sampler: "lhs" (Latin hypercube) or "sobol".
        progress: show a progress bar (stderr).
        force: replace ``out_dir`` if marketsim wrote it (start over).
        stall_timeout: seconds without a worker before stopping (finished runs kept).
        run_fn: the worker's run function (default :func:`~.outcomes.ensemble_run`; tests).
        on_run: called in the parent with each finished run's status and outcomes (may raise).
        overrides: ``key.path=value`` for every scenario (``--set``); keys they set are not drawn.

    Raises:
        SweepInterrupted: Ctrl-C (finished runs kept; rerun to resume; no tables yet).
        SweepIncomplete: the cluster stalled or lost runs (finished runs kept).
        SweepOutputError, SweepMismatchError: the output folder cannot be used (nothing written).
        ScenarioError, ValueError: bad files, draws, seed or cluster options (nothing written).
    """
    out = Path(out_dir)
    check_stall_timeout(stall_timeout)
    check_cluster_options(workers, scheduler)
    design = make_design(files, draws, seed, sampler, overrides)
    plan = plan_output(out, design.manifest(), force)
    todo = {m: [s for s in design.specs(m) if plan != "resume" or run_status(out, s.run_id) != "done"]
            for m in design.members}
    total = len(design.draws) * len(design.members)
    remaining = sum(len(specs) for specs in todo.values())
    tally: Counter[str] = Counter()
    lost: list[str] = []
    stop: BaseException | None = None
    opened = plan == "resume"
    try:
        if remaining:
            with dask_client(workers, scheduler) as client:
                open_output(out, design.manifest(), plan)
                opened = True
                with _bar(progress, remaining, total - remaining) as advance:

                    def finished(status: Status, outcome: Mapping[str, Any] | None) -> None:
                        tally[status] += 1
                        advance()
                        if on_run is not None:
                            on_run(status, outcome)

                    for member, specs in todo.items():
                        if specs:
                            lost += compute_runs(client, member.source, specs, out, list(member.overrides),
                                                 run_fn or ensemble_run, finished, stall_timeout)
    except (KeyboardInterrupt, ClusterStalled) as exc:
        stop = exc
    if not opened and stop is not None:
        raise stop
    statuses = Counter(run_status(out, m.run_id(int(d))) for m in design.members for d in design.draws["draw"])
    result = EnsembleResult(out_dir=out, total=total, computed=tally["done"], skipped=total - remaining,
                            failed=tally["failed"], summary=pd.DataFrame(),
                            counts={str(k): int(v) for k, v in statuses.items()}, lost=len(lost), design=design)
    if isinstance(stop, KeyboardInterrupt):
        raise SweepInterrupted(result) from None
    if stop is not None:
        raise SweepIncomplete(result, str(stop)) from None
    if lost:
        raise SweepIncomplete(result, f"{len(lost)} runs were lost to the cluster (their workers died)")
    result.tables = write_tables(out, design)
    write_columns(out, result.tables, design.keys, design.members[0].periods_per_year)
    return result
