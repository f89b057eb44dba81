"""``marketsim ensemble`` and ``marketsim discover``: deep uncertainty (Monte Carlo ensembles, scenario discovery)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from marketsim.cli.batch import BatchOverrides, Quiet, Restart, Scheduler, StallTimeout, Workers, report_failures
from marketsim.cli.errors import batch_errors


def ensemble_command(
    files: list[str] = typer.Argument(
        ..., help="Scenario files or bundled names, each optionally FILE\\[key=value,...]; the first one's "
        "\\[uncertain] section defines the draws and it is the base of paired differences.", show_default=False),
    draws: int = typer.Option(100, "--draws", "-n", min=1, help="Parameter draws N; every scenario runs each one."),
    out: Path = typer.Option(..., "--out", "-o", help="Ensemble folder; rerun the same command to resume.",
                             show_default=False),
    workers: Workers = None,
    scheduler: Scheduler = None,
    seed: int | None = typer.Option(None, "--seed", min=0, help="Sampler seed; draw i uses consumer seed SEED + i "
                                    "(default: the first scenario's meta.seed)."),
    sampler: str = typer.Option("lhs", "--sampler", help="lhs (Latin hypercube) or sobol."),
    overrides: BatchOverrides = None,
    force: Restart = False,
    stall_timeout: StallTimeout = 120.0,
    quiet: Quiet = False,
) -> None:
    """Monte Carlo over the \\[uncertain] distributions: every scenario on the same N draws and seeds.

    Writes draws.csv, outcomes.csv, paired.csv, quantiles.csv, paired_quantiles.csv,
    outcome_quantiles.csv, probabilities.csv, columns.csv and fan_charts.png into --out.
    """
    from marketsim.experiments.ensemble.runner import run_ensemble
    from marketsim.viz.fan_figures import write_fan_charts

    with batch_errors():
        if sampler not in ("lhs", "sobol"):
            raise ValueError(f"--sampler must be lhs or sobol, got {sampler!r}")
        result = run_ensemble(list(files), draws, out, workers=workers, scheduler=scheduler, seed=seed,
                              sampler=sampler, progress=not quiet, force=force,  # type: ignore[arg-type]
                              stall_timeout=stall_timeout, overrides=overrides or [])
        tables = result.tables or {}
        figure = write_fan_charts(out, tables["quantiles.csv"], result.design.members[0].label)
    if quiet:
        typer.echo(str(out))
    else:
        _print_probabilities(tables["probabilities.csv"], result, figure)
    report_failures(result)


def _print_probabilities(table: Any, result: Any, figure: Path) -> None:
    """The probability table and where the results are."""
    typer.echo(f"{result.total} runs ({result.computed} computed, {result.skipped} already done, "
               f"{result.counts.get('failed', 0)} failed) in {result.out_dir}")
    for row in table.itertuples(index=False):
        against = f" vs {row.base}" if row.base else ""
        value = f"{row.value:.3f}" if row.value == row.value else "n/a"
        typer.echo(f"  {row.scenario}{against}: {row.statement} = {value}  ({row.runs} draws)")
    typer.echo(f"fan charts: {figure}")


def discover_command(
    folder: Path = typer.Argument(..., help="An ensemble folder (the --out of `marketsim ensemble`).",
                                  show_default=False),
    where: str = typer.Option(..., "--where", "-w", show_default=False, help=(
        "Condition on a run, over the columns of draws.csv, outcomes.csv and (for a scenario other than "
        "the first) paired.csv, e.g. \"hhi_final > 0.5\" or \"spend_cut > 0.5 and adoption_final < 0.3\". "
        "Column names, numbers, comparisons, + - * / **, and/or/not, abs/sqrt/log/log10/exp/floor/ceil; "
        "names with brackets in backticks. An unknown name lists the available columns.")),
    scenario: str | None = typer.Option(None, "--scenario", "-s", help=(
        "Scenario to analyse (default: the only one, else the last, with paired statements against the "
        "first).")),
    threshold: float | None = typer.Option(None, "--threshold", help=(
        "Choose the box with the largest coverage among those with density >= THRESHOLD (0..1]; "
        "error if PRIM finds none.")),
    min_coverage: float = typer.Option(0.5, "--min-coverage", help=(
        "Without --threshold: choose the densest box with coverage >= MIN_COVERAGE.")),
    out: Path | None = typer.Option(None, "--out", "-o", help=(
        "Write box.json, trajectory.csv, scores.csv, columns.csv and four discovery_*.png figures "
        "here (default: print only)."), show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists and marketsim wrote it."),
) -> None:
    """Scenario discovery (PRIM): under which drawn inputs does a condition on the outcomes hold?

    One row per draw of the scenario (draws.csv inputs, outcomes, paired statements); --where is evaluated on it.

    PRIM (EMA Workbench) peels the input space into ever denser boxes: coverage = share of the runs where the
    condition holds that lie in the box; density = share of the box's runs where it holds.

    The box reported is the densest with coverage >= --min-coverage (0.5), or with --threshold the one of
    largest coverage with density >= THRESHOLD. Feature scores (extra trees) rank the inputs for the condition.
    """
    from marketsim.cli.discovery import run_discover

    run_discover(folder, where, scenario, threshold, min_coverage, out, force)
