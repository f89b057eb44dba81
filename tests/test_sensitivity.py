"""Sobol' sensitivity through the sweep machinery, on a toy function with known indices.

For y = 4 x1 + x2 + 0 x3 with independent x_i ~ U(0, 1), Var(y) = (16 + 1) / 12, so the exact
indices are S1 = ST = 16/17 for x1, 1/17 for x2 and 0 for x3 (additive: no interactions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from pydantic import BaseModel

from marketsim.config.keypaths import field_type, parse_range_specs, parse_scalar
from marketsim.experiments.batch.sensitivity import (
    RESULT_COLUMNS,
    analyze,
    sample_specs,
    sobol_problem,
    sobol_sensitivity,
)
from marketsim.experiments.batch.source import ScenarioSource
from marketsim.config import scenario_from_dict

BOUNDS = {"x1": (0.0, 1.0), "x2": (0.0, 1.0), "x3": (0.0, 1.0)}


def linear_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """y = 4 x1 + x2 + 0 x3 as a one-period run (module-level: dask pickles it by reference)."""
    x = {k: float(parse_scalar(v)) for k, _, v in (o.partition("=") for o in overrides)}
    y = 4 * x["x1"] + x["x2"] + 0 * x["x3"]
    return pd.DataFrame({"step": [0], "y": [y]}), {"y": y, "constant": 1.0, "label": "toy", "never": None}


def failing_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """linear_run, but raising for x1 > 0.75 (a balanced Sobol' sample of 8 always has 2 there)."""
    x1 = float(parse_scalar(overrides[0].partition("=")[2]))
    if x1 > 0.75:
        raise ValueError(f"x1 = {x1} too large")
    return linear_run(scenario, overrides, seed)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text("# toy: the run function ignores the file\n")
    return path


def sensitivity(scenario: Path, out: Path, scheduler: str, output: str = "y", samples: int = 32):
    return sobol_sensitivity(
        scenario, BOUNDS, samples, output, seeds=[0], scheduler=scheduler, out_dir=out,
        run_fn=linear_run, integer=(), progress=False,
    )


def test_linear_toy_ranks_x1_first_and_x3_last_with_zero_total(
    tmp_path: Path, scenario: Path, scheduler: str
) -> None:
    out = tmp_path / "out"
    table = sensitivity(scenario, out, scheduler)
    assert list(table.columns) == RESULT_COLUMNS
    assert table["parameter"].tolist() == ["x1", "x2", "x3"]
    x1, x2, x3 = (table.set_index("parameter").loc[p] for p in ("x1", "x2", "x3"))
    assert abs(x3["ST"]) < 0.05 and abs(x3["S1"]) < 0.05
    assert x1["ST"] == pytest.approx(16 / 17, abs=0.1)
    assert x2["ST"] == pytest.approx(1 / 17, abs=0.05)
    saved = pd.read_csv(out / "sensitivity.csv")
    pd.testing.assert_frame_equal(saved, table, check_exact=False)
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # N (k + 2) runs, each recorded like any sweep run
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 32 * (3 + 2)
    assert set(summary.columns) >= {"x1", "x2", "x3", "seed", "y"}

    # Another metric over the same runs re-analyses without recomputing; a constant one is refused.
    with pytest.raises(ValueError, match=r"output is constant \(1.0\) across all 160 samples"):
        sensitivity(scenario, out, scheduler, output="constant")


def test_unknown_metric_stops_early_and_lists_allowed(
    tmp_path: Path, scenario: Path, scheduler: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValueError) as err:
        sensitivity(scenario, out, scheduler, output="final_adoption_share")
    assert str(err.value) == (
        "unknown output metric 'final_adoption_share'; numeric summary keys are: constant, never, y"
    )
    finished = len(list((out / "runs").glob("*.parquet")))
    assert finished < 160, "the sweep must stop at the first summary, not run every sample"


def test_failed_runs_are_reported_not_analysed(tmp_path: Path, scenario: Path, scheduler: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValueError) as err:
        sobol_sensitivity(scenario, BOUNDS, 8, "y", seeds=[0], scheduler=scheduler, out_dir=out,
                          run_fn=failing_run, integer=(), progress=False)
    failures = len(list((out / "failures").glob("*.json")))
    assert failures > 0
    assert str(err.value).startswith(f"{failures} of 40 runs have no value for 'y' ({failures} failed: see ")
    assert not (out / "sensitivity.csv").exists()


def test_samples_must_be_power_of_two(tmp_path: Path, scenario: Path) -> None:
    with pytest.raises(ValueError, match=r"samples must be a power of 2 \(>= 2\), got 100; e.g. 64"):
        sobol_sensitivity(scenario, BOUNDS, 100, "y", seeds=[0], out_dir=tmp_path / "o",
                          run_fn=linear_run, integer=())


def test_analyze_on_exact_outputs_matches_theory() -> None:
    """Indices straight from SALib on the sample: independent of the sweep machinery."""
    from SALib.sample import sobol as sobol_sample

    problem = sobol_problem(BOUNDS)
    x = sobol_sample.sample(problem, 256, calc_second_order=False, seed=1)
    table = analyze(problem, 4 * x[:, 0] + x[:, 1], seed=1).set_index("parameter")
    assert table.loc["x1", "S1"] == pytest.approx(16 / 17, abs=0.05)
    assert table.loc["x3", "ST"] == 0.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a.b=1", "--param 'a.b=1': expected key.path=low:high"),
        ("a.b=x:2", "--param 'a.b=x:2': low and high must be numbers"),
        ("a.b=2:1", "--param 'a.b=2:1': need finite low < high, got low=2.0, high=1.0"),
        ("a.b=1:inf", "--param 'a.b=1:inf': need finite low < high"),
    ],
)
def test_parse_bounds_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_range_specs([spec])
    assert str(err.value).startswith(message)


def test_parse_bounds_values_and_repeats() -> None:
    assert parse_range_specs(["hardware.growth_per_year=1.1:1.5", "firms[0].price = 1:10"]) == {
        "hardware.growth_per_year": (1.1, 1.5),
        "firms[0].price": (1.0, 10.0),
    }
    with pytest.raises(ValueError, match="key 'a' is given twice"):
        parse_range_specs(["a=0:1", "a=1:2"])


def test_integer_parameters_are_rounded_and_duplicate_rows_share_runs() -> None:
    problem = sobol_problem({"n": (1, 3), "g": (0.5, 1.5)})
    rows = np.array([[1.2, 0.7], [2.6, 1.25], [1.4, 0.7]])
    specs, row_ids = sample_specs(problem, rows, [0, 1], integer={"n"})
    assert [s.params["n"] for s in specs[::2]] == [1, 3, 1]
    assert all(type(s.params["n"]) is int and type(s.params["g"]) is float for s in specs)
    assert specs[0].overrides == ["n=1", "g=0.7"]
    assert row_ids[0] == row_ids[2]  # same rounded values, same seeds: the same runs
    assert len({s.run_id for s in specs}) == 4


class _Inner(BaseModel):
    count: int
    share: float
    flag: bool = False
    year: int | None = None


class _Outer(BaseModel):
    inner: _Inner
    items: list[_Inner]


def is_integer_field(model: BaseModel, key_path: str) -> bool:
    """What check_params asks of the key-path module: is the field an int (bools are not)?"""
    return field_type(model, key_path) is int


def test_is_integer_field_reads_types_not_values() -> None:
    model = _Outer(inner=_Inner(count=3, share=1.0), items=[_Inner(count=1, share=0.5)])
    assert is_integer_field(model, "inner.count")
    assert not is_integer_field(model, "inner.share")  # a float, even when its value is whole
    assert not is_integer_field(model, "inner.flag")
    assert is_integer_field(model, "inner.year")  # unset Optional[int]: judged by its annotation
    assert is_integer_field(model, "items[0].count") and is_integer_field(model, "items.0.count")
    with pytest.raises(ValueError, match=r"inner.nope: inner has no field 'nope' \(allowed: count, share, flag, year\)"):
        is_integer_field(model, "inner.nope")


def test_is_integer_field_on_the_scenario_schema() -> None:
    scenario = scenario_from_dict({
        "meta": {"name": "t", "years": 2},
        "hardware": {"flop_per_dollar": 1e17, "growth_per_year": 1.3},
        "data": {"stock_tokens": 1e13},
        "consumers": {"count": 100, "population": 1e6, "tokens_per_adopter_per_period": 1e5},
        "firms": [{"name": "A", "price": 5.0, "cash": 1e9, "credit_limit": 0.0}],
    })
    assert is_integer_field(scenario, "firms.0.retrain_every_periods")
    assert is_integer_field(scenario, "consumers.count")
    assert is_integer_field(scenario, "hardware.stall_year")
    assert not is_integer_field(scenario, "hardware.growth_per_year")
    assert not is_integer_field(scenario, "meta.years")


def test_cli_rejects_bad_param_and_samples(tmp_path: Path, scenario: Path) -> None:
    from typer.testing import CliRunner

    from marketsim.cli import app

    base = ["sensitivity", str(scenario), "--output", "y", "--out", str(tmp_path / "o")]
    bad = CliRunner().invoke(app, [*base, "--param", "hardware.growth_per_year=2:1"])
    assert bad.exit_code == 2
    assert "error: --param 'hardware.growth_per_year=2:1': need finite low < high" in bad.output
    odd = CliRunner().invoke(app, [*base, "--param", "a.b=0:1", "--samples", "10"])
    assert odd.exit_code == 2 and "samples must be a power of 2 (>= 2), got 10" in odd.output


@pytest.mark.slow
def test_real_model_ranks_a_parameter_that_does_not_enter_it_last(tmp_path: Path, scheduler: str) -> None:
    """On the baseline (one firm), switching cost never enters a choice: a consumer can only switch
    between two firms' models. Its total Sobol' index is ~0 and it ranks last; hardware growth and the
    firm's price matter. The price is fixed (firms.pricing = "fixed"): a best-responding firm sets its
    own price each period and never reads firms.price, which would make a second parameter that does
    not enter."""
    from marketsim.config import resolve_scenario_path

    bounds = {"hardware.growth_per_year": (1.1, 1.7), "firms.0.price": (0.7, 1.5),
              "consumers.switching_cost": (0.0, 2.0)}
    table = sobol_sensitivity(
        resolve_scenario_path("baseline"), bounds, 8, "cumulative_training_spend", seeds=[0],
        scheduler=scheduler, out_dir=tmp_path / "real", progress=False,
        overrides=["meta.years=3", "consumers.count=300", "firms.0.pricing=fixed"])
    indices = table.set_index("parameter")
    described = pd.read_csv(tmp_path / "real" / "columns.csv")
    assert set(described["table"]) == {"runs.parquet", "summary.parquet", "sensitivity.csv"}
    assert "unknown" not in set(described["unit"])
    assert table["parameter"].iloc[-1] == "consumers.switching_cost"
    assert abs(indices.loc["consumers.switching_cost", "ST"]) < 1e-9
    assert indices.loc["hardware.growth_per_year", "ST"] > 0.05
    assert indices.loc["firms.0.price", "ST"] > 0.05
