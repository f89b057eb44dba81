"""Parameter efficiency rho_N in the simulation (docs/theory.md §1.1 and §3).

The loss law is R = A (rho_N N)^-alpha + B (rho_D D)^-beta. A constant rho_N is therefore exactly the
law with A scaled by rho_N^-alpha: A (rho_N N)^-alpha = (A rho_N^-alpha) N^-alpha. A scenario with
``scaling.parameter_efficiency = 2`` must train the same models (N, D), reach the same reducible loss R
and win the same adopters as the scenario with rho_N = 1 and ``scaling.A`` times 2^-alpha, period by
period; a simulation that left rho_N out of the firms' decisions, of a trained model's R or of the
data cap N_match would break the equivalence. The path rho_N(t) is model.csv's ``rho_N``; the
stand-alone problem of a scenario carries it; the default (no keys) is rho_N = 1.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from marketsim.config import ScenarioError, scenario_from_dict
from marketsim.config.standalone import StandaloneProblem, standalone_problem
from marketsim.economics.optimizer import optimize
from marketsim.sim.model import MarketModel
from marketsim.sim.strategies import ProfitOptimal, decide
from marketsim.sim.world import GrowthPath, World

RHO_N = 2.0
RICH = {"cash": 1e12, "credit_limit": -1e12}  # finance that never binds


def _sections(scaling: dict[str, Any] | None = None, years: float = 6.0, stock: float = 2.4e14,
              stock_growth: float = 1.6) -> dict[str, Any]:
    """A small market close to scenarios/baseline.toml (hardware, demand) with a data stock that binds
    (raw cap 2e14 tokens at the start; growing 1.6x a year the profit-optimal labs retrain at the wall
    every cycle, fixed they keep their models at the wall), two profit-optimal labs, a fixed-growth lab
    (compute-optimal plans, data-capped) and an open-weights follower of lab A (a fraction of A's
    model, data-capped)."""
    return {
        "meta": {"name": "rho-N", "seed": 5, "start_year": 2025, "years": years, "periods_per_year": 4},
        "scaling": dict(scaling or {}),
        "hardware": {"flop_per_dollar": 7.1e17, "growth_per_year": 1.38},
        "data": {"stock_tokens": stock, "stock_growth_per_year": stock_growth, "efficiency": 1.2},
        "consumers": {"count": 1500, "population": 5e9, "median_threshold": 0.035, "sigma": 1.0,
                      "value_exponent": 2.5, "tokens_per_adopter_per_period": 1e5,
                      "price_sensitivity": 0.05, "switching_cost": 0.1},
        "firms": [
            {"name": "A", "price": 1.0, "horizon_periods": 4, **RICH},
            {"name": "B", "price": 1.5, "horizon_periods": 4, **RICH},
            {"name": "F", "strategy": "fixed_growth", "initial_spend": 1e9, "price": 1.0, **RICH},
            {"name": "O", "strategy": "open_weights", "leader": "A", "lag_periods": 2, "compute_fraction": 0.3,
             "price": 0.0, **RICH},
        ],
    }


def _law_A() -> tuple[float, float]:
    """The default preset's A and alpha."""
    law = scenario_from_dict(_sections()).scaling.law()
    return law.A, law.alpha


def _trajectory(model: MarketModel) -> dict[str, np.ndarray]:
    """Per period and firm: the deployed model's N, D and R (0 without one) and the firm's adopters."""
    out: dict[str, list[list[float]]] = {"N": [], "D": [], "R": [], "adopters": []}
    for _ in range(model.scenario.n_periods):
        model.step()
        firms = sorted(model.firms, key=lambda f: f.name)
        out["N"].append([f.deployed.N if f.deployed else 0.0 for f in firms])
        out["D"].append([f.deployed.D if f.deployed else 0.0 for f in firms])
        out["R"].append([f.deployed.R if f.deployed else 0.0 for f in firms])
        out["adopters"].append([f.adopters for f in firms])
    return {key: np.array(value) for key, value in out.items()}


@pytest.fixture(scope="module", params=[1.6, 1.0], ids=["stock-grows", "stock-fixed"])
def pair(request) -> tuple[MarketModel, MarketModel, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The rho_N = 2 market and its A-scaled twin, each stepped to the end (growing or fixed stock)."""
    A, alpha = _law_A()
    growth = request.param
    efficient = MarketModel(scenario_from_dict(_sections({"parameter_efficiency": RHO_N}, stock_growth=growth)))
    scaled = MarketModel(scenario_from_dict(_sections({"A": A * RHO_N**-alpha}, stock_growth=growth)))
    return efficient, scaled, _trajectory(efficient), _trajectory(scaled)


def test_constant_rho_N_is_the_law_with_A_scaled(pair) -> None:
    efficient, scaled, got, want = pair
    assert efficient.state.rho_N == RHO_N and scaled.state.rho_N == 1.0
    for key in ("N", "D", "R", "adopters"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=0.0, err_msg=key)
    # the run is not trivial: every firm trains, the data cap binds, consumers adopt
    assert (got["N"][-1] > 0).all() and got["adopters"].sum() > 0
    trainings = efficient.firm_table().groupby("firm").training_cost.apply(lambda c: (c > 0).sum())
    if efficient.scenario.data.stock_growth_per_year > 1:
        assert (trainings >= 5).all()
    else:  # the fixed-growth lab runs into the cap (its plan is data-capped), the labs keep models at the wall
        assert (trainings >= 1).all() and (efficient.firm_table().query("firm == 'F'").regime == "capped").any()
        assert efficient.firm_table().decision.str.startswith("kept: at the data wall").any()
    assert {"capped", "compute-bound"} <= set(efficient.firm_table().regime)  # N_match binds, and not only
    a, b = efficient.firm_table(), scaled.firm_table()
    for column in ("N", "D", "loss", "adopters", "training_cost", "price"):
        np.testing.assert_allclose(a[column], b[column], rtol=1e-9, err_msg=column)
    assert a.regime.tolist() == b.regime.tolist() and a.decision.tolist() == b.decision.tolist()


def test_the_decision_is_the_same_with_A_scaled() -> None:
    """The profit-optimal decision itself (:func:`~marketsim.sim.strategies.decide`) with rivals on sale:
    a new model (damped best response), and keeping the deployed one valued at today's rho_N."""
    A, alpha = _law_A()
    model = MarketModel(scenario_from_dict(_sections({"parameter_efficiency": RHO_N}, stock=1e17)))
    for _ in range(2):
        model.step()
    scaled_law = dataclasses.replace(model.law, A=A * RHO_N**-alpha)
    ctx = ProfitOptimal.context(model.firms[0])
    assert ctx.rho_N == RHO_N and ctx.rival_R and ctx.damping < 1 and ctx.current is not None
    for changes in ({"current": None, "current_R": None, "warm_start": None}, {"current_R": None}):
        here = dataclasses.replace(ctx, **changes)
        twin = dataclasses.replace(here, law=scaled_law, rho_N=1.0)
        got, want = decide(here), decide(twin)
        assert got.reason == want.reason
        # rel 1e-7: the two calls are separate 2-D searches, each stopping within ~1e-9 of the optimum in
        # ln N (L-BFGS-B, gtol 1e-11); leaving rho_N out anywhere moves R by ~2^-alpha, tens of percent
        for field in ("N", "D", "R", "profit", "revenue"):
            assert getattr(got.candidate, field) == pytest.approx(getattr(want.candidate, field), rel=1e-7), field
    assert decide(dataclasses.replace(ctx, current=None, current_R=None)).chosen is not None  # it trains


def test_keeping_a_model_at_the_wall_values_it_at_today_s_rho_N() -> None:
    """At a fixed data stock a lab keeps its model: nothing the stock allows beats it. Re-evaluating the
    deployed (N, D) at today's rho_N (``current_R = None``) must give the same decision as the R fixed
    at training (rho_N is constant here); ignoring rho_N there would overstate its loss and retrain."""
    model = MarketModel(scenario_from_dict(_sections({"parameter_efficiency": RHO_N}, stock_growth=1.0)))
    lab = model.firms[0]
    while not lab.decision.startswith("kept: at the data wall"):
        assert model.steps < model.scenario.n_periods, "the lab never keeps its model at the wall"
        model.step()
    ctx = ProfitOptimal.context(lab)  # later in the same period (rivals have set prices since): still at the wall
    assert ctx.current_R == pytest.approx(model.law.reducible_loss(*ctx.current, rho_N=RHO_N, rho_D=ctx.rho_D))
    assert decide(ctx).reason == decide(dataclasses.replace(ctx, current_R=None)).reason == lab.decision


def test_rho_N_changes_the_market(pair) -> None:
    """The same scenario at rho_N = 1 trains other models: the equivalence above is not vacuous."""
    _, _, got, _ = pair
    plain = _trajectory(MarketModel(scenario_from_dict(_sections())))
    assert not np.allclose(plain["N"], got["N"], rtol=1e-3)
    # better parameter efficiency gives lower reducible loss for the first model (same (N, D) or better)
    assert got["R"][0, 0] < plain["R"][0, 0]


def test_model_csv_rho_N_follows_its_growth_path() -> None:
    scn = scenario_from_dict(_sections({"parameter_efficiency": 0.5, "parameter_efficiency_growth_per_year": 1.6},
                                       years=2.0))
    table = MarketModel(scn).run().model_table()
    t = (table.year - 2025).to_numpy()
    np.testing.assert_allclose(table.rho_N, 0.5 * 1.6**t, rtol=1e-12)
    np.testing.assert_allclose(table.rho_N, GrowthPath(0.5, 1.6).value(t), rtol=1e-14)
    assert World.from_scenario(scn).at(1.25).rho_N == pytest.approx(0.5 * 1.6**1.25, rel=1e-14)
    np.testing.assert_allclose(table.rho_D, 1.2, rtol=0)  # rho_D has its own path


def test_the_data_cap_ignores_rho_N() -> None:
    """rho_N does not touch data: the raw cap is data_stock / rho_D whatever rho_N is."""
    efficient = MarketModel(scenario_from_dict(_sections({"parameter_efficiency": 3.0}, years=0.5)))
    plain = MarketModel(scenario_from_dict(_sections(years=0.5)))
    assert efficient.raw_data_cap() == plain.raw_data_cap() == pytest.approx(2.4e14 / 1.2)


def test_standalone_problem_carries_rho_N() -> None:
    scn = scenario_from_dict(_sections({"parameter_efficiency": RHO_N, "parameter_efficiency_growth_per_year": 1.5}))
    problem = standalone_problem(scn)
    assert problem.rho_N == RHO_N and problem.as_dict()["rho_N"] == RHO_N and "rho_N = 2" in problem.describe()
    assert standalone_problem(scn, t=2.0).rho_N == pytest.approx(RHO_N * 1.5**2, rel=1e-12)
    opt = problem.optimize()
    oracle = optimize(problem.law, problem.demand, problem.E, T=problem.T, c_D=problem.c_D, D_bar=problem.D_bar,
                      closure=problem.closure, rho_N=RHO_N, rho_D=problem.rho_D)
    assert opt.N == pytest.approx(oracle.N, rel=1e-12) and opt.R == pytest.approx(oracle.R, rel=1e-12)
    plain = optimize(problem.law, problem.demand, problem.E, T=problem.T, c_D=problem.c_D, D_bar=problem.D_bar,
                     closure=problem.closure, rho_D=problem.rho_D)
    assert opt.N != pytest.approx(plain.N, rel=1e-6)  # (at the cap: half the parameters, the same R)
    # and it is the first simulated decision of the profit-optimal lab when it is alone
    solo = _sections({"parameter_efficiency": RHO_N}, years=0.25)
    solo["firms"] = solo["firms"][:1]
    first = MarketModel(scenario_from_dict(solo)).run().firm_table().iloc[0]
    alone = standalone_problem(scenario_from_dict(solo)).optimize()
    assert first["N"] == pytest.approx(alone.N, rel=1e-6) and first["D"] == pytest.approx(alone.D, rel=1e-6)


def test_default_is_rho_N_one() -> None:
    scn = scenario_from_dict(_sections(years=0.5))
    assert scn.scaling.parameter_efficiency == 1.0 and scn.scaling.parameter_efficiency_growth_per_year == 1.0
    assert isinstance(standalone_problem(scn), StandaloneProblem) and standalone_problem(scn).rho_N == 1.0
    assert (MarketModel(scn).run().model_table().rho_N == 1.0).all()


@pytest.mark.parametrize(("scaling", "key"), [
    ({"parameter_efficiency": 0.0}, "scaling.parameter_efficiency"),
    ({"parameter_efficiency": 1e13}, "scaling.parameter_efficiency"),
    ({"parameter_efficiency_growth_per_year": 0.0}, "scaling.parameter_efficiency_growth_per_year"),
    # 1e11 x 10^6 over six years leaves the path's range (1e-6 to 1e12): the cross-field check names the growth
    ({"parameter_efficiency": 1e11, "parameter_efficiency_growth_per_year": 10.0},
     "scaling.parameter_efficiency_growth_per_year"),
])
def test_bad_values_name_the_key(scaling: dict[str, float], key: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_sections(scaling))
    assert key in str(info.value)
