"""Compare scenarios: run each (same seed by default), tabulate headline numbers, overlay figures.

``write_comparison`` writes one folder, atomically::

    <out_dir>/comparison.csv          one row per scenario (see comparison_table)
    <out_dir>/compare_*.png           overlay figures (marketsim.plots.COMPARE_FIGURES)
    <out_dir>/<scenario name>/        each run's own files, as written by ``marketsim run``
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from marketsim import plots
from marketsim.experiments.outputs import atomic_output_dir, folder_name, write_run_files, write_table
from marketsim.experiments.run import RunResult, run_scenario

if TYPE_CHECKING:
    from marketsim.scenario import Scenario

__all__ = ["COMPARISON_COLUMNS", "check_distinct_names", "compare_scenarios", "comparison_table", "write_comparison", "default_compare_name"]

#: Columns of comparison.csv: the scenario name, then summary keys (units as in summarize()).
COMPARISON_COLUMNS = [
    "scenario",
    "final_adoption_share",
    "largest_N",
    "cumulative_training_spend",
    "final_training_spend_annual",
    "year_adoption_passes_50pct",
    "final_hhi",
]


def check_distinct_names(names: Sequence[str]) -> None:
    """Scenario names label lines and name subfolders, so they must differ (also as folder names).

    Raises:
        ValueError: naming the clashing scenarios.
    """
    folders = Counter(folder_name(n) for n in names)
    clashes = sorted({n for n in names if folders[folder_name(n)] > 1})
    if clashes:
        raise ValueError(
            f"scenarios to compare must have distinct meta.name values; these clash: {clashes} "
            f"(give each scenario file its own [meta] name)"
        )


def compare_scenarios(scenarios: list[Scenario], seed: int | None = None, progress: bool = False) -> list[RunResult]:
    """Run every scenario and return the results in the given order.

    Args:
        scenarios: at least one validated scenario, with distinct ``meta.name``.
        seed: one seed for all runs (common random numbers, so differences come from the
            scenarios, not the draws); None uses each scenario's own ``meta.seed``.
        progress: show a progress bar per run (only on a terminal).

    Raises:
        ValueError: no scenarios, or two share a name; checked before anything runs.
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario; got none")
    check_distinct_names([s.meta.name for s in scenarios])
    return [run_scenario(s, seed=seed, progress=progress) for s in scenarios]


def comparison_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """One row per run with the columns :data:`COMPARISON_COLUMNS` (values from each summary)."""
    rows = [{column: r.summary.get(column) for column in COMPARISON_COLUMNS} for r in results]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def default_compare_name(names: Sequence[str]) -> str:
    """Folder name for a comparison: ``compare-<name1>-vs-<name2>...``."""
    return "compare-" + "-vs-".join(folder_name(n) for n in names)


def write_comparison(
    results: Sequence[RunResult], out_dir: Path | str, force: bool = False, figures: bool = True
) -> Path:
    """Write comparison.csv, the overlay figures and every run's folder into ``out_dir``, atomically.

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False (nothing is written).
        ValueError: no results, or two runs share a scenario name.
    """
    if not results:
        raise ValueError("nothing to write: no results to compare")
    names = [r.summary["scenario"] for r in results]
    check_distinct_names(names)
    out = Path(out_dir)
    with atomic_output_dir(out, force) as tmp:
        write_table(comparison_table(results), tmp / "comparison.csv")
        for result, name in zip(results, names, strict=True):
            folder = tmp / folder_name(name)
            folder.mkdir()
            write_run_files(result, folder, figures)
        if figures:
            plots.save_compare_figures(
                {name: r.model for name, r in zip(names, results, strict=True)},
                tmp,
                stall_years={name: r.scenario.hardware.stall_year for name, r in zip(names, results, strict=True)},
            )
    return out
