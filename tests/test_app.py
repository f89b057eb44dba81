"""The playground's model factory, page inputs, plots and the `marketsim playground` command.

The browser end-to-end test is tests/test_app_browser.py; this file needs no browser or server.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from marketsim import app as playground
from marketsim.app import (
    ADOPTION,
    FIRM_N,
    MAX_CONSUMERS,
    OVERRIDES_ENV,
    SCENARIO_ENV,
    TRAINING_SPEND,
    PlaygroundModel,
    compare_figure,
    firm_lines,
    headline_values,
    model_params,
    parse_seed,
    playground_base_scenario,
    playground_scenario,
    run_figure,
)
from marketsim.cli import app as cli
from marketsim.experiments.outputs import FLOAT_FORMAT
from marketsim.experiments.run import run_scenario
from marketsim.scenario import ScenarioError, load_scenario, resolve_scenario_path

# After marketsim.app, which silences a Solara hook warning about Mesa's own code on first import.
from mesa.visualization.solara_viz import _check_model_params, split_model_params  # noqa: E402, I001

runner = CliRunner()


@pytest.fixture(scope="module")
def baseline():
    """The bundled baseline, shortened to two years (8 quarterly periods) to keep runs quick."""
    return load_scenario(resolve_scenario_path("baseline"), ["meta.years=2"])


def page_values(params: dict) -> dict:
    """What SolaraViz passes to the model on Reset: fixed values plus each control's value (as
    mesa.visualization.solara_viz.ModelCreator builds it)."""
    user, fixed = split_model_params(params)
    return {**fixed, **{name: control.get("value") for name, control in user.items()}}


def run_periods(model: PlaygroundModel, periods: int) -> PlaygroundModel:
    for _ in range(periods):
        model.step()
    return model


# --- the page's model factory is `marketsim run` -------------------------------------------------


def test_page_factory_with_a_typed_seed_builds_the_same_model_as_marketsim_run(baseline, tmp_path):
    file = tmp_path / "two_years.toml"
    file.write_text(resolve_scenario_path("baseline").read_text(encoding="utf-8").replace(
        "years = 20 ", "years = 2 "), encoding="utf-8")
    scenario = load_scenario(file)
    assert scenario.n_periods == 8
    values = {**page_values(model_params(scenario)), "seed": "7"}  # the text box delivers a string
    page_model = run_periods(PlaygroundModel(**values), 8)

    out = tmp_path / "run"
    result = runner.invoke(cli, ["run", str(file), "--seed", "7", "--out", str(out), "--quiet", "--no-figures"])
    assert result.exit_code == 0, result.output
    cli_table = pd.read_csv(out / "model.csv")

    page_table = page_model.model_table()
    assert len(page_table) == len(cli_table) == 8
    # Exactly what `marketsim run` computes, and what it wrote (model.csv keeps 10 digits).
    pd.testing.assert_frame_equal(page_table, run_scenario(scenario, seed=7).model, check_exact=True)
    assert FLOAT_FORMAT == "%.10g"
    pd.testing.assert_frame_equal(page_table, cli_table, check_dtype=False, rtol=1e-9)
    # The seed matters, so the equality above is not a coincidence of the defaults.
    other = run_periods(PlaygroundModel(**{**values, "seed": "0"}), 8).model_table()
    assert not np.allclose(other["adopters"], page_table["adopters"])


def test_page_inputs_pass_mesas_parameter_check_and_start_at_the_scenario_values(baseline):
    params = model_params(baseline)
    _check_model_params(PlaygroundModel.__init__, params)  # raises on an unknown or missing key
    values = page_values(params)
    assert values["hardware_growth_per_year"] == baseline.hardware.growth_per_year == 1.38
    assert values["stall_year"] == 0  # the baseline has no stall
    assert values["data_stock_trillion_tokens"] == pytest.approx(300.0)  # 3e14 tokens in the file
    assert values["n_firms"] == len(baseline.firms) == 1
    assert values["price"] == baseline.firms[0].price
    assert values["threshold_sigma"] == baseline.consumers.sigma
    assert values["demand_family"] == "lognormal"
    assert values["seed"] == "0"
    assert values["on_invalid"] == "report"
    settings = {k: v for k, v in values.items() if k not in ("scenario", "on_invalid")}
    assert playground_scenario(baseline, **settings) is baseline


@pytest.mark.parametrize("name", ["hardware_stall", "oligopoly", "open_weights", "saturating_demand", "data_wall"])
def test_untouched_controls_leave_every_bundled_scenario_unchanged(name):
    scenario = load_scenario(resolve_scenario_path(name))
    values = page_values(model_params(scenario))
    settings = {k: v for k, v in values.items() if k not in ("scenario", "on_invalid")}
    assert playground_scenario(scenario, **settings) is scenario


def test_a_scenario_value_outside_a_slider_range_widens_the_range(baseline):
    fast = playground_scenario(baseline, hardware_growth_per_year=2.5)
    slider = model_params(fast)["hardware_growth_per_year"]
    assert (slider.min, slider.value, slider.max) == (1.0, 2.5, 2.5)
    stalled = load_scenario(resolve_scenario_path("hardware_stall"))
    stall = model_params(stalled)["stall_year"]
    assert stall["value"] == 2030 and 0 in stall["values"] and 2030 in stall["values"]


# --- settings -> scenario overrides ---------------------------------------------------------------


def test_each_setting_changes_only_its_scenario_value(baseline):
    changed = playground_scenario(
        baseline, hardware_growth_per_year=1.2, stall_year=2026, data_stock_trillion_tokens=500,
        data_stock_growth_per_year=1.1, data_efficiency_growth_per_year=1.3, price=2.5,
        threshold_sigma=1.5, demand_family="pareto", seed="11")
    assert changed.hardware.growth_per_year == 1.2
    assert changed.hardware.stall_year == 2026
    assert changed.data.stock_tokens == pytest.approx(5e14)
    assert changed.data.stock_growth_per_year == 1.1
    assert changed.data.efficiency_growth_per_year == 1.3
    assert [f.price for f in changed.firms] == [2.5]
    assert changed.consumers.sigma == 1.5
    assert changed.consumers.family == "pareto"
    assert changed.meta.seed == 11
    untouched = ("scaling", "market")
    assert all(getattr(changed, key) == getattr(baseline, key) for key in untouched)
    assert changed.consumers.count == baseline.consumers.count
    assert changed.hardware.flop_per_dollar == baseline.hardware.flop_per_dollar


def test_stall_year_zero_removes_a_stall_and_a_year_sets_one():
    stalled = load_scenario(resolve_scenario_path("hardware_stall"))
    assert stalled.hardware.stall_year == 2030
    assert playground_scenario(stalled, stall_year=0).hardware.stall_year is None
    assert playground_scenario(stalled, stall_year=2028).hardware.stall_year == 2028


def test_number_of_firms_copies_the_first_firm_or_keeps_the_first_ones(baseline):
    three = playground_scenario(baseline, n_firms=3, price=2.0)
    names = [f.name for f in three.firms]
    assert names == ["Frontier", "Frontier 2", "Frontier 3"]
    assert all(f.price == 2.0 and f.strategy == "profit_optimal" for f in three.firms)
    assert three.firms[1].cash == baseline.firms[0].cash
    oligopoly = load_scenario(resolve_scenario_path("oligopoly"))
    assert [f.name for f in playground_scenario(oligopoly, n_firms=1).firms] == [oligopoly.firms[0].name]


def test_invalid_settings_name_the_key_path_the_value_and_what_is_allowed(baseline):
    with pytest.raises(ScenarioError) as err:
        playground_scenario(baseline, threshold_sigma=0.0)
    assert str(err.value) == ("playground (baseline): consumers.sigma = 0.0: must be a number > 0 "
                              "(from override 'consumers.sigma=0.0')")
    with pytest.raises(ValueError, match=r"^n_firms = 0: must be at least 1$"):
        playground_scenario(baseline, n_firms=0)


@pytest.mark.parametrize(("typed", "seed"), [("42", 42), (" 7 ", 7), (3, 3), ("", None), (None, None)])
def test_parse_seed_accepts_whole_numbers_and_blank(typed, seed):
    assert parse_seed(typed) == seed


@pytest.mark.parametrize("typed", ["abc", "-1", "4.5", 2.5, True, -3])
def test_parse_seed_rejects_anything_else_with_a_clear_message(typed):
    with pytest.raises(ValueError) as err:
        parse_seed(typed)
    assert str(err.value) == f"seed = {typed!r}: must be a whole number >= 0 (or blank for the scenario's seed)"


def test_a_bad_seed_fails_the_model_build_or_is_reported_on_the_page(baseline):
    with pytest.raises(ValueError, match=r"^seed = 'x1': must be a whole number"):
        PlaygroundModel(baseline, seed="x1")
    reported = PlaygroundModel(baseline, seed="x1", hardware_growth_per_year=1.5, on_invalid="report")
    assert reported.scenario is baseline  # nothing of the rejected settings is used
    assert reported.settings_error == "seed = 'x1': must be a whole number >= 0 (or blank for the scenario's seed)"
    assert "seed = &#x27;x1&#x27;: must be a whole number" in playground._headline_html(reported, "")
    assert reported.stall_counterpart().scenario.hardware.growth_per_year == baseline.hardware.growth_per_year
    assert "marketsim-error" not in playground._headline_html(PlaygroundModel(baseline), "")


# --- the model follows its settings ----------------------------------------------------------------


def test_faster_hardware_growth_gives_higher_E_and_a_stall_freezes_it(baseline):
    slow = run_periods(PlaygroundModel(baseline, hardware_growth_per_year=1.2), 8).model_table()
    fast = run_periods(PlaygroundModel(baseline, hardware_growth_per_year=1.6), 8).model_table()
    assert slow["E"].iloc[0] == fast["E"].iloc[0] == baseline.hardware.flop_per_dollar
    assert (fast["E"].iloc[1:] > slow["E"].iloc[1:]).all()
    # E(t) = E0 * g^t with t the period start in years (world.py); the last period starts at t = 1.75.
    assert fast["E"].iloc[-1] == pytest.approx(baseline.hardware.flop_per_dollar * 1.6 ** 1.75)
    stalled = run_periods(PlaygroundModel(baseline, stall_year=2026), 8).model_table()
    after = stalled.loc[stalled["year"] >= 2026, "E"]
    assert len(after) == 4 and np.allclose(after, after.iloc[0])


def test_stall_counterpart_toggles_the_stall_and_keeps_pace(baseline):
    model = run_periods(PlaygroundModel(baseline), 3)
    twin = model.stall_counterpart()
    # Baseline has no stall: the counterpart stalls COMPARE_STALL_AFTER_YEARS (5) after 2025, but a
    # two-year run ends in 2026, so it is clipped to the last simulated year.
    assert twin.scenario.hardware.stall_year == 2026
    assert twin.steps == model.steps == 3
    run_periods(model, 2)
    assert model.stall_counterpart() is twin and twin.steps == 5
    full = load_scenario(resolve_scenario_path("baseline"))
    assert PlaygroundModel(full).stall_counterpart().scenario.hardware.stall_year == 2030
    stalled = PlaygroundModel(load_scenario(resolve_scenario_path("hardware_stall")))
    assert stalled.stall_counterpart().scenario.hardware.stall_year is None


# --- where the page's scenario comes from ----------------------------------------------------------


def test_base_scenario_comes_from_the_environment_and_consumers_are_capped(tmp_path):
    path = resolve_scenario_path("oligopoly")
    scenario, note = playground_base_scenario({SCENARIO_ENV: str(path)})
    assert scenario == load_scenario(path)
    assert note == f"{scenario.consumers.count:,} simulated consumers, as in the scenario file."
    big, note = playground_base_scenario(
        {SCENARIO_ENV: str(path), OVERRIDES_ENV: json.dumps(["consumers.count=50000", "meta.years=3"])})
    assert big.consumers.count == MAX_CONSUMERS == 20_000
    assert big.meta.years == 3
    assert "the file has 50,000" in note and "--set consumers.count=20000" in note
    default, _ = playground_base_scenario({})
    assert default.meta.name == "baseline"


def test_bad_environment_values_are_reported():
    with pytest.raises(ValueError) as err:
        playground_base_scenario({OVERRIDES_ENV: "meta.years=3"})
    assert str(err.value) == ("MARKETSIM_PLAYGROUND_SET = 'meta.years=3': must be a JSON list of "
                              "key.path=value strings")
    with pytest.raises(ScenarioError, match="no such file or bundled scenario"):
        playground_base_scenario({SCENARIO_ENV: "no_such_scenario"})


# --- what the page shows -----------------------------------------------------------------------


def test_headline_shows_the_start_then_the_current_period(baseline):
    model = PlaygroundModel(baseline)
    start = headline_values(model)
    assert start["Year"] == "2025.00" and start["Adopters"] == "0 (0.0%)" and start["HHI"] == "0.000"
    assert start["E (FLOP/$)"] == "7.1e+17" and start["Data stock (tokens)"] == "3e+14"
    run_periods(model, 4)
    now = headline_values(model)
    assert now["Year"] == "2025.75"  # the fourth quarterly period starts three quarters in
    share = float(now["Adopters"].split("(")[1].rstrip("%)"))
    assert 0 < share <= 100 and share == pytest.approx(100 * model.adoption_share, abs=0.05)


def test_run_figures_draw_one_line_per_firm_on_the_right_scales():
    oligopoly = load_scenario(resolve_scenario_path("oligopoly"), ["meta.years=2"])
    model = run_periods(PlaygroundModel(oligopoly), 6)
    sizes = run_figure(model, FIRM_N).axes[0]
    assert [line.get_label() for line in sizes.get_lines()] == [f.name for f in oligopoly.firms]
    assert sizes.get_yscale() == "log"
    assert sizes.get_xlim() == (2025.0, 2027.0)  # the whole run, so lines grow across a fixed frame
    adoption = run_figure(model, ADOPTION).axes[0]
    (line,) = adoption.get_lines()
    assert np.allclose(line.get_ydata(), 100 * model.model_table()["adoption_share"])
    assert adoption.get_ylim() == (0.0, 100.0)


def test_compare_figure_overlays_the_run_and_its_stall_counterpart(baseline):
    model = run_periods(PlaygroundModel(baseline, hardware_growth_per_year=1.5), 8)
    ax = compare_figure(model, TRAINING_SPEND).axes[0]
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert labels == ["no stall", "stall after 2026"]
    assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0.0  # a year without training shows as $0


def test_firm_lines_leave_a_gap_after_a_firm_exits():
    firms = pd.DataFrame({
        "year": [2025.0, 2025.0, 2025.25, 2025.25],
        "firm": ["A", "B", "A", "B"],
        "alive": [True, True, True, False],
        "N": [1e11, 2e11, 3e11, 4e11],
    })
    lines = firm_lines(firms, "N")
    assert list(lines) == ["A", "B"]
    assert lines["A"].tolist() == [1e11, 3e11]
    assert lines["B"].iloc[0] == 2e11 and math.isnan(lines["B"].iloc[1])


def test_the_module_serves_a_page_for_the_environment_scenario():
    assert playground.page is not None
    assert playground._BASE.meta.name == "baseline"  # no SCENARIO_ENV in the test environment


# --- the command ---------------------------------------------------------------------------------


def test_playground_command_execs_solara_with_the_scenario_in_the_environment(monkeypatch, tmp_path):
    calls = []

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        calls.append((path, argv, env))
        raise SystemExit(0)  # a real exec never returns

    monkeypatch.setattr("os.execve", fake_execve)
    monkeypatch.setattr("os.name", "posix")
    monkeypatch.setattr("subprocess.call", lambda *args, **kwargs: pytest.fail("must exec, not spawn"))
    result = runner.invoke(cli, ["playground", "oligopoly", "--port", "8799", "--set", "meta.years=3"])
    assert result.exit_code == 0, result.output
    assert "oligopoly at http://127.0.0.1:8799" in result.output
    ((path, argv, env),) = calls
    assert argv[0] == path
    assert argv[1:5] == ["-m", "solara", "run", "marketsim.app"]
    assert argv[argv.index("--port") + 1] == "8799" and argv[argv.index("--host") + 1] == "127.0.0.1"
    assert "--no-check-version" in argv and "--no-open" in argv
    assert Path(env[SCENARIO_ENV]) == resolve_scenario_path("oligopoly").resolve()
    assert json.loads(env[OVERRIDES_ENV]) == ["meta.years=3"]


def test_playground_command_rejects_a_bad_scenario_before_starting_a_server(monkeypatch):
    monkeypatch.setattr("os.execve", lambda *args: pytest.fail("must not start a server"))
    monkeypatch.setattr("subprocess.call", lambda *args, **kwargs: pytest.fail("must not start a server"))
    missing = runner.invoke(cli, ["playground", "no_such_scenario"])
    assert missing.exit_code == 2
    assert "no_such_scenario: no such file or bundled scenario" in missing.output
    bad = runner.invoke(cli, ["playground", "baseline", "--set", "hardware.growth_per_year=-1"])
    assert bad.exit_code == 2
    assert "baseline.toml: hardware.growth_per_year = -1: must be a number > 0" in bad.output
