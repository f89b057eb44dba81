"""``marketsim discover``: scenario discovery (PRIM) on an ensemble folder (issue 15, item 3).

The ensemble folders here are synthetic (the layout of marketsim.experiments.ensemble.layout): the
inputs are drawn uniformly and the condition holds inside a known box, plus a little noise, so the
box PRIM finds can be checked against the truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _cli import invoke
from marketsim.experiments.condition import ConditionError, evaluate_condition
from marketsim.experiments.discovery import Discovery, choose_box, discover
from marketsim.experiments.discovery_outputs import DISCOVERY_COLUMNS
from marketsim.experiments.ensemble.layout import DRAWS, OUTCOMES, PAIRED
from marketsim.viz.discovery_figures import DISCOVERY_FIGURES, plot_box, plot_trajectory

GROWTH, STALL, SCALE = "hardware.growth_per_year", "hardware.stall_year", "demand.scale"
#: The true box: growth <= 1.8 (drawn on 1..3) and 2029 <= stall year <= 2035 (drawn on 2026..2040).
TRUE_GROWTH_MAX, TRUE_STALL = 1.8, (2029.0, 2035.0)
RUNS, NOISE = 600, 0.02


def make_ensemble(folder: Path, runs: int = RUNS, noise: float = NOISE, seed: int = 3) -> Path:
    """An ensemble folder: base "baseline" and "stall"; in "stall" hhi_final > 0.5 and spend_cut > 0.5
    exactly inside the true box, each flipped in a share ``noise`` of the runs."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    draws = pd.DataFrame({"draw": np.arange(runs), "seed": 1000 + np.arange(runs),
                          GROWTH: rng.uniform(1.0, 3.0, runs), STALL: rng.uniform(2026.0, 2040.0, runs),
                          SCALE: rng.uniform(0.0, 1.0, runs)})
    inside = (draws[GROWTH] <= TRUE_GROWTH_MAX) & draws[STALL].between(*TRUE_STALL)
    holds = (inside ^ (rng.random(runs) < noise)).to_numpy()
    hhi = np.where(holds, 0.7, 0.3) + rng.uniform(-0.1, 0.1, runs)
    outcomes = pd.concat([
        pd.DataFrame({"scenario": "baseline", "draw": draws["draw"], "hhi_final": 0.3, "adoption_final": 0.5}),
        pd.DataFrame({"scenario": "stall", "draw": draws["draw"], "hhi_final": hhi,
                      "adoption_final": rng.uniform(0, 1, runs)}),
    ])
    paired = pd.DataFrame({"scenario": "stall", "base": "baseline", "draw": draws["draw"],
                           "hhi_final_diff": hhi - 0.3, "spend_cut": np.where(holds, 0.6, 0.1)})
    draws.to_csv(folder / DRAWS, index=False)
    outcomes.to_csv(folder / OUTCOMES, index=False)
    paired.to_csv(folder / PAIRED, index=False)
    return folder


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ensemble(tmp_path_factory.mktemp("discover") / "ens")


@pytest.fixture(scope="module")
def found(ensemble: Path) -> Discovery:
    """Discovery of hhi_final > 0.5 on the default scenario (shared: PRIM takes about a second)."""
    return discover(ensemble, "hhi_final > 0.5")


# --- PRIM recovers the known box ------------------------------------------------------------------


def test_prim_recovers_the_known_box(found: Discovery) -> None:
    result = found
    assert result.scenario == "stall" and "last of baseline, stall" in result.scenario_note
    limits = {lim.input: lim for lim in result.limits}
    # exactly the two inputs that matter are restricted; demand.scale is not
    assert set(limits) == {GROWTH, STALL}
    growth, stall = limits[GROWTH], limits[STALL]
    # growth: restricted above only (its lower limit is the smallest value drawn), near 1.8
    assert growth.lower == growth.full_lower
    assert abs(growth.upper - TRUE_GROWTH_MAX) < 0.05 * (3.0 - 1.0)
    # stall year: restricted on both sides, near 2029 and 2035
    assert abs(stall.lower - TRUE_STALL[0]) < 0.05 * 14 and abs(stall.upper - TRUE_STALL[1]) < 0.05 * 14
    box = result.box
    assert box["density"] >= 0.9 and box["coverage"] >= 0.8
    # the reported numbers are those of the runs inside the box
    inside = (result.x[GROWTH].between(growth.lower, growth.upper)
              & result.x[STALL].between(stall.lower, stall.upper)).to_numpy()
    assert box["runs_in_box"] == inside.sum()
    assert box["runs_true_in_box"] == (inside & result.y).sum()
    assert box["coverage"] == pytest.approx((inside & result.y).sum() / result.y.sum())
    # the base rate is the share of runs where the condition holds; the box is far denser
    assert result.base_rate == pytest.approx(result.y.mean()) and box["density"] > 3 * result.base_rate
    # feature scores: the irrelevant input ranks last, scores sum to 1
    assert list(result.scores["input"])[-1] == SCALE
    assert result.scores["score"].sum() == pytest.approx(1.0)
    assert set(result.scores.loc[result.scores["in_box"], "input"]) == {GROWTH, STALL}


def test_integer_inputs_are_restricted_too(tmp_path: Path) -> None:
    """marketsim ensemble draws a stall year as a whole year (an integer column); PRIM's pasting writes
    half-way limits, which pandas refuses in an integer column, so discovery must still find the box."""
    folder = make_ensemble(tmp_path / "ens", runs=300)
    draws = pd.read_csv(folder / DRAWS)
    draws[STALL] = draws[STALL].round().astype(int)
    draws.to_csv(folder / DRAWS, index=False)
    result = discover(folder, "hhi_final > 0.5")
    limits = {lim.input: lim for lim in result.limits}
    assert STALL in limits and GROWTH in limits
    assert 2027.0 <= limits[STALL].lower <= 2031.0 and 2033.0 <= limits[STALL].upper <= 2037.0


def test_paired_statement_and_threshold_rule(ensemble: Path, found: Discovery) -> None:
    # spend_cut comes from paired.csv; it holds exactly where hhi_final > 0.5 does
    result = discover(ensemble, "spend_cut > 0.5", threshold=0.6)
    assert (result.y == found.y).all()
    # --threshold: the largest-coverage box with density >= threshold
    traj = result.trajectory
    eligible = traj[traj["density"] >= 0.6]
    assert result.box["density"] >= 0.6 and result.box["coverage"] == eligible["coverage"].max()
    assert "--threshold" in result.rule and result.chosen < found.chosen


def test_choose_box_rule() -> None:
    traj = pd.DataFrame({"step": [0, 1, 2, 3, 4], "coverage": [1.0, 0.9, 0.7, 0.5, 0.3],
                         "density": [0.2, 0.4, 0.8, 0.9, 1.0]})
    assert choose_box(traj)[0] == 3  # densest with coverage >= 0.5
    assert choose_box(traj, min_coverage=0.8)[0] == 1
    assert choose_box(traj, threshold=0.75)[0] == 2  # largest coverage with density >= 0.75
    assert choose_box(traj, threshold=1.0)[0] == 4
    with pytest.raises(ValueError, match="no box on the peeling trajectory is that dense"):
        choose_box(traj.assign(density=traj["density"] * 0.5), threshold=0.9)
    with pytest.raises(ValueError, match="must be a density"):
        choose_box(traj, threshold=1.5)


# --- the condition --------------------------------------------------------------------------------


def test_condition_evaluation() -> None:
    table = pd.DataFrame({"a": [0.1, 0.5, np.nan, 0.9], "b": [1, 2, 3, 4], "x.y": [1.0, 0.0, 1.0, 0.0]})
    assert list(evaluate_condition(table, "0.2 < a < 0.8").holds) == [False, True, False, False]
    assert list(evaluate_condition(table, "a > 0.3 and b < 4").holds) == [False, True, False, False]
    assert list(evaluate_condition(table, "x.y > 0.5 or b == 2").holds) == [True, True, True, False]
    assert list(evaluate_condition(table, "`x.y` > 0.5").holds) == [True, False, True, False]
    assert list(evaluate_condition(table, "abs(a - 0.5) <= 0.4 & (b ** 2 > 1)").holds) == [False, True, False, True]
    # a missing value counts as false, also under `not`
    negated = evaluate_condition(table, "not (a > 0.3)")
    assert list(negated.holds) == [True, False, False, False] and negated.missing == 1
    assert evaluate_condition(table, "a > 0 and b > 0").columns == ("a", "b")


@pytest.mark.parametrize(("expression", "message"), [
    ("__import__('os').system('true')", "calling __import__"),
    ("a.real > 0", "unknown column(s) a.real"),
    ("(a + 1).real > 0", "attribute access on a value is not allowed"),
    ("a[0] > 1", "Subscript"),
    ("a > 'x'", "only numbers and True/False"),
    ("@a > 1", "not a valid expression"),
    ("lambda: 1", "Lambda"),
    ("c > 1", "unknown column(s) c; available: columns: a, b, x.y"),
    ("a + 1", "not a true/false condition"),
    ("1 > 0", "uses no column"),
    ("   ", "empty"),
])
def test_condition_refused(expression: str, message: str) -> None:
    table = pd.DataFrame({"a": [0.1, 0.5], "b": [1, 2], "x.y": [1.0, 0.0]})
    with pytest.raises(ConditionError) as err:
        evaluate_condition(table, expression)
    assert message in str(err.value)


# --- the command ----------------------------------------------------------------------------------


def test_discover_command_writes_described_outputs(ensemble: Path, tmp_path: Path) -> None:
    out = tmp_path / "found"
    result = invoke("discover", str(ensemble), "--where", "hhi_final > 0.5", "--out", str(out), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    for text in ("scenario stall", "Chosen box", "coverage", "density", "Peeling trajectory", "Feature scores",
                 GROWTH, "ema_workbench"):
        assert text in result.output
    files = {"box.json", "trajectory.csv", "scores.csv", "columns.csv", "marketsim-manifest.json", *DISCOVERY_FIGURES}
    assert {p.name for p in out.iterdir()} == files
    for figure in DISCOVERY_FIGURES:
        assert (out / figure).stat().st_size > 10_000
    box = json.loads((out / "box.json").read_text())
    assert box["scenario"] == "stall" and box["runs"] == RUNS
    assert {entry["input"] for entry in box["box"]} == {GROWTH, STALL}
    trajectory = pd.read_csv(out / "trajectory.csv")
    assert trajectory["chosen"].sum() == 1 and trajectory.loc[trajectory["chosen"], "step"].item() == box["step"]
    assert trajectory.loc[box["step"], "density"] == pytest.approx(box["density"])
    # every column and key is described, with a unit
    columns = pd.read_csv(out / "columns.csv")
    described = set(zip(columns["table"], columns["column"], strict=True))
    for table, names in (("box.json", box), ("trajectory.csv", trajectory.columns),
                         ("scores.csv", pd.read_csv(out / "scores.csv").columns)):
        assert {(table, name) for name in names} <= described
    assert columns["unit"].notna().all() and columns["description"].str.len().min() > 10
    assert set(columns["table"]) == set(DISCOVERY_COLUMNS)
    # a second run refuses the existing folder without --force, replaces it with --force
    again = invoke("discover", str(ensemble), "--where", "hhi_final > 0.5", "--out", str(out), cwd=tmp_path)
    assert again.exit_code == 2 and "already exists" in again.output
    forced = invoke("discover", str(ensemble), "--where", "hhi_final > 0.5", "--out", str(out), "--force",
                    cwd=tmp_path)
    assert forced.exit_code == 0, forced.output


def _broken_folder(tmp_path: Path) -> Path:
    folder = make_ensemble(tmp_path / "broken", runs=40)
    (folder / OUTCOMES).unlink()
    return folder


@pytest.mark.parametrize(("args", "message"), [
    (["{missing}", "--where", "hhi_final > 0.5"], "no such folder"),
    (["{broken}", "--where", "hhi_final > 0.5"], "is not an ensemble folder: outcomes.csv is missing"),
    (["{ens}", "--where", "hhi_finl > 0.5"], "unknown column(s) hhi_finl; available: inputs (draws.csv): "
                                              "hardware.growth_per_year"),
    (["{ens}", "--where", "hhi_final >"], "not a valid expression"),
    (["{ens}", "--where", "hhi_final > 5"], "holds for no run (0 of 600 runs of stall)"),
    (["{ens}", "--where", "hhi_final > -5"], "holds for every run"),
    (["{ens}", "--where", "hhi_final > 0.5", "--scenario", "nope"], "its scenarios are baseline, stall"),
    (["{ens}", "--where", "spend_cut > 0.5", "--scenario", "baseline"], "only for scenarios compared with the base"),
    (["{ens}", "--where", "hhi_final > 0.5", "--threshold", "1.5"], "must be a density in (0, 1]"),
])
def test_discover_command_bad_input(ensemble: Path, tmp_path: Path, args: list[str], message: str) -> None:
    paths = {"missing": str(tmp_path / "nowhere"), "ens": str(ensemble), "broken": "{broken}"}
    if args[0] == "{broken}":
        paths["broken"] = str(_broken_folder(tmp_path))
    out = tmp_path / "out"
    result = invoke("discover", args[0].format(**paths), *args[1:], "--out", str(out), cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists() and not list(tmp_path.glob(".out.tmp-*"))


def test_figure_texts_do_not_overlap(found: Discovery) -> None:
    """The box figure's numbers, quasi-p labels and input names are all readable (no text over another)."""
    for draw in (plot_box, plot_trajectory):
        fig = draw(found)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        ax = fig.axes[0]
        texts = [t for t in [*ax.texts, *ax.get_yticklabels(), ax.xaxis.label, ax.yaxis.label]
                 if t.get_visible() and t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in texts]
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                assert not a.overlaps(boxes[j]), (draw.__name__, texts[i].get_text(), texts[j].get_text())
