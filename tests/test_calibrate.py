"""``marketsim calibrate``: ABC-SMC (pyabc) of a scenario's [uncertain] keys to the targets table.

Parameter recovery on statistics the model itself produced at known values, resumption from pyabc's
history, the posterior predictive of every targets.toml row, the distance and the simulated models, and
the command's refusal of a scenario without a prior.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketsim.config import load_scenario
from marketsim.experiments.batch.source import read_scenario
from marketsim.experiments.calibration import calibrate, distance, half_width, measure_all, simulated_models
from marketsim.experiments.run import run_scenario
from marketsim.experiments.validation.targets import TargetRow, load_targets
from marketsim.viz.calibration_figures import write_calibration_figure
from tests._cli import invoke

from _history import small_calibration_toml

SMALL = small_calibration_toml("recovery")
TRUTH = {"consumers.median_threshold": 0.028, "consumers.sigma": 0.56}


def _small(tmp_path: Path) -> Path:
    path = tmp_path / "recovery.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _row(key: str, value: float, factor: float = 1.2) -> TargetRow:
    return TargetRow(key, f"{key} of the model at known values", "level", value, value / factor, value * factor,
                     "weekly active users", f"x/{factor}-{factor}x (test)", "the model itself", True, record_key=key)


def _synthetic_targets(path: Path) -> tuple[TargetRow, ...]:
    """Adoption in 2020 and 2023 of the small scenario run at TRUTH (the calibration's seed)."""
    scenario = load_scenario(path, [f"{k}={v}" for k, v in TRUTH.items()])
    result = run_scenario(scenario)
    rows = (_row("adoption_2020", 1.0), _row("adoption_2023", 1.0))
    measured = measure_all(rows, result.model, result.firms)
    assert all(v > 0 for v in measured.values()), measured
    return tuple(_row(k, v) for k, v in measured.items())


@pytest.mark.slow
def test_calibration_recovers_known_parameters(tmp_path: Path) -> None:
    path = _small(tmp_path)
    targets = _synthetic_targets(path)
    result = calibrate(read_scenario(path), tmp_path / "out", population=30, generations=4, workers=1,
                       targets=targets, predictive=10)
    summary = result.tables["posterior_summary.csv"].set_index("key")
    for key, true in TRUTH.items():
        row = summary.loc[key]
        assert row["p5"] <= true <= row["p95"], (key, true, row.to_dict())
        assert row["width_ratio"] < 0.6, (key, row.to_dict())  # the data narrowed the prior
    epsilons = [g.epsilon for g in result.generations]
    assert len(epsilons) == 4 and epsilons == sorted(epsilons, reverse=True) and epsilons[-1] < epsilons[0]
    matched = result.tables["targets_matched.csv"]
    assert set(matched["verdict"]) == {"matched"}  # the posterior reproduces data it was generated from
    for name in ("posterior.csv", "posterior_summary.csv", "predictive.csv", "targets_matched.csv",
                 "generations.csv", "abc.db", "marketsim-manifest.json"):
        assert (tmp_path / "out" / name).is_file(), name
    posterior = pd.read_csv(tmp_path / "out" / "posterior.csv")
    assert len(posterior) == 30 and math.isclose(posterior["weight"].sum(), 1.0, rel_tol=1e-9)


def test_a_rerun_continues_the_history_and_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    path = _small(tmp_path)
    source, targets = read_scenario(path), _synthetic_targets(path)
    common = dict(population=8, workers=1, targets=targets, predictive=3)
    first = calibrate(source, tmp_path / "resumed", generations=1, **common)
    assert first.computed == 1 and len(first.generations) == 1
    second = calibrate(source, tmp_path / "resumed", generations=3, **common)
    assert second.computed == 2 and len(second.generations) == 3
    assert second.generations[0] == first.generations[0]  # generation 0 was loaded, not redone
    third = calibrate(source, tmp_path / "resumed", generations=3, **common)
    assert third.computed == 0 and third.runs == second.runs
    straight = calibrate(source, tmp_path / "straight", generations=3, **common)
    # one process, seeded per generation: stopping and resuming changes nothing
    resumed = pd.read_csv(tmp_path / "resumed" / "posterior.csv")
    pd.testing.assert_frame_equal(resumed, pd.read_csv(tmp_path / "straight" / "posterior.csv"))
    assert [g.epsilon for g in straight.generations] == [g.epsilon for g in second.generations]
    # another population is another calibration: refused, nothing changed
    with pytest.raises(ValueError, match="population"):
        calibrate(source, tmp_path / "resumed", generations=4, **{**common, "population": 9})
    assert len(pd.read_csv(tmp_path / "resumed" / "generations.csv")) == 3


def test_the_predictive_covers_every_target_of_the_table(tmp_path: Path) -> None:
    path = _small(tmp_path)
    result = calibrate(read_scenario(path), tmp_path / "out", population=6, generations=1, workers=1, predictive=6)
    predictive = result.tables["predictive.csv"]
    assert list(predictive["key"]) == [t.key for t in load_targets()]
    measured = predictive[predictive["defined"] * 2 >= predictive["draws"]]
    assert len(measured) >= 3  # adoption and revenue at least
    assert (measured["p5"] <= measured["median"]).all() and (measured["median"] <= measured["p95"]).all()
    matched = result.tables["targets_matched.csv"]
    assert list(matched["key"]) == list(predictive["key"])
    inside = [t.contains(m) for t, m in zip(load_targets(), predictive["median"], strict=True)]
    assert list(matched["verdict"]) == [{True: "matched", False: "missed", None: "undefined"}[i] for i in inside]
    figure = write_calibration_figure(tmp_path / "out", result.tables["posterior.csv"],
                                      result.tables["posterior_summary.csv"], predictive)
    assert figure.name == "calibration.png" and figure.stat().st_size > 10_000


def test_distance_counts_misses_in_band_half_widths() -> None:
    row = _row("adoption_2023", 100.0, factor=2.0)
    assert math.isclose(half_width(row), math.log(2.0))
    widths = {row.key: half_width(row)}
    assert distance({row.key: 100.0}, {row.key: 100.0}, widths) == 0.0
    assert math.isclose(distance({row.key: 200.0}, {row.key: 100.0}, widths), 1.0)  # at the band's edge
    assert math.isclose(distance({row.key: 25.0}, {row.key: 100.0}, widths), 4.0)
    assert distance({row.key: float("nan")}, {row.key: 100.0}, widths) == 100.0


def test_simulated_models_are_releases_with_their_run_cost() -> None:
    firms = pd.DataFrame({
        "step": [0, 1, 2, 3, 4], "year": [2020.0, 2020.25, 2020.5, 2020.75, 2021.0], "firm": "A",
        "N": [1e9, 1e9, 1e9, 4e9, 4e9], "D": [2e10, 2e10, 2e10, 8e10, 8e10],
        "training_cost": [5.0, 0.0, 7.0, 0.0, 0.0]})
    models = simulated_models(firms)
    assert list(models["year"]) == [2020.0, 2020.75]
    assert list(models["cost_amortised_usd"]) == [5.0, 7.0]
    assert np.allclose(models["compute_flop"], [6 * 1e9 * 2e10, 6 * 4e9 * 8e10])
    assert np.allclose(models["tokens_per_param"], [20.0, 20.0])


def test_the_command_refuses_a_scenario_without_a_prior(tmp_path: Path) -> None:
    (tmp_path / "plain.toml").write_text('extends = "historical_one_lab"\n[meta]\nname = "plain"\n', encoding="utf-8")
    result = invoke("calibrate", "plain.toml", "--workers", "1", "--out", "cal", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "plain.toml" in result.output and "no [uncertain] section" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "cal").exists()
