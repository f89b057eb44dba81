"""An unknown key that looks like a typo of a known one says "did you mean ...?"; a top-level key that
looks like a typo of ``extends`` (which is no schema field) is hinted too, and its line comes first,
before the missing tables the parent would have supplied."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketsim.config import ScenarioError, load_scenario
from marketsim.config.schema import Consumers

from _cli import invoke


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    return err.value.problems


@pytest.mark.parametrize("key", ["extend", "extends_from", "Extends", "exends"])
def test_a_typo_of_extends_is_hinted_first(tmp_path, key):
    found = problems(tmp_path, f'{key} = "baseline"\n[consumers]\nsigma = 0.5\n')
    assert found[0].startswith(f"{key}: unknown key (allowed: meta, ")
    assert found[0].endswith("; did you mean extends?")
    assert len(found) > 1  # the tables baseline would have supplied are still reported, after it


def test_a_typo_of_a_nested_key_is_hinted(tmp_path):
    found = problems(tmp_path, 'extends = "baseline"\n[consumers]\nsgima = 0.5\n[consumer]\nsigma = 1\n')
    assert "consumers.sgima: unknown key (allowed: count, " in found[0] and found[0].endswith("; did you mean sigma?")
    assert any(p.startswith("consumer: unknown key") and p.endswith("; did you mean consumers?") for p in found)


def test_no_hint_when_nothing_is_close(tmp_path):
    found = problems(tmp_path, 'extends = "baseline"\nzzz = 1\n[consumers]\nextends = "baseline"\n')
    assert sorted(found) == [
        # extends is a top-level key only: inside a table it is neither allowed nor suggested
        f"consumers.extends: unknown key (allowed: {', '.join(Consumers.model_fields)})",
        "zzz: unknown key (allowed: meta, scaling, hardware, data, consumers, market, firms, uncertain)",
    ]


def test_the_cli_prints_the_hint_without_a_traceback(tmp_path):
    (tmp_path / "typo.toml").write_text('extend = "baseline"\n', encoding="utf-8")
    result = invoke("run", "typo.toml", "--out", "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert "typo.toml: extend: unknown key" in result.output and "did you mean extends?" in result.output
    assert "Traceback" not in result.output


def test_a_typo_in_a_set_override_is_hinted_too(tmp_path):
    result = invoke("run", "baseline", "--set", "hardware.growth_per_yr=1.2", "--out", "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert "hardware.growth_per_yr: unknown key (allowed: flop_per_dollar, growth_per_year," in result.output
    assert result.output.rstrip().endswith("did you mean growth_per_year?")
    assert not (tmp_path / "out").exists() and "Traceback" not in result.output
