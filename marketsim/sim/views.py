"""What strategies and the period statistics may read of a firm and of the market.

:class:`FirmView` and :class:`MarketView` are Protocols that :class:`~marketsim.sim.firm.FirmAgent`
and :class:`~marketsim.sim.model.MarketModel` satisfy, so that :mod:`marketsim.sim.strategies` and
:mod:`marketsim.sim.period` need not import the agent and model classes (imports point one way:
views < strategies < firm < model). :class:`TrainedModel` is the record of one trained model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from marketsim.config import Firm as FirmConfig
from marketsim.config import Scenario
from marketsim.economics.demand import Demand
from marketsim.economics.scaling import ScalingLaw
from marketsim.sim.world import WorldState

__all__ = ["TrainedModel", "FirmView", "MarketView"]


@dataclass
class TrainedModel:
    """A trained model: N parameters, D tokens, reducible loss R and loss L (nats per token)."""

    N: float
    D: float
    R: float
    loss: float
    release_step: int

    @property
    def compute(self) -> float:
        """Training compute 6ND, FLOP."""
        return 6.0 * self.N * self.D


class MarketView(Protocol):
    """The market as a firm's strategy sees it (money in dollars, prices per adopter per period)."""

    scenario: Scenario
    law: ScalingLaw
    state: WorldState
    steps: int
    firms: Sequence["FirmView"]
    value_reference_loss: float  # R_ref of the value (R_ref / R)^kappa, nats per token

    def market_demand(self, price_per_period: float, periods: int) -> Demand: ...

    def raw_data_cap(self) -> float: ...

    def firm_named(self, name: str | None) -> "FirmView | None": ...


class FirmView(Protocol):
    """A firm as strategies and statistics see it."""

    model: MarketView
    config: FirmConfig
    unique_id: int
    name: str
    strategy: Any  # the firm's Strategy (marketsim.sim.strategies imports this module)
    price: float  # paid price, dollars per adopter per period (NaN with no model on sale)
    price_adj: float  # quality-adjusted price, reference dollars per adopter per period
    price_per_mtok: float  # dollars per million tokens
    markup: float  # price - serving cost per adopter, dollars per adopter per period
    alive: bool
    deployed: TrainedModel | None
    pending: TrainedModel | None
    last_start: int
    retrain_every: int
    followed_release: int | None
    regime: str  # of the latest decision (marketsim.sim.regimes); "" before the first
    entry_step: int | None
    exit_step: int | None

    @property
    def active(self) -> bool: ...

    @property
    def offering(self) -> bool: ...

    @property
    def max_spend(self) -> float: ...
