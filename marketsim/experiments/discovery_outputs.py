"""The results folder of ``marketsim discover``: box.json, trajectory.csv, scores.csv, columns.csv, figures.

The folder appears complete or not at all, carrying the manifest that ``--force`` recognises
(:mod:`marketsim.experiments.safety`). ``columns.csv`` gives the unit and meaning of every column
of the two tables and every key of ``box.json`` (:data:`DISCOVERY_COLUMNS`). Figures are drawn by
a layer above (the caller passes :class:`DiscoveryFigureWriter`), so experiments never import viz.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from marketsim.experiments.discovery import Discovery
from marketsim.experiments.files import write_json, write_table
from marketsim.experiments.safety import atomic_output_dir

__all__ = ["DISCOVERY_COLUMNS", "DiscoveryFigureWriter", "box_summary", "write_discovery"]


class DiscoveryFigureWriter(Protocol):
    """Draws a discovery's figures into a folder and returns their paths
    (``marketsim.viz.discovery_figures.save_discovery_figures`` has this signature)."""

    def __call__(self, result: Discovery, out_dir: Path) -> list[Path]: ...


#: table -> column -> (unit, description) of everything :func:`write_discovery` writes (columns.csv).
DISCOVERY_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "trajectory.csv": {
        "step": ("count", "PRIM step: 0 is the full input space, then peels (and pastes) towards denser boxes."),
        "coverage": ("share", "Runs where the condition holds inside the box / such runs in total."),
        "density": ("share", "Runs where the condition holds inside the box / runs inside the box."),
        "mass": ("share", "Runs inside the box / all runs."),
        "runs_in_box": ("count", "Runs inside the box."),
        "runs_true_in_box": ("count", "Runs inside the box where the condition holds."),
        "restricted_inputs": ("count", "Inputs whose range the box restricts."),
        "restrictions": ("text", "The box: each restricted input with its range (or allowed values)."),
        "chosen": ("flag", "True for the box reported (see box.json: rule)."),
    },
    "scores.csv": {
        "input": ("text", "Uncertain input (scenario key path, a column of draws.csv)."),
        "score": ("share", "Extra-trees feature score for the condition (mean impurity decrease; sums to 1)."),
        "rank": ("count", "1 = the input that matters most for the condition."),
        "in_box": ("flag", "True if the chosen box restricts this input."),
    },
    "box.json": {
        "ensemble": ("text", "The ensemble folder analysed."),
        "scenario": ("text", "The scenario analysed."),
        "condition": ("text", "The condition (--where) on the runs table."),
        "runs": ("count", "Runs analysed (draws of the scenario)."),
        "runs_true": ("count", "Runs where the condition holds."),
        "runs_missing": ("count", "Runs counted false because a value the condition uses is empty."),
        "base_rate": ("share", "runs_true / runs: the density of the full input space."),
        "rule": ("text", "How the box was chosen on the peeling trajectory."),
        "step": ("count", "The chosen box's step on trajectory.csv."),
        "coverage": ("share", "Of the chosen box (see trajectory.csv)."),
        "density": ("share", "Of the chosen box (see trajectory.csv)."),
        "mass": ("share", "Of the chosen box (see trajectory.csv)."),
        "runs_in_box": ("count", "Runs inside the chosen box."),
        "box": ("list", "Restricted inputs: restriction (in words), input, lower, upper (box range, the input's unit), full_lower, "
                        "full_upper (range drawn), quasi_p (one-sided binomial test), or values / all_values."),
        "inputs": ("list", "Inputs PRIM could restrict (draws.csv columns that vary)."),
        "library": ("text", "PRIM implementation and version."),
    },
}


def box_summary(result: Discovery) -> dict[str, Any]:
    """The contents of box.json (keys described in :data:`DISCOVERY_COLUMNS`)."""
    box = result.box
    limits = [{"restriction": lim.text, **{k: v for k, v in vars(lim).items() if v not in (None, ())}}
              for lim in result.limits]
    for entry in limits:
        for key in ("values", "all_values"):
            if key in entry:
                entry[key] = list(entry[key])
    data = {"ensemble": str(result.folder), "scenario": result.scenario, "condition": result.condition,
            "runs": result.runs, "runs_true": result.runs_true, "runs_missing": result.missing,
            "base_rate": result.base_rate, "rule": result.rule, "step": result.chosen,
            "coverage": float(box["coverage"]), "density": float(box["density"]), "mass": float(box["mass"]),
            "runs_in_box": int(box["runs_in_box"]), "box": limits, "inputs": list(result.inputs),
            "library": result.library}
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in data.items()}


def _columns_csv(tables: dict[str, Sequence[str]]) -> pd.DataFrame:
    rows = [{"table": table, "column": column, "unit": DISCOVERY_COLUMNS[table][column][0],
             "description": DISCOVERY_COLUMNS[table][column][1]} for table, cols in tables.items() for column in cols]
    return pd.DataFrame(rows, columns=["table", "column", "unit", "description"])


def write_discovery(result: Discovery, out_dir: Path | str, force: bool = False,
                    figures: DiscoveryFigureWriter | None = None) -> list[Path]:
    """Write box.json, trajectory.csv, scores.csv, columns.csv and the figures into ``out_dir``.

    The folder appears complete or not at all, with the manifest that ``--force`` recognises.

    Raises:
        OutputExistsError, UnsafeOutputError, OutputPathError: see
            :func:`marketsim.experiments.safety.atomic_output_dir` (nothing written).
    """
    out = Path(out_dir)
    summary = box_summary(result)
    with atomic_output_dir(out, force, command="discover") as tmp:
        write_json(summary, tmp / "box.json")
        write_table(result.trajectory, tmp / "trajectory.csv")
        write_table(result.scores, tmp / "scores.csv")
        write_table(_columns_csv({"box.json": list(summary), "trajectory.csv": list(result.trajectory.columns),
                                  "scores.csv": list(result.scores.columns)}), tmp / "columns.csv")
        drawn = figures(result, tmp) if figures is not None else []
    names = ["box.json", "trajectory.csv", "scores.csv", "columns.csv", *(p.name for p in drawn)]
    return [out / name for name in names]
