"""`marketsim statics`: comparative statics measured in the simulated market, and the stand-alone
optimizer problem of a scenario (`marketsim theory FILE`, `marketsim optimize FILE`).

Oracles (docs/theory.md): in a frictionless one-firm power market (a lognormal market whose share is
saturated, so revenue = M p (R_ref/R)^k, training cost only) the per-generation slopes in E are
a/(1-eps), (1-a)/(1-eps), eps/(1-eps), 1/(1-eps) with eps = k gamma (§2.2-2.3), the rho_D elasticities
of N and spend are s_N and s_S (§3), and at the cap the data-bound spend slopes are -1 in E and
1 + beta/alpha in D_bar (§4). Tolerance: 0.02 on every slope (the optimizer solves each generation to
~1e-6 in ln N, ln D; generations differ only by E, rho_D or D_bar).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketsim.config import load_scenario
from marketsim.config.standalone import standalone_problem
from marketsim.economics.statics import check_claims
from marketsim.experiments.statics import FITS, Design, fixed_effects_slope, measure_statics
from marketsim.experiments.statics.generations import classify_regime, generation_table
from marketsim.sim.model import MarketModel
from tests._cli import invoke, marked_folder

#: Tolerance of the simulated slopes against the closed forms (see module docstring).
SLOPE_TOL = 0.02

#: One profit-optimal firm, fixed price, no serving or data cost, every consumer qualifies (median
#: threshold 1000 nats, sigma 0.01): the power market with k = value_exponent. Budget never binds. The
#: stock grows 30% a year, so a firm at the data wall trains again (more than one data-bound generation).
POWER_TOML = """\
[meta]
name = "power_one_firm"
seed = 1
start_year = 2025
years = 6
periods_per_year = 2

[hardware]
flop_per_dollar = 1e18
growth_per_year = 1.38

[data]
stock_tokens = 1e16
stock_growth_per_year = 1.3

[consumers]
count = 50
population = 1e6
population_growth_per_year = 1.0
family = "lognormal"
median_threshold = 1000.0
sigma = 0.01
value_exponent = 2.5
tokens_per_adopter_per_period = 0.0
price_sensitivity = 0.05

[[firms]]
name = "Solo"
strategy = "profit_optimal"
pricing = "fixed"
price = {price}
cash = 1e15
credit_limit = -1e15
retrain_every_periods = 2
training_lag_periods = 0
horizon_periods = 2
"""
#: Price (dollars per adopter per period at R_ref = 1000 nats): (R_ref/R)^2.5 ~ 1e11 at R ~ 0.03,
#: so this gives a spend of order $1e6-1e8.
POWER_PRICE = 1e-7


def _power_file(folder: Path) -> Path:
    path = folder / "power_one_firm.toml"
    path.write_text(POWER_TOML.format(price=POWER_PRICE), encoding="utf-8")
    return path


def _closed_forms(path: Path) -> dict[str, float]:
    law = load_scenario(path).scaling.law()
    alpha, beta, k = law.alpha, law.beta, 2.5
    eps = k * law.gamma
    a = beta / (alpha + beta)
    return {"slope_N_E": a / (1 - eps), "slope_D_E": (1 - a) / (1 - eps), "slope_spend_E": eps / (1 - eps),
            "slope_compute_E": 1 / (1 - eps), "elasticity_N_rhoD": a / (1 - eps),
            "elasticity_spend_rhoD": eps / (1 - eps), "databound_slope_spend_E": -1.0,
            "databound_slope_spend_Dbar": 1 + beta / alpha}


@pytest.fixture(scope="module")
def power_result(tmp_path_factory: pytest.TempPathFactory):
    path = _power_file(tmp_path_factory.mktemp("power"))
    return path, measure_statics(path, design=Design(generations=2), workers=1, progress=False)


# -- fast unit tests --------------------------------------------------------------------------------

def test_fixed_effects_slope_recovers_a_known_slope_despite_generation_levels() -> None:
    rng = np.random.default_rng(0)
    x = np.tile([1.0, 2.0, 4.0, 8.0], 3)
    gen = np.repeat([0, 1, 2], 4)
    # generation levels differ by factors of 100: a pooled fit without fixed effects would be wrong
    y = 100.0 ** gen * x ** 0.9 * np.exp(rng.normal(0, 0.01, x.size))
    fit = fixed_effects_slope(x * 3.0 ** gen, y, gen)
    assert fit.slope == pytest.approx(0.9, abs=0.03)
    assert fit.interval[0] < fit.slope < fit.interval[1] and fit.interval[1] - fit.interval[0] < 0.1
    assert fit.generations_used == 3 and fit.points == 12
    # one point per generation identifies nothing
    lone = fixed_effects_slope([1.0, 2.0], [1.0, 3.0], [0, 1])
    assert lone.slope is None and lone.generations_used == 0


def test_classify_regime_matches_the_binding_constraint() -> None:
    assert classify_regime(N=1e10, D=1e12, D_bar=1e13, N_match=5e10) == "compute-bound"
    assert classify_regime(N=1e10, D=1e13, D_bar=1e13, N_match=5e10) == "data-bound"
    assert classify_regime(N=5e10, D=1e13, D_bar=1e13, N_match=5e10) == "capped"


def test_generation_table_finds_each_training_start_and_its_model() -> None:
    law = load_scenario(Path("scenarios/baseline.toml")).scaling.law()
    firms = pd.DataFrame({"step": [0, 1, 2, 3, 4], "firm": ["A"] * 5,
                          "N": [1e9, 1e9, 1e9, 2e9, 2e9], "D": [1e11, 1e11, 1e11, 1e12, 1e12],
                          "training_cost": [6e20 / 1e18, 0, 1.2e22 / 1e18, 0, 0]})
    model = pd.DataFrame({"step": range(5), "year": [2025.0, 2025.25, 2025.5, 2025.75, 2026.0],
                          "E": [1e18] * 5, "data_stock": [1e12] * 5, "rho_D": [1.0] * 5})
    table = generation_table(firms, model, law)
    assert list(table["generation"]) == [0, 1] and list(table["start_step"]) == [0, 2]
    assert list(table["N"]) == [1e9, 2e9]  # the second model goes on sale a period after its start
    assert table["regime"].iloc[0] == "compute-bound" and table["regime"].iloc[1] in ("data-bound", "capped")


def test_check_claims_uses_the_issue_ranges() -> None:
    good = {"slope_N_E": 0.9, "slope_D_E": 0.9, "slope_compute_E": 1.8, "elasticity_N_rhoD": 0.5,
            "elasticity_spend_rhoD": 0.3, "databound_slope_spend_E": -1.1, "databound_slope_spend_Dbar": 2.15}
    assert all(check_claims(good).values())
    assert not check_claims({**good, "slope_compute_E": 2.0})["compute_subquadratic_in_E"]
    assert not check_claims({**good, "slope_compute_E": 1.45})["compute_subquadratic_in_E"]
    assert not check_claims({**good, "databound_slope_spend_Dbar": 2.25})["databound_spend_D2_over_E"]
    assert not check_claims({**good, "elasticity_spend_rhoD": None})["data_efficiency_raises_spend"]


def test_standalone_problem_is_the_first_simulated_decision(tmp_path: Path) -> None:
    path = _power_file(tmp_path)
    problem = standalone_problem(load_scenario(path))
    opt = problem.optimize()
    first = MarketModel(path, overrides=["meta.years=0.5"]).run().firm_table().iloc[0]
    assert first["N"] == pytest.approx(opt.N, rel=1e-6) and first["D"] == pytest.approx(opt.D, rel=1e-6)
    assert first["training_cost"] == pytest.approx(opt.training_cost, rel=1e-6)
    assert problem.E == 1e18 and problem.T == 0.0 and problem.D_bar == pytest.approx(1e16)
    later = standalone_problem(load_scenario(path), t=2.0)
    assert later.E == pytest.approx(1e18 * 1.38**2) and later.D_bar == pytest.approx(1e16 * 1.3**2)


def test_theory_and_optimize_take_a_scenario_file(tmp_path: Path) -> None:
    path = _power_file(tmp_path)
    out = invoke("optimize", str(path), "--json", cwd=tmp_path)
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout)
    opt = standalone_problem(load_scenario(path)).optimize()
    assert record["N"] == pytest.approx(opt.N, rel=1e-9) and record["E"] == 1e18
    assert record["standalone_problem"]["firm"] == "Solo"
    for command in ("theory", "optimize", "statics"):
        missing = invoke(command, str(tmp_path / "nope.toml"), cwd=tmp_path)
        assert missing.exit_code == 2 and "no such file" in missing.stderr, command
    both = invoke("theory", str(path), "--variant", "default", cwd=tmp_path)
    assert both.exit_code == 2 and "not both" in both.stderr
    nope = invoke("statics", str(path), "--set", 'firms.0.strategy="nope"', "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert nope.exit_code == 2 and 'firms[0].strategy = "nope"' in nope.stderr and not (tmp_path / "o").exists()
    workers = invoke("statics", str(path), "--workers", "0", cwd=tmp_path)
    assert workers.exit_code == 2 and "--workers must be >= 1" in workers.stderr


@pytest.mark.slow
def test_bare_theory_says_which_variant_it_uses(tmp_path: Path) -> None:
    bare = invoke("theory", cwd=tmp_path)
    assert bare.exit_code == 0 and "No scenario given: variant 'default'" in bare.stdout


# -- the simulated market (one run of the design, shared) --------------------------------------------

@pytest.mark.slow
def test_simulated_statics_recover_the_power_market_closed_forms(power_result) -> None:
    path, result = power_result
    expected = _closed_forms(path)
    for key, value in expected.items():
        fit = result.fits[key]
        assert fit.slope == pytest.approx(value, abs=SLOPE_TOL), key
        assert fit.generations_used == 2, key
        lo, hi = fit.interval
        assert lo - SLOPE_TOL <= value <= hi + SLOPE_TOL, key
    # the stand-alone optimizer predicts the same slopes on the same design
    predicted = result.prediction.as_json()
    for key, value in expected.items():
        assert predicted[key] == pytest.approx(value, abs=SLOPE_TOL), key
    points = result.points
    assert set(points.loc[points["group"].isin(["E", "rho_D"]), "regime"]) == {"compute-bound"}
    assert set(points.loc[points["group"].str.startswith("databound"), "regime"]) == {"capped"}
    assert result.claims["databound_spend_D2_over_E"] and result.claims["data_efficiency_raises_spend"]


@pytest.mark.slow
def test_statics_json_has_the_theory_keys(power_result) -> None:
    _, result = power_result
    out = result.as_json()
    for key in FITS:
        assert key in out and isinstance(out[key], float)
        assert set(out["fits"][key]) >= {"slope", "interval_90", "generations_used", "points", "optimizer"}
    assert set(out["claims"]) == set(check_claims({}))
    assert set(out["optimizer"]) >= set(FITS) | {"claims"}
    json.dumps(out, allow_nan=False)  # strict JSON


@pytest.mark.slow
def test_statics_cli_writes_its_folder_and_respects_force(tmp_path: Path) -> None:
    path = _power_file(tmp_path)
    out = tmp_path / "st"
    done = invoke("statics", str(path), "--json", "--out", str(out), "--generations", "1", "--workers", "1",
                  "--no-progress", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    record = json.loads(done.stdout)
    assert set(FITS) <= set(record) and record["design"]["generations"] == 1
    assert {p.name for p in out.iterdir()} == {"statics.json", "statics_points.csv", "columns.csv", "statics.png",
                                               "marketsim-manifest.json"}
    points = pd.read_csv(out / "statics_points.csv")
    described = pd.read_csv(out / "columns.csv")
    assert list(described["column"]) == list(points.columns)
    again = invoke("statics", str(path), "--out", str(out), cwd=tmp_path)
    assert again.exit_code == 2 and "exists" in again.stderr
    foreign = marked_folder(tmp_path / "foreign", "x.txt")
    (foreign / "marketsim-manifest.json").unlink()
    refused = invoke("statics", str(path), "--out", str(foreign), "--force", cwd=tmp_path)
    assert refused.exit_code == 2 and (foreign / "x.txt").exists()


@pytest.mark.slow
def test_paper_window_scenario_shows_every_claim_in_the_simulated_market() -> None:
    """The bundled counterfactual (docs/theory.md §6.1) meets every claim in the ABM itself, and the
    simulated slopes agree with the stand-alone optimizer's prediction for the same scenario."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "paper_window.toml"
    out = measure_statics(path, design=Design(generations=2), workers=2, progress=False).as_json()
    assert all(out["claims"].values()), out["claims"]
    assert 0.8 <= out["slope_N_E"] <= 1.05 and 0.8 <= out["slope_D_E"] <= 1.05
    assert 1.5 <= out["slope_compute_E"] < 2.0 and out["elasticity_spend_rhoD"] > 0
    for key in ("slope_N_E", "slope_D_E", "slope_compute_E", "elasticity_spend_rhoD"):
        fit = out["fits"][key]
        assert fit["generations_used"] >= 2
        assert fit["slope"] == pytest.approx(fit["optimizer"], abs=0.03)
