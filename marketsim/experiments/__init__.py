"""Experiments on the simulation: single runs, comparisons, sweeps, sensitivity, validation.

Imports :mod:`marketsim.sim`, :mod:`marketsim.config` and :mod:`marketsim.economics`, never
:mod:`marketsim.viz` or :mod:`marketsim.cli`: writers that can draw figures take the drawing
function as an argument (:class:`~marketsim.experiments.outputs.RunFigureWriter`).

- :mod:`~marketsim.experiments.run`: run one scenario, summarize it.
- :mod:`~marketsim.experiments.compare`: several scenarios, one comparison table.
- :mod:`~marketsim.experiments.outputs`: what a run folder holds; the public face of
  :mod:`~marketsim.experiments.safety` (atomic folders, the ``--force`` rules) and
  :mod:`~marketsim.experiments.files` (the one atomic writer, ``write_json``, ``write_table``).
- :mod:`~marketsim.experiments.batch`: sweeps and Sobol' sensitivity on dask.
- :mod:`~marketsim.experiments.validation`: the model against the published record.
- :mod:`~marketsim.experiments.bench`: timing benchmarks.
"""
