"""The simulator pyabc calls: a scenario run with drawn values, reduced to the targets' statistics.

:class:`Simulator` holds the scenario (as validated data), the prior and the targets; it is pickled
to dask workers with every task, so it never reads a file. :class:`Distance` is the calibration's
distance (:func:`.statistics.distance`) as a picklable callable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marketsim.config import scenario_from_dict
from marketsim.experiments.calibration.prior import Prior
from marketsim.experiments.calibration.statistics import distance, measure_all
from marketsim.experiments.run import run_scenario
from marketsim.experiments.validation.targets import TargetRow

__all__ = ["Simulator", "Distance"]


@dataclass(frozen=True)
class Simulator:
    """One model evaluation: run the scenario with a prior point's values at a seed, measure the targets.

    Attributes:
        data: the scenario as ``Scenario.model_dump(mode="python")`` (validated once, by the caller).
        source: the scenario file (named in messages).
        prior: the calibrated keys and how a unit-cube point maps to their values.
        targets: every row of the targets table (statistics are computed for these).
        seed: the consumer seed of every calibration run (common random numbers: a particle's
            statistics are a deterministic function of its parameters).
    """

    data: dict[str, Any] = field(repr=False)
    source: str
    prior: Prior
    targets: tuple[TargetRow, ...]
    seed: int

    @property
    def tuned(self) -> tuple[TargetRow, ...]:
        """The targets used for tuning (the statistics the ABC compares)."""
        return tuple(t for t in self.targets if t.used_for_tuning)

    def statistics(self, parameters: Mapping[str, float], seed: int | None = None,
                   every_target: bool = False) -> dict[str, float]:
        """target key -> simulated statistic (NaN if undefined) of one run at ``parameters``.

        Args:
            parameters: a pyabc parameter (``u0``, ``u1``, ...: unit-cube coordinates of the prior).
            seed: the run's consumer seed (default: :attr:`seed`).
            every_target: all rows of the table (posterior predictive) instead of the tuned ones.
        """
        scenario = scenario_from_dict(self.data, source=self.source, overrides=self.prior.overrides(parameters))
        result = run_scenario(scenario, seed=self.seed if seed is None else seed, progress=False)
        return measure_all(self.targets if every_target else self.tuned, result.model, result.firms)

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """pyabc's model: the tuned statistics at the calibration seed."""
        return self.statistics(parameters)

    def predictive(self, draw: tuple[Mapping[str, float], int]) -> dict[str, float]:
        """Every target's statistic of one posterior draw ``(parameters, seed)`` (for ``client.map``)."""
        parameters, seed = draw
        return self.statistics(parameters, seed=seed, every_target=True)


@dataclass(frozen=True)
class Distance:
    """pyabc's distance: :func:`.statistics.distance` with the targets' half-widths in logs."""

    widths: dict[str, float]

    def __call__(self, x: Mapping[str, float], x_0: Mapping[str, float]) -> float:
        return distance(x, {k: float(v) for k, v in x_0.items() if k in self.widths}, self.widths)
