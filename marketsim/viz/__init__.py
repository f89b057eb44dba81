"""Figures of the simulator's results (matplotlib, object API, headless) and the playground page.

Modules, lowest first (each imports only those above it):

* :mod:`~marketsim.viz.style`: resolution (:data:`FIGURE_DPI`), firm / scenario colours, the
  Agg canvas, titles, text notes.
* :mod:`~marketsim.viz.ticks`: tick labels ($800M, 2B, 2e15: :func:`human_number`,
  :class:`CountFormatter`) and log / symlog tick positions that never overlap.
* :mod:`~marketsim.viz.axes`: calendar-year x axes, y scales, hardware-stall marks.
* :mod:`~marketsim.viz.lines`: several lines on one axes that stay visible when they coincide.
* :mod:`~marketsim.viz.panels`: **the one Panel abstraction** — :class:`Panel` describes a
  time-series panel (column, per model or per firm, transform, title, y label with unit, scale,
  how it is drawn); :class:`FigureSpec` a figure made of panels.
* :mod:`~marketsim.viz.run_figures`: the figures of one run (:data:`RUN_FIGURE_SPECS`,
  :func:`save_run_figures`).
* :mod:`~marketsim.viz.compare_figures`: overlays of several scenarios (:data:`COMPARE_PANELS`,
  :func:`save_compare_figures`).
* ``playground``: the browser page; it draws the run figures from :data:`RUN_FIGURE_SPECS`
  (``spec.name``, ``spec.title``, ``spec.draw(model, firms, scenario=..., stall_year=...)``) and
  the comparison with :func:`plot_compare_overview`. ``validation_*``: figures of the validation report.

The public figure API is re-exported here: ``from marketsim.viz import save_run_figures,
plot_adoption, human_number, RUN_FIGURE_SPECS, Panel``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> the module defining it. Loaded on first use (PEP 562), so that importing a light
# module such as marketsim.viz.numbers does not load matplotlib and every figure module.
_EXPORTS: dict[str, str] = {
    "STALL_LABEL_GID": "axes",
    "format_year_axis": "axes",
    "COMPARE_FIGURES": "compare_figures",
    "COMPARE_PANELS": "compare_figures",
    "plot_compare_adoption": "compare_figures",
    "plot_compare_hhi": "compare_figures",
    "plot_compare_model_size": "compare_figures",
    "plot_compare_overview": "compare_figures",
    "plot_compare_training_spend": "compare_figures",
    "save_compare_figures": "compare_figures",
    "FigureSpec": "panels",
    "Panel": "panels",
    "draw_overlay_panel": "panels",
    "draw_run_panel": "panels",
    "RUN_FIGURE_SPECS": "run_figures",
    "RUN_FIGURES": "run_figures",
    "plot_adoption": "run_figures",
    "plot_market_shares": "run_figures",
    "plot_model_size": "run_figures",
    "plot_prices_profits": "run_figures",
    "plot_training_spend": "run_figures",
    "save_run_figures": "run_figures",
    "FIGURE_DPI": "style",
    "firm_colors": "style",
    "scenario_colors": "style",
    "CountFormatter": "ticks",
    "format_log_axis": "ticks",
    "human_number": "numbers",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """The public figure API, imported from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'marketsim.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"marketsim.viz.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


