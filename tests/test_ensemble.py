"""`marketsim ensemble`: tables equal direct pandas computations, common random numbers, resume.

A tiny one-year scenario (tests/_synthetic.py) with three uncertain inputs; the second scenario
pins the stall year (FILE[...]), so paired differences are non-trivial.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from _cli import invoke
from _synthetic import MINI_SCENARIO_TOML

from marketsim.config import load_scenario
from marketsim.experiments.batch.store import SweepMismatchError
from marketsim.experiments.batch.sweep import SweepInterrupted
from marketsim.experiments.ensemble.layout import DRAWS, OUTCOMES, PAIRED
from marketsim.experiments.ensemble.outcomes import OUTCOMES as OUTCOME_NAMES
from marketsim.experiments.ensemble.outcomes import run_outcomes
from marketsim.experiments.ensemble.runner import run_ensemble
from marketsim.experiments.run import run_scenario

SECTION = """
[uncertain]
"hardware.growth_per_year" = { dist = "lognormal", median = 1.35, p5 = 1.2, p95 = 1.55, source = "COT24" }
"data.stock_tokens" = { dist = "triangular", low = 1e13, mode = 5e13, high = 3e14 }
"consumers.price_sensitivity" = { dist = "loguniform", median = 0.05, p5 = 0.02, p95 = 0.1 }
correlations = [ { keys = ["hardware.growth_per_year", "data.stock_tokens"], rank = 0.5 } ]
"""
DRAW_COUNT = 6
QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One 2-process cluster for the module (its start-up is the slow part)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "mini.toml"
    path.write_text(MINI_SCENARIO_TOML.format(name="mini").replace("years = 1", "years = 2") + SECTION)
    return path


def _files(scenario_file: Path) -> list[str]:
    return [str(scenario_file), f"{scenario_file}[hardware.stall_year=2025]"]


@pytest.fixture(scope="module")
def ensemble(scenario_file: Path, scheduler: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ens") / "out"
    run_ensemble(_files(scenario_file), DRAW_COUNT, out, scheduler=scheduler, progress=False, seed=7)
    return out


def _runs(out: Path, index: int) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(out / "runs" / f"s{index}-d{d:06d}.parquet").assign(draw=d)
                      for d in range(DRAW_COUNT)], ignore_index=True)


@pytest.mark.slow  # a dask cluster and a dozen model runs
def test_quantiles_and_probabilities_equal_direct_pandas(ensemble: Path) -> None:
    quantiles = pd.read_csv(ensemble / "quantiles.csv")
    outcomes = pd.read_csv(ensemble / OUTCOMES)
    paired = pd.read_csv(ensemble / PAIRED)
    for index, label in enumerate(["mini", "mini[hardware.stall_year=2025]"]):
        runs = _runs(ensemble, index)
        for series in ("adoption_share", "hhi", "training_spend", "mean_price"):
            direct = runs.groupby("step")[series].quantile(QUANTILES).unstack()
            written = quantiles[(quantiles["scenario"] == label) & (quantiles["series"] == series)].set_index("step")
            assert np.allclose(written[["p5", "p25", "p50", "p75", "p95"]].to_numpy(), direct.to_numpy(), rtol=1e-9)
        # outcomes: the per-run tables' own numbers
        mine = outcomes[outcomes["scenario"] == label].set_index("draw")
        for draw, table in runs.groupby("draw"):
            expected = run_outcomes(table)
            assert mine.loc[draw, list(OUTCOME_NAMES)].to_numpy(dtype=float) == pytest.approx(
                [expected[k] for k in OUTCOME_NAMES], rel=1e-9, nan_ok=True)
    probabilities = pd.read_csv(ensemble / "probabilities.csv", keep_default_na=False)

    def probability(scenario: str, statement: str) -> float:
        row = probabilities[(probabilities["scenario"] == scenario) & (probabilities["statement"] == statement)]
        return float(row["value"].iloc[0])

    base = outcomes[outcomes["scenario"] == "mini"]
    assert probability("mini", "P(hhi_final > 0.5)") == pytest.approx((base["hhi_final"] > 0.5).mean())
    assert probability("mini", "P(adoption passes 50%)") == pytest.approx(base["adoption_50_year"].notna().mean())
    stalled = outcomes[outcomes["scenario"] != "mini"].set_index("draw")
    cut = 1 - stalled["cumulative_training_spend"] / base.set_index("draw")["cumulative_training_spend"]
    assert paired["spend_cut"].to_numpy() == pytest.approx(cut.sort_index().to_numpy())
    assert probability("mini[hardware.stall_year=2025]", "P(spend_cut > 0.5)") == pytest.approx((cut > 0.5).mean())
    assert probability("mini[hardware.stall_year=2025]", "median spend_cut") == pytest.approx(cut.median())
    # paired per-period differences: quantiles of (scenario - base) per draw
    diffs = pd.read_csv(ensemble / "paired_quantiles.csv")
    delta = _runs(ensemble, 1).set_index(["draw", "step"])["hhi"] - _runs(ensemble, 0).set_index(["draw", "step"])["hhi"]
    direct = delta.groupby("step").quantile(QUANTILES).unstack()
    written = diffs[diffs["series"] == "hhi"].set_index("step")[["p5", "p25", "p50", "p75", "p95"]]
    assert np.allclose(written.to_numpy(), direct.to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.slow  # a dask cluster and a dozen model runs
def test_paired_runs_share_draws_and_consumer_seeds_exactly(ensemble: Path, scenario_file: Path) -> None:
    draws = pd.read_csv(ensemble / DRAWS)
    assert list(draws["draw"]) == list(range(DRAW_COUNT)) and list(draws["seed"]) == [7 + d for d in range(DRAW_COUNT)]
    base, other = _runs(ensemble, 0), _runs(ensemble, 1)
    for draw in range(DRAW_COUNT):
        row = draws.iloc[draw]
        for runs in (base, other):
            mine = runs[runs["draw"] == draw]
            assert set(mine["seed"]) == {row["seed"]}
            assert set(mine["hardware.growth_per_year"]) == {row["hardware.growth_per_year"]}
            assert set(mine["data.stock_tokens"]) == {row["data.stock_tokens"]}
    # a run equals a fresh single run with the draw's values and seed: nothing else varies
    row = draws.iloc[2]
    scenario = load_scenario(scenario_file, {k: row[k].item() for k in draws.columns[2:]} | {"hardware.stall_year": 2025})
    single = run_scenario(scenario, seed=int(row["seed"])).model
    stored = other[other["draw"] == 2]
    assert np.allclose(stored["hhi"].to_numpy(), single["hhi"].to_numpy())
    assert np.allclose(stored["training_spend"].to_numpy(), single["training_spend"].to_numpy())


@pytest.mark.slow  # a dask cluster and a dozen model runs
def test_interrupt_then_resume_equals_uninterrupted(ensemble: Path, scenario_file: Path, scheduler: str,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen = []

    def stop_after_three(status: str, outcome: object) -> None:
        seen.append(status)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted):
        run_ensemble(_files(scenario_file), DRAW_COUNT, out, scheduler=scheduler, progress=False, seed=7,
                     on_run=stop_after_three)
    saved = len(list((out / "runs").glob("*.parquet")))
    assert 3 <= saved < 2 * DRAW_COUNT and not (out / OUTCOMES).exists()
    resumed = run_ensemble(_files(scenario_file), DRAW_COUNT, out, scheduler=scheduler, progress=False, seed=7)
    assert resumed.skipped == saved and resumed.computed == 2 * DRAW_COUNT - saved
    for name in (DRAWS, OUTCOMES, PAIRED, "quantiles.csv", "paired_quantiles.csv", "probabilities.csv"):
        assert (out / name).read_bytes() == (ensemble / name).read_bytes(), name
    # a rerun with other arguments is refused before anything runs
    with pytest.raises(SweepMismatchError, match="draws"):
        run_ensemble(_files(scenario_file), DRAW_COUNT + 1, out, scheduler=scheduler, progress=False, seed=7)


@pytest.mark.slow  # a dask cluster and a dozen model runs
def test_columns_csv_describes_every_column(ensemble: Path) -> None:
    described = pd.read_csv(ensemble / "columns.csv")
    for name in (DRAWS, OUTCOMES, PAIRED, "quantiles.csv", "outcome_quantiles.csv", "probabilities.csv"):
        header = pd.read_csv(ensemble / name, nrows=0).columns
        rows = described[described["table"] == name].set_index("column")
        assert list(rows.index) == list(header), name
        assert (rows["unit"] != "unknown").all(), rows[rows["unit"] == "unknown"]
    manifest = json.loads((ensemble / "sweep.json").read_text())
    assert manifest["kind"] == "ensemble" and manifest["draws"] == DRAW_COUNT
    assert (ensemble / "marketsim-manifest.json").exists()


def test_cli_refuses_bad_input_with_exit_2(tmp_path: Path, scenario_file: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(MINI_SCENARIO_TOML.format(name="plain"))
    result = invoke("ensemble", str(plain), "--draws", "3", "--out", "o", cwd=tmp_path)
    assert result.exit_code == 2 and "has no [uncertain] section" in result.output
    result = invoke("ensemble", str(scenario_file), "--draws", "3", "--out", "o", "--sampler", "grid", cwd=tmp_path)
    assert result.exit_code == 2 and "--sampler must be lhs or sobol" in result.output
    result = invoke("ensemble", str(scenario_file), str(scenario_file), "--draws", "3", "--out", "o", cwd=tmp_path)
    assert result.exit_code == 2 and "distinct" in result.output
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "x.txt").write_text("mine")
    result = invoke("ensemble", str(scenario_file), "--draws", "3", "--out", "foreign", cwd=tmp_path)
    assert result.exit_code == 2 and (tmp_path / "foreign" / "x.txt").read_text() == "mine"
    assert not (tmp_path / "o").exists()


def test_a_later_scenario_keeps_the_uncertain_keys_it_changes(tmp_path: Path, scenario_file: Path) -> None:
    from marketsim.experiments.ensemble.design import make_design

    changed = tmp_path / "changed.toml"
    changed.write_text(MINI_SCENARIO_TOML.format(name="changed").replace("growth_per_year = 1.38", "growth_per_year = 1.1"))
    design = make_design([str(scenario_file), str(changed), f"{scenario_file}[data.stock_tokens=2e13]"], 4, seed=1,
                         overrides=["consumers.count=50"])
    base, other, pinned = design.members
    assert other.pinned == {"hardware.growth_per_year", "consumers.count"}
    for spec_base, spec_other, spec_pinned in zip(design.specs(base), design.specs(other), design.specs(pinned)):
        assert "hardware.growth_per_year" not in spec_other.params and "data.stock_tokens" not in spec_pinned.params
        assert spec_other.params["data.stock_tokens"] == spec_base.params["data.stock_tokens"]
        assert spec_base.seed == spec_other.seed == spec_pinned.seed
    assert other.source.load([*other.overrides, *design.specs(other)[0].overrides]).hardware.growth_per_year == 1.1


@pytest.mark.slow  # a dask cluster and model runs
def test_cli_writes_tables_figure_and_prints_probabilities(tmp_path: Path, scenario_file: Path, scheduler: str) -> None:
    result = invoke("ensemble", *_files(scenario_file), "--draws", "2", "--out", "ens", "--scheduler", scheduler,
                    "--seed", "3", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "mini[hardware.stall_year=2025] vs mini: P(spend_cut > 0.5) = " in result.output
    for name in (DRAWS, OUTCOMES, PAIRED, "quantiles.csv", "probabilities.csv", "columns.csv", "fan_charts.png"):
        assert (tmp_path / "ens" / name).stat().st_size > 0, name


def test_fan_charts_draw_bands_and_medians_per_scenario() -> None:
    from marketsim.viz.fan_figures import FAN_PANELS, fan_charts

    steps = np.arange(8)
    rows = []
    for scenario, level in (("a", 1.0), ("b", 2.0)):
        for series, *_ in FAN_PANELS:
            for step in steps:
                value = level * (step + 1) / 10
                rows.append({"scenario": scenario, "series": series, "step": step, "year": 2025 + step / 4,
                             "p5": value * 0.5, "p25": value * 0.8, "p50": value, "p75": value * 1.2,
                             "p95": value * 1.5, "runs": 10})
    figure = fan_charts(pd.DataFrame(rows), "test")
    panels = [ax for ax in figure.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == [title for _, title, _, _ in FAN_PANELS]
    for ax in panels:
        assert len(ax.lines) == 2 and len(ax.collections) == 4  # a median and two bands per scenario
    assert "quantiles over 10 parameter draws" in figure.get_suptitle()
