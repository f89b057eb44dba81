"""The backtest of a calibration in docs/validation.md and its 2024-2025 forecast.

The forecast's selection rule on a hand-made table of models (and on the record: GPT-3 in 2020), the same
rule applied to a simulated run, the forecast's bands, the report regenerated from a real tiny calibration
(section 5: every target, verdicts, missing mechanisms, the forecast stated before comparison), and
``marketsim report validation --calibration`` (works; refuses a folder that is not a calibration).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.experiments.batch.source import read_scenario
from marketsim.experiments.calibration import calibrate, simulated_models
from marketsim.experiments.calibration.forecast import (FORECAST_QUANTITIES, FORECAST_YEARS, RULE, forecast_key,
                                                        forecast_statistics, forecast_table, year_levels)
from marketsim.experiments.validation import (ValidationResults)
from marketsim.experiments.validation.frontier import load_record
from marketsim.experiments.validation.targets import load_targets
from marketsim.viz.backtest_report import NotACalibrationError, load_calibration, missing_mechanism
from marketsim.viz.validation_report import write_validation_report

from _history import small_calibration_toml, small_validation_results

runner = CliRunner()

SMALL = small_calibration_toml("backtest")


def _models() -> pd.DataFrame:
    """Ten big 2023 models, a 2024 model too small for the top 10, and a 2025 year with an MoE leader."""
    rows = [dict(year=2023.1 + 0.05 * i, compute_flop=1e25 * (i + 1), cost_amortised_usd=1e7 * (i + 1),
                 params=1e11, tokens_per_param=10.0 + i, moe=False) for i in range(10)]
    rows += [
        dict(year=2024.5, compute_flop=1e24, cost_amortised_usd=1e6, params=1e10, tokens_per_param=5.0, moe=False),
        dict(year=2025.2, compute_flop=9e26, cost_amortised_usd=8e8, params=2e12, tokens_per_param=1.0, moe=True),
        dict(year=2025.4, compute_flop=5e26, cost_amortised_usd=float("nan"), params=float("nan"),
             tokens_per_param=float("nan"), moe=False),  # largest dense, nothing disclosed
        dict(year=2025.9, compute_flop=2e26, cost_amortised_usd=3e8, params=4e11, tokens_per_param=20.0, moe=False),
        dict(year=2026.0, compute_flop=1e28, cost_amortised_usd=1e10, params=1e13, tokens_per_param=99.0, moe=False),
    ]
    return pd.DataFrame(rows)


def test_the_rule_picks_the_largest_compute_frontier_model_of_each_year() -> None:
    levels = year_levels(_models(), [2023, 2024, 2025]).set_index(["year", "quantity"])["value"]
    expected = {  # hand-picked from _models()
        (2023, "compute_flop"): 1e26, (2023, "cost_amortised_usd"): 1e8, (2023, "params"): 1e11,
        (2023, "tokens_per_param"): 19.0,
        (2025, "compute_flop"): 9e26, (2025, "cost_amortised_usd"): 8e8,  # the MoE leader counts for these
        (2025, "params"): 4e11, (2025, "tokens_per_param"): 20.0,  # dense, with a value: not the MoE, not the blank
    }
    for key, value in expected.items():
        assert levels[key] == pytest.approx(value), key
    assert all(math.isnan(levels[(2024, q)]) for q in FORECAST_QUANTITIES)  # rank 11 at release: not frontier
    assert len(levels) == 3 * len(FORECAST_QUANTITIES)  # 2026 (outside the years) never read


def test_the_rule_on_the_record_reads_gpt3_in_2020() -> None:
    levels = year_levels(load_record(), [2020]).set_index("quantity")["value"]
    assert levels["compute_flop"] == pytest.approx(3.14e23)  # GPT-3 175B, the largest of 2020
    assert levels["params"] == pytest.approx(1.75e11)
    assert levels["tokens_per_param"] == pytest.approx(3.14e23 / (6 * 1.75e11 ** 2), rel=1e-3)


def test_a_simulated_run_is_measured_with_the_same_rule() -> None:
    firms = pd.DataFrame({
        "step": [0, 1, 2, 3, 0, 1, 2, 3], "firm": ["A"] * 4 + ["B"] * 4,
        "year": [2024.0, 2024.5, 2025.0, 2025.5] * 2,
        "N": [1e11, 1e11, 3e11, 3e11, 2e11, 2e11, 2e11, 2e11], "D": [2e12, 2e12, 9e12, 9e12, 1e12, 1e12, 1e12, 1e12],
        "training_cost": [1e8, 0.0, 4e8, 0.0, 5e7, 0.0, 0.0, 0.0]})
    stats = forecast_statistics(firms)
    assert set(stats) == {forecast_key(y, q) for y in FORECAST_YEARS for q in FORECAST_QUANTITIES}
    assert stats[forecast_key(2024, "compute_flop")] == pytest.approx(6 * 1e11 * 2e12)  # A's beats B's 6*2e11*1e12
    assert stats[forecast_key(2024, "cost_amortised_usd")] == 1e8
    assert stats[forecast_key(2025, "params")] == 3e11 and stats[forecast_key(2025, "tokens_per_param")] == 30.0
    levels = year_levels(simulated_models(firms), FORECAST_YEARS)
    assert [stats[forecast_key(int(r.year), r.quantity)] for r in levels.itertuples()] == list(levels["value"])


def test_the_forecast_table_has_bands_around_its_medians() -> None:
    rng = np.random.default_rng(1)
    draws = [{forecast_key(y, q): float(rng.lognormal(50 if q == "compute_flop" else 5, 1.0))
              for y in FORECAST_YEARS for q in FORECAST_QUANTITIES} for _ in range(30)]
    for d in draws[:16]:
        d[forecast_key(2025, "params")] = float("nan")  # fewer than half define it
    table = forecast_table(draws)
    assert list(table.columns[:7]) == ["year", "quantity", "median", "p05", "p95", "unit", "rule"]
    assert len(table) == len(FORECAST_YEARS) * len(FORECAST_QUANTITIES) and set(table["rule"]) == {RULE}
    ok = table.dropna(subset=["median"])
    assert len(ok) == len(table) - 1 and (ok["p05"] < ok["median"]).all() and (ok["median"] < ok["p95"]).all()
    row = table[(table["year"] == 2024) & (table["quantity"] == "compute_flop")].iloc[0]
    assert row["median"] == pytest.approx(np.median([d[forecast_key(2024, "compute_flop")] for d in draws]))
    assert row["unit"] == "FLOP"


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real tiny calibration (one generation of 6 particles, 6 predictive draws) of the small world."""
    folder = tmp_path_factory.mktemp("cal")
    (folder / "backtest.toml").write_text(SMALL, encoding="utf-8")
    calibrate(read_scenario(folder / "backtest.toml"), folder / "out", population=6, generations=1, workers=1,
              predictive=6)
    return folder / "out"


@pytest.fixture(scope="module")
def small_results() -> ValidationResults:
    """The historical run, a one-row kappa sweep, a one-case trend check (tests/_history.py)."""
    return small_validation_results()


def test_calibrate_writes_the_forecast(calibration: Path) -> None:
    forecast = pd.read_csv(calibration / "forecast.csv")
    assert sorted(set(forecast["year"])) == list(FORECAST_YEARS)
    known = forecast.dropna(subset=["median"])
    assert len(known) >= 4  # the small world publishes frontier models in 2024-2025
    assert (known["p05"] <= known["median"]).all() and (known["median"] <= known["p95"]).all()


def test_the_report_regenerates_from_a_calibration(tmp_path: Path, calibration: Path,
                                                   small_results: ValidationResults) -> None:
    md = tmp_path / "validation.md"
    write_validation_report(md, tmp_path / "fig", results=small_results, calibration=calibration)
    text = md.read_text(encoding="utf-8")
    section = text[text.index("## 5. Backtest against the record (calibration)"):text.index("## Closing note")]
    for target in load_targets():
        assert f"`{target.key}`" in section
    matched = pd.read_csv(calibration / "targets_matched.csv")
    for row in matched.itertuples():
        line = next(x for x in section.splitlines() if x.startswith(f"| `{row.key}` | "))
        verdict = "**matched**" if row.verdict == "matched" else row.verdict.upper()
        assert f" {verdict} |" in line
        assert (missing_mechanism(row.key) in line) == (row.verdict != "matched")
    assert "### 5.3 Levels at GPT-3 (2020) and GPT-4 (2023)" in section and "### 5.4 Posterior" in section
    forecast_part = section[section.index("### 5.5 Forecast for 2024-2025"):]
    assert "Stated before comparison: the record for 2024-2025 is deliberately not in the calibration data" \
        in forecast_part
    assert "| quantity | record 2022 | record 2023 | forecast 2024 | forecast 2025 |" in forecast_part
    assert "| training compute (FLOP) | 2.58e+24 | 5e+25 |" in forecast_part  # the record's years, same rule
    summary = text[text.index("## Summary"):text.index("## 1.")]
    ok = int((matched["verdict"] == "matched").sum())
    assert f"**{ok} of {len(matched)}** targets of the record matched" in summary  # the summary names section 5
    for key in matched.loc[matched["verdict"] != "matched", "key"]:
        assert f"`{key}`" in summary
    plain = tmp_path / "plain.md"
    write_validation_report(plain, tmp_path / "fig2", results=small_results)
    assert "Backtest against the record" not in plain.read_text(encoding="utf-8")  # unchanged without it


def test_missing_mechanisms_name_the_kind_of_target() -> None:
    assert "Chinchilla" in missing_mechanism("tokens_per_param_dense_2023")
    assert missing_mechanism("first_run_year").startswith("research budgets are smooth")
    assert "effective FLOP per dollar" in missing_mechanism("gpt4_compute")
    assert all(missing_mechanism(t.key) != "not diagnosed" for t in load_targets())


def test_the_command_adds_the_backtest(tmp_path: Path, calibration: Path, small_results: ValidationResults,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import marketsim.viz.validation_report as report

    monkeypatch.setattr(report, "validation_results", lambda *args: small_results)  # the historical runs: minutes
    md = tmp_path / "v.md"
    result = runner.invoke(app, ["report", "validation", "--out", str(md), "--calibration", str(calibration)])
    assert result.exit_code == 0, result.output
    assert "### 5.5 Forecast for 2024-2025" in md.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["empty", "other_command", "missing_column", "no_folder"])
def test_the_command_refuses_a_folder_that_is_not_a_calibration(tmp_path: Path, calibration: Path, kind: str) -> None:
    folder = tmp_path / "notcal"
    if kind != "no_folder":
        folder.mkdir()
    if kind == "other_command":
        (folder / "sweep.json").write_text('{"kind": "ensemble"}', encoding="utf-8")
    if kind == "missing_column":
        for name in ("predictive.csv", "targets_matched.csv", "posterior_summary.csv"):
            (folder / name).write_bytes((calibration / name).read_bytes())
        pd.read_csv(calibration / "forecast.csv").drop(columns="rule").to_csv(folder / "forecast.csv", index=False)
    md = tmp_path / "v.md"
    result = runner.invoke(app, ["report", "validation", "--out", str(md), "--calibration", str(folder)])
    assert result.exit_code == 2, result.output
    out = result.output.replace("\n", "")
    expected = {"empty": "not a calibration folder (predictive.csv is missing)",
                "other_command": "not a calibration folder (sweep.json is of `marketsim ensemble`)",
                "missing_column": "forecast.csv: column(s) rule missing", "no_folder": "not a calibration folder"}
    assert expected[kind] in out and "Traceback" not in out
    assert not md.exists() and not (tmp_path / "validation").exists()  # refused before any work
    with pytest.raises(NotACalibrationError):
        load_calibration(folder)


def test_the_calibrate_command_prints_the_forecast(tmp_path: Path) -> None:
    (tmp_path / "small.toml").write_text(small_calibration_toml("small"), encoding="utf-8")
    out = tmp_path / "cal"
    result = runner.invoke(app, ["calibrate", str(tmp_path / "small.toml"), "--population", "6", "--generations", "1",
                                 "--workers", "1", "--predictive", "6", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output[result.output.index("forecast (posterior-predictive median"):]
    forecast = pd.read_csv(out / "forecast.csv").dropna(subset=["median"])
    assert len(forecast) >= 4
    for row in forecast.itertuples():  # every forecast value is printed as written
        assert f"{int(row.year)} {row.quantity}: {row.median:.3g} ({row.p05:.3g} to {row.p95:.3g})" in text
