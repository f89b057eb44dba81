"""The pricing stage of a period: firms with a model on sale set their prices (docs/theory.md "Prices").

After releases and before consumers choose, :func:`set_prices` solves the period's pricing stage
game (:class:`marketsim.economics.pricing.StageGame`) among the models on sale: firms with
``pricing = "best_response"`` play the Nash equilibrium in quality-adjusted prices given the
fixed-price firms' prices (``firms.price``; open-weights labs charge 0). Consumer segments are the
market's adopters n(R) at each model's R (the threshold distribution times the population), and each
firm's cost is its serving cost per adopter, 2 N T / E dollars per period, in reference dollars.

Each firm then holds (NaN while it has no model on sale):

- ``price_adj``: quality-adjusted price, reference dollars per adopter per period;
- ``price``: the paid price p = price_adj (R_ref / R)^kappa, dollars per adopter per period;
- ``price_per_mtok``: price / tokens_per_adopter_per_period x 1e6, dollars per million tokens;
- ``markup``: price - serving cost per adopter, dollars per adopter per period.

:func:`planning_price` is the quality-adjusted price a firm assumes when it chooses (N, D).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from marketsim.economics.costs import serving_cost
from marketsim.economics.pricing import StageGame
from marketsim.sim.choice import Offers
from marketsim.sim.views import FirmView, MarketView, TrainedModel

__all__ = ["BEST_RESPONSE", "FIXED", "pricing_rule", "value_factor", "cost_adj", "stage_game", "set_prices",
           "planning_price"]

BEST_RESPONSE = "best_response"
FIXED = "fixed"


def pricing_rule(firm: FirmView) -> str:
    """"best_response" or "fixed": ``firms.pricing``, else the strategy's default."""
    return firm.strategy.pricing(firm)


def value_factor(model: MarketView, R: float) -> float:
    """(R_ref / R)^kappa: dollars paid per reference dollar of price for a model of reducible loss R."""
    return float((model.value_reference_loss / R) ** model.scenario.consumers.value_exponent)


def cost_adj(model: MarketView, trained: TrainedModel) -> float:
    """Serving cost per adopter of ``trained`` in reference dollars per period: 2 N T / E x (R / R_ref)^kappa."""
    c = float(serving_cost(trained.N, model.scenario.consumers.serving_tokens, model.state.E))
    return c / value_factor(model, trained.R)


def stage_game(model: MarketView, R: Sequence[float], costs: Sequence[float]) -> StageGame:
    """The pricing game among models of reducible loss ``R`` (nats per token) with serving costs
    ``costs`` (reference dollars per adopter per period), in this period's market."""
    scn = model.scenario
    R_arr = np.asarray(R, dtype=float)
    adopters_at = model.market_demand(price_per_period=1.0, periods=1).adopters(R_arr)
    return StageGame.nested(R_arr, np.asarray(costs, dtype=float), adopters_at, lam=scn.market.logit_lambda,
                            price_sensitivity=scn.consumers.price_sensitivity,
                            outside_option=scn.market.outside_option)


def _fixed_or_nan(firm: FirmView) -> float:
    return float(firm.strategy.price(firm)) if pricing_rule(firm) == FIXED else float("nan")


def set_prices(model: MarketView) -> Offers:
    """The pricing stage: every firm with a model on sale sets this period's price (equilibrium of
    the stage game, fixed-price firms held fixed); firms without one get NaN prices. Returns the
    offers consumers choose from."""
    on_sale = [f for f in model.firms if f.offering]
    for firm in model.firms:
        if not firm.offering:
            firm.price = firm.price_adj = firm.price_per_mtok = firm.markup = float("nan")
    if not on_sale:
        return Offers.none()
    R = [f.deployed.R for f in on_sale]
    costs = [cost_adj(model, f.deployed) for f in on_sale]
    game = stage_game(model, R, costs)
    fixed = np.array([_fixed_or_nan(f) for f in on_sale])
    previous = np.array([f.price_adj if np.isfinite(f.price_adj) else np.nan for f in on_sale])
    start = np.where(np.isfinite(previous), previous, game.cost_adj + game.lam / game.price_sensitivity)
    p_adj = game.equilibrium(fixed, start=start)
    factors = np.array([value_factor(model, r) for r in R])
    T = model.scenario.consumers.tokens_per_adopter_per_period
    for firm, p, f, c in zip(on_sale, p_adj, factors, costs):
        firm.price_adj = float(p)
        firm.price = float(p * f)
        firm.markup = float((p - c) * f)
        firm.price_per_mtok = firm.price / T * 1e6 if T > 0 else float("nan")
    return Offers(np.array([f.unique_id for f in on_sale], dtype=np.int64), np.asarray(R, dtype=float),
                  p_adj * factors, price_adj=p_adj, value_factor=factors,
                  outside_option=model.scenario.market.outside_option)


def planning_price(firm: FirmView) -> float:
    """The quality-adjusted price (reference dollars per adopter per period) ``firm`` assumes when it
    chooses its next model: its fixed price, or its best response to the rivals on sale at their
    current prices with its current model (a monopolist: its monopoly price; no model yet: the
    best rival's R, or R_ref, at zero serving cost)."""
    if pricing_rule(firm) == FIXED:
        return float(firm.strategy.price(firm))
    model = firm.model
    rivals = [f for f in model.firms if f is not firm and f.offering and np.isfinite(f.price_adj)]
    if firm.deployed is not None:
        own_R, own_cost = firm.deployed.R, cost_adj(model, firm.deployed)
    else:
        own_R = min((f.deployed.R for f in rivals), default=model.value_reference_loss)
        own_cost = 0.0
    R = [own_R, *(f.deployed.R for f in rivals)]
    costs = [own_cost, *(cost_adj(model, f.deployed) for f in rivals)]
    prices = [np.nan, *(f.price_adj for f in rivals)]
    return stage_game(model, R, costs).best_response(0, prices)
