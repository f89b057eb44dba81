"""Everything the commands print as tables, headlines or JSON (rich), in one place.

Text a user typed (paths, scenario names, grid keys such as ``"[/bad]"``) is escaped: rich must
print it, not read it as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

    from marketsim.economics.optimizer import Optimum
    from marketsim.economics.statics import StaticsReport
    from marketsim.economics.trends import TrendInputs, TrendTable
    from marketsim.economics.variants import Variant
    from marketsim.experiments.batch.sweep import SweepResult
    from marketsim.experiments.validation import HistoryReport

#: Summary numbers shown per configuration after a sweep (means over seeds).
SWEEP_COLUMNS = ("final_adoption_share", "largest_N", "cumulative_training_spend", "final_hhi")

#: Units of the quantities ``optimize`` prints, in the order printed.
OPTIMUM_UNITS = {"N": "parameters", "D": "tokens", "loss": "nats/token", "R": "nats/token", "adopters": "people",
                 "revenue": "$", "training_cost": "$", "serving_cost": "$", "data_cost": "$", "profit": "$",
                 "compute": "FLOP"}


def print_json(value: Any) -> None:
    """One indented JSON object on stdout (numpy scalars as numbers, NaN and inf as null)."""
    import json

    from marketsim.experiments.run import json_safe

    typer.echo(json.dumps(json_safe(value), indent=2))


def _print(*renderables: Any) -> None:
    """Print rich renderables (tables, markup lines) to stdout."""
    from rich.console import Console

    console = Console()
    for renderable in renderables:
        console.print(renderable)


def _table(title: str, columns: Iterable[str], caption: str | None = None, **column_options: Any) -> Any:
    """A rich table with the given title, caption and plain columns."""
    from rich.table import Table

    table = Table(title=title, caption=caption)
    for column in columns:
        table.add_column(column, **column_options)
    return table


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter, copy-pasteable)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- theory, optimize, trends ------------------------------------------------------------------


def print_variants(variants: Iterable[Variant]) -> None:
    """The model variants: name, market (saturating or permissive), description."""
    table = _table("Model variants", ("name", "market", "description"))
    for v in variants:
        table.add_row(v.name, "saturating" if v.saturating else "permissive", v.description)
    _print(table)


def print_claims(report: StaticsReport, variant: Variant) -> None:
    """The paper's claims, the measured slopes (fit [local min, max]) and whether each holds."""
    from marketsim.economics.statics import CLAIM_TEXT

    def fmt(slope: Any) -> str:
        if slope.fit is None:
            return "n/a"
        return f"{slope.fit:+.2f} [{slope.local_min:+.2f}, {slope.local_max:+.2f}]"

    def num(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.2f}"

    measured = {
        "N_near_linear_in_E": fmt(report.slope_N_E),
        "D_near_linear_in_E": fmt(report.slope_D_E),
        "compute_subquadratic_in_E": fmt(report.slope_compute_E) + f"  (spend {fmt(report.slope_spend_E)})",
        "data_efficiency_raises_N": num(report.elasticity_N_rhoD),
        "data_efficiency_raises_spend": num(report.elasticity_spend_rhoD),
        "databound_spend_D2_over_E": f"E {fmt(report.databound_slope_spend_E)}; "
                                     f"D_bar {fmt(report.databound_slope_spend_Dbar)}",
    }
    table = _table(f"Paper's claims vs measured elasticities: variant '{variant.name}'",
                   ("claim", "measured slope: fit [local min, max]", "verdict"), caption=variant.description)
    for key, text in CLAIM_TEXT.items():
        ok = report.claims[key]
        table.add_row(text, measured[key], "[green]holds[/]" if ok else "[red]does not hold[/]")
    _print(table)


def print_optimum(opt: Optimum, E: float, variant_name: str) -> None:
    """One firm's profit-optimal model: each quantity with its unit, then regime and convergence."""
    from rich.table import Table

    table = Table(title=f"Profit-optimal model at E = {E:.3g} FLOP/$ (variant '{variant_name}')")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, unit in OPTIMUM_UNITS.items():
        table.add_row(key, f"{getattr(opt, key):.4g}", unit)
    table.add_row("regime", opt.regime, "")
    table.add_row("converged", str(opt.converged), "")
    _print(table)


def print_trends(result: TrendTable, inputs: TrendInputs, band: bool) -> None:
    """Profit-optimal growth of training spend per variant against the observed trend."""
    lo, hi = inputs.observed_ci
    columns = ("variant", "market", "regime", "efficiency", "growth x/yr", *(["HO24 CI band"] if band else []),
               "consistent")
    table = _table(f"Profit-optimal training spend growth vs observed {inputs.observed}x/yr (COT24 90% CI {lo}-{hi})",
                   columns,
                   caption=f"E x{inputs.hardware_growth:.3g}/yr, algorithms x{inputs.algorithmic_growth:.3g}/yr "
                           f"({inputs.rho_D_share:g} of it in rho_D), over {inputs.years:g} years")
    for r in result.results:
        growth = "n/a (no training)" if r.growth is None else f"{r.growth:.2f}"
        band_cell = [] if not band else ["" if r.growth_band is None else
                                         " to ".join("n/a" if g is None else f"{g:.2f}" for g in r.growth_band)]
        table.add_row(r.variant, r.market, r.regime, r.efficiency, growth, *band_cell,
                      "[green]yes[/]" if r.consistent else "[red]no[/]")
    _print(table)


# --- scenarios, run, compare -------------------------------------------------------------------


def print_scenarios(rows: Sequence[tuple[str, Path, str]], scenario_dir: Path) -> None:
    """The bundled scenarios: name, path (relative when below the working directory), description."""
    from rich.table import Table

    table = Table(title=f"Bundled scenarios ({scenario_dir})")
    table.add_column("name", no_wrap=True)
    table.add_column("path", overflow="fold")
    table.add_column("description")
    for name, path, description in rows:
        table.add_row(name, display_path(path), description)
    _print(table)


def print_headlines(summaries: list[dict], out_dir: Path, title: str) -> None:
    """Where the results went, then a table of headline numbers (one column per scenario)."""
    from rich.markup import escape
    from rich.table import Table

    from marketsim.cli.headline import format_headline

    table = Table(title=escape(title))
    table.add_column("")
    for summary in summaries:
        table.add_column(escape(str(summary["scenario"])), justify="right")
    columns = [format_headline(s) for s in summaries]
    for label in columns[0]:
        table.add_row(label, *(c[label] for c in columns))
    _print(f"Results written to [bold]{escape(str(out_dir))}[/]", table)


def print_regime_changes(lines: dict[str, list[str]]) -> None:
    """One line per regime change of each run (:func:`marketsim.sim.regimes.regime_lines`), under
    the run's name when there are several; a run without changes says so. Plain text, one change per
    line however wide the terminal (a wrapped line would read as two changes)."""
    several = len(lines) > 1
    out = ["Regime changes (firms.csv regime, binding and decision say more; docs/theory.md §4):"]
    for name, changes in lines.items():
        if several:
            out.append(f"  {name}:")
        indent = "    " if several else "  "
        out += [indent + line for line in changes] or [indent + "none: every firm stays in its first regime"]
    typer.echo("\n".join(out))


# --- sweep, sensitivity ------------------------------------------------------------------------


def print_sweep(result: SweepResult, keys: list[str]) -> None:
    """One row per configuration: grid values, finished runs, and mean headline numbers over seeds."""
    import pandas as pd
    from rich.markup import escape
    from rich.table import Table

    from marketsim.cli.headline import HEADLINE

    summary = result.summary
    done = summary[summary["status"] == "done"]
    metrics = [m for m in SWEEP_COLUMNS if m in done.columns]
    groups = summary.groupby(keys, sort=False, dropna=False) if keys else [((), summary)]
    table = Table(title=f"Sweep: {result.computed} computed, {result.skipped} already done, "
                        f"{result.failed} failed (means over seeds)")
    for key in keys:
        table.add_column(escape(key), justify="right", overflow="fold")
    table.add_column("runs done", justify="right")
    for metric in metrics:
        table.add_column(HEADLINE[metric][0], justify="right", overflow="fold")
    for values, rows in groups:
        ok = rows[rows["status"] == "done"]
        means = [pd.to_numeric(ok[m], errors="coerce").mean() if len(ok) else None for m in metrics]
        cells = [HEADLINE[m][1](None if v is None or pd.isna(v) else float(v)) for m, v in zip(metrics, means)]
        key_cells = [escape(str(v)) for v in (values if isinstance(values, tuple) else (values,))][: len(keys)]
        table.add_row(*key_cells, f"{len(ok)}/{len(rows)}", *cells)
    _print(table, f"Tables in [bold]{escape(str(result.out_dir))}[/]: runs.parquet (per run per period), "
                  "summary.parquet (per run)")


def print_sensitivity(indices: pd.DataFrame, output: str, samples: int, n_params: int, seeds: int,
                      out_dir: Path) -> None:
    """Sobol' indices S1 and ST (with 95% intervals) per parameter, then where they were written."""
    from rich.markup import escape
    from rich.table import Table

    shown = Table(title=escape(f"Sobol' sensitivity of {output} ({samples} x {n_params + 2} configurations, "
                               f"{seeds} seed(s) each; +/- is the 95% interval)"))
    shown.add_column("parameter")
    shown.add_column("first order S1", justify="right")
    shown.add_column("total ST", justify="right")
    for row in indices.itertuples():
        shown.add_row(escape(row.parameter), f"{row.S1:.3f} +/- {row.S1_conf:.3f}",
                      f"{row.ST:.3f} +/- {row.ST_conf:.3f}")
    _print(shown, f"Written to [bold]{escape(str(out_dir))}[/]: sensitivity.csv, sensitivity.png, runs.parquet, "
                  "summary.parquet")


# --- validate-history ----------------------------------------------------------------------------


def print_history(report: HistoryReport) -> None:
    """The historical run against the published record: one row per quantity, then the notes."""
    from marketsim.experiments.validation import format_interval, format_value

    table = _table(f"{report.scenario.meta.name} (seed {report.seed}) vs the published record",
                   ("quantity", "record", "interval", "simulated", "verdict", "source"), overflow="fold")
    for row in report.rows:
        key = row.target.key
        style = {True: "green", False: "red", None: "yellow"}[row.inside]
        table.add_row(row.target.label, format_value(key, row.target.value), format_interval(row.target),
                      format_value(key, row.simulated), f"[{style}]{row.verdict}[/]", row.target.source)
    _print(table, *(f"- {row.target.label}: {row.note}" for row in report.rows if row.note))


def print_statics(result: Any) -> None:
    """``marketsim statics``: each elasticity measured in the simulated market (fit, 90% interval,
    generations), the stand-alone optimizer's prediction, and which of the paper's claims hold."""
    from marketsim.economics.statics import CLAIM_TEXT
    from marketsim.experiments.statics import FITS

    def num(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.2f}"

    predicted = result.prediction.as_json()
    table = _table(f"Comparative statics in the simulated market: {result.scenario}",
                   ("elasticity", "simulated", "90% interval", "generations (points)", "regime", "optimizer"),
                   caption=f"{result.runs} runs of {result.years:g} years; stand-alone optimizer at the "
                           f"scenario's start: {result.problem.describe()}")
    for key, fit in result.fits.items():
        interval = "n/a" if fit.interval is None else f"[{fit.interval[0]:+.2f}, {fit.interval[1]:+.2f}]"
        table.add_row(key, num(fit.slope), interval, f"{fit.generations_used} ({fit.points})", FITS[key].regime,
                      num(predicted[key]))
    claims = _table("The paper's claims", ("claim", "simulated market", "optimizer"))
    verdict = {True: "[green]holds[/]", False: "[red]does not hold[/]"}
    for key, text in CLAIM_TEXT.items():
        claims.add_row(text, verdict[result.claims[key]], verdict[result.prediction.claims[key]])
    _print(table, claims, f"measured in {result.seconds:.0f} s")
