"""The section "Backtest against the record (calibration)" of docs/validation.md, from a calibration folder.

:func:`load_calibration` reads the tables ``marketsim calibrate`` wrote
(:mod:`marketsim.experiments.calibration.outputs`) and refuses a folder that is not a calibration
(:class:`NotACalibrationError`, a ValueError naming the folder and the missing file or column).
:func:`backtest_section` words the section from those tables only (no model run): every target (record value and band, posterior-predictive median and 90% band,
verdict, tuned or held out, and for a miss the mechanism the model lacks), the growth rates and the
levels at GPT-3 and GPT-4, the posterior summary, and the forecast for 2024-2025 next to the record's
2022-2023 values under the same selection rule (:func:`~marketsim.experiments.calibration.forecast.year_levels`).

Units: each target's own (targets.toml ``unit``); the forecast's from ``forecast.csv``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from marketsim.experiments.calibration.forecast import FORECAST_QUANTITIES, RULE, year_levels
from marketsim.experiments.files import read_required_table
from marketsim.experiments.validation.frontier import load_record
from marketsim.experiments.validation.targets import TargetRow, load_targets
from marketsim.viz.numbers import human_number

__all__ = ["backtest_summary", "CALIBRATION_FILES", "NotACalibrationError", "CalibrationTables", "load_calibration",
           "missing_mechanism", "backtest_section"]

#: File -> columns the section reads (forecast.csv since the forecast was added to calibrate).
CALIBRATION_FILES: Final[dict[str, tuple[str, ...]]] = {
    "predictive.csv": ("key", "statistic", "unit", "used_for_tuning", "record", "low", "high", "median", "p5",
                       "p95", "defined", "draws"),
    "targets_matched.csv": ("key", "verdict", "record_in_predictive"),
    "posterior_summary.csv": ("key", "prior_p5", "prior_median", "prior_p95", "p5", "median", "p95", "width_ratio"),
    "forecast.csv": ("year", "quantity", "median", "p05", "p95", "unit", "rule"),
}
_LABELS: Final = {"compute_flop": "training compute (FLOP)", "cost_amortised_usd": "amortised training cost (USD)",
                  "params": "parameters (dense)", "tokens_per_param": "tokens per parameter (dense)"}
#: Record years shown next to the forecast (same rule).
RECORD_YEARS: Final = (2022, 2023)


class NotACalibrationError(ValueError):
    """The folder is not the output of ``marketsim calibrate`` (the message says what is missing)."""


@dataclass(frozen=True)
class CalibrationTables:
    """The tables of one calibration folder (file name -> table) and what sweep.json records."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def load_calibration(folder: Path | str) -> CalibrationTables:
    """The tables of :data:`CALIBRATION_FILES` in ``folder``.

    Raises:
        NotACalibrationError: not a folder, sweep.json of another command, a file or column missing.
    """
    folder = Path(folder)
    hint = "give the --out folder of `marketsim calibrate` (rerun it into that folder to add forecast.csv)"
    if not folder.is_dir():
        raise NotACalibrationError(f"{folder}: not a calibration folder (no such folder); {hint}")
    manifest: dict = {}
    sweep = folder / "sweep.json"
    if sweep.is_file():
        try:
            manifest = json.loads(sweep.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        if manifest.get("kind") not in (None, "calibrate"):
            raise NotACalibrationError(f"{folder}: not a calibration folder (sweep.json is of "
                                       f"`marketsim {manifest.get('kind')}`); {hint}")
    tables = {}
    for name, columns in CALIBRATION_FILES.items():
        path = folder / name
        if not path.is_file():
            raise NotACalibrationError(f"{folder}: not a calibration folder ({name} is missing); {hint}")
        tables[name] = read_required_table(path, columns, NotACalibrationError,
                                           lambda _table: f"not a calibration table; {hint}")
    return CalibrationTables(folder, tables, manifest)


_EARLY = ("research budgets are smooth exponential paths per lab; the record's early frontier comes from many "
          "developers and runs far off any one trend (compute 7.3x/yr 2016-2023)")
_SCALE = ("E on one hardware trend through the record's mean effective FLOP per dollar; single runs lie ~2x either "
          "side of it (GPT-3: 1.4e17 FLOP/$ in 2020 against ~3e17 on the trend)")
_DENSE = ("research runs take the compute-optimal (Chinchilla) split in every year; before 2022 labs trained "
          "parameter-heavy models (Kaplan et al.; GPT-3: 1.7 tokens per parameter), and serving cost makes "
          "profit-optimal runs overtrain: no pre-Chinchilla era, no mixture-of-experts or distillation")
#: Target kind (a key prefix, first match wins) -> the mechanism the model lacks when that target is missed.
_MECHANISMS: Final = (
    ("tokens_per_param", _DENSE), ("params", _DENSE), ("gpt3_params", _DENSE), ("first_run_year", _EARLY),
    ("gpt3_compute", _SCALE), ("gpt3", _EARLY), ("compute_growth_2016", _EARLY), ("compute", _SCALE),
    ("gpt4", _SCALE),
    ("cost", _SCALE),
    ("revenue", "revenue per adopter set by logit markups; API and enterprise demand not modelled"),
    ("adoption", "one adoption curve (threshold, sigma) for all users, and the 2023 and 2025 points pull sigma apart "
                 "(a steep take-off); price competition between the labs raises adoption"),
)


def missing_mechanism(key: str) -> str:
    """A short text naming the mechanism the model lacks for a missed target of kind ``key``."""
    for prefix, text in _MECHANISMS:
        if key.startswith(prefix):
            return text
    return "not diagnosed"


def _num(x: float, unit: str) -> str:
    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "n/a"
    if unit == "USD":
        return human_number(float(x), "$")
    if unit == "x/yr":
        return f"{x:.2f}x/yr"
    if unit in ("FLOP", "parameters", "tokens"):
        return f"{x:.3g}"
    if unit.startswith("year"):
        return f"{x:.2f}"
    return f"{x:.3g}" if abs(x) < 1e4 else human_number(float(x))


def _band(low: float, high: float, unit: str) -> str:
    return f"{_num(low, unit) if math.isfinite(low) else '-'} to {_num(high, unit) if math.isfinite(high) else '-'}"


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
            *["| " + " | ".join(r) + " |" for r in rows]]


def _target_rows(cal: CalibrationTables, keys: Sequence[str] | None = None, mechanism: bool = True) -> list[list[str]]:
    verdicts = cal["targets_matched.csv"].set_index("key")
    rows = []
    for r in cal["predictive.csv"].itertuples(index=False):
        if keys is not None and r.key not in keys:
            continue
        verdict = str(verdicts.loc[r.key, "verdict"]) if r.key in verdicts.index else "n/a"
        row = [f"`{r.key}`", "tuned" if str(r.used_for_tuning) in ("True", "true", "1") else "held out",
               _num(r.record, r.unit), _band(float(r.low), float(r.high), r.unit), _num(r.median, r.unit),
               _band(float(r.p5), float(r.p95), r.unit), f"**{verdict}**" if verdict == "matched" else verdict.upper()]
        if mechanism:
            row.append(missing_mechanism(r.key) if verdict != "matched" else "")
        rows.append(row)
    return rows


def _targets_by(predicate) -> list[TargetRow]:
    return [t for t in load_targets() if predicate(t)]


def _generations(folder: Path) -> pd.DataFrame | None:
    """generations.csv if readable (optional: only the intro quotes it)."""
    try:
        table = pd.read_csv(folder / "generations.csv")
    except (OSError, ValueError):
        return None
    return table if "epsilon" in table.columns else None


def backtest_summary(cal: CalibrationTables) -> str:
    """One sentence for the report's summary: how many targets the calibration matched, which it missed."""
    matched = cal["targets_matched.csv"]
    ok = matched["verdict"] == "matched"
    tuned = cal["predictive.csv"].set_index("key")["used_for_tuning"].astype(str).isin(("True", "true", "1"))
    is_tuned = [bool(tuned.get(k, False)) for k in matched["key"]]
    tuned_ok = sum(1 for t, v in zip(is_tuned, ok, strict=True) if t and v)
    held_ok = sum(1 for t, v in zip(is_tuned, ok, strict=True) if not t and v)
    missed = [str(k) for k, v in zip(matched["key"], ok, strict=True) if not v]
    return (f"Three-lab market (`scenarios/historical.toml`, `marketsim calibrate historical`, section 5): "
            f"**{int(ok.sum())} of {len(matched)}** targets of the record matched by the posterior-predictive "
            f"median ({tuned_ok} of {sum(is_tuned)} tuned, {held_ok} of {len(is_tuned) - sum(is_tuned)} held out); "
            f"missed: {', '.join(f'`{k}`' for k in missed) or 'none'}; section 5.5 states the 2024-2025 forecast.")


def backtest_section(cal: CalibrationTables,
                     heading: str = "## 5. Backtest against the record (calibration)") -> list[str]:
    """The section's Markdown lines (heading included), worded from the calibration's tables only."""
    predictive, matched = cal["predictive.csv"], cal["targets_matched.csv"]
    counts = matched["verdict"].value_counts()
    draws = int(predictive["draws"].max()) if len(predictive) else 0
    m, generations = cal.manifest, _generations(cal.folder)
    setup = (f"scenario `{Path(str(m['scenario'])).stem}`, " if m.get("scenario") else "")
    setup += (f"population {m['population']}, seed {m['seed']}, " if "population" in m and "seed" in m else "")
    if generations is not None and len(generations):
        setup += f"{len(generations)} generations (last epsilon {float(generations['epsilon'].iloc[-1]):.4g}), "
    missed = [str(k) for k, v in zip(matched["key"], matched["verdict"], strict=True) if v != "matched"]
    lines = [
        heading, "",
        f"From the calibration folder `{Path(cal.folder).name}` (`marketsim calibrate`, ABC-SMC with pyabc; {setup}"
        f"{draws} posterior-predictive re-runs of the historical scenario 2016-2025). Record: Epoch AI's frontier "
        "language models 2016-2023 and the RECORD figures (`experiments/validation/data/targets.toml`). The "
        "predictive median and 5%-95% band are over the re-runs; verdict: the median inside the record's band. "
        f"{int(counts.get('matched', 0))} of {len(matched)} targets matched"
        + (f"; missed or undefined: {', '.join(f'`{k}`' for k in missed)}." if missed else "."),
        "",
        "### 5.1 Every target",
        "",
        *_md_table(["target", "used", "record", "record band", "predictive median", "predictive 90%", "verdict",
                    "missing mechanism"], _target_rows(cal)),
        "",
        "### 5.2 Growth rates of the simulated frontier, fitted as to the record",
        "",
        "Frontier = top 10 by training compute at release (the record's rule), ln x regressed on the publication "
        "year over the window; the record's band is its bootstrap 90% interval (2000 resamples), the simulated "
        "band the 5%-95% of the re-runs' fitted factors.",
        "",
        *_md_table(["target", "used", "record", "record 90%", "simulated median", "simulated 90%", "verdict"],
                   _target_rows(cal, [t.key for t in _targets_by(lambda t: t.statistic == "growth")], False)),
        "",
        "### 5.3 Levels at GPT-3 (2020) and GPT-4 (2023)",
        "",
        "Simulated: the frontier leader (largest compute) among the models published up to the named model's date.",
        "",
        *_md_table(["target", "used", "record", "record band", "simulated median", "simulated 90%", "verdict"],
                   _target_rows(cal, [t.key for t in _targets_by(lambda t: t.model is not None)], False)),
        "",
        "### 5.4 Posterior",
        "",
        *_md_table(["key", "prior 5%-95%", "posterior median", "posterior 5%-95%", "width / prior width"],
                   [[f"`{r.key}`", f"{r.prior_p5:.4g} to {r.prior_p95:.4g}", f"{r.median:.4g}",
                     f"{r.p5:.4g} to {r.p95:.4g}", f"{r.width_ratio:.2f}"]
                    for r in cal["posterior_summary.csv"].itertuples(index=False)]),
        "",
        *forecast_lines(cal["forecast.csv"]),
    ]
    return lines


def forecast_lines(forecast: pd.DataFrame) -> list[str]:
    """The subsection "Forecast for 2024-2025": the forecast and the record's 2022-2023 under the same rule."""
    record = year_levels(load_record(), RECORD_YEARS).set_index(["year", "quantity"])["value"]
    years = sorted(int(y) for y in forecast["year"].unique())
    rows = []
    for quantity, unit in FORECAST_QUANTITIES.items():
        row = [_LABELS.get(quantity, quantity)]
        row += [_num(float(record.get((y, quantity), float("nan"))), unit) for y in RECORD_YEARS]
        for year in years:
            f = forecast[(forecast["year"] == year) & (forecast["quantity"] == quantity)]
            row.append("n/a" if f.empty else f"{_num(float(f['median'].iloc[0]), unit)} "
                       f"({_band(float(f['p05'].iloc[0]), float(f['p95'].iloc[0]), unit)})")
        rows.append(row)
    rules = sorted(set(forecast["rule"].astype(str)))
    return [
        "### 5.5 Forecast for 2024-2025",
        "",
        "**Stated before comparison: the record for 2024-2025 is deliberately not in the calibration data** "
        "(the record file ends in 2023); the forecast is the posterior-predictive median (5%-95% band) of the "
        "same re-runs. Rule, applied alike to the record's years and to every re-run: "
        f"{rules[0] if len(rules) == 1 else RULE}.",
        "",
        *_md_table(["quantity", *(f"record {y}" for y in RECORD_YEARS), *(f"forecast {y}" for y in years)], rows),
    ]
