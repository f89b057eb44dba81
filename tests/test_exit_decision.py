"""firms.csv ``decision`` in the period a firm exits says why: ``exited: <exit_reason>``, also when that
period is the firm's first (and, for a lone firm, the run's last), and plain ``exited`` after it."""

from __future__ import annotations

from pathlib import Path

from marketsim.sim import regimes
from marketsim.sim.model import MarketModel

#: Baseline with a second lab whose overheads (5e9 dollars a quarter) exceed anything the market pays:
#: its expected horizon profit is negative from the first period, so with exit_after_loss_periods = 1
#: it leaves in period 0; its credit line (-1e13 dollars) is deep enough that it is not insolvent first.
TWO_LABS = """\
extends = "baseline"
[meta]
name = "two"
years = 1
[consumers]
count = 2000
[market]
exit_after_loss_periods = 1
[[firms]]
name = "Frontier"
[[firms]]
name = "Burdened"
price = 1.427
cash = 1e10
credit_limit = -1e13
fixed_cost_per_period = 5e9
"""


def test_a_lone_firm_insolvent_in_its_first_period_says_so_in_its_only_row():
    # overheads of 1e11 dollars a quarter against a credit line of 1e9: insolvent when it first settles
    model = MarketModel("baseline", overrides={"firms.0.fixed_cost_per_period": 1e11, "firms.0.credit_limit": -1e9,
                                                "meta.years": 2, "consumers.count": 2000}).run()
    firms = model.firm_table()
    assert len(firms) == 1  # every firm exited: the run stops after its first period
    row = firms.iloc[0]
    assert not row["alive"] and row["exit_reason"] == "insolvent"
    assert row["decision"] == "exited: insolvent"


def test_the_exit_period_names_the_reason_and_later_periods_say_exited(tmp_path: Path):
    path = tmp_path / "two.toml"
    path.write_text(TWO_LABS, encoding="utf-8")
    firms = MarketModel(path).run().firm_table()
    burdened = firms[firms["firm"] == "Burdened"].set_index("step")
    assert burdened.loc[0, "exit_reason"] == "persistent losses" and not burdened.loc[0, "alive"]
    assert burdened.loc[0, "decision"] == f"{regimes.EXITED}: persistent losses"
    assert set(burdened.loc[1:, "decision"]) == {regimes.EXITED}
    # the lab that stays keeps deciding as before: no exit text on it
    frontier = firms[firms["firm"] == "Frontier"]
    assert not frontier["decision"].str.startswith(regimes.EXITED).any()
