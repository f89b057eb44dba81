"""Prices that firms choose (docs/theory.md, Prices): the closed-form logit markup, comparative
statics in the number of firms, monopoly vs oligopoly, cost advantages, revenue = adopters x price,
demand falling with price, and the outside option in both consumer forms.

Oracles are independent formulas written here (the symmetric markup lam / (ps (1 - s)) with the
logit share computed by hand) or direct calls into :mod:`marketsim.economics`. Small synthetic
scenarios only (:data:`PRICING_TOML`), so bundled-scenario numbers never matter.
"""

from __future__ import annotations

import tomllib
from typing import Any

import mesa
import numpy as np
import pytest

from marketsim import MarketModel
from marketsim.config import Scenario, load
from marketsim.economics import ResidualDemand
from marketsim.economics.pricing import StageGame, nested_segments, symmetric_equilibrium_price, symmetric_markup
from marketsim.economics.thresholds import ThresholdSpec
from marketsim.sim.choice import NO_CHOICE, Offers
from marketsim.sim.consumers import AgentConsumers, ConsumerPopulation

LAM, PS, OUTSIDE = 0.3, 0.05, -1.0  # logit scale (ln R), price sensitivity (ln R per $), outside option (ln R)

PRICING_TOML = """\
[meta]
name = "pricing"
seed = 4
start_year = 2025
years = 1

[hardware]
flop_per_dollar = 1e18
growth_per_year = 1.38

[data]
stock_tokens = 3e14

[consumers]
count = 4000
population = 1e9
tokens_per_adopter_per_period = 1e6
value_exponent = 1.0
price_sensitivity = 0.05

[market]
logit_lambda = 0.3
outside_option = -1.0
"""

LAB = {"strategy": "profit_optimal", "price": 1.0, "cash": 1e12, "credit_limit": -1e12}


def _scenario(n_firms: int, **market: Any) -> Scenario:
    """``n_firms`` identical profit-optimal labs (best-response pricing, the default)."""
    data = tomllib.loads(PRICING_TOML)
    data["market"].update(market)
    data["firms"] = [dict(LAB, name=f"Lab{i}") for i in range(n_firms)]
    return Scenario.model_validate(data)


def _first_period(n_firms: int, **market: Any) -> MarketModel:
    model = MarketModel(_scenario(n_firms, **market))
    model.step()
    return model


def _cost_adj(model: MarketModel, firm: Any) -> float:
    """Serving cost per adopter in reference dollars, by hand: 2 N T / E x (R / R_ref)^kappa."""
    cons = model.scenario.consumers
    c = 2.0 * firm.deployed.N * cons.tokens_per_adopter_per_period / model.state.E
    return c * (firm.deployed.R / model.value_reference_loss) ** cons.value_exponent


# -- the closed form --------------------------------------------------------------------------------


@pytest.mark.parametrize("n_firms", [1, 2, 3, 5])
def test_stage_game_reproduces_the_closed_form_symmetric_markup(n_firms: int) -> None:
    cost = 2.0
    game = StageGame.nested(np.full(n_firms, 0.1), np.full(n_firms, cost), np.full(n_firms, 1e6), lam=LAM,
                            price_sensitivity=PS, outside_option=OUTSIDE)
    p = game.equilibrium()
    # the logit share by hand: identical models, so R cancels against the outside option's R_front
    share = np.exp(-PS * p[0] / LAM) / (np.exp(OUTSIDE / LAM) + n_firms * np.exp(-PS * p[0] / LAM))
    np.testing.assert_allclose(game.shares(p)[0], share, rtol=1e-12)
    np.testing.assert_allclose(p - cost, LAM / (PS * (1.0 - share)), rtol=1e-6)
    assert p[0] - cost == pytest.approx(symmetric_markup(LAM, PS, share), rel=1e-6)
    assert p[0] == pytest.approx(symmetric_equilibrium_price(n_firms, cost, LAM, PS, OUTSIDE), rel=1e-6)


def test_the_simulated_stage_reproduces_the_closed_form_markup() -> None:
    # Three identical labs train identical first models (nobody is on sale when they decide), so
    # the period's pricing stage is the symmetric game: p_adj - c_adj = lam / (ps (1 - s)).
    model = _first_period(3)
    labs = model.firms
    assert len({f.deployed.R for f in labs}) == 1
    p = np.array([f.price_adj for f in labs])
    c = np.array([_cost_adj(model, f) for f in labs])
    share = np.exp(-PS * p / LAM) / (np.exp(OUTSIDE / LAM) + 3 * np.exp(-PS * p / LAM))
    markup = LAM / (PS * (1.0 - share))
    np.testing.assert_allclose(p - c, markup, rtol=1e-6)
    print(f"closed form: p_adj = {p[0]:.10g}, c_adj = {c[0]:.6g}, s = {share[0]:.10g}, "
          f"markup {p[0] - c[0]:.10g} vs {markup[0]:.10g}")
    # the paid price and the markup in dollars follow from p_adj
    factor = model.value_reference_loss / labs[0].deployed.R
    assert labs[0].price == pytest.approx(p[0] * factor, rel=1e-12)
    assert labs[0].markup == pytest.approx((p[0] - c[0]) * factor, rel=1e-9)


# -- comparative statics ----------------------------------------------------------------------------


def test_more_symmetric_firms_lower_prices_and_raise_consumer_surplus() -> None:
    prices, surplus = [], []
    for n in (1, 2, 3, 4):
        model = _first_period(n)
        p_adj = np.array([f.price_adj for f in model.firms])
        np.testing.assert_allclose(p_adj, p_adj[0], rtol=1e-10)  # symmetric to the equilibrium tolerance
        prices.append(float(p_adj[0]))
        surplus.append(model.stats.consumer_surplus)
    print("p_adj by number of firms:", prices, "surplus:", surplus)
    assert np.all(np.diff(prices) < 0), prices
    assert np.all(np.diff(surplus) > 0), surplus
    # the index of quality-adjusted prices follows
    assert _first_period(3).stats.price_index_adj == pytest.approx(prices[2], rel=1e-10)


def test_a_monopolist_charges_more_than_any_oligopolist() -> None:
    mono = _first_period(1).firms[0].price_adj
    oligopoly = [f.price_adj for f in _first_period(3).firms]
    assert mono > max(oligopoly)


@pytest.mark.parametrize("seed", range(5))
def test_monopoly_price_bounds_each_firms_price_in_an_asymmetric_market(seed: int) -> None:
    # Random models, costs and threshold masses: each firm's equilibrium price is below the price it
    # would charge alone with the same model and cost (prices are strategic complements and the
    # monopoly price is the best response to rivals priced out of the market).
    rng = np.random.default_rng(seed)
    K = 4
    R = rng.uniform(0.05, 0.2, K)
    cost = rng.uniform(0.0, 10.0, K)
    base = ThresholdSpec(median=0.1, sigma=0.7).demand(M=1e6, price=1.0)
    game = StageGame.nested(R, cost, base.adopters(R), lam=LAM, price_sensitivity=PS, outside_option=OUTSIDE)
    p = game.equilibrium()
    for k in range(K):
        alone = StageGame.nested(R[k:k + 1], cost[k:k + 1], base.adopters(R[k:k + 1]), lam=LAM,
                                 price_sensitivity=PS, outside_option=OUTSIDE).equilibrium()[0]
        assert p[k] < alone
    # every best response is a best response: no price on a grid earns more
    profits = game.profits(p)
    for k in range(K):
        for q in np.linspace(cost[k], cost[k] + 60.0, 121):
            trial = p.copy()
            trial[k] = q
            assert game.profits(trial)[k] <= profits[k] * (1 + 1e-12)


def test_a_serving_cost_advantage_wins_a_larger_share() -> None:
    # same model, costs 1 and 4 reference dollars per adopter: the cheaper lab prices lower and sells more
    game = StageGame.nested([0.1, 0.1], [1.0, 4.0], [1e6, 1e6], lam=LAM, price_sensitivity=PS,
                            outside_option=OUTSIDE)
    p = game.equilibrium()
    demand = game.demand(p)
    assert p[0] < p[1] and demand[0] > demand[1]
    assert p[1] - p[0] < 3.0  # cost pass-through below one: the cheaper lab also earns a larger markup


def test_best_responses_use_own_price_rivals_prices_and_lambda() -> None:
    # Two labs, one fixed at a price: the best response rises with the rival's price and with
    # lambda (a noisier market), and matches the first-order condition by hand.
    R, c = [0.1, 0.1], [2.0, 2.0]
    game = StageGame.nested(R, c, [1e6, 1e6], lam=LAM, price_sensitivity=PS, outside_option=OUTSIDE)
    low = game.equilibrium(fixed=[np.nan, 5.0])[0]
    high = game.equilibrium(fixed=[np.nan, 25.0])[0]
    assert high > low + 1.0
    noisy = StageGame.nested(R, c, [1e6, 1e6], lam=2 * LAM, price_sensitivity=PS,
                             outside_option=OUTSIDE).equilibrium(fixed=[np.nan, 5.0])[0]
    assert noisy > low + 1.0
    s = game.shares([low, 5.0])[0, 0]
    assert low - 2.0 == pytest.approx(LAM / (PS * (1.0 - s)), rel=1e-9)


# -- prices in the tables ----------------------------------------------------------------------------


def test_revenue_is_adopters_times_the_price_paid_in_the_firm_table() -> None:
    data = tomllib.loads(PRICING_TOML)
    data["meta"]["years"] = 2
    data["consumers"]["count"] = 1000
    data["firms"] = [dict(LAB, name="A"), dict(LAB, name="B", strategy="fixed_growth", price=8.0),
                     dict(LAB, name="O", strategy="open_weights", price=0.0, leader="A", lag_periods=2)]
    model = MarketModel(Scenario.model_validate(data)).run()
    firms, table = model.firm_table(), model.model_table()
    sold = firms[firms.adopters > 0]
    assert sold.firm.nunique() == 3
    np.testing.assert_allclose(sold.revenue, sold.adopters * sold.price, rtol=1e-12)
    np.testing.assert_allclose(sold.price_per_mtok, sold.price / 1e6 * 1e6, rtol=1e-12)
    assert (firms.loc[firms.firm == "B", "price_adj"].dropna() == 8.0).all()  # fixed_growth: fixed price
    assert (firms.loc[firms.firm == "O", "price"].dropna() == 0.0).all()
    none_on_sale = firms.N == 0
    assert firms.loc[none_on_sale, ["price", "price_adj", "markup", "price_per_mtok"]].isna().all().all()
    weights = sold.groupby("step").adopters.sum()
    for column, index in (("price", "mean_price"), ("price_adj", "price_index_adj")):
        weighted = (sold[column] * sold.adopters).groupby(sold.step).sum() / weights
        np.testing.assert_allclose(table.set_index("step").loc[weighted.index, index], weighted, rtol=1e-9)


# -- demand falls with price ------------------------------------------------------------------------


def test_demand_falls_with_own_price_in_the_stage_game_and_the_residual_demand() -> None:
    game = StageGame.nested([0.08, 0.1], [0.0, 0.0], [8e5, 5e5], lam=LAM, price_sensitivity=PS,
                            outside_option=OUTSIDE)
    own = [game.demand([q, 10.0])[0] for q in (0.0, 5.0, 10.0, 20.0, 40.0)]
    assert np.all(np.diff(own) < 0)
    base = ThresholdSpec(median=0.1, sigma=0.7).demand(M=1e6, price=1.0)
    for rivals in ([], [0.09]):  # alone (the outside option alone makes demand fall) and against a rival
        n = [float(ResidualDemand.facing(base, rivals, [-PS * 10.0] * len(rivals), own_price=1.0,
                                         own_shift=-PS * q, lam=LAM, outside_option=OUTSIDE).adopters(0.08))
             for q in (0.0, 10.0, 20.0)]
        assert np.all(np.diff(n) < 0), (rivals, n)
    # the residual demand is the stage game's demand for the same prices
    masses, _ = nested_segments([0.08, 0.09], base.adopters(np.array([0.08, 0.09])))
    duo = StageGame.nested([0.08, 0.09], [0.0, 0.0], base.adopters(np.array([0.08, 0.09])), lam=LAM,
                           price_sensitivity=PS, outside_option=OUTSIDE)
    residual = ResidualDemand.facing(base, [0.09], [-PS * 10.0], own_price=1.0, own_shift=-PS * 7.0, lam=LAM,
                                     outside_option=OUTSIDE)
    assert float(residual.adopters(0.08)) == pytest.approx(duo.demand([7.0, 10.0])[0], rel=1e-12)
    assert masses.sum() == pytest.approx(float(base.adopters(0.08)), rel=1e-12)


def test_a_higher_fixed_price_loses_adopters_to_the_outside_option() -> None:
    adopters = []
    for price in (2.0, 40.0):
        data = tomllib.loads(PRICING_TOML)
        data["firms"] = [dict(LAB, name="A", pricing="fixed", price=price)]
        model = MarketModel(Scenario.model_validate(data))
        model.step()
        adopters.append(model.stats.adopters)
    assert adopters[1] < 0.8 * adopters[0], adopters


# -- the outside option in consumer choice ---------------------------------------------------------


def test_both_consumer_forms_choose_identically_with_the_outside_option() -> None:
    rng = np.random.default_rng(7)
    tau = rng.lognormal(np.log(0.1), 0.6, 500)
    offers = Offers(np.array([3, 8]), np.array([0.07, 0.11]), np.array([6.0, 9.0]), price_adj=np.array([3.0, 6.0]),
                    value_factor=np.array([2.0, 1.5]), outside_option=OUTSIDE)
    population = ConsumerPopulation(tau)
    agents = AgentConsumers(mesa.Model(seed=1), tau)
    for _ in range(3):
        u = rng.random(len(tau))
        population.choose(offers, u, LAM, PS, 0.2)
        agents.choose(offers, u, LAM, PS, 0.2)
        assert np.array_equal(population.choice, agents.choice)
    assert population.surplus(offers, PS) == pytest.approx(agents.surplus(offers, PS), rel=1e-9)
    # the logit oracle for first-time choosers who qualify both models
    tau = rng.lognormal(np.log(0.1), 0.6, 20000)
    both = tau >= 0.11
    fresh = ConsumerPopulation(tau[both])
    fresh.choose(offers, rng.random(both.sum()), LAM, PS, 0.0)
    u = -np.log(offers.R) - PS * offers.price_adj
    weights = np.exp(np.append(u, -np.log(0.07) + OUTSIDE) / LAM)
    p_none = weights[-1] / weights.sum()
    observed = np.mean(fresh.choice == NO_CHOICE)
    n = both.sum()
    assert abs(observed - p_none) < 5 * np.sqrt(p_none * (1 - p_none) / n), (observed, p_none)
    # surplus in dollars: value factor x (ln(R_front / R) - outside option) / ps minus the price paid
    k = offers.positions(fresh.choice)
    k = k[k >= 0]
    expected = np.sum(offers.value_factor[k] * (np.log(0.07 / offers.R[k]) - OUTSIDE) / PS - offers.price[k])
    assert fresh.surplus(offers, PS) == pytest.approx(expected, rel=1e-9)
    # without an outside option the fallback is the consumer's threshold (the old formula)
    plain = Offers(offers.firm_ids, offers.R, offers.price, price_adj=offers.price_adj,
                   value_factor=offers.value_factor)
    fresh.choose(plain, rng.random(both.sum()), LAM, PS, 0.0)
    k = offers.positions(fresh.choice)
    mine = k >= 0
    expected = np.sum(offers.value_factor[k[mine]] * np.log(tau[both][mine] / offers.R[k[mine]]) / PS
                      - offers.price[k[mine]])
    assert fresh.surplus(plain, PS) == pytest.approx(expected, rel=1e-9)


def test_offers_require_the_paid_price_to_be_the_adjusted_price_times_the_value_factor() -> None:
    with pytest.raises(ValueError, match=r"^Offers: price = \[5\.0\] must equal price_adj x value_factor"):
        Offers(np.array([1]), np.array([0.1]), np.array([5.0]), price_adj=np.array([2.0]),
               value_factor=np.array([2.0]))


def test_pricing_keys_are_validated() -> None:
    bad = tomllib.loads(PRICING_TOML)
    bad["firms"] = [dict(LAB, name="A", pricing="auction")]
    with pytest.raises(ValueError, match="pricing"):
        load(Scenario.model_validate(bad))
    assert _scenario(1).market.outside_option == OUTSIDE
    assert _scenario(1).firms[0].pricing is None  # the strategy's default: best_response for profit_optimal
