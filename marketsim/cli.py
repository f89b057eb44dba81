"""The ``marketsim`` command line (typer).

Commands are thin: they parse options, call :mod:`marketsim.experiments` or
:mod:`marketsim.economics`, and print. Errors the user can fix exit with status 2 and one message.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="marketsim",
    help="Simulate the market for large language models: run, compare and analyse scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# --- economics commands (theory, optimize) -------------------------------------------------


# --- scenario commands (validate, scenarios, run, compare) ---------------------------------


# --- research commands (sweep, sensitivity, bench) -----------------------------------------


if __name__ == "__main__":
    app()
