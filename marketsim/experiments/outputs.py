"""Results folders of ``marketsim run``: what a run folder holds, written complete or not at all.

A run folder holds ``model.csv``, ``firms.csv``, ``summary.json``, ``scenario.toml``,
``columns.csv`` (see docs/architecture.md for the table columns) and, when a figure writer is
given, its PNG figures. Figures are drawn by a layer above this one (``marketsim.viz``): the
caller passes the drawing function (:class:`RunFigureWriter`), so that experiments never import viz.

This module is also the public face of the output machinery: the folder rules of ``--force`` and
the atomic folders (:mod:`marketsim.experiments.safety`) and the file writers
(:mod:`marketsim.experiments.files`) are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from marketsim.experiments.files import FLOAT_FORMAT, atomic_write, write_json, write_table
from marketsim.experiments.safety import (
    MANIFEST_NAME,
    OutputExistsError,
    OutputPathError,
    UnsafeOutputError,
    atomic_output_dir,
    check_output_dir,
    is_marketsim_output,
    read_manifest,
    remove_output_dir,
    remove_stale_temp_dirs,
    write_manifest,
)

if TYPE_CHECKING:
    from marketsim.experiments.run import RunResult

__all__ = [
    "FLOAT_FORMAT",
    "MANIFEST_NAME",
    "CompareFigureWriter",
    "OutputExistsError",
    "OutputPathError",
    "RunFigureWriter",
    "UnsafeOutputError",
    "atomic_output_dir",
    "atomic_write",
    "check_output_dir",
    "folder_name",
    "is_marketsim_output",
    "read_manifest",
    "remove_output_dir",
    "remove_stale_temp_dirs",
    "write_json",
    "write_manifest",
    "write_run",
    "write_run_files",
    "write_table",
]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class RunFigureWriter(Protocol):
    """Draws one run's figures into a folder and returns their paths
    (``marketsim.viz.save_run_figures`` has this signature)."""

    def __call__(
        self,
        model: pd.DataFrame,
        firms: pd.DataFrame,
        out_dir: Path,
        *,
        scenario: str | None = None,
        stall_year: float | None = None,
    ) -> list[Path]: ...


class CompareFigureWriter(Protocol):
    """Draws the overlay figures of several runs (model tables by scenario name) into a folder and
    returns their paths (``marketsim.viz.save_compare_figures`` has this signature)."""

    def __call__(
        self,
        models: Mapping[str, pd.DataFrame],
        out_dir: Path,
        *,
        stall_years: Mapping[str, float | None] | None = None,
    ) -> list[Path]: ...


def folder_name(name: str) -> str:
    """A file-system-safe folder name for a scenario name ('my run/2' -> 'my-run-2')."""
    safe = _SAFE_NAME.sub("-", name).strip("-.")
    if not safe:
        raise ValueError(
            f"scenario name {name!r} has no letters or digits to name an output folder after; "
            f"use a name with letters, digits, '.', '_' or '-'"
        )
    return safe


def write_run_files(result: RunResult, folder: Path, figures: RunFigureWriter | None = None) -> list[Path]:
    """Write one run's files into an existing ``folder`` (no atomicity); return the paths.

    Files: ``model.csv``, ``firms.csv``, ``summary.json``, ``scenario.toml`` (the resolved
    scenario, with the seed actually used), ``columns.csv`` (unit and meaning of every column, see
    :mod:`marketsim.sim.tables`) and whatever ``figures`` draws (None: no figures).
    """
    from marketsim.config import scenario_to_toml
    from marketsim.sim.tables import write_columns

    paths = [folder / "model.csv", folder / "firms.csv", folder / "summary.json", folder / "scenario.toml"]
    write_table(result.model, paths[0])
    write_table(result.firms, paths[1])
    write_json(result.summary, paths[2])
    paths[3].write_text(scenario_to_toml(result.scenario), encoding="utf-8")
    paths.append(write_columns(folder, {"model.csv": list(result.model.columns), "firms.csv": list(result.firms.columns),
                                        "summary.json": list(result.summary)}, result.scenario.meta.periods_per_year))
    if figures is not None:
        paths += figures(
            result.model,
            result.firms,
            folder,
            scenario=result.summary.get("scenario"),
            stall_year=result.scenario.hardware.stall_year,
        )
    return paths


def write_run(
    result: RunResult, out_dir: Path | str, force: bool = False, figures: RunFigureWriter | None = None
) -> Path:
    """Write one run's tables, summary, resolved scenario and figures atomically to ``out_dir``.

    Args:
        figures: draws the figures (e.g. ``marketsim.viz.save_run_figures``); None: none.

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False (nothing is written).

    Returns:
        ``out_dir`` as a Path.
    """
    out = Path(out_dir)
    with atomic_output_dir(out, force, command="run", seed=result.seed) as tmp:
        write_run_files(result, tmp, figures)
    return out
