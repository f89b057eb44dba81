"""Scenario inheritance (``extends``): a child file states only what it changes (marketsim.config.inheritance)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w

from marketsim.config import SCENARIO_DIR, ScenarioError, load, load_scenario, scenario_from_dict
from marketsim.experiments.batch.source import read_scenario
from tests._cli import invoke
from tests._synthetic import MINI_SCENARIO_TOML


def mini(tmp_path: Path, name: str = "parent.toml") -> Path:
    """The small synthetic scenario as a parent file."""
    path = tmp_path / name
    path.write_text(MINI_SCENARIO_TOML.format(name=Path(name).stem))
    return path


def full_copy_with(path: Path, changes: dict[str, dict[str, object]]) -> dict:
    """The parsed file with ``changes`` (table -> key -> value) applied: what a full copy would say."""
    data = tomllib.loads(path.read_text())
    for table, values in changes.items():
        data[table].update(values)
    return data


def test_child_changing_one_key_equals_a_full_copy_with_that_key_changed(tmp_path: Path) -> None:
    parent = mini(tmp_path)
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[data]\nstock_growth_per_year = 1.25\n')
    expected = scenario_from_dict(full_copy_with(parent, {"data": {"stock_growth_per_year": 1.25}}))
    assert load_scenario(child) == expected
    assert load_scenario(child) != load_scenario(parent)
    assert load_scenario(child).data.stock_growth_per_year == 1.25
    assert load_scenario(child).data.stock_tokens == load_scenario(parent).data.stock_tokens  # the rest kept


def test_bundled_name_resolves_to_the_bundled_file(tmp_path: Path) -> None:
    child = tmp_path / "mine.toml"
    child.write_text('extends = "baseline"\n[meta]\nname = "mine"\n[hardware]\nstall_year = 2031\n')
    baseline = load_scenario(SCENARIO_DIR / "baseline.toml")
    expected = baseline.model_copy(update={"meta": baseline.meta.model_copy(update={"name": "mine"}),
                                           "hardware": baseline.hardware.model_copy(update={"stall_year": 2031})})
    assert load_scenario(child) == expected


def test_chains_resolve_nearest_parent_first(tmp_path: Path) -> None:
    mini(tmp_path, "grand.toml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "middle.toml").write_text(
        'extends = "../grand.toml"\n[consumers]\nsigma = 0.7\nmedian_threshold = 0.2\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "sub/middle.toml"\n[consumers]\nsigma = 0.9\n')
    scenario = load_scenario(child)
    assert (scenario.consumers.sigma, scenario.consumers.median_threshold) == (0.9, 0.2)


def test_firms_are_matched_by_name_and_the_child_list_is_the_list(tmp_path: Path) -> None:
    parent = mini(tmp_path)
    base_firm = tomllib.loads(parent.read_text())["firms"][0]
    child = tmp_path / "child.toml"
    child.write_text(tomli_w.dumps({
        "extends": "parent.toml",
        "firms": [{"name": "Other", **{k: v for k, v in base_firm.items() if k != "name"}, "price": 7.0},
                  {"name": base_firm["name"], "cash": 123.0}],
    }))
    other, same = load_scenario(child).firms
    parent_firm = load_scenario(parent).firms[0]
    assert other == parent_firm.model_copy(update={"name": "Other", "price": 7.0})
    assert same == parent_firm.model_copy(update={"cash": 123.0})


def test_a_new_firm_is_stated_in_full(tmp_path: Path) -> None:
    mini(tmp_path)
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[[firms]]\nname = "New"\n')
    with pytest.raises(ScenarioError, match=r"child\.toml: firms\[0\]\.price: required key is missing"):
        load_scenario(child)


def test_cycle_is_an_error_naming_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match=r'b\.toml: extends = "a\.toml": scenarios extend each other in a cycle '
                                            r"\(\S*a\.toml -> \S*b\.toml -> \S*a\.toml\)") as err:
        load_scenario(tmp_path / "a.toml")
    assert len(err.value.problems) == 1
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "self.toml")


def test_unknown_parent_is_an_error_naming_the_file_key_and_what_is_allowed(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text('extends = "basline"\n')
    with pytest.raises(ScenarioError, match=r'child\.toml: extends = "basline": no such bundled scenario '
                                            r"\(bundled: .*baseline.*\)"):
        load_scenario(child)
    child.write_text('extends = "missing.toml"\n')
    with pytest.raises(ScenarioError, match=r'child\.toml: extends = "missing\.toml": no such file \(\S*missing\.toml\)'):
        load_scenario(child)
    child.write_text("extends = 3\n")
    with pytest.raises(ScenarioError, match=r"child\.toml: extends = 3: must be the name of a bundled scenario"):
        load_scenario(child)


def test_a_broken_parent_is_reported_in_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "parent.toml").write_text("[meta\n")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n')
    with pytest.raises(ScenarioError, match=r"parent\.toml: line 1, column \d+: invalid TOML"):
        load_scenario(child)


def test_an_invalid_inherited_value_names_the_file_that_set_it(tmp_path: Path) -> None:
    parent = mini(tmp_path)
    parent.write_text(parent.read_text().replace("[consumers]\n", "[consumers]\nswitching_cost = -1.0\n", 1))
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n')
    with pytest.raises(ScenarioError, match=r"^\S*child\.toml: consumers\.switching_cost = -1\.0: must be .*"
                                            r"\(set in \S*parent\.toml\)$"):
        load_scenario(child)


def test_overrides_apply_after_resolution(tmp_path: Path) -> None:
    mini(tmp_path)
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[data]\nstock_growth_per_year = 1.25\n')
    assert load(child, ["data.stock_growth_per_year=1.5"]).data.stock_growth_per_year == 1.5
    assert load(child, ["hardware.growth_per_year=1.1"]).data.stock_growth_per_year == 1.25
    with pytest.raises(ScenarioError, match=r"data\.stock_growth_per_year = 0\.0: must be .*\(from override"):
        load(child, ["data.stock_growth_per_year=0.0"])


def test_run_writes_the_resolved_scenario_in_full(tmp_path: Path) -> None:
    mini(tmp_path)
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[meta]\nname = "child"\nyears = 1\n')
    result = invoke("run", str(child), "--out", "out", "--quiet", "--no-figures", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    written = (tmp_path / "out" / "scenario.toml").read_text()
    data = tomllib.loads(written)
    assert "extends" not in data
    assert {"meta", "hardware", "data", "consumers", "firms"} <= set(data)
    assert scenario_from_dict(data) == load_scenario(child)  # stands on its own, with no parent


@pytest.mark.slow  # compare always draws its figures (~15 s)
def test_compare_writes_each_resolved_scenario_in_full(tmp_path: Path) -> None:
    mini(tmp_path)
    (tmp_path / "a.toml").write_text('extends = "parent.toml"\n[meta]\nname = "a"\nyears = 0.5\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n[meta]\nname = "b"\n[hardware]\ngrowth_per_year = 1.2\n')
    result = invoke("compare", "a.toml", "b.toml", "--out", "cmp", "--quiet", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "cmp").rglob("scenario.toml"))
    assert len(written) == 2
    for path in written:
        data = tomllib.loads(path.read_text())
        assert "extends" not in data
        name = data["meta"]["name"]
        assert scenario_from_dict(data) == load_scenario(tmp_path / f"{name}.toml")


def test_sweep_source_travels_resolved(tmp_path: Path) -> None:
    mini(tmp_path)
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[data]\nstock_growth_per_year = 1.25\n')
    source = read_scenario(child)
    assert "extends" not in tomllib.loads(source.text)
    (tmp_path / "parent.toml").unlink()  # workers never open the parent
    assert source.load() == scenario_from_dict(tomllib.loads(source.text))
    assert source.load().data.stock_growth_per_year == 1.25


def test_every_bundled_scenario_but_the_baseline_extends_it() -> None:
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if path.stem == "baseline":
            assert "extends" not in data
            continue
        # directly, or through other bundled scenarios (uncertain_oligopoly -> oligopoly -> baseline)
        chain = [path.stem, data.get("extends")]
        while chain[-1] not in (None, "baseline") and chain.count(chain[-1]) == 1:
            chain.append(tomllib.loads((SCENARIO_DIR / f"{chain[-1]}.toml").read_text(encoding="utf-8")).get("extends"))
        assert chain[-1] == "baseline", " -> ".join(map(str, chain))
        assert load_scenario(path).meta.name == path.stem  # resolves, under its own name


def test_one_lab_history_shares_the_baseline_demand_and_changes_only_dates_paths_and_finances() -> None:
    base, history = load_scenario(SCENARIO_DIR / "baseline.toml"), load_scenario(SCENARIO_DIR / "historical_one_lab.toml")
    assert history.consumers.model_copy(update={"population": base.consumers.population}) == base.consumers
    assert history.scaling == base.scaling and history.market == base.market
    firm_keys = {"cash", "credit_limit"}
    assert history.firms[0].model_dump(exclude=firm_keys) == base.firms[0].model_dump(exclude=firm_keys)
    # the paths meet in 2025: the history's exogenous paths, grown 9 years, are the baseline's start
    years = base.meta.start_year - history.meta.start_year
    assert history.hardware.flop_per_dollar * history.hardware.growth_per_year**years == pytest.approx(
        base.hardware.flop_per_dollar, rel=0.01)
    assert history.data.efficiency * history.data.efficiency_growth_per_year**years == pytest.approx(
        base.data.efficiency, rel=0.01)
    assert history.data.stock_tokens * history.data.stock_growth_per_year**years == pytest.approx(
        base.data.stock_tokens, rel=0.01)
    assert history.consumers.population * history.consumers.population_growth_per_year**years == pytest.approx(
        base.consumers.population, rel=0.01)
