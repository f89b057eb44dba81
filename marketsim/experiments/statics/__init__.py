"""Comparative statics measured in the simulated market (``marketsim statics FILE``).

The design (docs/theory.md, "Comparative statics in the simulated market"): the scenario's full
agent-based model is run over variations of one input at a time, each run cut to its first few model
generations; every training start is a generation, classified by regime; each elasticity is the slope
of ln X on ln x with generation fixed effects over the generations in the regime it is about, with a
90% interval. Modules: :mod:`~marketsim.experiments.statics.design` (the variations and the run
function), :mod:`~marketsim.experiments.statics.generations` (generations and regimes),
:mod:`~marketsim.experiments.statics.fit` (fixed-effects slopes), :mod:`~marketsim.experiments.statics.measure`
(all of it, and the stand-alone optimizer's prediction) and :mod:`~marketsim.experiments.statics.outputs`
(the --out folder).
"""

from __future__ import annotations

from marketsim.experiments.statics.design import Design
from marketsim.experiments.statics.fit import Fit, fixed_effects_slope
from marketsim.experiments.statics.measure import FITS, StaticsResult, StaticsRunError, generation_key, measure_statics

__all__ = ["Design", "FITS", "Fit", "StaticsResult", "StaticsRunError", "fixed_effects_slope", "generation_key",
           "measure_statics"]
