"""Every bad input is refused cleanly; every accepted input runs without inf or NaN (issues 10.10, 16.6).

- extreme values that used to overflow (E, prices, cash, thresholds, population) are refused at
  validation with the allowed range, as are names that cannot name an output folder and files
  nested too deeply to read;
- runs where nothing is on sale, or every firm goes bankrupt, write no NaN and say how they ended;
- a property test draws overrides across each numeric field's allowed range (read from the schema)
  and checks that validation either refuses cleanly or the run's outputs hold no inf or NaN other
  than the documented empty cells.
"""

from __future__ import annotations

import json
import math
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.experiments.outputs import write_run_files
from marketsim.experiments.run import run_scenario
from marketsim.config import (Consumers, Data, Firm, Hardware, Market, Scaling, ScenarioError, load_scenario,
                                resolve_scenario_path)

runner = CliRunner()

#: Small and fast: the property test runs many scenarios.
FAST = ["meta.years=1.5", "consumers.count=200"]

#: Firm columns of the model on sale: empty exactly where the firm has none on sale (loss empty).
ON_SALE = {"loss", "price", "price_per_mtok", "price_adj", "markup"}

#: The only cells that may be missing (NaN in the tables, empty in the CSVs; null in summary.json),
#: each documented as empty in marketsim.sim.columns: no model on sale, a decision not taken, or an
#: event that never happened.
MAY_BE_MISSING = {
    "model": {"best_loss"},
    "firms": ON_SALE | {"expected_profit"},
    "summary": {"best_loss", "year_adoption_passes_50pct", "final_leader", "ended_early_year"},
}


def test_only_columns_documented_as_empty_may_be_missing() -> None:
    from marketsim.sim.columns import FIRMS, MODEL, SUMMARY

    for name, described in (("model", MODEL), ("firms", FIRMS), ("summary", SUMMARY)):
        for column in MAY_BE_MISSING[name]:
            assert "empty" in described[column].description, f"{name}.{column} is not documented as empty"


# --- refused at validation, with the allowed range -------------------------------------------------
@pytest.mark.parametrize(("override", "key", "allowed"), [
    ("hardware.growth_per_year=1e300", "hardware.growth_per_year = 1e+300", "must be a number >= 0.01 and <= 100"),
    ("hardware.growth_per_year=100", "hardware.growth_per_year = 100.0",
     "must keep hardware E within 1 to 1e+45 FLOP per dollar over the run"),
    ("hardware.flop_per_dollar=1e300", "hardware.flop_per_dollar = 1e+300", "must be a number >= 1 and <= 1e+45"),
    ("firms.0.price=1e308", "firms[0].price = 1e+308", "must be a number >= 0 and <= 1000000"),
    ("firms.0.cash=1e308", "firms[0].cash = 1e+308", "must be a number >= -1e+15 and <= 1e+15"),
    ("firms.0.credit_limit=-1e308", "firms[0].credit_limit = -1e+308", "must be a number >= -1e+15 and <= 1e+15"),
    ("firms.0.fixed_cost_per_period=1e300", "firms[0].fixed_cost_per_period = 1e+300",
     "must be a number >= 0 and <= 1e+15"),
    ("consumers.sigma=1e3", "consumers.sigma = 1000.0", "must be a number >= 0.01 and <= 10"),
    ("consumers.population=1e298", "consumers.population = 1e+298", "must be a number >= 1 and <= 1e+15"),
    ("consumers.population_growth_per_year=90", "consumers.population_growth_per_year = 90.0",
     "must keep the population within 1 to 1e+15 people over the run"),
    ("consumers.median_threshold=1e300", "consumers.median_threshold = 1e+300", "must be a number >= 1e-09 and <= 1000"),
    ("consumers.tokens_per_adopter_per_period=1e300", "consumers.tokens_per_adopter_per_period = 1e+300",
     "must be a number >= 0 and <= 1e+12"),
    ("data.stock_tokens=1e300", "data.stock_tokens = 1e+300", "must be a number >= 1 and <= 1e+40"),
    ("data.efficiency_growth_per_year=1e-300", "data.efficiency_growth_per_year = 1e-300",
     "must be a number >= 0.01 and <= 100"),
    ("market.logit_lambda=1e-300", "market.logit_lambda = 1e-300", "must be a number >= 0.01 and <= 10"),
    ("scaling.alpha=1e-300", "scaling.alpha = 1e-300", "must be a number >= 0.05 and <= 2 (or omitted)"),
    ('meta.name="!!!"', 'meta.name = "!!!"', "must be a string of 1 to 100 characters with at least one letter or digit"),
    ('meta.name="' + "a" * 300 + '"', "meta.name = ", "must be a string of 1 to 100 characters"),
    ('firms.0.name="' + "b" * 101 + '"', "firms[0].name = ", "must be a string of 1 to 100 characters"),
])
def test_extreme_values_are_refused_at_validation_with_the_allowed_range(override: str, key: str, allowed: str) -> None:
    result = runner.invoke(app, ["validate", "baseline", "--set", override])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    line = next(line for line in result.stderr.splitlines() if key in line)
    assert line.startswith(str(resolve_scenario_path("baseline")) + ": ")
    assert allowed in line


def test_a_name_without_letters_is_refused_before_any_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "baseline", "--out", str(out), "--set", 'meta.name="..."', *_sets(FAST)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert 'meta.name = "...": must be a string of 1 to 100 characters' in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("depth", [300, 5000])
def test_deeply_nested_arrays_are_a_clear_message(tmp_path: Path, depth: int) -> None:
    text = resolve_scenario_path("baseline").read_text(encoding="utf-8")
    path = tmp_path / "deep.toml"
    path.write_text(text.replace("[meta]\n", "[meta]\ntags = " + "[" * depth + "]" * depth + "\n", 1), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"{path}: ")
    # Shallow enough to parse: the unknown key is named; too deep to parse: the nesting is.
    assert ("meta.tags: unknown key" if depth == 300 else "nested too deeply") in result.stderr


# --- nothing on sale, everybody bankrupt ------------------------------------------------------------
# A firm that sets its own price (best response) prices above cost, so price 0 idles only a fixed price.
@pytest.mark.parametrize("overrides", [("firms.0.pricing=fixed", "firms.0.price=0"), ("data.stock_tokens=1",),
                                       ("firms.0.fixed_cost_per_period=1e12",)])
def test_runs_with_nothing_on_sale_write_no_nan(tmp_path: Path, overrides: tuple[str, ...]) -> None:
    result = run_scenario(load_scenario(resolve_scenario_path("baseline"), [*FAST, *overrides]))
    assert result.firms["loss"].isna().all()  # nothing was ever on sale
    _assert_clean(result, tmp_path)


def test_a_run_ended_by_bankruptcy_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "baseline", "--out", str(out), "--no-figures",
                                 "--set", "firms.0.fixed_cost_per_period=1e12", *_sets(FAST)])
    assert result.exit_code == 0, result.output
    assert "run ended early (every firm exited)" in result.stdout and "in 2025.25" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ended_early_year"] == 2025.25 and summary["periods"] == 1 and summary["firms_alive"] == 0
    assert pd.read_csv(out / "model.csv")["firms_alive"].iloc[-1] == 0
    # A run that reaches its horizon says it did not end early.
    full = run_scenario(load_scenario(resolve_scenario_path("baseline"), FAST))
    assert full.summary["ended_early_year"] is None and full.summary["periods"] == 6


# --- property: any accepted value runs clean --------------------------------------------------------
def _numeric_fields() -> list[tuple[str, float, float, bool]]:
    """(key path, low, high, integer) of every bounded numeric field a run reads, from the schema."""
    fields = []
    for prefix, model in (("scaling", Scaling), ("hardware", Hardware), ("data", Data), ("consumers", Consumers),
                          ("market", Market), ("firms.0", Firm)):
        for name, info in model.model_fields.items():
            if f"{prefix}.{name}" in ("consumers.count",):
                continue  # kept small for speed (FAST)
            inner = [a for a in typing.get_args(info.annotation) if a is not type(None)] or [info.annotation]
            if inner[0] not in (int, float):
                continue
            low = next((c.ge if isinstance(c, Ge) else c.gt for c in info.metadata if isinstance(c, Ge | Gt)), None)
            high = next((c.le if isinstance(c, Le) else c.lt for c in info.metadata if isinstance(c, Le | Lt)), None)
            assert low is not None and high is not None, f"{prefix}.{name} has no finite range"
            if any(isinstance(c, Gt) for c in info.metadata):
                low = math.nextafter(low, math.inf) if inner[0] is float else low + 1
            fields.append((f"{prefix}.{name}", float(low), float(high), inner[0] is int))
    return fields


NUMERIC_FIELDS = _numeric_fields()


def test_every_numeric_field_has_a_finite_range() -> None:
    keys = {key for key, *_ in NUMERIC_FIELDS}
    assert {"hardware.growth_per_year", "firms.0.price", "firms.0.cash", "consumers.sigma",
            "consumers.population", "scaling.alpha", "data.stock_tokens"} <= keys
    assert all(math.isfinite(low) and math.isfinite(high) and low < high for _, low, high, _ in NUMERIC_FIELDS)


@st.composite
def _value(draw: st.DrawFn, field: tuple[str, float, float, bool]) -> str:
    """An override ``key=value`` anywhere in the field's range: often an end, else log- or linear-uniform."""
    key, low, high, integer = field
    if integer:
        value: float = draw(st.sampled_from([low, high]) | st.integers(int(low), int(high)))
        return f"{key}={int(value)}"
    if low > 0 and high / low > 100:
        inner = st.floats(math.log(low), math.log(high)).map(math.exp).map(lambda v: min(max(v, low), high))
    else:
        inner = st.floats(low, high)
    return f"{key}={draw(st.sampled_from([low, high]) | inner)!r}"


@settings(max_examples=25)
@given(scenario=st.sampled_from(["baseline", "oligopoly", "open_weights", "historical"]),
       overrides=st.lists(st.sampled_from(NUMERIC_FIELDS), min_size=1, max_size=4, unique=True).flatmap(
           lambda fields: st.tuples(*[_value(field) for field in fields])))
@pytest.mark.slow
def test_any_value_in_range_is_refused_cleanly_or_runs_without_inf_or_nan(
        tmp_path_factory: pytest.TempPathFactory, scenario: str, overrides: tuple[str, ...]) -> None:
    path = resolve_scenario_path(scenario)
    try:
        resolved = load_scenario(path, [*FAST, *overrides])
    except ScenarioError as err:  # refused cleanly: every line names the file, a key and a rule
        assert all(line.startswith(f"{path}: ") and ("must" in line or "required" in line) for line in str(err).splitlines())
        event("refused at validation")
        return
    event("ran")
    _assert_clean(run_scenario(resolved), tmp_path_factory.mktemp("run"))


def _assert_clean(result, folder: Path) -> None:
    """No inf anywhere, NaN only in the documented missing cells, and the files write and read back."""
    for name, table in (("model", result.model), ("firms", result.firms)):
        numeric = table.select_dtypes("number")
        assert not np.isinf(numeric.to_numpy(dtype=float)).any(), f"inf in {name}: {numeric.columns[np.isinf(numeric).any()].tolist()}"
        with_nan = set(numeric.columns[numeric.isna().any()])
        assert with_nan <= MAY_BE_MISSING[name], f"NaN in {name}.csv columns {sorted(with_nan)}"
    nothing_on_sale = result.firms["loss"].isna()
    for column in ON_SALE:
        assert result.firms[column].isna().equals(nothing_on_sale), f"{column} empty unlike loss"
    missing = {key for key, value in result.summary.items() if value is None}
    assert missing <= MAY_BE_MISSING["summary"], f"null in summary.json: {sorted(missing)}"
    write_run_files(result, folder)
    for csv in ("model.csv", "firms.csv"):
        text = (folder / csv).read_text().lower()
        assert "nan" not in text and "inf" not in text.replace("info", "")
    json.loads((folder / "summary.json").read_text())  # strict JSON: NaN would not have been written


def _sets(overrides: list[str]) -> list[str]:
    return [arg for override in overrides for arg in ("--set", override)]


def test_the_default_hypothesis_profile_is_deterministic() -> None:
    import os

    current = settings()
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert current.derandomize and current.database is None and current.deadline is None
    else:
        assert not current.derandomize
