"""The README's two commands stay true: CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README.md must start with a bash block of two commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_starts_with_install_and_run_then_install_and_test() -> None:
    run, test = _readme_commands()
    assert run.startswith("pip install -e . && marketsim compare scenarios/baseline.toml scenarios/hardware_stall.toml")
    assert test.startswith('pip install -e ".[test]" && ')
    for scenario in ("baseline", "hardware_stall"):
        assert (ROOT / "scenarios" / f"{scenario}.toml").is_file()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, test = _readme_commands()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test in ci_lines
