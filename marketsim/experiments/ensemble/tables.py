"""The tables of a finished ensemble, computed from its per-run files without holding all runs.

Per-period quantiles read the run files a few columns at a time (:data:`MEMORY_FLOATS` bounds what
the driver holds: runs x periods x columns of one chunk, for every scenario); outcomes, paired
differences and probabilities come from the small per-run summaries. File names and columns:
:mod:`marketsim.experiments.ensemble.layout` and ``columns.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from marketsim.experiments.batch.store import run_status
from marketsim.experiments.ensemble.design import Design, Member
from marketsim.experiments.ensemble.layout import DRAWS, OUTCOMES, PAIRED
from marketsim.experiments.ensemble.outcomes import OUTCOMES as OUTCOME_INFO
from marketsim.experiments.files import atomic_write, write_table

__all__ = ["MEMORY_FLOATS", "PROBABILITIES", "QUANTILES", "QUANTILE_FILE", "PAIRED_QUANTILE_FILE",
           "OUTCOME_QUANTILE_FILE", "PROBABILITY_FILE", "outcomes_table", "paired_table", "probability_table",
           "series_quantiles", "write_tables"]

#: The quantiles of every table, as probabilities, and their column names.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_COLUMNS = ["p5", "p25", "p50", "p75", "p95"]
#: Floats of run values the driver holds at once while computing per-period quantiles (4 MB; with the
#: quantile and paired-difference copies the peak is about three times that, whatever the number of runs).
MEMORY_FLOATS = 500_000

QUANTILE_FILE = "quantiles.csv"
PAIRED_QUANTILE_FILE = "paired_quantiles.csv"
OUTCOME_QUANTILE_FILE = "outcome_quantiles.csv"
PROBABILITY_FILE = "probabilities.csv"
_NOT_SERIES = {"run_id", "seed", "step", "year"}


def _summary(out_dir: Path, run_id: str) -> dict | None:
    if run_status(out_dir, run_id) != "done":
        return None
    return json.loads((out_dir / "summaries" / f"{run_id}.json").read_text(encoding="utf-8"))["summary"]


def outcomes_table(out_dir: Path, design: Design) -> pd.DataFrame:
    """outcomes.csv: one row per finished (scenario, draw): scenario, draw, then the outcomes."""
    rows = []
    for member in design.members:
        for draw in design.draws["draw"]:
            summary = _summary(out_dir, member.run_id(int(draw)))
            if summary is not None:
                rows.append({"scenario": member.label, "draw": int(draw),
                             **{k: summary.get(k) for k in OUTCOME_INFO}})
    table = pd.DataFrame(rows, columns=["scenario", "draw", *OUTCOME_INFO])
    return table.astype({k: float for k in OUTCOME_INFO})


def paired_table(outcomes: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """paired.csv: every scenario but the first against the first, draw by draw.

    Per outcome ``<outcome>_diff`` (scenario - base) and ``<outcome>_ratio`` (scenario / base, NaN
    when the base is 0), then ``spend_cut`` (1 - cumulative spend / base's) and ``adoption_later``
    (1 if adoption passes 50% later than in the base, or never while the base's does; else 0).
    """
    base = outcomes[outcomes["scenario"] == labels[0]].set_index("draw")
    frames = []
    for label in labels[1:]:
        other = outcomes[outcomes["scenario"] == label].set_index("draw")
        draws = other.index.intersection(base.index)
        b, s = base.loc[draws, list(OUTCOME_INFO)], other.loc[draws, list(OUTCOME_INFO)]
        frame = pd.DataFrame({"scenario": label, "base": labels[0], "draw": draws})
        for key in OUTCOME_INFO:
            frame[f"{key}_diff"] = (s[key] - b[key]).to_numpy()
            frame[f"{key}_ratio"] = (s[key] / b[key].where(b[key] != 0)).to_numpy()
        frame["spend_cut"] = 1 - frame["cumulative_training_spend_ratio"]
        later = s["adoption_50_year"].fillna(np.inf) > b["adoption_50_year"].fillna(np.inf)
        frame["adoption_later"] = later.astype(float).to_numpy()
        frames.append(frame)
    columns = ["scenario", "base", "draw", *(f"{k}_{s}" for k in OUTCOME_INFO for s in ("diff", "ratio")),
               "spend_cut", "adoption_later"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def _quantile_row(values: pd.Series) -> dict[str, float]:
    finite = values.dropna().to_numpy(dtype=float)
    if not len(finite):
        return {**dict.fromkeys(QUANTILE_COLUMNS, np.nan), "mean": np.nan, "runs": 0}
    qs = np.quantile(finite, QUANTILES)
    return {**dict(zip(QUANTILE_COLUMNS, qs, strict=True)), "mean": float(finite.mean()), "runs": len(finite)}


def outcome_quantiles(outcomes: pd.DataFrame, paired: pd.DataFrame) -> pd.DataFrame:
    """outcome_quantiles.csv: quantiles over draws of every outcome and paired statistic, per scenario.

    Empty outcomes (e.g. a data wall never reached) are left out; ``runs`` counts the rest.
    """
    rows = []
    for table, skip in ((outcomes, {"scenario", "draw"}), (paired, {"scenario", "base", "draw"})):
        for label, group in table.groupby("scenario", sort=False):
            rows += [{"scenario": label, "outcome": c, **_quantile_row(group[c])} for c in group if c not in skip]
    return pd.DataFrame(rows, columns=["scenario", "outcome", *QUANTILE_COLUMNS, "mean", "runs"])


#: The probability table's statements: name -> (unit, description).
PROBABILITIES: dict[str, tuple[str, str]] = {
    "P(hhi_final > 0.5)": ("probability", "Share of draws whose HHI in the last period exceeds 0.5 (a "
                           "market as concentrated as two equal firms or more)."),
    "P(adoption passes 50%)": ("probability", "Share of draws in which adoption_share reaches 0.5 during the run."),
    "P(data wall reached)": ("probability", "Share of draws in which data_wall_year is set."),
    "median data_wall_year": ("calendar year (decimal)", "Median over draws of data_wall_year, counting draws "
                              "that never hit the wall as later than any that do (empty if half never do)."),
    "P(spend_cut > 0.5)": ("probability", "Paired: share of draws whose cumulative training spend is less "
                           "than half the base scenario's on the same draw."),
    "P(adoption passes 50% later)": ("probability", "Paired: share of draws in which adoption passes 50% "
                                     "later than in the base scenario (or never while the base's does)."),
    "P(hhi_final higher)": ("probability", "Paired: share of draws whose final HHI exceeds the base's."),
    "median spend_cut": ("fraction", "Paired: median over draws of 1 - cumulative spend / base's."),
}


def _median_with_never(years: pd.Series) -> float:
    """Median treating NaN (never) as +infinity; NaN if the median itself is "never"."""
    if not len(years):
        return float("nan")
    median = float(np.quantile(years.fillna(np.inf).to_numpy(dtype=float), 0.5, method="inverted_cdf"))
    return median if np.isfinite(median) else float("nan")


def probability_table(outcomes: pd.DataFrame, paired: pd.DataFrame) -> pd.DataFrame:
    """probabilities.csv: scenario, base ("" for one-scenario statements), statement, value, runs."""
    rows = []
    for label, g in outcomes.groupby("scenario", sort=False):
        values = {
            "P(hhi_final > 0.5)": (g["hhi_final"] > 0.5).mean(),
            "P(adoption passes 50%)": g["adoption_50_year"].notna().mean(),
            "P(data wall reached)": g["data_wall_year"].notna().mean(),
            "median data_wall_year": _median_with_never(g["data_wall_year"]),
        }
        rows += [{"scenario": label, "base": "", "statement": k, "value": v, "runs": len(g)} for k, v in values.items()]
    for label, g in paired.groupby("scenario", sort=False):
        values = {
            "P(spend_cut > 0.5)": (g["spend_cut"] > 0.5).mean(),
            "P(adoption passes 50% later)": g["adoption_later"].mean(),
            "P(hhi_final higher)": (g["hhi_final_diff"] > 0).mean(),
            "median spend_cut": g["spend_cut"].median(),
        }
        rows += [{"scenario": label, "base": g["base"].iloc[0], "statement": k, "value": v, "runs": len(g)}
                 for k, v in values.items()]
    table = pd.DataFrame(rows, columns=["scenario", "base", "statement", "value", "runs"])
    table["unit"] = table["statement"].map(lambda s: PROBABILITIES[s][0])
    return table


# --- per-period series -------------------------------------------------------------------------------


def _series_columns(out_dir: Path, design: Design) -> list[str]:
    """The numeric model.csv series of the first finished run (not ids, drawn keys, step or year)."""
    for member in design.members:
        for draw in design.draws["draw"]:
            path = out_dir / "runs" / f"{member.run_id(int(draw))}.parquet"
            if path.exists():
                table = pd.read_parquet(path)
                return [c for c in table.columns if c not in _NOT_SERIES and c not in design.keys
                        and pd.api.types.is_numeric_dtype(table[c])]
    return []


def _load_block(out_dir: Path, member: Member, draws: Sequence[int], columns: list[str],
                periods: int) -> np.ndarray:
    """runs x periods x columns (NaN where a run is missing or ended early)."""
    block = np.full((len(draws), periods, len(columns)), np.nan)
    for i, draw in enumerate(draws):
        path = out_dir / "runs" / f"{member.run_id(draw)}.parquet"
        if not path.exists():
            continue
        table = pq.read_table(path, columns=["step", *columns])  # pyarrow directly: ~2x faster than pandas
        steps = table.column("step").to_numpy().astype(int)
        keep = steps < periods
        values = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(float) for c in columns])
        block[i, steps[keep], :] = values[keep]
    return block


def _chunks(columns: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(columns), size):
        yield columns[start:start + size]


def _quantile_frame(block: np.ndarray, columns: list[str], years: np.ndarray, front: dict[str, str]) -> pd.DataFrame:
    """Long table: front columns, series, step, year, p5..p95, mean, runs (per period, over runs)."""
    with np.errstate(all="ignore"):
        qs = np.nanquantile(block, QUANTILES, axis=0)  # quantile x period x column
        mean = np.nanmean(block, axis=0)
    runs = np.isfinite(block).sum(axis=0)
    frames = []
    for j, column in enumerate(columns):
        frame = pd.DataFrame({**front, "series": column, "step": np.arange(block.shape[1]), "year": years})
        for k, name in enumerate(QUANTILE_COLUMNS):
            frame[name] = qs[k, :, j]
        frame["mean"], frame["runs"] = mean[:, j], runs[:, j]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def series_quantiles(out_dir: Path, design: Design) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(quantiles.csv, paired_quantiles.csv): per scenario, period and series the quantiles over
    draws of the value, and per later scenario those of the paired difference (scenario - base)."""
    import warnings

    columns = _series_columns(out_dir, design)
    draws = [int(d) for d in design.draws["draw"]]
    periods = max(m.n_periods for m in design.members)
    size = max(1, MEMORY_FLOATS // max(1, len(draws) * periods * len(design.members)))
    first = design.members[0]
    years = first.start_year + np.arange(periods) / first.periods_per_year
    single, paired = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN periods (runs that ended early)
        for chunk in _chunks(columns, size):
            blocks = [_load_block(out_dir, m, draws, chunk, periods) for m in design.members]
            for member, block in zip(design.members, blocks, strict=True):
                single.append(_quantile_frame(block, chunk, years, {"scenario": member.label}))
            for member, block in zip(design.members[1:], blocks[1:], strict=True):
                paired.append(_quantile_frame(block - blocks[0], chunk, years,
                                              {"scenario": member.label, "base": first.label}))
    order = ["scenario", "series", "step"]
    quantiles = pd.concat(single, ignore_index=True).sort_values(order, kind="stable") if single else pd.DataFrame()
    diffs = (pd.concat(paired, ignore_index=True).sort_values(order, kind="stable") if paired
             else pd.DataFrame(columns=["scenario", "base", "series", "step", "year", *QUANTILE_COLUMNS, "mean", "runs"]))
    return quantiles.reset_index(drop=True), diffs.reset_index(drop=True)


def write_tables(out_dir: Path, design: Design) -> dict[str, pd.DataFrame]:
    """Compute and write every table of a finished ensemble; returns them by file name."""
    outcomes = outcomes_table(out_dir, design)
    paired = paired_table(outcomes, [m.label for m in design.members])
    quantiles, paired_quantiles = series_quantiles(out_dir, design)
    tables = {
        DRAWS: design.draws,
        OUTCOMES: outcomes,
        PAIRED: paired,
        QUANTILE_FILE: quantiles,
        PAIRED_QUANTILE_FILE: paired_quantiles,
        OUTCOME_QUANTILE_FILE: outcome_quantiles(outcomes, paired),
        PROBABILITY_FILE: probability_table(outcomes, paired),
    }
    for name, table in tables.items():
        atomic_write(out_dir / name, lambda tmp, table=table: write_table(table, tmp))
    # the drawn values in full (17 significant digits): a draw can be rerun exactly from draws.csv
    atomic_write(out_dir / DRAWS, lambda tmp: design.draws.to_csv(tmp, index=False, float_format="%.17g",
                                                                  lineterminator="\n"))
    return tables
