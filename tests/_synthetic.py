"""Synthetic but realistic result tables for the output/plot tests (no model run needed).

The tables follow the column contract of docs/architecture.md. Firm rows are generated first
from a simple compute-growth story (compute-optimal models, ~20 tokens per parameter, retraining
once a year, logit shares on loss) and the model table is aggregated from them, so the two agree
the way the real model's tables do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import marketsim.sim.model as _model

# The documented columns, from the model that writes them (docs/architecture.md).
MODEL_COLUMNS = ["step", *_model.MODEL_COLUMNS]
FIRM_COLUMNS = ["step", "year", *_model.FIRM_COLUMNS]


@dataclass
class SyntheticSpec:
    """Knobs of a synthetic run (calendar years; dollars; FLOP)."""

    start_year: int = 2025
    years: int = 10
    periods_per_year: int = 4
    firms: tuple[str, ...] = ("Atlas", "Beacon", "Cobalt")
    stall_year: int | None = None
    exit_firm: str | None = "Cobalt"  # leaves the market half-way through
    population0: float = 8e8
    compute0: dict[str, float] = field(default_factory=dict)  # first-year budget per firm, USD


def _flop_per_dollar(t: np.ndarray, spec: SyntheticSpec) -> np.ndarray:
    growth = np.log(1.38)  # COT24-like 1.38x per year
    years = t if spec.stall_year is None else np.minimum(t, spec.stall_year - spec.start_year)
    return 1e18 * np.exp(growth * years)


def make_tables(spec: SyntheticSpec | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (model, firms) tables for ``spec``: one row per period / per firm per period."""
    spec = spec or SyntheticSpec()
    ppy = spec.periods_per_year
    n = spec.years * ppy
    steps = np.arange(n)  # as MarketModel.model_table: step 0 is the first period, at start_year
    t = steps / ppy
    year = spec.start_year + t
    E = _flop_per_dollar(t, spec)
    population = spec.population0 * 1.01**t

    rows = []
    for k, firm in enumerate(spec.firms):
        spend0 = spec.compute0.get(firm, 1e8 * (1.0 + k))
        # budgets grow 2.4x a year (COT24) for eight years, then 1.2x (assumption)
        spend = spend0 * 2.4 ** np.minimum(np.floor(t), 8) * 1.2 ** np.maximum(np.floor(t) - 8, 0)
        retrain = ((steps + k) % ppy == 0) | (steps == 0)  # everyone starts with a model
        alive = np.ones(n, dtype=bool)
        if firm == spec.exit_firm:
            alive[n // 2:] = False
        # As MarketModel.firm_table: a firm with nothing on sale reports N = D = compute = 0, loss NaN.
        compute = np.where(alive, np.maximum.accumulate(np.where(retrain, spend * E, 0.0)), 0.0)
        N = np.sqrt(compute / 120.0)  # C = 6 N D with D = 20 N
        D = 20.0 * N
        with np.errstate(divide="ignore"):
            loss = np.where(alive, 1.8172 + 482.01 * N**-0.3478 + 2085.43 * D**-0.3658, np.nan)  # BES24
        price = np.full(n, 20.0 + 5.0 * k)
        training_cost = np.where(retrain & alive, spend, 0.0)
        rows.append(dict(firm=firm, N=N, D=D, loss=loss, compute=compute, price=price,
                         alive=alive, training_cost=training_cost, training=retrain & alive,
                         strategy="profit_optimal" if k else "fixed_growth"))

    loss = np.array([r["loss"] for r in rows])
    alive = np.array([r["alive"] for r in rows])
    utility = np.where(alive & np.isfinite(loss), -40.0 * np.nan_to_num(loss, nan=9.0), -np.inf)
    weights = np.exp(utility - utility.max(axis=0))
    shares = weights / weights.sum(axis=0)
    adoption = 1.0 / (1.0 + np.exp(-(t - spec.years / 2.0)))
    adopters_total = np.round(adoption * population)

    firm_frames = []
    for r, share in zip(rows, shares, strict=True):
        adopters = np.round(share * adopters_total)
        revenue = adopters * r["price"]
        serving = 0.3 * revenue
        profit = np.where(r["alive"], revenue - serving - r["training_cost"], 0.0)
        cash = 1e10 + np.cumsum(profit)
        firm_frames.append(pd.DataFrame({
            "step": steps, "year": year, "firm": r["firm"], "strategy": r["strategy"],
            "alive": r["alive"], "N": r["N"], "D": r["D"], "loss": r["loss"],
            "compute": r["compute"], "price": r["price"], "price_per_mtok": r["price"] / 1e5 * 1e6,
            "price_adj": r["price"] * 0.5, "markup": 0.7 * r["price"], "adopters": adopters, "share": share,
            "revenue": revenue, "serving_cost": serving, "training_cost": r["training_cost"],
            "fixed_cost": 0.0, "profit": profit, "cash": cash, "raised": 0.0, "paid_out": 0.0,
            "debt": np.maximum(-cash, 0.0), "training": r["training"],
            "in_market": r["alive"], "entry_cost": 0.0, "expected_profit": np.nan,
            "exit_reason": np.where(r["alive"], "", "persistent losses"),
            "regime": "compute-bound", "binding": "none",
            "decision": np.where(r["alive"], np.where(r["training_cost"] > 0, "trained", "not due"), "exited"),
        }))
    firms = pd.concat(firm_frames).sort_values(["step", "firm"], kind="stable").reset_index(drop=True)
    firms = firms[FIRM_COLUMNS]

    per_step = firms.groupby("step", sort=True)
    training_spend = per_step["training_cost"].sum().to_numpy()
    model = pd.DataFrame({
        "step": steps,
        "year": year,
        "E": E,
        "data_stock": 3e14 * 1.03**t,
        "rho_D": 1.0 + 0.0 * t,
        "rho_N": 1.0 + 0.0 * t,
        "population": population,
        "aware_share": 1.0,
        "adopters": per_step["adopters"].sum().to_numpy(),
        "adoption_share": per_step["adopters"].sum().to_numpy() / population,
        "training_spend": training_spend,
        "training_spend_annual": pd.Series(training_spend).rolling(ppy, min_periods=1).sum().to_numpy(),
        "largest_N": per_step["N"].max().to_numpy(),
        "largest_D": per_step["D"].max().to_numpy(),
        "best_loss": per_step["loss"].min().to_numpy(),
        "hhi": (shares**2).sum(axis=0),
        "consumer_surplus": adopters_total * 3.0,
        "firms_alive": alive.sum(axis=0),
        "entries": 0,
        "exits": np.diff(alive.sum(axis=0), prepend=alive.sum(axis=0)[0]).clip(max=0) * -1,
        "mean_price": per_step["price"].mean().to_numpy(),
        "price_index_adj": per_step["price_adj"].mean().to_numpy(),
        "data_bound_firms": 0,
    })
    return model[MODEL_COLUMNS], firms


def hand_model_table(adoption_share: list[float], *, start_year: int = 2030, ppy: int = 4,
                     training_spend: list[float] | None = None) -> pd.DataFrame:
    """A tiny model table with chosen adoption shares and spend per period (other columns plain)."""
    n = len(adoption_share)
    spend = training_spend if training_spend is not None else [1e9] * n
    year = start_year + np.arange(n) / ppy
    return pd.DataFrame({
        "step": np.arange(n), "year": year, "E": 1e18, "data_stock": 1e14, "rho_D": 1.0, "rho_N": 1.0,
        "population": 1e6, "aware_share": 1.0, "adopters": np.asarray(adoption_share) * 1e6,
        "adoption_share": adoption_share, "training_spend": spend,
        "training_spend_annual": np.asarray(spend, dtype=float) * ppy,
        "largest_N": np.linspace(1e9, 4e9, n), "largest_D": np.linspace(2e10, 8e10, n),
        "best_loss": np.linspace(2.5, 2.2, n), "hhi": np.linspace(1.0, 0.4, n),
        "consumer_surplus": 0.0, "firms_alive": 2, "entries": 0, "exits": 0, "mean_price": 20.0,
        "price_index_adj": 10.0, "data_bound_firms": 0,
    })[MODEL_COLUMNS]


# A small but complete scenario file (only the required keys plus a stall), for CLI and
# round-trip tests that must not depend on the bundled scenarios.
MINI_SCENARIO_TOML = """\
[meta]
name = "{name}"
seed = 3
start_year = 2025
years = 1

[hardware]
flop_per_dollar = 1e18
growth_per_year = 1.38
stall_year = 2026

[data]
stock_tokens = 3e14

[consumers]
count = 200
population = 1e9
tokens_per_adopter_per_period = 1e5

[[firms]]
name = "Alpha"
price = 20.0
cash = 1e10
credit_limit = -1e9

[[firms]]
name = "Beta"
strategy = "fixed_growth"
price = 15.0
cash = 1e10
credit_limit = -1e9
"""


def write_mini_scenario(folder: Path, name: str = "mini") -> Path:
    """Write MINI_SCENARIO_TOML named ``name`` to ``folder/<name>.toml`` and return the path."""
    path = Path(folder) / f"{name}.toml"
    path.write_text(MINI_SCENARIO_TOML.format(name=name), encoding="utf-8")
    return path


#: A one-firm, one-year scenario for batch (sweep/sensitivity) tests: ``.format(name=..., count=...)``.
BATCH_SCENARIO_TOML = """\
[meta]
name = "{name}"
seed = 5
years = 1

[hardware]
flop_per_dollar = 1e17
growth_per_year = 1.3

[data]
stock_tokens = 1e13

[consumers]
count = {count}
population = 1e8
tokens_per_adopter_per_period = 1e5

[[firms]]
name = "A"
price = 5.0
cash = 1e10
credit_limit = 0.0
"""
