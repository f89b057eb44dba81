"""The market-structure figure of one run: how many firms are in the market, and the market shares
with every entry and exit marked (docs/theory.md, Entry and exit).

Drawn from firms.csv alone (``year``, ``firm``, ``share``, ``in_market``, ``exit_reason``): the
number of firms in the market per period is the count of ``in_market`` rows, which is model.csv
``firms_alive``. An entry is a firm's first period in the market after periods outside it (firms
in the market from the start did not enter); an exit is the period whose ``exit_reason`` is first
filled in. Each is a dashed line in the firm's colour labelled "NAME enters" or "NAME exits (REASON)".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from marketsim.viz.axes import mark_stall, mark_stalls, year_span
from marketsim.viz.panels import FigureSpec, Panel, draw_run_panel
from marketsim.viz.style import figure_title, firm_colors, new_figure, require_columns, save_figure

__all__ = ["FIRMS_IN_MARKET", "SHARES_WITH_EVENTS", "market_events", "plot_market_structure", "MARKET_STRUCTURE"]

FIRMS_IN_MARKET = Panel("firms_alive", "Firms in the market", "Firms in the market (count)", kind="steps",
                        color="0.2", label="firms in the market")
SHARES_WITH_EVENTS = Panel("share", "Market shares, entries and exits (% of adopters)", "Share of adopters (%)",
                           scale="percent", per="firm", kind="stack")

_COLUMNS = ["year", "firm", "share", "in_market", "exit_reason"]


def market_events(firms: pd.DataFrame) -> list[tuple[float, str, str]]:
    """Entries and exits in ``firms`` (firms.csv) as (calendar year, firm, label), in time order."""
    require_columns(firms, _COLUMNS, "firms")
    events = []
    for name, rows in firms.sort_values("year", kind="stable").groupby("firm", sort=False):
        inside = rows["in_market"].astype(bool).to_numpy()
        years = rows["year"].to_numpy(dtype=float)
        entered = [i for i in range(1, len(inside)) if inside[i] and not inside[i - 1]]
        events += [(float(years[i]), str(name), f"{name} enters") for i in entered]
        reasons = rows["exit_reason"].fillna("").astype(str).to_numpy()
        gone = [i for i in range(len(reasons)) if reasons[i] and (i == 0 or not reasons[i - 1])]
        events += [(float(years[i]), str(name), f"{name} exits ({reasons[i]})") for i in gone]
    return sorted(events)


def plot_market_structure(
    firms: pd.DataFrame,
    *,
    scenario: str | None = None,
    stall_year: float | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Firms in the market over time (top) and the stacked market shares with entries and exits
    marked (bottom), from firms.csv."""
    require_columns(firms, _COLUMNS, "firms")
    counts = (firms.assign(firms_alive=firms["in_market"].astype(bool).astype(int))
              .groupby("year", sort=True)["firms_alive"].sum().reset_index())
    colors = firm_colors(list(firms["firm"]))
    span = year_span(firms["year"])
    fig, (ax_n, ax_s) = new_figure(2, 1, size=(9.0, 7.5), sharex=True)
    draw_run_panel(ax_n, FIRMS_IN_MARKET, counts, span=span)
    draw_run_panel(ax_s, SHARES_WITH_EVENTS, firms, span=span, colors=colors)
    ax_n.yaxis.get_major_locator().set_params(integer=True)
    ax_n.set_xlabel("")
    events = market_events(firms)
    mark_stalls(ax_s, [(year, label, colors[name]) for year, name, label in events])
    for ax in (ax_n, ax_s):
        mark_stall(ax, stall_year)
    ax_s.legend(title="firm", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(figure_title("Market structure: entry and exit", scenario))
    return save_figure(fig, path)


#: The figure's spec (one of ``marketsim.viz.RUN_FIGURE_SPECS``).
MARKET_STRUCTURE = FigureSpec("market-structure", "market_structure.png", "Market structure: entry and exit",
                              "firms", (FIRMS_IN_MARKET, SHARES_WITH_EVENTS), plot_market_structure)
