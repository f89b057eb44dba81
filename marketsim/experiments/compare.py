"""Compare scenarios: run each (same seed by default), tabulate headline numbers, overlay figures.

``write_comparison`` writes one folder, atomically::

    <out_dir>/comparison.csv          one row per scenario (see comparison_table)
    <out_dir>/columns.csv             unit and meaning of every comparison.csv column
    <out_dir>/compare_*.png           overlay figures, if a figure writer is given (the CLI passes
                                      marketsim.viz.save_compare_figures)
    <out_dir>/<scenario name>/        each run's own files, as written by ``marketsim run``

The same scenario file may be compared with itself under different settings: a scenario argument
``FILE[key.path=value,...]`` carries its own overrides (:func:`parse_scenario_arg`), and labels
(:func:`compare_labels`) name the runs in comparison.csv, subfolders and figure legends.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from marketsim.config.keypaths import split_assignments
from marketsim.experiments.files import write_table
from marketsim.experiments.outputs import CompareFigureWriter, RunFigureWriter, folder_name, write_run_files
from marketsim.experiments.run import RunResult, run_scenario
from marketsim.experiments.safety import atomic_output_dir
from marketsim.sim.tables import DIFF_SUFFIX, PCT_SUFFIX, has_percent_change, write_columns

if TYPE_CHECKING:
    from marketsim.config import Scenario

__all__ = [
    "COMPARISON_COLUMNS",
    "COMPARISON_METRICS",
    "ScenarioArg",
    "check_distinct_names",
    "check_labels",
    "compare_labels",
    "compare_scenarios",
    "comparison_table",
    "default_compare_name",
    "parse_scenario_arg",
    "relabel",
    "write_comparison",
]

#: Summary keys compared (units in marketsim.sim.tables.SUMMARY), one column each in comparison.csv.
COMPARISON_METRICS = [
    "final_adoption_share",
    "largest_N",
    "cumulative_training_spend",
    "final_training_spend_annual",
    "year_adoption_passes_50pct",
    "final_hhi",
]


def _metric_columns(metric: str) -> list[str]:
    """The metric, its difference and (where a ratio means something) its percent change."""
    return [metric, metric + DIFF_SUFFIX, *([metric + PCT_SUFFIX] if has_percent_change(metric) else [])]


#: Columns of comparison.csv: the scenario name, then per metric its value, the difference from
#: the first scenario and the percent change against it (none for calendar years, where a ratio
#: of years means nothing).
COMPARISON_COLUMNS = ["scenario", *(column for metric in COMPARISON_METRICS for column in _metric_columns(metric))]


# --- scenario arguments and labels ----------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioArg:
    """One scenario argument of ``marketsim compare``.

    Attributes:
        text: the argument as given, e.g. ``baseline[hardware.stall_year=2030]``.
        file: the scenario file or bundled name, e.g. ``baseline``.
        overrides: its own ``key.path=value`` overrides, applied after the global ``--set`` ones.
    """

    text: str
    file: str
    overrides: tuple[str, ...] = ()


def parse_scenario_arg(text: str) -> ScenarioArg:
    """``FILE`` or ``FILE[key.path=value,key.path=value]`` -> the file and its own overrides.

    An existing file is taken as a file even if its name has brackets. Overrides are split at
    commas outside brackets and quotes, so ``firms[0].price=3`` and list values work; each is
    checked when the scenario loads, with the same messages as ``--set``.

    Raises:
        ValueError: a ``[`` without a closing ``]`` at the end.
    """
    if Path(text).is_file() or "[" not in text:
        return ScenarioArg(text, text)
    file, _, rest = text.partition("[")
    if not rest.endswith("]") or not file:
        raise ValueError(
            f"scenario {text!r}: must be FILE or FILE[key.path=value,...] with the overrides in one "
            f"pair of brackets at the end, e.g. baseline[hardware.stall_year=2030]"
        )
    inside = rest[:-1].strip()
    return ScenarioArg(text, file, tuple(split_assignments(inside)) if inside else ())


def check_labels(labels: Sequence[str] | None, count: int) -> None:
    """Explicit labels, if any, must be one non-empty label per scenario.

    Raises:
        ValueError: the number of labels differs from ``count``, or a label is blank.
    """
    if not labels:
        return
    if len(labels) != count:
        raise ValueError(
            f"--label given {len(labels)} time{'s' if len(labels) != 1 else ''} for {count} scenarios; "
            f"give one --label per scenario, in the order of the scenarios, or none"
        )
    blank = [i + 1 for i, label in enumerate(labels) if not label.strip()]
    if blank:
        raise ValueError(f"--label number {blank[0]} is empty; a label names a scenario's results")


def compare_labels(args: Sequence[ScenarioArg], scenarios: Sequence[Scenario],
                   labels: Sequence[str] | None = None) -> list[str]:
    """Names of the compared runs: the explicit ``labels``, else ``meta.name`` plus any own overrides.

    A scenario given with its own overrides is labelled ``<meta.name>[<overrides>]``, so that the
    same file compared with itself under different settings gets distinct names.

    Raises:
        ValueError: as :func:`check_labels`.
    """
    check_labels(labels, len(scenarios))
    if labels:
        return list(labels)
    return [s.meta.name + (f"[{','.join(a.overrides)}]" if a.overrides else "")
            for a, s in zip(args, scenarios, strict=True)]


def relabel(scenario: Scenario, label: str) -> Scenario:
    """The scenario with ``meta.name = label`` (the label names its results and its scenario.toml)."""
    if label == scenario.meta.name:
        return scenario
    return scenario.model_copy(update={"meta": scenario.meta.model_copy(update={"name": label})})


def check_distinct_names(names: Sequence[str]) -> None:
    """Scenario names label lines and name subfolders, so they must differ (also as folder names).

    Raises:
        ValueError: naming the clashing scenarios, or a name with no letters or digits.
    """
    folders = Counter(folder_name(n) for n in names)
    clashes = sorted({n for n in names if folders[folder_name(n)] > 1})
    if clashes:
        raise ValueError(
            f"scenarios to compare must have distinct meta.name values; these clash: {clashes} "
            f"(name each run with --label, give each its own overrides as FILE[key=value], or give "
            f"each scenario file its own [meta] name)"
        )


# --- running and tabulating -----------------------------------------------------------------------


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


def _number(value: object) -> float:
    """A summary value as a float; None, text and non-finite values become NaN (an empty cell)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return math.nan
    return float(value) if math.isfinite(value) else math.nan


def comparison_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """One row per run with the columns :data:`COMPARISON_COLUMNS`.

    Values come from each run's summary. ``<metric>_diff`` is the value minus the first run's and
    ``<metric>_pct_change`` is ``100 * diff / first``; both are NaN (an empty CSV cell) for the first
    row, where a value is missing, and (percent change) where the first value is 0.
    """
    table = pd.DataFrame({"scenario": [r.summary.get("scenario") for r in results]})
    for metric in COMPARISON_METRICS:
        values = pd.Series([_number(r.summary.get(metric)) for r in results], dtype=float)
        diff = values - values.iloc[0] if len(values) else values
        diff.iloc[:1] = np.nan
        table[metric] = values
        table[metric + DIFF_SUFFIX] = diff
        if has_percent_change(metric):
            first = values.iloc[0] if len(values) else math.nan
            table[metric + PCT_SUFFIX] = 100.0 * diff / first if first != 0 and math.isfinite(first) else np.nan
    return table[COMPARISON_COLUMNS]


def default_compare_name(names: Sequence[str]) -> str:
    """Folder name for a comparison: ``compare-<name1>-vs-<name2>...``."""
    return "compare-" + "-vs-".join(folder_name(n) for n in names)


def _common_periods_per_year(results: Sequence[RunResult]) -> int | None:
    """The runs' meta.periods_per_year if they share one, else None ("per period" varies by run)."""
    values = {r.scenario.meta.periods_per_year for r in results}
    return values.pop() if len(values) == 1 else None


def write_comparison(
    results: Sequence[RunResult],
    out_dir: Path | str,
    force: bool = False,
    figures: RunFigureWriter | None = None,
    compare_figures: CompareFigureWriter | None = None,
) -> Path:
    """Write comparison.csv, columns.csv, the overlay figures and every run's folder into ``out_dir``, atomically.

    Args:
        figures: draws each run's figures in its subfolder (as for
            :func:`marketsim.experiments.outputs.write_run`); None: none.
        compare_figures: draws the overlay figures (e.g.
            ``marketsim.viz.save_compare_figures``); None: none.

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False (nothing is written).
        ValueError: no results, or two runs share a scenario name.
    """
    if not results:
        raise ValueError("nothing to write: no results to compare")
    names = [r.summary["scenario"] for r in results]
    check_distinct_names(names)
    out = Path(out_dir)
    seeds = {r.seed for r in results}  # the manifest names a seed only if every run used it
    with atomic_output_dir(out, force, command="compare", seed=seeds.pop() if len(seeds) == 1 else None) as tmp:
        table = comparison_table(results)
        write_table(table, tmp / "comparison.csv")
        write_columns(tmp, {"comparison.csv": list(table.columns)}, _common_periods_per_year(results))
        for result, name in zip(results, names, strict=True):
            folder = tmp / folder_name(name)
            folder.mkdir()
            write_run_files(result, folder, figures)
        if compare_figures is not None:
            compare_figures(
                {name: r.model for name, r in zip(names, results, strict=True)},
                tmp,
                stall_years={name: r.scenario.hardware.stall_year for name, r in zip(names, results, strict=True)},
            )
    return out
