"""Tests for marketsim.sim.consumers: the per-agent Mesa form and the vectorised population."""

from __future__ import annotations

import math
import tracemalloc

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from marketsim.economics import ThresholdSpec
from marketsim.sim.choice import NO_CHOICE, Offers, choice_utilities, draw_choices, logit_probabilities, qualifying
from marketsim.sim.consumers import (
    CHUNK_SIZE,
    AgentConsumers,
    ConsumerAgent,
    ConsumerMarket,
    ConsumerPopulation,
    make_consumers,
    sample_thresholds,
)

LAM, PS, SC = 0.3, 0.05, 0.2  # logit lambda (ln R), price sensitivity (ln R per $), switching cost (ln R)


def lognormal_thresholds(rng: np.random.Generator, n: int, median: float = 0.1,
                         sigma: float = 1.0) -> np.ndarray:
    return sample_thresholds(rng, n, stats.lognorm(s=sigma, scale=median))


def agent_model(tau: np.ndarray, seed: int = 7) -> mesa.Model:
    model = mesa.Model(seed=seed)
    ConsumerAgent.create_agents(model, len(tau), tau=tau, index=np.arange(len(tau)))
    return model


def agent_choices(model: mesa.Model) -> np.ndarray:
    agents = sorted(model.agents, key=lambda a: a.index)
    return np.array([a.choice for a in agents], dtype=np.int64)


def offers(ids: list[int], R: list[float], price: list[float]) -> Offers:
    return Offers(np.array(ids), np.array(R, dtype=float), np.array(price, dtype=float))


class RandomMarket:
    """Offers that change every period: firms enter and leave, prices move, R falls over time."""

    IDS = np.array([3, 11, 12, 40, 41, 57])  # arbitrary, non-contiguous mesa unique_ids

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.base_R = rng.uniform(0.04, 0.4, len(self.IDS))
        self.active = rng.random(len(self.IDS)) < 0.5

    def next(self, period: int) -> Offers:
        leave = self.rng.random(len(self.IDS)) < 0.2
        enter = self.rng.random(len(self.IDS)) < 0.35
        self.active = np.where(self.active, ~leave, enter)
        if period == 7:  # one period with nothing on offer
            self.active[:] = False
        R = self.base_R * 0.93**period * self.rng.uniform(0.9, 1.1, len(self.IDS))
        price = self.rng.uniform(0.0, 20.0, len(self.IDS))
        a = self.active
        return Offers(self.IDS[a], R[a], price[a])


@pytest.mark.parametrize("chunk_size", [CHUNK_SIZE, 97])
def test_agents_and_population_agree_every_period(chunk_size: int) -> None:
    n = 1000
    rng = np.random.default_rng(2024)
    tau = lognormal_thresholds(rng, n)
    model = agent_model(tau)
    pop = ConsumerPopulation(tau, chunk_size=chunk_size)
    market = RandomMarket(rng)
    sizes, switches, prev = set(), 0, pop.choice.copy()
    for period in range(20):
        offered = market.next(period)
        u = model.rng.random(n)
        model.agents.do("choose", offered, u, LAM, PS, SC)
        pop.choose(offered, u, LAM, PS, SC)
        from_agents = agent_choices(model)
        assert np.array_equal(from_agents, pop.choice), f"period {period}"
        expected_counts = [np.count_nonzero(from_agents == f) for f in offered.firm_ids]
        assert np.array_equal(pop.counts(offered.firm_ids), expected_counts)
        assert pop.adopters() == np.count_nonzero(from_agents != NO_CHOICE)
        agent_surplus = sum(a.surplus(offered, PS) for a in model.agents)
        assert pop.surplus(offered, PS) == pytest.approx(agent_surplus, rel=1e-9, abs=1e-9)
        sizes.add(len(offered))
        switches += np.count_nonzero((prev != NO_CHOICE) & (pop.choice != NO_CHOICE) & (prev != pop.choice))
        prev = pop.choice.copy()
    # the scenario really exercised entry, exit, an empty market and switching between firms
    assert 0 in sizes and max(sizes) >= 3 and len(sizes) >= 4
    assert switches > 0


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_nobody_adopts_a_model_worse_than_their_threshold(data: st.DataObject) -> None:
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    n = data.draw(st.integers(1, 150), label="n")
    K = data.draw(st.integers(0, 7), label="K")
    lam = data.draw(st.floats(1e-4, 10.0), label="lam")
    ps = data.draw(st.floats(0.0, 1.0), label="price_sensitivity")
    sc = data.draw(st.floats(0.0, 3.0), label="switching_cost")
    rng = np.random.default_rng(seed)
    tau = np.exp(rng.uniform(np.log(1e-3), 0.0, n))
    pop = ConsumerPopulation(tau, chunk_size=data.draw(st.integers(1, 64), label="chunk_size"))
    ids = rng.choice(1000, size=K, replace=False)
    R = np.exp(rng.uniform(np.log(1e-3), 0.0, K))
    if K >= 3 and data.draw(st.booleans(), label="tie"):
        R[2] = R[1]  # two models of exactly equal quality
    if K:
        R[0] = tau[0]  # R == tau qualifies: consumer 0 must adopt
    for period in range(2):  # the second period starts from real current choices
        keep = rng.random(K) < 0.7 if period else np.ones(K, dtype=bool)
        offered = Offers(ids[keep], R[keep] * 0.8**period, rng.uniform(0.0, 30.0, K)[keep])
        pop.choose(offered, rng.random(n), lam, ps, sc)
        qual = qualifying(pop.tau, offered.R)
        chosen = offered.positions(pop.choice)
        adopts = pop.choice != NO_CHOICE
        assert np.all(np.isin(pop.choice[adopts], offered.firm_ids))
        assert np.all(offered.R[chosen[adopts]] <= pop.tau[adopts])
        # anyone with a qualifying model adopts one; nobody else does
        assert np.array_equal(adopts, qual.any(axis=1))
        assert pop.counts(offered.firm_ids).sum() == pop.adopters() == np.count_nonzero(adopts)
    if K and keep[0]:
        assert pop.choice[0] != NO_CHOICE


@pytest.mark.parametrize("form", ["population", "agents"])
@pytest.mark.parametrize("ps", [0.0, 0.5])
def test_tiny_lambda_picks_the_best_qualifying_model(form: str, ps: float) -> None:
    rng = np.random.default_rng(5)
    n = 3000 if form == "population" else 300
    tau = lognormal_thresholds(rng, n)
    ids, R = np.array([8, 5, 7, 6]), np.array([0.3, 0.02, 0.1, 0.05])  # not sorted by R
    price = np.array([0.0, 9.0, 4.0, 1.0])
    first = Offers(ids[:2], R[:2] * 2, np.array([3.0, 1.0]))
    choices = _run_form(form, tau, [first, Offers(ids, R, price)], rng, lam=1e-6, ps=ps, sc=0.0)
    # independent of the module: argmax of -ln R - ps * price over the qualifying offers
    qual = R[None, :] <= tau[:, None]
    best = np.where(qual, -np.log(R) - ps * price, -np.inf).argmax(axis=1)
    expected = np.where(qual.any(axis=1), ids[best], NO_CHOICE)
    assert np.array_equal(choices, expected)
    # without prices the best qualifying model is the best model overall (qualifying sets are nested
    # in R); with prices, consumers who qualify for more models trade quality for price
    assert set(expected.tolist()) == ({5, NO_CHOICE} if ps == 0 else {5, 6, NO_CHOICE})


def _run_form(form: str, tau: np.ndarray, periods: list[Offers], rng: np.random.Generator, *, lam: float,
              ps: float, sc: float) -> np.ndarray:
    model = agent_model(tau) if form == "agents" else None
    pop = ConsumerPopulation(tau)
    for offered in periods:
        u = rng.random(len(tau))
        if model is None:
            pop.choose(offered, u, lam, ps, sc)
        else:
            model.agents.do("choose", offered, u, lam, ps, sc)
    return pop.choice if model is None else agent_choices(model)


def test_two_identical_offers_split_evenly() -> None:
    n = 40_000
    rng = np.random.default_rng(11)
    pop = ConsumerPopulation(np.full(n, 1.0))
    u = rng.random(n)
    pop.choose(offers([21, 22], [0.1, 0.1], [5.0, 5.0]), u, LAM, PS, SC)
    first, second = pop.counts([21, 22])
    assert first + second == n
    assert abs(first - n / 2) < 5 * math.sqrt(n * 0.25)  # binomial(n, 1/2), 5 sd
    # inverse CDF on (1/2, 1/2): exactly those with u < 1/2 take the first offer
    assert first == np.count_nonzero(u < 0.5)


def test_raising_a_price_lowers_that_firms_count() -> None:
    n = 20_000
    rng = np.random.default_rng(3)
    tau = lognormal_thresholds(rng, n)
    cheap = offers([1, 2, 3], [0.05, 0.06, 0.08], [10.0, 10.0, 10.0])
    dear = offers([1, 2, 3], [0.05, 0.06, 0.08], [10.0, 25.0, 10.0])
    start = rng.random(n)
    a, b = ConsumerPopulation(tau), ConsumerPopulation(tau)
    for pop in (a, b):  # identical histories up to the price change
        pop.choose(cheap, start, LAM, PS, SC)
    u = rng.random(n)
    a.choose(cheap, u, LAM, PS, SC)
    b.choose(dear, u, LAM, PS, SC)
    assert b.counts([2])[0] < a.counts([2])[0]
    assert b.adopters() == a.adopters()  # price moves consumers between models, never in or out
    # with the same u, firm 2's slice of each consumer's CDF only shrinks
    assert np.all(a.choice[b.choice == 2] == 2)


def _logit_share(du: float, lam: float) -> float:
    """Share of the first of two options whose utility exceeds the second's by du."""
    return 1.0 / (1.0 + math.exp(-du / lam))


def test_switching_cost_keeps_customers_with_their_firm() -> None:
    n = 20_000
    rng = np.random.default_rng(9)
    tau = np.full(n, 1.0)
    only_a = offers([1], [0.1], [2.0])
    a_and_b = offers([1, 2], [0.1, 0.09], [2.0, 2.0])  # B is slightly better at the same price
    u = rng.random(n)
    stays = {}
    for sc in (0.0, 0.5):
        pop = ConsumerPopulation(tau)
        pop.choose(only_a, rng.random(n), LAM, PS, sc)
        assert pop.counts([1])[0] == n
        pop.choose(a_and_b, u, LAM, PS, sc)
        stays[sc] = pop.counts([1])[0]
        # independent check of the logit formula: u_A - u_B = ln(0.09/0.1) + sc
        p = _logit_share(math.log(0.09 / 0.1) + sc, LAM)
        assert abs(stays[sc] / n - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert stays[0.5] > stays[0.0]


def test_customers_of_a_departed_firm_pay_no_switching_cost() -> None:
    n = 5_000
    rng = np.random.default_rng(4)
    tau = np.full(n, 1.0)
    u = rng.random(n)
    results = []
    for sc in (0.0, 2.0):
        pop = ConsumerPopulation(tau)
        pop.choose(offers([1], [0.1], [1.0]), rng.random(n), LAM, PS, sc)
        pop.choose(offers([2, 3], [0.1, 0.12], [1.0, 1.0]), u, LAM, PS, sc)  # firm 1 has left
        results.append(pop.choice.copy())
    assert np.array_equal(results[0], results[1])


def test_surplus_on_a_hand_computed_example() -> None:
    tau = np.array([0.2, 0.1, 0.05])
    offered = offers([7, 9], [0.1, 0.05], [2.0, 5.0])
    pop = ConsumerPopulation(tau)
    pop.choice[:] = [7, 9, NO_CHOICE]
    # ln(0.2/0.1)/0.1 - 2 + ln(0.1/0.05)/0.1 - 5 = 20 ln 2 - 7
    expected = 20 * math.log(2) - 7
    assert pop.surplus(offered, 0.1) == pytest.approx(expected, rel=1e-12)
    model = agent_model(tau)
    for agent, c in zip(sorted(model.agents, key=lambda a: a.index), [7, 9, NO_CHOICE]):
        agent.choice = c
    assert [a.surplus(offered, 0.1) for a in sorted(model.agents, key=lambda a: a.index)] == pytest.approx(
        [10 * math.log(2) - 2, 10 * math.log(2) - 5, 0.0])
    assert math.isnan(pop.surplus(offered, 0.0))  # no dollar equivalent without price sensitivity
    stale = r"choices name firm ids \[9\] that are not in Offers\.firm_ids = \[7\]"
    with pytest.raises(ValueError, match=stale):
        pop.surplus(offers([7], [0.1], [2.0]), 0.1)


def test_empty_market_and_nobody_qualifying_give_no_nan() -> None:
    rng = np.random.default_rng(1)
    n = 500
    tau = lognormal_thresholds(rng, n, median=0.05, sigma=0.3)
    pop = ConsumerPopulation(tau)
    model = agent_model(tau)
    too_weak = offers([1, 2], [tau.max() * 1.01, 5.0], [1.0, 1.0])
    with np.errstate(all="raise"):
        pop.choose(offers([1], [0.001], [1.0]), rng.random(n), LAM, PS, SC)
        assert pop.adopters() == n
        for offered in (Offers.none(), too_weak):
            u = rng.random(n)
            pop.choose(offered, u, LAM, PS, SC)
            model.agents.do("choose", offered, u, LAM, PS, SC)
            assert np.all(pop.choice == NO_CHOICE)
            assert np.all(agent_choices(model) == NO_CHOICE)
            assert pop.adopters() == 0
            assert pop.surplus(offered, PS) == 0.0
            assert np.array_equal(pop.counts(offered.firm_ids), np.zeros(len(offered)))
        probs = logit_probabilities(np.zeros((3, 2)), np.zeros((3, 2), dtype=bool), 1e-8)
        assert np.array_equal(probs, np.zeros((3, 2)))
        assert np.array_equal(draw_choices(probs, np.full(3, 0.5), np.array([4, 5])), [-1, -1, -1])
        no_offers = draw_choices(np.zeros((2, 0)), np.full(2, 0.5), np.empty(0, dtype=np.int64))
        assert no_offers.tolist() == [-1, -1]


def test_logit_probabilities_by_hand() -> None:
    util = np.array([[0.0, math.log(2.0), 5.0], [1.0, 1.0, 1.0]])
    qual = np.array([[True, True, False], [True, False, True]])
    np.testing.assert_allclose(logit_probabilities(util, qual, 1.0), [[1 / 3, 2 / 3, 0], [0.5, 0, 0.5]])
    # lam = 1/2 squares the weight ratio: 1 : 4
    np.testing.assert_allclose(logit_probabilities(util, qual, 0.5)[0], [0.2, 0.8, 0.0])
    # huge utilities do not overflow: only differences matter
    np.testing.assert_allclose(logit_probabilities(util + 1e4, qual, 0.01)[0], [2.0**-100, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"^logit lam = 0\.0: must be a finite number > 0 \(ln-R units\)$"):
        logit_probabilities(util, qual, 0.0)


def test_choice_utilities_by_hand() -> None:
    R, price, ids = np.array([0.1, 0.2]), np.array([10.0, 0.0]), np.array([7, 9])
    current = np.array([NO_CHOICE, 7, 9, 4])  # 4 is a firm that has left
    u = choice_utilities(R, price, current, ids, 0.01, 0.3)
    a, b = -math.log(0.1) - 0.1, -math.log(0.2)
    np.testing.assert_allclose(u, [[a, b], [a, b - 0.3], [a - 0.3, b], [a, b]], rtol=1e-14)


def test_draw_choices_inverse_cdf() -> None:
    probs = np.array([[0.25, 0.0, 0.75]] * 5)
    u = np.array([0.0, 0.2, 0.25, 0.9, np.nextafter(1.0, 0.0)])
    assert draw_choices(probs, u, np.array([10, 20, 30])).tolist() == [10, 10, 30, 30, 30]
    # total = 0.9999999999999999 < 1 when summed left to right: the largest u must still land on the
    # last positive offer, not run off the end nor onto the trailing zero-probability offer
    row = np.array([[0.1] * 10 + [0.0]])
    assert sum(row[0].tolist()) < 1.0
    ids = np.arange(100, 111)
    assert draw_choices(row, np.array([1 - 2.0**-53]), ids).tolist() == [109]
    bad_u = r"^draw_choices: u must lie in \[0, 1\), got values in \[0\.5, 1\.0\]$"
    with pytest.raises(ValueError, match=bad_u):
        draw_choices(np.array([[1.0], [1.0]]), np.array([0.5, 1.0]), np.array([1]))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), K=st.integers(1, 8))
def test_zero_probability_offers_are_never_drawn(seed: int, K: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    util = rng.normal(0.0, 2.0, (n, K))
    qual = rng.random((n, K)) < 0.5
    probs = logit_probabilities(util, qual, float(rng.uniform(0.01, 3.0)))
    np.testing.assert_allclose(probs.sum(axis=1), qual.any(axis=1).astype(float), rtol=1e-12)
    ids = np.arange(K) * 3 + 1
    u = np.concatenate([rng.random(n - 2), [0.0, 1 - 2.0**-53]])
    picked = draw_choices(probs, u, ids)
    pos = (picked - 1) // 3
    adopts = picked != NO_CHOICE
    assert np.array_equal(adopts, qual.any(axis=1))
    assert np.all(qual[np.flatnonzero(adopts), pos[adopts]])


def test_million_consumers_complete_a_period_in_bounded_memory() -> None:
    n, K = 10**6, 5
    rng = np.random.default_rng(0)
    pop = ConsumerPopulation(lognormal_thresholds(rng, n))
    offered = offers([1, 2, 3, 4, 5], [0.03, 0.06, 0.1, 0.2, 0.4], [20.0, 10.0, 5.0, 2.0, 0.0])
    u = rng.random(n)
    tracemalloc.start()
    try:
        pop.choose(offered, u, LAM, PS, SC)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pop.choice.dtype == np.int64 and pop.choice.shape == (n,)
    assert peak < n * K * 8  # chunked: not even one (n, K) float64 array existed at once
    arrays = [v for v in vars(pop).values() if isinstance(v, np.ndarray)]
    assert all(a.ndim == 1 and a.nbytes <= 8 * n for a in arrays)
    assert sum(a.nbytes for a in arrays) < 2 * n * K * 8
    counts = pop.counts(offered.firm_ids)
    assert 0 < pop.adopters() <= n and counts.sum() == pop.adopters() and np.all(counts > 0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: offers([1, 2], [0.1], [1.0, 1.0]),
         r"firm_ids, R and price must have equal lengths, got 2, 1 and 2"),
        (lambda: offers([1, 2], [0.1, -1.0], [1.0, 1.0]),
         r"^Offers\.R = \[0\.1, -1\.0\]: every entry must be finite and > 0 \(nats/token\)$"),
        (lambda: offers([1, 2], [0.1, 0.2], [1.0, float("nan")]),
         r"^Offers\.price = \[1\.0, nan\]: every entry must be finite and >= 0 \(dollars\)$"),
        (lambda: offers([3, 3], [0.1, 0.2], [1.0, 1.0]),
         r"^Offers\.firm_ids = \[3, 3\]: must be distinct integers >= 0$"),
        (lambda: Offers(np.array([1.5]), np.array([0.1]), np.array([1.0])),
         r"^Offers\.firm_ids = .*must be integers"),
        (lambda: ConsumerPopulation(np.array([0.1, 0.2, -0.1])),
         r"^ConsumerPopulation thresholds\[2\] = -0\.1: must be finite and > 0 \(nats/token\)$"),
        (lambda: ConsumerPopulation(np.ones(3), chunk_size=0), r"chunk_size = 0: must be an integer > 0"),
        (lambda: ConsumerPopulation(np.ones(3)).choose(Offers.none(), np.ones(2) / 2, LAM, PS, SC),
         r"u has shape \(2,\), expected \(3,\)"),
        (lambda: ConsumerPopulation(np.ones(3)).choose(Offers.none(), np.ones(3) / 2, 0.0, PS, SC),
         r"^logit lam = 0\.0: must be a finite number > 0"),
        (lambda: ConsumerPopulation(np.ones(3)).choose(Offers.none(), np.ones(3) / 2, LAM, -1.0, SC),
         r"^price_sensitivity = -1\.0: must be a finite number >= 0$"),
        (lambda: ConsumerPopulation(np.ones(3)).choose(Offers.none(), np.ones(3) / 2, LAM, PS, float("inf")),
         r"^switching_cost = inf: must be a finite number >= 0$"),
        (lambda: ConsumerAgent(mesa.Model(seed=1), tau=0.0, index=0),
         r"ConsumerAgent tau = 0\.0: must be finite and > 0"),
        (lambda: sample_thresholds(np.random.default_rng(0), -1, stats.uniform()),
         r"^sample_thresholds n = -1: must be an integer >= 0$"),
    ],
)
def test_bad_input_raises_clear_errors(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def _families() -> list:
    return [ThresholdSpec("lognormal", median=0.1, sigma=1.0).distribution(),
            ThresholdSpec("pareto", pareto_max=0.2, pareto_k=1.0).distribution(),
            ThresholdSpec("loguniform", loguniform_min=0.01, loguniform_max=1.0).distribution()]


@pytest.mark.parametrize("family", [0, 1, 2])
def test_sample_thresholds_is_reproducible_and_follows_the_distribution(family: int) -> None:
    dist = _families()[family]
    n = 20_000
    a = sample_thresholds(np.random.default_rng(42), n, dist)
    b = sample_thresholds(np.random.default_rng(42), n, dist)
    assert a.dtype == np.float64 and a.shape == (n,)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, sample_thresholds(np.random.default_rng(43), n, dist))
    lo, hi = dist.support()
    assert np.all((a >= lo) & (a <= hi)) and np.all(a > 0)
    # the sample median sits at the distribution's median: a binomial(n, 1/2) count, 5 sd
    below = np.count_nonzero(a <= dist.median())
    assert abs(below - n / 2) < 5 * math.sqrt(n / 4)
    assert len(ConsumerPopulation(a)) == n


# --- one protocol, two forms -------------------------------------------------------------------------


def test_both_forms_are_consumer_markets_and_agree_through_the_protocol() -> None:
    # Two firms, switching cost and a price: the same uniforms give the same choices, counts and
    # (to rounding: summed in another order) the same surplus through the ConsumerMarket methods.
    rng = np.random.default_rng(3)
    tau = lognormal_thresholds(rng, 2000)
    offers = Offers(np.array([4, 9]), np.array([0.05, 0.12]), np.array([3.0, 0.0]))
    vec = make_consumers(mesa.Model(seed=1), "vectorised", tau)
    agents = make_consumers(mesa.Model(seed=1), "agents", tau)
    assert isinstance(vec, ConsumerPopulation) and isinstance(agents, AgentConsumers)
    for market in (vec, agents):
        assert isinstance(market, ConsumerMarket)
    for _ in range(3):
        u = rng.random(len(tau))
        vec.choose(offers, u, LAM, PS, SC)
        agents.choose(offers, u, LAM, PS, SC)
        np.testing.assert_array_equal(vec.choice, agents.choice)
        counts = vec.counts(offers.firm_ids)
        np.testing.assert_array_equal(counts, agents.counts(offers.firm_ids))
        assert counts.sum() == np.count_nonzero(vec.choice != NO_CHOICE) > 0 and np.all(counts > 0)
        assert agents.surplus(offers, PS) == pytest.approx(vec.surplus(offers, PS), rel=1e-12)
    with pytest.raises(ValueError, match=r"^consumers = 'agent': allowed 'vectorised' or 'agents'$"):
        make_consumers(mesa.Model(seed=1), "agent", tau)  # type: ignore[arg-type]
