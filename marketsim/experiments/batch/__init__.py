"""Many runs of one scenario on dask, resumable: parameter sweeps and Sobol' sensitivity.

- :mod:`~marketsim.experiments.batch.parameters`: grid values, seeds, run specs and run ids.
- :mod:`~marketsim.experiments.batch.source`: the scenario read once; the run function workers call.
- :mod:`~marketsim.experiments.batch.store`: the sweep folder (per-run files, combined tables, sweep.json).
- :mod:`~marketsim.experiments.batch.cluster`: the dask client, local cluster and watchdog.
- :mod:`~marketsim.experiments.batch.execute`: submitting runs and recording each outcome.
- :mod:`~marketsim.experiments.batch.sweep`: :func:`~marketsim.experiments.batch.sweep.run_sweep`.
- :mod:`~marketsim.experiments.batch.sensitivity`: Sobol' indices over sampled parameters.
"""
