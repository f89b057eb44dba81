"""Calibration of a scenario to the targets table by likelihood-free inference (pyabc's ABC-SMC).

- :mod:`.prior`: the scenario's ``[uncertain]`` section as the prior (unit cube, Gaussian copula);
- :mod:`.statistics`: a run's models, the targets measured on them as on the record, the distance;
- :mod:`.model`: the simulator and distance pyabc calls (picklable, for dask workers);
- :mod:`.engine`: :func:`calibrate`, ABC-SMC into a resumable folder;
- :mod:`.outputs`: posterior, summary, posterior predictive and verdict tables.

The figure is :mod:`marketsim.viz.calibration_figures`; the command ``marketsim calibrate``.
"""

from marketsim.experiments.calibration.engine import DB_NAME, CalibrationResult, Generation, calibrate
from marketsim.experiments.calibration.prior import NoPriorError, Prior, prior_of
from marketsim.experiments.calibration.statistics import (MISSING_TERM, distance, frontier_models, half_width,
                                                          measure, measure_all, simulated_models)

__all__ = ["DB_NAME", "MISSING_TERM", "CalibrationResult", "Generation", "NoPriorError", "Prior", "calibrate",
           "distance", "frontier_models", "half_width", "measure", "measure_all", "prior_of", "simulated_models"]
