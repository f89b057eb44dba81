"""The ``marketsim`` command line (typer).

Commands are thin: they parse options, call :mod:`marketsim.experiments` or
:mod:`marketsim.economics`, and print. Errors the user can fix exit with status 2 and one message.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="marketsim",
    help="Simulate the market for large language models: run, compare and analyse scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# --- economics commands (theory, optimize) -------------------------------------------------


def _econ_error(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _json_safe(value):
    """Replace non-finite floats by None so the output is strict JSON."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


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
        _econ_error(str(exc))
    report = elasticities(chosen)
    if as_json:
        typer.echo(json.dumps(_json_safe(report.as_json()), indent=2))
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

    try:
        chosen = get_variant(variant)
        opt = optimize(chosen.law, chosen.demand, E, T=chosen.T, c_D=chosen.c_D, D_bar=D_bar,
                       closure=chosen.closure, rho_D=rho_D)  # type: ignore[arg-type]
    except ValueError as exc:
        _econ_error(str(exc))
    if as_json:
        typer.echo(json.dumps(_json_safe({"variant": chosen.name, "E": E, "D_bar": D_bar, **opt.as_dict()}),
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


# --- research commands (sweep, sensitivity, bench) -----------------------------------------


if __name__ == "__main__":
    app()
