"""`marketsim theory` and `marketsim optimize`: the paper's claims from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from marketsim.cli import app

runner = CliRunner()
KEYS = {"slope_N_E", "slope_D_E", "slope_spend_E", "slope_compute_E", "elasticity_N_rhoD",
        "elasticity_spend_rhoD", "databound_slope_spend_E", "databound_slope_spend_Dbar", "claims"}


def _json(*args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_theory_json_default_variant_every_claim_holds() -> None:
    out = _json("theory", "--json")
    assert KEYS <= set(out)
    assert out["claims"] and all(out["claims"].values())
    assert 0.8 <= out["slope_N_E"] <= 1.05 and 0.8 <= out["slope_D_E"] <= 1.05
    assert out["slope_compute_E"] < 2
    assert out["databound_slope_spend_E"] == pytest.approx(-1.0, abs=0.05)


def test_theory_saturating_variant_shows_where_claims_fail() -> None:
    out = _json("theory", "--variant", "fixed_lognormal", "--json")
    assert out["slope_spend_E"] <= 0
    assert not out["claims"]["N_near_linear_in_E"]
    assert not out["claims"]["data_efficiency_raises_spend"]


def test_theory_table_marks_each_claim() -> None:
    result = runner.invoke(app, ["theory"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert result.output.count("holds") == 6 and "does not hold" not in result.output
    listing = runner.invoke(app, ["theory", "--list-variants"], env={"COLUMNS": "200"})
    assert "fixed_lognormal" in listing.output and "saturating" in listing.output


def test_optimize_json_reports_the_default_optimum() -> None:
    out = _json("optimize", "--E", "1e18", "--json")
    # theory.md §6: default at E = 1e18: N* = 9.6e11, D* = 5.2e13, spend 3e8, 4.3e6 adopters
    assert out["N"] == pytest.approx(9.6e11, rel=0.02)
    assert out["D"] == pytest.approx(5.2e13, rel=0.02)
    assert out["training_cost"] == pytest.approx(3.0e8, rel=0.02)
    assert out["adopters"] == pytest.approx(4.3e6, rel=0.02)
    assert out["regime"] == "compute-bound"
    capped = _json("optimize", "--E", "1e18", "--D-bar", "1e13", "--json")
    assert capped["regime"] == "data-bound" and capped["D"] == pytest.approx(1e13)


@pytest.mark.parametrize("args,message", [
    (["theory", "--variant", "nope"], "variant 'nope' is unknown"),
    (["optimize", "--E", "-5"], "E = -5.0: must be a finite number > 0"),
])
def test_bad_input_exits_2_with_a_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
