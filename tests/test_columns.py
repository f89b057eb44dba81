"""columns.csv: every column of every table marketsim writes has a concrete unit and a meaning."""

from __future__ import annotations

import re
import tomllib
import typing

import pandas as pd
import pytest
from pydantic import BaseModel

from _synthetic import MINI_SCENARIO_TOML, SyntheticSpec, make_tables
from marketsim.sim import tables as columns
from marketsim.sim.tables import (
    COLUMNS_FILE,
    PARAMETERS,
    TABLES,
    UNKNOWN,
    UnknownColumnError,
    columns_table,
    describe,
    period_name,
    write_columns,
)
from marketsim.experiments.compare import COMPARISON_COLUMNS
from marketsim.experiments.outputs import write_run
from marketsim.experiments.run import RunResult, summarize
from marketsim.experiments.batch.sensitivity import RESULT_COLUMNS
from marketsim.sim.model import FIRM_COLUMNS, MODEL_COLUMNS, MarketModel
from marketsim.config import Scenario, scenario_from_dict


def mini(periods_per_year: int = 4, years: int = 1) -> Scenario:
    data = tomllib.loads(MINI_SCENARIO_TOML.format(name="mini"))
    data["meta"].update(periods_per_year=periods_per_year, years=years)
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def real_run() -> RunResult:
    """A real two-firm model run, one year of quarters with 200 consumers (about a second)."""
    scenario = mini()
    model = MarketModel(scenario).run()
    model_df, firms_df = model.model_table(), model.firm_table()
    return RunResult(scenario, scenario.meta.seed, model_df, firms_df,
                     summarize(model_df, firms_df, scenario, scenario.meta.seed))


# --- every column has an entry (new columns cannot be added silently) -----------------------------


def test_every_column_the_model_writes_is_described(real_run):
    tables = {"model.csv": list(real_run.model.columns), "firms.csv": list(real_run.firms.columns),
              "summary.json": list(real_run.summary)}
    assert tables["model.csv"] == ["step", *MODEL_COLUMNS]
    assert tables["firms.csv"] == ["step", "year", *FIRM_COLUMNS]
    table = columns_table(tables, 4)  # strict: raises on any column without an entry
    assert len(table) == sum(len(c) for c in tables.values())
    assert table[["unit", "description"]].map(bool).all().all()


def test_every_comparison_sweep_and_sensitivity_column_is_described():
    assert len(columns_table({"comparison.csv": COMPARISON_COLUMNS}, 4)) == len(COMPARISON_COLUMNS)
    assert len(columns_table({"sensitivity.csv": RESULT_COLUMNS}, 4)) == len(RESULT_COLUMNS)
    runs = ["run_id", "hardware.growth_per_year", "firms.0.price", "firms[1].cash", "seed", "step", *MODEL_COLUMNS]
    summary = ["run_id", "meta.periods_per_year", "seed", "status", "error", *columns.SUMMARY]
    table = columns_table({"runs.parquet": runs, "summary.parquet": summary}, None)
    assert len(table) == len(runs) + len(summary)
    price = table[table["column"] == "firms.0.price"].iloc[0]
    assert price["unit"] == "dollars per adopter per period (1/meta.periods_per_year year each; varies by run)"


def _scenario_key_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf key path of the scenario schema, lists without indices (firms.price)."""
    paths = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += _scenario_key_paths(annotation, f"{prefix}{name}.")
        else:
            paths.append(prefix + name)
    return paths


#: Scenario fields that hold no value a sweep can vary: [uncertain] holds distributions over the other
#: keys, read by `marketsim ensemble` only.
NOT_VALUES = {"uncertain"}


def test_every_scenario_value_a_sweep_can_vary_is_described():
    paths = [path for path in _scenario_key_paths(Scenario) if path not in NOT_VALUES]
    assert set(Scenario.model_fields) >= NOT_VALUES  # the exclusion names real fields
    assert "firms.price" in paths and "hardware.stall_year" in paths and len(paths) > 40
    assert sorted(paths) == sorted(PARAMETERS)


def test_unknown_columns_and_tables_are_errors_unless_lenient():
    with pytest.raises(UnknownColumnError, match=r"model.csv: column 'gdp' has no entry in marketsim.sim.tables"):
        describe("model.csv", "gdp", 4)
    with pytest.raises(UnknownColumnError, match=r"model.csv: gdp; firms.csv: mood"):
        columns_table({"model.csv": ["year", "gdp"], "firms.csv": ["firm", "mood"]}, 4)
    with pytest.raises(UnknownColumnError, match=r"table 'other.csv' is not described.*allowed model.csv"):
        columns_table({"other.csv": ["year"]}, 4)
    # the same name means different things in different tables; no borrowing between them
    with pytest.raises(UnknownColumnError):
        describe("model.csv", "cash", 4)
    # scenario key paths are columns of sweep tables only, and must be real keys
    with pytest.raises(UnknownColumnError):
        describe("model.csv", "hardware.growth_per_year", 4)
    with pytest.raises(UnknownColumnError):
        describe("runs.parquet", "hardware.nope", 4)
    lenient = columns_table({"runs.parquet": ["run_id", "custom"]}, 4, strict=False)
    assert tuple(lenient.iloc[1][["unit", "description"]]) == UNKNOWN


# --- units spell the period's length ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("periods_per_year", "per_period", "steps"),
    [(4, "dollars per quarter", "quarters since the start"), (1, "dollars per year", "years since the start"),
     (12, "dollars per month", "months since the start"),
     (6, "dollars per period of 1/6 year", "periods of 1/6 year since the start")],
)
def test_per_period_units_name_the_period_length(periods_per_year, per_period, steps):
    assert describe("model.csv", "training_spend", periods_per_year)[0] == per_period
    assert describe("firms.csv", "profit", periods_per_year)[0] == per_period
    assert describe("firms.csv", "step", periods_per_year)[0] == steps
    assert describe("model.csv", "training_spend_annual", periods_per_year)[0] == "dollars per year"
    assert describe("firms.csv", "price", periods_per_year)[0] == per_period.replace("dollars", "dollars per adopter")


# "per period" only with the period's length spelled out ("per period of 1/7 year")
_VAGUE = re.compile(r"per period(?! of 1/\d+ year)")


@pytest.mark.parametrize("periods_per_year", [1, 2, 4, 12, 52, 7])
def test_no_unit_says_per_period_and_no_placeholder_is_left(periods_per_year):
    described = [(table, name) for table, dictionaries in TABLES.items() for d in dictionaries for name in d]
    described += [("summary.parquet", key) for key in PARAMETERS]
    for table, name in described:
        unit, description = describe(table, name, periods_per_year)
        assert not _VAGUE.search(unit) and "{" not in unit + description, (table, name, unit)


def test_period_name_rejects_nonsense():
    assert period_name(4) == "quarter" and period_name(4, plural=True) == "quarters"
    for bad in (0, -4, 2.5, True):
        with pytest.raises(ValueError, match="periods_per_year"):
            period_name(bad)


# --- the file in each output folder ------------------------------------------------------------------


@pytest.mark.parametrize(("periods_per_year", "per_period"), [(4, "dollars per quarter"), (1, "dollars per year")])
def test_run_folder_has_columns_csv_describing_its_tables(tmp_path, periods_per_year, per_period):
    scenario = mini(periods_per_year, years=2)
    model, firms = make_tables(SyntheticSpec(years=2, periods_per_year=periods_per_year))
    result = RunResult(scenario, 3, model, firms, summarize(model, firms, scenario, 3))
    out = write_run(result, tmp_path / "run")
    written = pd.read_csv(out / COLUMNS_FILE, keep_default_na=False)
    assert list(written.columns) == ["table", "column", "unit", "description"]
    for table in ("model.csv", "firms.csv"):
        listed = list(written.loc[written["table"] == table, "column"])
        assert listed == list(pd.read_csv(out / table, nrows=0).columns)
    assert list(written.loc[written["table"] == "summary.json", "column"]) == list(result.summary)
    units = written.set_index(["table", "column"])["unit"]
    assert units["model.csv", "training_spend"] == per_period
    assert units["firms.csv", "revenue"] == per_period
    assert units["model.csv", "E"] == "FLOP per dollar"
    assert (written != "").all().all()
    assert not list(tmp_path.glob("run/.columns*"))  # no temporary file left behind


def test_write_columns_is_what_sweeps_call_and_writes_nothing_on_error(tmp_path):
    """Sweep and sensitivity folders call write_columns(folder, {file: columns}, periods_per_year)."""
    runs = ["run_id", "hardware.growth_per_year", "seed", "step", *MODEL_COLUMNS]
    path = write_columns(tmp_path, {"runs.parquet": runs, "summary.parquet": ["run_id", "seed", "status"]}, 4)
    assert path == tmp_path / COLUMNS_FILE
    # a later step adds its table; the rows of the other tables stay, the table's own are replaced
    write_columns(tmp_path, {"sensitivity.csv": ["parameter"]}, 4)
    write_columns(tmp_path, {"sensitivity.csv": RESULT_COLUMNS, "summary.parquet": ["run_id", "error"]}, 4)
    written = pd.read_csv(path)
    assert list(written["table"]) == ["runs.parquet"] * len(runs) + ["sensitivity.csv"] * 5 + ["summary.parquet"] * 2
    assert list(written["column"]) == [*runs, *RESULT_COLUMNS, "run_id", "error"]
    assert written.set_index("column").loc["hardware.growth_per_year", "unit"] == "factor per year (1 = constant)"
    before = path.read_bytes()
    with pytest.raises(UnknownColumnError):
        write_columns(tmp_path, {"model.csv": ["nope"]}, 4)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [COLUMNS_FILE]
