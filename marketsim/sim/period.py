"""The model-level statistics of one period: one row of model.csv.

:class:`PeriodStats` has one field per model.csv column (names and units:
:data:`marketsim.sim.columns.MODEL`), in column order; the model's DataCollector reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import numpy as np

from marketsim.economics import herfindahl
from marketsim.sim.choice import Offers
from marketsim.sim.regimes import count_data_bound
from marketsim.sim.views import FirmView
from marketsim.sim.world import WorldState

__all__ = ["PeriodStats", "period_stats"]


@dataclass(frozen=True)
class PeriodStats:
    """One period of the market (model.csv row; units in :data:`marketsim.sim.columns.MODEL`)."""

    year: float
    E: float
    data_stock: float
    rho_D: float
    rho_N: float
    population: float
    aware_share: float
    adopters: float
    adoption_share: float
    training_spend: float
    training_spend_annual: float
    largest_N: float
    largest_D: float
    best_loss: float
    hhi: float
    consumer_surplus: float
    firms_alive: int
    entries: int
    exits: int
    mean_price: float
    price_index_adj: float
    data_bound_firms: int


def period_stats(state: WorldState, firms: Sequence[FirmView], offers: Offers, counts: np.ndarray,
                 surplus: float, people_per_consumer: float, consumer_count: int,
                 spend_history: Sequence[float], per_year: int) -> PeriodStats:
    """The period's statistics.

    Args:
        state: the world this period.
        firms: every firm, in scenario order.
        offers, counts: the models consumers chose from and how many simulated consumers chose each.
        surplus: consumer surplus, dollars (already in people).
        people_per_consumer: people one simulated consumer stands for.
        consumer_count: simulated consumers.
        spend_history: training spend of every period so far, this one last (dollars per period).
        per_year: periods per year (the window of ``training_spend_annual``).
    """
    total = int(counts.sum()) if len(counts) else 0
    # the models consumers chose from this period, including a firm's that exited in accounting
    on_sale = [f for f in firms if f.unique_id in offers.firm_ids]
    return PeriodStats(
        year=state.year, E=state.E, data_stock=state.data_stock, rho_D=state.rho_D, rho_N=state.rho_N,
        population=state.population,
        aware_share=state.awareness,
        adopters=total * people_per_consumer,
        adoption_share=total / consumer_count,
        training_spend=spend_history[-1],
        training_spend_annual=float(sum(spend_history[-per_year:])),
        largest_N=max((f.deployed.N for f in on_sale), default=0.0),
        largest_D=max((f.deployed.D for f in on_sale), default=0.0),
        # NaN = missing: no model on sale this period (model.csv writes an empty cell; marketsim.sim.tables)
        best_loss=min((f.deployed.loss for f in on_sale), default=float("nan")),
        hhi=herfindahl(counts) if total else 0.0,
        consumer_surplus=surplus,
        firms_alive=sum(f.active for f in firms),
        entries=sum(f.entry_step is not None and f.entry_step == f.model.steps for f in firms),
        exits=sum(f.exit_step is not None and f.exit_step == f.model.steps for f in firms),
        mean_price=float(np.dot(counts, offers.price) / total) if total else 0.0,
        price_index_adj=float(np.dot(counts, offers.price_adj) / total) if total else 0.0,
        data_bound_firms=count_data_bound([f.regime for f in firms if f.active]),
    )
