"""Value tests of the competition mechanics: damping, retraining stagger, switching cost, consumer
surplus scaling, own price and logit lambda in the best response.

Each test compares the simulation with an exact oracle (a direct call into :mod:`marketsim.economics`
with the inputs the firm saw, or a closed-form logit probability) rather than with a loose
inequality, and states by how much the result would move if the mechanism were broken. The
mutations each test is meant to catch are listed in ``tests/mutations/run_mutations.py``; run
``python tests/mutations/run_mutations.py`` to check that every one of them is still caught.

Small self-contained configurations (LABS_TOML; 2,000-5,000 consumers, at most three years, fixed
seeds) keep the file fast and independent of the bundled scenarios' calibration.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import marketsim
from marketsim import MarketModel
from marketsim.config import scenario_from_dict
from marketsim.economics import Demand, Optimum, ResidualDemand, ScalingLaw, evaluate, optimize
from marketsim.sim.consumers import ConsumerPopulation

SEED = 1

#: A self-contained world for these tests, independent of the bundled scenarios (whose numbers
#: change with every recalibration): identical labs with plenty of cash and a credit line, serving
#: 1e4 tokens per adopter per period so that serving cost (2 N T / E, ~1e-2 dollars per adopter) stays
#: far below the paid price (~1 dollar) and no lab runs out of money within these short runs. Prices
#: are held fixed (firms.pricing = "fixed": quality-adjusted price = firms.price) so that these tests
#: isolate the (N, D) decision and consumer choice; chosen prices are tested in tests/test_pricing.py.
#: price_sensitivity 0.5 makes the own-price term of the best response large enough to move the
#: chosen model by more than the optimizer's tolerance; a price below -outside_option /
#: price_sensitivity = 2 reference dollars leaves every adopter a positive surplus (docs/theory.md §11).
LABS_TOML = """\
[meta]
name = "mechanics"
seed = 1
start_year = 2025
years = 2
periods_per_year = 4

[scaling]
preset = "besiroglu2024"
closure = "cap"

[hardware]
flop_per_dollar = 2.34e18
growth_per_year = 1.38

[data]
stock_tokens = 7.05e15
stock_growth_per_year = 1.07

[consumers]
count = 2000
population = 5.0e9
family = "lognormal"
median_threshold = 0.0333
sigma = 0.47
value_exponent = 1.0
tokens_per_adopter_per_period = 1e4
price_sensitivity = 0.5
switching_cost = 0.1

[market]
logit_lambda = 0.3
damping = 0.5
outside_option = -1.0
"""

LAB_TOML = """
[[firms]]
name = "{name}"
strategy = "profit_optimal"
pricing = "fixed"
price = 1.0
cash = 1e11
credit_limit = -1e11
retrain_every_periods = 4
horizon_periods = 8
"""

LAB_NAMES = ("LabA", "LabB", "LabC")


def _labs(n: int, overrides: dict[str, Any] | None = None) -> marketsim.Scenario:
    """LABS_TOML with the first ``n`` labs of LAB_NAMES (identical profit-optimal labs at a fixed
    price), with ``overrides`` applied."""
    text = LABS_TOML + "".join(LAB_TOML.format(name=name) for name in LAB_NAMES[:n])
    return scenario_from_dict(tomllib.loads(text), source="<LABS_TOML>", overrides=overrides or {})


#: Three profit-optimal labs cut to 1.25 years = 5 quarters so that every lab makes exactly one
#: decision against its rivals (LabC at step 3, LabB at 4, LabA at 5). 1e5 tokens per adopter and a
#: $1e9 budget (cash and credit line) keep the first model small enough that a year of hardware
#: progress makes the next one pay (with $1e11 the first model is so large that none does).
RIVALRY = {"meta.years": 1.25, "consumers.tokens_per_adopter_per_period": 1e5,
           **{f"firms.{i}.{key}": value for i in range(3) for key, value in (("cash", 1e9), ("credit_limit", -1e9))}}

#: Smallest shift in ln N or ln D (of at least one rival decision) that counts as "the model changed".
#: The optimizer reproduces a decision to ~1e-12 from the same inputs; the mutations move it by
#: >= 0.06 (own price) and >= 0.07 (lambda) in ln N, as measured on RIVALRY.
SAME_MODEL_TOL = 1e-6


def _fixed_growth(names: list[str], prices: list[float], retrain_every: int) -> dict[str, Any]:
    """Overrides turning the first len(names) labs into fixed_growth labs.

    fixed_growth spends a preset amount on the compute-optimal model at every point of its cycle,
    whatever the market: its decisions neither depend on the consumers nor ever skip a period.
    """
    overrides: dict[str, Any] = {}
    for i, (name, price) in enumerate(zip(names, prices)):
        overrides.update({f"firms.{i}.name": name, f"firms.{i}.strategy": "fixed_growth",
                          f"firms.{i}.price": price, f"firms.{i}.retrain_every_periods": retrain_every})
    return overrides


def _two_labs(**extra: Any) -> MarketModel:
    """Two fixed_growth labs at fixed prices 1.0 and 1.2, 5,000 consumers, two years."""
    scenario = _labs(2, {"consumers.count": 5000, **_fixed_growth(["LabA", "LabB"], [1.0, 1.2], retrain_every=4),
                         **extra})
    return MarketModel(scenario, seed=SEED)


# -- the best response against rivals (damping, own price, lambda) ------------------------------------


@dataclass(frozen=True)
class Decision:
    """One profit-optimal lab's decision against rivals, with everything the firm saw when it made it.

    Attributes:
        step: model step of the decision.
        firm: the lab's name.
        N, D: the model it started (parameters, tokens).
        law, E: scaling law and FLOP per dollar that period.
        base: the whole market at the lab's price over its horizon (revenue per adopter, dollars).
        limits: T, c_D, D_bar, closure, rho_D, max_spend, as the firm's optimizer call takes them.
        warm: (N, D) of the lab's deployed model, the optimizer's warm start.
        rival_R: rivals' reducible losses (nats/token); rival_price, own_price: quality-adjusted
            prices, reference dollars per period.
        price_sensitivity, lam, theta, outside_option: the scenario's consumer and market parameters.
    """

    step: int
    firm: str
    N: float
    D: float
    law: ScalingLaw
    E: float
    base: Demand
    limits: dict[str, Any]
    warm: tuple[float, float] | None
    rival_R: tuple[float, ...]
    rival_price: tuple[float, ...]
    own_price: float
    price_sensitivity: float
    lam: float
    theta: float
    outside_option: float


def _record_rival_decisions(model: MarketModel) -> list[Decision]:
    """Run the model to its horizon, recording every training decision made while rivals had a model
    on sale. Rivals' models and a firm's cash are read before the step: they are what every firm
    sees while deciding (releases and accounting come after all decisions)."""
    scn = model.scenario
    decisions = []
    while model.running and model.steps < model.n_periods:
        before = {f.name: (f.max_spend, f.deployed, f.price_adj, f.offering) for f in model.firms}
        model.step()
        for firm in model.firms:
            rivals = [seen for name, seen in before.items() if name != firm.name and seen[3]]
            if firm.training_cost <= 0 or not rivals:
                continue
            started = firm.pending if firm.pending is not None else firm.deployed
            own_deployed = before[firm.name][1]
            horizon = firm.config.horizon_periods
            decisions.append(Decision(
                step=model.steps, firm=firm.name, N=started.N, D=started.D, law=model.law, E=model.state.E,
                base=model.market_demand(price_per_period=firm.config.price, periods=horizon),
                limits=dict(T=scn.consumers.tokens_per_adopter_per_period * horizon, c_D=scn.data.cost_per_token,
                            D_bar=model.raw_data_cap(), closure=scn.scaling.closure, rho_D=model.state.rho_D,
                            max_spend=before[firm.name][0]),
                warm=None if own_deployed is None else (own_deployed.N, own_deployed.D),
                rival_R=tuple(seen[1].R for seen in rivals), rival_price=tuple(seen[2] for seen in rivals),
                own_price=firm.config.price, price_sensitivity=scn.consumers.price_sensitivity,
                lam=scn.market.logit_lambda, theta=scn.market.damping, outside_option=scn.market.outside_option))
    return decisions


def _monopoly(d: Decision) -> Optimum:
    """The lab's optimum with no rivals (docs/theory.md §7: the point damping starts from), facing
    only the outside option (a constant purchase share)."""
    alone = ResidualDemand.facing(d.base, [], [], own_price=d.base.price, own_shift=-d.price_sensitivity * d.own_price,
                                  lam=d.lam, outside_option=d.outside_option)
    return optimize(d.law, alone, d.E, warm_start=d.warm, **d.limits)


def _residual(d: Decision, *, lam: float, own_shift: float) -> ResidualDemand:
    """The lab's residual demand against the rivals' models (logit scale ``lam``, own utility shift
    ``own_shift``; rivals' shifts -price_sensitivity * price, all in ln-R units)."""
    return ResidualDemand.facing(d.base, d.rival_R, [-d.price_sensitivity * p for p in d.rival_price],
                                 own_price=d.base.price, own_shift=own_shift, lam=lam,
                                 outside_option=d.outside_option)


def _best_response(d: Decision, *, lam: float, own_shift: float) -> Optimum:
    """The lab's optimum on its residual demand (arguments as in :func:`_residual`)."""
    return optimize(d.law, _residual(d, lam=lam, own_shift=own_shift), d.E, warm_start=d.warm, **d.limits)


def _damped(best: Optimum, mono: Optimum, theta: float) -> tuple[float, float]:
    """(ln N, ln D) moved from the monopoly optimum a fraction theta toward the best response."""
    return (theta * np.log(best.N) + (1 - theta) * np.log(mono.N),
            theta * np.log(best.D) + (1 - theta) * np.log(mono.D))


@dataclass(frozen=True)
class Oracle:
    """A decision with its monopoly optimum and its best response under the scenario's parameters."""

    decision: Decision
    mono: Optimum
    best: Optimum

    @property
    def chosen(self) -> tuple[float, float]:
        """(ln N, ln D) the lab actually started."""
        return float(np.log(self.decision.N)), float(np.log(self.decision.D))

    def expected(self, best: Optimum | None = None, theta: float | None = None) -> tuple[float, float]:
        """(ln N, ln D) the damped rule gives (by default with the scenario's best response and theta)."""
        d = self.decision
        return _damped(self.best if best is None else best, self.mono, d.theta if theta is None else theta)


@pytest.fixture(scope="module")
def rivalry() -> list[Oracle]:
    """The three-lab decisions against rivals, each with its oracle optima (about 3 s)."""
    decisions = _record_rival_decisions(MarketModel(_labs(3, RIVALRY), seed=SEED))
    oracles = []
    for d in decisions:
        best = _best_response(d, lam=d.lam, own_shift=-d.price_sensitivity * d.own_price)
        oracles.append(Oracle(d, _monopoly(d), best))
    return oracles


def _largest_move(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Largest |difference| in ln N or ln D between two lists of (ln N, ln D)."""
    return float(np.max(np.abs(np.subtract(a, b))))


def test_every_lab_decides_against_rivals_once(rivalry: list[Oracle]) -> None:
    # All three labs start their first model at step 1, with no rival on sale; the staggered cycles
    # (order * 4 // 3 = 0, 1, 2 periods early) then put their first decisions against rivals in three
    # different periods, 5, 4 and 3 (without the stagger all three would decide at step 5).
    assert [(o.decision.step, o.decision.firm) for o in rivalry] == [(3, "LabC"), (4, "LabB"), (5, "LabA")]
    for o in rivalry:
        assert o.mono.trains and o.best.trains


def test_rival_decisions_are_the_damped_best_response_to_the_residual_demand(rivalry: list[Oracle]) -> None:
    # Oracle: optimize on ResidualDemand.facing(base, rivals, own_shift=-ps*price, lam) and on the
    # whole market, then move ln N and ln D theta of the way from the monopoly optimum (docs/theory.md §7).
    for o in rivalry:
        np.testing.assert_allclose(o.chosen, o.expected(), rtol=0, atol=SAME_MODEL_TOL,
                                   err_msg=f"{o.decision.firm} at step {o.decision.step}")
        # the damped model is profitable against the rivals, so the rule keeps it (no fallback)
        d = o.decision
        lnN, lnD = o.expected()
        residual = _residual(d, lam=d.lam, own_shift=-d.price_sensitivity * d.own_price)
        costs = {k: d.limits[k] for k in ("T", "c_D", "rho_D")}
        assert evaluate(d.law, residual, d.E, float(np.exp(lnN)), float(np.exp(lnD)), **costs).profit > 0


def test_damping_moves_the_model_a_fraction_theta_toward_the_best_response(rivalry: list[Oracle]) -> None:
    # ln N and ln D move exactly theta = 0.5 of the way from the monopoly optimum to the best
    # response. The best response lies at least 0.05 (measured 0.24-0.31) from the monopoly optimum
    # in ln N or ln D, so an undamped lab (theta = 1) would differ from the chosen model by >= 0.025.
    for o in rivalry:
        assert o.decision.theta == 0.5
        mono = np.log([o.mono.N, o.mono.D])
        gap = np.log([o.best.N, o.best.D]) - mono
        assert np.max(np.abs(gap)) > 0.05
        np.testing.assert_allclose(np.subtract(o.chosen, mono), o.decision.theta * gap, rtol=0, atol=SAME_MODEL_TOL)
    undamped = [o.expected(theta=1.0) for o in rivalry]
    assert _largest_move([o.chosen for o in rivalry], undamped) > 0.025


def test_own_price_enters_the_best_response(rivalry: list[Oracle]) -> None:
    # The lab's own price lowers its utility by price_sensitivity * price (here 0.5 ln-R units, as
    # much as its rivals'). Leaving it out makes the lab look better than its rivals to consumers:
    # the best response and so the chosen model move by >= 2e-3 (measured 0.06 to 0.08) in ln N.
    without = [o.expected(best=_best_response(o.decision, lam=o.decision.lam, own_shift=0.0)) for o in rivalry]
    chosen = [o.chosen for o in rivalry]
    np.testing.assert_allclose(chosen, [o.expected() for o in rivalry], rtol=0, atol=SAME_MODEL_TOL)
    assert _largest_move(chosen, without) > 2e-3
    for o, ignoring in zip(rivalry, without):
        assert abs(o.chosen[0] - ignoring[0]) > 1e-3, f"{o.decision.firm}: own price does not matter"


def test_logit_lambda_enters_the_best_response(rivalry: list[Oracle]) -> None:
    # lambda = 0.3 (the scenario's) vs 1.0: a noisier choice shares the market more evenly, so the
    # best response to the same rivals is a different model (ln N differs by 0.07-0.16, measured).
    assert rivalry[0].decision.lam == 0.3
    chosen = [o.chosen for o in rivalry]
    at_one = [o.expected(best=_best_response(o.decision, lam=1.0,
                                             own_shift=-o.decision.price_sensitivity * o.decision.own_price))
              for o in rivalry]
    np.testing.assert_allclose(chosen, [o.expected() for o in rivalry], rtol=0, atol=SAME_MODEL_TOL)
    for c, other in zip(chosen, at_one):
        assert abs(c[0] - other[0]) > 0.05


# -- retraining stagger ------------------------------------------------------------------------------


def test_first_retraining_is_staggered_by_firm_order() -> None:
    # Three fixed_growth labs retraining every 8 periods (they train whenever due): after the first
    # model at step 1, lab number `order` retrains (order * 8) // 3 = 0, 2, 5 periods early once,
    # then every 8 periods. Without the stagger all three would train at steps 1 and 9 only.
    retrain_every, n = 8, 3
    model = MarketModel(_labs(3, {"meta.years": 3, **_fixed_growth(list(LAB_NAMES), [1.0] * 3, retrain_every)}),
                        seed=SEED)
    started: dict[str, list[int]] = {f.name: [] for f in model.firms}
    while model.running and model.steps < model.n_periods:
        model.step()
        for firm in model.firms:
            if firm.training_cost > 0:
                started[firm.name].append(model.steps)
    expected = {}
    for order, firm in enumerate(model.firms):
        second = 1 + retrain_every - (order * retrain_every) // n
        expected[firm.name] = [1, *range(second, model.n_periods + 1, retrain_every)]
    assert expected == {"LabA": [1, 9], "LabB": [1, 7], "LabC": [1, 4, 12]}
    assert started == expected


# -- switching cost ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Churn:
    """Consumers who could choose either of two labs and were using one of them last period.

    Attributes:
        trials: how many consumer-periods (qualifying both models, customer of a lab still on sale).
        moved: how many of them moved to the other lab.
        expected: the expected number of moves under the logit with the scenario's switching cost.
        variance: binomial variance of ``moved`` (sum of p(1-p)).
    """

    trials: int
    moved: int
    expected: float
    variance: float

    @property
    def rate(self) -> float:
        """Share of the trials that moved."""
        return self.moved / self.trials


def _churn(model: MarketModel) -> Churn:
    """Run a two-lab model to its horizon and count moves between the labs against the logit oracle.

    Oracle (docs/theory.md §10 step 3): a consumer at lab a who qualifies both models moves to lab b
    with probability exp((u_b - s) / lam) / (exp(u_a / lam) + exp((u_b - s) / lam) + exp(u_0 / lam)),
    u = -ln R - price_sensitivity * price_adj, u_0 = -ln R_front + outside_option, s = the switching cost.
    """
    cons, lam = model.scenario.consumers, model.scenario.market.logit_lambda
    outside = model.scenario.market.outside_option
    people = model.consumer_market
    assert isinstance(people, ConsumerPopulation) and len(model.firms) == 2
    trials = moved = 0
    expected = variance = 0.0
    while model.running and model.steps < model.n_periods:
        before = people.choice.copy()
        model.step()
        a, b = model.firms
        if not (a.offering and b.offering):
            continue
        u = {f.unique_id: -np.log(f.deployed.R) - cons.price_sensitivity * f.price_adj for f in (a, b)}
        u0 = -np.log(min(a.deployed.R, b.deployed.R)) + outside
        both = people.tau >= max(a.deployed.R, b.deployed.R)
        for here, there in ((a, b), (b, a)):
            mask = both & (before == here.unique_id)
            w_move = np.exp((u[there.unique_id] - cons.switching_cost) / lam)
            p = w_move / (np.exp(u[here.unique_id] / lam) + w_move + np.exp(u0 / lam))
            n = int(mask.sum())
            trials += n
            moved += int(np.count_nonzero(people.choice[mask] == there.unique_id))
            expected += n * p
            variance += n * p * (1 - p)
    return Churn(trials, moved, expected, variance)


def test_switching_cost_sets_the_churn_between_two_labs_as_the_logit_predicts() -> None:
    # switching cost 0.3 ln-R units at lambda 0.3 multiplies the odds of moving by e^-1: over these
    # labs' models and prices (1.0 vs 1.2, outside option -1) the oracle gives a customer of either
    # lab a probability of moving of 0.232 (measured) instead of 0.44 without it. Over ~5,400
    # consumer-periods the count must lie within 5 binomial standard deviations (~0.006 in rate) of
    # the oracle; without the switching cost it would exceed it by ~1,100 (~35 standard deviations).
    churn = _churn(_two_labs(**{"consumers.switching_cost": 0.3}))
    assert churn.trials > 4000
    assert abs(churn.moved - churn.expected) < 5 * np.sqrt(churn.variance), churn
    assert 0.21 < churn.expected / churn.trials < 0.25


def test_switching_cost_lowers_churn_against_a_run_without_it() -> None:
    # Same seed and labs, switching cost 0.3 vs 0: the share of customers changing lab per period
    # falls from 0.43 to 0.22 (measured); require a gap of at least 0.15.
    with_cost = _churn(_two_labs(**{"consumers.switching_cost": 0.3}))
    without = _churn(_two_labs(**{"consumers.switching_cost": 0.0}))
    assert abs(without.moved - without.expected) < 5 * np.sqrt(without.variance), without
    assert without.rate - with_cost.rate > 0.15, (without.rate, with_cost.rate)


# -- consumer surplus --------------------------------------------------------------------------------


def _surplus_oracle(model: MarketModel) -> float:
    """This period's consumer surplus, dollars: per adopter (R_ref / R)^kappa (ln(R_front / R) -
    outside_option) / price_sensitivity - price paid (R of the chosen model; docs/theory.md §11),
    summed over simulated consumers and scaled by the people each one stands for."""
    cons = model.scenario.consumers
    people = model.consumer_market
    assert isinstance(people, ConsumerPopulation)
    total = 0.0
    for firm in model.firms:
        mine = people.choice == firm.unique_id
        if mine.any():
            factor = (model.value_reference_loss / firm.deployed.R) ** cons.value_exponent
            # the best model on sale this period: every firm priced by this period's pricing stage
            front = min(f.deployed.R for f in model.firms if f.deployed is not None and np.isfinite(f.price))
            gain = (np.log(front / firm.deployed.R) - model.scenario.market.outside_option) / cons.price_sensitivity
            total += float(np.count_nonzero(mine) * (factor * gain - firm.price))
    return total * model.state.population / cons.count


def _surplus_path(population: float) -> tuple[np.ndarray, np.ndarray]:
    """(model.csv consumer_surplus, oracle) per period for two fixed_growth labs, 3,000 consumers."""
    model = _two_labs(**{"consumers.count": 3000, "consumers.population": population})
    reported, oracle = [], []
    while model.running and model.steps < model.n_periods:
        model.step()
        reported.append(model.stats.consumer_surplus)
        oracle.append(_surplus_oracle(model))
    assert np.array_equal(reported, model.model_table()["consumer_surplus"].to_numpy())
    return np.array(reported), np.array(oracle)


def test_consumer_surplus_is_the_adopters_surplus_scaled_to_people() -> None:
    # Both labs charge a quality-adjusted price (1.0, 1.2) below -outside_option / price_sensitivity
    # = 2 reference dollars, so every adopter gains and every period's surplus is positive.
    reported, oracle = _surplus_path(5.0e9)
    assert len(reported) == 8 and np.all(oracle > 0)
    np.testing.assert_allclose(reported, oracle, rtol=1e-9)


def test_consumer_surplus_doubles_with_the_population_at_the_same_consumer_count() -> None:
    # fixed_growth labs decide without looking at the market, so the same seed gives the same
    # consumers and choices: each simulated consumer stands for twice the people, hence exactly
    # twice the surplus (a per-consumer total would stay the same).
    small, _ = _surplus_path(5.0e9)
    large, _ = _surplus_path(1.0e10)
    assert len(small) == 8 and np.all(small > 0)
    np.testing.assert_allclose(large, 2 * small, rtol=1e-12)
