"""MarketModel: the market for LLMs as a Mesa model. One ``step()`` is one period (default a quarter).

One period, top to bottom (docs/theory.md §10); ``step()`` is these calls:

1. ``_advance_world``: hardware efficiency E(t), usable data stock, data efficiency rho_D(t),
   parameter efficiency rho_N(t), market size M(t) (:mod:`marketsim.sim.world`);
   ``_firms_enter``: firms whose date has come and potential entrants that expect a profit net of
   their entry cost enter (:mod:`marketsim.sim.entry`);
2. ``_firms_decide_and_release``: in random order, a firm due for a new model picks (N, D) with
   its strategy (:mod:`marketsim.sim.strategies`: best response to rivals' current models), pays
   the training cost when it starts, and releases the model after its training lag;
   ``_firms_set_prices``: firms with a model on sale set their prices, the Nash equilibrium of the
   period's pricing stage game (:mod:`marketsim.sim.pricing`, docs/theory.md "Prices");
3. ``_consumers_choose``: consumers (a :class:`~marketsim.sim.consumers.ConsumerMarket`) choose
   among the released models whose loss clears their threshold and the outside option (logit on
   quality, quality-adjusted price and switching cost);
4. ``_settle_accounts``: revenue, serving cost, training cost, profit and cash of every firm; a
   firm whose cash falls below its credit limit exits; then ``_firms_exit``: a firm whose
   expected profit has stayed negative ``market.exit_after_loss_periods`` periods exits;
5. ``_record``: the period's :class:`~marketsim.sim.period.PeriodStats` and the DataCollector row
   (model-level and firm-level series).

Each simulated consumer stands for ``population(t) / consumers.count`` people.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

import mesa
import numpy as np
import pandas as pd

from marketsim.config import Overrides, Scenario, ScenarioError, load
from marketsim.economics.demand import Demand
from marketsim.sim.choice import Offers
from marketsim.sim.consumers import ConsumerMarket, ConsumerMode, aware_count, make_consumers, sample_thresholds
from marketsim.sim.entry import enter_firms, exit_firms
from marketsim.sim.firm import FirmAgent
from marketsim.sim.period import PeriodStats, period_stats
from marketsim.sim.pricing import set_prices
from marketsim.sim.regimes import note_exit
from marketsim.sim.strategies import STRATEGIES, check_strategies
from marketsim.sim.columns import FIRM_COLUMNS, MODEL_COLUMNS
from marketsim.sim.world import World

__all__ = ["MarketModel", "MODEL_COLUMNS", "FIRM_COLUMNS"]

# firms.csv columns whose FirmAgent attribute has another name
_FIRM_ATTRIBUTES = {"firm": "name", "strategy": "strategy_name", "entry_cost": "entry_spend"}


def _stat(name: str, model: "MarketModel") -> float:
    """DataCollector reporter: one field of the model's current :class:`PeriodStats`."""
    return getattr(model.stats, name)


class MarketModel(mesa.Model):
    """The LLM market over many years.

    Args:
        scenario: a validated :class:`~marketsim.config.Scenario`, a scenario TOML file, or the
            name of a bundled scenario (``"baseline"``), read as ``marketsim run FILE`` reads it
            (default: the bundled baseline).
        overrides: changes to the scenario by key path, the same as the CLI's ``--set``:
            ``{"hardware.stall_year": 2030, "firms.0.price": 3}`` or ``["hardware.stall_year=2030"]``.
            An unknown key or an invalid value raises :class:`~marketsim.config.ScenarioError` (a ValueError).
        seed: random seed (default: ``scenario.meta.seed``); same seed, same tables.
        consumers: ``"vectorised"`` (numpy arrays, for 1e5-1e7 consumers) or ``"agents"`` (one
            :class:`~marketsim.sim.consumers.ConsumerAgent` each; the readable reference). Both give
            identical results.

    Raises:
        ScenarioError: a firm's strategy is not registered (:func:`~marketsim.sim.check_strategies`).

    Attributes:
        world: the exogenous drivers; ``state`` is the world this period.
        law: the scaling law.
        thresholds: the consumers' threshold distribution (builds the market's demand).
        firms: the FirmAgents in scenario order.
        consumer_market: the consumers (:class:`~marketsim.sim.consumers.ConsumerMarket`).
        stats: this period's :class:`~marketsim.sim.period.PeriodStats` (the model.csv row).
        datacollector: model-level series (one row per period) and FirmAgent series.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, *, overrides: Overrides = (),
                 seed: int | None = None, consumers: ConsumerMode = "vectorised") -> None:
        source = "baseline" if scenario is None else scenario
        scenario = load(source, overrides)
        problems = check_strategies(scenario)
        if problems:
            name = source if not isinstance(source, Scenario) else f"scenario {scenario.meta.name!r}"
            raise ScenarioError(str(name), problems)
        seed = scenario.meta.seed if seed is None else int(seed)
        super().__init__(seed=seed)
        self.scenario = scenario
        self.seed_used = seed
        self.world = World.from_scenario(scenario)
        self.law = scenario.scaling.law()
        self.period_years = scenario.period_years
        self.n_periods = scenario.n_periods
        self.state = self.world.at(0.0)

        cons = scenario.consumers
        self.thresholds = cons.thresholds()
        self.value_reference_loss = self.thresholds.reference_loss
        taus = sample_thresholds(self.rng, cons.count, self.thresholds.distribution())
        self.consumer_market: ConsumerMarket = make_consumers(self, consumers, taus)
        self.firms: list[FirmAgent] = [FirmAgent(self, cfg, STRATEGIES[cfg.strategy](), order=i)
                                       for i, cfg in enumerate(scenario.firms)]

        self._spend_history: list[float] = []
        self.stats = self._record_stats(Offers.none(), np.zeros(0), 0.0, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_stat, name) for name in MODEL_COLUMNS},
            agenttype_reporters={FirmAgent: {name: _FIRM_ATTRIBUTES.get(name, name) for name in FIRM_COLUMNS}},
        )

    # -- helpers the agents use ---------------------------------------------------------------------
    def market_demand(self, price_per_period: float, periods: int) -> Demand:
        """The whole market now, with revenue per adopter over ``periods`` periods at this price (dollars)."""
        return self.thresholds.demand(M=self.state.population * self.state.awareness, price=price_per_period * periods,
                                      kappa=self.scenario.consumers.value_exponent)

    def value_per_adopter(self, price: float, R: float) -> float:
        """Dollars one adopter pays per period for a model of reducible loss R: price (R_ref/R)^kappa."""
        return price * (self.value_reference_loss / R) ** self.scenario.consumers.value_exponent

    def raw_data_cap(self) -> float:
        """Usable data stock in raw tokens: the effective stock divided by data efficiency rho_D."""
        return self.state.data_stock / self.state.rho_D

    def firm_named(self, name: str | None) -> FirmAgent | None:
        """The firm called ``name`` (None if absent)."""
        return next((f for f in self.firms if f.name == name), None)

    # -- one period -----------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one period: the five stages of the module docstring, in order."""
        self._advance_world()
        self._firms_enter()
        self._firms_decide_and_release()
        offers = self._firms_set_prices()
        counts, surplus = self._consumers_choose(offers)
        people_per_consumer = self._settle_accounts(offers, counts)
        self._firms_exit()
        self._record(offers, counts, surplus, people_per_consumer)

    def _advance_world(self) -> None:
        """Stage 1: the world of this period."""
        self.state = self.world.at((self.steps - 1) * self.period_years)

    def _firms_enter(self) -> None:
        """Stage: firms whose date has come, and potential entrants expecting a profit net of their
        entry cost, enter (:func:`marketsim.sim.entry.enter_firms`)."""
        enter_firms(self.firms, self.state.year)

    def _firms_exit(self) -> None:
        """Stage: firms whose expected profit has stayed negative exit (:func:`marketsim.sim.entry.exit_firms`;
        insolvent firms exited when they settled); every firm that exited this period says why in its
        decision (:func:`marketsim.sim.regimes.note_exit`)."""
        exit_firms(self.firms, self.scenario.market.exit_after_loss_periods)
        for firm in self.firms:
            if firm.exit_step == self.steps:
                note_exit(firm, firm.exit_reason)

    def _firms_decide_and_release(self) -> None:
        """Stage 2: firms decide in random order (each sees rivals' released models), then releases
        happen."""
        firm_set = self.agents_by_type[FirmAgent]
        firm_set.shuffle_do("decide")
        firm_set.do("release")

    def _firms_set_prices(self) -> Offers:
        """Stage: firms with a model on sale set this period's prices (the Nash equilibrium of the
        pricing stage game, :func:`marketsim.sim.pricing.set_prices`); returns the models on offer."""
        return set_prices(self)

    def _consumers_choose(self, offers: Offers) -> tuple[np.ndarray, float]:
        """Stage 3: consumers choose; returns the simulated consumers per offer and their surplus (dollars)."""
        cons = self.scenario.consumers
        u = self.rng.random(cons.count)
        self.consumer_market.choose(offers, u, self.scenario.market.logit_lambda, cons.price_sensitivity,
                                    cons.switching_cost, aware_count(self.state.awareness, cons.count))
        counts = self.consumer_market.counts(offers.firm_ids)
        return counts, self.consumer_market.surplus(offers, cons.price_sensitivity)

    def _settle_accounts(self, offers: Offers, counts: np.ndarray) -> float:
        """Stage 4: every firm books revenue and costs for its adopters (people); returns the people
        one simulated consumer stands for."""
        people_per_consumer = self.state.population / self.scenario.consumers.count
        total = counts.sum()
        for firm in self.firms:
            k = np.flatnonzero(offers.firm_ids == firm.unique_id)
            n = float(counts[k[0]]) if k.size else 0.0
            firm.settle(n * people_per_consumer, n / total if total else 0.0)
        return people_per_consumer

    def _record(self, offers: Offers, counts: np.ndarray, surplus: float, people_per_consumer: float) -> None:
        """Stage 5: the period's statistics and the DataCollector row; stop at the horizon or when
        every firm has exited (and none is still to enter)."""
        self.stats = self._record_stats(offers, counts, surplus * people_per_consumer, people_per_consumer)
        self.datacollector.collect(self)
        if self.steps >= self.n_periods or not any(f.alive for f in self.firms):
            self.running = False

    def _record_stats(self, offers: Offers, counts: np.ndarray, surplus: float,
                      people_per_consumer: float) -> PeriodStats:
        self._spend_history.append(float(sum(f.training_cost for f in self.firms)))
        per_year = max(int(round(1 / self.period_years)), 1)
        return period_stats(self.state, self.firms, offers, counts, surplus, people_per_consumer,
                            self.scenario.consumers.count, self._spend_history, per_year)

    # -- running and tables ---------------------------------------------------------------------------
    def run(self, years: float | None = None,
            progress: Callable[[int, int, float], None] | None = None) -> "MarketModel":
        """Run to the horizon (or for ``years`` years), calling ``progress(done, total, year)`` per period."""
        total = self.n_periods if years is None else min(int(round(years / self.period_years)), self.n_periods)
        while self.running and self.steps < total:
            self.step()
            if progress is not None:
                progress(self.steps, total, float(self.stats.year))
        return self

    def model_table(self) -> pd.DataFrame:
        """One row per period: ``step`` then the model.csv columns of docs/architecture.md."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "step", np.arange(len(df)))
        return df[["step", *MODEL_COLUMNS]]

    def firm_table(self) -> pd.DataFrame:
        """One row per firm per period: ``step, year`` then the firms.csv columns."""
        raw = self.datacollector.get_agenttype_vars_dataframe(FirmAgent)
        if raw.empty:
            return pd.DataFrame(columns=["step", "year", *FIRM_COLUMNS])
        df = raw.reset_index()
        df["step"] = df["Step"] - df["Step"].min()
        years = self.model_table().set_index("step")["year"]
        df["year"] = df["step"].map(years)
        df = df.sort_values(["step", "AgentID"], kind="stable")
        return df[["step", "year", *FIRM_COLUMNS]].reset_index(drop=True)
