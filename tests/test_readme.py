"""The README's two commands stay true: CI runs exactly its test command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

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


def test_ci_stops_every_failure_and_ends_on_the_readme_test_command() -> None:
    _, test = _readme_commands()
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")]
    assert "set -euo pipefail" in commands[:2]  # a failing pytest (any exit code but 0) fails CI
    assert commands[-1] == test  # its exit status is the script's
    # ... after the non-editable install check: the wheel, a bundled scenario from outside the checkout.
    text = "\n".join(commands)
    assert "pip wheel . --no-deps" in text and "marketsim run baseline" in text and "marketsim\" --version" in text


@pytest.mark.parametrize("apt_status", [100, 0])
def test_ci_stops_with_an_error_when_chromium_cannot_be_installed(tmp_path: Path, apt_status: int) -> None:
    # No chromium on PATH and an apt-get that fails (or installs nothing): .ci/run must stop at once
    # with a message, not go on to a test run whose browser test could not work.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    fake_apt = bin_dir / "apt-get"
    fake_apt.write_text(f"#!/bin/sh\necho \"apt-get $*\" >> '{tmp_path}/apt.log'\nexit {apt_status}\n")
    fake_apt.chmod(0o755)
    done = subprocess.run(["/bin/bash", str(ROOT / ".ci" / "run")], env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: " in done.stderr and "chromium" in done.stderr
    assert "apt-get update" in (tmp_path / "apt.log").read_text()
    assert done.stdout == ""  # nothing else ran
