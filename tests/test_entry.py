"""Entry and exit (docs/theory.md, Entry and exit; marketsim.sim.entry).

Small synthetic scenarios (a few hundred consumers, a year or two) and oracles: an entrant enters
exactly when its expected profit net of the entry cost is positive (two runs either side of the
threshold), persistent expected losses make a firm exit with the reason recorded, a firm outside
the market is neither counted nor served, an open-weights follower's lag shrinks as its imitation
discount grows, and the bundled price_war scenario shows an entry and an exit.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from marketsim.config import scenario_from_dict
from marketsim.sim.entry import EXIT_INSOLVENT, EXIT_LOSSES
from marketsim.sim.model import MarketModel
from marketsim.viz.market_structure import market_events, plot_market_structure

FIRM = {"price": 20.0, "cash": 1e12, "credit_limit": -1e12, "horizon_periods": 4}


def _scenario(*firms: dict[str, Any], years: float = 1.5, growth: float = 1.38, **market: Any) -> dict[str, Any]:
    """A small market (400 consumers, quarterly) with the given firms (FIRM defaults filled in)."""
    return {
        "meta": {"name": "entry_test", "seed": 7, "start_year": 2025, "years": years},
        "hardware": {"flop_per_dollar": 1e18, "growth_per_year": growth},
        "data": {"stock_tokens": 3e14},
        "consumers": {"count": 400, "population": 1e9, "tokens_per_adopter_per_period": 1e5},
        "market": market,
        "firms": [{**FIRM, **firm} for firm in firms],
    }


def _run(data: dict[str, Any], periods: int | None = None) -> MarketModel:
    model = MarketModel(scenario_from_dict(data))
    return model.run(None if periods is None else periods * model.period_years)


def _rows(model: MarketModel, name: str):
    firms = model.firm_table()
    return firms[firms["firm"] == name].reset_index(drop=True)


ENTRANT = {"name": "Entrant", "potential": True, "entry_year": 2025.5}


@pytest.fixture(scope="module")
def free_entry_value() -> float:
    """The entrant's margin at its first eligible period (step 2, 2025.5) without an entry cost:
    its expected horizon profit. Cash 1e12 never binds, so with entry cost c the margin is this - c."""
    rows = _rows(_run(_scenario({"name": "Alpha"}, {**ENTRANT, "entry_cost": 0.0}), periods=3), "Entrant")
    assert rows.loc[:1, "in_market"].eq(False).all() and rows.loc[:1, "expected_profit"].isna().all()
    assert bool(rows.loc[2, "in_market"]) and rows.loc[2, "expected_profit"] > 0
    return float(rows.loc[2, "expected_profit"])


def test_an_entrant_enters_exactly_when_expected_profit_net_of_entry_cost_is_positive(free_entry_value) -> None:
    value = free_entry_value

    def entrant_at_step_2(cost: float):
        run = _run(_scenario({"name": "Alpha"}, {**ENTRANT, "entry_cost": cost}), periods=3)
        return _rows(run, "Entrant").loc[2], run.model_table().loc[2]

    below, model_below = entrant_at_step_2(0.99 * value)
    above, model_above = entrant_at_step_2(1.01 * value)
    assert below["expected_profit"] == pytest.approx(0.01 * value, rel=1e-6)
    assert above["expected_profit"] == pytest.approx(-0.01 * value, rel=1e-6)
    assert bool(below["in_market"]) and not bool(above["in_market"])
    assert (model_below["entries"], model_below["firms_alive"]) == (1, 2)
    assert (model_above["entries"], model_above["firms_alive"]) == (0, 1)
    # the entry cost is paid once, in the entry period, and counted in profit and cash
    assert below["entry_cost"] == pytest.approx(0.99 * value) and above["entry_cost"] == 0.0
    assert below["profit"] == pytest.approx(below["revenue"] - below["serving_cost"] - below["training_cost"]
                                            - below["fixed_cost"] - below["entry_cost"])
    assert below["cash"] == pytest.approx(1e12 + below["profit"] + below["raised"] - below["paid_out"], rel=1e-12)


def test_every_judged_entrant_enters_iff_its_margin_is_positive(free_entry_value) -> None:
    # an entry cost just above the first margin: the entrant waits while its margin is negative and
    # enters in the first period it turns positive (if it does within the run)
    run = _run(_scenario({"name": "Alpha"}, {**ENTRANT, "entry_cost": 1.01 * free_entry_value}, years=2))
    rows = _rows(run, "Entrant")
    inside = rows["in_market"].astype(bool)
    first_in = int(inside.idxmax()) if inside.any() else len(rows)
    judged = rows.loc[: first_in - 1].dropna(subset=["expected_profit"])
    assert len(judged) >= 1 and (judged["expected_profit"] <= 0).all()
    if first_in < len(rows):
        assert rows.loc[first_in, "expected_profit"] > 0 and inside.loc[first_in:].all()
    assert run.model_table()["entries"].sum() == int(inside.any())


def test_a_firm_exits_after_persistent_expected_losses_with_the_reason_recorded() -> None:
    # "Legacy" pays a fixed cost far above anything it can earn: its expected profit is negative
    # every period, so it exits after exactly K judged periods.
    K = 3
    legacy = {"name": "Legacy", "fixed_cost_per_period": 5e11}
    run = _run(_scenario({"name": "Alpha"}, legacy, exit_after_loss_periods=K), periods=6)
    rows = _rows(run, "Legacy")
    exit_at = int(rows.index[rows["exit_reason"] == EXIT_LOSSES].min())
    judged = rows.loc[:exit_at, "expected_profit"].dropna()
    assert len(judged) == K and (judged < 0).all()
    assert not rows.loc[exit_at, "in_market"] and not rows.loc[exit_at:, "in_market"].any()
    assert (rows.loc[exit_at + 1:, "adopters"] == 0).all()
    table = run.model_table()
    assert table.loc[exit_at, "exits"] == 1 and table["exits"].sum() == 1
    assert list(table.loc[exit_at - 1:exit_at, "firms_alive"]) == [2, 1]
    # without the rule the same firm stays (its credit line covers the losses)
    stays = _run(_scenario({"name": "Alpha"}, legacy), periods=6)
    assert _rows(stays, "Legacy")["in_market"].all() and stays.model_table()["exits"].sum() == 0


def test_an_insolvent_firm_exits_with_reason_insolvent() -> None:
    broke = {"name": "Broke", "cash": 1e6, "credit_limit": 0.0, "fixed_cost_per_period": 1e7}
    run = _run(_scenario({"name": "Alpha"}, broke), periods=2)
    rows = _rows(run, "Broke")
    assert rows.loc[0, "exit_reason"] == EXIT_INSOLVENT and not rows["in_market"].any()
    assert run.model_table().loc[0, "exits"] == 1


def test_a_firm_not_yet_in_the_market_is_not_counted_and_has_no_adopters() -> None:
    never = {"name": "Never", "potential": True, "entry_cost": 1e15}  # can never recoup this
    later = {"name": "Later", "entry_year": 2025.75}  # enters on its date whatever its prospects
    run = _run(_scenario({"name": "Alpha"}, never, later), periods=5)
    table, firms = run.model_table(), run.firm_table()
    outside = firms[~firms["in_market"].astype(bool)]
    assert set(outside["firm"]) == {"Never", "Later"}
    assert (outside[["adopters", "revenue", "share"]] == 0).all().all() and outside["alive"].all()
    assert list(table["firms_alive"]) == [1, 1, 1, 2, 2]
    assert list(table["entries"]) == [0, 0, 0, 1, 0]
    assert _rows(run, "Never")["expected_profit"].lt(0).all()  # judged every period, never enters


def _follower_lag(discount: float, budget: float, rule: str = "cost") -> int:
    """Periods between the leader's first release and the open-weights follower's."""
    leader = {"name": "Lead", "retrain_every_periods": 40}  # one model for the whole run
    follower = {"name": "Open", "strategy": "open_weights", "price": 0.0, "leader": "Lead", "compute_fraction": 1.0,
                "lag_rule": rule, "imitation_discount": discount, "follow_budget": budget, "training_lag_periods": 0}
    run = _run(_scenario(leader, follower, years=3, growth=4.0))
    firms = run.firm_table()
    released = firms[firms["N"] > 0].groupby("firm")["step"].min()
    return int(released.get("Open", 10**6) - released["Lead"])


def test_the_open_weights_lag_shrinks_as_the_imitation_discount_grows() -> None:
    leader_cost = float(_run(_scenario({"name": "Lead"}), periods=1).firm_table().loc[0, "training_cost"])
    budget = 0.1 * leader_cost
    lags = [_follower_lag(d, budget) for d in (0.5, 0.8, 0.95)]
    # cost (1 - d) C / 4^(t/4) <= B: lag = ceil(4 ln((1 - d) C / B) / ln 4) periods, at least 1 (a
    # release is seen from the next period on)
    expected = [max(math.ceil(4 * math.log((1 - d) * 10) / math.log(4) - 1e-9), 1) for d in (0.5, 0.8, 0.95)]
    assert lags == expected == [5, 2, 1]
    # the fixed rule keeps today's behaviour: lag_periods whatever the discount
    assert _follower_lag(0.5, budget, rule="fixed") == _follower_lag(0.95, budget, rule="fixed") == 4


def test_the_discounted_cost_is_what_the_follower_pays() -> None:
    leader = {"name": "Lead", "retrain_every_periods": 40}
    follower = {"name": "Open", "strategy": "open_weights", "price": 0.0, "leader": "Lead", "compute_fraction": 1.0,
                "lag_periods": 0, "training_lag_periods": 0, "imitation_discount": 0.75}
    firms = _run(_scenario(leader, follower), periods=2).firm_table()
    spend = firms[firms["training_cost"] > 0].set_index("firm")["training_cost"]
    E_ratio = 1.38 ** 0.25  # the follower trains one period after the leader, when E is higher
    assert spend["Open"] == pytest.approx(0.25 * spend["Lead"] / E_ratio, rel=1e-9)


def test_the_market_structure_figure_marks_entries_and_exits() -> None:
    run = _run(_scenario({"name": "Alpha"}, {**ENTRANT, "entry_cost": 0.0},
                         {"name": "Legacy", "fixed_cost_per_period": 5e11}, exit_after_loss_periods=1), periods=4)
    firms = run.firm_table()
    events = market_events(firms)
    assert events == [(2025.0, "Legacy", "Legacy exits (persistent losses)"), (2025.5, "Entrant", "Entrant enters")]
    fig = plot_market_structure(firms, scenario="demo")
    ax_n, ax_s = fig.axes[:2]
    # top: the count of firms in the market, which is model.csv firms_alive
    assert list(ax_n.lines[0].get_ydata()) == list(run.model_table()["firms_alive"])
    assert {t.get_text() for t in ax_s.texts} >= {"Legacy exits (persistent losses)", "Entrant enters"}
    assert fig.get_suptitle() == "Market structure: entry and exit — demo"


@pytest.mark.slow
def test_the_bundled_price_war_shows_an_entry_and_an_exit() -> None:
    model = MarketModel("price_war").run()
    table, firms = model.model_table(), model.firm_table()
    assert table["entries"].sum() >= 1 and table["exits"].sum() >= 1
    reasons = set(firms["exit_reason"]) - {""}
    assert reasons and reasons <= {EXIT_INSOLVENT, EXIT_LOSSES}
    # firms_alive counts exactly the firms in the market every period
    in_market = firms.groupby("step")["in_market"].sum().to_numpy()
    assert np.array_equal(table["firms_alive"].to_numpy(), in_market)
