"""``marketsim statics FILE``: the paper's comparative statics measured in a scenario's simulated market."""

from __future__ import annotations

from pathlib import Path

import typer

from marketsim.cli.errors import research_errors
from marketsim.cli.inputs import FILE_HELP, FORCE_HELP, SET_HELP, check_out, load_scenario_for_command
from marketsim.cli.render import print_json, print_statics


def statics_command(
    file: str = typer.Argument(..., help=FILE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (the keys of `marketsim theory --json`)."),
    out: Path | None = typer.Option(None, "--out", help="Write statics.json, statics_points.csv, columns.csv and statics.png here."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    overrides: list[str] = typer.Option([], "--set", help=SET_HELP),
    generations: int = typer.Option(3, "--generations", min=1, max=20, help="Model generations per firm used in the fits."),
    workers: int | None = typer.Option(None, "--workers", help="Local worker processes (default: one per core)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar of finished runs (stderr)."),
) -> None:
    """Measure the paper's comparative statics in the simulated market of a scenario.

    Runs the scenario's full model over variations of hardware efficiency E, data efficiency rho_D and
    a small binding data stock (docs/theory.md), fits each elasticity per model generation (fixed
    effects, 90% interval) and prints it next to the stand-alone optimizer's prediction.
    """
    from marketsim.config import resolve_scenario_path
    from marketsim.experiments.statics import Design, StaticsRunError, measure_statics
    from marketsim.experiments.statics.outputs import write_statics

    with research_errors():
        scenario = load_scenario_for_command(file, overrides)
        path = resolve_scenario_path(file)
        if out is not None:
            check_out(out, force)
        try:
            result = measure_statics(path, design=Design(generations=generations), overrides=overrides,
                                     workers=workers, progress=progress)
        except StaticsRunError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(code=1) from None
        if out is not None:
            from marketsim.viz.statics_figures import plot_statics

            write_statics(result, out, force=force, figure=plot_statics,
                          periods_per_year=scenario.meta.periods_per_year)
    if as_json:
        print_json(result.as_json())
    else:
        print_statics(result)
    if out is not None:
        typer.echo(f"wrote {out}", err=True)
