"""Everything the validation report shows, computed in one call (:func:`validation_results`).

The figures and the Markdown are written by :mod:`marketsim.viz.validation_report` (the figures
layer); this module only computes: the historical run, the kappa sweep, the cost checks and the
trend check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from marketsim.economics.trends import TrendInputs, TrendTable, trend_table
from marketsim.experiments.validation.calibration import kappa_sweep
from marketsim.experiments.validation.costs import CostCheck, cost_checks
from marketsim.experiments.validation.history import HistoryReport, load_one_lab, validate_history

__all__ = ["REPORT_KAPPAS", "ValidationResults", "validation_results"]

#: Value exponents of the kappa sweep in the report: the scenario's 1.0, docs/theory.md §6's 2.5, between.
REPORT_KAPPAS: Final = (0.5, 1.0, 1.5, 2.0, 2.5)


@dataclass
class ValidationResults:
    """Everything docs/validation.md reports (:func:`validation_results` computes it).

    Attributes:
        history: the historical run against the record.
        sweep: the kappa sweep (:func:`kappa_sweep`).
        checks: the cost cross-checks.
        trends: the trend check, algorithmic progress split evenly, with HO24's band.
        trends_data_only: the trend check with all algorithmic progress in rho_D.
    """

    history: HistoryReport
    sweep: pd.DataFrame
    checks: list[CostCheck]
    trends: TrendTable
    trends_data_only: TrendTable


def validation_results(kappas: Sequence[float] = REPORT_KAPPAS, seed: int | None = None,
                       log: Callable[[str], None] | None = None) -> ValidationResults:
    """Run what the validation report shows (minutes): the one-lab history (``historical_one_lab``, the
    world of the baseline's demand; the three-lab market is section 5's calibration), the kappa sweep
    (re-tuning the demand for each kappa, the slow part), the cost checks and the trend check
    (neutral split of algorithmic progress, and all of it in rho_D). ``log(message)`` reports progress.
    """
    say = log or (lambda message: None)
    say("one-lab history")
    report = validate_history(load_one_lab(), seed=seed)
    say(f"kappa sweep ({len(kappas)} values; re-tuning each)")
    sweep = kappa_sweep(kappas, seed=seed)
    say("cost checks and trend check")
    return ValidationResults(
        history=report, sweep=sweep, checks=cost_checks(), trends=trend_table(band=True),
        trends_data_only=trend_table(inputs=TrendInputs(rho_D_share=1.0), efficiencies=("continuing", "hardware stalled")))
