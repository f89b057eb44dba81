"""scenarios/uncertain_oligopoly.toml (issue 15: under which assumptions does the market end up a
monopoly?): the oligopoly's world and firms, uncertain_baseline's distributions restated exactly, plus
uncertain competition inputs; a tiny ensemble of it gives a final-year HHI that varies across draws."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from marketsim.config import ScenarioError, load
from marketsim.config.uncertain import draw_parameters
from marketsim.experiments.ensemble.runner import run_ensemble

#: The competition inputs the scenario adds to uncertain_baseline's (firms by index: 0-2 the labs,
#: 3 Challenger, 4 LateEntrant).
COMPETITION = {"market.logit_lambda", "consumers.switching_cost", "market.exit_after_loss_periods",
               *(f"firms.{i}.fixed_cost_per_period" for i in range(5)), "firms.3.entry_cost", "firms.4.entry_cost"}


def test_it_is_the_oligopoly_with_uncertain_baselines_distributions_and_competition_inputs():
    scenario, oligopoly, base = load("uncertain_oligopoly"), load("oligopoly"), load("uncertain_baseline")
    # a plain run is the oligopoly's (point values and firms inherited through extends)
    assert scenario.model_dump(exclude={"meta", "uncertain"}) == oligopoly.model_dump(exclude={"meta", "uncertain"})
    assert [f.name for f in scenario.firms] == ["LabA", "LabB", "LabC", "Challenger", "LateEntrant", "OpenLab"]
    # a scenario has one parent, so uncertain_baseline's distributions are restated: they must not drift
    mine = {d.key: d for d in scenario.uncertain.distributions}
    assert {key: mine[key] for key in base.uncertain.keys} == {d.key: d for d in base.uncertain.distributions}
    assert scenario.uncertain.correlations == base.uncertain.correlations
    assert set(mine) == set(base.uncertain.keys) | COMPETITION
    assert all(d.source for d in scenario.uncertain.distributions)  # every one cites a source or "assumption"


def test_a_tiny_ensemble_gives_a_final_hhi_that_varies_across_draws(tmp_path: Path):
    # 6 draws of a 3-year market with 500 consumers (about 10 s on one worker)
    run_ensemble(["uncertain_oligopoly"], 6, tmp_path / "ens", workers=1, progress=False, seed=3,
                 overrides=["consumers.count=500", "meta.years=3"])
    outcomes = pd.read_csv(tmp_path / "ens" / "outcomes.csv")
    draws = pd.read_csv(tmp_path / "ens" / "draws.csv")
    assert len(outcomes) == 6 and COMPETITION <= set(draws.columns)
    assert all(draws[key].nunique() == 6 for key in COMPETITION if key != "market.exit_after_loss_periods")
    hhi = outcomes["hhi_final"]
    assert hhi.between(1 / 6, 1).all()  # six firms at most; a share-weighted index
    # more than sampling noise of 500 consumers (~0.02): the draws change who is in the market
    assert hhi.max() - hhi.min() > 0.05
    assert outcomes["firms_alive_final"].nunique() >= 2


def test_an_optional_constrained_integer_is_drawn_as_an_integer_and_described():
    # market.exit_after_loss_periods is `Periods | None` (Annotated[int, ...] inside an Optional):
    # [uncertain] draws it as a whole number, and a bad value says what is allowed (it said "must be
    # Annotated (or omitted)" before marketsim.config.describe unwrapped the alias)
    draws = draw_parameters(load("uncertain_oligopoly"), 8, seed=1)["market.exit_after_loss_periods"]
    assert all(isinstance(v, int) and 2 <= v <= 16 for v in draws)
    with pytest.raises(ScenarioError, match=r"market\.exit_after_loss_periods = 0: must be an integer >= 1 "
                                            r"and <= 10000 \(or omitted\)"):
        load("oligopoly", ["market.exit_after_loss_periods=0"])
