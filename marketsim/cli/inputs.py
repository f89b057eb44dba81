"""What commands take in: shared option help texts, scenario loading and output-folder checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from marketsim.cli.errors import fail

if TYPE_CHECKING:
    from marketsim.config import Scenario

SET_HELP = "Override a scenario value, key.path=value (repeatable), e.g. --set meta.years=5."
FILE_HELP = "Scenario TOML file, or the name of a bundled scenario (see `marketsim scenarios`)."
FORCE_HELP = ("Replace the output folder if it exists and marketsim wrote it (it holds "
              "marketsim-manifest.json); anything else is refused.")


def load_scenario_for_command(file: str, overrides: list[str]) -> Scenario:
    """One scenario (a path or a bundled name) with the overrides, its firms' strategies registered.

    Raises:
        ScenarioError: the file or an override is invalid, or a firm's strategy is unknown (named
            ``FILE: firms[0].strategy = ...`` like the loader's own problems).
    """
    from marketsim.config import ScenarioError, load_scenario, resolve_scenario_path
    from marketsim.sim import check_strategies

    path = resolve_scenario_path(file)
    scenario = load_scenario(path, overrides)
    # The schema cannot know the registry (config never imports the simulation), so the
    # strategy names are checked here, before any run starts or any folder is written.
    problems = check_strategies(scenario)
    if problems:
        raise ScenarioError(str(path), problems)
    return scenario


def load_scenarios(files: list[str], overrides: list[str]) -> list[Scenario]:
    """Load each file (a path or a bundled name) with the overrides; a ScenarioError exits 2."""
    from marketsim.config import exit_on_scenario_error

    with exit_on_scenario_error():
        return [load_scenario_for_command(file, overrides) for file in files]


def check_out(out_dir: Path, force: bool) -> None:
    """Refuse an output path that may not be written or replaced, before any (possibly long) run.

    Also removes temporary folders a killed marketsim run left next to ``out_dir`` (only those
    carrying the marketsim manifest whose process is gone) and says so on stderr.
    """
    from marketsim.experiments.outputs import (
        OutputExistsError,
        OutputPathError,
        check_output_dir,
        remove_stale_temp_dirs,
    )

    try:
        check_output_dir(out_dir, force)
    except (OutputExistsError, OutputPathError) as err:
        fail(str(err))
    for stale in remove_stale_temp_dirs(out_dir):
        typer.echo(f"removed {stale}, a temporary folder left by an interrupted marketsim run", err=True)
