"""The ``marketsim`` command line (typer): builds :data:`app` and registers every command.

Commands are thin: they parse options, call :mod:`marketsim.experiments` or
:mod:`marketsim.economics`, and print (through :mod:`marketsim.cli.render`). Errors the user can
fix exit with status 2 and one message (:mod:`marketsim.cli.errors`). One module per command group:
:mod:`~marketsim.cli.theory` (theory, optimize, trends), :mod:`~marketsim.cli.run` (validate,
scenarios, run, compare), :mod:`~marketsim.cli.batch` (sweep, sensitivity),
:mod:`~marketsim.cli.history` (validate-history, report), :mod:`~marketsim.cli.calibrate`,
:mod:`~marketsim.cli.playground`,
:mod:`~marketsim.cli.bench`.
"""

from __future__ import annotations

import typer

from marketsim.cli import batch, bench, calibrate, history, playground, run, statics, theory, uncertainty
from marketsim.cli.errors import MarketsimGroup

__all__ = ["app"]

app = typer.Typer(
    name="marketsim",
    help="Simulate the market for large language models: run, compare and analyse scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=MarketsimGroup,
)


def _print_version(value: bool) -> None:
    """``--version``: print ``marketsim VERSION`` and exit."""
    if value:
        from marketsim import __version__

        typer.echo(f"marketsim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Simulate the market for large language models: run, compare and analyse scenarios."""


# Registration order is the order `marketsim --help` lists the commands in.
app.command("theory")(theory.theory)
app.command("optimize")(theory.optimize_command)
app.command("validate")(run.validate_command)
app.command("scenarios")(run.scenarios_command)
app.command("run")(run.run_command)
app.command("compare")(run.compare_command)
app.command("bench")(bench.bench)
app.command("sweep", epilog=batch.BATCH_EXIT_HELP)(batch.sweep_command)
app.command("sensitivity", epilog=batch.BATCH_EXIT_HELP)(batch.sensitivity_command)
app.command("statics")(statics.statics_command)
app.command("ensemble")(uncertainty.ensemble_command)
app.command("discover")(uncertainty.discover_command)
app.command("playground")(playground.playground_command)
app.command("validate-history")(history.validate_history_command)
app.command("trends")(theory.trends_command)
app.command("report")(history.report_command)
app.command("calibrate")(calibrate.calibrate_command)

if __name__ == "__main__":
    app()
