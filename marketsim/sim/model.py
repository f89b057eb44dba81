"""MarketModel: the market for LLMs as a Mesa model. One ``step()`` is one period (default a quarter).

One period, top to bottom (docs/theory.md §10):

1. the world advances: hardware efficiency E(t), usable data stock, data efficiency rho_D(t),
   market size M(t) (:mod:`marketsim.sim.world`);
2. firms decide, in random order: a firm due for a new model picks (N, D) with its strategy
   (best response to rivals' current models), pays the training cost when it starts, and
   releases the model after its training lag;
3. consumers choose among the released models whose loss clears their threshold (logit on
   quality, price and switching cost);
4. accounting: revenue, serving cost, training cost, profit and cash of every firm; a firm whose
   cash falls below its credit limit exits;
5. the DataCollector records the model-level and firm-level series.

Each simulated consumer stands for ``population(t) / consumers.count`` people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Literal

import mesa
import numpy as np
import pandas as pd

from marketsim.sim.consumers import ConsumerAgent, ConsumerPopulation, Offers, sample_thresholds
from marketsim.sim.firm import FirmAgent
from marketsim.economics import herfindahl, threshold_market
from marketsim.economics.demand import Demand
from marketsim.config.scenario import Overrides, Scenario, load
from marketsim.sim.world import World

ConsumerMode = Literal["vectorised", "agents"]

MODEL_COLUMNS = ["year", "E", "data_stock", "rho_D", "population", "adopters", "adoption_share",
                 "training_spend", "training_spend_annual", "largest_N", "largest_D", "best_loss", "hhi",
                 "consumer_surplus", "firms_alive", "mean_price"]
FIRM_COLUMNS = ["firm", "strategy", "alive", "N", "D", "loss", "compute", "price", "adopters", "share",
                "revenue", "serving_cost", "training_cost", "fixed_cost", "profit", "cash", "training"]

# firms.csv columns whose FirmAgent attribute has another name
_FIRM_ATTRIBUTES = {"firm": "name", "strategy": "strategy_name"}


class MarketModel(mesa.Model):
    """The LLM market over many years.

    Args:
        scenario: a validated :class:`~marketsim.config.scenario.Scenario`, a scenario TOML file, or the
            name of a bundled scenario (``"baseline"``), read as ``marketsim run FILE`` reads it
            (default: the bundled baseline).
        overrides: changes to the scenario by key path, the same as the CLI's ``--set``:
            ``{"hardware.stall_year": 2030, "firms.0.price": 3}`` or ``["hardware.stall_year=2030"]``.
            An unknown key or an invalid value raises :class:`~marketsim.config.scenario.ScenarioError` (a ValueError).
        seed: random seed (default: ``scenario.meta.seed``); same seed, same tables.
        consumers: ``"vectorised"`` (numpy arrays, for 1e5-1e7 consumers) or ``"agents"`` (one
            :class:`ConsumerAgent` each; the readable reference). Both give identical results.

    Attributes:
        world: the exogenous drivers; ``state`` is the world this period.
        law: the scaling law.
        firms: the FirmAgents in scenario order.
        population_model: the vectorised consumers (None in agent mode).
        datacollector: model-level series (one row per period) and FirmAgent series.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, *, overrides: Overrides = (),
                 seed: int | None = None, consumers: ConsumerMode = "vectorised") -> None:
        scenario = load("baseline" if scenario is None else scenario, overrides)
        seed = scenario.meta.seed if seed is None else int(seed)
        super().__init__(seed=seed)
        if consumers not in ("vectorised", "agents"):
            raise ValueError(f"consumers = {consumers!r}: allowed 'vectorised' or 'agents'")
        self.scenario = scenario
        self.seed_used = seed
        self.consumer_mode = consumers
        self.world = World.from_scenario(scenario)
        self.law = scenario.scaling.law()
        self.period_years = scenario.period_years
        self.n_periods = scenario.n_periods
        self.state = self.world.at(0.0)

        cons = scenario.consumers
        self._threshold_kwargs = dict(
            median=cons.median_threshold, sigma=cons.sigma, pareto_max=cons.pareto_max_threshold,
            pareto_k=cons.pareto_k, loguniform_min=cons.loguniform_min, loguniform_max=cons.loguniform_max)
        unit = self.market_demand(price_per_period=1.0, periods=1)
        thresholds = sample_thresholds(self.rng, cons.count, unit.threshold_dist())
        self.value_reference_loss = unit.R_ref
        if consumers == "vectorised":
            self.population_model: ConsumerPopulation | None = ConsumerPopulation(thresholds)
        else:
            self.population_model = None
            ConsumerAgent.create_agents(self, cons.count, tau=thresholds, index=np.arange(cons.count))
        self.firms: list[FirmAgent] = [FirmAgent(self, cfg, order=i) for i, cfg in enumerate(scenario.firms)]

        self._spend_history: list[float] = []
        self._set_period_stats(Offers.none(), np.zeros(0), 0.0, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: name for name in MODEL_COLUMNS},
            agenttype_reporters={FirmAgent: {name: _FIRM_ATTRIBUTES.get(name, name) for name in FIRM_COLUMNS}},
        )

    # -- helpers the agents use ---------------------------------------------------------------------
    def market_demand(self, price_per_period: float, periods: int) -> Demand:
        """The whole market now, with revenue per adopter over ``periods`` periods at this price (dollars)."""
        cons = self.scenario.consumers
        return threshold_market(cons.family, M=self.state.population, price=price_per_period * periods,
                                kappa=cons.value_exponent, **self._threshold_kwargs)

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
        """Advance one period: world, firms decide, releases, consumers choose, accounting, collect."""
        # 1. The world advances.
        self.state = self.world.at((self.steps - 1) * self.period_years)

        # 2. Firms decide (random order; each sees rivals' released models), then releases happen.
        firm_set = self.agents_by_type[FirmAgent]
        firm_set.shuffle_do("decide")
        firm_set.do("release")

        # 3. Consumers choose among the models on offer.
        on_sale = [f for f in self.firms if f.offering]
        offers = Offers(np.array([f.unique_id for f in on_sale], dtype=np.int64),
                        np.array([f.deployed.R for f in on_sale]), np.array([f.price for f in on_sale]))
        cons = self.scenario.consumers
        u = self.rng.random(cons.count)
        choice_args = (self.scenario.market.logit_lambda, cons.price_sensitivity, cons.switching_cost)
        if self.population_model is not None:
            self.population_model.choose(offers, u, *choice_args)
            counts = self.population_model.counts(offers.firm_ids)
            surplus = self.population_model.surplus(offers, cons.price_sensitivity)
        else:
            consumers = self.agents_by_type[ConsumerAgent]
            consumers.do("choose", offers, u, *choice_args)
            chosen = np.array(consumers.get("choice"), dtype=np.int64)
            counts = np.array([np.count_nonzero(chosen == fid) for fid in offers.firm_ids], dtype=np.int64)
            surplus = float(sum(consumers.map("surplus", offers, cons.price_sensitivity)))

        # 4. Accounting (adopters in people).
        people_per_consumer = self.state.population / cons.count
        total = counts.sum()
        for firm in self.firms:
            k = np.flatnonzero(offers.firm_ids == firm.unique_id)
            n = float(counts[k[0]]) if k.size else 0.0
            firm.settle(n * people_per_consumer, n / total if total else 0.0)
        self._set_period_stats(offers, counts, surplus * people_per_consumer, people_per_consumer)

        # 5. Record.
        self.datacollector.collect(self)
        if self.steps >= self.n_periods or not any(f.alive for f in self.firms):
            self.running = False

    def _set_period_stats(self, offers: Offers, counts: np.ndarray, surplus: float, people_per_consumer: float) -> None:
        """Model-level series for this period (attributes named as the model.csv columns)."""
        s = self.state
        self.year, self.E, self.data_stock, self.rho_D, self.population = s.year, s.E, s.data_stock, s.rho_D, s.population
        total = int(counts.sum()) if len(counts) else 0
        self.adopters = total * people_per_consumer
        self.adoption_share = total / self.scenario.consumers.count
        spend = float(sum(f.training_cost for f in self.firms))
        self._spend_history.append(spend)
        self.training_spend = spend
        per_year = max(int(round(1 / self.period_years)), 1)
        self.training_spend_annual = float(sum(self._spend_history[-per_year:]))
        # the models consumers chose from this period, including a firm's that exited in accounting
        on_sale = [f for f in self.firms if f.unique_id in offers.firm_ids]
        self.largest_N = max((f.deployed.N for f in on_sale), default=0.0)
        self.largest_D = max((f.deployed.D for f in on_sale), default=0.0)
        # NaN = missing: no model on sale this period (model.csv writes an empty cell; marketsim.sim.tables)
        self.best_loss = min((f.deployed.loss for f in on_sale), default=float("nan"))
        self.hhi = herfindahl(counts) if total else 0.0
        self.consumer_surplus = surplus
        self.firms_alive = sum(f.alive for f in self.firms)
        self.mean_price = float(np.dot(counts, offers.price) / total) if total else 0.0

    # -- running and tables ---------------------------------------------------------------------------
    def run(self, years: float | None = None,
            progress: Callable[[int, int, float], None] | None = None) -> "MarketModel":
        """Run to the horizon (or for ``years`` years), calling ``progress(done, total, year)`` per period."""
        total = self.n_periods if years is None else min(int(round(years / self.period_years)), self.n_periods)
        while self.running and self.steps < total:
            self.step()
            if progress is not None:
                progress(self.steps, total, float(self.year))
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
