"""Tests for marketsim.config.keypaths: the one reader of key paths, ``key=value`` and batch specs.

Expected values are written from the grammar in the module docstring (``firms.0.price`` and
``firms[0].price`` name the same value; values are TOML, else text), not copied from outputs.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from marketsim.config import Scenario, ScenarioError, load, scenario_from_dict
from marketsim.config.keypaths import (
    KeyPathError,
    field_type,
    format_key,
    format_scalar,
    is_key,
    parse_assignment,
    parse_key,
    parse_list_specs,
    parse_range_specs,
    parse_scalar,
    parse_value,
    set_at,
    split_assignments,
    without_indices,
)
from marketsim.experiments.compare import parse_scenario_arg

# --- syntax -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["firms.0.price", "firms[0].price", " firms[0].price ", "firms.0.price "])
def test_both_index_spellings_give_the_same_path(text: str) -> None:
    assert parse_key(text) == ["firms", 0, "price"]
    assert format_key(parse_key(text)) == "firms[0].price"


@pytest.mark.parametrize("text", ["", " ", "meta..years", ".meta", "meta.", "meta years", "1meta", "firms[x].price",
                                  "firms[0", "firms]0[", "meta.years=3", "meta/years"])
def test_malformed_key_paths_are_refused(text: str) -> None:
    assert not is_key(text)
    with pytest.raises(KeyPathError, match="must have the form key.path=value"):
        parse_key(text)


_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@given(st.lists(st.one_of(_NAME, st.integers(0, 999)), min_size=1, max_size=5).filter(lambda p: isinstance(p[0], str)))
def test_format_and_parse_round_trip(parts: list[str | int]) -> None:
    assert parse_key(format_key(parts)) == parts
    dotted = ".".join(str(part) for part in parts)
    assert parse_key(dotted) == parts


def test_format_key_of_nothing_is_the_top_level() -> None:
    assert format_key([]) == "(top level)"


@pytest.mark.parametrize(("raw", "value"), [
    ("3", 3), ("1e9", 1e9), ("2.5", 2.5), ("true", True), ('"x y"', "x y"), ("[1, 2]", [1, 2]),
    ("cheap", "cheap"), ("  cheap  ", "cheap"), ("1_000", 1000), ("{a = 1}", {"a": 1}),
])
def test_values_are_toml_else_text(raw: str, value: Any) -> None:
    parsed = parse_value(raw)
    assert parsed == value and type(parsed) is type(value)


def test_assignment_splits_at_the_first_equals_sign() -> None:
    assert parse_assignment("meta.seed = 3") == ("meta.seed", 3)
    assert parse_assignment('meta.name="a=b"') == ("meta.name", "a=b")
    assert parse_assignment("firms[1].price=") == ("firms[1].price", "")
    for bad in ("meta.seed", "=3", "meta..seed=3"):
        with pytest.raises(KeyPathError, match=r"must have the form key\.path=value \(e\.g\. firms\.0\.price=5\)"):
            parse_assignment(bad)


@pytest.mark.parametrize(("text", "parts"), [
    ("a=1", ["a=1"]),
    ("a.b=1, c.d=2", ["a.b=1", "c.d=2"]),
    ("a=[1, 2],b={x = 1, y = 2}", ["a=[1, 2]", "b={x = 1, y = 2}"]),
    ('a="x,y",b=\'p,q\'', ['a="x,y"', "b='p,q'"]),
    ("firms[0].price=3,firms[1].price=4", ["firms[0].price=3", "firms[1].price=4"]),
])
def test_assignments_split_at_commas_outside_brackets_and_quotes(text: str, parts: list[str]) -> None:
    assert split_assignments(text) == parts


def test_compare_arguments_use_the_same_split() -> None:
    arg = parse_scenario_arg('baseline[firms[0].price=3,meta.name="a,b",hardware.stall_year=2030]')
    assert arg.file == "baseline"
    assert arg.overrides == ("firms[0].price=3", 'meta.name="a,b"', "hardware.stall_year=2030")


# --- against the schema -------------------------------------------------------------------------------


def _data() -> dict[str, Any]:
    return {"meta": {"name": "x"}, "firms": [{"name": "a"}, {"name": "b"}]}


def test_set_at_sets_nested_values_and_creates_missing_tables() -> None:
    data = _data()
    assert set_at(data, ["firms", 1, "price"], 4.0, Scenario) is None
    assert set_at(data, ["hardware", "stall_year"], 2030, Scenario) is None
    assert data["firms"][1] == {"name": "b", "price": 4.0}
    assert data["hardware"] == {"stall_year": 2030}


@pytest.mark.parametrize(("parts", "reason"), [
    (["meta", "sed"], "meta.sed: unknown key (allowed: name, description, seed, start_year, years, periods_per_year); did you mean seed?"),
    (["metaa"], "metaa: unknown key (allowed: meta, scaling, hardware, data, consumers, market, firms, uncertain); did you mean meta?"),
    (["firms", 2, "price"], "firms[2]: no such entry (firms has 2 entries)"),
    (["firms", "first"], "firms.first: no such entry (firms has 2 entries)"),
    (["meta", "name", "x"], "meta.name.x: meta.name is a single value and has no keys"),
])
def test_set_at_says_why_a_path_is_not_in_the_schema(parts: list[str | int], reason: str) -> None:
    data = _data()
    assert set_at(data, parts, 1, Scenario) == reason
    assert data == _data()


def test_set_at_refuses_to_reach_through_a_value_that_is_not_a_table() -> None:
    data = {"meta": 5}
    assert set_at(data, ["meta", "seed"], 1, Scenario) == "meta: is not a table in the file, cannot set seed"


class _Inner(BaseModel):
    count: int = 1
    share: float = 0.5
    year: int | None = None


class _Outer(BaseModel):
    inner: _Inner = _Inner()
    items: list[_Inner] = [_Inner()]
    label: str = "x"


@pytest.mark.parametrize(("key", "kind"), [
    ("inner.count", int), ("inner.share", float), ("inner.year", int), ("items.0.count", int),
    ("items[0].share", float), ("label", str),
])
def test_field_type_reads_values_and_annotations(key: str, kind: type) -> None:
    assert field_type(_Outer(), key) is kind


@pytest.mark.parametrize(("key", "message"), [
    ("inner.nope", "inner.nope: inner has no field 'nope' (allowed: count, share, year)"),
    ("items.3.count", "items.3.count: items has 1 entry, no entry '3'"),
    ("label.x", "label.x: label is a single value and has no field 'x'"),
    ("nope", "nope: the scenario has no field 'nope' (allowed: inner, items, label)"),
])
def test_field_type_names_the_missing_part(key: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        field_type(_Outer(), key)
    assert str(err.value) == message


def test_overrides_accept_both_spellings_and_a_mapping_the_same_way() -> None:
    dotted = load("baseline", ["firms.0.price=7.5", "hardware.stall_year=2031"])
    bracket = load("baseline", ["firms[0].price=7.5", "hardware.stall_year=2031"])
    mapping = load("baseline", {"firms[0].price": 7.5, "hardware.stall_year": 2031})
    assert dotted == bracket == mapping
    assert (dotted.firms[0].price, dotted.hardware.stall_year) == (7.5, 2031)


def test_a_malformed_override_key_is_named_in_the_message() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(_data(), source="s.toml", overrides=["meta..seed=1", "meta.seed"])
    assert err.value.problems == [
        "override 'meta..seed=1': must have the form key.path=value (e.g. firms.0.price=5)",
        "override 'meta.seed': must have the form key.path=value (e.g. firms.0.price=5)",
    ]


# --- batch specs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("-2", -2), ("1.5", 1.5), ("1e9", 1e9), ("true", True), ("False", False), ("cap", "cap"),
])
def test_scalars_are_int_float_bool_else_text(text: str, value: Any) -> None:
    parsed = parse_scalar(text)
    assert parsed == value and type(parsed) is type(value)


@given(st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False), st.booleans()))
def test_scalars_round_trip_exactly(value: int | float | bool) -> None:
    parsed = parse_scalar(format_scalar(value))
    assert parsed == value and type(parsed) is type(value)


def test_list_specs_keep_one_type_per_key() -> None:
    grid = parse_list_specs(["hardware.growth_per_year=1.2,1.35", "firms[0].price = 1, 2", "scaling.closure=cap,3",
                             "x.flag=true,FALSE"])
    assert grid == {"hardware.growth_per_year": [1.2, 1.35], "firms[0].price": [1, 2],
                    "scaling.closure": ["cap", "3"], "x.flag": [True, False]}
    assert [type(v) for v in grid["firms[0].price"]] == [int, int]


@pytest.mark.parametrize(("spec", "message"), [
    ("a.b", "--grid 'a.b': expected key.path=v1,v2,... (e.g. hardware.growth_per_year=1.2,1.35)"),
    ("a..b=1", "--grid 'a..b=1': expected key.path=v1,v2"),
    ("a=1,,2", "--grid 'a=1,,2': empty value in '1,,2'"),
    ("a=1,1", "--grid 'a=1,1': a value is repeated; give each value once"),
    ("a=1,nan", "--grid 'a=1,nan': values must be finite numbers (no nan or inf)"),
])
def test_list_specs_name_the_spec_that_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_list_specs([spec])
    assert str(err.value).startswith(message)


def test_list_and_range_specs_refuse_a_key_given_twice() -> None:
    with pytest.raises(ValueError, match=r"--grid 'a=3': key 'a' is given twice; list all values in one spec"):
        parse_list_specs(["a=1,2", "a=3"])
    with pytest.raises(ValueError, match=r"--param 'a=3:4': key 'a' is given twice"):
        parse_range_specs(["a=1:2", "a=3:4"])


def test_range_specs_give_float_bounds() -> None:
    assert parse_range_specs(["hardware.growth_per_year=1.1:1.5", "firms[0].price = 0 : 10"]) == {
        "hardware.growth_per_year": (1.1, 1.5), "firms[0].price": (0.0, 10.0)}


@pytest.mark.parametrize(("spec", "message"), [
    ("a=1", "--param 'a=1': expected key.path=low:high (e.g. hardware.growth_per_year=1.1:1.5)"),
    ("a b=1:2", "--param 'a b=1:2': expected key.path=low:high"),
    ("a=x:2", "--param 'a=x:2': low and high must be numbers"),
    ("a=2:1", "--param 'a=2:1': need finite low < high, got low=2.0, high=1.0"),
    ("a=1:inf", "--param 'a=1:inf': need finite low < high"),
])
def test_range_specs_name_the_spec_that_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_range_specs([spec], option="--param")
    assert str(err.value).startswith(message)


# --- one implementation ---------------------------------------------------------------------------------


def test_no_other_module_reads_key_paths_or_override_values_itself() -> None:
    """Key-path grammar and TOML value parsing live in config/keypaths.py only (issue 11)."""
    from pathlib import Path

    import marketsim

    package = Path(marketsim.__file__).parent
    own = package / "config" / "keypaths.py"
    signs = (r"\[(\d+)\]", r"\[\d+\]", 'tomllib.loads(f"value')
    found = [f"{path.relative_to(package)}: {sign}" for path in sorted(package.rglob("*.py")) if path != own
             for sign in signs if sign in path.read_text()]
    assert found == []
    assert all(sign in own.read_text() for sign in signs)


@pytest.mark.parametrize(("key", "field"), [
    ("firms[0].price", "firms.price"), ("firms.12.price", "firms.price"), ("hardware.stall_year", "hardware.stall_year"),
])
def test_without_indices_names_the_field_of_every_entry(key: str, field: str) -> None:
    assert without_indices(key) == field
