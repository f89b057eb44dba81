"""Regimes in plain sight: which constraint shapes each firm's model, and why a firm did or did not train.

Per firm-period (firms.csv columns ``regime``, ``binding``, ``decision``; docs/theory.md §4):

- ``regime``: where the firm's latest decision sits (the model it trained, or the best new model it
  considered and kept its old one against):

  * ``compute-bound``: D below the usable raw-token stock D_bar/rho_D; N and D both free;
  * ``data-bound``: D at the stock (the data wall), N free below N_match(D);
  * ``capped``: D at the stock and N at N_match(D), the compute-optimal size for that data (the
    cap closure): training spend is 6 N_match(D_bar) D_bar / E, about D_bar^2/E.

- ``binding``: the constraint that stopped a larger model: ``budget`` (the model costs what the
  firm can finance, or more), ``data`` (data-bound or capped), ``none``.
- ``decision``: what the firm did this period and why (:data:`DECISIONS`).

Between decisions a firm keeps the regime and binding of its latest decision. Before its first
decision (a firm yet to enter) both are empty.

:func:`classify` is the rule; :func:`regime_changes` / :func:`regime_lines` find and describe the
changes in a firms table (pure, for ``marketsim run`` and ``compare``); :func:`data_bound_years`
marks the periods in which some firm is at the data wall (the shading of the figures).

Units: N parameters, D raw tokens, money in dollars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import numpy as np
import pandas as pd

from marketsim.economics.costs import training_cost

__all__ = ["Regime", "Binding", "REGIMES", "BINDINGS", "DATA_WALL_REGIMES", "TRAINED", "TRAINED_RESEARCH", "KEPT_NO_GAIN",
           "KEPT_AT_WALL", "KEPT_NO_PROFIT", "SKIPPED", "NO_BUDGET", "NOT_DUE", "IN_TRAINING", "EXITED",
           "NOT_ENTERED", "DECISIONS", "RegimeState", "at_the_stock", "classify", "RegimeChange", "regime_changes",
           "regime_lines", "data_bound_years", "count_data_bound", "idle_decision", "note_decision", "note_exit"]

Regime = Literal["compute-bound", "data-bound", "capped"]
Binding = Literal["data", "budget", "none"]
REGIMES: Final[tuple[str, ...]] = ("compute-bound", "data-bound", "capped")
BINDINGS: Final[tuple[str, ...]] = ("data", "budget", "none")
#: Regimes in which the firm trains on the whole usable stock.
DATA_WALL_REGIMES: Final[frozenset[str]] = frozenset({"data-bound", "capped"})

# -- decision texts (firms.csv ``decision``) ----------------------------------------------------------
TRAINED: Final = "trained"
#: The profit-optimal model would cost less than the lab's research budget for this cycle (or none
#: pays): it trains the compute-optimal model of that budget, paid by outside research money
#: (marketsim.sim.strategies.research_plan; docs/theory.md "Research budgets").
TRAINED_RESEARCH: Final = "trained: research budget"
#: The best new model would earn less over the horizon, net of its training cost, than keeping the
#: deployed one (whose training cost is sunk).
KEPT_NO_GAIN: Final = "kept: new model would not pay"
#: At the data wall with N at N_match: no model the stock allows is better than the deployed one.
KEPT_AT_WALL: Final = "kept: at the data wall, no better model than the current one"
KEPT_NO_PROFIT: Final = "kept: no new model earns a profit"
#: A strategy other than profit_optimal chose not to train.
SKIPPED: Final = "skipped by the strategy"
NO_BUDGET: Final = "no budget: cannot finance the planned model"
NOT_DUE: Final = "not due"
IN_TRAINING: Final = "in training"
#: After the exit period; the exit period itself says ``exited: <reason>`` (:func:`note_exit`).
EXITED: Final = "exited"
NOT_ENTERED: Final = "not entered"
#: Every decision text, with its meaning (docs and the columns table).
DECISIONS: Final[dict[str, str]] = {
    TRAINED: "started training a new model",
    TRAINED_RESEARCH: "started the compute-optimal model of its research budget (funded from outside, as raised)",
    KEPT_NO_GAIN: "the best new model would not earn its training cost over the horizon",
    KEPT_AT_WALL: "at the data wall with N at N_match(D): no allowed model beats the current one",
    KEPT_NO_PROFIT: "no new model earns a positive profit",
    SKIPPED: "a non-profit-optimal strategy chose not to train",
    NO_BUDGET: "the planned model costs more than the firm can finance",
    NOT_DUE: "between decisions (retraining cycle)",
    IN_TRAINING: "a model is in training",
    EXITED: "the firm has left the market (in the period it leaves: exited: <reason>, as exit_reason)",
    NOT_ENTERED: "the firm has not entered yet",
}

#: Relative slack for "at the stock", "at N_match" and "at the budget" (the optimizer meets its
#: bounds to rounding, ~1e-12; a model 1 ppm inside a bound is on it for every purpose here).
_AT_BOUND = 1e-6


@dataclass(frozen=True)
class RegimeState:
    """The regime and binding constraint of one decision."""

    regime: str
    binding: str


def at_the_stock(D: float, D_bar: float | None) -> bool:
    """Whether D raw tokens use the whole usable stock D_bar (None = unlimited: never)."""
    return D_bar is not None and D >= D_bar * (1.0 - _AT_BOUND)


def classify(N: float, D: float, *, D_bar: float | None, N_match: float, cost: float,
             max_spend: float | None) -> RegimeState:
    """Regime and binding constraint of a model of N parameters and D raw tokens.

    Args:
        N, D: the model (parameters, raw tokens).
        D_bar: the usable raw-token stock D_bar/rho_D (None = unlimited).
        N_match: N_match(D), parameters (docs/theory.md §4).
        cost: its training cost 6ND/E, dollars.
        max_spend: what the firm can finance, dollars (None = unlimited).
    """
    at_stock = at_the_stock(D, D_bar)
    regime = "compute-bound"
    if at_stock:
        regime = "capped" if N >= N_match * (1.0 - _AT_BOUND) else "data-bound"
    if max_spend is not None and cost >= max_spend * (1.0 - _AT_BOUND):
        binding = "budget"
    else:
        binding = "data" if at_stock else "none"
    return RegimeState(regime, binding)


class _Model(Protocol):
    """A model to train (:class:`marketsim.sim.strategies.Plan`): N parameters, D raw tokens."""

    N: float
    D: float


class _Deciding(Protocol):
    """What :func:`note_decision` reads and writes of a firm (a FirmAgent)."""

    model: Any
    alive: bool
    pending: Any
    regime: str
    binding: str
    decision: str

    @property
    def active(self) -> bool: ...

    @property
    def max_spend(self) -> float: ...


# -- changes over a run ---------------------------------------------------------------------------------

_ENTER_WALL = "from here training spend scales as D_bar^2/E, so cheaper hardware lowers spend and a larger stock raises it"


@dataclass(frozen=True)
class RegimeChange:
    """One firm moving from one regime (or binding constraint) to another at the start of ``year``."""

    year: float
    firm: str
    before: str
    after: str
    binding_before: str
    binding_after: str

    def text(self) -> str:
        """One line for the end of a run: when, who, what changed and what it means for spend."""
        who, b, a = self.firm, self.before, self.after
        if not b:  # the firm's first decision is already at the wall
            what = (f"{who} starts at the data wall with N at N_match(D_bar); {_ENTER_WALL}" if a == "capped" else
                    f"{who} starts at the data wall: it trains on the whole usable stock (D = D_bar) with N "
                    f"below N_match(D_bar)")
        elif a == b:  # only the budget changed
            what = (f"{who}'s budget binds: it trains what its cash, credit and equity can pay for"
                    if self.binding_after == "budget" else f"{who}'s budget no longer binds")
        elif a == "capped" and b == "compute-bound":
            what = f"{who} reaches the data wall with N at N_match(D_bar); {_ENTER_WALL}"
        elif a == "capped":
            what = (f"{who}'s model reaches N_match(D_bar), the compute-optimal size for the whole stock; "
                    f"{_ENTER_WALL}")
        elif a == "data-bound" and b == "compute-bound":
            what = (f"{who} reaches the data wall: it trains on the whole usable stock (D = D_bar) and chooses "
                    f"N below N_match(D_bar); spend now grows only through N, until N reaches N_match")
        elif a == "data-bound":
            what = (f"{who} stays at the data wall with N below N_match(D_bar): the stock grew faster than "
                    f"a model filling it pays for")
        else:
            what = f"{who} leaves the data wall: its optimal D is below the usable stock again; spend follows E"
        return f"{self.year:.2f}: {what}"


def regime_changes(firms: pd.DataFrame) -> list[RegimeChange]:
    """Every change of ``regime``, or of ``binding`` to or from ``budget``, per firm, in time order;
    a firm whose first decision is at the data wall counts as a change from "" (no regime yet).

    Uses the firms.csv columns ``year``, ``firm``, ``regime`` and ``binding``; rows with an empty
    regime (no decision yet) are skipped. A table without a ``regime`` column has no changes.
    """
    if firms.empty or "regime" not in firms.columns:
        return []
    changes: list[RegimeChange] = []
    rows = firms[firms["regime"].fillna("").astype(str) != ""]
    for name, group in rows.groupby("firm", sort=False):
        previous: tuple[str, str] | None = None
        for year, regime, binding in zip(group["year"], group["regime"], group["binding"].fillna("none")):
            now = (str(regime), str(binding))
            if previous is None and now[0] in DATA_WALL_REGIMES:
                previous = ("", "none")
            if previous is not None and (now[0] != previous[0] or (now[1] == "budget") != (previous[1] == "budget")):
                changes.append(RegimeChange(float(year), str(name), previous[0], now[0], previous[1], now[1]))
            previous = now
    return sorted(changes, key=lambda c: c.year)


def regime_lines(firms: pd.DataFrame) -> list[str]:
    """One line per regime change (:meth:`RegimeChange.text`), in time order."""
    return [change.text() for change in regime_changes(firms)]


def count_data_bound(regimes: Sequence[str]) -> int:
    """How many of these regimes are at the data wall (data-bound or capped)."""
    return sum(r in DATA_WALL_REGIMES for r in regimes)


def data_bound_years(years: Sequence[float] | np.ndarray, at_wall: Sequence[bool] | np.ndarray,
                     period: float | None = None) -> list[tuple[float, float]]:
    """Calendar-year spans [start, end) of consecutive periods flagged ``at_wall``.

    ``years`` are the periods' start years in order; a span ends where the next period starts
    (the last one a ``period`` later; default: the spacing of the first two periods, else 1 year).
    """
    y = np.asarray(years, dtype=float)
    flags = np.asarray(at_wall, dtype=bool)
    if y.size == 0:
        return []
    if period is None:
        period = float(y[1] - y[0]) if y.size > 1 else 1.0
    ends = np.append(y[1:], y[-1] + period)
    spans: list[tuple[float, float]] = []
    for start, end, flag in zip(y, ends, flags):
        if not flag:
            continue
        if spans and abs(spans[-1][1] - start) < 1e-9:
            spans[-1] = (spans[-1][0], float(end))
        else:
            spans.append((float(start), float(end)))
    return spans


# -- the firm's record (FirmAgent.decide calls these) ----------------------------------------------------

def idle_decision(firm: _Deciding) -> str:
    """The decision text of a period in which the firm does not decide."""
    if not firm.alive:
        return EXITED
    if not firm.active:
        return NOT_ENTERED
    return IN_TRAINING if firm.pending is not None else NOT_DUE


def note_decision(firm: _Deciding, decision: str, plan: _Model | None, cost: float | None = None) -> None:
    """Record ``decision`` on the firm and, when it concerns a model ``plan`` (trained, or the best
    one considered), the regime and binding constraint of that model (:func:`classify`).

    ``cost``: what the firm pays for ``plan``, dollars (default 6ND/E at today's E). Without a
    plan the firm keeps the regime of its previous decision.
    """
    firm.decision = decision
    if plan is None:
        return
    model = firm.model
    state = model.state
    if cost is None:
        cost = float(training_cost(plan.N, plan.D, state.E))
    found = classify(plan.N, plan.D, D_bar=model.raw_data_cap(),
                     N_match=float(model.law.n_match(plan.D, **state.efficiencies)), cost=cost,
                     max_spend=firm.max_spend)
    firm.regime = found.regime
    firm.binding = "budget" if decision == NO_BUDGET else found.binding


def note_exit(firm: _Deciding, reason: str) -> None:
    """Record on a firm that left the market this period, after it decided, why it left: the
    period's decision becomes ``exited: <reason>`` (``reason`` as firms.csv ``exit_reason``), so
    the row of the exit period says so even when it is the firm's last row."""
    firm.decision = f"{EXITED}: {reason}"
