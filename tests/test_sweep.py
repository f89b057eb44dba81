"""Sweeps on dask: per-run tables, resume after interruption, failures, the sweep folder contract.

The toy run function is module-level (dask pickles it by reference; workers import this module).
Its behaviour is steered by the text of a small TOML "scenario" file (shipped with each task, as the
real scenario is), so a test can make one run fail or send Ctrl-C (SIGINT) to the test process,
exactly as a user pressing Ctrl-C would.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pytest
from distributed import LocalCluster
from hypothesis import given
from hypothesis import strategies as st

from _synthetic import BATCH_SCENARIO_TOML

from marketsim.config.keypaths import parse_list_specs, parse_scalar
from marketsim.experiments.batch.parameters import make_run_id, resolve_seeds, sweep_runs
from marketsim.experiments.batch.source import ScenarioSource, read_scenario
from marketsim.experiments.batch.store import SweepMismatchError, SweepOutputError
from marketsim.experiments.batch.sweep import SweepInterrupted, run_sweep
from marketsim.config import ScenarioError

def toy_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """Deterministic table from the overrides and seed: value = (sum of numeric params) * step + seed.

    The scenario text may hold [toy] fail_x (raise ValueError when param x equals it, while the file
    ``<scenario>.fail`` exists) and interrupt_seed / pid / runs_dir / after (send SIGINT to pid once,
    when at least ``after`` run tables are in runs_dir, so some work is saved first).
    """
    scenario_path = scenario.path
    toy = tomllib.loads(scenario.text).get("toy", {})
    params = {k: parse_scalar(v) for k, _, v in (o.partition("=") for o in overrides)}
    if params.get("x") == toy.get("fail_x") and Path(scenario_path + ".fail").exists():
        raise ValueError(f"toy failure at x={params['x']}")
    marker = Path(scenario_path + ".interrupted")
    if seed == toy.get("interrupt_seed") and not marker.exists():
        marker.touch()
        deadline = time.monotonic() + 20  # a bound, so a broken sweep fails instead of hanging
        while len(list(Path(toy["runs_dir"]).glob("*.parquet"))) < toy["after"]:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        os.kill(toy["pid"], signal.SIGINT)
        time.sleep(5.0)  # still running when the parent is interrupted (even on a loaded machine), so not saved
    level = sum(v for v in params.values() if isinstance(v, int | float) and not isinstance(v, bool))
    steps = pd.RangeIndex(5)
    table = pd.DataFrame({"step": steps, "year": 2025 + steps / 4, "value": level * steps + seed})
    return table, {"final_value": float(table["value"].iloc[-1]), "never": None, "label": "toy"}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One 2-process cluster for the module (start-up is the slow part of these tests)."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def write_toy_scenario(tmp_path: Path, **toy: object) -> Path:
    path = tmp_path / "toy.toml"
    lines = ["[toy]", *(f"{k} = {json.dumps(v)}" for k, v in toy.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def sweep(scenario: Path, out: Path, scheduler: str, grid: dict, seeds: Sequence[int]):
    return run_sweep(scenario, grid, seeds, out, scheduler=scheduler, progress=False, run_fn=toy_run)


# --- parsing and run specs ----------------------------------------------------------------------


def test_parse_grid_types_values_per_key() -> None:
    grid = parse_list_specs(["hardware.growth_per_year=1.2, 1.35", "firms[0].retrain_every_periods=4,8",
                       "scaling.preset=besiroglu2024,hoffmann2022", "a.flag=true,false", "m.x=1,abc"])
    assert grid == {
        "hardware.growth_per_year": [1.2, 1.35],
        "firms[0].retrain_every_periods": [4, 8],
        "scaling.preset": ["besiroglu2024", "hoffmann2022"],
        "a.flag": [True, False],
        "m.x": ["1", "abc"],  # one type per key keeps the table column typed
    }
    assert all(type(v) is int for v in grid["firms[0].retrain_every_periods"])


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["hardware.growth_per_year"], "--grid 'hardware.growth_per_year': expected key.path=v1,v2,..."),
        (["=1,2"], "--grid '=1,2': expected key.path=v1,v2,..."),
        (["a..b=1"], "--grid 'a..b=1': expected key.path=v1,v2,..."),
        (["a.b=1,,2"], "--grid 'a.b=1,,2': empty value in '1,,2'"),
        (["a.b="], "--grid 'a.b=': empty value in ''"),
        (["a.b=1,1"], "--grid 'a.b=1,1': a value is repeated; give each value once"),
        (["a.b=1", "a.b=2"], "--grid 'a.b=2': key 'a.b' is given twice; list all values in one spec"),
    ],
)
def test_parse_grid_errors_name_the_spec(specs: list[str], message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_list_specs(specs)
    assert str(err.value).startswith(message)


@given(
    params=st.dictionaries(st.sampled_from(["a", "b.c", "d[0].e"]), st.integers(-5, 5) | st.floats(-3, 3)),
    seed=st.integers(0, 1000),
)
def test_run_id_ignores_key_order_and_depends_on_seed(params: dict, seed: int) -> None:
    reordered = dict(reversed(list(params.items())))
    assert make_run_id(reordered, seed) == make_run_id(params, seed)
    assert make_run_id(params, seed) != make_run_id(params, seed + 1)
    assert len(make_run_id(params, seed)) == 12


def test_sweep_runs_is_the_cartesian_product_with_offset_seeds() -> None:
    runs = sweep_runs({"a": [1, 2], "b": ["x", "y", "z"]}, 2, base_seed=10)
    assert len(runs) == 2 * 3 * 2
    assert {(r.params["a"], r.params["b"], r.seed) for r in runs} == {
        (a, b, s) for a in (1, 2) for b in "xyz" for s in (10, 11)
    }
    assert len({r.run_id for r in runs}) == len(runs)
    assert runs[0].overrides == ["a=1", "b=x"]
    assert sweep_runs({"g": [1.5]}, [7])[0].overrides == ["g=1.5"]
    assert [r.seed for r in sweep_runs({}, [3, 5])] == [3, 5]  # no grid: replications only


def test_resolve_seeds_rejects_bad_counts_and_lists() -> None:
    assert resolve_seeds(3, base_seed=42) == [42, 43, 44]
    with pytest.raises(ValueError, match=r"seeds: number of seeds must be >= 1, got 0"):
        resolve_seeds(0)
    with pytest.raises(ValueError, match=r"seeds: expected distinct integers >= 0, got \[1, 1\]"):
        resolve_seeds([1, 1])


# --- running on the cluster ----------------------------------------------------------------------


def test_sweep_tables_equal_single_runs(tmp_path: Path, scheduler: str) -> None:
    scenario = write_toy_scenario(tmp_path)
    out = tmp_path / "out"
    result = sweep(scenario, out, scheduler, {"x": [1, 2.5]}, [0, 1, 2])
    assert (result.total, result.computed, result.skipped, result.failed) == (6, 6, 0, 0)
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns[:3]) == ["run_id", "x", "seed"]
    assert len(runs) == 6 * 5
    for spec in sweep_runs({"x": [1, 2.5]}, [0, 1, 2]):
        alone, summary = toy_run(read_scenario(scenario), spec.overrides, spec.seed)
        own = pd.read_parquet(out / "runs" / f"{spec.run_id}.parquet")
        combined = runs[runs["run_id"] == spec.run_id].reset_index(drop=True)
        # Combining int (x=1) and float (x=2.5) runs makes "value" float there; values are equal.
        for table, exact_dtypes in ((own, True), (combined, False)):
            assert (table["x"] == spec.params["x"]).all() and (table["seed"] == spec.seed).all()
            pd.testing.assert_frame_equal(
                table.drop(columns=["run_id", "x", "seed"]), alone, check_dtype=exact_dtypes
            )
        saved = json.loads((out / "summaries" / f"{spec.run_id}.json").read_text())
        assert saved["summary"] == summary and saved["params"] == spec.params
    summary_table = pd.read_parquet(out / "summary.parquet")
    assert list(summary_table.columns[:5]) == ["run_id", "x", "seed", "status", "error"]
    assert set(summary_table["status"]) == {"done"}
    # value = x * step + seed, so the final (step 4) value is 4x + seed
    expected = 4 * summary_table["x"] + summary_table["seed"]
    assert summary_table["final_value"].tolist() == expected.tolist()
    assert not list(out.rglob("*.tmp"))


def test_rerun_skips_finished_and_recomputes_deleted(tmp_path: Path, scheduler: str) -> None:
    scenario = write_toy_scenario(tmp_path)
    out = tmp_path / "out"
    first = sweep(scenario, out, scheduler, {"x": [1, 2]}, [0, 1, 2])
    again = sweep(scenario, out, scheduler, {"x": [1, 2]}, [0, 1, 2])
    assert (again.computed, again.skipped, again.failed) == (0, 6, 0)
    deleted = sorted((out / "runs").glob("*.parquet"))[:2]
    for path in deleted:
        path.unlink()
    resumed = sweep(scenario, out, scheduler, {"x": [1, 2]}, [0, 1, 2])
    assert (resumed.computed, resumed.skipped, resumed.failed) == (2, 4, 0)
    assert len(list((out / "runs").glob("*.parquet"))) == first.total
    assert len(pd.read_parquet(out / "runs.parquet")) == 6 * 5


def test_ctrl_c_keeps_finished_runs_and_rerun_computes_only_the_rest(
    tmp_path: Path, scheduler: str
) -> None:
    seeds = list(range(8))
    out = tmp_path / "out"
    scenario = write_toy_scenario(
        tmp_path, interrupt_seed=3, pid=os.getpid(), runs_dir=str(out / "runs"), after=2
    )
    with pytest.raises(SweepInterrupted) as err:
        sweep(scenario, out, scheduler, {"x": [1]}, seeds)
    partial = err.value.result
    finished = len(list((out / "runs").glob("*.parquet")))
    assert 2 <= finished < 8
    interrupting = sweep_runs({"x": [1]}, [3])[0].run_id
    assert not (out / "runs" / f"{interrupting}.parquet").exists(), "it was still running"
    assert partial.counts == {"done": finished, "missing": 8 - finished}
    assert f"{finished} of 8 runs are finished" in str(err.value)
    assert "rerun with the same arguments to resume" in str(err.value)
    combined = pd.read_parquet(out / "summary.parquet")  # combined in the finally, despite Ctrl-C
    assert (combined["status"] == "done").sum() == finished
    assert len(pd.read_parquet(out / "runs.parquet")) == finished * 5

    resumed = sweep(scenario, out, scheduler, {"x": [1]}, seeds)
    assert (resumed.computed, resumed.skipped, resumed.failed) == (8 - finished, finished, 0)
    assert resumed.counts == {"done": 8}


def test_failed_run_is_recorded_and_others_complete_then_retried(
    tmp_path: Path, scheduler: str
) -> None:
    scenario = write_toy_scenario(tmp_path, fail_x=3)
    Path(str(scenario) + ".fail").touch()
    out = tmp_path / "out"
    result = sweep(scenario, out, scheduler, {"x": [1, 3]}, [0, 1])
    assert (result.computed, result.skipped, result.failed) == (2, 0, 2)
    failed = {r.run_id: r for r in sweep_runs({"x": [1, 3]}, [0, 1]) if r.params["x"] == 3}
    assert {p.stem for p in (out / "failures").glob("*.json")} == set(failed)
    record = json.loads((out / "failures" / f"{next(iter(failed))}.json").read_text())
    assert record["error_type"] == "ValueError"
    assert record["message"] == "toy failure at x=3"
    assert record["params"] == {"x": 3} and record["overrides"] == ["x=3"]
    assert "in toy_run" in record["traceback"]
    table = pd.read_parquet(out / "summary.parquet").set_index("run_id")
    assert (table.loc[list(failed), "status"] == "failed").all()
    assert (table.loc[list(failed), "error"] == "ValueError: toy failure at x=3").all()
    assert table.loc[list(failed), "final_value"].isna().all()
    assert set(pd.read_parquet(out / "runs.parquet")["x"]) == {1}

    Path(str(scenario) + ".fail").unlink()  # the cause is fixed: a rerun retries only the failures
    retried = sweep(scenario, out, scheduler, {"x": [1, 3]}, [0, 1])
    assert (retried.computed, retried.skipped, retried.failed) == (2, 2, 0)
    assert not list((out / "failures").glob("*.json"))


def test_rerun_with_other_grid_or_scenario_is_refused(tmp_path: Path, scheduler: str) -> None:
    scenario = write_toy_scenario(tmp_path)
    out = tmp_path / "out"
    sweep(scenario, out, scheduler, {"x": [1, 2]}, [0])
    with pytest.raises(SweepMismatchError) as err:
        sweep(scenario, out, scheduler, {"x": [1, 3]}, [0])
    message = str(err.value)
    assert "grid: recorded {'x': [1, 2]}, now {'x': [1, 3]}" in message
    assert "Nothing was changed: choose a new --out, or pass --force" in message
    scenario.write_text("[toy]\nfail_x = 9\n")
    with pytest.raises(SweepMismatchError, match="toy.toml has changed since the sweep in .* started"):
        sweep(scenario, out, scheduler, {"x": [1, 2]}, [0])


def test_non_sweep_folder_is_refused(tmp_path: Path, scheduler: str) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "model.csv").write_text("step\n0\n")
    with pytest.raises(SweepOutputError, match=r"already exists and is a folder without marketsim-manifest.json"):
        sweep(write_toy_scenario(tmp_path), out, scheduler, {"x": [1]}, [0])
    assert sorted(p.name for p in out.iterdir()) == ["model.csv"], "left untouched"


def test_missing_scenario_and_conflicting_cluster_options(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="nope.toml: no such file"):
        run_sweep(tmp_path / "nope.toml", {"x": [1]}, [0], tmp_path / "out", run_fn=toy_run)
    with pytest.raises(ValueError, match="give either --workers .* or --scheduler .*, not both"):
        run_sweep(write_toy_scenario(tmp_path), {"x": [1]}, [0], tmp_path / "out", workers=1,
                  scheduler="tcp://127.0.0.1:1", progress=False, run_fn=toy_run)


def test_own_local_cluster_when_no_scheduler_given(tmp_path: Path) -> None:
    scenario = write_toy_scenario(tmp_path)
    result = run_sweep(scenario, {"x": [2]}, [0, 1], tmp_path / "out", workers=1, progress=False,
                       run_fn=toy_run)
    assert (result.computed, result.failed) == (2, 0)
    assert sorted(result.runs.groupby("seed")["value"].last()) == [8, 9]  # 2 * 4 + seed


# --- the real run function and the command line ----------------------------------------------------

SMALL_SCENARIO = BATCH_SCENARIO_TOML.format(name="sweep-test", count=500)


@pytest.mark.slow
def test_real_runs_match_run_scenario_and_seeds_start_at_meta_seed(
    tmp_path: Path, scheduler: str
) -> None:
    from marketsim.experiments.run import run_scenario
    from marketsim.config import load_scenario

    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_SCENARIO)
    out = tmp_path / "out"
    grid = {"consumers.price_sensitivity": [0.5, 2.0]}  # sets the best-response markup: runs differ
    result = run_sweep(scenario, grid, 2, out, scheduler=scheduler, progress=False)
    assert (result.computed, result.failed) == (4, 0)
    assert sorted(set(result.summary["seed"])) == [5, 6]  # meta.seed, meta.seed + 1
    for spec in sweep_runs(grid, [5, 6]):
        alone = run_scenario(load_scenario(scenario, spec.overrides), seed=spec.seed)
        table = pd.read_parquet(out / "runs" / f"{spec.run_id}.parquet")
        pd.testing.assert_frame_equal(table.drop(columns=["run_id", "consumers.price_sensitivity", "seed"]), alone.model)
        row = result.summary.set_index("run_id").loc[spec.run_id]
        assert row["final_adoption_share"] == pytest.approx(alone.summary["final_adoption_share"])
    # columns.csv describes every column of both combined tables, grid keys included
    columns = pd.read_csv(out / "columns.csv")
    for table in ("runs.parquet", "summary.parquet"):
        described = columns[columns["table"] == table]
        assert described["column"].tolist() == list(pd.read_parquet(out / table).columns)
        assert "consumers.price_sensitivity" in set(described["column"]) and not described["unit"].isna().any()
    assert "unknown" not in set(columns["unit"])


def test_cli_rejects_bad_grid_and_both_cluster_options(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from marketsim.cli import app

    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_SCENARIO)
    runner = CliRunner()
    out = str(tmp_path / "o")
    bad = runner.invoke(app, ["sweep", str(scenario), "--grid", "firms.0.price", "--out", out])
    assert bad.exit_code == 2
    assert "error: --grid 'firms.0.price': expected key.path=v1,v2,..." in bad.output
    both = runner.invoke(app, ["sweep", str(scenario), "--workers", "2", "--scheduler", "tcp://h:1",
                               "--out", str(tmp_path / "o")])
    assert both.exit_code == 2 and "give either --workers" in both.output
    unknown = runner.invoke(app, ["sweep", str(scenario), "--grid", "firms.0.prize=1,2",
                                  "--out", str(tmp_path / "o")])
    assert unknown.exit_code == 2 and "firms[0].prize: unknown key" in unknown.output
    assert not (tmp_path / "o").exists(), "bad overrides must be caught before anything is written"


@pytest.mark.slow
def test_cli_sweep_runs_resumes_and_prints_counts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from marketsim.cli import app

    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL_SCENARIO)
    args = ["sweep", str(scenario), "--grid", "firms.0.price=2,8", "--seeds", "2", "--workers", "2",
            "--out", str(tmp_path / "o")]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Sweep: 4 computed, 0 already done, 0 failed" in first.output
    (tmp_path / "o" / "runs" / f"{sweep_runs({'firms.0.price': [2]}, [5])[0].run_id}.parquet").unlink()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "Sweep: 1 computed, 3 already done, 0 failed" in again.output
