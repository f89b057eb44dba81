"""Batch commands: ``sweep`` (a grid of values x seeds) and ``sensitivity`` (Sobol' indices), many
runs on dask into a resumable folder (:mod:`marketsim.experiments.batch`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketsim.cli.errors import batch_errors
from marketsim.cli.inputs import FILE_HELP, SET_HELP
from marketsim.cli.render import print_sensitivity, print_sweep

if TYPE_CHECKING:
    from marketsim.experiments.batch.sweep import SweepResult

WORKERS_HELP = "Local worker processes, on 127.0.0.1 (default: one per core). Exclusive with --scheduler."
SCHEDULER_HELP = ("Address of a running dask scheduler, tcp://host:port, reached before anything is written. "
                  "Workers receive the scenario's text, so they need not see FILE.")
SWEEP_OUT_HELP = "Sweep folder; rerun the same command into it to resume (finished runs are skipped)."
RESTART_HELP = ("Start over: replace the --out folder if marketsim wrote it (it holds marketsim-manifest.json), "
                "e.g. after editing FILE. Without it a rerun resumes, and refuses a FILE changed since.")
STALL_HELP = ("Seconds without any dask worker connected (or without the scheduler) after which the "
              "sweep stops with exit status 3, keeping finished runs.")
DASHBOARD_HELP = "Serve the dask dashboard of the local cluster on 127.0.0.1 (off by default)."
BATCH_EXIT_HELP = (
    "Exit status: 0 every run done; 1 some runs failed (see OUT/failures; rerun to retry them); "
    "2 bad arguments, scenario or output folder (nothing written); 3 the dask cluster stalled or was lost "
    "(finished runs kept; rerun to resume); 130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP; "
    "finished runs kept)."
)

# The options sweep and sensitivity share, declared once.
Workers = Annotated[int | None, typer.Option("--workers", min=1, help=WORKERS_HELP)]
Scheduler = Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)]
BatchOverrides = Annotated[list[str] | None, typer.Option("--set", help=SET_HELP + " Applies to every run.")]
Restart = Annotated[bool, typer.Option("--force", "--restart", help=RESTART_HELP)]
StallTimeout = Annotated[float, typer.Option("--stall-timeout", help=STALL_HELP)]
Dashboard = Annotated[bool, typer.Option("--dashboard", help=DASHBOARD_HELP)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table; print only the folder.")]


def report_failures(result: SweepResult) -> None:
    """Exit 1 if runs failed (after the table), pointing at their records."""
    failed = result.counts.get("failed", 0)
    if failed:
        typer.echo(
            f"{failed} of {result.total} runs failed; see {result.out_dir / 'failures'}/*.json. "
            "Rerun the same command to retry them.", err=True)
        raise typer.Exit(code=1)


def sweep_command(
    file: str = typer.Argument(..., help=FILE_HELP, show_default=False),
    grid: list[str] | None = typer.Option(
        None, "--grid", help="key.path=v1,v2,... (repeatable); every combination is run."),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Seeds per configuration: meta.seed, meta.seed + 1, ..."),
    workers: Workers = None,
    scheduler: Scheduler = None,
    out: Path = typer.Option(..., "--out", "-o", help=SWEEP_OUT_HELP, show_default=False),
    overrides: BatchOverrides = None,
    force: Restart = False,
    stall_timeout: StallTimeout = 120.0,
    dashboard: Dashboard = False,
    quiet: Quiet = False,
) -> None:
    """Run a scenario over a grid of values x seeds on dask; write runs.parquet and summary.parquet.

    FILE is read once; every run uses that text, so editing FILE during a sweep changes nothing.
    """
    from marketsim.config import resolve_scenario_path
    from marketsim.config.keypaths import parse_list_specs
    from marketsim.experiments.batch.sweep import run_sweep

    with batch_errors():
        values = parse_list_specs(grid or [], option="--grid")
        result = run_sweep(resolve_scenario_path(file), values, seeds, out, workers=workers,
                           scheduler=scheduler, progress=not quiet, overrides=overrides or [],
                           force=force, stall_timeout=stall_timeout, dashboard=dashboard)
    if quiet:
        typer.echo(str(out))
    else:
        print_sweep(result, list(values))
    report_failures(result)


def sensitivity_command(
    file: str = typer.Argument(..., help=FILE_HELP, show_default=False),
    params: list[str] = typer.Option(
        ..., "--param", help="key.path=low:high (repeatable), a number field sampled uniformly.",
        show_default=False),
    samples: int = typer.Option(64, "--samples", help="Sobol' base sample N (a power of 2); runs N (k + 2) configurations."),
    output: str = typer.Option(
        ..., "--output", help="Numeric key of a run's summary.json, e.g. final_adoption_share.", show_default=False),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Seeds per configuration (the metric is averaged)."),
    workers: Workers = None,
    scheduler: Scheduler = None,
    out: Path = typer.Option(..., "--out", "-o", help=SWEEP_OUT_HELP, show_default=False),
    overrides: BatchOverrides = None,
    force: Restart = False,
    stall_timeout: StallTimeout = 120.0,
    dashboard: Dashboard = False,
    quiet: Quiet = False,
) -> None:
    """Sobol' indices (S1, ST) of a summary metric; write sensitivity.csv and sensitivity.png.

    Every argument (parameter keys, types and ranges, samples, the metric) is checked before any run.
    """
    from marketsim.config import resolve_scenario_path
    from marketsim.config.keypaths import parse_range_specs
    from marketsim.experiments.batch.sensitivity import sobol_sensitivity

    with batch_errors():
        bounds = parse_range_specs(params, option="--param")
        table = sobol_sensitivity(
            resolve_scenario_path(file), bounds, samples, output, seeds, workers, scheduler,
            out_dir=out, overrides=overrides or [], progress=not quiet, force=force,
            stall_timeout=stall_timeout, dashboard=dashboard)
    if quiet:
        typer.echo(str(out))
        return
    print_sensitivity(table, output, samples, len(bounds), seeds, out)
