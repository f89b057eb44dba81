"""Model generations in a simulated market: one row per training start in firms.csv, with the world
at that start and the regime the model was trained in (docs/theory.md §4).

A generation is a training start (a firm-period with ``training_cost > 0``); its model is the one
the firm puts on sale at or after that period (its (N, D) replace the previous model's). The world
of the start (E, rho_D, the data stock) comes from model.csv.

The regime and the binding constraint: the ``regime`` and ``binding`` columns of firms.csv in the
period training started (they describe that decision, :mod:`marketsim.sim.regimes`) when the table has
them, else :func:`classify_regime` from D against the usable raw stock and N against N_match(D)
(binding then 'data' at the stock, else 'none': the budget is not seen).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketsim.economics.scaling import ScalingLaw
from marketsim.sim.regimes import REGIMES, classify

__all__ = ["GENERATION_COLUMNS", "REGIMES", "classify_regime", "generation_table"]

GENERATION_COLUMNS = ["firm", "generation", "start_step", "year", "E", "rho_D", "D_bar", "N", "D", "compute",
                      "spend", "N_match", "regime", "binding"]


def classify_regime(N: float, D: float, D_bar: float, N_match: float) -> str:
    """The regime of a model of N parameters trained on D raw tokens when the usable raw stock was
    D_bar tokens and N_match(D) the compute-optimal size for D: 'compute-bound' (D below the stock),
    'capped' (D at the stock and N at N_match) or 'data-bound' (D at the stock, N below N_match): the
    rule of :func:`marketsim.sim.regimes.classify`, without the budget (which the tables do not show)."""
    return str(classify(N, D, D_bar=D_bar, N_match=N_match, cost=0.0, max_spend=None).regime)


def _release_index(N: np.ndarray, D: np.ndarray, start: int, stop: int) -> int | None:
    """Row (in ``start .. stop-1``) where the model trained at row ``start`` goes on sale: the first
    whose (N, D) differ from the row before the start; None if it never does (run ended, exit)."""
    before = (N[start - 1], D[start - 1]) if start > 0 else (0.0, 0.0)
    for j in range(start, stop):
        if N[j] > 0 and (N[j], D[j]) != before:
            return j
    return None


def _reported(table: pd.DataFrame, row: int) -> tuple[str | None, str]:
    """(regime, binding) firms.csv reports for the decision in ``row`` ((None, "") if it has none)."""
    regime = table.at[row, "regime"] if "regime" in table.columns else None
    if not (isinstance(regime, str) and regime in REGIMES):
        return None, ""
    binding = table.at[row, "binding"] if "binding" in table.columns else ""
    return regime, str(binding) if isinstance(binding, str) else ""


def generation_table(firms: pd.DataFrame, model: pd.DataFrame, law: ScalingLaw) -> pd.DataFrame:
    """One row per model generation of every firm (columns :data:`GENERATION_COLUMNS`).

    Args:
        firms: firms.csv (step, firm, N, D, training_cost[, regime]).
        model: model.csv (step, year, E, data_stock, rho_D[, rho_N]; rho_N = 1 when absent, as in
            run folders written before it was a column).
        law: the scaling law (for N_match).

    Units: E FLOP per dollar; D_bar, D raw tokens; spend dollars; compute FLOP; year calendar.
    """
    world = model.set_index("step")
    rows = []
    for firm, table in firms.groupby("firm", sort=False):
        table = table.sort_values("step").reset_index(drop=True)
        N, D = table["N"].to_numpy(float), table["D"].to_numpy(float)
        starts = np.flatnonzero(table["training_cost"].to_numpy(float) > 0)
        for k, i in enumerate(starts):
            stop = starts[k + 1] if k + 1 < len(starts) else len(table)
            j = _release_index(N, D, int(i), int(stop))
            if j is None:
                continue
            step = int(table.at[i, "step"])
            rho_D = float(world.at[step, "rho_D"])
            D_bar = float(world.at[step, "data_stock"]) / rho_D
            rho_N = float(world.at[step, "rho_N"]) if "rho_N" in world.columns else 1.0
            N_match = float(law.n_match(D[j], rho_N=rho_N, rho_D=rho_D))
            regime, binding = _reported(table, int(i))
            if regime is None:
                regime = classify_regime(N[j], D[j], D_bar, N_match)
                binding = "none" if regime == "compute-bound" else "data"
            rows.append({"firm": firm, "generation": k, "start_step": step, "year": float(world.at[step, "year"]),
                         "E": float(world.at[step, "E"]), "rho_D": rho_D, "D_bar": D_bar, "N": N[j], "D": D[j],
                         "compute": 6.0 * N[j] * D[j], "spend": float(table.at[i, "training_cost"]),
                         "N_match": N_match, "regime": regime, "binding": binding})
    return pd.DataFrame(rows, columns=GENERATION_COLUMNS)
