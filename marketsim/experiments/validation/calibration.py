"""Tuning of the one-lab history's demand, and the sensitivity of that history to kappa.

The one-lab history (``scenarios/historical_one_lab.toml``) is the world in which the baseline's
demand is tuned; the three-lab historical scenario is calibrated by ABC instead
(:mod:`marketsim.experiments.calibration`, ``marketsim calibrate historical``).

:func:`calibrate_history` re-tunes the demand (median threshold, sigma and the price scale:
``consumers.price_sensitivity`` under best-response pricing, the firm's ``price`` under fixed
pricing) to the calibration targets with the stand-in firm (:func:`~marketsim.experiments.validation.stand_in.profit_optimal_path`),
so the tuned numbers in the scenario file can be reproduced; :func:`kappa_sweep` re-tunes and runs
the scenario for each value exponent kappa.

Units: money in US dollars; adoption as a share of the population; growth as a factor per year.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import optimize as sopt

from marketsim.config import Scenario, scenario_from_dict
from marketsim.config.keypaths import parse_key
from marketsim.config.standalone import pricing_rule
from marketsim.experiments.validation.history import (HistoryReport, frontier_runs, history_metrics, load_one_lab,
                                                      mean_population, validate_history)
from marketsim.experiments.validation.record import RECORD, WAU_2023, WAU_2025
from marketsim.experiments.validation.stand_in import profit_optimal_path
from marketsim.sim.world import World

__all__ = ["CALIBRATION_TARGETS", "FIXED_PRICE_SCALE", "calibration_targets", "Calibration", "calibrate_history",
           "scenario_value", "kappa_sweep",
           "kappa_sweep_row"]


#: Override key -> calibration target of the historical scenario's tuned numbers, under best-response
#: pricing (the profit-optimal firm's default): the firm sets its own price, and the price scale is
#: the consumers' price sensitivity (the monopoly markup is about logit_lambda / price_sensitivity).
CALIBRATION_TARGETS: Final[dict[str, str]] = {
    "consumers.median_threshold": "adoption_2023",
    "consumers.sigma": "adoption_2025",
    "consumers.price_sensitivity": "cost_2022",
}

#: The price scale tuned instead of ``consumers.price_sensitivity`` when the firm's pricing is "fixed".
FIXED_PRICE_SCALE: Final = "firms.0.price"


def calibration_targets(scenario: Scenario) -> dict[str, str]:
    """Override key -> calibration target for ``scenario``: :data:`CALIBRATION_TARGETS`, with the
    firm's fixed price (:data:`FIXED_PRICE_SCALE`) as the price scale when its pricing is "fixed"."""
    if pricing_rule(scenario.firms[0]) != "fixed":
        return dict(CALIBRATION_TARGETS)
    return {FIXED_PRICE_SCALE if key == "consumers.price_sensitivity" else key: target
            for key, target in CALIBRATION_TARGETS.items()}


@dataclass(frozen=True)
class Calibration:
    """Tuned values of the historical scenario's free demand parameters.

    Attributes:
        values: override key -> tuned value.
        targets: target key -> (wanted, achieved by the stand-in firm).
        converged: whether the search met its tolerance.
    """

    values: dict[str, float]
    targets: dict[str, tuple[float, float | None]]
    converged: bool

    @property
    def overrides(self) -> list[str]:
        """The tuned values as ``key.path=value`` overrides (4 significant digits)."""
        return [f"{key}={value:.4g}" for key, value in self.values.items()]


def _stand_in_metrics(scenario: Scenario) -> dict[str, float | None]:
    """The history metrics of the stand-in firm's path (adoption and revenue: expected values)."""
    path = profit_optimal_path(scenario)
    world = World.from_scenario(scenario)
    firms = path.assign(firm="firm")
    model = path.assign(E=[world.at(y - scenario.meta.start_year).E for y in path["year"]])
    runs = frontier_runs(model, firms)
    return history_metrics(model, firms, runs)


def _wanted(scenario: Scenario) -> dict[str, float]:
    """Target key -> the value the calibration aims at (adoption shares of this scenario's population)."""
    world = World.from_scenario(scenario)
    return {"adoption_2023": WAU_2023 / mean_population(world, scenario, 2023),
            "adoption_2025": WAU_2025 / mean_population(world, scenario, 2025),
            "cost_2022": RECORD["cost_2022"].value}


def calibrate_history(scenario: Scenario | None = None, *, max_iter: int = 200, restarts: int = 3,
                      grid_points: int = 5, xatol: float = 1e-4, fatol: float = 1e-8) -> Calibration:
    """Tune median threshold, sigma and the price scale so the stand-in firm hits the calibration targets.

    Targets (:func:`calibration_targets`; the price scale is ``consumers.price_sensitivity``, or
    ``firms.0.price`` under fixed pricing): mean adoption ~2% over 2023 and ~12% over 2025 (ChatGPT
    weekly users over the scenario's population) and $40.7M for the frontier run in mid-2022 (COT24
    GPT-4).
    Minimises the sum of squared log errors over the logs of the three values: the best point of a
    ``grid_points``^3 grid from half to twice the scenario's values (``grid_points=1``: start at the
    scenario's values), then Nelder-Mead with ``restarts`` restarts, stopping when the simplex is
    within ``xatol`` in the logs of the values (0.01 = about 1%) and ``fatol`` in the loss. A target
    that is not reached (no run, no adopters) costs a fixed penalty. Each evaluation runs the stand-in
    firm over the whole scenario (about 1 s: the firm's own optimizer at each decision), and a search
    takes tens to hundreds of them.
    """
    base = load_one_lab() if scenario is None else scenario
    data = base.model_dump(mode="python")
    wanted = _wanted(base)
    keys = list(calibration_targets(base))
    start = np.log([scenario_value(base, key) for key in keys])

    def candidate(x: np.ndarray) -> Scenario:
        overrides = [f"{key}={value!r}" for key, value in zip(keys, np.exp(x).tolist())]
        return scenario_from_dict(data, source="calibration", overrides=overrides)

    def loss(x: np.ndarray) -> float:
        got = _stand_in_metrics(candidate(x))
        return sum(_log_error(got[key], want) for key, want in wanted.items())

    # The firm's discrete yearly cycle puts small steps into the objective, which trap a local search
    # started far away: begin at the best point of a coarse grid (x/2 to 2x around the start), and
    # restart Nelder-Mead from its own answer, which rebuilds the simplex.
    if grid_points > 1:
        offsets = np.log(2.0) * np.linspace(-1.0, 1.0, grid_points)
        grid = [start + np.array(step) for step in itertools.product(offsets, repeat=len(start))]
        start = min(grid, key=loss)
    options = dict(maxiter=max_iter, xatol=xatol, fatol=fatol)
    res = sopt.minimize(loss, start, method="Nelder-Mead", options=options)
    for _ in range(restarts):
        again = sopt.minimize(loss, res.x, method="Nelder-Mead", options=options)
        if again.fun >= res.fun - 1e-9:
            break
        res = again
    got = _stand_in_metrics(candidate(res.x))
    values = dict(zip(keys, np.exp(res.x).tolist()))
    return Calibration(values=values, targets={k: (w, got[k]) for k, w in wanted.items()}, converged=bool(res.success))


def scenario_value(scenario: Scenario, key: str) -> float:
    """The number at key path ``key`` of ``scenario`` (``firms.0.price`` or ``firms[0].price``)."""
    node: Any = scenario
    for part in parse_key(key):
        node = node[part] if isinstance(part, int) else getattr(node, part)
    return float(node)


def _log_error(got: float | None, want: float) -> float:
    if got is None or not got > 0:
        return 100.0  # the target is not reached at all
    return float(np.log(got / want) ** 2)


# --- sensitivity of the history to kappa ---------------------------------------------------------


def kappa_sweep(kappas: Sequence[float], scenario: Scenario | None = None, seed: int | None = None, *,
                grid_points: int = 1, restarts: int = 1, xatol: float = 1e-2, fatol: float = 1e-4) -> pd.DataFrame:
    """For each value exponent kappa: re-tune the demand (:func:`calibrate_history`), run, compare.

    kappa (``consumers.value_exponent``) is the one demand number the record does not pin, and it
    sets how fast spend grows once adoption takes off. The kappas are taken outward from the
    scenario's own kappa (up in increasing order, down in decreasing order), each tuning starting
    from the previous one's answer (the first of each direction from the scenario's values) and
    stopping at about 1% in the tuned values (``xatol``; each stand-in run takes about a second, so
    tighter tuning of five kappas takes most of an hour). One row per kappa: the tuned values, then
    the simulated ``spend_growth``, ``compute_growth``, ``cost_2022``, ``cost_2024``,
    ``revenue_2024``, ``adoption_2023``, ``adoption_2025``, ``first_run_year`` and
    ``spend_growth_inside`` (within COT24's 90% CI).
    """
    base = load_one_lab() if scenario is None else scenario
    rows: list[dict[str, Any]] = []
    own = base.consumers.value_exponent
    for chain in (sorted(k for k in kappas if k >= own), sorted((k for k in kappas if k < own), reverse=True)):
        warm: list[str] = []
        for kappa in chain:
            rows.append(_kappa_row(base, kappa, warm, seed, grid_points, restarts, xatol, fatol))
            warm = [f"{key}={value}" for key, value in rows[-1]["_tuned"].items()]
    for row in rows:
        row.pop("_tuned")
    return pd.DataFrame(sorted(rows, key=lambda row: row["kappa"]))


def _kappa_row(base: Scenario, kappa: float, warm: list[str], seed: int | None, grid_points: int, restarts: int,
               xatol: float, fatol: float) -> dict[str, Any]:
    """One kappa of :func:`kappa_sweep`, tuned from the overrides ``warm``; its tuned values under ``_tuned``."""
    with_kappa = scenario_from_dict(base.model_dump(mode="python"), source=f"kappa={kappa:g}",
                                    overrides=[f"consumers.value_exponent={float(kappa)!r}", *warm])
    tuned = calibrate_history(with_kappa, grid_points=grid_points, restarts=restarts, xatol=xatol, fatol=fatol)
    run = scenario_from_dict(with_kappa.model_dump(mode="python"), source="calibrated", overrides=tuned.overrides)
    return {**kappa_sweep_row(kappa, tuned.values, validate_history(run, seed=seed)), "_tuned": tuned.values}


def kappa_sweep_row(kappa: float, values: dict[str, float], report: HistoryReport) -> dict[str, Any]:
    """One row of :func:`kappa_sweep`: kappa, the tuned ``values`` (by last key part) and the run's metrics."""
    metrics = {row.target.key: row.simulated for row in report.rows}
    return {"kappa": float(kappa), **{key.split(".")[-1]: v for key, v in values.items()}, **metrics,
            "spend_growth_inside": report.row("spend_growth").inside}
