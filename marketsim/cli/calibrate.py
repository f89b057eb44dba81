"""``marketsim calibrate``: ABC-SMC of a scenario's ``[uncertain]`` keys to the targets table (pyabc)."""

from __future__ import annotations

from pathlib import Path

import typer

from marketsim.cli.batch import Scheduler, Workers
from marketsim.cli.errors import batch_errors, stop_interrupted
from marketsim.cli.inputs import FILE_HELP


def calibrate_command(
    file: str = typer.Argument(..., help=FILE_HELP + " Its \\[uncertain] section is the prior.", show_default=False),
    population: int = typer.Option(40, "--population", "-n", help="Particles per ABC-SMC generation."),
    generations: int = typer.Option(3, "--generations", "-g", help="Generations in total; a rerun into the same "
                                    "--out continues the finished ones up to this number."),
    min_epsilon: float = typer.Option(0.0, "--min-epsilon", help="Stop early once a generation's epsilon "
                                      "(distance threshold) is at or below this."),
    predictive: int = typer.Option(40, "--predictive", help="Posterior draws re-run for the posterior-predictive "
                                   "bands (each with its own seed)."),
    workers: Workers = None,
    scheduler: Scheduler = None,
    out: Path | None = typer.Option(None, "--out", "-o", help="Calibration folder (default: "
                                    "calibration-<scenario name>); rerun into it to continue.", show_default=False),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Consumer seed of every run and sampler seed "
                                    "(default: the scenario's meta.seed)."),
    force: bool = typer.Option(False, "--force", help="Start over: replace --out if marketsim wrote it."),
) -> None:
    """Fit the \\[uncertain] keys of FILE to the record by ABC-SMC (pyabc): posterior and predictive bands.

    Distance: sum over the targets used for tuning (targets.toml) of (ln(sim/record) / band half-width in
    logs)^2. Writes posterior.csv, posterior_summary.csv, predictive.csv, targets_matched.csv,
    generations.csv, calibration.png and abc.db (pyabc's history) into --out. --workers 1 runs in this
    process and is reproducible bit for bit; with dask the proposals are not seeded (docs: README).
    """
    from rich.console import Console

    from marketsim.config import resolve_scenario_path
    from marketsim.experiments.batch.source import read_scenario
    from marketsim.experiments.calibration import calibrate
    from marketsim.viz.calibration_figures import write_calibration_figure

    console = Console(stderr=True)

    def line(generation, total: int) -> None:
        console.print(f"generation {generation.t + 1}/{total}: epsilon {generation.epsilon:.4g}, "
                      f"{generation.accepted} accepted of {generation.runs} runs, {generation.seconds:.0f} s")

    with batch_errors():
        path = resolve_scenario_path(file)
        source = read_scenario(path)
        folder = out if out is not None else Path(f"calibration-{Path(path).stem}")
        try:
            result = calibrate(source, folder, population=population, generations=generations,
                               min_epsilon=min_epsilon, workers=workers, scheduler=scheduler, seed=seed,
                               force=force, predictive=predictive, on_generation=line)
        except KeyboardInterrupt:
            stop_interrupted(KeyboardInterrupt(f"stopped: finished generations are kept in {folder}/abc.db; "
                                               "rerun the same command to continue"))
        tables = result.tables
        figure = write_calibration_figure(folder, tables["posterior.csv"], tables["posterior_summary.csv"],
                                          tables["predictive.csv"])
    _print(result, figure)


def _print(result, figure: Path) -> None:
    """The posterior summary, the verdicts and where the files are."""
    generations = len(result.generations)
    typer.echo(f"{generations} generations ({result.computed} run now), {result.runs} model runs in the ABC, "
               f"{result.predictive_runs} predictive runs, {result.seconds:.0f} s; folder {result.out_dir}")
    typer.echo("posterior (median, 90% interval; prior 90% interval):")
    for row in result.tables["posterior_summary.csv"].itertuples(index=False):
        typer.echo(f"  {row.key}: {row.median:.4g} ({row.p5:.4g} to {row.p95:.4g}; prior {row.prior_p5:.4g} "
                   f"to {row.prior_p95:.4g})")
    matched = result.tables["targets_matched.csv"]
    typer.echo("targets (predictive median inside the record's band):")
    for row in matched.itertuples(index=False):
        tuned = "tuned" if row.used_for_tuning else "held out"
        typer.echo(f"  {row.key} [{tuned}]: {row.verdict} (record {row.record:.4g}, predictive {row.median:.4g})")
    forecast = result.tables.get("forecast.csv")
    if forecast is not None and len(forecast):
        typer.echo("forecast (posterior-predictive median, 5%-95%; the record for these years is not in the targets):")
        for row in forecast.itertuples(index=False):
            value = (f"{row.median:.3g} ({row.p05:.3g} to {row.p95:.3g}) {row.unit}" if row.median == row.median
                     else "n/a (no frontier model that year in the re-runs)")
            typer.echo(f"  {int(row.year)} {row.quantity}: {value}")
    typer.echo(f"figure: {figure}")
