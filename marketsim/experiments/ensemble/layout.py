"""File names of an ensemble folder (``marketsim ensemble ... --out DIR``), read by ``marketsim discover``.

Every file is a CSV table with a header row:

* :data:`DRAWS` (``draws.csv``): one row per parameter draw: ``draw`` (int, 0..N-1), ``seed`` (the
  consumer seed shared by every scenario for this draw), then one column per uncertain key path
  (column name = the key path as written in ``[uncertain]``, e.g. ``hardware.growth_per_year``).
* :data:`OUTCOMES` (``outcomes.csv``): one row per (scenario, draw): ``scenario``, ``draw``, then
  one column per scalar outcome of that run (final-year values and run totals of model.csv series,
  e.g. ``adoption_final``, ``hhi_final``, ``cumulative_training_spend``, ``data_wall_year``).
* :data:`PAIRED` (``paired.csv``): one row per (scenario, draw) for every scenario but the first:
  ``scenario``, ``base`` (the first scenario), ``draw``, then per outcome ``<outcome>_diff``
  (scenario minus base) and ``<outcome>_ratio`` (scenario / base, empty when the base is 0), and
  named paired statements such as ``spend_cut`` (1 - cumulative spend / base cumulative spend).
"""

from __future__ import annotations

__all__ = ["DRAWS", "OUTCOMES", "PAIRED"]

DRAWS = "draws.csv"
OUTCOMES = "outcomes.csv"
PAIRED = "paired.csv"
