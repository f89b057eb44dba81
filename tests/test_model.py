"""Tests of the Mesa market model (MarketModel, FirmAgent and its strategies).

Small, fast configurations: 1,000-2,000 simulated consumers, quarterly periods over a few years.
The checks are the model's contract (docs/architecture.md, DESIGN.md section 4): both consumer forms
agree exactly, every period's accounting adds up, seeds reproduce, and the behaviours the theory
predicts (theory.md sections 4, 7 and 8) appear with the directions it gives.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketsim.sim.consumers import NO_CHOICE, AgentConsumers, ConsumerAgent, ConsumerPopulation
from marketsim.sim.model import FIRM_COLUMNS, MODEL_COLUMNS, MarketModel
from marketsim.sim.period import PeriodStats
from marketsim.config import Scenario, scenario_from_dict

# --- scenario builder ----------------------------------------------------------------------------

# Market, hardware and firm numbers are those of scenarios/baseline.toml (sources cited there);
# consumer counts, horizons, data stocks and finance are test choices.
START_YEAR = 2025
PERIODS_PER_YEAR = 4
RICH = {"cash": 1e12, "credit_limit": -1e12}  # finance that never binds: isolates the economics


def firm(name: str, **overrides: Any) -> dict[str, Any]:
    """A ``[[firms]]`` entry: a profit-optimal lab at $1 per adopter per quarter (baseline.toml)."""
    entry: dict[str, Any] = {"name": name, "price": 1.0, "cash": 1e10, "credit_limit": -2e10,
                             "horizon_periods": 4}
    entry.update(overrides)
    return entry


def scenario(firms: list[dict[str, Any]] | None = None, *, years: float = 8, count: int = 1000,
             seed: int = 1, **sections: dict[str, Any]) -> Scenario:
    """A small scenario close to scenarios/baseline.toml; ``sections`` update its tables.

    The defaults keep the data stock (1e17 tokens) far above any model trained in a few years, so the
    firms are compute-bound unless a test sets ``data``; population and rho_D are constant.
    """
    data: dict[str, Any] = {
        "meta": {"name": "test", "seed": seed, "start_year": START_YEAR, "years": years,
                 "periods_per_year": PERIODS_PER_YEAR},
        "hardware": {"flop_per_dollar": 7.1e17, "growth_per_year": 1.38},
        "data": {"stock_tokens": 1e17, "stock_growth_per_year": 1.0},
        "consumers": {"count": count, "population": 5e9, "median_threshold": 0.035, "sigma": 1.0,
                      "value_exponent": 2.5, "tokens_per_adopter_per_period": 1e5,
                      "price_sensitivity": 0.05, "switching_cost": 0.1},
        "firms": firms if firms is not None else [firm("A", **RICH)],
    }
    for section, values in sections.items():
        data[section] = {**data.get(section, {}), **values}
    return scenario_from_dict(data)


def run(s: Scenario, **kwargs: Any) -> MarketModel:
    """The model for ``s`` run to its horizon."""
    return MarketModel(s, **kwargs).run()


def year_end(model_table: pd.DataFrame) -> pd.DataFrame:
    """The last period of each simulated year."""
    return model_table[model_table.step % PERIODS_PER_YEAR == PERIODS_PER_YEAR - 1]


def cumulative_compute(m: MarketModel) -> float:
    """Training compute started by all firms over the run, FLOP (dollars x FLOP per dollar)."""
    firms = m.firm_table()
    E = m.model_table().set_index("step")["E"]
    return float((firms.training_cost * firms.step.map(E)).sum())


def rows(firms: pd.DataFrame, name: str) -> pd.DataFrame:
    """One firm's rows, in step order."""
    return firms[firms.firm == name].sort_values("step").reset_index(drop=True)


def hopeless(name: str = "H", **overrides: Any) -> dict[str, Any]:
    """A firm that loses money on every adopter: a fixed-growth lab selling a ~3e12-parameter model
    for $0.01 a quarter, below its serving cost (2 N T / E ~ $0.8 per adopter per quarter)."""
    return firm(name, strategy="fixed_growth", price=0.01, cash=2e9, credit_limit=-1e9,
                initial_spend=1e9, **overrides)


# --- 1. the two consumer forms agree ------------------------------------------------------------


def _choices_by_name(m: MarketModel) -> np.ndarray:
    """Each consumer's current firm name ('' for none), in consumer order."""
    names = {f.unique_id: f.name for f in m.firms} | {NO_CHOICE: ""}
    return np.array([names[int(i)] for i in m.consumer_market.choice])


def test_agent_and_vectorised_consumers_give_identical_tables_and_choices() -> None:
    # A cheap and a dear profit-optimal firm and one that exits early: prices, switching costs and
    # customers whose firm leaves all enter the choices.
    s = scenario([firm("A", **RICH), firm("B", price=2.0, **RICH), hopeless()], years=5, count=1000)
    vec, agents = MarketModel(s, consumers="vectorised"), MarketModel(s, consumers="agents")
    assert isinstance(vec.consumer_market, ConsumerPopulation) and isinstance(agents.consumer_market, AgentConsumers)
    assert len(agents.agents_by_type[ConsumerAgent]) == 1000
    # the agent form's choice array is in consumer order (the uniform draw's index)
    assert [a.index for a in agents.agents_by_type[ConsumerAgent]] == list(range(1000))
    switched = 0
    previous = _choices_by_name(vec)
    for _ in range(s.n_periods):
        vec.step()
        agents.step()
        now = _choices_by_name(vec)
        np.testing.assert_array_equal(now, _choices_by_name(agents))
        switched += int(np.count_nonzero((now != previous) & (previous != "") & (now != "")))
        previous = now
    assert vec.steps == agents.steps == 20
    assert switched > 0  # the comparison covered consumers changing firm, not just a frozen market

    mv, ma = vec.model_table(), agents.model_table()
    # Surplus is a sum over consumers, added in another order by each form: equal to rounding only.
    np.testing.assert_allclose(ma.consumer_surplus, mv.consumer_surplus, rtol=1e-12)
    pd.testing.assert_frame_equal(ma.drop(columns="consumer_surplus"), mv.drop(columns="consumer_surplus"),
                                  check_exact=True)
    pd.testing.assert_frame_equal(agents.firm_table(), vec.firm_table(), check_exact=True)
    assert not vec.firm_named("H").alive  # the departure really happened inside the window


def test_consumer_mode_is_validated() -> None:
    with pytest.raises(ValueError, match=r"^consumers = 'agent': allowed 'vectorised' or 'agents'$"):
        MarketModel(scenario(), consumers="agent")  # type: ignore[arg-type]


# --- 2. accounting identities ----------------------------------------------------------------------


def _mixed_scenario(seed: int) -> Scenario:
    """Every strategy at once: a profit-optimal leader, a dearer rival entering in mid-2026, a
    fixed-growth lab, an open-weights follower of the leader and a loss-making firm that exits."""
    return scenario([firm("A", **RICH),
                     firm("B", price=1.5, entry_year=2026.5, **RICH),
                     firm("F", strategy="fixed_growth", initial_spend=5e8, **RICH),
                     firm("O", strategy="open_weights", price=0.0, leader="A", **RICH),
                     hopeless()],
                    years=5, count=2000, seed=seed, data={"stock_tokens": 1e15, "efficiency": 1.2})


@pytest.fixture(scope="module", params=[1, 2], ids=["seed1", "seed2"])
def mixed(request: pytest.FixtureRequest) -> MarketModel:
    """The mixed scenario run for 5 years with 2,000 consumers, for two seeds."""
    return run(_mixed_scenario(request.param))


def test_tables_have_the_contract_columns(mixed: MarketModel) -> None:
    model, firms = mixed.model_table(), mixed.firm_table()
    assert list(model.columns) == ["step", *MODEL_COLUMNS]
    assert list(firms.columns) == ["step", "year", *FIRM_COLUMNS]
    n = mixed.scenario.n_periods
    assert model.step.tolist() == list(range(n))
    assert len(firms) == n * 5
    np.testing.assert_allclose(model.year, START_YEAR + model.step / PERIODS_PER_YEAR, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.E, 7.1e17 * 1.38 ** (model.step / PERIODS_PER_YEAR), rtol=1e-12)
    np.testing.assert_allclose(model.data_stock, 1e15, rtol=1e-12)
    np.testing.assert_allclose(model.rho_D, 1.2, rtol=1e-12)


def test_the_period_stats_are_the_last_model_csv_row(mixed: MarketModel) -> None:
    # one typed record per period, read by the DataCollector: its fields are the model.csv columns
    stats = dataclasses.asdict(mixed.stats)
    assert list(stats) == MODEL_COLUMNS == [field.name for field in dataclasses.fields(PeriodStats)]
    last = mixed.model_table().iloc[-1]
    for column in MODEL_COLUMNS:
        assert stats[column] == last[column] or (np.isnan(stats[column]) and np.isnan(last[column])), column
    assert stats["firms_alive"] == 4 and stats["adopters"] > 0  # the hopeless firm has exited
    assert not hasattr(mixed, "consumer_mode") and not hasattr(mixed, "hhi")  # no loose attributes


# Checks that hold for every run; the fixtures below add what their scenario guarantees on top.


def assert_cash_follows_the_flows(m: MarketModel) -> None:
    """cash_t - cash_(t-1) = profit - fixed_cost + raised - paid_out, profit = revenue - serving_cost -
    training_cost, dollars per period (financing flows: tests/test_finance.py)."""
    firms = m.firm_table()
    for cfg in m.scenario.firms:
        f = rows(firms, cfg.name)
        flow = f.revenue - f.serving_cost - f.training_cost
        change = f.cash.diff().fillna(f.cash.iloc[0] - cfg.cash)
        scale = max(abs(cfg.cash), abs(cfg.credit_limit))
        np.testing.assert_allclose(change, flow - f.fixed_cost + f.raised - f.paid_out, rtol=1e-9, atol=1e-12 * scale,
                                   err_msg=cfg.name)
        np.testing.assert_allclose(f.profit, flow, rtol=1e-12, atol=1e-6, err_msg=cfg.name)


def assert_revenue_and_serving_follow_the_formulas(m: MarketModel) -> None:
    """Revenue = adopters x price (the paid price), price = price_adj x (R_ref / R)^kappa with R_ref
    the median threshold (docs/theory.md, Prices), markup = price - serving cost per adopter, and
    serving cost = adopters x 2 N T / E (DESIGN.md section 3); both 0 without adopters."""
    cons = m.scenario.consumers
    firms = m.firm_table()
    E = firms.step.map(m.model_table().set_index("step")["E"])
    selling = firms.adopters > 0
    sold = firms[selling]
    np.testing.assert_allclose(sold.revenue, sold.adopters * sold.price, rtol=1e-12)
    paid = sold.price_adj * (cons.median_threshold / (sold.loss - m.law.E0)) ** cons.value_exponent
    np.testing.assert_allclose(sold.price, paid, rtol=1e-9)
    np.testing.assert_allclose(sold.markup, sold.price - sold.serving_cost / sold.adopters, rtol=1e-9,
                               atol=1e-12 * sold.price.abs().max())
    serving = sold.adopters * 2 * sold.N * cons.tokens_per_adopter_per_period / E[selling]
    np.testing.assert_allclose(sold.serving_cost, serving, rtol=1e-9)
    idle = firms[~selling]
    assert (idle.revenue == 0).all() and (idle.serving_cost == 0).all()


def assert_training_cost_pays_for_the_release(m: MarketModel) -> int:
    """Training cost = 6 N D / E at the start of training, for the model on sale
    ``training_lag_periods`` later (first models are on sale at once); returns how many were checked."""
    firms = m.firm_table()
    E = m.model_table().set_index("step")["E"]
    checked = 0
    for cfg in m.scenario.firms:
        f = rows(firms, cfg.name).set_index("step")
        for step in f.index[f.training_cost > 0]:
            release = step if step == 0 else step + cfg.training_lag_periods
            if release not in f.index or not f.at[release, "alive"]:
                continue
            assert f.at[release, "compute"] / E[step] == pytest.approx(f.at[step, "training_cost"], rel=1e-9)
            checked += 1
    return checked


def assert_shares_and_concentration_add_up(m: MarketModel) -> None:
    """Adopters are non-negative and add up; shares sum to 1 and HHI = sum of squared shares lies in
    [1/K, 1] (K firms on offer) whenever anyone adopts; mean price is adopter-weighted."""
    model, firms = m.model_table(), m.firm_table()
    by_step = firms.groupby("step")
    assert (firms.adopters >= 0).all() and (firms.share >= 0).all()
    np.testing.assert_allclose(by_step.adopters.sum(), model.adopters, rtol=1e-12)
    assert ((model.adoption_share >= 0) & (model.adoption_share <= 1)).all()
    np.testing.assert_allclose(model.adopters, model.adoption_share * model.population, rtol=1e-12)
    adopting = (model.adopters > 0).to_numpy()
    np.testing.assert_allclose(by_step.share.sum()[adopting], 1.0, rtol=1e-12)
    assert (by_step.share.sum()[~adopting] == 0).all() and (model.hhi[~adopting] == 0).all()
    offering = by_step.N.apply(lambda n: int((n > 0).sum()))[adopting]
    hhi = model.hhi[adopting]
    assert (hhi.to_numpy() >= 1 / offering.to_numpy() - 1e-12).all() and (hhi <= 1 + 1e-12).all()
    squares = by_step.share.apply(lambda s: float((s**2).sum()))[adopting]
    np.testing.assert_allclose(squares, hhi, rtol=1e-9)
    weighted = (firms.price * firms.adopters).groupby(firms.step).sum()[adopting] / model.adopters[adopting]
    np.testing.assert_allclose(model.mean_price[adopting], weighted, rtol=1e-9)


def assert_model_series_aggregate_the_firms(m: MarketModel) -> None:
    """Spend, largest model, best loss and firms alive in model.csv are the firm rows aggregated."""
    model, firms = m.model_table(), m.firm_table()
    by_step = firms.groupby("step")
    np.testing.assert_allclose(model.training_spend, by_step.training_cost.sum(), rtol=1e-12)
    annual = model.training_spend.rolling(PERIODS_PER_YEAR, min_periods=1).sum()
    np.testing.assert_allclose(model.training_spend_annual, annual, rtol=1e-9)
    np.testing.assert_allclose(model.largest_N, by_step.N.max(), rtol=1e-12)
    np.testing.assert_allclose(model.largest_D, by_step.D.max(), rtol=1e-12)
    on_sale = (model.largest_N > 0).to_numpy()
    np.testing.assert_allclose(model.best_loss[on_sale], by_step.loss.min()[on_sale], rtol=1e-12)
    assert (model.firms_alive == by_step.in_market.sum()).all()  # firms in the market (entered, not exited)


def assert_no_missing_values_where_a_model_exists(m: MarketModel) -> None:
    """No NaN in model.csv (best_loss is NaN exactly when nothing is on sale) nor in a firm row with
    a model; every firm with adopters has its model in its row, including in its exit period."""
    model, firms = m.model_table(), m.firm_table()
    assert not model.drop(columns="best_loss").isna().any().any()
    assert (model.best_loss.isna() == (model.largest_N == 0)).all()
    has_model = firms.N > 0
    assert not firms[has_model].drop(columns="expected_profit").isna().any().any()  # empty unless judged
    assert has_model[firms.adopters > 0].all()
    assert firms.loss[~has_model].isna().all() and (firms.loss[has_model] > m.law.E0).all()


def assert_exits_follow_the_credit_limit(m: MarketModel) -> None:
    """A firm is alive while its cash is at or above its credit limit, exits in the period it falls
    below, and after that never trains, sells or changes cash again."""
    firms = m.firm_table()
    for cfg in m.scenario.firms:
        f = rows(firms, cfg.name)
        slack = 1e-9 * max(abs(cfg.credit_limit), float(f.training_cost.max()))  # rounding, see firm.py
        alive = f.alive.to_numpy()
        assert (f.cash[alive] >= cfg.credit_limit - slack).all(), cfg.name
        if alive.all():
            continue
        exit_step = int(np.argmin(alive))
        assert not alive[exit_step:].any(), cfg.name
        assert f.cash.iloc[exit_step] < cfg.credit_limit
        gone = f.iloc[exit_step + 1:]
        assert (gone.adopters == 0).all() and (gone.training_cost == 0).all() and (gone.N == 0).all()
        assert (gone.cash == f.cash.iloc[exit_step]).all() and not gone.training.any()


ALL_INVARIANTS = (assert_cash_follows_the_flows, assert_revenue_and_serving_follow_the_formulas,
                  assert_training_cost_pays_for_the_release, assert_shares_and_concentration_add_up,
                  assert_model_series_aggregate_the_firms, assert_no_missing_values_where_a_model_exists,
                  assert_exits_follow_the_credit_limit)


def test_cash_changes_by_revenue_minus_costs_every_period(mixed: MarketModel) -> None:
    assert_cash_follows_the_flows(mixed)


def test_revenue_and_serving_cost_follow_the_demand_and_cost_formulas(mixed: MarketModel) -> None:
    assert_revenue_and_serving_follow_the_formulas(mixed)
    firms = mixed.firm_table()
    assert firms[firms.adopters > 0].firm.nunique() == 5  # every firm sold at some point
    assert (firms.loc[firms.firm == "O", "revenue"] == 0).all()  # open weights are free


def test_training_cost_is_the_compute_of_the_model_it_releases(mixed: MarketModel) -> None:
    assert assert_training_cost_pays_for_the_release(mixed) >= 8


def test_shares_adopters_and_concentration_add_up(mixed: MarketModel) -> None:
    assert_shares_and_concentration_add_up(mixed)
    assert (mixed.model_table().adopters > 0).all()  # a model is on sale from the first period


def test_model_series_aggregate_the_firm_rows(mixed: MarketModel) -> None:
    assert_model_series_aggregate_the_firms(mixed)


def test_no_missing_values_where_a_model_exists(mixed: MarketModel) -> None:
    assert_no_missing_values_where_a_model_exists(mixed)
    assert not mixed.model_table().isna().any().any()


def test_exits_follow_the_credit_limit(mixed: MarketModel) -> None:
    assert_exits_follow_the_credit_limit(mixed)
    alive = rows(mixed.firm_table(), "H").alive
    assert alive.iloc[0] and not alive.iloc[-1]  # the loss-making firm's exit is inside the run


_firm_configs = st.fixed_dictionaries({
    "strategy": st.sampled_from(["profit_optimal", "fixed_growth"]),
    "price": st.floats(0.05, 5.0),
    "cash": st.floats(1e8, 1e11),
    "headroom": st.floats(1e7, 3e10),
    "initial_spend": st.floats(1e8, 5e9),
    "retrain_every_periods": st.integers(1, 6),
    "training_lag_periods": st.integers(0, 2),
})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs=st.lists(_firm_configs, min_size=1, max_size=3), seed=st.integers(0, 2**16),
       switching_cost=st.floats(0.0, 1.0))
def test_invariants_hold_for_random_firms(configs: list[dict[str, Any]], seed: int,
                                          switching_cost: float) -> None:
    """Random prices, finances, strategies and timing: the accounting never breaks."""
    firms = []
    for i, cfg in enumerate(configs):
        cfg = dict(cfg)
        cfg["credit_limit"] = cfg["cash"] - cfg.pop("headroom")
        firms.append(firm(f"F{i}", **cfg))
    m = run(scenario(firms, years=2, count=500, seed=seed, consumers={"switching_cost": switching_cost}))
    for check in ALL_INVARIANTS:
        check(m)


def test_entrant_sells_nothing_before_its_entry_year(mixed: MarketModel) -> None:
    b = rows(mixed.firm_table(), "B")
    before = b[b.year < 2026.5]
    assert (before.adopters == 0).all() and (before.training_cost == 0).all() and (before.N == 0).all()
    assert (before.cash == 1e12).all()
    after = b[b.year >= 2026.5].reset_index(drop=True)
    lag = mixed.scenario.firms[1].training_lag_periods
    # a late entrant trains its first model on entry and sells it one training lag later
    assert after.training_cost.iloc[0] > 0 and (after.N.iloc[:lag] == 0).all() and after.N.iloc[lag] > 0
    assert after.adopters.iloc[lag:].sum() > 0


# --- 3. reproducibility -----------------------------------------------------------------------------


def test_same_seed_same_tables_and_different_seeds_differ() -> None:
    s = scenario([firm("A", **RICH), firm("B", price=2.0, **RICH)], years=3, seed=5)
    first, again = run(s), run(s, seed=5)
    pd.testing.assert_frame_equal(first.model_table(), again.model_table(), check_exact=True)
    pd.testing.assert_frame_equal(first.firm_table(), again.firm_table(), check_exact=True)
    assert first.seed_used == 5
    other = run(s, seed=6)
    assert other.seed_used == 6
    assert not np.array_equal(first.model_table().adopters, other.model_table().adopters)
    assert not np.array_equal(rows(first.firm_table(), "A").adopters, rows(other.firm_table(), "A").adopters)


# --- 4. emergent behaviour -----------------------------------------------------------------------

STALL_YEAR = 2028


@pytest.fixture(scope="module")
def progress() -> MarketModel:
    """A monopolist over 8 years of hardware progress, compute-bound throughout. Its price is held
    fixed (firms.pricing = "fixed") so that only hardware moves its decisions (chosen prices:
    tests/test_pricing.py)."""
    return run(scenario([firm("A", pricing="fixed", **RICH)], years=8))


@pytest.fixture(scope="module")
def stall() -> MarketModel:
    """The same market and seed with hardware price-performance frozen from 2028."""
    return run(scenario([firm("A", pricing="fixed", **RICH)], years=8, hardware={"stall_year": STALL_YEAR}))


def test_hardware_progress_grows_models_spend_and_adoption_every_year(progress: MarketModel) -> None:
    model = progress.model_table()
    assert (model.largest_D < model.data_stock).all()  # data never binds: the compute-bound regime
    years = year_end(model)
    assert len(years) == 8
    # A monopolist retrains only when the new model beats keeping the old one net of its training
    # cost, so generations come every year or two: growth is monotone, and strict over two years.
    # Adoption may dip by sampling noise: whether a qualifying consumer buys at all is a logit draw
    # against the outside option (docs/theory.md, Prices); 0.02 is ~5 binomial sd at 1,000 consumers.
    for column, noise in (("largest_N", 0.0), ("adoption_share", 0.02)):
        series = years[column].to_numpy()
        assert np.all(np.diff(series) >= -noise) and np.all(series[2:] > series[:-2]), (column, series)
    firms = progress.firm_table()
    generations = firms.training_cost[firms.training_cost > 0].to_numpy()
    assert len(generations) >= 4
    assert np.all(np.diff(generations) > 0), generations  # every new model costs more than the last
    assert years.training_spend_annual.iloc[-2:].max() > 10 * years.training_spend_annual.iloc[0]
    # theory.md section 2: compute-bound N* grows at least about in proportion to E (slope 0.96);
    # E grows 1.38^7 ~ 9.5x between the first and the last year's models
    assert years.largest_N.iloc[-1] > 5 * years.largest_N.iloc[0]
    assert model.adoption_share.iloc[-1] > model.adoption_share.iloc[0]


def test_hardware_stall_stops_model_growth_spend_growth_and_slows_adoption(progress: MarketModel,
                                                                            stall: MarketModel) -> None:
    go, stop = progress.model_table(), stall.model_table()
    pd.testing.assert_frame_equal(go[go.year <= STALL_YEAR], stop[stop.year <= STALL_YEAR])  # same seed
    after = stop.year > STALL_YEAR
    assert (stop.E[after] == stop.E[stop.year == STALL_YEAR].iloc[0]).all()
    # The model trained at the stall date is on sale one training lag later. From then on every firm
    # faces the same E, data and market, so it retrains the same model: N stops growing (1%: the
    # optimizer's tolerance). Without the stall E grows another 1.38^4.75 ~ 4.6x over the same years.
    first_post = stop[after].iloc[0]
    assert stop.largest_N.iloc[-1] <= first_post.largest_N * 1.01
    assert go.largest_N.iloc[-1] > 3 * first_post.largest_N
    spend_stop, spend_go = year_end(stop), year_end(go)
    post_years = spend_stop.year > STALL_YEAR
    in_stall_year = spend_stop.year.between(STALL_YEAR, STALL_YEAR + 1)
    stall_year_spend = spend_stop.training_spend_annual[in_stall_year].iloc[0]
    assert (spend_stop.training_spend_annual[post_years] <= stall_year_spend * 1.01).all()
    assert spend_go.training_spend_annual.iloc[-2:].max() > 3 * stall_year_spend
    at_stall = stop.adoption_share[stop.year == STALL_YEAR].iloc[0]
    gain_stop = stop.adoption_share.iloc[-1] - at_stall
    gain_go = go.adoption_share.iloc[-1] - at_stall
    assert gain_stop < gain_go
    assert stop.adoption_share.iloc[-1] < go.adoption_share.iloc[-1]


@pytest.fixture(scope="module")
def data_wall() -> MarketModel:
    """A fixed stock of 2.4e14 effective tokens (rho_D = 1.2, so a raw cap of 2e14) that binds in a
    few years; two profit-optimal firms and a fixed-growth lab."""
    firms = [firm("A", **RICH), firm("B", price=1.5, **RICH),
             firm("F", strategy="fixed_growth", initial_spend=1e9, **RICH)]
    return run(scenario(firms, years=8, data={"stock_tokens": 2.4e14, "stock_growth_per_year": 1.0,
                                              "efficiency": 1.2}))


def test_data_wall_caps_tokens_and_parameters(data_wall: MarketModel) -> None:
    firms, model = data_wall.firm_table(), data_wall.model_table()
    rho_D = 1.2
    cap = 2.4e14 / rho_D  # raw tokens: the effective stock over data efficiency
    assert (model.largest_D <= cap * (1 + 1e-12)).all()
    law = data_wall.law
    for cfg in data_wall.scenario.firms:
        models = rows(firms, cfg.name).drop_duplicates(["N", "D"])
        models = models[models.N > 0]
        at_cap = np.isclose(models.D.to_numpy(), cap, rtol=1e-9)
        assert at_cap.any(), f"{cfg.name}: the data stock never binds"
        first = int(np.argmax(at_cap))
        assert at_cap[first:].all(), f"{cfg.name}: a model after the wall uses fewer tokens than the cap"
        assert (models.D.to_numpy() <= cap * (1 + 1e-12)).all()
        n_match = float(law.n_match(cap, rho_D=rho_D))
        assert (models.N.to_numpy()[first:] <= n_match * (1 + 1e-9)).all()
        # theory.md section 4, cap closure: once D is capped and E keeps rising, N closes in on
        # N_match(D) (a profit-optimal firm stops retraining when the last step is not worth its cost)
        assert models.N.iloc[-1] == pytest.approx(n_match, rel=0.02)


def test_at_the_data_wall_spend_falls_as_one_over_E(data_wall: MarketModel) -> None:
    """With N = N_match(cap) and D = cap fixed, each new model costs 6 N D / E: spend x E is constant
    and spend falls as E rises (theory.md section 4: data-bound spend ~ D_bar^2.05 / E). The
    fixed-growth lab keeps buying that model every cycle; a profit-optimal lab does not pay again for
    the model it already sells, so its spend at the wall drops to zero."""
    firms = data_wall.firm_table()
    E = data_wall.model_table().set_index("step")["E"]
    cap = 2.4e14 / 1.2
    wall_compute = 6 * float(data_wall.law.n_match(cap, rho_D=1.2)) * cap
    f = rows(firms, "F")
    lag = data_wall.scenario.firms[2].training_lag_periods
    at_wall = [step for step in f.step[f.training_cost > 0]
               if step + lag < len(f) and f.compute.iloc[step + lag] == pytest.approx(wall_compute, rel=1e-6)]
    assert len(at_wall) >= 2
    spend = f.training_cost.iloc[at_wall].to_numpy()
    np.testing.assert_allclose(spend * E[at_wall].to_numpy(), wall_compute, rtol=1e-6)
    assert np.all(np.diff(spend) < 0)
    for name in ("A", "B"):
        g = rows(firms, name)
        near_wall = g.compute >= 0.95 * wall_compute
        assert near_wall.any(), name
        first = int(np.argmax(near_wall.to_numpy()))
        assert (g.training_cost.iloc[first + 1:] == 0).all(), name


@pytest.mark.parametrize("seed", [1, 2])
def test_oligopoly_overinvests_and_earns_less_than_a_monopolist(seed: int) -> None:
    """theory.md section 7: with logit demand (lambda 0.3) in a lognormal market, rivals over-invest
    in compute relative to a monopolist and dissipate its profit."""
    mono = run(scenario([firm("A", **RICH)], years=5, seed=seed))
    olig = run(scenario([firm(name, **RICH) for name in "ABC"], years=5, seed=seed))
    assert cumulative_compute(olig) > cumulative_compute(mono)
    mono_firms, olig_firms = mono.firm_table(), olig.firm_table()
    assert olig_firms.profit.sum() < mono_firms.profit.sum()
    per_adopter = [f.profit.sum() / f.adopters.sum() for f in (mono_firms, olig_firms)]
    assert per_adopter[1] < per_adopter[0]
    assert olig.model_table().firms_alive.min() == 3  # rich firms: the difference is not an exit


def test_loss_making_firm_exits_and_loses_its_customers() -> None:
    s = scenario([firm("A", **RICH), firm("B", **RICH), hopeless()], years=3)
    m = run(s)
    model, h = m.model_table(), rows(m.firm_table(), "H")
    exit_step = int(h.step[~h.alive].iloc[0])
    assert exit_step > 0
    assert (h.adopters.iloc[:exit_step + 1] > 0).all() and (h.profit.iloc[:exit_step + 1] < 0).all()
    assert h.alive.iloc[:exit_step].all() and not h.alive.iloc[exit_step:].any()
    assert h.cash.iloc[exit_step] < -1e9 <= h.cash.iloc[exit_step - 1]
    assert (model.firms_alive.iloc[:exit_step] == 3).all() and (model.firms_alive.iloc[exit_step:] == 2).all()
    gone = h.iloc[exit_step + 1:]
    assert len(gone) > 0
    assert (gone.adopters == 0).all() and (gone.training_cost == 0).all() and (gone.N == 0).all()
    assert (gone.cash == h.cash.iloc[exit_step]).all()
    rivals = m.firm_table()
    rivals = rivals[(rivals.firm != "H") & (rivals.step > exit_step)]
    np.testing.assert_allclose(rivals.groupby("step").share.sum(), 1.0, rtol=1e-12)
    assert not m.firm_named("H").training


CASH_STARVED = firm("H", price=20.0, pricing="fixed", cash=1e9, credit_limit=9e8)
"""A profit-optimal firm charging 20x its rivals (fixed quality-adjusted prices) with $1e8 of credit:
the lead's "hopeless" example."""
FIXED_RICH = dict(RICH, pricing="fixed")


@pytest.fixture(scope="module")
def cash_starved() -> MarketModel:
    """Two rich rivals and the cash-starved firm over 5 years (seed 1)."""
    return run(scenario([firm("A", **FIXED_RICH), firm("B", **FIXED_RICH), CASH_STARVED], years=5, seed=1))


def test_profit_optimal_training_stays_within_the_credit_line(cash_starved: MarketModel) -> None:
    """Training is capped at cash - credit_limit, and a profit-optimal model never sells below its
    serving cost, so the firm's cash never drops below its credit limit. (Regression: spending the
    line to the last cent used to leave cash one rounding error below the limit, and the firm exited
    in any period with no adopters; seed 1 did so in 2027.)"""
    h = rows(cash_starved.firm_table(), "H")
    assert h.alive.all()
    assert (h.training_cost > 0).sum() >= 3
    assert (h.cash >= 9e8 * (1 - 1e-12)).all()
    assert (h.revenue[h.adopters > 0] > h.serving_cost[h.adopters > 0]).all()


def test_cash_starved_high_price_firm_with_fixed_costs_exits() -> None:
    """With staff costs to pay every period, the firm charging 20x its rivals runs through its
    $1e8 credit line and exits; afterwards it has no adopters and its cash no longer changes."""
    starved = dict(CASH_STARVED, fixed_cost_per_period=1e8)
    model = run(scenario([firm("A", **FIXED_RICH), firm("B", **FIXED_RICH), starved], years=5, seed=1))
    h = rows(model.firm_table(), "H")
    assert not h.alive.iloc[-1]
    exit_at = int(h.index[~h.alive.to_numpy()][0])
    after = h.loc[exit_at + 1:]
    assert (after.adopters == 0).all() and (after.cash == h.cash.loc[exit_at]).all()
    assert h.cash.loc[exit_at] < starved["credit_limit"]
    assert model.model_table().firms_alive.iloc[-1] == 2


@pytest.fixture(scope="module")
def leader_alone() -> MarketModel:
    """A profit-optimal monopolist at a fixed price over 6 years."""
    return run(scenario([firm("L", **FIXED_RICH)], years=6))


@pytest.fixture(scope="module")
def with_follower() -> MarketModel:
    """The same monopolist with a free open-weights follower (lag 4 periods, 30% of its compute)."""
    follower = firm("O", strategy="open_weights", price=0.0, leader="L", **RICH)
    return run(scenario([firm("L", **FIXED_RICH), follower], years=6))


def test_open_weights_follower_takes_share_and_profit_from_the_leader(leader_alone: MarketModel,
                                                                      with_follower: MarketModel) -> None:
    alone, both = leader_alone.firm_table(), with_follower.firm_table()
    assert (rows(alone, "L").share == 1).all()
    lead, free = rows(both, "L"), rows(both, "O")
    released = int(free.step[free.N > 0].iloc[0])
    assert released > 0  # the follower is lag_periods behind the leader
    assert (lead.share.iloc[:released] == 1).all()
    assert (lead.share.iloc[released:] < 1).all() and (free.share.iloc[released:] > 0).all()
    # free once released; no price (empty) before it has a model on sale
    assert (free.price[free.N > 0] == 0).all() and free.price[free.N == 0].isna().all()
    assert (free.revenue == 0).all()
    assert lead.profit.sum() < rows(alone, "L").profit.sum()


def test_open_weights_follows_each_leader_release_with_a_fraction_of_its_compute(
        with_follower: MarketModel) -> None:
    both = with_follower.firm_table()
    lead, free = rows(both, "L"), rows(both, "O")
    cfg = with_follower.scenario.firms[1]
    lead_releases = [0, *lead.step[lead.N.diff().fillna(0) != 0]]
    starts = list(free.step[free.training_cost > 0])
    assert len(starts) >= 3
    assert starts == [r + cfg.lag_periods for r in lead_releases if r + cfg.lag_periods < len(free)]
    for step in starts:
        release = step + cfg.training_lag_periods
        if release < len(free):
            # firms decide before this period's releases: the follower copies the model on sale until now
            followed = lead.compute.iloc[step - 1]
            assert free.compute.iloc[release] == pytest.approx(cfg.compute_fraction * followed, rel=1e-9)
            # ... with the leader's tokens per parameter (its model is served too)
            ratio = lead.D.iloc[step - 1] / lead.N.iloc[step - 1]
            assert free.D.iloc[release] / free.N.iloc[release] == pytest.approx(ratio, rel=1e-9)
