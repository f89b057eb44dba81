"""The report figures of one run, drawn from its tables (``model.csv``, ``firms.csv``).

Every ``plot_*`` function takes one tidy table of docs/architecture.md, returns a
:class:`matplotlib.figure.Figure` and, when given ``path``, saves it as a PNG at
:data:`marketsim.viz.style.FIGURE_DPI`. Each figure is a list of :class:`~marketsim.viz.panels.Panel`
(:data:`RUN_FIGURE_SPECS`); units: years are calendar years, N in parameters, D in tokens, money
in US dollars, prices in dollars per adopter per period (the period spelled out), shares in percent.

Bars are only drawn on linear axes (a log axis has no zero for a bar to stand on); the
market-share stack of a single firm says "one firm" in text instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from marketsim.viz.axes import mark_stall, year_span
from marketsim.viz.market_structure import MARKET_STRUCTURE
from marketsim.viz.panels import FigureSpec, Panel, by_firm, draw_run_panel
from marketsim.viz.price_figures import PRICES_FIGURE
from marketsim.viz.regime_marks import data_bound_spans, shade_data_bound
from marketsim.viz.style import NOTE_SIZE, figure_title, firm_colors, new_figure, note, require_columns, save_figure

__all__ = [
    "RUN_FIGURES",
    "RUN_FIGURE_SPECS",
    "plot_adoption",
    "plot_model_size",
    "plot_training_spend",
    "plot_market_shares",
    "plot_prices_profits",
    "save_run_figures",
]

ADOPTION_SHARE = Panel("adoption_share", "Share of the population using LLMs (%)", "Adoption share (% of population)",
                       scale="percent", label="adoption share")
ADOPTERS = Panel("adopters", "Adopters and population (people)", "People", counts=True, label="adopters",
                 reference="population")
PARAMETERS = Panel("N", "Model size (parameters)", "Parameters N", scale="log", per="firm", kind="steps")
TOKENS = Panel("D", "Training data (tokens)", "Training tokens D", scale="log", per="firm", kind="steps")
# Bars on a linear axis rather than a log one: firms train a new generation every year or two,
# so some years have no spend at all, and a bar needs a zero to stand on.
SPEND_PER_YEAR = Panel("training_spend", "Spent on training in each calendar year (USD)", "USD per calendar year",
                       kind="bars", transform="calendar-year", prefix="$", counts=True, color="tab:red",
                       label="training spend in the year")
# The running total grows by orders of magnitude and has no zeros, so it gets the log axis.
SPEND_TOTAL = Panel("training_spend", "Cumulative training spend since {start} (USD)", "USD since the start",
                    scale="log", kind="steps", transform="cumulative", prefix="$", color="0.2",
                    label="cumulative since start")
SHARES = Panel("share", "Market shares (% of adopters)", "Share of adopters (%)", scale="percent", per="firm",
               kind="stack")
PRICES = Panel("price", "Prices (USD per adopter per {period})", "Price (USD per adopter per {period})",
               scale="linear-margin", per="firm", kind="steps", prefix="$")
PROFITS = Panel("profit", "Profits over the trailing year (USD per year)", "Profit, trailing year (USD per year)",
                scale="auto", per="firm", transform="trailing-year", prefix="$")


def plot_adoption(
    model: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Adoption over time: share of the population adopting (percent) and adopters (people).

    Uses ``year``, ``adoption_share`` (0-1), ``adopters`` and ``population`` of model.csv.
    """
    fig, (top, bottom) = new_figure(2, 1, size=(8.0, 6.5), sharex=True)
    _draw_run_panels((top, bottom), (ADOPTION_SHARE, ADOPTERS), model, stall_year)
    top.set_xlabel("")
    bottom.legend(loc="best")
    fig.suptitle(figure_title("Adoption of LLMs", scenario))
    return save_figure(fig, path)


def plot_model_size(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Model size per firm: parameters N (left) and training tokens D (right), log scales.

    Uses ``year``, ``firm``, ``N``, ``D`` (and ``alive``) of firms.csv; firms without a model
    or out of the market leave a gap.
    """
    fig, (ax_n, ax_d) = new_figure(1, 2, size=(12.0, 4.8))
    _draw_run_panels((ax_n, ax_d), (PARAMETERS, TOKENS), firms, stall_year)
    ax_n.legend(title="firm", loc="best")
    fig.suptitle(figure_title("Model size and training data per firm", scenario))
    return save_figure(fig, path)


def plot_training_spend(
    model: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Industry training spend: per calendar year (dollars, bars, linear) and running total (log)."""
    fig, (ax_year, ax_total) = new_figure(2, 1, size=(8.0, 6.5), sharex=True)
    _draw_run_panels((ax_year, ax_total), (SPEND_PER_YEAR, SPEND_TOTAL), model, stall_year)
    ax_year.set_xlabel("")
    if data_bound_spans(model):  # the shading needs its legend entry
        ax_year.legend(loc="upper left")
    fig.suptitle(figure_title("Industry training spend", scenario))
    return save_figure(fig, path)


def plot_market_shares(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Stacked area of each firm's share of adopters (percent); uses ``year``, ``firm``, ``share``.

    With a single firm the stack would be one solid block; the figure says "one firm" instead.
    """
    names = list(by_firm(firms, SHARES.column, alive_only=False).columns)
    fig, (ax,) = new_figure(size=(8.0, 4.8) if len(names) > 1 else NOTE_SIZE)
    if len(names) <= 1:
        ax.set_title(figure_title(SHARES.title, scenario))
        name = f" ({names[0]})" if names else ""
        note(ax, f"One firm{name} in the market:\nit serves every adopter (100% share) throughout.")
        return save_figure(fig, path)
    _draw_run_panels((ax,), (SHARES,), firms, stall_year)
    ax.set_title(figure_title(SHARES.title, scenario))  # one panel: the figure's title is the axes'
    ax.legend(title="firm", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_figure(fig, path)


def plot_prices_profits(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Price per firm (dollars per adopter per period) and profit per firm over the trailing year.

    The profit panel sums ``profit`` (dollars per period) over the last year of periods, so a
    lumpy training bill reads as a dip of one year rather than a one-period spike; in the first
    year the sum covers the periods so far. The scale is symlog when profits change sign.
    """
    fig, (ax_p, ax_pi) = new_figure(1, 2, size=(12.0, 4.8))
    _draw_run_panels((ax_p, ax_pi), (PRICES, PROFITS), firms, stall_year)
    ax_p.legend(title="firm", loc="best")
    fig.suptitle(figure_title("Prices and profits per firm", scenario))
    return save_figure(fig, path)


def _draw_run_panels(
    axes: Sequence[Axes], panels: Sequence[Panel], table: pd.DataFrame, stall_year: float | None
) -> None:
    """Draw ``panels`` of one run on ``axes`` (a firm keeps one colour throughout), then the stall,
    and shade the data-bound periods (not behind a market-share stack, which covers the whole axes)."""
    # Every column checked before anything is drawn: the error names all that are missing.
    require_columns(table, list(dict.fromkeys(c for p in panels for c in p.columns)),
                    "model" if panels[0].per == "model" else "firms")
    colors = firm_colors(list(table["firm"])) if panels[0].per == "firm" else None
    span = year_span(table["year"])
    for ax, panel in zip(axes, panels, strict=True):
        draw_run_panel(ax, panel, table, span=span, colors=colors)
    spans = data_bound_spans(table)
    for ax, panel in zip(axes, panels, strict=True):
        mark_stall(ax, stall_year)
        if panel.kind != "stack":
            shade_data_bound(ax, spans)


#: The figures of one run, in the order ``marketsim run`` writes them.
RUN_FIGURE_SPECS: tuple[FigureSpec, ...] = (
    FigureSpec("adoption", "adoption.png", "Adoption of LLMs", "model", (ADOPTION_SHARE, ADOPTERS), plot_adoption),
    FigureSpec("model-size", "model_size.png", "Model size and training data per firm", "firms",
               (PARAMETERS, TOKENS), plot_model_size),
    FigureSpec("training-spend", "training_spend.png", "Industry training spend", "model",
               (SPEND_PER_YEAR, SPEND_TOTAL), plot_training_spend),
    FigureSpec("market-shares", "market_shares.png", "Market shares", "firms", (SHARES,), plot_market_shares),
    FigureSpec("prices-profits", "prices_profits.png", "Prices and profits per firm", "firms",
               (PRICES, PROFITS), plot_prices_profits),
    PRICES_FIGURE,  # paid and quality-adjusted prices per firm, the price index (marketsim.viz.price_figures)
    MARKET_STRUCTURE,  # firms in the market, shares with entries and exits (marketsim.viz.market_structure)
)
#: File names of the figures of one run (:func:`save_run_figures`).
RUN_FIGURES: tuple[str, ...] = tuple(spec.file for spec in RUN_FIGURE_SPECS)


def save_run_figures(
    model: pd.DataFrame,
    firms: pd.DataFrame,
    out_dir: Path | str,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
) -> list[Path]:
    """Write the figures of one run (:data:`RUN_FIGURES`) into ``out_dir``; return their paths."""
    out = Path(out_dir)
    paths = [out / spec.file for spec in RUN_FIGURE_SPECS]
    for spec, path in zip(RUN_FIGURE_SPECS, paths, strict=True):
        spec.draw(model, firms, scenario=scenario, stall_year=stall_year, path=path)
    return paths
