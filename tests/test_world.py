"""Tests for marketsim.sim.world: growth paths with a stall, the world state, building from a scenario."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketsim.config import Scenario, ScenarioError, scenario_from_dict
from marketsim.sim.world import GrowthPath, World, WorldState

starts = st.floats(min_value=1e-6, max_value=1e30)
factors = st.floats(min_value=0.2, max_value=20.0)
years = st.floats(min_value=0.0, max_value=60.0)


@given(start=starts, g=factors)
def test_value_at_zero_is_start(start: float, g: float) -> None:
    assert GrowthPath(start, g).value(0.0) == start


@given(start=starts, g=factors, t1=years, t2=years)
def test_growth_compounds(start: float, g: float, t1: float, t2: float) -> None:
    path = GrowthPath(start, g)
    assert path.value(1.0) == pytest.approx(start * g, rel=1e-12)
    assert path.value(t1 + t2) == pytest.approx(path.value(t1) * g**t2, rel=1e-9)


@given(g=st.floats(min_value=1.01, max_value=10.0), ts=st.floats(min_value=0.0, max_value=30.0),
       after=st.floats(min_value=0.01, max_value=50.0))
def test_flat_after_stall_and_continuous(g: float, ts: float, after: float) -> None:
    path = GrowthPath(2.0, g, stall_after_years=ts)  # growth_after_stall defaults to 1: flat
    at_stall = 2.0 * g**ts
    assert path.value(ts) == pytest.approx(at_stall, rel=1e-12)
    assert path.value(ts + after) == pytest.approx(at_stall, rel=1e-12)
    eps = 1e-9
    assert path.value(ts - eps) == pytest.approx(at_stall, rel=1e-6)
    assert path.value(ts + eps) == pytest.approx(at_stall, rel=1e-6)


def test_growth_after_stall_switches_factor() -> None:
    path = GrowthPath(1.0, 2.0, stall_after_years=3.0, growth_after_stall=1.5)
    assert path.value(3.0) == pytest.approx(8.0)
    assert path.value(5.0) == pytest.approx(8.0 * 1.5**2)
    # before the stall the second factor plays no part
    assert path.value(2.0) == pytest.approx(4.0)


def test_array_input_matches_scalar_calls() -> None:
    path = GrowthPath(3.0, 1.4, stall_after_years=2.5, growth_after_stall=1.1)
    t = np.linspace(0.0, 10.0, 41)
    values = path.value(t)
    assert isinstance(values, np.ndarray) and values.shape == t.shape
    np.testing.assert_allclose(values, [path.value(float(x)) for x in t], rtol=1e-14)
    assert np.all(np.diff(values) > 0)
    assert isinstance(path.value(1.0), float)


def test_no_overflow_after_a_century_of_tenfold_growth() -> None:
    path = GrowthPath(1e18, 10.0)  # a large E in FLOP per dollar
    with np.errstate(all="raise"):
        v = path.value(100.0)
        arr = path.value(np.array([0.0, 50.0, 100.0]))
    assert math.isfinite(v)
    assert v == pytest.approx(1e118, rel=1e-10)
    np.testing.assert_allclose(arr, [1e18, 1e68, 1e118], rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"start": 0.0, "growth_per_year": 1.3}, "start", "0.0"),
        ({"start": -5.0, "growth_per_year": 1.3}, "start", "-5.0"),
        ({"start": float("inf"), "growth_per_year": 1.3}, "start", "inf"),
        ({"start": 1.0, "growth_per_year": 0.0}, "growth_per_year", "0.0"),
        ({"start": 1.0, "growth_per_year": float("nan")}, "growth_per_year", "nan"),
        ({"start": 1.0, "growth_per_year": "1.3"}, "growth_per_year", "'1.3'"),
        ({"start": 1.0, "growth_per_year": 1.3, "growth_after_stall": -1.0}, "growth_after_stall", "-1.0"),
        ({"start": 1.0, "growth_per_year": 1.3, "stall_after_years": -2.0}, "stall_after_years", "-2.0"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict, field: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"^GrowthPath\.{field} = {value}: must be "):
        GrowthPath(**kwargs)


def test_non_finite_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="t = nan must be finite"):
        GrowthPath(1.0, 2.0).value(float("nan"))


def _sections(**overrides: dict) -> dict:
    sections = {
        "meta": {"name": "world-test", "seed": 1, "start_year": 2024, "years": 10},
        "hardware": {"flop_per_dollar": 7e17, "growth_per_year": 1.38, "stall_year": 2030,
                     "growth_after_stall": 1.0},
        "data": {"stock_tokens": 3e14, "stock_growth_per_year": 1.07, "efficiency": 1.0,
                 "efficiency_growth_per_year": 1.2},
        "consumers": {"count": 100, "population": 5e9, "population_growth_per_year": 1.01,
                      "tokens_per_adopter_per_period": 1e5},
        "firms": [{"name": "a", "strategy": "profit_optimal", "price": 10.0, "cash": 1e9, "credit_limit": 0.0}],
    }
    for name, fields in overrides.items():
        sections[name] = {**sections[name], **fields}
    return sections


def _scenario(**overrides: dict) -> Scenario:
    """A validated scenario (the only input World.from_scenario takes)."""
    return scenario_from_dict(_sections(**overrides))


def test_world_from_scenario_reads_every_driver() -> None:
    world = World.from_scenario(_scenario())
    assert world.hardware.stall_after_years == 6  # 2030 - 2024
    s = world.at(2.0)
    assert isinstance(s, WorldState)
    assert s.t == 2.0 and s.year == 2026.0
    assert s.E == pytest.approx(7e17 * 1.38**2)
    assert s.data_stock == pytest.approx(3e14 * 1.07**2)
    assert s.rho_D == pytest.approx(1.2**2)
    assert s.population == pytest.approx(5e9 * 1.01**2)
    # hardware stalls in 2030; the other drivers keep growing
    late = world.at(10.0)
    assert late.E == pytest.approx(7e17 * 1.38**6)
    assert late.data_stock == pytest.approx(3e14 * 1.07**10)


def test_world_at_zero_is_the_start_values() -> None:
    s = World.from_scenario(_scenario()).at(0)
    assert (s.year, s.E, s.data_stock, s.rho_D, s.population) == (2024.0, 7e17, 3e14, 1.0, 5e9)


def test_scenario_without_stall() -> None:
    world = World.from_scenario(_scenario(hardware={"stall_year": None}))
    assert world.hardware.stall_after_years is None
    assert world.at(10.0).E == pytest.approx(7e17 * 1.38**10)


def test_stall_before_start_and_bad_drivers_are_refused_by_the_schema_naming_the_key() -> None:
    # The scenario is validated once, by marketsim.config; the world is only built from a valid one.
    with pytest.raises(ScenarioError, match=r"hardware\.stall_year = 2020: must be >= meta\.start_year \(2024\)"):
        _scenario(hardware={"stall_year": 2020})
    for section, field in [("hardware", "flop_per_dollar"), ("data", "stock_tokens"),
                           ("data", "efficiency_growth_per_year"), ("consumers", "population")]:
        with pytest.raises(ScenarioError, match=rf"{section}\.{field} = -1\.0: must be "):
            _scenario(**{section: {field: -1.0}})


def test_world_rejects_non_paths() -> None:
    p = GrowthPath(1.0, 1.0)
    with pytest.raises(ValueError, match=r"World\.population = 5\.0: must be a GrowthPath"):
        World(hardware=p, data_stock=p, data_efficiency=p, population=5.0,  # type: ignore[arg-type]
              start_year=2024)
    with pytest.raises(ValueError, match=r"World\.start_year = 2024\.5: must be an integer"):
        World(hardware=p, data_stock=p, data_efficiency=p, population=p,
              start_year=2024.5)  # type: ignore[arg-type]


def test_world_from_a_validated_scenario() -> None:
    scn = _scenario(data={"efficiency": 2.0, "efficiency_growth_per_year": 1.5})
    s = World.from_scenario(scn).at(7.0)
    assert s.year == 2031.0
    assert s.E == pytest.approx(7e17 * 1.38**6)  # stalled in 2030, flat after (default factor 1)
    assert s.data_stock == pytest.approx(3e14 * 1.07**7)
    assert s.rho_D == pytest.approx(2.0 * 1.5**7)
    assert s.population == pytest.approx(5e9 * 1.01**7)
