"""The command line as a whole: every command is registered, and a scenario naming an unknown
strategy is refused by every command that loads one (exit 2, one line, nothing written)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketsim.cli import app
from marketsim.config import resolve_scenario_path

runner = CliRunner()

#: Every command, in the order `marketsim --help` lists them.
COMMANDS = ("theory", "optimize", "validate", "scenarios", "run", "compare", "bench", "sweep", "sensitivity",
            "statics", "ensemble", "discover", "playground", "validate-history", "trends", "report", "calibrate")
NOPE = 'firms.0.strategy="nope"'
UNKNOWN = 'firms[0].strategy = "nope": must be one of "profit_optimal", "fixed_growth", "open_weights"'


def test_help_lists_every_command_in_order() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    positions = [result.stdout.find(f"│ {name} ") for name in COMMANDS]
    assert all(p >= 0 for p in positions), dict(zip(COMMANDS, positions))
    assert positions == sorted(positions)
    listed = re.findall(r"^│ ([a-z][a-z-]*) ", result.stdout, flags=re.MULTILINE)
    assert listed == list(COMMANDS)  # a new command must be added here (and to README's table)


@pytest.mark.parametrize("args", [
    ["validate", "baseline"],
    ["run", "baseline", "--quiet", "--no-figures"],
    ["compare", "baseline", "oligopoly", "--quiet"],
    ["playground", "baseline"],
    ["validate-history", "--scenario", "baseline"],
], ids=lambda args: args[0])
def test_an_unknown_strategy_exits_2_naming_the_file_and_key_before_anything_runs(
        args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # run/compare default to ./outputs/...: nothing may appear here
    monkeypatch.setattr("os.execve", lambda *a: pytest.fail("must not start a server"))
    result = runner.invoke(app, [*args, "--set", NOPE])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"{resolve_scenario_path('baseline')}: {UNKNOWN}"]
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_strategy_in_a_compare_argument_names_that_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["compare", "baseline", f"oligopoly[{NOPE}]", "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"{resolve_scenario_path('oligopoly')}: {UNKNOWN}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["sweep", "baseline", "--set", NOPE],
    ["sweep", "baseline", "--grid", "firms.0.strategy=profit_optimal,nope"],
    ["sensitivity", "baseline", "--param", "hardware.growth_per_year=1.2:1.4", "--output", "final_adoption_share",
     "--samples", "4", "--set", NOPE],
], ids=["sweep-set", "sweep-grid", "sensitivity-set"])
def test_a_batch_with_an_unknown_strategy_exits_2_before_any_run(args: list[str], tmp_path: Path) -> None:
    out = tmp_path / "batch"
    result = runner.invoke(app, [*args, "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith(f"baseline.toml: {UNKNOWN}")
    assert list(tmp_path.iterdir()) == []
