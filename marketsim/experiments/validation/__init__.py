"""Validation against the published record: the historical scenario, its calibration, cost checks.

- :mod:`.record`: the published figures (:data:`RECORD`, :class:`Target`) and how they are shown;
- :mod:`.history`: :func:`validate_history` runs ``scenarios/historical.toml`` (three labs) and compares
  its frontier runs with the record;
- :mod:`.stand_in`: :func:`profit_optimal_path`, the single profit-optimal firm without consumers;
- :mod:`.calibration`: :func:`calibrate_history` re-tunes the one-lab history's demand
  (``scenarios/historical_one_lab.toml``, the baseline's) to the calibration targets;
  :func:`kappa_sweep` does so for each value exponent kappa;
- :mod:`.costs`: :func:`cost_checks` recomputes published cost figures;
- :mod:`.results`: :func:`validation_results`, everything docs/validation.md shows.

The report itself (figures and Markdown) is :mod:`marketsim.viz.validation_report`; the trend check
is pure economics (:mod:`marketsim.economics.trends`).
"""

from marketsim.experiments.validation.calibration import (CALIBRATION_TARGETS, FIXED_PRICE_SCALE, Calibration,
                                                          calibrate_history, calibration_targets, kappa_sweep,
                                                          kappa_sweep_row, scenario_value)
from marketsim.experiments.validation.costs import CostCheck, cost_checks
from marketsim.experiments.validation.history import (HistoryReport, HistoryRow, compare_with_record, frontier_runs,
                                                      history_metrics, load_historical, load_one_lab, mean_population,
                                                      validate_history)
from marketsim.experiments.validation.record import (GPT4_YEAR, GPT45_YEAR, HISTORICAL_SCENARIO, ONE_LAB_SCENARIO,
                                                     RECORD, RECORD_FRONTIER_COSTS, RELEASE_LAG_YEARS, WAU_2023, WAU_2025,
                                                     Target, format_interval, format_value)
from marketsim.experiments.validation.results import REPORT_KAPPAS, ValidationResults, validation_results
from marketsim.experiments.validation.stand_in import profit_optimal_path

__all__ = [
    "CALIBRATION_TARGETS", "FIXED_PRICE_SCALE", "Calibration", "CostCheck", "GPT4_YEAR", "GPT45_YEAR", "HISTORICAL_SCENARIO",
    "ONE_LAB_SCENARIO",    "HistoryReport", "HistoryRow", "RECORD", "RECORD_FRONTIER_COSTS", "RELEASE_LAG_YEARS", "REPORT_KAPPAS",
    "Target", "ValidationResults", "WAU_2023", "WAU_2025", "calibrate_history", "calibration_targets", "compare_with_record",
    "cost_checks", "format_interval", "format_value", "frontier_runs", "history_metrics", "kappa_sweep",
    "kappa_sweep_row", "load_historical", "load_one_lab", "mean_population", "profit_optimal_path", "scenario_value",
    "validate_history", "validation_results",
]
