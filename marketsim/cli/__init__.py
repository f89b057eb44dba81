"""The ``marketsim`` command line (typer).

Commands are thin: they parse options, call :mod:`marketsim.experiments` or
:mod:`marketsim.economics`, and print. Errors the user can fix exit with status 2 and one message.
"""

from __future__ import annotations

import errno
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from marketsim.experiments.batch.sweep import SweepResult
    from marketsim.config.scenario import Scenario


# --- process-wide handling: signals and file-system errors ----------------------------------

#: Signals that stop a command the way Ctrl-C does: the exception unwinds, so unfinished output
#: (a temporary folder) is removed and a sweep records what it finished.
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(KeyboardInterrupt):
    """A stop signal arrived (SIGINT, SIGTERM or SIGHUP); a KeyboardInterrupt so code handles all alike."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


class _StopState:
    """The first stop signal received while a command runs, and whether a message was printed."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.reported = False


#: The running command's stop state (None outside a command); ``_stop_interrupted`` marks it reported.
_stop_state: _StopState | None = None


@contextmanager
def _signals_as_interrupts() -> Iterator[_StopState]:
    """While a command runs, turn SIGINT, SIGTERM and SIGHUP into :class:`Stopped`; restore after.

    A signal the process was started ignoring (``nohup`` ignores SIGHUP) stays ignored. Outside
    the main thread (a test runner's worker) nothing is installed: Python allows it only there.
    """
    global _stop_state
    state = _stop_state = _StopState()

    def stop(signum: int, frame: Any) -> None:
        if state.signum is None:
            state.signum = signum
        raise Stopped(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, stop)
    try:
        yield state
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop_state = None


def _os_error_message(err: OSError) -> str:
    """``PATH: reason`` for an operating-system error (``str(err)`` for marketsim's own ones)."""
    if err.strerror is None or err.filename is None:
        return str(err)
    where = str(err.filename) + (f" -> {err.filename2}" if err.filename2 is not None else "")
    return f"{where}: {err.strerror}"


class _MarketsimGroup(TyperGroup):
    """The command group: stop signals end a command cleanly, file-system errors exit 2 with a message."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with _signals_as_interrupts() as state:
            try:
                return super().main(*args, **kwargs)
            except SystemExit:
                if state.signum is None:
                    raise
                name = signal.Signals(state.signum).name
                if not state.reported:
                    typer.echo(f"\nmarketsim: stopped by {name}; unfinished output was discarded", err=True)
                # 128 + signal number, the shell's convention (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)
                sys.exit(128 + state.signum)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as err:
            if err.errno == errno.EPIPE:
                raise  # typer handles a closed pipe (e.g. `marketsim ... | head`)
            _fail(_os_error_message(err))


app = typer.Typer(
    name="marketsim",
    help="Simulate the market for large language models: run, compare and analyse scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_MarketsimGroup,
)


def _print_version(value: bool) -> None:
    """``--version``: print ``marketsim VERSION`` and exit."""
    if value:
        from marketsim import __version__

        typer.echo(f"marketsim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Simulate the market for large language models: run, compare and analyse scenarios."""


# --- economics commands (theory, optimize) -------------------------------------------------


def _fail(message: str) -> NoReturn:
    """Print ``error: message`` to stderr and exit with status 2 (a problem the user can fix)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@app.command()
def theory(
    variant: str = typer.Option("default", "--variant", help="Model variant (see --list-variants)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    list_variants: bool = typer.Option(False, "--list-variants", help="List the variants and exit."),
) -> None:
    """Measure the paper's comparative statics for a variant and say which claims hold."""
    import json

    from rich.console import Console
    from rich.table import Table

    from marketsim.economics import VARIANTS, elasticities, get_variant
    from marketsim.economics.statics import CLAIM_TEXT
    from marketsim.experiments.run import json_safe

    console = Console()
    if list_variants:
        table = Table(title="Model variants")
        table.add_column("name")
        table.add_column("market")
        table.add_column("description")
        for v in VARIANTS.values():
            table.add_row(v.name, "saturating" if v.saturating else "permissive", v.description)
        console.print(table)
        return
    try:
        chosen = get_variant(variant)
    except ValueError as exc:
        _fail(str(exc))
    report = elasticities(chosen)
    if as_json:
        typer.echo(json.dumps(json_safe(report.as_json()), indent=2))
        return

    def fmt(slope) -> str:
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
    table = Table(title=f"Paper's claims vs measured elasticities: variant '{chosen.name}'",
                  caption=chosen.description)
    table.add_column("claim")
    table.add_column("measured slope: fit [local min, max]")
    table.add_column("verdict")
    for key, text in CLAIM_TEXT.items():
        ok = report.claims[key]
        table.add_row(text, measured[key], "[green]holds[/]" if ok else "[red]does not hold[/]")
    console.print(table)


@app.command("optimize")
def optimize_command(
    E: float = typer.Option(1e18, "--E", help="Hardware efficiency, FLOP per dollar."),
    variant: str = typer.Option("default", "--variant", help="Model variant (see `theory --list-variants`)."),
    D_bar: float | None = typer.Option(None, "--D-bar", help="Usable data stock, tokens (default: unlimited)."),
    rho_D: float = typer.Option(1.0, "--rho-D", help="Data-efficiency multiplier."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Solve one firm's profit-maximisation problem and print N, D, loss, adopters, revenue, costs, profit."""
    import json

    from rich.console import Console
    from rich.table import Table

    from marketsim.economics import get_variant, optimize
    from marketsim.experiments.run import json_safe

    try:
        chosen = get_variant(variant)
        opt = optimize(chosen.law, chosen.demand, E, T=chosen.T, c_D=chosen.c_D, D_bar=D_bar,
                       closure=chosen.closure, rho_D=rho_D)  # type: ignore[arg-type]
    except ValueError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(json_safe({"variant": chosen.name, "E": E, "D_bar": D_bar, **opt.as_dict()}),
                              indent=2))
        return
    units = {"N": "parameters", "D": "tokens", "loss": "nats/token", "R": "nats/token", "adopters": "people",
             "revenue": "$", "training_cost": "$", "serving_cost": "$", "data_cost": "$", "profit": "$",
             "compute": "FLOP"}
    table = Table(title=f"Profit-optimal model at E = {E:.3g} FLOP/$ (variant '{chosen.name}')")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, unit in units.items():
        table.add_row(key, f"{getattr(opt, key):.4g}", unit)
    table.add_row("regime", opt.regime, "")
    table.add_row("converged", str(opt.converged), "")
    Console().print(table)




# --- scenario commands (validate, scenarios, run, compare) ---------------------------------


@app.command("validate")
def validate_command(
    file: str = typer.Argument(
        ..., help="Scenario TOML file, or the name of a bundled scenario (see `marketsim scenarios`).",
        show_default=False),
    overrides: list[str] | None = typer.Option(
        None, "--set", help="Override a scenario value, key.path=value (repeatable), e.g. --set firms.0.price=3."),
) -> None:
    """Check a scenario file: print a one-line summary, or every problem on stderr and exit 2."""
    from marketsim.config.scenario import exit_on_scenario_error, load_scenario, resolve_scenario_path

    with exit_on_scenario_error():
        scenario = load_scenario(resolve_scenario_path(file), overrides or [])
    n_firms = len(scenario.firms)
    typer.echo(f"OK: {scenario.meta.name} ({n_firms} firm{'' if n_firms == 1 else 's'}, "
               f"{scenario.meta.years:g} years)")


@app.command("scenarios")
def scenarios_command() -> None:
    """List the bundled scenarios: name, file and one-line description."""
    from rich.console import Console
    from rich.table import Table

    from marketsim.config.scenario import SCENARIO_DIR, bundled_scenarios, exit_on_scenario_error

    with exit_on_scenario_error():
        rows = bundled_scenarios()
    table = Table(title=f"Bundled scenarios ({SCENARIO_DIR})")
    table.add_column("name", no_wrap=True)
    table.add_column("path", overflow="fold")
    table.add_column("description")
    for name, path, description in rows:
        table.add_row(name, _display_path(path), description)
    Console().print(table)


def _display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter, copy-pasteable)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)



# run / compare: one scenario -> a results folder; several -> an overlay folder (experiments/).


def _load_scenarios(files: list[str], overrides: list[str]) -> list[Scenario]:
    """Load each file (a path or a bundled name) with the overrides; a ScenarioError exits 2."""
    from marketsim.config.scenario import exit_on_scenario_error, load_scenario, resolve_scenario_path

    with exit_on_scenario_error():
        return [load_scenario(resolve_scenario_path(file), overrides) for file in files]


def _check_out(out_dir: Path, force: bool) -> None:
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
        _fail(str(err))
    for stale in remove_stale_temp_dirs(out_dir):
        typer.echo(f"removed {stale}, a temporary folder left by an interrupted marketsim run", err=True)


def _print_headlines(summaries: list[dict], out_dir: Path, title: str) -> None:
    """Where the results went, then a table of headline numbers (one column per scenario)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from marketsim.experiments.run import format_headline

    console = Console()
    # user-provided text (paths, scenario names such as "[/bad]") is escaped: not rich markup
    console.print(f"Results written to [bold]{escape(str(out_dir))}[/]")
    table = Table(title=escape(title))
    table.add_column("")
    for summary in summaries:
        table.add_column(escape(str(summary["scenario"])), justify="right")
    columns = [format_headline(s) for s in summaries]
    for label in columns[0]:
        table.add_row(label, *(c[label] for c in columns))
    console.print(table)


_SET_HELP = "Override a scenario value, key.path=value (repeatable), e.g. --set meta.years=5."
_FILE_HELP = "Scenario TOML file, or the name of a bundled scenario (see `marketsim scenarios`)."
_FORCE_HELP = ("Replace the output folder if it exists and marketsim wrote it (it holds "
               "marketsim-manifest.json); anything else is refused.")


@app.command("run")
def run_command(
    file: str = typer.Argument(..., help=_FILE_HELP, show_default=False),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: outputs/<scenario name>)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's meta.seed)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=_SET_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table; print only the output folder."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Write the tables only, no PNG figures."),
) -> None:
    """Run one scenario; write model.csv, firms.csv, summary.json, scenario.toml and figures."""
    from marketsim.experiments.outputs import OutputExistsError, folder_name, write_run
    from marketsim.experiments.run import run_scenario

    (scenario,) = _load_scenarios([file], overrides or [])
    try:
        out_dir = out if out is not None else Path("outputs") / folder_name(scenario.meta.name)
    except ValueError as err:
        _fail(f"{err}, or give --out")
    _check_out(out_dir, force)
    result = run_scenario(scenario, seed=seed, progress=not quiet)
    try:
        write_run(result, out_dir, force=force, figures=not no_figures)
    except OutputExistsError as err:
        _fail(str(err))
    if quiet:
        typer.echo(str(out_dir))
        return
    _print_headlines([result.summary], out_dir, f"{scenario.meta.name} (seed {result.seed})")


_COMPARE_FILES_HELP = (
    "Two or more scenarios: files or bundled names, each optionally with its own overrides in "
    "brackets (applied after --set), e.g. baseline \"baseline\\[hardware.stall_year=2030]\"."
)  # rich reads [...] in help as markup; \\[ is a literal bracket


@app.command("compare")
def compare_command(
    files: list[str] = typer.Argument(..., help=_COMPARE_FILES_HELP, show_default=False),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: outputs/compare-<name1>-vs-<name2>...)."),
    seed: int | None = typer.Option(
        None, "--seed", min=0, help="One seed for every run (default: each scenario's meta.seed)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=_SET_HELP + " Applies to every scenario."),
    labels: list[str] | None = typer.Option(
        None, "--label", help="Name of a scenario's results (repeatable: one per scenario, in order); "
                              "default meta.name, plus \\[overrides] when the scenario has its own."),
    force: bool = typer.Option(False, "--force", help="Replace the output folder if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or table; print only the output folder."),
) -> None:
    """Run several scenarios and overlay them; write comparison.csv, columns.csv, compare_*.png and each run's folder."""
    from marketsim.experiments.compare import (
        check_distinct_names,
        check_labels,
        compare_labels,
        compare_scenarios,
        default_compare_name,
        parse_scenario_arg,
        relabel,
        write_comparison,
    )
    from marketsim.experiments.outputs import OutputExistsError

    if len(files) < 2:
        _fail(f"compare needs at least two scenarios; got {len(files)} (use `marketsim run` for one)")
    try:
        args = [parse_scenario_arg(text) for text in files]
        check_labels(labels, len(args))  # before any file is read
    except ValueError as err:
        _fail(str(err))
    # Each scenario's own overrides go after the global ones, so they win where both set a key.
    loaded = [_load_scenarios([arg.file], [*(overrides or []), *arg.overrides])[0] for arg in args]
    try:
        names = compare_labels(args, loaded, labels)
        check_distinct_names(names)
    except ValueError as err:
        _fail(str(err))
    scenarios = [relabel(scenario, name) for scenario, name in zip(loaded, names, strict=True)]
    out_dir = out if out is not None else Path("outputs") / default_compare_name(names)
    _check_out(out_dir, force)
    results = compare_scenarios(scenarios, seed=seed, progress=not quiet)
    try:
        write_comparison(results, out_dir, force=force)
    except OutputExistsError as err:
        _fail(str(err))
    if quiet:
        typer.echo(str(out_dir))
        return
    _print_headlines([r.summary for r in results], out_dir, "Scenario comparison")


# --- research commands (sweep, sensitivity, bench) -----------------------------------------


@app.command()
def bench(
    sections: list[str] = typer.Argument(None, help="Sections: optimizer, consumers, run, sweep (default all)."),
) -> None:
    """Print the performance ratios of docs/architecture.md §7 (a benchmark, not a test)."""
    from marketsim.experiments.bench import main as bench_main

    bench_main(sections or None)


# sweep / sensitivity: many runs on dask into a resumable folder (experiments/sweep.py, sensitivity.py).

_WORKERS_HELP = "Local worker processes, on 127.0.0.1 (default: one per core). Exclusive with --scheduler."
_SCHEDULER_HELP = ("Address of a running dask scheduler, tcp://host:port, reached before anything is written. "
                   "Workers receive the scenario's text, so they need not see FILE.")
_SWEEP_OUT_HELP = "Sweep folder; rerun the same command into it to resume (finished runs are skipped)."
_RESTART_HELP = ("Start over: replace the --out folder if marketsim wrote it (it holds marketsim-manifest.json), "
                 "e.g. after editing FILE. Without it a rerun resumes, and refuses a FILE changed since.")
_STALL_HELP = ("Seconds without any dask worker connected (or without the scheduler) after which the "
               "sweep stops with exit status 3, keeping finished runs.")
_DASHBOARD_HELP = "Serve the dask dashboard of the local cluster on 127.0.0.1 (off by default)."
_BATCH_EXIT_HELP = (
    "Exit status: 0 every run done; 1 some runs failed (see OUT/failures; rerun to retry them); "
    "2 bad arguments, scenario or output folder (nothing written); 3 the dask cluster stalled or was lost "
    "(finished runs kept; rerun to resume); 130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP; "
    "finished runs kept)."
)
#: Summary numbers shown per configuration after a sweep (means over seeds).
_SWEEP_COLUMNS = ("final_adoption_share", "largest_N", "cumulative_training_spend", "final_hhi")


@contextmanager
def _research_errors() -> Iterator[None]:
    """Scenario problems print as the loader words them; other fixable errors as ``error: ...``; all exit 2."""
    from marketsim.experiments.outputs import OutputExistsError
    from marketsim.config.scenario import ScenarioError, exit_on_scenario_error

    with exit_on_scenario_error():
        try:
            yield
        except ScenarioError:
            raise
        except (ValueError, FileNotFoundError, OutputExistsError) as err:
            _fail(str(err))


def _stop_interrupted(stop: BaseException) -> NoReturn:
    """Ctrl-C (or SIGTERM, SIGHUP): say what was kept and how to resume; exit 130.

    The command group turns the code into 128 + the signal's number (143 for SIGTERM).
    """
    typer.echo(f"\n{stop}", err=True)
    if _stop_state is not None:
        _stop_state.reported = True
    raise typer.Exit(code=130)


def _report_failures(result: SweepResult) -> None:
    """Exit 1 if runs failed (after the table), pointing at their records."""
    failed = result.counts.get("failed", 0)
    if failed:
        typer.echo(
            f"{failed} of {result.total} runs failed; see {result.out_dir / 'failures'}/*.json. "
            "Rerun the same command to retry them.", err=True)
        raise typer.Exit(code=1)


def _print_sweep(result: SweepResult, keys: list[str]) -> None:
    """One row per configuration: grid values, finished runs, and mean headline numbers over seeds."""
    import pandas as pd
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from marketsim.experiments.run import HEADLINE

    summary = result.summary
    done = summary[summary["status"] == "done"]
    metrics = [m for m in _SWEEP_COLUMNS if m in done.columns]
    groups = summary.groupby(keys, sort=False, dropna=False) if keys else [((), summary)]
    table = Table(title=f"Sweep: {result.computed} computed, {result.skipped} already done, "
                        f"{result.failed} failed (means over seeds)")
    for key in keys:  # keys and values are user text: escaped, not rich markup
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
    console = Console()
    console.print(table)
    console.print(f"Tables in [bold]{escape(str(result.out_dir))}[/]: runs.parquet (per run per period), "
                  "summary.parquet (per run)")


@contextmanager
def _batch_errors() -> Iterator[None]:
    """sweep / sensitivity: bad input exits 2, Ctrl-C 130 (finished runs kept), a stalled or lost
    dask cluster 3 (finished runs kept, the rest left to a rerun)."""
    from marketsim.experiments.batch.sweep import SweepIncomplete, SweepInterrupted

    with _research_errors():
        try:
            yield
        except SweepInterrupted as stop:
            _stop_interrupted(stop)
        except SweepIncomplete as stop:
            typer.echo(f"error: {stop}", err=True)
            raise typer.Exit(code=3) from None


@app.command("sweep", epilog=_BATCH_EXIT_HELP)
def sweep_command(
    file: str = typer.Argument(..., help=_FILE_HELP, show_default=False),
    grid: list[str] | None = typer.Option(
        None, "--grid", help="key.path=v1,v2,... (repeatable); every combination is run."),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Seeds per configuration: meta.seed, meta.seed + 1, ..."),
    workers: int | None = typer.Option(None, "--workers", min=1, help=_WORKERS_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=_SWEEP_OUT_HELP, show_default=False),
    overrides: list[str] | None = typer.Option(None, "--set", help=_SET_HELP + " Applies to every run."),
    force: bool = typer.Option(False, "--force", "--restart", help=_RESTART_HELP),
    stall_timeout: float = typer.Option(120.0, "--stall-timeout", help=_STALL_HELP),
    dashboard: bool = typer.Option(False, "--dashboard", help=_DASHBOARD_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table; print only the folder."),
) -> None:
    """Run a scenario over a grid of values x seeds on dask; write runs.parquet and summary.parquet.

    FILE is read once; every run uses that text, so editing FILE during a sweep changes nothing.
    """
    from marketsim.experiments.batch.sweep import parse_grid, run_sweep
    from marketsim.config.scenario import resolve_scenario_path

    with _batch_errors():
        values = parse_grid(grid or [])
        result = run_sweep(resolve_scenario_path(file), values, seeds, out, workers=workers,
                           scheduler=scheduler, progress=not quiet, overrides=overrides or [],
                           force=force, stall_timeout=stall_timeout, dashboard=dashboard)
    if quiet:
        typer.echo(str(out))
    else:
        _print_sweep(result, list(values))
    _report_failures(result)


@app.command("sensitivity", epilog=_BATCH_EXIT_HELP)
def sensitivity_command(
    file: str = typer.Argument(..., help=_FILE_HELP, show_default=False),
    params: list[str] = typer.Option(
        ..., "--param", help="key.path=low:high (repeatable), a number field sampled uniformly.",
        show_default=False),
    samples: int = typer.Option(64, "--samples", help="Sobol' base sample N (a power of 2); runs N (k + 2) configurations."),
    output: str = typer.Option(
        ..., "--output", help="Numeric key of a run's summary.json, e.g. final_adoption_share.", show_default=False),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Seeds per configuration (the metric is averaged)."),
    workers: int | None = typer.Option(None, "--workers", min=1, help=_WORKERS_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    out: Path = typer.Option(..., "--out", "-o", help=_SWEEP_OUT_HELP, show_default=False),
    overrides: list[str] | None = typer.Option(None, "--set", help=_SET_HELP + " Applies to every run."),
    force: bool = typer.Option(False, "--force", "--restart", help=_RESTART_HELP),
    stall_timeout: float = typer.Option(120.0, "--stall-timeout", help=_STALL_HELP),
    dashboard: bool = typer.Option(False, "--dashboard", help=_DASHBOARD_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table; print only the folder."),
) -> None:
    """Sobol' indices (S1, ST) of a summary metric; write sensitivity.csv and sensitivity.png.

    Every argument (parameter keys, types and ranges, samples, the metric) is checked before any run.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from marketsim.experiments.batch.sensitivity import parse_bounds, sobol_sensitivity
    from marketsim.config.scenario import resolve_scenario_path

    with _batch_errors():
        bounds = parse_bounds(params)
        table = sobol_sensitivity(
            resolve_scenario_path(file), bounds, samples, output, seeds, workers, scheduler,
            out_dir=out, overrides=overrides or [], progress=not quiet, force=force,
            stall_timeout=stall_timeout, dashboard=dashboard)
    if quiet:
        typer.echo(str(out))
        return
    shown = Table(title=escape(f"Sobol' sensitivity of {output} ({samples} x {len(bounds) + 2} configurations, "
                               f"{seeds} seed(s) each; +/- is the 95% interval)"))
    shown.add_column("parameter")
    shown.add_column("first order S1", justify="right")
    shown.add_column("total ST", justify="right")
    for row in table.itertuples():
        shown.add_row(escape(row.parameter), f"{row.S1:.3f} +/- {row.S1_conf:.3f}",
                      f"{row.ST:.3f} +/- {row.ST_conf:.3f}")
    console = Console()
    console.print(shown)
    console.print(f"Written to [bold]{escape(str(out))}[/]: sensitivity.csv, sensitivity.png, runs.parquet, "
                  "summary.parquet")


# --- playground (the browser page of marketsim/app.py) -------------------------------------

# Environment variables marketsim/app.py reads (its SCENARIO_ENV and OVERRIDES_ENV); spelled out
# here so that starting the server does not import solara and build the page twice.
_PLAYGROUND_SCENARIO_ENV = "MARKETSIM_PLAYGROUND_SCENARIO"
_PLAYGROUND_OVERRIDES_ENV = "MARKETSIM_PLAYGROUND_SET"


def _solara_argv(port: int, host: str, open_browser: bool) -> list[str]:
    """``solara run marketsim.viz.playground`` in production mode, without solara's version check on PyPI."""
    import sys

    return [sys.executable, "-m", "solara", "run", "marketsim.viz.playground", "--host", host, "--port", str(port),
            "--production", "--no-check-version", "--open" if open_browser else "--no-open"]


@app.command("playground")
def playground_command(
    file: str = typer.Argument("baseline", help=_FILE_HELP),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to serve on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=_SET_HELP),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open the page in a web browser."),
) -> None:
    """Serve the interactive playground: one session per browser tab, settings, the run played, CSV export."""
    import importlib.util
    import json
    import os
    import subprocess

    from marketsim.config.scenario import resolve_scenario_path

    if importlib.util.find_spec("solara") is None:
        _fail('the playground needs the app extra: pip install -e ".[app]"')
    (scenario,) = _load_scenarios([file], overrides or [])  # a bad file exits 2 before any server starts
    env = {
        **os.environ,
        _PLAYGROUND_SCENARIO_ENV: str(resolve_scenario_path(file).resolve()),
        _PLAYGROUND_OVERRIDES_ENV: json.dumps(overrides or []),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports leave the machine
    }
    where = f"http://{host}:{port}" if port else f"{host}, on a free port (solara prints it)"
    typer.echo(f"marketsim playground: {scenario.meta.name} at {where}; Ctrl+C stops it.")
    argv = _solara_argv(port, host, open_browser)
    if os.name == "posix":
        # The server replaces this process, so Ctrl+C and a kill reach it directly (no orphan).
        os.execve(argv[0], argv, env)
    raise typer.Exit(code=subprocess.call(argv, env=env))


# --- validation commands (validate-history, trends, report) ----------------------------------


@app.command("validate-history")
def validate_history_command(
    scenario: str = typer.Option("historical", "--scenario", help="Scenario file or bundled name covering 2022-2025."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default: the scenario's meta.seed)."),
    overrides: list[str] | None = typer.Option(None, "--set", help=_SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    calibrate: bool = typer.Option(
        False, "--calibrate", help="Re-tune median threshold, sigma and price to the calibration targets "
                                   "and print them (about a minute), instead of validating."),
) -> None:
    """Run the historical scenario and set its frontier training runs against the published trends."""
    import json

    from rich.console import Console
    from rich.table import Table

    from marketsim.experiments import validation as val
    from marketsim.experiments.run import json_safe

    (loaded,) = _load_scenarios([scenario], overrides or [])
    if calibrate:
        with _research_errors():
            tuned = val.calibrate_history(loaded)
        if as_json:
            typer.echo(json.dumps(json_safe({"values": tuned.values, "targets": tuned.targets,
                                              "converged": tuned.converged}), indent=2))
            return
        for key, (want, got) in tuned.targets.items():
            typer.echo(f"{key}: target {want:.4g}, stand-in firm {got if got is None else format(got, '.4g')}")
        typer.echo("tuned: " + " ".join(f"--set {o}" for o in tuned.overrides))
        return
    with _research_errors():
        report = val.validate_history(loaded, seed=seed)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    table = Table(title=f"{report.scenario.meta.name} (seed {report.seed}) vs the published record")
    for column in ("quantity", "record", "interval", "simulated", "verdict", "source"):
        table.add_column(column, overflow="fold")
    for row in report.rows:
        key = row.target.key
        style = {True: "green", False: "red", None: "yellow"}[row.inside]
        table.add_row(row.target.label, val._fmt(key, row.target.value), val._interval(key, row.target),
                      val._fmt(key, row.simulated), f"[{style}]{row.verdict}[/]", row.target.source)
    console = Console()
    console.print(table)
    for row in report.rows:
        if row.note:
            console.print(f"- {row.target.label}: {row.note}")


@app.command("trends")
def trends_command(
    variants: list[str] | None = typer.Option(None, "--variant", help="Variant (repeatable; default: all, see `theory --list-variants`)."),
    hardware_growth: float = typer.Option(10**0.14, "--hardware-growth", help="Growth of FLOP per dollar per year (COT24: 0.14 OOM/yr = 1.38)."),
    algorithmic_growth: float = typer.Option(2.8, "--algorithmic-growth", help="Compute-equivalent algorithmic progress per year (HO24: 2.8)."),
    rho_d_share: float = typer.Option(0.5, "--rho-d-share", help="Share of algorithmic progress in data efficiency rho_D (rest: rho_N)."),
    band: bool = typer.Option(False, "--band", help="Also solve at the ends of HO24's CI on algorithmic progress."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Profit-optimal growth of training spend per year for each variant, vs the observed 2.4x/yr."""
    import json

    from rich.console import Console
    from rich.table import Table

    from marketsim.economics.trends import TrendInputs, trend_table
    from marketsim.experiments.run import json_safe

    with _research_errors():
        inputs = TrendInputs(hardware_growth=hardware_growth, algorithmic_growth=algorithmic_growth,
                             rho_D_share=rho_d_share)
        result = trend_table(variants or None, inputs, band=band)
    if as_json:
        typer.echo(json.dumps(json_safe({"inputs": {"hardware_growth": hardware_growth, "algorithmic_growth": algorithmic_growth,
                                                     "rho_D_share": rho_d_share, "observed": inputs.observed,
                                                     "observed_ci": list(inputs.observed_ci)},
                                          "results": [r.as_dict() for r in result.results]}), indent=2))
        return
    lo, hi = inputs.observed_ci
    table = Table(title=f"Profit-optimal training spend growth vs observed {inputs.observed}x/yr (COT24 90% CI {lo}-{hi})",
                  caption=f"E x{hardware_growth:.3g}/yr, algorithms x{algorithmic_growth:.3g}/yr "
                          f"({rho_d_share:g} of it in rho_D), over {inputs.years:g} years")
    for column in ("variant", "market", "regime", "efficiency", "growth x/yr", *(["HO24 CI band"] if band else []), "consistent"):
        table.add_column(column)
    for r in result.results:
        growth = "n/a (no training)" if r.growth is None else f"{r.growth:.2f}"
        band_cell = [] if not band else ["" if r.growth_band is None else
                                         " to ".join("n/a" if g is None else f"{g:.2f}" for g in r.growth_band)]
        table.add_row(r.variant, r.market, r.regime, r.efficiency, growth, *band_cell,
                      "[green]yes[/]" if r.consistent else "[red]no[/]")
    Console().print(table)


@app.command("report")
def report_command(
    kind: str = typer.Argument(..., help="Which report to regenerate: validation.", show_default=False),
    out: Path = typer.Option(Path("docs/validation.md"), "--out", "-o", help="Markdown file to write."),
    figures: Path | None = typer.Option(None, "--figures", help="Folder for the figures (default: <out folder>/validation)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed of the historical runs (default: the scenario's)."),
) -> None:
    """Regenerate a report with its tables and figures (validation: docs/validation.md, a few minutes)."""
    from marketsim.experiments.validation import write_validation_report

    if kind != "validation":
        _fail(f"report {kind!r} is unknown: allowed validation")
    with _research_errors():
        written = write_validation_report(out, figures if figures is not None else out.parent / "validation",
                                          seed=seed, log=lambda message: typer.echo(f"... {message}", err=True))
    for path in written:
        typer.echo(str(path))


if __name__ == "__main__":
    app()
