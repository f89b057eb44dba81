"""A normal (non-editable) install works: the wheel carries the bundled scenarios, and the installed
``marketsim`` runs a bundled scenario by name from a folder outside the checkout.

Offline: the wheel is built without build isolation and installed without an index; the fresh
virtual environment borrows this environment's packages (the dependencies) through a ``.pth`` file,
since ``--system-site-packages`` alone only reaches the base interpreter's packages when this
interpreter is itself a virtual environment. .ci/run repeats the same with a wheel built as usual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What a fresh clone needs to build the wheel.
SOURCES = ("pyproject.toml", "README.md", "scenarios", "marketsim")


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output if it exits non-zero."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _copy_sources(dest: Path) -> Path:
    """The files a clone has, copied (symlinks kept, as git keeps them) so the build writes nothing here."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    dest.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    return dest


def _fresh_venv(path: Path) -> Path:
    """A new virtual environment that sees this environment's packages (for the dependencies)."""
    # Without its own pip (ensurepip takes seconds): this environment's pip installs into it (--python).
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", path], cwd=path.parent)
    python = path / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=path).strip()
    # Plain path lines: this environment's .pth files (e.g. the editable marketsim) are not run.
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site) / "_marketsim_test_parent_env.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    return python


@pytest.mark.slow
def test_wheel_ships_the_scenarios_and_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    scenarios = sorted(path.name for path in (ROOT / "scenarios").glob("*.toml"))
    assert "baseline.toml" in scenarios

    source = _copy_sources(tmp_path / "clone")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", source, "-w", dist, "--no-deps", "--no-build-isolation",
          "--no-index", "-q"], cwd=tmp_path)
    (wheel,) = dist.glob("marketsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"marketsim/config/scenarios/{name}" for name in scenarios} <= names
    assert "marketsim/cli/__init__.py" in names and not any(name.startswith(("tests/", "scenarios/")) for name in names)

    python = _fresh_venv(tmp_path / "venv")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-build-isolation",
          "--no-index", "--ignore-installed", "-q", wheel], cwd=tmp_path)

    work = tmp_path / "elsewhere"  # outside the checkout: nothing can come from ROOT
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["MPLBACKEND"] = "Agg"
    where = _run([python, "-c", "import marketsim, marketsim.config as s; print(marketsim.__file__); "
                  "print(s.SCENARIO_DIR); print(marketsim.__version__)"], cwd=work, env=env).splitlines()
    installed = tmp_path / "venv"
    assert all(Path(line).is_relative_to(installed) for line in where[:2]), where
    assert where[2] == version

    marketsim = installed / "bin" / "marketsim"
    assert _run([marketsim, "--version"], cwd=work, env=env) == f"marketsim {version}\n"
    listing = _run([marketsim, "scenarios"], cwd=work, env={**env, "COLUMNS": "250"})
    assert all(name.removesuffix(".toml") in listing for name in scenarios)
    _run([marketsim, "run", "baseline", "--set", "meta.years=1", "--out", work / "x", "--quiet"], cwd=work, env=env)
    for name in ("model.csv", "firms.csv", "summary.json", "scenario.toml"):
        assert (work / "x" / name).is_file(), name
    assert len((work / "x" / "model.csv").read_text(encoding="utf-8").splitlines()) == 1 + 4  # header + 4 quarters
