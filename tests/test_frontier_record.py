"""Epoch AI's frontier language-model record inside the package, the frontier selection rule, the growth
fit used on the record and on simulated models, and the targets table (experiments/validation/frontier.py,
targets.py; docs/calibration.md §15).
"""

from __future__ import annotations

import fnmatch
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from marketsim.experiments.validation.frontier import (GPT3, GPT4, TOP_N, frontier_mask, frontier_ranks,
                                                       growth_fit, load_record, named_level, record_growth)
from marketsim.experiments.validation.record import RECORD, WAU_2023, WAU_2025
from marketsim.experiments.validation.targets import (LEVEL_FACTOR, TargetsError, load_targets,
                                                      measure_target)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "marketsim" / "experiments" / "validation" / "data"


@pytest.fixture(scope="module")
def record():
    return load_record()


# -- the record --------------------------------------------------------------------------------------------
def test_the_record_loads_with_its_units(record) -> None:
    assert len(record) == 61
    assert record["year"].is_monotonic_increasing
    assert 2016.0 <= record["year"].min() and record["year"].max() < 2024.0
    assert (record["top_n_rank"] <= TOP_N).all()
    assert record["moe"].dtype == bool and record["moe"].sum() == 6
    gpt4 = record[record["Model"] == GPT4].iloc[0]
    assert gpt4["compute_flop"] == pytest.approx(2.1e25)
    assert gpt4["cost_amortised_usd"] == pytest.approx(40.7e6, rel=1e-3)
    # tokens_per_param = compute / (6 N) / N for a dense model with parameters
    dense = record[~record["moe"] & record["params"].notna()]
    np.testing.assert_allclose(dense["tokens_per_param"], dense["compute_flop"] / (6 * dense["params"] ** 2), rtol=1e-9)


def test_named_levels_gpt3_and_gpt4(record) -> None:
    assert named_level(record, GPT3, "compute_flop") == pytest.approx(3.14e23)
    assert named_level(record, GPT3, "params") == pytest.approx(175e9)
    assert named_level(record, GPT3, "cost_amortised_usd") == pytest.approx(2.198e6, rel=1e-3)
    assert named_level(record, GPT4, "params") is None  # undisclosed
    with pytest.raises(KeyError, match="GPT-5"):
        named_level(record, "GPT-5", "compute_flop")


def test_the_data_files_ship_in_the_wheel() -> None:
    # pyproject's package-data patterns cover every file of the data folder (tests/test_install.py builds it)
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    ours = patterns["marketsim.experiments.validation"]
    files = [p.relative_to(DATA.parent).as_posix() for p in DATA.iterdir() if p.is_file()]
    assert {"data/frontier_lm_2016_2023.csv", "data/targets.toml", "data/README.md"} <= set(files)
    assert all(any(fnmatch.fnmatch(f, pat) for pat in ours) for f in files), (files, ours)


# -- the growth fit ----------------------------------------------------------------------------------------
def test_growth_fit_on_three_rows_equals_a_hand_computation(record) -> None:
    rows = record[record["Model"].isin([GPT3, "PaLM (540B)", GPT4])]
    assert len(rows) == 3
    x = [float(v) for v in rows["year"]]
    y = [math.log(float(v)) for v in rows["compute_flop"]]
    xm, ym = sum(x) / 3, sum(y) / 3
    slope = sum((a - xm) * (b - ym) for a, b in zip(x, y)) / sum((a - xm) ** 2 for a in x)
    fit = growth_fit(rows["year"], rows["compute_flop"])
    assert fit.n_models == 3 and fit.n_skipped == 0
    assert fit.factor == pytest.approx(math.exp(slope), rel=1e-12, abs=0)
    assert fit.slope == pytest.approx(slope, rel=1e-12, abs=0)
    # the fitted level: the line through (mean year, mean ln compute)
    assert fit.level(2021.0) == pytest.approx(math.exp(ym + slope * (2021.0 - xm)), rel=1e-12)
    assert 3 < fit.factor < 6  # 3.1e23 (2020.4), 2.5e24 (2022.3), 2.1e25 (2023.2)


def test_growth_fit_skips_missing_and_non_positive_values_and_counts_them() -> None:
    year = [2016.0, 2017.0, 2018.0, 2019.0, 2020.0, 2021.0]
    clean = growth_fit(year[:3], [1.0, 3.0, 9.0])
    fit = growth_fit(year, [1.0, 3.0, 9.0, 0.0, float("nan"), -5.0])
    assert fit.n_models == 3 and fit.n_skipped == 3
    assert fit.factor == pytest.approx(3.0, rel=1e-12) == clean.factor
    assert fit.level(2019.0) == pytest.approx(27.0, rel=1e-12)
    with pytest.raises(ValueError, match="at least 3 models.*3 skipped"):
        growth_fit(year[:5], [1.0, 2.0, 0.0, -1.0, float("nan")])
    with pytest.raises(ValueError, match="one date"):
        growth_fit([2020.0] * 4, [1.0, 2.0, 3.0, 4.0])


def _synthetic(n: int, seed: int, factor: float = 3.0, noise: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    year = rng.uniform(2016.0, 2024.0, n)
    return year, 1e20 * factor ** (year - 2016.0) * np.exp(rng.normal(0.0, noise, n))


def test_the_bootstrap_interval_holds_the_estimate_recovers_the_slope_and_narrows_with_more_models() -> None:
    widths = []
    for n in (15, 60, 240):
        fit = growth_fit(*_synthetic(n, seed=n))
        assert fit.low < fit.factor < fit.high
        assert fit.n_boot == 2000 and fit.interval == 0.90
        widths.append(math.log(fit.high / fit.low))
    assert fit.factor == pytest.approx(3.0, rel=0.1)
    assert widths[0] > widths[1] > widths[2]
    assert widths[1] / widths[2] == pytest.approx(2.0, rel=0.35)  # ~ 1/sqrt(n)
    year, value = _synthetic(60, seed=60)
    assert growth_fit(year, value, seed=1) == growth_fit(year, value, seed=1)  # seeded
    assert growth_fit(year, value, seed=1).low != growth_fit(year, value, seed=2).low
    half = growth_fit(year, value, interval=0.5)
    full = growth_fit(year, value)
    assert full.low < half.low < half.factor < half.high < full.high


def test_the_bootstrap_interval_covers_the_known_factor_about_90_percent_of_the_time() -> None:
    # 200 synthetic records of 30 models with a known factor of 3 per year: the 90% interval holds it
    # in about 90% of them (a percentile bootstrap undercovers a little at this size).
    fits = [growth_fit(*_synthetic(30, seed=1000 + k), n_boot=400, seed=k) for k in range(200)]
    coverage = np.mean([f.low < 3.0 < f.high for f in fits])
    assert 0.80 <= coverage <= 0.97, coverage


def test_record_growths_in_the_issue_ranges(record) -> None:
    compute = record_growth(record, "compute_flop", 2020, 2023)
    assert compute.n_models == 38 and 4.0 < compute.factor < 5.5 and compute.contains(5.0)
    cost = record_growth(record, "cost_amortised_usd", 2020, 2023)
    assert cost.n_skipped == 10 and 2.5 < cost.factor < 3.5
    params = record_growth(record, "params", 2020, 2023, dense_only=True)
    assert params.n_models + params.n_skipped == 33  # 38 models, 5 mixture-of-experts left out
    with pytest.raises(ValueError, match="unknown quantity"):
        record_growth(record, "flops", 2020, 2023)


# -- the selection rule ------------------------------------------------------------------------------------
def test_the_selection_rule_picks_the_expected_models() -> None:
    #             A     B     C     D     E     F     G     H
    year = [2016.0, 2016.5, 2017.0, 2017.0, 2018.0, 2018.5, 2019.0, 2019.5]
    compute = [10.0, 5.0, 20.0, 1.0, 8.0, float("nan"), 30.0, 9.0]
    # ranks at publication among models published so far (same-day models count; F has no compute):
    # A 1; B 2 (A); C 1; D 4 (A, B, C; published the same day as C); E 3 (A, C); F -; G 1; H 4 (A, C, G)
    ranks = frontier_ranks(year, compute)
    np.testing.assert_array_equal(ranks, [1, 2, 1, 4, 3, np.nan, 1, 4])
    assert list(np.flatnonzero(frontier_mask(year, compute, n=2))) == [0, 1, 2, 6]
    assert list(np.flatnonzero(frontier_mask(year, compute, n=3))) == [0, 1, 2, 4, 6]
    with pytest.raises(ValueError, match="n must be"):
        frontier_mask(year, compute, n=0)


def test_the_selection_rule_on_the_records_own_rows(record) -> None:
    # The record lacks Epoch's non-frontier models and those before 2016, so ranked among its own rows
    # a model can only rank higher than Epoch ranks it: every row is kept at n = 10; half agree exactly.
    ranks = frontier_ranks(record["year"], record["compute_flop"])
    epoch = record["top_n_rank"].to_numpy()
    assert (ranks <= epoch).all()
    assert frontier_mask(record["year"], record["compute_flop"]).all()
    assert int((ranks == epoch).sum()) == 30
    since_2020 = record["year"].to_numpy() >= 2020
    assert int((ranks == epoch)[since_2020].sum()) == 22 and int((epoch - ranks <= 1)[since_2020].sum()) == 37


# -- the targets table -------------------------------------------------------------------------------------
def test_the_targets_table_loads_every_target_has_a_source_and_matches_the_data(record) -> None:
    targets = load_targets()
    keys = [t.key for t in targets]
    assert len(keys) == len(set(keys)) >= 15
    assert all(t.source.strip() and t.band.strip() and t.unit.strip() for t in targets)
    assert {t.statistic for t in targets} == {"growth", "level", "range"}
    assert any(t.used_for_tuning for t in targets) and not all(t.used_for_tuning for t in targets)
    for t in targets:
        if t.record_key is None:
            value, low, high = measure_target(t, record)
            assert (t.value, t.low, t.high) == pytest.approx((value, low, high), rel=1e-3), t.key
        assert t.contains(t.value), t.key
    by_key = {t.key: t for t in targets}
    assert by_key["compute_growth_2020_2023"].statistic == "growth"
    assert by_key["gpt4_cost"].high == pytest.approx(by_key["gpt4_cost"].value * LEVEL_FACTOR, rel=1e-12)
    # figures of record.py are read from it, not retyped
    assert by_key["revenue_2024"].value == RECORD["revenue_2024"].value
    assert by_key["adoption_2023"].value == WAU_2023 and by_key["adoption_2025"].value == WAU_2025
    assert by_key["adoption_2025"].high == pytest.approx(1.5 * WAU_2025)


GOOD_ROW = """[[target]]
key = "k{n}"
description = "d"
statistic = "growth"
quantity = "compute_flop"
window = [2020, 2023]
value = 4.0
low = 3.0
high = 6.0
unit = "x/yr"
band = "b"
source = "s"
used_for_tuning = true
"""


@pytest.mark.parametrize(("edit", "field", "says"), [
    (lambda r: r.replace('source = "s"\n', ""), "source", "missing"),
    (lambda r: r.replace('"growth"', '"slope"'), "statistic", "not one of growth, level, range"),
    (lambda r: r.replace("value = 4.0", "value = 7.0"), "value", "outside its band"),
    (lambda r: r.replace("value = 4.0", 'value = "4"'), "value", "finite number"),
    (lambda r: r.replace("used_for_tuning = true", 'used_for_tuning = "yes"'), "used_for_tuning", "true or false"),
    (lambda r: r + 'colour = "red"\n', "colour", "unknown field"),
    (lambda r: r.replace('"compute_flop"', '"flops"'), "quantity", "not one of"),
    (lambda r: r.replace("[2020, 2023]", "[2023, 2020]"), "window", "first <= last"),
    (lambda r: r.replace('quantity = "compute_flop"', 'record_key = "revenue_9999"'), "record_key", "not a key"),
    (lambda r: r.replace('statistic = "growth"', 'statistic = "level"'), "model", "missing"),
])
def test_a_malformed_targets_file_names_file_row_and_field(tmp_path: Path, edit, field, says) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(GOOD_ROW.format(n=1) + "\n" + edit(GOOD_ROW.format(n=2)), encoding="utf-8")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    message = str(err.value)
    assert str(path) in message and "row 2" in message and f"field '{field}'" in message and says in message
    path.write_text(GOOD_ROW.format(n=1) + "\n" + GOOD_ROW.format(n=2), encoding="utf-8")
    assert [t.key for t in load_targets(path)] == ["k1", "k2"]  # the unedited file loads


def test_a_repeated_key_or_broken_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(GOOD_ROW.format(n=1) * 2, encoding="utf-8")
    with pytest.raises(TargetsError, match=r"row 2: field 'key': 'k1' is repeated"):
        load_targets(path)
    path.write_text("[[target]\nkey = ", encoding="utf-8")
    with pytest.raises(TargetsError, match="cannot read the targets table"):
        load_targets(path)
    with pytest.raises(TargetsError, match="no such file|No such file"):
        load_targets(tmp_path / "missing.toml")
