"""Scenario commands: ``validate`` and ``scenarios`` (check and list scenario files), ``run`` (one
scenario into a results folder) and ``compare`` (several scenarios overlaid in one folder)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from marketsim.cli.errors import fail
from marketsim.cli.inputs import FILE_HELP, FORCE_HELP, SET_HELP, check_out, load_scenarios
from marketsim.cli.render import print_headlines, print_regime_changes, print_scenarios

if TYPE_CHECKING:
    from marketsim.experiments.outputs import RunFigureWriter

COMPARE_FILES_HELP = (
    "Two or more scenarios: files or bundled names, each optionally with its own overrides in "
    "brackets (applied after --set), e.g. baseline \"baseline\\[hardware.stall_year=2030]\"."
)  # rich reads [...] in help as markup; \\[ is a literal bracket


def validate_command(
    file: str = typer.Argument(
        ..., help="Scenario TOML file, or the name of a bundled scenario (see `marketsim scenarios`).",
        show_default=False),
    overrides: list[str] | None = typer.Option(
        None, "--set", help="Override a scenario value, key.path=value (repeatable), e.g. --set consumers.price_sensitivity=0.5."),
) -> None:
    """Check a scenario file: print a one-line summary, or every problem on stderr and exit 2."""
    (scenario,) = load_scenarios([file], overrides or [])
    n_firms = len(scenario.firms)
    typer.echo(f"OK: {scenario.meta.name} ({n_firms} firm{'' if n_firms == 1 else 's'}, "
               f"{scenario.meta.years:g} years)")


def scenarios_command() -> None:
    """List the bundled scenarios: name, file and one-line description."""
    from marketsim.config import SCENARIO_DIR, bundled_scenarios, exit_on_scenario_error

    with exit_on_scenario_error():
        rows = bundled_scenarios()
    print_scenarios(rows, SCENARIO_DIR)


def _run_figure_writer() -> RunFigureWriter:
    """The viz function drawing a run's figures (imported only when figures are wanted: matplotlib)."""
    from marketsim.viz import save_run_figures

    return save_run_figures


def run_command(
    file: str = typer.Argument(..., help=FILE_HELP, show_default=False),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: outputs/<scenario name>)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's meta.seed)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table; print only the output folder."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Write the tables only, no PNG figures."),
) -> None:
    """Run one scenario; write model.csv, firms.csv, summary.json, scenario.toml and figures."""
    from marketsim.experiments.outputs import OutputExistsError, folder_name, write_run
    from marketsim.experiments.run import run_scenario
    from marketsim.sim.regimes import regime_lines

    (scenario,) = load_scenarios([file], overrides or [])
    try:
        out_dir = out if out is not None else Path("outputs") / folder_name(scenario.meta.name)
    except ValueError as err:
        fail(f"{err}, or give --out")
    check_out(out_dir, force)
    result = run_scenario(scenario, seed=seed, progress=not quiet)
    try:
        write_run(result, out_dir, force=force, figures=None if no_figures else _run_figure_writer())
    except OutputExistsError as err:
        fail(str(err))
    if quiet:
        typer.echo(str(out_dir))
        return
    print_headlines([result.summary], out_dir, f"{scenario.meta.name} (seed {result.seed})")
    print_regime_changes({str(result.summary["scenario"]): regime_lines(result.firms)})


def compare_command(
    files: list[str] = typer.Argument(..., help=COMPARE_FILES_HELP, show_default=False),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: outputs/compare-<name1>-vs-<name2>...)."),
    seed: int | None = typer.Option(
        None, "--seed", min=0, help="One seed for every run (default: each scenario's meta.seed)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=SET_HELP + " Applies to every scenario."),
    labels: list[str] | None = typer.Option(
        None, "--label", help="Name of a scenario's results (repeatable: one per scenario, in order); "
                              "default meta.name, plus \\[overrides] when the scenario has its own."),
    force: bool = typer.Option(False, "--force", help="Replace the output folder if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or table; print only the output folder."),
) -> None:
    """Run several scenarios and overlay them; write comparison.csv, columns.csv, compare_*.png and each run's folder."""
    from marketsim.experiments.compare import (
        check_distinct_names,
        check_labels,
        compare_labels,
        compare_scenarios,
        default_compare_name,
        parse_scenario_arg,
        relabel,
        write_comparison,
    )
    from marketsim.experiments.outputs import OutputExistsError
    from marketsim.sim.regimes import regime_lines

    if len(files) < 2:
        fail(f"compare needs at least two scenarios; got {len(files)} (use `marketsim run` for one)")
    try:
        args = [parse_scenario_arg(text) for text in files]
        check_labels(labels, len(args))  # before any file is read
    except ValueError as err:
        fail(str(err))
    # Each scenario's own overrides go after the global ones, so they win where both set a key.
    loaded = [load_scenarios([arg.file], [*(overrides or []), *arg.overrides])[0] for arg in args]
    try:
        names = compare_labels(args, loaded, labels)
        check_distinct_names(names)
    except ValueError as err:
        fail(str(err))
    scenarios = [relabel(scenario, name) for scenario, name in zip(loaded, names, strict=True)]
    out_dir = out if out is not None else Path("outputs") / default_compare_name(names)
    check_out(out_dir, force)
    results = compare_scenarios(scenarios, seed=seed, progress=not quiet)
    from marketsim.viz import save_compare_figures, save_run_figures  # matplotlib: only now

    try:
        write_comparison(results, out_dir, force=force, figures=save_run_figures, compare_figures=save_compare_figures)
    except OutputExistsError as err:
        fail(str(err))
    if quiet:
        typer.echo(str(out_dir))
        return
    print_headlines([r.summary for r in results], out_dir, "Scenario comparison")
    print_regime_changes({str(r.summary["scenario"]): regime_lines(r.firms) for r in results})
