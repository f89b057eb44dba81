"""Diffusion of awareness (consumers.awareness_midpoint_year) and active-parameter serving
(consumers.active_parameter_fraction): who can adopt, what firms plan for, what serving costs."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest

from marketsim.config.standalone import standalone_problem
from marketsim.sim.choice import Offers
from marketsim.sim.consumers import NO_CHOICE, AgentConsumers, ConsumerPopulation, aware_count
from marketsim.sim.model import MarketModel
from test_model import START_YEAR, scenario


def test_aware_count_is_the_rounded_share_and_grows_with_it() -> None:
    assert [aware_count(s, 10) for s in (0.0, 0.04, 0.06, 0.5, 0.96, 1.0)] == [0, 0, 1, 5, 10, 10]
    counts = [aware_count(s, 1000) for s in np.linspace(0, 1, 101)]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == 1000
    with pytest.raises(ValueError, match=r"share = 1\.5: must be in \[0, 1\]"):
        aware_count(1.5, 10)


@pytest.mark.parametrize("form", ["population", "agents"])
def test_only_the_first_aware_consumers_adopt_and_they_choose_as_if_all_were_aware(form: str) -> None:
    rng = np.random.default_rng(3)
    n, aware = 400, 150
    tau = np.exp(rng.normal(np.log(0.05), 1.0, n))
    offers = Offers(np.array([1, 2]), np.array([0.03, 0.06]), np.array([1.0, 0.5]))
    u = rng.random(n)
    everyone = ConsumerPopulation(tau)
    everyone.choose(offers, u, 0.3, 0.1, 0.0)
    if form == "agents":
        market = AgentConsumers(mesa.Model(rng=1), tau)
    else:
        market = ConsumerPopulation(tau)
    market.choose(offers, u, 0.3, 0.1, 0.0, aware=aware)
    assert np.all(market.choice[aware:] == NO_CHOICE)
    assert np.array_equal(market.choice[:aware], everyone.choice[:aware])
    assert np.count_nonzero(market.choice[:aware] != NO_CHOICE) > 20  # the aware ones do adopt
    with pytest.raises(ValueError, match=r"aware = 401: must be an integer from 0 to 400"):
        market.choose(offers, u, 0.3, 0.1, 0.0, aware=401)


def _logistic(year: float, midpoint: float, rate: float) -> float:
    return 1.0 / (1.0 + math.exp(-rate * (year - midpoint)))


def test_awareness_follows_the_logistic_and_bounds_adoption() -> None:
    midpoint, rate = START_YEAR + 3.0, 1.2
    s = scenario(years=5, count=2000, consumers={"awareness_midpoint_year": midpoint, "awareness_rate_per_year": rate})
    table = MarketModel(s).run().model_table()
    expected = [_logistic(y, midpoint, rate) for y in table.year]
    assert np.allclose(table.aware_share, expected, rtol=1e-12)
    assert np.all(table.adoption_share <= table.aware_share + 1e-12)
    assert table.adoption_share.iloc[-1] > 0.5 * table.aware_share.iloc[-1] > 0  # the aware do adopt
    full = MarketModel(scenario(years=5, count=2000)).run().model_table()
    assert np.all(full.aware_share == 1.0)
    assert full.adoption_share.iloc[0] > 3 * table.adoption_share.iloc[0]


def test_firms_plan_for_the_aware_market_only() -> None:
    midpoint, rate = START_YEAR + 1.0, 0.8
    aware = scenario(consumers={"awareness_midpoint_year": midpoint, "awareness_rate_per_year": rate})
    model = MarketModel(aware)
    share = _logistic(START_YEAR, midpoint, rate)
    assert model.market_demand(1.0, 1).M == pytest.approx(5e9 * share, rel=1e-12)
    assert standalone_problem(aware).demand.M == pytest.approx(5e9 * share, rel=1e-12)
    assert standalone_problem(scenario()).demand.M == pytest.approx(5e9, rel=1e-12)


def test_serving_counts_active_parameters_only() -> None:
    moe = scenario(years=2, consumers={"active_parameter_fraction": 0.05})
    assert moe.consumers.serving_tokens == pytest.approx(1e5 * 0.05)
    assert standalone_problem(moe).T == pytest.approx(standalone_problem(scenario()).T * 0.05)
    firms = MarketModel(moe).run().firm_table()
    model = MarketModel(moe).run().model_table().set_index("step")
    paying = firms[(firms.adopters > 0) & (firms.serving_cost > 0)]
    assert len(paying) > 0
    E = paying.step.map(model.E)
    expected = paying.adopters * 2 * paying.N * 1e5 * 0.05 / E
    assert np.allclose(paying.serving_cost, expected, rtol=1e-9)
