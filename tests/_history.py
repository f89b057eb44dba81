"""Shared fixtures of the history tests: a small calibration world and small validation results."""

from __future__ import annotations

import pandas as pd

from marketsim.economics.trends import TrendInputs, trend_table
from marketsim.experiments.validation import (CALIBRATION_TARGETS, ValidationResults, cost_checks, kappa_sweep_row,
                                              load_one_lab, scenario_value, validate_history)

#: A one-lab 2016-2025 world with a cheap firm rule (a run takes ~0.03 s) and a prior on two demand keys
#: (``NAME`` is replaced by the test's scenario name).
SMALL_CALIBRATION_TOML = """
extends = "historical_one_lab"
[meta]
name = "NAME"
[consumers]
count = 500
[[firms]]
name = "Frontier"
strategy = "fixed_growth"
credit_limit = -1e15
[uncertain]
"consumers.median_threshold" = { dist = "lognormal", median = 0.033, p5 = 0.02, p95 = 0.055, source = "test" }
"consumers.sigma" = { dist = "lognormal", median = 0.47, p5 = 0.3, p95 = 0.75, source = "test" }
"""


def small_calibration_toml(name: str) -> str:
    """:data:`SMALL_CALIBRATION_TOML` with meta.name = ``name``."""
    return SMALL_CALIBRATION_TOML.replace('name = "NAME"', f'name = "{name}"', 1)


def small_validation_results() -> ValidationResults:
    """The one-lab historical run, a one-row kappa sweep at the scenario's tuned values, a one-case trend check."""
    history = validate_history(load_one_lab())
    s = history.scenario
    sweep = pd.DataFrame([kappa_sweep_row(s.consumers.value_exponent,
                                          {key: scenario_value(s, key) for key in CALIBRATION_TARGETS}, history)])
    small = dict(variants=["default"], regimes=("compute-bound",), efficiencies=("continuing",))
    return ValidationResults(history=history, sweep=sweep, checks=cost_checks(), trends=trend_table(**small),
                             trends_data_only=trend_table(inputs=TrendInputs(rho_D_share=1.0), **small))
