"""Tests for marketsim.config and the `validate` / `scenarios` commands.

Expected messages are written from the schema in docs/architecture.md and the task's message
format (file: key.path = value: what is allowed), not copied from the code's output.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.config import (
    SCENARIO_DIR,
    Scenario,
    ScenarioError,
    bundled_scenarios,
    exit_on_scenario_error,
    load_scenario,
    resolve_scenario_path,
    scenario_from_dict,
    scenario_to_toml,
)

runner = CliRunner()

BUNDLED = sorted(SCENARIO_DIR.glob("*.toml"))
EXPECTED_BUNDLED = {"baseline", "hardware_stall", "data_wall", "oligopoly", "open_weights", "saturating_demand", "historical", "historical_one_lab",
                   "price_war"}

# Published loss-law exponents (DESIGN.md §3): the unbounded-profit bound is 1/gamma, gamma = ab/(a+b).
BES24_ALPHA, BES24_BETA = 0.3478, 0.3658
HOF22_ALPHA, HOF22_BETA = 0.34, 0.28


def gamma_of(alpha: float, beta: float) -> float:
    return alpha * beta / (alpha + beta)


def valid_data() -> dict[str, Any]:
    """A small valid scenario with two firms (so index 1 exists); sections scaling/market omitted."""
    return {
        "meta": {"name": "toy", "years": 5},
        "hardware": {"flop_per_dollar": 7.1e17, "growth_per_year": 1.38},
        "data": {"stock_tokens": 3e14},
        "consumers": {"count": 100, "population": 5e9, "tokens_per_adopter_per_period": 5e5},
        "firms": [
            {"name": "Alpha", "price": 4.0, "cash": 1e10, "credit_limit": -2e10},
            {"name": "Beta", "price": 4.0, "cash": 1e10, "credit_limit": -2e10},
        ],
    }


def write(tmp_path: Path, data: dict[str, Any], name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data))
    return path


def validate_cli(*args: str):
    return runner.invoke(app, ["validate", *args])


# --- bundled scenarios ------------------------------------------------------------------------


def test_all_expected_scenarios_are_bundled() -> None:
    assert {path.stem for path in BUNDLED} >= EXPECTED_BUNDLED


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenario_loads_round_trips_and_validates(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.meta.name == path.stem  # the name `marketsim run <name>` accepts is the file's
    assert scenario.meta.description.strip(), "every bundled scenario needs a description"
    assert path.read_text().startswith("#"), "every bundled scenario starts with a comment header"

    again = tmp_path / "again.toml"
    again.write_text(scenario_to_toml(scenario))
    assert load_scenario(again) == scenario

    result = validate_cli(str(path))
    assert result.exit_code == 0, result.output
    n = len(scenario.firms)
    assert result.stdout.strip() == f"OK: {path.stem} ({n} firm{'s' if n > 1 else ''}, {scenario.meta.years:g} years)"


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_value_exponent_is_below_the_unbounded_profit_bound(path: Path) -> None:
    scenario = load_scenario(path)
    alpha, beta = {"besiroglu2024": (BES24_ALPHA, BES24_BETA), "hoffmann2022": (HOF22_ALPHA, HOF22_BETA)}[
        scenario.scaling.preset
    ]
    assert scenario.consumers.value_exponent * gamma_of(alpha, beta) < 1


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted path: leaf value} of nested dicts and lists."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = ((f"[{i}]", v) for i, v in enumerate(data))
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in items:
        key_path = f"{prefix}{key}" if str(key).startswith("[") else (f"{prefix}.{key}" if prefix else str(key))
        out.update(flatten(value, key_path))
    return out


def differences_from_baseline(name: str) -> dict[str, Any]:
    base = flatten(load_scenario(SCENARIO_DIR / "baseline.toml").model_dump())
    other = flatten(load_scenario(SCENARIO_DIR / f"{name}.toml").model_dump())
    changed = {k for k in base.keys() | other.keys() if base.get(k, "<absent>") != other.get(k, "<absent>")}
    return {k: other.get(k, "<absent>") for k in changed if not k.startswith("meta.")}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hardware_stall", {"hardware.stall_year": 2030}),  # growth_after_stall 1.0 is also the default
        ("data_wall", {"data.stock_growth_per_year": 1.0}),
        ("saturating_demand", {"consumers.value_exponent": 0.0}),
    ],
)
def test_variant_differs_from_baseline_only_as_its_header_says(name: str, expected: dict[str, Any]) -> None:
    assert differences_from_baseline(name) == expected


def test_oligopoly_is_three_copies_of_the_baseline_firm_and_a_pool_of_entrants() -> None:
    base = load_scenario(SCENARIO_DIR / "baseline.toml")
    oligopoly = load_scenario(SCENARIO_DIR / "oligopoly.toml")
    labs, pool = oligopoly.firms[:3], oligopoly.firms[3:]
    assert len({firm.name for firm in oligopoly.firms}) == len(oligopoly.firms)
    for firm in labs:
        assert firm.model_copy(update={"name": base.firms[0].name}) == base.firms[0]
    assert len(pool) >= 2 and all(firm.potential and firm.entry_year is not None for firm in pool)
    n = len(oligopoly.firms)
    assert set(differences_from_baseline("oligopoly")) <= {
        "firms[0].name", "market.exit_after_loss_periods",
        *(f"firms[{i}].{k}" for i in range(1, n) for k in base.firms[0].model_dump())
    }


def test_open_weights_follower_is_free_and_follows_the_baseline_firm() -> None:
    base = load_scenario(SCENARIO_DIR / "baseline.toml")
    scenario = load_scenario(SCENARIO_DIR / "open_weights.toml")
    leader, follower = scenario.firms
    assert leader == base.firms[0]
    assert (follower.strategy, follower.price, follower.leader) == ("open_weights", 0.0, leader.name)


def test_hardware_stall_stalls_in_2030_and_baseline_never_does() -> None:
    assert load_scenario(SCENARIO_DIR / "hardware_stall.toml").hardware.stall_year == 2030
    assert load_scenario(SCENARIO_DIR / "baseline.toml").hardware.stall_year is None


def test_bundled_scenarios_lists_name_path_and_first_description_line() -> None:
    rows = bundled_scenarios()
    assert [name for name, _, _ in rows] == sorted(p.stem for p in BUNDLED)
    for name, path, description in rows:
        assert path == SCENARIO_DIR / f"{name}.toml"
        assert description == load_scenario(path).meta.description.strip().splitlines()[0]


def test_scenarios_command_lists_every_bundled_scenario() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0, result.output
    for name in EXPECTED_BUNDLED:
        assert name in result.stdout


# --- malformed scenarios ------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(section: str, **values: Any) -> Mutation:
    return lambda d: d.setdefault(section, {}).update(values)


def _set_firm(i: int, **values: Any) -> Mutation:
    return lambda d: d["firms"][i].update(values)


def _both(*mutations: Mutation) -> Mutation:
    def apply(d: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(d)

    return apply


BAD_TOML = '[meta]\nname = "toy"\nyears = \n'

# (id, mutation of valid_data() or raw TOML text, overrides, expected line after "<file>: ", phrase in that line)
MALFORMED: list[tuple[str, Mutation | str, list[str], str, str]] = [
    ("unknown-top-level-key", lambda d: d.update(metaa={"x": 1}), [],
     "metaa: unknown key", "(allowed: meta, scaling, hardware, data, consumers, market, firms, uncertain)"),
    ("unknown-nested-key", _set("meta", sed=1), [],
     "meta.sed: unknown key", "(allowed: name, description, seed, start_year, years, periods_per_year)"),
    ("unknown-key-in-firm", _set_firm(1, prise=3.0), [],
     "firms[1].prise: unknown key", "(allowed: name, strategy, price, pricing, cash, credit_limit,"),
    ("wrong-type-string-for-number", _set("hardware", growth_per_year="fast"), [],
     'hardware.growth_per_year = "fast"', "must be a number >= 0.01 and <= 100"),
    ("wrong-type-float-for-integer", _set("consumers", count=2.5), [],
     "consumers.count = 2.5", "must be an integer >= 1 and <= 100000000"),
    ("wrong-type-bool-for-integer", _set("meta", seed=True), [],
     "meta.seed = true", "must be an integer >= 0 and <= 9223372036854775807"),
    ("negative-price", _set_firm(1, price=-1.5), [],
     "firms[1].price = -1.5", "must be a number >= 0 and <= 1000000"),
    ("zero-consumers", _set("consumers", count=0), [],
     "consumers.count = 0", "must be an integer >= 1"),
    ("infinite-number", _set("hardware", flop_per_dollar=float("inf")), [],
     "hardware.flop_per_dollar = inf", "must be a number >= 1 and <= 1e+45"),
    ("damping-above-one", _set("market", damping=1.5), [],
     "market.damping = 1.5", "must be a number > 0 and <= 1"),
    ("missing-required-key", lambda d: d["meta"].pop("years"), [],
     "meta.years: required key is missing", "(must be a number > 0 and <= 100)"),
    ("section-not-a-table", lambda d: d.update(meta=5), [],
     "meta = 5", "must be a table"),
    ("no-firms", lambda d: d.update(firms=[]), [],
     "firms = []", "must be an array of tables with at least 1 entry"),
    ("too-short-for-one-period", _set("meta", years=0.1), [],
     "meta.years = 0.1", "must give at least one period"),
    ("stall-year-before-start", _set("hardware", stall_year=2020), [],
     "hardware.stall_year = 2020", "must be >= meta.start_year (2025)"),
    ("credit-limit-above-cash", _set_firm(0, cash=1e9, credit_limit=2e9), [],
     "firms[0].credit_limit = 2000000000.0", "must be <= firms[0].cash"),
    ("duplicate-firm-names", _set_firm(1, name="Alpha"), [],
     'firms[1].name = "Alpha"', "must be unique (already used by firms[0])"),
    ("open-weights-without-leader", _set_firm(1, strategy="open_weights"), [],
     "firms[1].leader: required for an open_weights firm",
     'must name another firm that is not open_weights (allowed: "Alpha")'),
    ("open-weights-following-itself", _set_firm(1, strategy="open_weights", leader="Beta"), [],
     'firms[1].leader = "Beta"', 'must name another firm that is not open_weights (allowed: "Alpha")'),
    ("open-weights-following-unknown", _set_firm(1, strategy="open_weights", leader="Zeta"), [],
     'firms[1].leader = "Zeta"', 'must name another firm that is not open_weights (allowed: "Alpha")'),
    # alpha = beta = 0.5 gives gamma = 0.25 exactly, so kappa = 4 sits exactly on the bound.
    ("kappa-at-bound", _both(_set("scaling", alpha=0.5, beta=0.5), _set("consumers", value_exponent=4.0)), [],
     "consumers.value_exponent = 4.0", "must be < 4 for scaling preset besiroglu2024 with overrides "
     "(profit is unbounded when value_exponent * gamma >= 1"),
    ("kappa-above-bound-besiroglu", _set("consumers", value_exponent=5.61), [],
     "consumers.value_exponent = 5.61", "must be < 5.60"),
    ("kappa-above-bound-hoffmann", _both(_set("scaling", preset="hoffmann2022"), _set("consumers", value_exponent=6.6)),
     [], "consumers.value_exponent = 6.6", "must be < 6.51"),
    ("loguniform-min-not-below-max", _set("consumers", loguniform_min=1.0, loguniform_max=0.5), [],
     "consumers.loguniform_min = 1.0", "must be < consumers.loguniform_max (0.5)"),
    ("loguniform-min-equal-max", _set("consumers", loguniform_min=0.5, loguniform_max=0.5), [],
     "consumers.loguniform_min = 0.5", "must be < consumers.loguniform_max (0.5)"),
    ("toml-syntax-error", BAD_TOML, [],
     "line 3, column 9: invalid TOML", "invalid TOML"),  # the value is missing right after "years = "
    ("override-unknown-key", lambda d: None, ["meta.sed=3"],
     "override 'meta.sed=3': meta.sed: unknown key", "(allowed: name, description, seed,"),
    ("override-unknown-nested-key", lambda d: None, ["firms[0].prise=3"],
     "override 'firms[0].prise=3': firms[0].prise: unknown key", "(allowed: name, strategy, price,"),
    ("override-index-out-of-range", lambda d: None, ["firms.5.price=1"],
     "override 'firms.5.price=1': firms[5]: no such entry", "(firms has 2 entries)"),
    ("override-without-equals", lambda d: None, ["meta.years"],
     "override 'meta.years': must have the form key.path=value", "key.path=value"),
    ("override-below-a-value", lambda d: None, ["meta.years.x=1"],
     "override 'meta.years.x=1': meta.years.x", "meta.years is a single value and has no keys"),
    ("override-wrong-type", lambda d: None, ["firms.0.price=cheap"],
     'firms[0].price = "cheap"', "must be a number >= 0 and <= 1000000 (from override 'firms.0.price=cheap')"),
]


def _bad_file(tmp_path: Path, case: Mutation | str) -> Path:
    if isinstance(case, str):
        path = tmp_path / "bad.toml"
        path.write_text(case)
        return path
    data = valid_data()
    case(data)
    return write(tmp_path, data)


@pytest.mark.parametrize(("case", "overrides", "head", "phrase"),
                         [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_scenario_is_reported_with_key_path_and_allowed_values(
    tmp_path: Path, case: Mutation | str, overrides: list[str], head: str, phrase: str
) -> None:
    path = _bad_file(tmp_path, case)
    args = [str(path)] + [arg for o in overrides for arg in ("--set", o)]
    result = validate_cli(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    matching = [line for line in lines if line.startswith(f"{path}: {head}")]
    assert matching, f"no line starting with {head!r} in {lines}"
    assert phrase in matching[0]

    with pytest.raises(ScenarioError) as err:
        load_scenario(path, overrides)
    assert str(err.value) == result.stderr.strip()


# --- strategy names: a name in the schema, checked against the registry by the simulation -----------

UNKNOWN_STRATEGY = 'firms[0].strategy = "greedy": must be one of "profit_optimal", "fixed_growth", "open_weights"'


def test_schema_takes_a_strategy_as_a_name_without_the_registry() -> None:
    # The schema imports nothing from the simulation, so it cannot know the registered strategies.
    assert scenario_from_dict(valid_data(), overrides=['firms.0.strategy="greedy"']).firms[0].strategy == "greedy"
    with pytest.raises(ScenarioError, match=r'firms\[0\]\.strategy = "": must be a non-empty string'):
        scenario_from_dict(valid_data(), overrides=['firms.0.strategy=""'])


def test_validate_reports_an_unknown_strategy(tmp_path: Path) -> None:
    path = _bad_file(tmp_path, _set_firm(0, strategy="greedy"))
    result = validate_cli(str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}: {UNKNOWN_STRATEGY}" in result.stderr.strip().splitlines()


def test_building_a_model_reports_an_unknown_strategy() -> None:
    from marketsim.sim.model import MarketModel

    scenario = scenario_from_dict(valid_data(), overrides=['firms.0.strategy="greedy"'])
    with pytest.raises(ScenarioError) as err:
        MarketModel(scenario)
    assert UNKNOWN_STRATEGY in err.value.problems


def test_error_line_has_the_documented_format(tmp_path: Path) -> None:
    data = valid_data()
    data["consumers"]["count"] = 0
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: consumers.count = 0: must be an integer >= 1 and <= 100000000"
    assert err.value.source == str(path)
    assert err.value.problems == ["consumers.count = 0: must be an integer >= 1 and <= 100000000"]


def test_every_problem_is_reported_one_per_line(tmp_path: Path) -> None:
    data = valid_data()
    data["meta"]["sed"] = 1
    data["consumers"]["count"] = 0
    data["firms"][1]["price"] = -1.0
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    heads = [line.removeprefix(f"{path}: ").split(":")[0] for line in str(err.value).splitlines()]
    assert sorted(heads) == sorted(["meta.sed", "consumers.count = 0", "firms[1].price = -1.0"])


def test_cross_field_problems_are_all_reported(tmp_path: Path) -> None:
    data = valid_data()
    data["hardware"]["stall_year"] = 2000
    data["firms"][1].update(name="Alpha", cash=0.0, credit_limit=1.0)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="x.toml")
    assert err.value.problems == [
        "hardware.stall_year = 2000: must be >= meta.start_year (2025)",
        "firms[1].credit_limit = 1.0: must be <= firms[1].cash (0.0)",
        'firms[1].name = "Alpha": must be unique (already used by firms[0])',
    ]


def test_missing_file_and_unknown_name_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.toml: no such file$"):
        load_scenario(tmp_path / "nope.toml")
    result = validate_cli("no_such_scenario")
    assert result.exit_code == 2
    assert result.stderr.startswith("no_such_scenario: no such file or bundled scenario (bundled: baseline, ")


def test_not_a_scenario_at_all_is_a_clear_error() -> None:
    with pytest.raises(ScenarioError, match=r"^<dict>: \(top level\) = \[1, 2\]: must be a table$"):
        scenario_from_dict([1, 2])  # type: ignore[arg-type]


# --- overrides ---------------------------------------------------------------------------------


def test_cli_overrides_reach_the_values() -> None:
    result = validate_cli("baseline", "--set", "meta.name=renamed", "--set", "firms.0.price=3")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "OK: renamed (1 firm, 20 years)"


def test_overrides_reach_the_values(tmp_path: Path) -> None:
    path = write(tmp_path, valid_data(), "toy.toml")
    scenario = load_scenario(
        path,
        [
            "hardware.growth_per_year=1.1",
            "firms.0.price=3",
            "firms[1].cash=5e9",
            "market.damping=0.7",  # [market] is absent from the file
            'meta.description="two words"',
            "meta.name=bare_string",
            "hardware.stall_year=2030",
        ],
    )
    assert scenario.hardware.growth_per_year == 1.1
    assert scenario.firms[0].price == 3.0
    assert scenario.firms[1].cash == 5e9
    assert scenario.market.damping == 0.7
    assert scenario.meta.description == "two words"
    assert scenario.meta.name == "bare_string"
    assert scenario.hardware.stall_year == 2030
    assert load_scenario(path).firms[0].price == 4.0  # the file itself is untouched


def test_later_override_of_the_same_key_wins() -> None:
    scenario = scenario_from_dict(valid_data(), overrides=["meta.seed=1", "meta.seed=7"])
    assert scenario.meta.seed == 7


def test_scenario_from_dict_does_not_modify_its_input() -> None:
    data = valid_data()
    before = copy.deepcopy(data)
    scenario_from_dict(data, overrides=["firms.0.price=9", "market.damping=0.2"])
    assert data == before


@settings(max_examples=40, deadline=None)
@given(growth=st.floats(0.01, 100), price=st.floats(0, 1e6), seed=st.integers(0, 2**62))
def test_any_valid_override_value_reaches_the_scenario(growth: float, price: float, seed: int) -> None:
    overrides = [f"hardware.growth_per_year={growth!r}", f"firms.1.price={price!r}", f"meta.seed={seed}"]
    scenario = scenario_from_dict(valid_data(), overrides=overrides)
    assert (scenario.hardware.growth_per_year, scenario.firms[1].price, scenario.meta.seed) == (growth, price, seed)


# --- the unbounded-profit bound -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(alpha=st.floats(0.05, 1.0), beta=st.floats(0.05, 1.0), kappa=st.floats(0.0, 20.0))
def test_value_exponent_is_accepted_exactly_when_profit_is_bounded(
    alpha: float, beta: float, kappa: float
) -> None:
    product = kappa * gamma_of(alpha, beta)
    assume(abs(product - 1) > 1e-9)
    overrides = [f"scaling.alpha={alpha!r}", f"scaling.beta={beta!r}", f"consumers.value_exponent={kappa!r}"]
    if product < 1:
        assert scenario_from_dict(valid_data(), overrides=overrides).consumers.value_exponent == kappa
    else:
        with pytest.raises(ScenarioError, match="profit is unbounded"):
            scenario_from_dict(valid_data(), overrides=overrides)


@pytest.mark.parametrize(
    ("preset", "alpha", "beta", "quoted_bound"),
    [("besiroglu2024", BES24_ALPHA, BES24_BETA, 5.6), ("hoffmann2022", HOF22_ALPHA, HOF22_BETA, 6.5)],
)
def test_preset_bound_matches_the_published_exponents(
    preset: str, alpha: float, beta: float, quoted_bound: float
) -> None:
    bound = 1 / gamma_of(alpha, beta)
    assert quoted_bound < bound < quoted_bound + 0.05
    use_preset = f'scaling.preset="{preset}"'
    below = scenario_from_dict(valid_data(), overrides=[use_preset, f"consumers.value_exponent={bound - 1e-3}"])
    assert below.scaling.gamma == pytest.approx(gamma_of(alpha, beta))
    with pytest.raises(ScenarioError, match="profit is unbounded") as err:
        scenario_from_dict(valid_data(), overrides=[use_preset, f"consumers.value_exponent={bound + 1e-3}"])
    stated = re.search(r"must be < ([0-9.]+)", str(err.value))
    assert stated and float(stated[1]) == pytest.approx(bound, abs=1e-3)


def test_hoffmann_allows_a_value_exponent_that_besiroglu_rejects() -> None:
    kappa = "consumers.value_exponent=6.0"
    assert scenario_from_dict(valid_data(), overrides=['scaling.preset="hoffmann2022"', kappa])
    with pytest.raises(ScenarioError, match="consumers.value_exponent = 6.0: must be < 5.6"):
        scenario_from_dict(valid_data(), overrides=[kappa])


# --- round trip, properties, helpers ------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    years=st.floats(1.0, 100),
    periods=st.integers(1, 52),
    n_firms=st.integers(1, 4),
    stall=st.none() | st.integers(2025, 2100),
    kappa=st.floats(0, 5.5),
    description=st.text(max_size=30),
)
def test_to_toml_round_trips_to_an_equal_scenario(
    years: float, periods: int, n_firms: int, stall: int | None, kappa: float, description: str
) -> None:
    data = valid_data()
    data["meta"].update(years=years, periods_per_year=periods, description=description)
    data["hardware"]["stall_year"] = stall
    data["consumers"]["value_exponent"] = kappa
    data["firms"] = [{"name": f"F{i}", "price": float(i), "cash": 1e9, "credit_limit": 0.0} for i in range(n_firms)]
    scenario = scenario_from_dict(data)
    text = scenario_to_toml(scenario)
    assert "None" not in text.replace(description, "")
    assert scenario_from_dict(tomllib.loads(text)) == scenario


def test_time_grid_properties() -> None:
    scenario = scenario_from_dict(valid_data(), overrides=["meta.years=2.5", "meta.start_year=2030"])
    assert scenario.n_periods == 10  # 2.5 years of quarters
    assert scenario.period_years == 0.25
    assert scenario.end_year == 2032.5
    monthly = scenario_from_dict(valid_data(), overrides=["meta.periods_per_year=12", "meta.years=1"])
    assert (monthly.n_periods, monthly.end_year) == (12, 2026.0)


def test_scaling_overrides_replace_only_the_given_constants() -> None:
    law = scenario_from_dict(valid_data(), overrides=["scaling.alpha=0.4"]).scaling.law()
    assert (law.alpha, law.beta, law.A, law.B, law.E0) == (0.4, BES24_BETA, 482.01, 2085.43, 1.8172)
    hoffmann = scenario_from_dict(valid_data(), overrides=['scaling.preset="hoffmann2022"']).scaling.law()
    assert (hoffmann.E0, hoffmann.A, hoffmann.B, hoffmann.alpha, hoffmann.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)


def test_defaults_fill_omitted_sections() -> None:
    scenario = scenario_from_dict(valid_data())
    assert (scenario.scaling.preset, scenario.scaling.closure) == ("besiroglu2024", "cap")
    assert (scenario.market.logit_lambda, scenario.market.damping) == (0.3, 0.5)
    assert scenario.firms[0].strategy == "profit_optimal"
    assert isinstance(scenario, Scenario)


def test_resolve_scenario_path_accepts_names_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario_path("baseline") == SCENARIO_DIR / "baseline.toml"
    assert resolve_scenario_path("baseline.toml") == SCENARIO_DIR / "baseline.toml"
    own = write(tmp_path, valid_data(), "baseline.toml")
    assert resolve_scenario_path("baseline.toml") == Path("baseline.toml")  # a real file wins
    assert resolve_scenario_path(own) == own
    with pytest.raises(ScenarioError, match="is a directory"):
        resolve_scenario_path(tmp_path)
    with pytest.raises(ScenarioError, match=r"^sub/baseline: no such file or bundled scenario"):
        resolve_scenario_path("sub/baseline")


def test_exit_on_scenario_error_prints_the_message_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop, exit_on_scenario_error():
        scenario_from_dict(valid_data(), source="s.toml", overrides=["meta.sed=1"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith("s.toml: override 'meta.sed=1': meta.sed: unknown key")

    @exit_on_scenario_error()
    def command() -> None:
        raise ScenarioError("f.toml", ["a: b", "c: d"])

    with pytest.raises(SystemExit) as stop:
        command()
    assert stop.value.code == 2
    assert capsys.readouterr().err == "f.toml: a: b\nf.toml: c: d\n"


def test_exit_on_scenario_error_lets_other_errors_through() -> None:
    with pytest.raises(KeyError), exit_on_scenario_error():
        raise KeyError("not a scenario problem")


# --- layering ----------------------------------------------------------------------------------------


def test_config_imports_nothing_above_economics() -> None:
    """config sits just above economics: its modules import only marketsim.config and marketsim.economics."""
    import ast
    import subprocess
    import sys

    import marketsim.config

    folder = Path(marketsim.config.__file__).parent
    upward = []
    for module in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            upward += [f"{module.name}: {name}" for name in names
                       if name.split(".")[0] == "marketsim" and name.split(".")[1:2] not in (["config"], ["economics"])]
    assert upward == []
    loaded = subprocess.run([sys.executable, "-c", "import sys, marketsim.config as c; c.load('baseline'); "
                             "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('marketsim.')}))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "['config', 'economics']"
