"""Running the marketsim command line inside a test folder (shared by the CLI tests)."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.experiments.outputs import write_manifest

runner = CliRunner()


def invoke(*args: str, cwd: Path):
    """Run ``marketsim ARGS`` with ``cwd`` as the working folder (CliRunner: the same group class,
    signal handlers and error wrapping as the installed command); returns the click Result."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(app, list(args))
    finally:
        os.chdir(old)


def marked_folder(path: Path, *files: str, text: str = "old") -> Path:
    """A folder marketsim could have written (it carries the manifest), holding ``files`` with ``text``."""
    path.mkdir(parents=True)
    write_manifest(path, "run", seed=1)
    for name in files:
        (path / name).write_text(text)
    return path
