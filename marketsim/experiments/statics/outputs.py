"""The ``--out`` folder of ``marketsim statics``: statics.json, statics_points.csv, columns.csv and a
figure, written complete or not at all (:func:`marketsim.experiments.safety.atomic_output_dir`; the
rules of ``--force`` apply). The figure is drawn by a layer above (``marketsim.viz``), handed in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from marketsim.experiments.files import write_json, write_table
from marketsim.experiments.safety import atomic_output_dir
from marketsim.experiments.statics.measure import StaticsResult
from marketsim.sim.tables import write_columns

__all__ = ["STATICS_FILES", "write_statics"]

#: Files of a statics folder besides the manifest (the figure only when a drawer is given).
STATICS_FILES = ("statics.json", "statics_points.csv", "columns.csv", "statics.png")

#: Draws the figure of a result into a PNG path.
FigureDrawer = Callable[[StaticsResult, Path], None]


def write_statics(result: StaticsResult, out_dir: str | Path, *, force: bool = False,
                  figure: FigureDrawer | None = None, periods_per_year: int | None = None) -> Path:
    """Write the result into ``out_dir`` (replaced only with ``force``, and only if marketsim wrote it).

    Raises:
        OutputExistsError, UnsafeOutputError, OutputPathError: from the folder's safety rules (before
            anything is written).
    """
    out = Path(out_dir)
    with atomic_output_dir(out, force, command="statics", seed=None) as tmp:
        write_json(result.as_json(), tmp / "statics.json")
        write_table(result.points, tmp / "statics_points.csv")
        write_columns(tmp, {"statics_points.csv": list(result.points.columns)}, periods_per_year)
        if figure is not None:
            figure(result, tmp / "statics.png")
    return out
