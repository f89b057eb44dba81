"""Output folders that appear complete or not at all.

Everything a command writes goes into a hidden temporary sibling folder (``.<name>.tmp-<random>``
next to the target), which is renamed into place only when every file is written. An interrupted
or failed run therefore leaves neither a half-written results folder nor a temporary one, and an
existing folder is replaced (with ``force``) only once its replacement is complete.

A run folder holds ``model.csv``, ``firms.csv``, ``summary.json``, ``scenario.toml`` and the PNG
figures of :mod:`marketsim.plots` (see docs/architecture.md for the table columns).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from marketsim import plots

if TYPE_CHECKING:
    from marketsim.experiments.run import RunResult

__all__ = [
    "FLOAT_FORMAT",
    "OutputExistsError",
    "atomic_output_dir",
    "check_output_dir",
    "folder_name",
    "write_table",
    "write_json",
    "write_run",
    "write_run_files",
]

# Ten significant digits: well beyond the precision of any calibrated input (calibration.md
# figures have at most 4-5), and short enough that CSVs stay readable; also makes the text
# identical for identical floats on every platform (byte-identical tables for a seed).
FLOAT_FORMAT = "%.10g"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class OutputExistsError(FileExistsError):
    """The output folder exists and ``force`` was not given."""


def check_output_dir(out_dir: Path | str, force: bool) -> None:
    """Raise :class:`OutputExistsError` if ``out_dir`` exists and ``force`` is False.

    Commands call this before a long run so that the user learns about the clash at once.
    """
    out = Path(out_dir)
    if (out.exists() or out.is_symlink()) and not force:
        kind = "folder" if out.is_dir() else "file"
        raise OutputExistsError(
            f"output {kind} {out} already exists; pass --force to replace it, or choose another "
            f"folder with --out"
        )


def folder_name(name: str) -> str:
    """A file-system-safe folder name for a scenario name ('my run/2' -> 'my-run-2')."""
    safe = _SAFE_NAME.sub("-", name).strip("-.")
    if not safe:
        raise ValueError(
            f"scenario name {name!r} has no letters or digits to name an output folder after; "
            f"use a name with letters, digits, '.', '_' or '-'"
        )
    return safe


def _missing_ancestors(path: Path) -> list[Path]:
    """Ancestors of ``path`` that do not exist yet, deepest first (removed again on failure)."""
    missing = []
    for parent in path.parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def _make_sibling(out: Path, tag: str) -> Path:
    """Create an empty hidden folder ``.<name>.<tag>-<random>`` next to ``out``.

    ``Path.mkdir`` (not ``tempfile.mkdtemp``) so the folder gets the user's umask permissions
    rather than 0700, since it becomes the results folder.
    """
    while True:
        candidate = out.parent / f".{out.name}.{tag}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _commit(tmp: Path, out: Path, force: bool) -> None:
    """Move the finished ``tmp`` folder to ``out``; an old ``out`` goes only after the swap."""
    if not (out.exists() or out.is_symlink()):
        # rename(2) would silently replace an empty directory created meanwhile; we checked.
        os.rename(tmp, out)
        return
    check_output_dir(out, force)  # someone created it while we worked
    old = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    _remove(old)


@contextmanager
def atomic_output_dir(out_dir: Path | str, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success it becomes ``out_dir``.

    Args:
        out_dir: the final folder.
        force: replace an existing ``out_dir`` (removed only after the new folder is in place).

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False; raised on entry, before
            anything is created.

    On any exception in the body, KeyboardInterrupt included, the temporary folder (and any
    parent folders this call created) is removed and the exception propagates.
    """
    out = Path(out_dir)
    check_output_dir(out, force)
    created_parents = _missing_ancestors(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_sibling(out, "tmp")
    try:
        yield tmp
        _commit(tmp, out, force)
    except BaseException:
        _remove(tmp)
        for parent in created_parents:
            try:
                parent.rmdir()
            except OSError:
                break  # not empty: someone else is using it
        raise


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV with a fixed float format and newline, for byte-identical reruns."""
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_json(data: Any, path: Path) -> None:
    """Write strict JSON (NaN is an error, not 'NaN'), indented, with a final newline."""
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _stall_year(scenario: Any) -> float | None:
    hardware = getattr(scenario, "hardware", None)
    return getattr(hardware, "stall_year", None)


def write_run_files(result: RunResult, folder: Path, figures: bool = True) -> list[Path]:
    """Write one run's files into an existing ``folder`` (no atomicity); return the paths.

    Files: ``model.csv``, ``firms.csv``, ``summary.json``, ``scenario.toml`` (the resolved
    scenario, with the seed actually used) and, if ``figures``, the PNGs of
    :data:`marketsim.plots.RUN_FIGURES`.
    """
    from marketsim.scenario import scenario_to_toml

    paths = [folder / "model.csv", folder / "firms.csv", folder / "summary.json", folder / "scenario.toml"]
    write_table(result.model, paths[0])
    write_table(result.firms, paths[1])
    write_json(result.summary, paths[2])
    paths[3].write_text(scenario_to_toml(result.scenario), encoding="utf-8")
    if figures:
        paths += plots.save_run_figures(
            result.model,
            result.firms,
            folder,
            scenario=result.summary.get("scenario"),
            stall_year=_stall_year(result.scenario),
        )
    return paths


def write_run(result: RunResult, out_dir: Path | str, force: bool = False, figures: bool = True) -> Path:
    """Write one run's tables, summary, resolved scenario and figures atomically to ``out_dir``.

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False (nothing is written).

    Returns:
        ``out_dir`` as a Path.
    """
    out = Path(out_dir)
    with atomic_output_dir(out, force) as tmp:
        write_run_files(result, tmp, figures)
    return out
