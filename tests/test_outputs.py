"""Run summaries, atomic output folders, run/compare folders and the run/compare commands."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _cli import invoke, marked_folder
from _synthetic import (
    FIRM_COLUMNS,
    MINI_SCENARIO_TOML,
    MODEL_COLUMNS,
    SyntheticSpec,
    hand_model_table,
    make_tables,
    write_mini_scenario,
)
from marketsim.experiments.compare import (
    COMPARISON_COLUMNS,
    check_distinct_names,
    comparison_table,
    default_compare_name,
    write_comparison,
)
from marketsim.experiments.outputs import (
    MANIFEST_NAME,
    OutputExistsError,
    atomic_output_dir,
    folder_name,
    write_run,
)
from marketsim.experiments.run import RunResult, json_safe, summarize, with_seed
from marketsim.viz import COMPARE_FIGURES, RUN_FIGURES, save_compare_figures, save_run_figures
from marketsim.config import SCENARIO_DIR, ScenarioError, load_scenario, scenario_from_dict

#: What write_run_files writes (also each run's subfolder of a comparison).
RUN_TABLES = {"model.csv", "firms.csv", "summary.json", "scenario.toml", "columns.csv"}
#: A committed run folder: the tables and the manifest that marks it as marketsim's.
RUN_FILES = RUN_TABLES | {MANIFEST_NAME}


def mini_scenario(name: str = "mini"):
    return scenario_from_dict(tomllib.loads(MINI_SCENARIO_TOML.format(name=name)))


def synthetic_result(name: str = "mini", **spec) -> RunResult:
    """A RunResult from synthetic tables (no model run) with a real, valid scenario."""
    scenario = mini_scenario(name)
    model, firms = make_tables(SyntheticSpec(start_year=2025, **spec))
    return RunResult(scenario, 3, model, firms, summarize(model, firms, scenario, 3))




def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


# --- summarize -----------------------------------------------------------------------------------


def test_summary_headlines_from_a_hand_made_table():
    # quarters from 2030.00; adoption reaches 0.5 exactly in the 4th period (2030.75)
    shares = [0.1, 0.3, 0.49, 0.5, 0.45, 0.7]
    spend = [1e9, 0.0, 2e9, 0.0, 3.5e9, 0.0]
    model = hand_model_table(shares, start_year=2030, training_spend=spend)
    _, firms = make_tables(SyntheticSpec(years=2))
    scenario = mini_scenario()
    s = summarize(model, firms, scenario, seed=11)

    assert s["scenario"] == "mini" and s["seed"] == 11
    assert s["year_adoption_passes_50pct"] == 2030.75
    assert s["cumulative_training_spend"] == pytest.approx(6.5e9)
    assert s["final_adoption_share"] == 0.7
    assert s["final_adopters"] == pytest.approx(0.7e6)
    assert s["final_training_spend_annual"] == pytest.approx(0.0)
    # largest/best over the whole run, final for the state variables
    assert s["largest_N"] == pytest.approx(4e9) and s["largest_D"] == pytest.approx(8e10)
    assert s["best_loss"] == pytest.approx(2.2)
    assert s["final_hhi"] == pytest.approx(0.4) and s["firms_alive"] == 2
    # six quarters starting 2030.00 end at 2031.50
    assert s["end_year"] == pytest.approx(2031.5) and s["periods"] == 6
    assert s["start_year"] == scenario.meta.start_year
    for key in ("marketsim_version", "python_version", "numpy_version", "mesa_version"):
        assert isinstance(s[key], str) and s[key]


def test_summary_says_none_when_adoption_never_reaches_half_and_has_no_nan():
    model = hand_model_table([0.1, 0.2, 0.49999])
    model["best_loss"] = np.nan  # no model on sale at any time
    firms = make_tables(SyntheticSpec(years=1))[1].assign(share=0.0)
    s = summarize(model, firms, mini_scenario(), 0)
    assert s["year_adoption_passes_50pct"] is None
    assert s["best_loss"] is None
    assert s["final_leader"] is None  # nobody adopts: no leader
    text = json.dumps(s, allow_nan=False)  # raises on NaN or inf
    assert "NaN" not in text


def test_summary_values_are_python_builtins():
    result = synthetic_result()
    for key, value in result.summary.items():
        assert value is None or type(value) in (str, int, float, bool), (key, type(value))
    json.dumps(result.summary, allow_nan=False)


def test_final_leader_is_the_largest_final_share_and_ties_go_to_the_first_firm():
    _, firms = make_tables(SyntheticSpec(years=1, firms=("A", "B", "C"), exit_firm=None))
    last = firms["step"] == firms["step"].max()
    firms.loc[last, "share"] = [0.2, 0.5, 0.3]
    assert summarize(hand_model_table([0.1]), firms, mini_scenario(), 0)["final_leader"] == "B"
    firms.loc[last, "share"] = [0.4, 0.2, 0.4]
    assert summarize(hand_model_table([0.1]), firms, mini_scenario(), 0)["final_leader"] == "A"


def test_summarize_rejects_an_empty_model_table():
    with pytest.raises(ValueError, match="cannot summarize scenario 'mini': the model table has no rows"):
        summarize(hand_model_table([]), pd.DataFrame(columns=FIRM_COLUMNS), mini_scenario(), 0)


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
))
def test_json_safe_output_is_always_strict_json(value):
    json.dumps(json_safe(value), allow_nan=False)


def test_json_safe_converts_numpy_types_and_non_finite_floats():
    out = json_safe({"a": np.float64(1.5), "b": np.int64(3), "c": np.bool_(True), "d": [np.nan, np.inf, 2.0]})
    assert out == {"a": 1.5, "b": 3, "c": True, "d": [None, None, 2.0]}
    assert type(out["a"]) is float and type(out["b"]) is int and type(out["c"]) is bool


def test_with_seed_records_the_seed_and_validates_it():
    scenario = mini_scenario()
    assert with_seed(scenario, None) is scenario
    assert with_seed(scenario, 42).meta.seed == 42
    assert with_seed(scenario, 42).firms == scenario.firms
    with pytest.raises(ScenarioError, match=r"^--seed: meta\.seed = -1"):
        with_seed(scenario, -1)


# --- atomic output folders -----------------------------------------------------------------------


def test_existing_folder_is_refused_without_force_and_left_untouched(tmp_path):
    out = marked_folder(tmp_path / "run", "keep.txt")
    with pytest.raises(OutputExistsError) as info:
        with atomic_output_dir(out, force=False):
            pytest.fail("the body must not run when the folder exists")
    assert isinstance(info.value, FileExistsError)
    assert str(info.value) == (
        f"output folder {out} already exists; pass --force to replace it, or choose another folder with --out"
    )
    assert (out / "keep.txt").read_text() == "old"
    assert siblings(out) == ["run"]


def test_force_replaces_the_folder_only_when_the_new_one_is_complete(tmp_path):
    out = marked_folder(tmp_path / "run", "old.txt")
    with atomic_output_dir(out, force=True, command="compare", seed=7) as tmp:
        assert tmp.parent == out.parent and tmp.name.startswith(".run.tmp-")
        (tmp / "new.txt").write_text("new")
        assert (out / "old.txt").read_text() == "old"  # still there while the new one is written
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "new.txt"]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["written_by"] == "marketsim" and manifest["command"] == "compare"
    assert manifest["seed"] == 7
    assert siblings(out) == ["run"]


def test_success_moves_the_temporary_folder_into_place(tmp_path):
    out = tmp_path / "a" / "b" / "run"
    with atomic_output_dir(out) as tmp:
        (tmp / "x.csv").write_text("1\n")
    assert (out / "x.csv").read_text() == "1\n"
    assert siblings(out) == ["run"]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_an_error_mid_write_leaves_no_trace(tmp_path, error, existing):
    out = tmp_path / "nested" / "run"
    if existing:
        marked_folder(out, "old.txt")
    with pytest.raises(type(error)):
        with atomic_output_dir(out, force=True) as tmp:
            (tmp / "half.csv").write_text("1,2\n")
            raise error
    if existing:
        assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "old.txt"]
        assert siblings(out) == ["run"]
    else:
        # neither the folder, nor a .tmp sibling, nor the parent folder this call created
        assert list(tmp_path.iterdir()) == []


def test_folder_name_makes_scenario_names_safe():
    assert folder_name("stall 2030/slow") == "stall-2030-slow"
    assert folder_name("baseline") == "baseline"
    with pytest.raises(ValueError, match="scenario name '///' has no letters or digits"):
        folder_name("///")


# --- run folders -----------------------------------------------------------------------------------


def test_write_run_writes_tables_summary_scenario_and_figures(tmp_path):
    result = synthetic_result()
    out = write_run(result, tmp_path / "run", figures=save_run_figures)
    assert {p.name for p in out.iterdir()} == RUN_FILES | set(RUN_FIGURES)
    model = pd.read_csv(out / "model.csv")
    firms = pd.read_csv(out / "firms.csv")
    assert list(model.columns) == MODEL_COLUMNS and list(firms.columns) == FIRM_COLUMNS
    assert len(model) == len(result.model) and len(firms) == len(result.firms)
    np.testing.assert_allclose(model["training_spend"], result.model["training_spend"], rtol=1e-9)
    assert json.loads((out / "summary.json").read_text()) == result.summary
    # the resolved scenario loads back to the same scenario
    assert load_scenario(out / "scenario.toml") == result.scenario
    for name in RUN_FIGURES:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tables_are_byte_identical_when_written_twice(tmp_path):
    result = synthetic_result()
    a = write_run(result, tmp_path / "a")
    b = write_run(synthetic_result(), tmp_path / "b")
    for name in RUN_TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_write_run_without_figures_and_refusing_an_existing_folder(tmp_path):
    out = write_run(synthetic_result(), tmp_path / "run")
    assert {p.name for p in out.iterdir()} == RUN_FILES
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OutputExistsError, match="pass --force"):
        write_run(synthetic_result(years=2), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    write_run(synthetic_result(years=2), out, force=True)
    assert len(pd.read_csv(out / "model.csv")) == 8


# --- comparisons -----------------------------------------------------------------------------------


def test_comparison_table_has_one_row_per_scenario_with_summary_values():
    a = synthetic_result("base")
    b = synthetic_result("stall", stall_year=2027)
    table = comparison_table([a, b])
    assert list(table.columns) == COMPARISON_COLUMNS
    assert list(table["scenario"]) == ["base", "stall"]
    assert table.loc[0, "cumulative_training_spend"] == pytest.approx(a.model["training_spend"].sum())
    assert table.loc[1, "cumulative_training_spend"] == pytest.approx(b.model["training_spend"].sum())
    # the stall caps hardware efficiency, so the same budgets buy smaller models
    assert table.loc[1, "largest_N"] < table.loc[0, "largest_N"]
    assert table.loc[1, "final_hhi"] == pytest.approx(b.model["hhi"].iloc[-1])


def test_write_comparison_layout(tmp_path):
    results = [synthetic_result("base"), synthetic_result("stall 2027", stall_year=2027)]
    out = write_comparison(results, tmp_path / "cmp", figures=save_run_figures, compare_figures=save_compare_figures)
    names = {p.name for p in out.iterdir()}
    assert names == {"comparison.csv", "columns.csv", "base", "stall-2027", MANIFEST_NAME, *COMPARE_FIGURES}
    assert {p.name for p in (out / "stall-2027").iterdir()} == RUN_TABLES | set(RUN_FIGURES)
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["scenario"]) == ["base", "stall 2027"]
    assert siblings(out) == ["cmp"]


def test_duplicate_scenario_names_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"distinct meta.name values; these clash: \['a b', 'a-b'\]"):
        check_distinct_names(["a b", "a-b", "c"])
    with pytest.raises(ValueError, match="these clash: \\['x'\\]"):
        write_comparison([synthetic_result("x"), synthetic_result("x")], tmp_path / "cmp")
    assert list(tmp_path.iterdir()) == []


def test_default_compare_name():
    assert default_compare_name(["baseline", "stall 2030"]) == "compare-baseline-vs-stall-2030"


# --- commands (these run the model on a one-year, 200-consumer scenario) ---------------------------




def test_run_command_writes_the_folder_and_refuses_to_overwrite(tmp_path):
    scenario = write_mini_scenario(tmp_path)
    first = invoke("run", str(scenario), "--quiet", "--no-figures", cwd=tmp_path)
    assert first.exit_code == 0, first.output
    out = tmp_path / "outputs" / "mini"
    assert first.stdout.strip() == str(Path("outputs") / "mini")
    assert {p.name for p in out.iterdir()} == RUN_FILES
    model = pd.read_csv(out / "model.csv")
    assert list(model.columns) == MODEL_COLUMNS and len(model) == 4  # one year of quarters
    assert list(pd.read_csv(out / "firms.csv").columns) == FIRM_COLUMNS
    assert set(pd.read_csv(out / "firms.csv")["firm"]) == {"Alpha", "Beta"}
    assert json.loads((out / "summary.json").read_text())["seed"] == 3

    before = (out / "model.csv").read_bytes()
    again = invoke("run", str(scenario), "--quiet", "--seed", "5", cwd=tmp_path)
    assert again.exit_code == 2
    assert "already exists; pass --force" in again.stderr
    assert (out / "model.csv").read_bytes() == before
    assert siblings(out) == ["mini"]

    forced = invoke("run", str(scenario), "--quiet", "--no-figures", "--force", "--seed", "5",
                    "--set", "meta.years=0.5", cwd=tmp_path)
    assert forced.exit_code == 0, forced.output
    assert len(pd.read_csv(out / "model.csv")) == 2
    assert load_scenario(out / "scenario.toml").meta.seed == 5  # the resolved scenario records the seed


def test_run_command_prints_headlines(tmp_path):
    scenario = write_mini_scenario(tmp_path)
    result = invoke("run", str(scenario), "--out", "here", "--no-figures", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "Results written to here" in result.stdout
    assert "adoption at end" in result.stdout and "leader at end" in result.stdout


def test_run_command_reports_scenario_errors_with_exit_2(tmp_path):
    missing = invoke("run", "no-such-file.toml", cwd=tmp_path)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("no-such-file.toml: ")
    assert not (tmp_path / "outputs").exists()


def test_compare_command(tmp_path):
    a = write_mini_scenario(tmp_path, "base")
    b = write_mini_scenario(tmp_path, "other")
    result = invoke("compare", str(a), str(b), "--quiet", "--seed", "1", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "outputs" / "compare-base-vs-other"
    assert {p.name for p in out.iterdir()} == {"comparison.csv", "columns.csv", "base", "other", MANIFEST_NAME,
                                               *COMPARE_FIGURES}
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == COMPARISON_COLUMNS and list(table["scenario"]) == ["base", "other"]
    # identical scenarios with one seed give identical numbers (common random numbers)
    metrics = table.columns[1:].drop([c for c in table.columns if c.endswith(("_diff", "_pct_change"))])
    assert table.loc[0, metrics].tolist() == table.loc[1, metrics].tolist()

    again = invoke("compare", str(a), str(b), "--quiet", cwd=tmp_path)
    assert again.exit_code == 2 and "already exists; pass --force" in again.stderr


def test_compare_command_needs_two_distinct_scenarios(tmp_path):
    a = write_mini_scenario(tmp_path, "base")
    one = invoke("compare", str(a), cwd=tmp_path)
    assert one.exit_code == 2
    assert one.stderr.strip() == "error: compare needs at least two scenarios; got 1 (use `marketsim run` for one)"
    same = invoke("compare", str(a), str(a), cwd=tmp_path)
    assert same.exit_code == 2 and "these clash: ['base']" in same.stderr
    assert not (tmp_path / "outputs").exists()


def test_same_scenario_and_seed_give_byte_identical_tables(tmp_path):
    scenario = write_mini_scenario(tmp_path)
    for out in ("a", "b"):
        result = invoke("run", str(scenario), "--quiet", "--no-figures", "--out", out, cwd=tmp_path)
        assert result.exit_code == 0, result.output
    for name in ("model.csv", "firms.csv", "summary.json", "scenario.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.skipif(not (SCENARIO_DIR / "baseline.toml").is_file(), reason="bundled baseline scenario not there yet")
def test_bundled_baseline_runs_through_the_cli(tmp_path):
    result = invoke("run", "baseline", "--set", "meta.years=2", "--set", "consumers.count=500",
                    "--out", "base", "--quiet", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "base"
    assert {p.name for p in out.iterdir()} == RUN_FILES | set(RUN_FIGURES)
    model = pd.read_csv(out / "model.csv")
    scenario = load_scenario(out / "scenario.toml")
    assert list(model.columns) == MODEL_COLUMNS
    assert len(model) == 2 * scenario.meta.periods_per_year
    assert scenario.consumers.count == 500
    assert list(pd.read_csv(out / "firms.csv").columns) == FIRM_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["final_adoption_share"] <= 1.0
    assert math.isclose(summary["cumulative_training_spend"], model["training_spend"].sum(), rel_tol=1e-9)


# --- the one JSON writer, and experiments below viz -------------------------------------------------


def test_write_json_is_strict_atomic_and_converts_numpy(tmp_path):
    from marketsim.experiments.files import write_json

    path = tmp_path / "sub" / "a.json"
    write_json({"n": np.int64(3), "x": np.float64(0.5), "v": np.arange(2)}, path)
    assert path.read_text(encoding="utf-8") == '{\n  "n": 3,\n  "x": 0.5,\n  "v": [\n    0,\n    1\n  ]\n}\n'
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        write_json({"x": math.nan}, path)
    assert json.loads(path.read_text()) == {"n": 3, "x": 0.5, "v": [0, 1]}  # the old file is intact
    write_json({"x": math.nan}, path, allow_nan=True)  # records only marketsim reads back
    assert math.isnan(json.loads(path.read_text())["x"])
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]  # no temporary file left


def test_experiments_import_nothing_from_viz_or_cli():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import marketsim.experiments.outputs, marketsim.experiments.compare, marketsim.experiments.run\n"
        "import marketsim.experiments.batch.sweep, marketsim.experiments.batch.sensitivity\n"
        "import marketsim.experiments.bench\n"
        "print(sorted(m for m in sys.modules if m.startswith(('marketsim.viz', 'marketsim.cli'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_write_run_draws_figures_only_through_the_writer_it_is_given(tmp_path):
    calls = []

    def figures(model, firms, out_dir, *, scenario=None, stall_year=None):
        calls.append((len(model), len(firms), out_dir.name, scenario, stall_year))
        (out_dir / "fig.png").write_bytes(b"png")
        return [out_dir / "fig.png"]

    result = synthetic_result()
    out = write_run(result, tmp_path / "run", figures=figures)
    assert "fig.png" in {p.name for p in out.iterdir()}
    # drawn into the temporary folder before the commit, with the run's name and stall year
    assert calls == [(len(result.model), len(result.firms), calls[0][2], "mini", result.scenario.hardware.stall_year)]
    assert calls[0][2].startswith(".run.tmp-")
