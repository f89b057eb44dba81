"""``marketsim playground``: serve the browser page of :mod:`marketsim.viz.playground` with solara."""

from __future__ import annotations

import typer

from marketsim.cli.errors import fail
from marketsim.cli.inputs import FILE_HELP, SET_HELP, load_scenarios

# Environment variables marketsim.viz.playground.base reads (its SCENARIO_ENV and OVERRIDES_ENV);
# spelled out here because importing that package imports solara and builds the page (seconds)
# in a process that only execs the server. tests/test_app.py checks the two spellings agree.
PLAYGROUND_SCENARIO_ENV = "MARKETSIM_PLAYGROUND_SCENARIO"
PLAYGROUND_OVERRIDES_ENV = "MARKETSIM_PLAYGROUND_SET"


def solara_argv(port: int, host: str, open_browser: bool) -> list[str]:
    """``solara run marketsim.viz.playground`` in production mode, without solara's version check on PyPI."""
    import sys

    return [sys.executable, "-m", "solara", "run", "marketsim.viz.playground", "--host", host, "--port", str(port),
            "--production", "--no-check-version", "--open" if open_browser else "--no-open"]


def playground_command(
    file: str = typer.Argument("baseline", help=FILE_HELP),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to serve on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open the page in a web browser."),
) -> None:
    """Serve the interactive playground: one session per browser tab, settings, the run played, CSV export."""
    import importlib.util
    import json
    import os
    import subprocess

    from marketsim.config import resolve_scenario_path

    if importlib.util.find_spec("solara") is None:
        fail('the playground needs the app extra: pip install -e ".[app]"')
    (scenario,) = load_scenarios([file], overrides or [])  # a bad file exits 2 before any server starts
    env = {
        **os.environ,
        PLAYGROUND_SCENARIO_ENV: str(resolve_scenario_path(file).resolve()),
        PLAYGROUND_OVERRIDES_ENV: json.dumps(overrides or []),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports leave the machine
    }
    where = f"http://{host}:{port}" if port else f"{host}, on a free port (solara prints it)"
    typer.echo(f"marketsim playground: {scenario.meta.name} at {where}; Ctrl+C stops it.")
    argv = solara_argv(port, host, open_browser)
    if os.name == "posix":
        # The server replaces this process, so Ctrl+C and a kill reach it directly (no orphan).
        os.execve(argv[0], argv, env)
    raise typer.Exit(code=subprocess.call(argv, env=env))
