"""Validation against the record: the trend check, the historical scenario and their commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.economics import get_variant, scaling_law
from marketsim.sim.regimes import TRAINED_RESEARCH
from marketsim.economics.trends import (ALGORITHMIC_GROWTH, DATA_STOCK_GROWTH, HARDWARE_GROWTH, TrendInputs,
                                        growth_per_year, spend_trend, trend_table)
from marketsim.experiments.validation import (RECORD, frontier_runs, history_metrics, load_historical, load_one_lab,
                                              profit_optimal_path, validate_history)

runner = CliRunner()
LAW = scaling_law("besiroglu2024")
EPS_K25 = 2.5 * LAW.gamma  # theory.md §2: revenue elasticity of effective compute, power market k = 2.5


# -- growth_per_year ----------------------------------------------------------------------------------------
def test_growth_per_year_recovers_a_geometric_series_and_drops_non_positive_points() -> None:
    years = np.arange(2016.0, 2026.0)
    values = 1e5 * 2.4 ** (years - 2016)
    values[0] = 0.0  # a year without training is left out, not taken as log(0)
    growth, local = growth_per_year(years, values)
    assert growth == pytest.approx(2.4, rel=1e-12)
    assert local == pytest.approx((2.4, 2.4), rel=1e-12)
    assert growth_per_year(years[:4], [0, 0, 1, 2]) == (None, None)


# -- trend paths -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_paths_put_the_measured_growth_into_E_and_rho(share: float) -> None:
    inputs = TrendInputs(rho_D_share=share)
    E, rho_N, rho_D = inputs.paths("continuing")
    np.testing.assert_allclose(E[1:] / E[:-1], HARDWARE_GROWTH)
    np.testing.assert_allclose((rho_N * rho_D)[1:] / (rho_N * rho_D)[:-1], ALGORITHMIC_GROWTH)
    np.testing.assert_allclose(np.log(rho_D[-1] / rho_D[0]), share * np.log(ALGORITHMIC_GROWTH) * inputs.years)
    assert rho_N[6] * rho_D[6] == pytest.approx(1.0)  # anchored at 2022


def test_stalled_paths_hold_what_stalls() -> None:
    inputs = TrendInputs()
    E, rho_N, rho_D = inputs.paths("hardware stalled")
    assert np.all(E == inputs.E_start)
    assert (rho_N * rho_D)[-1] / (rho_N * rho_D)[0] == pytest.approx(ALGORITHMIC_GROWTH**inputs.years)
    E, rho_N, rho_D = inputs.paths("all stalled")
    assert np.all(E == inputs.E_start) and np.ptp(rho_N) == 0 and np.ptp(rho_D) == 0


# -- trend check: closed forms of theory.md sections 2-4 -------------------------------------------------
def test_power_market_spend_growth_matches_the_closed_form() -> None:
    # Training-only power market: spend ~ (E rho_N rho_D)^(eps/(1-eps)) exactly (theory.md §2).
    result = spend_trend(get_variant("power_k2.5"), "compute-bound", "continuing")
    expected = (HARDWARE_GROWTH * ALGORITHMIC_GROWTH) ** (EPS_K25 / (1 - EPS_K25))
    assert result.growth == pytest.approx(expected, rel=1e-4)
    stalled = spend_trend(get_variant("power_k2.5"), "compute-bound", "hardware stalled")
    assert stalled.growth == pytest.approx(ALGORITHMIC_GROWTH ** (EPS_K25 / (1 - EPS_K25)), rel=1e-4)
    assert stalled.consistent  # algorithms alone still give ~2.3x/yr, inside 2.0-2.9


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_data_bound_spend_growth_matches_the_cap_closure(share: float) -> None:
    # Cap closure: spend = 6 N_match(D) D / E with N_match ~ (rho_D D)^(beta/alpha) / rho_N (theory.md §4).
    result = spend_trend(get_variant("power_k2.5"), "data-bound", "continuing", TrendInputs(rho_D_share=share))
    b_over_a = LAW.beta / LAW.alpha
    g_rho_D, g_rho_N = ALGORITHMIC_GROWTH**share, ALGORITHMIC_GROWTH ** (1 - share)
    expected = g_rho_D**b_over_a * DATA_STOCK_GROWTH ** (1 + b_over_a) / (g_rho_N * HARDWARE_GROWTH)
    assert result.regime_held
    assert result.growth == pytest.approx(expected, rel=1e-4)


@pytest.fixture(scope="module")
def full_table():
    return trend_table()


def test_only_permissive_compute_bound_variants_are_consistent(full_table) -> None:
    consistent = [r for r in full_table.results if r.consistent]
    assert consistent, "some permissive compute-bound variant should match 2.4x/yr"
    assert all(r.market == "permissive" and r.regime == "compute-bound" for r in consistent)
    assert ("default", "compute-bound", "continuing") in full_table.consistent_variants()
    for r in full_table.results:
        if r.regime == "data-bound" or r.market == "saturating" or r.efficiency == "all stalled":
            assert not r.consistent
            assert r.growth is None or r.growth < 1.6  # spend barely grows or falls


def test_trends_cli_reports_the_pattern() -> None:
    result = runner.invoke(app, ["trends", "--json", "--variant", "default", "--variant", "fixed_lognormal"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_case = {(r["variant"], r["regime"], r["efficiency"]): r for r in data["results"]}
    assert by_case[("default", "compute-bound", "continuing")]["consistent"] is True
    assert not by_case[("default", "data-bound", "continuing")]["consistent"]
    assert not any(r["consistent"] for r in data["results"] if r["variant"] == "fixed_lognormal")
    assert data["inputs"]["observed_ci"] == [2.0, 2.9]

    table = runner.invoke(app, ["trends", "--variant", "power_k2"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "power_k2" in table.output and "compute-bound" in table.output and "data-bound" in table.output


def test_trends_cli_rejects_bad_input() -> None:
    result = runner.invoke(app, ["trends", "--variant", "nope"])
    assert result.exit_code == 2
    assert "variant 'nope' is unknown: allowed default" in result.output
    result = runner.invoke(app, ["trends", "--rho-d-share", "1.5"])
    assert result.exit_code == 2
    assert "TrendInputs.rho_D_share = 1.5: must be in [0, 1]" in result.output


# -- frontier runs and metrics on hand-made tables ----------------------------------------------------------
def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two firms over 8 quarters from 2022; A trains at steps 0 and 4 (lag 1), B once at step 4."""
    years = 2022 + np.arange(8) / 4
    model = pd.DataFrame({"step": range(8), "year": years, "E": 1e18 * 1.5 ** (years - 2022),
                          "adoption_share": [0, .1, .1, .1, .1, .3, .3, .3]})
    rows = []
    for step, year in enumerate(years):
        a_cost = {0: 1e7, 4: 4e7}.get(step, 0.0)
        a_model = (1e10, 2e11) if step < 5 else (2e10, 5e11)
        rows.append(dict(step=step, year=year, firm="A", training_cost=a_cost, N=a_model[0] if step >= 1 else 0.0,
                         D=a_model[1] if step >= 1 else 0.0, revenue=1e6))
        rows.append(dict(step=step, year=year, firm="B", training_cost=1e6 if step == 4 else 0.0,
                         N=1e9 if step >= 5 else 0.0, D=1e10 if step >= 5 else 0.0, revenue=2e5))
    return model, pd.DataFrame(rows)


def test_frontier_runs_take_the_largest_run_and_its_released_model() -> None:
    model, firms = _tables()
    runs = frontier_runs(model, firms)
    assert runs["firm"].tolist() == ["A", "A"]
    assert runs["cost"].tolist() == [1e7, 4e7]
    assert runs["compute"].tolist() == pytest.approx([1e7 * 1e18, 4e7 * 1.5e18])
    assert runs["tokens_per_param"].tolist() == pytest.approx([20.0, 25.0])


def test_history_metrics_interpolate_in_logs_and_average_adoption() -> None:
    model, firms = _tables()
    m = history_metrics(model, firms)
    assert m["cost_2022"] == pytest.approx(np.sqrt(1e7 * 4e7))  # mid-2022 halfway between the runs
    assert m["tokens_per_param_2022"] == pytest.approx(np.sqrt(20 * 25))
    assert m["adoption_2023"] == pytest.approx(np.mean([.1, .3, .3, .3]))
    assert m["revenue_2024"] is None and m["cost_2024"] is None  # no periods / runs there
    assert m["spend_growth"] is None  # two runs are too few for a trend


# -- the historical scenario ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history():
    """The one-lab history (the world of the baseline's demand, tuned by the stand-in firm)."""
    return validate_history(load_one_lab())


@pytest.fixture(scope="module")
def labs():
    """The historical scenario: three labs with research budgets."""
    return validate_history()


def test_historical_spend_growth_lies_in_the_published_interval(history) -> None:
    growth = history.row("spend_growth").simulated
    assert RECORD["spend_growth"].low <= growth <= RECORD["spend_growth"].high  # COT24: 2.0-2.9


def test_historical_compute_growth_is_cost_growth_times_hardware_growth(history) -> None:
    # compute = cost x E(t) run by run, and E grows by a constant factor, so the log-linear fits add.
    expected = history.row("spend_growth").simulated * history.scenario.hardware.growth_per_year
    assert history.row("compute_growth").simulated == pytest.approx(expected, rel=1e-9)
    assert history.row("compute_growth").inside is False  # 3.2x/yr < EPTC24's 4-5x: stated in the report


def test_historical_scenario_is_on_its_calibration_targets(history) -> None:
    # Fails if someone edits scenarios/historical.toml without re-tuning (validate-history --calibrate).
    for row in history.rows:
        if row.target.kind == "calibrated":
            assert row.inside, (row.target.key, row.simulated, row.target.low, row.target.high)


def test_historical_record_rows_state_what_does_not_match(history) -> None:
    assert history.row("first_run_year").inside is False  # no training before adoption: said plainly
    assert "no lab here has a research budget" in history.row("first_run_year").note
    assert len(history.runs) >= 3 and history.runs["cost"].is_monotonic_increasing


def test_historical_market_has_three_labs_and_a_research_era(labs) -> None:
    s, firms = labs.scenario, labs.firms
    entries = [f.entry_year or s.meta.start_year for f in s.firms]
    assert len(s.firms) >= 3 and len(set(entries)) == len(entries)  # distinct entry dates
    assert all(f.research_budget > 0 for f in s.firms)
    research = firms[firms["decision"] == TRAINED_RESEARCH]
    assert set(research["firm"]) == {f.name for f in s.firms}  # every lab trains on outside money
    for year in range(2016, 2022):  # the record has frontier runs every year from 2016: so does the market
        assert ((research["year"] >= year) & (research["year"] < year + 1)).any(), year
    assert labs.row("first_run_year").simulated == s.meta.start_year and labs.row("first_run_year").inside
    for f in s.firms:  # no lab trains before it enters
        own = firms[(firms["firm"] == f.name) & (firms["training_cost"] > 0)]
        assert own["year"].min() >= (f.entry_year or s.meta.start_year), f.name
    # research runs are paid by outside money, booked as raised
    assert (research["raised"] >= research["training_cost"] * (1 - 1e-12)).all()


def test_historical_market_is_on_the_targets_its_calibration_matched(labs) -> None:
    # Fails if someone edits scenarios/historical.toml without re-calibrating (`marketsim calibrate historical`):
    # its point (the closest particle of the calibration) is inside these targets' bands of the record.
    from marketsim.experiments.calibration import measure_all
    from marketsim.experiments.validation.targets import load_targets

    targets = {t.key: t for t in load_targets()}
    got = measure_all(list(targets.values()), labs.model, labs.firms)
    for key in ("compute_growth_2020_2023", "cost_growth_2020_2023", "cost_growth_2016_2023",
                "tokens_per_param_dense_2023", "gpt3_cost", "gpt4_compute", "gpt4_cost", "adoption_2023",
                "adoption_2025", "first_run_year"):
        t = targets[key]
        assert (t.low is None or t.low <= got[key]) and got[key] <= t.high, (key, got[key], t.low, t.high)


def _research_tokens_per_param(report) -> pd.Series:
    firms = report.firms
    started = firms[firms["decision"] == TRAINED_RESEARCH]
    runs = frontier_runs(report.model, firms)  # the largest run of each step: keep those that are research runs
    research = runs.merge(started[["step", "firm"]], on=["step", "firm"])
    return research.set_index("year")["tokens_per_param"].dropna()


def test_split_efficiency_keeps_research_runs_near_the_compute_optimal_tokens_per_parameter(labs) -> None:
    # rho_N and rho_D grow alike, so the compute-optimal raw D/N stays near the BES24 optimum (~20) in
    # every year; with all algorithmic progress in rho_D (one-lab world's convention), raw D/N is that
    # optimum / rho_D: thousands in 2016 (the record: ~1-30).
    split = _research_tokens_per_param(labs)
    assert len(split) >= 6 and split.between(12, 30).all(), split
    s = labs.scenario
    one_channel = validate_history(load_historical([
        "scaling.parameter_efficiency=1", "scaling.parameter_efficiency_growth_per_year=1",
        f"data.efficiency={2.8 ** -6!r}", "data.efficiency_growth_per_year=2.8",
        f"data.stock_tokens={s.data.stock_tokens / s.data.efficiency * 2.8 ** -6!r}",
        f"data.stock_growth_per_year={s.data.stock_growth_per_year / s.data.efficiency_growth_per_year * 2.8!r}"]))
    data_only = _research_tokens_per_param(one_channel)
    assert data_only.iloc[0] > 1000 and data_only.is_monotonic_decreasing


def test_stand_in_firm_matches_the_agent_based_firm(history) -> None:
    path = profit_optimal_path(history.scenario)
    stand_in = path.loc[path["training_cost"] > 0, ["step", "training_cost"]].reset_index(drop=True)
    abm = history.runs[["step", "cost"]].reset_index(drop=True)
    assert stand_in["step"].tolist() == abm["step"].tolist()
    np.testing.assert_allclose(stand_in["training_cost"], abm["cost"], rtol=1e-3)


def test_stand_in_takes_the_firms_own_decisions(history) -> None:
    # The stand-in runs the firm's own strategy (decide_training at sim.pricing.planning_price, within
    # its budget) and pricing stage (sim.pricing.set_prices), and replays its cycle, so every period's
    # deployed model, training bill and price equal the agent-based firm's exactly.
    path = profit_optimal_path(history.scenario)
    firm = history.firms.sort_values("step").reset_index(drop=True)
    for column in ("N", "D", "training_cost", "price"):
        np.testing.assert_array_equal(path[column].to_numpy(float), firm[column].to_numpy(float), err_msg=column)
    # best-response prices: they move with the model on sale, not the fixed firms.0.price
    prices = path["price"].dropna()
    assert prices.nunique() > 5 and not np.isclose(prices, history.scenario.firms[0].price).any()


def test_stand_in_adoption_is_the_expected_value_of_the_simulated_one(history) -> None:
    # Same consumers (the model's threshold sample, same seed), expected choices instead of logit draws:
    # yearly adoption and revenue agree to the purchase-draw noise (~1/sqrt(adopting consumers), a few %).
    path = profit_optimal_path(history.scenario)
    model, firm = history.model, history.firms
    assert path["adoption_share"].iloc[-1] > 0.05  # the market has taken off by 2025
    for year in (2023, 2024, 2025):
        in_year = (path["year"] >= year) & (path["year"] < year + 1)
        assert path.loc[in_year, "adoption_share"].mean() == pytest.approx(
            model.loc[in_year, "adoption_share"].mean(), rel=0.03), year
        assert path.loc[in_year, "revenue"].sum() == pytest.approx(
            firm.loc[(firm["year"] >= year) & (firm["year"] < year + 1), "revenue"].sum(), rel=0.03), year
    # another seed draws other consumers: the decisions stay, the adoption moves with the sample
    other = profit_optimal_path(history.scenario, seed=12345)
    assert other["N"].tolist() == path["N"].tolist()
    assert not np.allclose(other["adoption_share"], path["adoption_share"])


def test_calibration_tunes_the_price_scale_of_the_firms_pricing() -> None:
    from marketsim.experiments.validation import CALIBRATION_TARGETS, calibration_targets

    best_response = calibration_targets(load_one_lab())
    assert best_response == CALIBRATION_TARGETS and best_response["consumers.price_sensitivity"] == "cost_2022"
    fixed = calibration_targets(load_one_lab(["firms.0.pricing=fixed"]))
    assert fixed == {"consumers.median_threshold": "adoption_2023", "consumers.sigma": "adoption_2025",
                     "firms.0.price": "cost_2022"}


def test_validate_history_cli(history, labs) -> None:
    result = runner.invoke(app, ["validate-history", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scenario"] == "historical"  # the three labs by default
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["spend_growth"]["simulated"] == pytest.approx(labs.row("spend_growth").simulated)
    one = json.loads(runner.invoke(app, ["validate-history", "--json", "--scenario", "historical_one_lab"]).output)
    rows = {r["key"]: r for r in one["rows"]}
    assert rows["spend_growth"]["simulated"] == pytest.approx(history.row("spend_growth").simulated)
    assert rows["spend_growth"]["verdict"] == "inside" and rows["cost_2022"]["verdict"] == "inside (calibrated)"
    table = runner.invoke(app, ["validate-history"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "frontier training cost growth" in table.output and "OUTSIDE" in table.output


def test_validate_history_rejects_a_scenario_that_misses_the_record_years() -> None:
    with pytest.raises(ValueError, match=r"covers 2016-2020: validate-history needs meta.start_year <= 2022 "
                                         r"and an end at or after 2026"):
        validate_history(load_one_lab(["meta.years=4"]))
    result = runner.invoke(app, ["validate-history", "--set", "meta.years=4"])
    assert result.exit_code == 2 and "validate-history needs" in result.output


def test_stand_in_needs_one_profit_optimal_firm() -> None:
    two = load_one_lab(["firms.0.strategy=fixed_growth"])
    with pytest.raises(ValueError, match=r"needs exactly one firm with strategy 'profit_optimal'"):
        profit_optimal_path(two)


def test_report_rejects_unknown_kind() -> None:
    result = runner.invoke(app, ["report", "nonsense"])
    assert result.exit_code == 2
    assert "report 'nonsense' is unknown: allowed validation" in result.output


# -- the tuning and the report writer (the full report: `marketsim report validation`, minutes) -------------
@pytest.mark.slow
def test_calibration_reproduces_the_scenario_values() -> None:
    from marketsim.experiments.validation import calibrate_history, calibration_targets
    from marketsim.experiments.validation import scenario_value as _get

    scenario = load_one_lab()
    # The search starts at the file's values (as the centre of a grid would) and stops at ~1% (a few
    # dozen runs of the stand-in firm, not hundreds): it must stay within 5% of them and hit the targets.
    # The file's values were tuned on the agent-based run; the stand-in takes the same decisions and
    # differs only by the purchase-draw noise of its adoption (a few %), hence the 5%.
    tuned = calibrate_history(scenario, grid_points=1, restarts=0, xatol=1e-2, fatol=1e-4)
    assert set(tuned.values) == set(calibration_targets(scenario))
    assert "consumers.price_sensitivity" in tuned.values  # best-response pricing: the price scale is the consumers'
    for key, (wanted, got) in tuned.targets.items():
        assert got == pytest.approx(wanted, rel=0.05), key
    for key in calibration_targets(scenario):
        assert tuned.values[key] == pytest.approx(_get(scenario, key), rel=0.05), key


def test_report_writes_markdown_and_figures(tmp_path, history) -> None:
    from marketsim.economics.trends import TrendInputs, trend_table
    from marketsim.experiments.validation import (CALIBRATION_TARGETS, ValidationResults, cost_checks,
                                                  kappa_sweep_row)
    from marketsim.experiments.validation import scenario_value as _get
    from marketsim.viz.validation_report import write_validation_report

    # A small fixture instead of the full computation: the historical run the tests above share, a
    # one-row kappa sweep at the scenario's own (tuned) values, the trend check for one variant and case.
    s = history.scenario
    sweep = pd.DataFrame([kappa_sweep_row(s.consumers.value_exponent,
                                          {key: _get(s, key) for key in CALIBRATION_TARGETS}, history)])
    small = dict(variants=["default"], regimes=("compute-bound",), efficiencies=("continuing",))
    results = ValidationResults(history=history, sweep=sweep, checks=cost_checks(),
                                trends=trend_table(**small, band=True),
                                trends_data_only=trend_table(inputs=TrendInputs(rho_D_share=1.0), **small))
    written = write_validation_report(tmp_path / "validation.md", tmp_path / "validation", results=results)
    text = (tmp_path / "validation.md").read_text()
    assert all(p.exists() for p in written) and len(written) == 5
    assert "## Closing note" in text and "frontier training cost growth" in text
    assert "](validation/history_costs.png)" in text
