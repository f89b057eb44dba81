"""Scenario discovery on an ensemble's results: ``marketsim discover DIR --where "EXPR"``.

Question answered: *under which assumptions does a condition on the outcomes hold?* For one
scenario of an ensemble folder (written by ``marketsim ensemble``; file names in
:mod:`marketsim.experiments.ensemble.layout`):

1. **The runs table.** One row per draw: the drawn inputs (``draws.csv``: every uncertain key path;
   ``draw`` and ``seed`` are not inputs), joined on ``draw`` with the scenario's outcomes
   (``outcomes.csv``) and, for a scenario other than the first, its paired statements against the
   first (``paired.csv``: ``<outcome>_diff``, ``<outcome>_ratio``, ``spend_cut`` ...).
2. **The condition.** ``--where`` is evaluated on that table (:mod:`marketsim.experiments.condition`:
   column names, numbers, comparisons, arithmetic, and/or/not; nothing else). It must hold for some
   runs and fail for others.
3. **PRIM** (the Patient Rule Induction Method, Friedman and Fisher 1999, as used for scenario
   discovery by Bryant and Lempert 2010), from the EMA Workbench (:mod:`ema_workbench.analysis.prim`;
   default settings: peeling and pasting alpha 0.05, minimum box mass 0.05, lenient objective).
   PRIM peels the input space from the full box towards smaller boxes where the condition is
   denser; every step of this *peeling trajectory* is a candidate box with a **coverage** (share of
   the runs where the condition holds that fall in the box) and a **density** (share of the runs in
   the box where it holds).
4. **The chosen box** (one documented rule): by default the densest box with coverage >=
   ``min_coverage`` (0.5: the box explains at least half of the cases; ties go to the larger
   coverage); with ``threshold`` the box with the largest coverage among those with density >=
   ``threshold`` (an error if PRIM finds none). Each restricted input is shown with its range and
   PRIM's quasi-p value (one-sided binomial test of that restriction, Bryant and Lempert 2010).
5. **Feature scores**: how much each input matters for the condition, from an extra-trees
   classifier (EMA Workbench :func:`~ema_workbench.analysis.feature_scoring.get_ex_feature_scores`,
   fixed random state, so reruns agree); scores sum to 1.

:func:`marketsim.experiments.discovery_outputs.write_discovery` writes ``box.json``, ``trajectory.csv``, ``scores.csv``, ``columns.csv``
(unit and meaning of each) and the figures a caller passes (:mod:`marketsim.viz.discovery_figures`),
all at once or not at all (:mod:`marketsim.experiments.safety`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketsim.experiments.condition import ConditionError, evaluate_condition
from marketsim.experiments.ensemble.layout import DRAWS, OUTCOMES, PAIRED
from marketsim.experiments.files import read_required_table

__all__ = ["DEFAULT_MIN_COVERAGE", "NOT_INPUTS", "BoxLimit", "Discovery", "DiscoveryError", "Ensemble", "choose_box",
           "check_rule", "choose_scenario", "discover", "format_limit", "load_ensemble", "runs_table"]

#: Columns of draws.csv that identify a draw rather than describe an input.
NOT_INPUTS = ("draw", "seed")
DEFAULT_MIN_COVERAGE = 0.5
#: PRIM keeps its last box only if the box's density reaches this; any box is wanted here (the
#: rule of :func:`choose_box` picks from the whole trajectory), and for a 0/1 outcome every value in
#: (0, 1] counts the same runs as cases of interest (y >= threshold).
_ACCEPT_ANY_BOX = 1e-9


class DiscoveryError(ValueError):
    """The folder, scenario, condition or box choice cannot be used (the message says why)."""


# --- the ensemble folder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ensemble:
    """The tables of an ensemble folder.

    Attributes:
        folder: the folder.
        draws: draws.csv (``draw``, ``seed``, one column per uncertain key path).
        outcomes: outcomes.csv (``scenario``, ``draw``, outcomes).
        paired: paired.csv (``scenario``, ``base``, ``draw``, paired statements), None if absent.
        scenarios: scenario names in the order of outcomes.csv (the first is the paired base).
        inputs: the uncertain key paths (draws.csv columns but ``draw`` and ``seed``).
    """

    folder: Path
    draws: pd.DataFrame
    outcomes: pd.DataFrame
    paired: pd.DataFrame | None
    scenarios: tuple[str, ...]
    inputs: tuple[str, ...]


def _read(folder: Path, name: str, required: Sequence[str]) -> pd.DataFrame:
    return read_required_table(folder / name, required, DiscoveryError,
                               lambda table: f"it has {', '.join(table.columns)}")


def load_ensemble(folder: Path | str) -> Ensemble:
    """Read an ensemble folder (``marketsim ensemble --out DIR``).

    Raises:
        DiscoveryError: the folder does not exist, or lacks draws.csv or outcomes.csv (named), or a
            table lacks its key columns, or it holds no inputs or no runs.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DiscoveryError(f"{folder}: no such folder; give the --out folder of `marketsim ensemble`")
    for name in (DRAWS, OUTCOMES):
        if not (folder / name).is_file():
            raise DiscoveryError(f"{folder} is not an ensemble folder: {name} is missing "
                                 f"(expected the --out folder of `marketsim ensemble`)")
    draws = _read(folder, DRAWS, ["draw"])
    outcomes = _read(folder, OUTCOMES, ["scenario", "draw"])
    paired = _read(folder, PAIRED, ["scenario", "draw"]) if (folder / PAIRED).is_file() else None
    inputs = tuple(str(c) for c in draws.columns if c not in NOT_INPUTS)
    if not inputs:
        raise DiscoveryError(f"{folder / DRAWS}: no input columns (only {', '.join(draws.columns)}); the "
                             f"scenarios had no [uncertain] keys")
    if outcomes.empty:
        raise DiscoveryError(f"{folder / OUTCOMES}: no runs yet")
    outcomes["scenario"] = outcomes["scenario"].astype(str)
    scenarios = tuple(dict.fromkeys(outcomes["scenario"]))
    return Ensemble(folder, draws, outcomes, paired, scenarios, inputs)


def choose_scenario(ensemble: Ensemble, name: str | None) -> tuple[str, str]:
    """The scenario to analyse and how it was chosen (a sentence for the user).

    Raises:
        DiscoveryError: ``name`` is not one of the ensemble's scenarios (they are listed).
    """
    names = ensemble.scenarios
    if name is not None:
        if name not in names:
            raise DiscoveryError(f"--scenario {name}: not in {ensemble.folder / OUTCOMES}; its scenarios are "
                                 f"{', '.join(names)}")
        return name, f"scenario {name} (--scenario)"
    if len(names) == 1:
        return names[0], f"scenario {names[0]} (the ensemble's only scenario)"
    return names[-1], (f"scenario {names[-1]} (the last of {', '.join(names)}; paired statements against "
                       f"{names[0]}; choose another with --scenario)")


def runs_table(ensemble: Ensemble, scenario: str) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """One row per draw of ``scenario``: inputs, outcomes and (if any) paired statements.

    Returns:
        The table (index: draw) and its columns grouped by origin ("inputs (draws.csv)",
        "outcomes (outcomes.csv)", "paired with BASE (paired.csv)") for messages.
    """
    outcomes = ensemble.outcomes[ensemble.outcomes["scenario"] == scenario].drop(columns="scenario")
    table = ensemble.draws.merge(outcomes, on="draw", how="inner", suffixes=("", " (outcome)"))
    groups = {f"inputs ({DRAWS})": list(ensemble.inputs),
              f"outcomes ({OUTCOMES})": [c for c in outcomes.columns if c != "draw"]}
    paired = ensemble.paired
    if paired is not None and scenario in set(paired["scenario"].astype(str)):
        rows = paired[paired["scenario"].astype(str) == scenario]
        base = str(rows["base"].iloc[0]) if "base" in rows.columns and len(rows) else ensemble.scenarios[0]
        rows = rows.drop(columns=[c for c in ("scenario", "base") if c in rows.columns])
        table = table.merge(rows, on="draw", how="left", suffixes=("", " (paired)"))
        groups[f"paired with {base} ({PAIRED})"] = [c for c in rows.columns if c != "draw"]
    return table.set_index("draw").sort_index(), groups


# --- PRIM and the chosen box -----------------------------------------------------------------------


def _library() -> Any:
    """ema_workbench's analysis package, imported on first use (it is slow to import and warns
    about optional extras this command does not use: ipyparallel, altair)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench.analysis as analysis
    return analysis


@dataclass(frozen=True)
class BoxLimit:
    """The chosen box along one input.

    Attributes:
        input: the uncertain key path.
        lower, upper: the box's range (numeric inputs; None for a choice input).
        full_lower, full_upper: the range of the drawn values (numeric inputs).
        values, all_values: the box's and all drawn values (choice inputs; empty for numeric ones).
        quasi_p: PRIM's quasi-p value of the restriction (the larger of the lower and upper side's);
            None if not computed.
    """

    input: str
    lower: float | None = None
    upper: float | None = None
    full_lower: float | None = None
    full_upper: float | None = None
    values: tuple[str, ...] = ()
    all_values: tuple[str, ...] = ()
    quasi_p: float | None = None

    def _sides(self) -> tuple[str | None, str | None]:
        """The lower and upper limit as text where the box restricts that side, else None."""
        if self.lower is None or self.upper is None or self.full_lower is None or self.full_upper is None:
            return None, None
        span = self.full_upper - self.full_lower
        return (format_limit(self.lower, span) if self.lower > self.full_lower else None,
                format_limit(self.upper, span) if self.upper < self.full_upper else None)

    @property
    def range_text(self) -> str:
        """The box's range alone: ``0.6 .. 0.9``, ``>= 0.6``, ``<= 0.9``, ``{x, y}``."""
        if self.values or self.all_values:
            return f"{{{', '.join(self.values)}}}"
        low, high = self._sides()
        if low is not None and high is not None:
            return f"{low} .. {high}"
        return f">= {low}" if low is not None else f"<= {high}"

    @property
    def text(self) -> str:
        """The restriction in words: ``0.6 <= a <= 0.9``, ``a >= 0.6``, ``a in {x, y}``."""
        if self.values or self.all_values:
            return f"{self.input} in {self.range_text}"
        low, high = self._sides()
        if low is not None and high is not None:
            return f"{low} <= {self.input} <= {high}"
        return f"{self.input} {self.range_text}"


def format_limit(value: float, span: float) -> str:
    """``value`` with enough decimals to resolve 1/1000 of ``span`` (the input's drawn range):
    2031.51 for a year drawn over 14 years, 1.794 for a growth factor drawn over 2."""
    if value != 0 and not 1e-3 <= abs(value) < 1e7 or span <= 0:
        return f"{value:.4g}"
    decimals = max(0, math.ceil(-math.log10(span / 1000)))
    return f"{value:.{min(decimals, 6)}f}"


def _limits(lims: pd.DataFrame, init: pd.DataFrame, qp: dict[str, Sequence[float]]) -> tuple[BoxLimit, ...]:
    """The restricted inputs of one box of the trajectory (``lims`` vs the initial box ``init``)."""
    out = []
    for name in init.columns:
        low, high = lims.at[0, name], lims.at[1, name]
        sides = [float(p) for p in qp.get(name, ()) if p is not None and p >= 0]  # -1: side not restricted
        quasi_p = max(sides) if sides else None
        if isinstance(low, (set, frozenset)):
            if set(low) != set(init.at[0, name]):
                out.append(BoxLimit(str(name), values=tuple(sorted(map(str, low))),
                                    all_values=tuple(sorted(map(str, init.at[0, name]))), quasi_p=quasi_p))
        elif low != init.at[0, name] or high != init.at[1, name]:
            out.append(BoxLimit(str(name), float(low), float(high), float(init.at[0, name]),
                                float(init.at[1, name]), quasi_p=quasi_p))
    return tuple(out)


def _peel(x: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, list[tuple[BoxLimit, ...]]]:
    """PRIM's peeling (and pasting) trajectory of one box: stats per step and the restricted inputs."""
    analysis = _library()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation notes from inside the library
        prim = analysis.prim.Prim(x, y.astype(int), threshold=_ACCEPT_ANY_BOX)
        box = prim.find_box()
    steps = box.peeling_trajectory.reset_index(drop=True)
    limits = [_limits(lims, box.box_lims[0], qp) for lims, qp in zip(box.box_lims, box.qp, strict=True)]
    trajectory = pd.DataFrame({
        "step": np.arange(len(steps)),
        "coverage": steps["coverage"].astype(float),
        "density": steps["density"].astype(float),
        "mass": steps["mass"].astype(float),
        "runs_in_box": steps["n"].astype(int),
        "runs_true_in_box": steps["k"].astype(int),
        "restricted_inputs": [len(lim) for lim in limits],
        "restrictions": ["; ".join(lim.text for lim in limits_) or "(all runs)" for limits_ in limits],
    })
    return trajectory, limits


def check_rule(threshold: float | None, min_coverage: float) -> None:
    """Refuse a ``threshold`` outside (0, 1] or a ``min_coverage`` outside [0, 1] (DiscoveryError)."""
    if threshold is not None and not 0 < threshold <= 1:
        raise DiscoveryError(f"--threshold = {threshold}: must be a density in (0, 1]")
    if not 0 <= min_coverage <= 1:
        raise DiscoveryError(f"--min-coverage = {min_coverage}: must be a share in [0, 1]")


def choose_box(trajectory: pd.DataFrame, threshold: float | None = None,
               min_coverage: float = DEFAULT_MIN_COVERAGE) -> tuple[int, str]:
    """The step of the peeling trajectory to report, and the rule in words.

    Rule: with ``threshold``, the box with the largest coverage among those with density >=
    ``threshold``; otherwise the densest box with coverage >= ``min_coverage``. Ties go to the
    larger coverage (resp. density), then to the earlier step (the larger, simpler box).

    Raises:
        DiscoveryError: an out-of-range ``threshold`` / ``min_coverage``, or no box reaches ``threshold``.
    """
    check_rule(threshold, min_coverage)
    if threshold is not None:
        ok = trajectory[trajectory["density"] >= threshold]
        if ok.empty:
            densest = trajectory.loc[trajectory["density"].idxmax()]
            raise DiscoveryError(f"--threshold = {threshold:g}: no box on the peeling trajectory is that dense; "
                                 f"the densest has density {densest['density']:.3f} (coverage "
                                 f"{densest['coverage']:.3f}); lower --threshold")
        best = ok.sort_values(["coverage", "density", "step"], ascending=[False, False, True])
        return int(best["step"].iloc[0]), (f"the box with the largest coverage among those with density >= "
                                           f"{threshold:g} (--threshold)")
    ok = trajectory[trajectory["coverage"] >= min_coverage]  # never empty: step 0 has coverage 1
    best = ok.sort_values(["density", "coverage", "step"], ascending=[False, False, True])
    return int(best["step"].iloc[0]), (f"the densest box among those with coverage >= {min_coverage:g} "
                                       f"(--min-coverage; or pick by density with --threshold)")


def _feature_scores(x: pd.DataFrame, y: np.ndarray, limits: Sequence[BoxLimit]) -> pd.DataFrame:
    """Extra-trees feature scores of the inputs for the condition, highest first (sum 1)."""
    analysis = _library()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = analysis.feature_scoring.get_ex_feature_scores(
            x, y.astype(int), mode=analysis.scenario_discovery_util.RuleInductionType.CLASSIFICATION,
            random_state=0)
    scores = scores.iloc[:, 0].astype(float).sort_values(ascending=False, kind="stable")
    restricted = {lim.input for lim in limits}
    return pd.DataFrame({"input": [str(i) for i in scores.index], "score": scores.to_numpy(),
                         "rank": np.arange(1, len(scores) + 1),
                         "in_box": [str(i) in restricted for i in scores.index]})


# --- the whole analysis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """The result of scenario discovery on one scenario of an ensemble.

    Attributes:
        folder: the ensemble folder.
        scenario: the scenario analysed; ``scenario_note`` says how it was chosen.
        condition: the condition as written; ``columns`` the table columns it uses.
        runs, runs_true: runs analysed, and those where the condition holds.
        missing: runs counted false because a column the condition uses is empty there.
        rule: how the box was chosen, in words; ``chosen`` its step on ``trajectory``.
        trajectory: one row per PRIM step (see :data:`DISCOVERY_COLUMNS`).
        limits: the chosen box's restricted inputs.
        scores: feature scores (input, score, rank, in_box).
        inputs: the inputs PRIM saw (constant ones are left out: they cannot be restricted).
        x, y: the inputs table and the condition per run (for the figures).
        library: the PRIM library and its version.
    """

    folder: Path
    scenario: str
    scenario_note: str
    condition: str
    columns: tuple[str, ...]
    runs: int
    runs_true: int
    missing: int
    rule: str
    chosen: int
    trajectory: pd.DataFrame
    limits: tuple[BoxLimit, ...]
    scores: pd.DataFrame
    inputs: tuple[str, ...]
    x: pd.DataFrame = field(repr=False)
    y: np.ndarray = field(repr=False)
    library: str = ""

    @property
    def box(self) -> pd.Series:
        """The chosen step's row of :attr:`trajectory`."""
        return self.trajectory.iloc[self.chosen]

    @property
    def base_rate(self) -> float:
        """Share of all runs where the condition holds (the density of the full box)."""
        return self.runs_true / self.runs


def _paired_hint(ensemble: Ensemble, scenario: str) -> str:
    """Why paired.csv's columns are missing for ``scenario`` (the base, or not paired), else ''."""
    if ensemble.paired is None:
        return ""
    paired = list(dict.fromkeys(ensemble.paired["scenario"].astype(str)))
    if scenario in paired or not paired:
        return ""
    return (f" (paired.csv columns are there only for scenarios compared with the base: "
            f"{', '.join(paired)}; choose one with --scenario)")


def _inputs_frame(table: pd.DataFrame, inputs: Sequence[str]) -> pd.DataFrame:
    """The inputs PRIM can restrict: numeric as float, anything else as text; constants dropped.

    Integer inputs (a drawn year) become float: PRIM's pasting writes box limits half-way between
    values, which pandas refuses to store in an integer column.
    """
    x = table[list(inputs)].reset_index(drop=True)
    for name in x.columns:
        if not pd.api.types.is_numeric_dtype(x[name]) or pd.api.types.is_bool_dtype(x[name]):
            x[name] = x[name].astype(str).astype(object)
        else:
            x[name] = x[name].astype(float)
    return x.loc[:, x.nunique(dropna=False) > 1]


def discover(folder: Path | str, where: str, scenario: str | None = None, threshold: float | None = None,
             min_coverage: float = DEFAULT_MIN_COVERAGE) -> Discovery:
    """Scenario discovery for the condition ``where`` on one scenario of the ensemble in ``folder``.

    Raises:
        DiscoveryError: see :func:`load_ensemble`, :func:`choose_scenario`, :func:`choose_box`;
            also when the condition is invalid or names an unknown column (the available ones are
            listed), or holds for no run or for every run.
    """
    check_rule(threshold, min_coverage)  # before any work
    ensemble = load_ensemble(folder)
    name, note = choose_scenario(ensemble, scenario)
    table, groups = runs_table(ensemble, name)
    try:
        condition = evaluate_condition(table, where, groups)
    except ConditionError as err:
        raise DiscoveryError(f"--where {where.strip()!r}: {err}{_paired_hint(ensemble, name)}") from None
    y = condition.holds.to_numpy(dtype=bool)
    true = int(y.sum())
    if true in (0, len(y)):
        raise DiscoveryError(f"--where {condition.text!r} holds for {'no' if true == 0 else 'every'} run "
                             f"({true} of {len(y)} runs of {name}); there is nothing to tell apart: change the "
                             f"condition's threshold" + (f" ({condition.missing} run(s) have an empty value "
                                                         f"and count as false)" if condition.missing else ""))
    x = _inputs_frame(table, ensemble.inputs)
    if x.empty:
        raise DiscoveryError(f"{ensemble.folder / DRAWS}: every input has the same value in every draw; "
                             f"nothing to restrict")
    trajectory, limits = _peel(x, y)
    chosen, rule = choose_box(trajectory, threshold, min_coverage)
    trajectory["chosen"] = trajectory["step"] == chosen
    from importlib.metadata import version

    return Discovery(ensemble.folder, name, note, condition.text, condition.columns, len(y), true,
                     condition.missing, rule, chosen, trajectory, limits[chosen],
                     _feature_scores(x, y, limits[chosen]), tuple(map(str, x.columns)), x, y,
                     f"ema_workbench {version('ema_workbench')}")
