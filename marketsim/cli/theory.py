"""Economics commands: ``theory`` (the paper's comparative statics), ``optimize`` (one firm's
profit-optimal model) and ``trends`` (profit-optimal spend growth against the observed trend).

``theory`` and ``optimize`` take a model variant (docs/theory.md §6) or a scenario FILE, whose
stand-alone optimizer problem at its start (:mod:`marketsim.config.standalone`) they solve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from marketsim.cli.errors import fail, research_errors
from marketsim.cli.inputs import SET_HELP
from marketsim.cli.render import print_claims, print_json, print_optimum, print_trends, print_variants

if TYPE_CHECKING:
    from marketsim.config.standalone import StandaloneProblem


def _scenario_problem(file: str, overrides: list[str]) -> "StandaloneProblem":
    """The stand-alone optimizer problem of a scenario at its start (ScenarioError and ValueError exit 2)."""
    from marketsim.cli.inputs import load_scenario_for_command
    from marketsim.config.standalone import standalone_problem

    with research_errors():
        return standalone_problem(load_scenario_for_command(file, overrides))


def theory(
    file: str | None = typer.Argument(None, help="Scenario TOML file or bundled name: use its demand, costs and "
                                                  "scaling at its start (default: the variant of --variant)."),
    variant: str | None = typer.Option(None, "--variant", help="Model variant (see --list-variants; default 'default')."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    list_variants: bool = typer.Option(False, "--list-variants", help="List the variants and exit."),
    overrides: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Measure the paper's comparative statics for a scenario or a variant and say which claims hold.

    With FILE: the stand-alone optimizer problem of the scenario at its start (its scaling law, the
    market its profit-optimal firm sees, E, rho_D, T over the firm's horizon, c_D, D_bar, closure) on
    the grids of `marketsim statics`. Without: the named variant of docs/theory.md §6.
    """
    from marketsim.economics import VARIANTS, elasticities, get_variant

    if list_variants:
        print_variants(VARIANTS.values())
        return
    if file is not None:
        if variant is not None:
            fail("give a scenario FILE or --variant, not both")
        from marketsim.experiments.statics.design import Design, databound_setting
        from marketsim.experiments.statics.measure import predict

        problem = _scenario_problem(file, overrides)
        design = Design()
        with research_errors():
            report = predict(problem, design, databound_setting(problem, design))
        chosen = problem.variant()
        if as_json:
            print_json({**report.as_json(), "standalone_problem": problem.as_dict()})
            return
        print_claims(report, chosen)
        return
    try:
        chosen = get_variant(variant or "default")
    except ValueError as exc:
        fail(str(exc))
    report = elasticities(chosen)
    if as_json:
        print_json(report.as_json())
        return
    typer.echo(f"No scenario given: variant '{chosen.name}' ({chosen.description}). "
               "`marketsim theory FILE` uses a scenario's demand, costs and scaling at its start.")
    print_claims(report, chosen)


def optimize_command(
    file: str | None = typer.Argument(None, help="Scenario TOML file or bundled name: solve its firm's problem at "
                                                  "its start (default: the variant of --variant)."),
    E: float | None = typer.Option(None, "--E", help="Hardware efficiency, FLOP per dollar (default: the scenario's "
                                                     "at its start, or 1e18 for a variant)."),
    variant: str | None = typer.Option(None, "--variant", help="Model variant (see `theory --list-variants`; default 'default')."),
    D_bar: float | None = typer.Option(None, "--D-bar", help="Usable data stock, raw tokens (default: the scenario's "
                                                             "stock / rho_D, or unlimited for a variant)."),
    rho_D: float | None = typer.Option(None, "--rho-D", help="Data-efficiency multiplier (default: the scenario's, or 1)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    overrides: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Solve one firm's profit-maximisation problem and print N, D, loss, adopters, revenue, costs, profit."""
    from marketsim.economics import get_variant, optimize

    if file is not None:
        if variant is not None:
            fail("give a scenario FILE or --variant, not both")
        problem = _scenario_problem(file, overrides)
        with research_errors():
            opt = problem.optimize(E=E, D_bar=D_bar, rho_D=rho_D)
        name, E_used, D_used = problem.variant().name, problem.E if E is None else E, problem.D_bar if D_bar is None else D_bar
        extra = {"standalone_problem": problem.as_dict()}
    else:
        E_used = 1e18 if E is None else E
        try:
            chosen = get_variant(variant or "default")
            opt = optimize(chosen.law, chosen.demand, E_used, T=chosen.T, c_D=chosen.c_D, D_bar=D_bar,
                           closure=chosen.closure, rho_D=1.0 if rho_D is None else rho_D)  # type: ignore[arg-type]
        except ValueError as exc:
            fail(str(exc))
        name, D_used, extra = chosen.name, D_bar, {}
    if as_json:
        print_json({"variant": name, "E": E_used, "D_bar": D_used, **opt.as_dict(), **extra})
        return
    print_optimum(opt, E_used, name)


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
