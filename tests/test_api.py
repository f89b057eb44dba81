"""The Python API a notebook user reaches for: MarketModel / marketsim.load by name or path, with
overrides that go through the same key-path function as ``--set``; the README's "Python API" block
runs as written; the version and the bundled scenarios come from the installed package."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import marketsim
from marketsim.cli import app
from marketsim.config import (SCENARIO_DIR, Scenario, ScenarioError, bundled_scenarios, load_scenario,
                                resolve_scenario_path, scenario_to_toml)

ROOT = Path(__file__).resolve().parents[1]
SHORT = {"meta.years": 1}  # four quarters: these tests are about loading, not about the market


def _readme_python_api_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Python API\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README.md must have a '## Python API' section"
    block = re.search(r"```python\n(.*?)```", section.group(1), re.S)
    assert block, "the Python API section must show a ```python block"
    return block.group(1)


def test_readme_python_api_block_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = _readme_python_api_block()
    for shown in ("MarketModel(", "overrides=", ".run()", "model_table()", "firm_table()", "plot_"):
        assert shown in code, f"the README's Python API block should show {shown}"
    monkeypatch.chdir(tmp_path)  # the block saves adoption.png in the current folder
    namespace: dict[str, object] = {"__name__": "__readme__"}
    exec(compile(code, "README.md (Python API)", "exec"), namespace)  # noqa: S102 - our own README

    model, periods, firms = namespace["model"], namespace["periods"], namespace["firms"]
    assert model.scenario.hardware.stall_year == 2030
    assert len(periods) == model.scenario.n_periods == 32 and periods["year"].iloc[0] == 2025
    assert set(firms["firm"]) == {firm.name for firm in model.scenario.firms}
    assert (tmp_path / "adoption.png").stat().st_size > 10_000
    assert "adoption_share" in capsys.readouterr().out


def test_model_by_bundled_name_equals_the_cli_reading(tmp_path: Path) -> None:
    # MarketModel("baseline", overrides=...) is `marketsim run baseline --set ...`: same file, same override function.
    cli = load_scenario(resolve_scenario_path("baseline"), ["hardware.stall_year=2030", "meta.years=1"])
    model = marketsim.MarketModel("baseline", overrides={"hardware.stall_year": 2030, **SHORT})
    assert model.scenario == cli
    assert marketsim.MarketModel("baseline", overrides=["hardware.stall_year=2030", "meta.years=1"]).scenario == cli
    assert marketsim.load("baseline.toml", {"hardware.stall_year": 2030, **SHORT}) == cli
    assert marketsim.MarketModel(overrides=SHORT).scenario.meta.name == cli.meta.name  # default: the baseline


def test_model_from_a_file_path_as_str_or_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(scenario_to_toml(marketsim.load("oligopoly", SHORT)), encoding="utf-8")
    for given in (path, str(path)):
        model = marketsim.MarketModel(given, overrides={"hardware.stall_year": 2030, "firms.1.price": 2.5})
        assert model.scenario.hardware.stall_year == 2030 and model.scenario.firms[1].price == 2.5
        assert [firm.name for firm in model.firms] == [firm.name for firm in model.scenario.firms]
    model.run()
    assert len(model.model_table()) == 4


def test_overrides_apply_to_a_scenario_object_and_accept_numpy_numbers() -> None:
    base = marketsim.load("baseline", SHORT)
    assert marketsim.load(base) is base
    changed = marketsim.load(base, {"firms.0.price": np.float64(3.5), "meta.seed": np.int64(4)})
    assert isinstance(changed, Scenario)
    assert (changed.firms[0].price, changed.meta.seed) == (3.5, 4) and base.firms[0].price != 3.5
    model = marketsim.MarketModel(base, overrides={"meta.seed": 7})
    assert model.seed_used == 7


@pytest.mark.parametrize(("overrides", "message"), [
    ({"hardware.nope": 1}, "override 'hardware.nope=1': hardware.nope: unknown key (allowed: flop_per_dollar"),
    ({"firms.5.price": 1}, "override 'firms.5.price=1': firms[5]: no such entry (firms has 1 entry)"),
    ({"meta..years": 1}, "override 'meta..years=1': must have the form key.path=value"),
    (["hardware.stall_year"], "override 'hardware.stall_year': must have the form key.path=value"),
    ({"meta.years": -1}, "meta.years = -1: must be"),
])
def test_bad_overrides_raise_a_clear_value_error(overrides, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        marketsim.MarketModel("baseline", overrides=overrides)
    assert isinstance(caught.value, ScenarioError)
    assert str(caught.value).startswith(str(SCENARIO_DIR / "baseline.toml") + ": ")


def test_unknown_scenario_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ValueError, match=r"nope: no such file or bundled scenario \(bundled: baseline, "):
        marketsim.MarketModel("nope")


def test_version_comes_from_the_installed_metadata() -> None:
    version = importlib.metadata.version("marketsim")
    assert marketsim.__version__ == version
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"marketsim {version}\n"


def test_import_marketsim_stays_light() -> None:
    # `marketsim --version` and `import marketsim` do not pull in mesa/pandas; MarketModel loads on first use.
    code = "import sys, marketsim; print(sorted(m for m in ('mesa', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    with pytest.raises(AttributeError, match="module 'marketsim' has no attribute 'nope'"):
        marketsim.nope  # noqa: B018


def test_bundled_scenarios_are_package_data_and_the_top_level_folder_is_the_same_files() -> None:
    package_dir = importlib.resources.files("marketsim.config") / "scenarios"
    assert SCENARIO_DIR == Path(str(package_dir))
    names = sorted(path.name for path in (ROOT / "scenarios").glob("*.toml"))
    assert names and names == sorted(path.name for path in SCENARIO_DIR.glob("*.toml"))
    for name in names:  # one source of truth: marketsim/config/scenarios is the repository's scenarios/ folder
        assert os.path.samefile(ROOT / "scenarios" / name, SCENARIO_DIR / name)
    assert [row[0] for row in bundled_scenarios()] == [name.removesuffix(".toml") for name in names]
    listing = CliRunner().invoke(app, ["scenarios"], env={"COLUMNS": "250"})
    assert listing.exit_code == 0, listing.output
    assert all(name.removesuffix(".toml") in listing.output for name in names)
