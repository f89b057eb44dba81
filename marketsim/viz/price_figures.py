"""The prices figure of one run: what adopters pay per firm, the quality-adjusted price per firm and
the market's quality-adjusted price index (docs/theory.md §11).

Drawn from firms.csv alone (``year``, ``firm``, ``price``, ``price_adj``, ``adopters``): the index is
the adopter-weighted mean of ``price_adj`` per period, which is model.csv ``price_index_adj``. Paid
prices rise with quality ((R_ref / R)^kappa) even in a price war; the quality-adjusted price (the
price at the reference loss) is what falls when competition bites. Log scales: prices move by
orders of magnitude over decades; a free open-weights model (price 0) leaves a gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketsim.viz.axes import mark_stall, year_span
from marketsim.viz.panels import FigureSpec, Panel, draw_run_panel
from marketsim.viz.style import figure_title, firm_colors, new_figure, require_columns, save_figure

__all__ = ["PAID_PRICES", "ADJUSTED_PRICES", "PRICE_INDEX", "price_index", "plot_prices", "PRICES_FIGURE"]

PAID_PRICES = Panel("price", "Price paid (USD per adopter per {period})", "USD per adopter per {period}",
                    scale="log", per="firm", kind="steps", prefix="$")
ADJUSTED_PRICES = Panel("price_adj", "Quality-adjusted price (USD per {period} at the reference loss)",
                        "USD per adopter per {period} at R_ref", scale="log", per="firm", kind="steps", prefix="$")
PRICE_INDEX = Panel("price_index_adj", "Quality-adjusted price index (adopter-weighted)",
                    "USD per adopter per {period} at R_ref", scale="log", prefix="$", color="0.2",
                    label="quality-adjusted price index")

_COLUMNS = ["year", "firm", "price", "price_adj", "adopters"]


def price_index(firms: pd.DataFrame) -> pd.DataFrame:
    """Per period (``year``): ``price_index_adj``, the adopter-weighted mean quality-adjusted price
    (model.csv's column; NaN when nobody adopts, a gap in the figure)."""
    require_columns(firms, _COLUMNS, "firms")
    buying = firms[(firms["adopters"] > 0) & firms["price_adj"].notna()]
    weighted = (buying["price_adj"] * buying["adopters"]).groupby(buying["year"]).sum()
    total = buying.groupby("year")["adopters"].sum()
    years = pd.Index(np.unique(firms["year"].to_numpy(dtype=float)), name="year")
    index = (weighted / total).reindex(years)
    return pd.DataFrame({"year": years.to_numpy(), "price_index_adj": index.to_numpy(dtype=float)})


def plot_prices(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Paid and quality-adjusted price per firm (left, middle) and the quality-adjusted price index
    (right), dollars per adopter per period, from firms.csv."""
    require_columns(firms, _COLUMNS, "firms")
    colors = firm_colors(list(firms["firm"]))
    span = year_span(firms["year"])
    fig, axes = new_figure(1, 3, size=(16.0, 4.8))
    draw_run_panel(axes[0], PAID_PRICES, firms, span=span, colors=colors)
    draw_run_panel(axes[1], ADJUSTED_PRICES, firms, span=span, colors=colors)
    draw_run_panel(axes[2], PRICE_INDEX, price_index(firms), span=span)
    for ax in axes:
        mark_stall(ax, stall_year)
    axes[0].legend(title="firm", loc="best")
    fig.suptitle(figure_title("Prices per firm and the quality-adjusted price index", scenario))
    return save_figure(fig, path)


#: The figure's spec (one of ``marketsim.viz.RUN_FIGURE_SPECS``).
PRICES_FIGURE = FigureSpec("prices", "prices.png", "Prices per firm and the quality-adjusted price index", "firms",
                           (PAID_PRICES, ADJUSTED_PRICES, PRICE_INDEX), plot_prices)
