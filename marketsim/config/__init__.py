"""Scenario configuration: the schema of a scenario TOML file, loading, overrides and messages.

Imports only :mod:`marketsim.economics` (never the simulation). Modules:

- :mod:`~marketsim.config.schema`: the pydantic models, one per TOML table, with bounds.
- cross-field rules (time grid, thresholds, firms, growth paths) live at the end of :mod:`~marketsim.config.schema`.
- :mod:`~marketsim.config.keypaths`: the one key-path module (``firms[0].price``, ``key=value``,
  ``key=v1,v2``, ``key=lo:hi``).
- :mod:`~marketsim.config.problems`: :class:`ScenarioError` and one-line problem messages.
- :mod:`~marketsim.config.describe`: what a schema field allows, in words.
- :mod:`~marketsim.config.loading`: files, bundled scenarios (package data), dicts, overrides.
- :mod:`~marketsim.config.inheritance`: ``extends = "baseline"`` (a scenario stating only what it changes).
"""

from __future__ import annotations

from marketsim.config.loading import (
    SCENARIO_DIR,
    Overrides,
    bundled_scenarios,
    load,
    load_scenario,
    resolve_scenario_path,
    resolve_scenario_text,
    scenario_from_dict,
    scenario_to_toml,
    toml_syntax_problem,
)
from marketsim.config.problems import ScenarioError, exit_on_scenario_error
from marketsim.config.schema import Consumers, Data, Firm, Hardware, Market, Meta, Scaling, Scenario, ThresholdFamily

__all__ = [
    "SCENARIO_DIR",
    "Consumers",
    "Data",
    "Firm",
    "Hardware",
    "Market",
    "Meta",
    "Overrides",
    "Scaling",
    "Scenario",
    "ScenarioError",
    "ThresholdFamily",
    "bundled_scenarios",
    "exit_on_scenario_error",
    "load",
    "load_scenario",
    "resolve_scenario_path",
    "resolve_scenario_text",
    "scenario_from_dict",
    "scenario_to_toml",
    "toml_syntax_problem",
]
