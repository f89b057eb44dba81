"""`marketsim compare`: scenario arguments with their own overrides, labels, difference columns."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from _cli import invoke

from marketsim import viz as plots
from marketsim.sim.tables import COLUMNS_FILE
from marketsim.experiments.compare import (
    COMPARISON_COLUMNS,
    COMPARISON_METRICS,
    ScenarioArg,
    comparison_table,
    parse_scenario_arg,
)
from marketsim.experiments.outputs import write_table
from marketsim.config import load_scenario

# Small and fast: three years of quarters, 500 consumers; with hardware stalled from 2026 the
# retrain in 2027 buys a smaller model.
TINY = ["--set", "meta.years=3", "--set", "consumers.count=500"]
STALLED = "baseline[hardware.stall_year=2026]"


# --- scenario arguments --------------------------------------------------------------------------


def test_parse_scenario_arg_splits_file_and_overrides(tmp_path):
    assert parse_scenario_arg("baseline") == ScenarioArg("baseline", "baseline")
    assert parse_scenario_arg(STALLED) == ScenarioArg(STALLED, "baseline", ("hardware.stall_year=2026",))
    text = 'path/a.toml[firms[0].price=3, consumers.family="pareto",x.y=[1, 2],meta.name="a,b"]'
    assert parse_scenario_arg(text).file == "path/a.toml"
    assert parse_scenario_arg(text).overrides == (
        "firms[0].price=3", 'consumers.family="pareto"', "x.y=[1, 2]", 'meta.name="a,b"')
    assert parse_scenario_arg("baseline[]").overrides == ()
    # an existing file whose name has brackets is a file
    odd = tmp_path / "run[2].toml"
    odd.write_text("")
    assert parse_scenario_arg(str(odd)) == ScenarioArg(str(odd), str(odd))
    for bad in ("baseline[meta.years=2", "baseline[meta.years=2]x", "[meta.years=2]"):
        with pytest.raises(ValueError, match=r"must be FILE or FILE\[key.path=value,...\]"):
            parse_scenario_arg(bad)


# --- difference and percent-change columns -------------------------------------------------------


def _result(name: str, **values) -> SimpleNamespace:
    """Stands in for a RunResult: comparison_table reads only the summary."""
    return SimpleNamespace(summary={"scenario": name, **{m: values.get(m) for m in COMPARISON_METRICS}})


def test_differences_and_percent_changes_against_the_first_scenario(tmp_path):
    results = [
        _result("a", final_adoption_share=0.5, largest_N=1e12, cumulative_training_spend=0.0,
                year_adoption_passes_50pct=2030.25, final_hhi=1.0),
        _result("b", final_adoption_share=0.25, largest_N=3e12, cumulative_training_spend=5e9,
                year_adoption_passes_50pct=2032.0, final_hhi=0.5),
        _result("c", final_adoption_share=0.75, largest_N=None, cumulative_training_spend=1e9, final_hhi=1.0),
    ]
    table = comparison_table(results)
    assert list(table.columns) == COMPARISON_COLUMNS
    assert table["final_adoption_share_diff"].tolist()[1:] == pytest.approx([-0.25, 0.25])
    assert table["final_adoption_share_pct_change"].tolist()[1:] == pytest.approx([-50.0, 50.0])
    assert table["largest_N_pct_change"][1] == pytest.approx(200.0)
    assert table["year_adoption_passes_50pct_diff"][1] == pytest.approx(1.75)  # years later
    assert "year_adoption_passes_50pct_pct_change" not in table  # a ratio of calendar years means nothing
    # empty: the first row, a missing value, and a percent change from a base of 0
    assert table.iloc[0, 1:].drop(COMPARISON_METRICS).isna().all()
    assert np.isnan(table["largest_N_diff"][2]) and np.isnan(table["largest_N_pct_change"][2])
    assert table["cumulative_training_spend_diff"][1] == 5e9
    assert table["cumulative_training_spend_pct_change"].isna().all()
    assert table["final_hhi_pct_change"].tolist()[1:] == pytest.approx([-50.0, 0.0])

    write_table(table, tmp_path / "comparison.csv")
    text = (tmp_path / "comparison.csv").read_text()
    assert "nan" not in text.lower() and "inf" not in text.lower()
    assert text.splitlines()[1].startswith("a,0.5,,,1e+12,,,0,,,")  # empty cells, not NaN


# --- the command ---------------------------------------------------------------------------------



@pytest.fixture
def legends(monkeypatch) -> list[list[str]]:
    """Record the names the overlay figures would show (and skip drawing, which is slow)."""
    seen: list[list[str]] = []

    def save_compare_figures(models, folder, stall_years=None):
        seen.append(list(models))
        return []

    monkeypatch.setattr(plots, "save_compare_figures", save_compare_figures)
    monkeypatch.setattr(plots, "save_run_figures", lambda *args, **kwargs: [])
    return seen


def test_same_file_twice_with_its_own_overrides(tmp_path, legends):
    result = invoke("compare", "baseline", STALLED, *TINY, "--quiet", "--out", "cmp", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "cmp"
    names = ["baseline", STALLED]
    assert legends == [names]
    assert {"baseline", "baseline-hardware.stall_year-2026", "comparison.csv", COLUMNS_FILE} <= {
        p.name for p in out.iterdir()}
    stalled = load_scenario(out / "baseline-hardware.stall_year-2026" / "scenario.toml")
    assert stalled.hardware.stall_year == 2026 and stalled.meta.name == STALLED
    assert stalled.consumers.count == 500 and stalled.meta.years == 3  # --set applies to both
    assert load_scenario(out / "baseline" / "scenario.toml").hardware.stall_year is None

    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == COMPARISON_COLUMNS and list(table["scenario"]) == names
    # without hardware progress after 2026 the 2027 model is smaller and the spend differs
    assert table["largest_N"][1] < table["largest_N"][0]
    assert table["cumulative_training_spend"][1] != table["cumulative_training_spend"][0]
    for metric in COMPARISON_METRICS:
        values = table[metric]
        expected_diff = values - values[0]
        assert np.isnan(table[metric + "_diff"][0])
        np.testing.assert_allclose(table[metric + "_diff"][1:], expected_diff[1:],
                                   rtol=1e-8, atol=1e-9 * np.nanmax(np.abs(values.to_numpy()), initial=0))
        if metric + "_pct_change" in table and values[0] != 0:
            np.testing.assert_allclose(table[metric + "_pct_change"][1:],
                                       (100 * expected_diff / values[0])[1:], rtol=1e-6, atol=1e-9)
    described = pd.read_csv(out / COLUMNS_FILE)
    assert list(described["column"]) == COMPARISON_COLUMNS


def test_labels_name_rows_folders_and_legends(tmp_path, legends):
    result = invoke("compare", "baseline", "baseline[meta.seed=1]", "--set", "meta.years=1",
                    "--set", "consumers.count=500",
                    "--label", "seed 0", "--label", "seed 1", "--quiet", "--out", "cmp", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert legends == [["seed 0", "seed 1"]]
    out = tmp_path / "cmp"
    assert list(pd.read_csv(out / "comparison.csv")["scenario"]) == ["seed 0", "seed 1"]
    assert (out / "seed-0" / "model.csv").is_file() and (out / "seed-1" / "model.csv").is_file()
    assert load_scenario(out / "seed-1" / "scenario.toml").meta.seed == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["baseline", STALLED, "--label", "only one"],
         "error: --label given 1 time for 2 scenarios; give one --label per scenario, in the order of the "
         "scenarios, or none"),
        (["baseline", STALLED, "--label", "x", "--label", "x"],
         "error: scenarios to compare must have distinct meta.name values; these clash: ['x']"),
        (["baseline", "baseline"], "these clash: ['baseline']"),
        (["baseline", STALLED, "--label", "a", "--label", " "], "error: --label number 2 is empty"),
        (["baseline", "baseline[meta.years=2"], "error: scenario 'baseline[meta.years=2': must be FILE or FILE["),
    ],
)
def test_bad_labels_and_arguments_exit_2_before_running(tmp_path, args, message):
    result = invoke("compare", *args, "--quiet", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_bad_override_in_brackets_reads_like_a_bad_set(tmp_path):
    in_brackets = invoke("compare", "baseline", "baseline[hardware.nope=1]", "--quiet", cwd=tmp_path)
    with_set = invoke("run", "baseline", "--set", "hardware.nope=1", "--quiet", cwd=tmp_path)
    assert in_brackets.exit_code == with_set.exit_code == 2
    assert in_brackets.stderr == with_set.stderr
    assert "baseline.toml: override 'hardware.nope=1': hardware.nope: unknown key (allowed: " in in_brackets.stderr
    bad_value = invoke("compare", "baseline", "baseline[meta.years=-1]", "--quiet", cwd=tmp_path)
    assert bad_value.exit_code == 2
    assert "baseline.toml: meta.years = -1: must be" in bad_value.stderr
    assert "(from override 'meta.years=-1')" in bad_value.stderr
    assert list(tmp_path.iterdir()) == []
