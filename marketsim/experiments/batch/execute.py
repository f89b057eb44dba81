"""Running a sweep's runs on the cluster: submit, collect each outcome as it finishes, record it.

A run that raises is an outcome (recorded in ``failures/``); a run lost to the infrastructure (its
worker died, the scheduler connection dropped) is resubmitted a few times, then left "missing"
for a rerun, never recorded as failed.
"""

from __future__ import annotations

import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pandas as pd
from distributed import Client, as_completed
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

from marketsim.experiments.batch.cluster import HEALTH_SECONDS, Watchdog, quiet_logs, remember_interrupts
from marketsim.experiments.batch.parameters import RunSpec
from marketsim.experiments.batch.source import RunFn, ScenarioSource
from marketsim.experiments.batch.store import Status, record_outcome

#: How often the parent looks for finished runs and asks the scheduler how many workers it has, s.
_POLL_SECONDS = 0.1
#: Times a run lost to the infrastructure is resubmitted within one call (then left for a rerun).
_MAX_RESUBMITS = 2


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


class _Lost(Exception):
    """A run's task was lost to the infrastructure (not to an error of the run)."""

    def __init__(self, killed_workers: bool) -> None:
        super().__init__()
        self.killed_workers = killed_workers


def compute_runs(
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
    watchdog = Watchdog(client, stall_timeout)
    with remember_interrupts() as interrupts:
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
                    finished(record_outcome(out_dir, spec, outcome), outcome.get("summary"))
        except KeyboardInterrupt:
            for future in [f for f in pending if f.status == "finished"]:
                try:
                    outcome = _future_outcome(future, HEALTH_SECONDS)
                except _Lost:
                    continue
                finished(record_outcome(out_dir, pending.pop(future), outcome), None)
            raise
        finally:
            if pending and client.status == "running":
                with quiet_logs():
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
