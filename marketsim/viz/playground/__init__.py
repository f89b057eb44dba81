"""The marketsim playground: a browser page to watch a run unfold and move its settings.

Start it with ``marketsim playground [FILE] [--set key.path=value ...] [--port N]`` (needs
``pip install -e ".[app]"``); the command runs ``solara run marketsim.viz.playground``, which
serves :func:`Page` (the one route of this package, see :data:`routes`).

The package, one idea per module:

* :mod:`.controls` -- the ONE declarative table of controls (:data:`CONTROLS`: scenario key path,
  range, step, unit; the default is the scenario's value), from which the sliders, the scenario
  overrides (:func:`scenario_changes`) and the equivalent ``marketsim run`` command
  (:func:`command_line`) are built;
* :mod:`.base` -- the scenario the page starts from (the playground command's file and overrides,
  passed in the environment);
* :mod:`.runs` -- whole runs (the same model and seed as ``marketsim run``), cached as pure
  results shared by sessions, and what the page reads off them (tables, headline numbers);
* :mod:`.reveal` -- each report figure drawn once over the whole run, with and without its data,
  then revealed period by period by clipping, so a frame costs no drawing: 80 quarters play in
  80 / (4 x speed) seconds (10 s at the default of 2 simulated years per second);
* :mod:`.session` -- one browser session's state (settings, period, play/pause), playback, and the
  background preparation of the run and its figures;
* :mod:`.page` -- the Solara components: sidebar, Market, Stall vs no stall and Tables tabs.

Every browser session renders its own :func:`Page` with its own state; nothing a session changes
lives at module level (the caches hold only results that are pure functions of a scenario).
"""

from __future__ import annotations

import solara

from marketsim.viz.playground.base import MAX_CONSUMERS, OVERRIDES_ENV, SCENARIO_ENV, PageBase, playground_base
from marketsim.viz.playground.controls import (
    CONTROLS,
    DEMAND_FAMILIES,
    Control,
    ScenarioChanges,
    apply_changes,
    command_line,
    control_bounds,
    control_default,
    control_text,
    default_settings,
    parse_seed,
    playground_scenario,
    scenario_changes,
    settings_summary,
)
from marketsim.viz.playground.page import Page
from marketsim.viz.playground.reveal import AxesBox, RevealFigure, reveal_figure
from marketsim.viz.playground.runs import (
    COMPARE_STALL_AFTER_YEARS,
    Cancelled,
    PlaygroundRun,
    compare_label,
    compute_run,
    headline_values,
    shown_tables,
    stall_counterpart,
    table_csv,
)
from marketsim.viz.playground.session import (
    DEFAULT_SPEED,
    MARKET_FIGURES,
    SPEEDS,
    PlaygroundSession,
    Prepared,
    play,
    prepare,
)

__all__ = [
    "SCENARIO_ENV",
    "OVERRIDES_ENV",
    "MAX_CONSUMERS",
    "COMPARE_STALL_AFTER_YEARS",
    "DEMAND_FAMILIES",
    "SPEEDS",
    "DEFAULT_SPEED",
    "Control",
    "CONTROLS",
    "control_default",
    "control_bounds",
    "control_text",
    "default_settings",
    "parse_seed",
    "ScenarioChanges",
    "scenario_changes",
    "apply_changes",
    "playground_scenario",
    "command_line",
    "settings_summary",
    "PageBase",
    "playground_base",
    "PlaygroundRun",
    "Cancelled",
    "compute_run",
    "stall_counterpart",
    "compare_label",
    "shown_tables",
    "table_csv",
    "headline_values",
    "AxesBox",
    "RevealFigure",
    "reveal_figure",
    "MARKET_FIGURES",
    "Prepared",
    "prepare",
    "PlaygroundSession",
    "play",
    "Page",
    "routes",
]

#: The page's routes for ``solara run marketsim.viz.playground``: only "/" (:func:`Page`). Without
#: it, Solara would add a route (and a navigation bar) for every submodule of this package.
routes = [solara.Route(path="/", component=Page, label="marketsim playground")]
