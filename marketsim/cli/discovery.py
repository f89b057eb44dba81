"""What ``marketsim discover`` does and prints: the chosen box, the trajectory and the feature scores.

The command itself (its options) is :func:`marketsim.cli.uncertainty.discover_command`; the analysis
is :mod:`marketsim.experiments.discovery`, the figures :mod:`marketsim.viz.discovery_figures`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from marketsim.cli.errors import fail

if TYPE_CHECKING:
    from marketsim.experiments.discovery import Discovery

__all__ = ["print_discovery", "run_discover"]

#: Rows of the peeling trajectory shown (evenly spaced, first, last and chosen always included).
TRAJECTORY_ROWS = 12
#: Fewer runs than this get a warning: PRIM's boxes then follow a handful of points.
FEW_RUNS = 100


def _trajectory_rows(result: Discovery) -> list[int]:
    """Steps to show: about :data:`TRAJECTORY_ROWS` evenly spaced, plus the first, last and chosen."""
    last = len(result.trajectory) - 1
    stride = max(1, round(last / (TRAJECTORY_ROWS - 1))) if last else 1
    return sorted({*range(0, last + 1, stride), last, result.chosen})


def print_discovery(result: Discovery, out_dir: Path | None, written: list[Path]) -> None:
    """The scenario and condition, the chosen box, a summary of the trajectory and the feature scores."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from marketsim.experiments.discovery import format_limit

    box = result.box
    console = Console()
    console.print(f"Ensemble [bold]{escape(str(result.folder))}[/], {escape(result.scenario_note)}")
    missing = f"; {result.missing} run(s) with an empty value count as false" if result.missing else ""
    console.print(f"Condition [bold]{escape(result.condition)}[/] holds in {result.runs_true} of {result.runs} runs "
                  f"(base rate {result.base_rate:.3f}){escape(missing)}")

    limits = Table(title=f"Chosen box (step {result.chosen}): coverage {box['coverage']:.3f}, density "
                         f"{box['density']:.3f}, {int(box['runs_in_box'])} runs "
                         f"({int(box['runs_true_in_box'])} where the condition holds)",
                   caption=escape(f"Rule: {result.rule}. Quasi-p: one-sided binomial test of the restriction."))
    for column, justify in (("input", "left"), ("box", "left"), ("range drawn", "right"), ("quasi-p", "right")):
        limits.add_column(column, justify=justify)  # type: ignore[arg-type]
    for lim in result.limits:
        if lim.values or lim.all_values:
            drawn = ", ".join(lim.all_values)
        else:
            span = (lim.full_upper or 0.0) - (lim.full_lower or 0.0)
            drawn = f"{format_limit(lim.full_lower or 0.0, span)} .. {format_limit(lim.full_upper or 0.0, span)}"
        limits.add_row(escape(lim.input), escape(lim.range_text), drawn,
                       "" if lim.quasi_p is None else f"{lim.quasi_p:.2g}")
    if not result.limits:
        limits.add_row("(none)", "the whole input space", "", "")

    steps = Table(title=f"Peeling trajectory ({len(result.trajectory)} boxes; * = chosen)")
    for column in ("step", "coverage", "density", "runs in box", "inputs restricted"):
        steps.add_column(column, justify="right")
    for step in _trajectory_rows(result):
        row = result.trajectory.iloc[step]
        mark = "*" if step == result.chosen else ""
        steps.add_row(f"{step}{mark}", f"{row['coverage']:.3f}", f"{row['density']:.3f}",
                      str(int(row["runs_in_box"])), str(int(row["restricted_inputs"])))

    scores = Table(title="Feature scores for the condition (extra trees, sum 1)")
    for column, justify in (("rank", "right"), ("input", "left"), ("score", "right"), ("in box", "left")):
        scores.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in result.scores.itertuples(index=False):
        scores.add_row(str(row.rank), escape(str(row.input)), f"{row.score:.3f}", "yes" if row.in_box else "")

    console.print(limits, steps, scores)
    if result.runs < FEW_RUNS:
        console.print(f"Note: only {result.runs} runs; a box from fewer than about {FEW_RUNS} is fragile "
                      f"(restrictions with a large quasi-p are likely chance). Run more --draws.")
    console.print(f"PRIM: {escape(result.library)}")
    if out_dir is None:
        console.print("Nothing written; add --out DIR for box.json, trajectory.csv, scores.csv and the figures.")
    else:
        console.print(f"Written to [bold]{escape(str(out_dir))}[/]: {escape(', '.join(p.name for p in written))}")


def run_discover(folder: Path, where: str, scenario: str | None, threshold: float | None, min_coverage: float,
                 out: Path | None, force: bool) -> None:
    """Check the output folder, run the discovery, write (with ``out``) and print; fixable errors exit 2."""
    from marketsim.cli.inputs import check_out
    from marketsim.experiments.discovery import DiscoveryError, discover
    from marketsim.experiments.discovery_outputs import write_discovery
    from marketsim.experiments.outputs import OutputExistsError, OutputPathError

    if out is not None:
        check_out(out, force)  # before the analysis: a refused folder is known at once
    try:
        result = discover(folder, where, scenario=scenario, threshold=threshold, min_coverage=min_coverage)
        written: list[Path] = []
        if out is not None:
            from marketsim.viz.discovery_figures import save_discovery_figures

            written = write_discovery(result, out, force=force, figures=save_discovery_figures)
    except (DiscoveryError, OutputExistsError, OutputPathError) as err:
        fail(str(err))
    print_discovery(result, out, written)
