"""The one way marketsim writes a file: atomically, and (for JSON and CSV) byte-identically per input.

:func:`atomic_write` writes a temporary sibling and renames it into place, so a reader (or a resumed
sweep) never sees a half-written file; :func:`write_json` uses it. :func:`write_table` fixes the
CSV format of every table.

Missing values in tables: :func:`write_table` writes an empty cell, never ``nan`` or ``inf``,
where a quantity has no finite value. For example ``best_loss`` (the lowest loss on sale, in
nats/token) is empty in a period when no model is on sale, and a firm's ``loss`` is empty before
it has trained a model. Readers get NaN back from ``pandas.read_csv``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = ["FLOAT_FORMAT", "atomic_write", "json_default", "write_json", "write_table"]

# Ten significant digits: well beyond the precision of any calibrated input (docs/calibration.md
# figures have at most 4-5), and short enough that CSVs stay readable; also makes the text
# identical for identical floats on every platform (byte-identical tables for a seed).
FLOAT_FORMAT = "%.10g"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` by calling ``write`` on a temporary file in the same folder, then
    os.replace: readers never see a half-written file. Creates missing parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # os.open with 0o666 (not tempfile.mkstemp's 0o600): the file gets the user's umask
            # permissions, like every other file marketsim writes.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def json_default(value: Any) -> Any:
    """numpy scalars and arrays -> Python; anything else -> str (for ``json.dumps(default=...)``)."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def write_json(data: Any, path: Path, *, allow_nan: bool = False) -> None:
    """Write ``data`` as indented JSON with a final newline, atomically (UTF-8).

    numpy scalars become Python numbers (:func:`json_default`).

    Args:
        allow_nan: False (strict JSON): a NaN or infinity raises ValueError. True writes them as
            ``NaN``/``Infinity``, which Python's json reads back; only for records that marketsim
            itself reads (a sweep's per-run files, whose numbers come from any run function).
    """
    text = json.dumps(data, indent=2, allow_nan=allow_nan, default=json_default) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_table(df: pd.DataFrame, path: Path | IO[str]) -> None:
    """Write a table as CSV with a fixed float format and newline, for byte-identical reruns.

    A value with no finite number (NaN, +-inf, None) is written as an empty cell, never as
    ``nan`` or ``inf`` (see the module docstring for what an empty cell means). Not atomic by
    itself: ``path`` may be a text buffer (the playground's downloads); results folders are made
    atomic as a whole (:func:`marketsim.experiments.safety.atomic_output_dir`).
    """
    df.replace([np.inf, -np.inf], np.nan).to_csv(
        path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", na_rep=""
    )


def read_required_table(path: Path, required: Sequence[str], error: type[Exception],
                        when_missing: Callable[[pd.DataFrame], str]) -> pd.DataFrame:
    """The CSV table at ``path``, with every column of ``required``.

    Raises:
        error: ``"<path>: cannot be read as a table (<reason>)"``, or ``"<path>: column(s) a, b missing;
            <when_missing(table)>"`` (the caller's advice, e.g. the columns it has).
    """
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise error(f"{path}: cannot be read as a table ({err})") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise error(f"{path}: column(s) {', '.join(missing)} missing; {when_missing(table)}")
    return table
