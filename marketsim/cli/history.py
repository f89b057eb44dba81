"""Validation commands: ``validate-history`` (the historical scenario against the published record,
or its calibration) and ``report`` (regenerate docs/validation.md with its figures)."""

from __future__ import annotations

from pathlib import Path

import typer

from marketsim.cli.errors import fail, research_errors
from marketsim.cli.inputs import SET_HELP, load_scenarios
from marketsim.cli.render import print_history, print_json


def validate_history_command(
    scenario: str | None = typer.Option(
        None, "--scenario", help="Scenario file or bundled name covering 2022-2025 (default: historical; with "
                                 "--calibrate: historical_one_lab, the world of the baseline's demand).",
        show_default=False),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's meta.seed)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    calibrate: bool = typer.Option(
        False, "--calibrate", help="Re-tune median threshold, sigma and the price scale (price sensitivity; the "
                                   "firm's price under fixed pricing) of a one-lab history to the calibration "
                                   "targets and print them (about a minute), instead of validating. Several labs: "
                                   "`marketsim calibrate`."),
) -> None:
    """Run the historical scenario and set its frontier training runs against the published trends."""
    from marketsim.experiments import validation as val

    from marketsim.experiments.validation.record import HISTORICAL_SCENARIO, ONE_LAB_SCENARIO

    default = ONE_LAB_SCENARIO if calibrate else HISTORICAL_SCENARIO
    (loaded,) = load_scenarios([scenario if scenario is not None else default], overrides or [])
    if calibrate:
        with research_errors():
            tuned = val.calibrate_history(loaded)
        if as_json:
            print_json({"values": tuned.values, "targets": tuned.targets, "converged": tuned.converged})
            return
        for key, (want, got) in tuned.targets.items():
            typer.echo(f"{key}: target {want:.4g}, stand-in firm {got if got is None else format(got, '.4g')}")
        typer.echo("tuned: " + " ".join(f"--set {o}" for o in tuned.overrides))
        return
    with research_errors():
        report = val.validate_history(loaded, seed=seed)
    if as_json:
        print_json(report.as_json())
        return
    print_history(report)


def report_command(
    kind: str = typer.Argument(..., help="Which report to regenerate: validation.", show_default=False),
    out: Path = typer.Option(Path("docs/validation.md"), "--out", "-o", help="Markdown file to write."),
    figures: Path | None = typer.Option(None, "--figures", help="Folder for the figures (default: <out folder>/validation)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed of the historical runs (default: the scenario's)."),
    calibration: Path | None = typer.Option(None, "--calibration", help="A `marketsim calibrate` --out folder: add "
                                            "the backtest against the record and the 2024-2025 forecast (section 5).",
                                            show_default=False),
) -> None:
    """Regenerate a report with its tables and figures (validation: docs/validation.md, a few minutes)."""
    if kind != "validation":
        fail(f"report {kind!r} is unknown: allowed validation")
    from marketsim.viz.validation_report import write_validation_report  # matplotlib: only when needed

    with research_errors():
        written = write_validation_report(out, figures if figures is not None else out.parent / "validation",
                                          seed=seed, log=lambda message: typer.echo(f"... {message}", err=True),
                                          calibration=calibration)
    for path in written:
        typer.echo(str(path))

