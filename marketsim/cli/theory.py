"""Economics commands: ``theory`` (the paper's comparative statics), ``optimize`` (one firm's
profit-optimal model) and ``trends`` (profit-optimal spend growth against the observed trend)."""

from __future__ import annotations

import typer

from marketsim.cli.errors import fail, research_errors
from marketsim.cli.render import print_claims, print_json, print_optimum, print_trends, print_variants


def theory(
    variant: str = typer.Option("default", "--variant", help="Model variant (see --list-variants)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    list_variants: bool = typer.Option(False, "--list-variants", help="List the variants and exit."),
) -> None:
    """Measure the paper's comparative statics for a variant and say which claims hold."""
    from marketsim.economics import VARIANTS, elasticities, get_variant

    if list_variants:
        print_variants(VARIANTS.values())
        return
    try:
        chosen = get_variant(variant)
    except ValueError as exc:
        fail(str(exc))
    report = elasticities(chosen)
    if as_json:
        print_json(report.as_json())
        return
    print_claims(report, chosen)


def optimize_command(
    E: float = typer.Option(1e18, "--E", help="Hardware efficiency, FLOP per dollar."),
    variant: str = typer.Option("default", "--variant", help="Model variant (see `theory --list-variants`)."),
    D_bar: float | None = typer.Option(None, "--D-bar", help="Usable data stock, tokens (default: unlimited)."),
    rho_D: float = typer.Option(1.0, "--rho-D", help="Data-efficiency multiplier."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Solve one firm's profit-maximisation problem and print N, D, loss, adopters, revenue, costs, profit."""
    from marketsim.economics import get_variant, optimize

    try:
        chosen = get_variant(variant)
        opt = optimize(chosen.law, chosen.demand, E, T=chosen.T, c_D=chosen.c_D, D_bar=D_bar,
                       closure=chosen.closure, rho_D=rho_D)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json({"variant": chosen.name, "E": E, "D_bar": D_bar, **opt.as_dict()})
        return
    print_optimum(opt, E, chosen.name)


def trends_command(
    variants: list[str] | None = typer.Option(None, "--variant", help="Variant (repeatable; default: all, see `theory --list-variants`)."),
    hardware_growth: float = typer.Option(10**0.14, "--hardware-growth", help="Growth of FLOP per dollar per year (COT24: 0.14 OOM/yr = 1.38)."),
    algorithmic_growth: float = typer.Option(2.8, "--algorithmic-growth", help="Compute-equivalent algorithmic progress per year (HO24: 2.8)."),
    rho_d_share: float = typer.Option(0.5, "--rho-d-share", help="Share of algorithmic progress in data efficiency rho_D (rest: rho_N)."),
    band: bool = typer.Option(False, "--band", help="Also solve at the ends of HO24's CI on algorithmic progress."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Profit-optimal growth of training spend per year for each variant, vs the observed 2.4x/yr."""
    from marketsim.economics.trends import TrendInputs, trend_table

    with research_errors():
        inputs = TrendInputs(hardware_growth=hardware_growth, algorithmic_growth=algorithmic_growth,
                             rho_D_share=rho_d_share)
        result = trend_table(variants or None, inputs, band=band)
    if as_json:
        print_json({"inputs": {"hardware_growth": hardware_growth, "algorithmic_growth": algorithmic_growth,
                               "rho_D_share": rho_d_share, "observed": inputs.observed,
                               "observed_ci": list(inputs.observed_ci)},
                    "results": [r.as_dict() for r in result.results]})
        return
    print_trends(result, inputs, band)
