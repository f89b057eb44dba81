"""The [uncertain] section: distributions, rank correlations, and the refusal of bad declarations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from _synthetic import MINI_SCENARIO_TOML

from marketsim.config import ScenarioError, load, load_scenario
from marketsim.config.uncertain import draw_parameters

GOOD = """
[uncertain]
"hardware.growth_per_year" = { dist = "lognormal", median = 1.35, p5 = 1.2, p95 = 1.55, source = "COT24" }
"data.stock_tokens" = { dist = "triangular", low = 1e14, mode = 3e14, high = 1e15 }
"firms[0].price" = { dist = "pert", low = 10, mode = 20, high = 40 }
"consumers.price_sensitivity" = { dist = "loguniform", median = 0.05, p5 = 0.02, p95 = 0.1 }
"consumers.sigma" = { dist = "uniform", low = 0.5, high = 1.5 }
"hardware.stall_year" = { dist = "discrete", values = [2025, 2026, 2027], weights = [1, 2, 1] }
correlations = [ { keys = ["hardware.growth_per_year", "data.stock_tokens"], rank = 0.6 },
                 { keys = ["consumers.sigma", "firms[0].price"], rank = -0.4 } ]
"""


def _write(tmp_path: Path, section: str, name: str = "u") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(MINI_SCENARIO_TOML.format(name=name) + section, encoding="utf-8")
    return path


def test_draws_follow_marginals_and_declared_rank_correlations(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, GOOD))
    draws = draw_parameters(scenario, 4000, seed=11)
    rank = draws.corr(method="spearman")
    # sampling error of a Spearman correlation at n = 4000 is about 0.015
    assert rank.loc["hardware.growth_per_year", "data.stock_tokens"] == pytest.approx(0.6, abs=0.05)
    assert rank.loc["consumers.sigma", "firms[0].price"] == pytest.approx(-0.4, abs=0.05)
    assert abs(rank.loc["hardware.growth_per_year", "consumers.sigma"]) < 0.06
    growth = draws["hardware.growth_per_year"]
    q5, q50, q95 = np.quantile(growth, [0.05, 0.5, 0.95])
    # centred on the median in logs; the interval's log-width sets the spread
    assert q50 == pytest.approx(1.35, rel=0.005) and np.log(q95 / q5) == pytest.approx(np.log(1.55 / 1.2), rel=0.03)
    sensitivity = draws["consumers.price_sensitivity"]
    assert np.quantile(sensitivity, [0.05, 0.5, 0.95]) == pytest.approx([np.sqrt(0.02 * 0.1) / 2, 0.05, np.sqrt(0.02 * 0.1) * 2.5], rel=0.03)
    assert draws["data.stock_tokens"].between(1e14, 1e15).all()
    assert np.median(draws["firms[0].price"]) == pytest.approx(stats.beta.median(1 + 4 * 10 / 30, 5 - 4 * 10 / 30) * 30 + 10, rel=0.02)
    shares = draws["hardware.stall_year"].value_counts(normalize=True)
    assert set(shares.index) == {2025, 2026, 2027} and shares[2026] == pytest.approx(0.5, abs=0.02)
    assert all(isinstance(v, int) for v in draws["hardware.stall_year"])


def test_same_seed_same_draws_other_seed_other_draws(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, GOOD))
    first = draw_parameters(scenario, 50, seed=3)
    assert first.equals(draw_parameters(scenario, 50, seed=3))
    assert not first.equals(draw_parameters(scenario, 50, seed=4))
    sobol = draw_parameters(scenario, 64, seed=3, sampler="sobol")
    assert len(sobol) == 64 and sobol["consumers.sigma"].between(0.5, 1.5).all()


@pytest.mark.parametrize(("entry", "expected"), [
    ('"hardware.growth_per_year" = { dist = "lognormal", median = 1.7, p5 = 1.2, p95 = 1.55 }',
     'uncertain["hardware.growth_per_year"].median = 1.7: must lie inside the 90% interval: p5 (1.2) < median < p95 (1.55)'),
    ('"data.stock_tokens" = { dist = "triangular", low = 1e15, mode = 3e14, high = 1e14 }',
     'uncertain["data.stock_tokens"].low = 1000000000000000.0: must be < high (1e+14)'),
    ('"consumers.sigma" = { dist = "normal", low = 1, high = 2 }',
     'uncertain["consumers.sigma"].dist = "normal": must be one of "lognormal", "loguniform", "triangular", "pert", '
     '"uniform", "discrete"'),
    ('"consumers.sigma" = { dist = "uniform", low = 1, high = 2, mode = 1.5 }',
     'uncertain["consumers.sigma"].mode: unknown key for dist = "uniform" (allowed: dist, low, high, source)'),
    ('"consumers.sigma" = { dist = "pert", low = 1, high = 2 }',
     'uncertain["consumers.sigma"].mode: required key is missing for dist = "pert" (allowed: dist, low, mode, high, source)'),
    ('"hardware.growth_per_yer" = { dist = "uniform", low = 1.1, high = 1.2 }',
     'uncertain["hardware.growth_per_yer"]: is not a key of the scenario (hardware.growth_per_yer: unknown key (allowed: '
     'flop_per_dollar, growth_per_year'),
    ('"meta.name" = { dist = "uniform", low = 1, high = 2 }',
     'uncertain["meta.name"]: must name a numeric key of the scenario'),
    ('"consumers.switching_cost" = { dist = "uniform", low = -1, high = 2 }',
     'uncertain["consumers.switching_cost"]: draws from -0.997 to 1.997 (0.1% to 99.9%) but the key must be >= 0 and <= 100'),
    ('"consumers.count" = { dist = "discrete", values = [100, 200.5] }',
     'uncertain["consumers.count"].values = [100, 200.5]: must be integers: the key is an integer'),
    ('"consumers.sigma" = { dist = "discrete", values = [1, 2], weights = [1] }',
     'uncertain["consumers.sigma"].weights = [1]: must be an array of 2 numbers > 0 (one per value)'),
    ('"a.b" = { dist = "uniform", low = 1, high = 2 }\n"consumers.sigma" = { dist = "uniform", low = 1, high = 2 }\n'
     '"data.stock_growth_per_year" = { dist = "uniform", low = 1, high = 2 }\n'
     'correlations = [ { keys = ["consumers.sigma", "data.stock_growth_per_year"], rank = 0.9 },'
     '{ keys = ["consumers.sigma", "a.b"], rank = 0.9 }, { keys = ["a.b", "data.stock_growth_per_year"], rank = -0.9 } ]',
     'uncertain.correlations: must make a positive definite correlation matrix'),
    ('"consumers.sigma" = { dist = "uniform", low = 1, high = 2 }\n'
     'correlations = [ { keys = ["consumers.sigma", "data.efficiency"], rank = 0.5 } ]',
     'uncertain.correlations[0].keys = [\'consumers.sigma\', \'data.efficiency\']: must name two different keys declared in '
     '[uncertain] (declared: "consumers.sigma")'),
])
def test_bad_declarations_are_refused_with_file_key_and_what_is_allowed(tmp_path: Path, entry: str, expected: str) -> None:
    path = _write(tmp_path, "\n[uncertain]\n" + entry + "\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f"{path}: {expected}" in str(caught.value)


def test_validate_command_reports_a_bad_distribution(tmp_path: Path) -> None:
    from _cli import invoke

    path = _write(tmp_path, '\n[uncertain]\n"consumers.sigma" = { dist = "uniform", low = 2, high = 1 }\n')
    result = invoke("validate", str(path), cwd=tmp_path)
    assert result.exit_code == 2
    assert f'{path}: uncertain["consumers.sigma"].low = 2: must be < high (1)' in result.output


def test_section_works_in_a_file_that_extends_baseline(tmp_path: Path) -> None:
    path = tmp_path / "child.toml"
    path.write_text('extends = "baseline"\n[meta]\nname = "child"\n[uncertain]\n'
                    '"hardware.growth_per_year" = { dist = "uniform", low = 1.2, high = 1.5 }\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.uncertain is not None and scenario.uncertain.keys == ["hardware.growth_per_year"]
    assert draw_parameters(scenario, 10, 0)["hardware.growth_per_year"].between(1.2, 1.5).all()
    bundled = load("uncertain_baseline")
    assert bundled.uncertain is not None and "hardware.stall_year" in bundled.uncertain.keys
    assert all(d.source for d in bundled.uncertain.distributions)  # every distribution says where it comes from


def test_scenario_with_section_round_trips_through_a_dump(tmp_path: Path) -> None:
    from marketsim.experiments.run import with_seed

    scenario = load_scenario(_write(tmp_path, GOOD))
    assert with_seed(scenario, 99).uncertain == scenario.uncertain
