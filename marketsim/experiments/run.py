"""Run one scenario: the model's tables plus a summary of headline numbers.

``run_scenario`` builds a :class:`marketsim.sim.model.MarketModel`, runs it to the horizon (with an
optional rich progress bar showing the simulated year) and returns a :class:`RunResult`;
:func:`marketsim.experiments.outputs.write_run` turns that into a results folder.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

import marketsim

if TYPE_CHECKING:
    from marketsim.config import Scenario

__all__ = ["RunResult", "run_scenario", "summarize", "with_seed", "json_safe"]


@dataclass
class RunResult:
    """One finished run.

    Attributes:
        scenario: the resolved scenario that was run (``meta.seed`` is the seed used).
        seed: the seed of the model's random generator.
        model: model.csv table, one row per period (docs/architecture.md).
        firms: firms.csv table, one row per firm per period.
        summary: headline numbers (see :func:`summarize`), JSON-safe.
    """

    scenario: Scenario
    seed: int
    model: pd.DataFrame
    firms: pd.DataFrame
    summary: dict[str, Any]


def json_safe(value: Any) -> Any:
    """Python builtins only, recursively: numpy scalars -> int/float/bool, NaN and inf -> None."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def with_seed(scenario: Scenario, seed: int | None) -> Scenario:
    """The scenario with ``meta.seed`` set to ``seed`` (unchanged when None), validated again.

    Raises:
        ScenarioError: the seed is not an integer >= 0 (named as the ``--seed`` option).
    """
    if seed is None or seed == scenario.meta.seed:
        return scenario
    from marketsim.config import scenario_from_dict

    return scenario_from_dict(
        scenario.model_dump(mode="python"), source="--seed", overrides=[f"meta.seed={seed}"]
    )


def _last(series: pd.Series) -> Any:
    return series.iloc[-1] if len(series) else None


def _first_year_at_least(model: pd.DataFrame, column: str, level: float) -> float | None:
    """Calendar year of the first period with ``column >= level`` (None if never)."""
    hits = model.loc[model[column] >= level, "year"]
    return float(hits.iloc[0]) if len(hits) else None


def _final_leader(firms: pd.DataFrame) -> str | None:
    """Firm with the largest share of adopters in the last period (None if nobody adopts).

    Ties go to the firm listed first, so the answer does not depend on sort stability.
    """
    if firms.empty:
        return None
    last = firms[firms["step"] == firms["step"].max()]
    shares = last["share"].to_numpy(dtype=float)
    if not np.isfinite(shares).any() or np.nanmax(shares) <= 0:
        return None
    return str(last["firm"].iloc[int(np.nanargmax(shares))])


def _versions() -> dict[str, str]:
    """Provenance without git: interpreter, platform and the versions of the numeric stack."""

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "mesa_version": version("mesa"),
        "platform": platform.platform(terse=True),
    }


def summarize(model_df: pd.DataFrame, firms_df: pd.DataFrame, scenario: Scenario, seed: int) -> dict[str, Any]:
    """Headline numbers of a run, JSON-safe (builtins only; NaN becomes None).

    Keys, in order: ``scenario``, ``seed``, ``marketsim_version``, ``start_year``, ``end_year``,
    ``years``, ``periods``, ``final_adoption_share``, ``final_adopters``, ``largest_N``,
    ``largest_D``, ``best_loss``, ``cumulative_training_spend``, ``final_training_spend_annual``,
    ``year_adoption_passes_50pct`` (None if never), ``final_hhi``, ``firms_alive``,
    ``ended_early_year`` (calendar year the run stopped because every firm had exited, None if it
    reached its horizon), ``final_leader``
    (None if nobody adopts), then ``python_version``, ``numpy_version``, ``pandas_version``,
    ``mesa_version``, ``platform``. Their units and meanings are in
    :data:`marketsim.sim.tables.SUMMARY` (written next to summary.json as columns.csv).

    Raises:
        ValueError: the model table has no rows.
    """
    if model_df.empty:
        raise ValueError(f"cannot summarize scenario {scenario.meta.name!r}: the model table has no rows")
    period = 1.0 / scenario.meta.periods_per_year
    end_year = float(_last(model_df["year"])) + period
    summary = {
        "scenario": scenario.meta.name,
        "seed": int(seed),
        "marketsim_version": marketsim.__version__,
        "start_year": scenario.meta.start_year,
        "end_year": end_year,
        "years": end_year - scenario.meta.start_year,
        "periods": len(model_df),
        "final_adoption_share": _last(model_df["adoption_share"]),
        "final_adopters": _last(model_df["adopters"]),
        "largest_N": model_df["largest_N"].max(),
        "largest_D": model_df["largest_D"].max(),
        "best_loss": model_df["best_loss"].min(),
        "cumulative_training_spend": model_df["training_spend"].sum(),
        "final_training_spend_annual": _last(model_df["training_spend_annual"]),
        "year_adoption_passes_50pct": _first_year_at_least(model_df, "adoption_share", 0.5),
        "final_hhi": _last(model_df["hhi"]),
        "firms_alive": _last(model_df["firms_alive"]),
        # the model stops when every firm has exited: say so rather than look like a shorter run
        "ended_early_year": end_year if len(model_df) < scenario.n_periods else None,
        "final_leader": _final_leader(firms_df),
        **_versions(),
    }
    return json_safe(summary)


@contextmanager
def _progress_bar(name: str, periods: int, enabled: bool) -> Iterator[Callable[[int, int, float], None] | None]:
    """A rich progress bar fed by ``MarketModel.run``'s callback; None when disabled.

    Disabled also when stdout is not a terminal (logs and pipes get no bar, not even a final
    one); ``transient`` so the finished bar gives way to the results table.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console()
    if not enabled or not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("periods, year {task.fields[year]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(escape(name), total=periods, year="…")  # a name is text, not rich markup

        def update(done: int, total: int, year: float) -> None:
            bar.update(task, completed=done, total=total, year=f"{year:.2f}")

        yield update


def run_scenario(scenario: Scenario, seed: int | None = None, progress: bool = False) -> RunResult:
    """Run ``scenario`` to its horizon and return its tables and summary.

    Args:
        scenario: a validated scenario.
        seed: random seed; None uses ``scenario.meta.seed``. The returned scenario records it.
        progress: show a progress bar with the simulated year (only on a terminal).

    Raises:
        ScenarioError: ``seed`` is negative.
    """
    # Imported here: building the Mesa model is only needed to run, not to summarize or write.
    from marketsim.sim.model import MarketModel

    resolved = with_seed(scenario, seed)
    used_seed = resolved.meta.seed
    model = MarketModel(scenario=resolved, seed=used_seed)
    with _progress_bar(resolved.meta.name, resolved.n_periods, progress) as callback:
        model.run(progress=callback)
    model_df = model.model_table()
    firms_df = model.firm_table()
    return RunResult(
        scenario=resolved,
        seed=used_seed,
        model=model_df,
        firms=firms_df,
        summary=summarize(model_df, firms_df, resolved, used_seed),
    )
