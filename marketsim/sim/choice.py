"""Consumer choice among the released models: the offers and the pure functions of the logit choice.

A consumer holds a threshold tau on reducible loss R (nats per token; lower R = better model) and
only considers models with ``R <= tau`` (docs/theory.md §10, step 3). Among the qualifying models it
chooses by logit on the utility (in ln-R units)

    u_ij = -ln(R_j) - price_sensitivity * p_adj_j - switching_cost * [i uses another offered firm]
    u_i0 = -ln(R_front) + outside_option            (the outside option: buy nothing)

with p_adj_j the QUALITY-ADJUSTED price (reference dollars per period, docs/theory.md "Prices")
and R_front the best R on sale. The probabilities ``softmax(u_ij / lam)`` run over the qualifying j
and, when :attr:`Offers.outside_option` is set, the outside option (a consumer who qualifies for
any model qualifies for it); the choice is drawn by inverse CDF from one uniform ``u_i`` per
consumer per period. ``choice = -1`` means "uses no model"; it carries no switching cost, and
neither does a firm that is no longer on offer (its customers choose afresh), nor leaving for the
outside option.

Both consumer forms of :mod:`marketsim.sim.consumers` use :func:`qualifying`,
:func:`choice_utilities`, :func:`logit_probabilities` and :func:`draw_choices`, so their arithmetic
is literally the same code; :class:`ChoiceTable` holds the (K + 1)**2 distinct probability rows of
a period for the vectorised form.

Reductions over the K offers are written as explicit loops over columns rather than ``np.sum`` /
``np.cumsum`` on an axis, because numpy may sum a (1, K) row and a (m, K) block in a different
order; a fixed order keeps the two forms bit-for-bit identical. The (n, K) arrays are column-major
so that each of those column operations runs over contiguous memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from marketsim.economics.checks import require_positive, show

__all__ = ["NO_CHOICE", "Offers", "ChoiceTable", "qualifying", "choice_utilities", "logit_probabilities",
           "draw_choices", "check_choice_params"]

NO_CHOICE = -1

_COUNT_DTYPE = np.int16
"""Counts of offers per consumer (K < 32768); numpy adds bools to a small int much faster than to int64."""

_LOG_NEGLIGIBLE = -700.0
"""Weights below exp(-700) ~ 1e-304 of the best model's are set to exactly 0: they vanish next to the
best model's weight 1 in double precision, and numpy's exp is ~30x slower in that denormal range."""


def _as_1d(name: str, values: ArrayLike, dtype: type) -> np.ndarray:
    arr = np.ascontiguousarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"Offers.{name}: must be one-dimensional, got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class Offers:
    """The released models on offer this period (K may be 0).

    Attributes:
        firm_ids: (K,) int64, the offering firms' mesa ``unique_id`` (distinct, >= 0).
        R: (K,) float64, reducible loss of each model, nats per token (finite, > 0).
        price: (K,) float64, the PAID price, dollars per adopter per period (finite, >= 0).
        price_adj: (K,) float64, quality-adjusted price, reference dollars per adopter per period
            (what utility subtracts); default: ``price``.
        value_factor: (K,) float64, dollars per reference dollar for each model, (R_ref / R_j)^kappa,
            so ``price = price_adj * value_factor``; default: ones.
        outside_option: utility of buying nothing above the best model on sale at price 0, ln-R
            units (u_0 = -ln R_front + outside_option); None: no outside option (every consumer
            who qualifies for a model uses one).
    """

    firm_ids: np.ndarray
    R: np.ndarray
    price: np.ndarray
    price_adj: np.ndarray | None = None
    value_factor: np.ndarray | None = None
    outside_option: float | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.firm_ids)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"Offers.firm_ids = {self.firm_ids!r}: must be integers (firm unique_id)")
        ids = _as_1d("firm_ids", ids, np.int64)
        R = _as_1d("R", self.R, np.float64)
        price = _as_1d("price", self.price, np.float64)
        if not len(ids) == len(R) == len(price):
            raise ValueError(f"Offers: firm_ids, R and price must have equal lengths, got "
                             f"{len(ids)}, {len(R)} and {len(price)}")
        if np.any(ids < 0) or len(np.unique(ids)) != len(ids):
            raise ValueError(f"Offers.firm_ids = {ids.tolist()}: must be distinct integers >= 0")
        if not np.all(np.isfinite(R) & (R > 0)):
            raise ValueError(f"Offers.R = {R.tolist()}: every entry must be finite and > 0 (nats/token)")
        if not np.all(np.isfinite(price) & (price >= 0)):
            raise ValueError(f"Offers.price = {price.tolist()}: every entry must be finite and >= 0 "
                             "(dollars)")
        price_adj = price if self.price_adj is None else _as_1d("price_adj", self.price_adj, np.float64)
        factor = np.ones(len(R)) if self.value_factor is None else _as_1d("value_factor", self.value_factor,
                                                                            np.float64)
        if not (len(price_adj) == len(factor) == len(R)):
            raise ValueError(f"Offers: price_adj and value_factor must have length {len(R)}, got "
                             f"{len(price_adj)} and {len(factor)}")
        if not np.all(np.isfinite(factor) & (factor > 0)):
            raise ValueError(f"Offers.value_factor = {factor.tolist()}: every entry must be finite and > 0")
        if not np.allclose(price, price_adj * factor, rtol=1e-9, atol=0.0):
            raise ValueError(f"Offers: price = {price.tolist()} must equal price_adj x value_factor = "
                             f"{(price_adj * factor).tolist()} (dollars per adopter per period)")
        if self.outside_option is not None and not np.isfinite(self.outside_option):
            raise ValueError(f"Offers.outside_option = {self.outside_option!r}: must be finite (ln-R units) or None")
        # frozen dataclass: store the validated, contiguous copies
        object.__setattr__(self, "firm_ids", ids)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "price_adj", price_adj)
        object.__setattr__(self, "value_factor", factor)

    @classmethod
    def none(cls) -> "Offers":
        """No model on offer (K = 0)."""
        return cls(np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))

    @property
    def choice_ids(self) -> np.ndarray:
        """(K,) or (K + 1,) int64: the ids of the columns of the choice probabilities: the firm ids,
        then :data:`NO_CHOICE` for the outside option when there is one."""
        if self.outside_option is None:
            return self.firm_ids
        return np.append(self.firm_ids, NO_CHOICE)

    def with_outside(self, utilities: np.ndarray, qualifies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, K [+ 1]) utilities and qualifying flags with the outside option appended as the last
        column (unchanged without one). A consumer qualifies for the outside option exactly when it
        qualifies for some model (the best model on sale), so a consumer qualifying for none still
        has an all-zero probability row."""
        if self.outside_option is None:
            return utilities, qualifies
        n, K = utilities.shape
        u0 = -np.log(self.R.min()) + self.outside_option if K else 0.0
        util = np.empty((n, K + 1), dtype=np.float64, order="F")
        util[:, :K] = utilities
        util[:, K] = u0
        qual = np.zeros((n, K + 1), dtype=bool, order="F")
        qual[:, :K] = qualifies
        for j in range(K):
            qual[:, K] |= qualifies[:, j]
        return util, qual

    def __len__(self) -> int:
        return len(self.firm_ids)

    def positions(self, choice: np.ndarray) -> np.ndarray:
        """(n,) int64 position in this offer list of each chosen firm id; -1 for no choice or for a
        firm that is not on offer."""
        choice = np.asarray(choice, dtype=np.int64)
        if len(self.firm_ids) == 0:
            return np.full(choice.shape, NO_CHOICE, dtype=np.int64)
        # A lookup table indexed by firm id + 1 (ids are small: mesa unique_ids), one gather for the
        # whole population; ids above the largest offered one land on the table's last slot (-1).
        top = int(self.firm_ids.max())
        table = np.full(top + 3, NO_CHOICE, dtype=np.int64)
        table[self.firm_ids + 1] = np.arange(len(self.firm_ids))
        return table[np.minimum(choice, top + 1) + 1]

    def index_of(self, choice: np.ndarray) -> np.ndarray:
        """Like :meth:`positions`, but a choice naming a firm not on offer (a stale choice) raises
        ValueError."""
        idx = self.positions(choice)
        stale = (idx == NO_CHOICE) & (choice != NO_CHOICE)
        if np.any(stale):
            raise ValueError(f"consumer choices name firm ids {np.unique(choice[stale]).tolist()} that are "
                             f"not in Offers.firm_ids = {self.firm_ids.tolist()}; call choose() first")
        return idx


def _check_lam(lam: float) -> None:
    require_positive("logit lam", lam, unit="ln-R units")


def qualifying(tau: np.ndarray, R: np.ndarray) -> np.ndarray:
    """(n, K) bool: consumer i would use model j at all, i.e. ``R_j <= tau_i`` (both in nats/token)."""
    # built as the transpose of a (K, n) array so each offer's column is contiguous
    return (R[:, np.newaxis] <= tau[np.newaxis, :]).T


def choice_utilities(
    R: np.ndarray,
    price: np.ndarray,
    current_choice: np.ndarray,
    firm_ids: np.ndarray,
    price_sensitivity: float,
    switching_cost: float,
) -> np.ndarray:
    """(n, K) utilities u_ij in ln-R units.

    Args:
        R: (K,) reducible loss of each offered model, nats per token.
        price: (K,) quality-adjusted price (Offers.price_adj), reference dollars per adopter per period.
        current_choice: (n,) firm id each consumer used last period, or -1.
        firm_ids: (K,) firm id of each offer.
        price_sensitivity: ln-R units per dollar.
        switching_cost: ln-R units, charged for leaving a firm that is still on offer.
    """
    base = -np.log(R) - price_sensitivity * price
    util = np.empty((len(current_choice), len(R)), dtype=np.float64, order="F")
    if switching_cost == 0:
        util[:] = base
        return util
    # a customer of a firm that left pays nothing to move: it chooses afresh
    stays_offered = np.zeros(len(current_choice), dtype=bool)
    for fid in firm_ids:
        stays_offered |= current_choice == fid
    for j, fid in enumerate(firm_ids):
        leaves = stays_offered & (current_choice != fid)
        util[:, j] = np.where(leaves, base[j] - switching_cost, base[j])
    return util


def logit_probabilities(utilities: np.ndarray, qualifies: np.ndarray, lam: float) -> np.ndarray:
    """(n, K) choice probabilities ``softmax(u / lam)`` over each row's qualifying entries.

    Numerically stable: the row maximum over qualifying entries is subtracted before exponentiating,
    so the best model always has weight 1; weights below exp(-700) count as 0. Rows with nothing
    qualifying are all zeros.

    Args:
        utilities: (n, K) utilities in ln-R units.
        qualifies: (n, K) bool, ``R_j <= tau_i``.
        lam: logit temperature in ln-R units (> 0; small = pick the best almost surely).
    """
    _check_lam(lam)
    n, K = utilities.shape
    best = np.full(n, -np.inf)
    for j in range(K):
        np.maximum(best, np.where(qualifies[:, j], utilities[:, j], -np.inf), out=best)
    # rows with nothing qualifying: any finite shift keeps (-inf - shift) = -inf -> weight 0
    best[np.isneginf(best)] = 0.0
    weights = np.empty((n, K), dtype=np.float64, order="F")
    total = np.zeros(n, dtype=np.float64)
    for j in range(K):
        with np.errstate(over="ignore"):  # a tiny lam may send z to -inf; that weight is 0 anyway
            z = (utilities[:, j] - best) / lam
        keep = qualifies[:, j] & (z > _LOG_NEGLIGIBLE)
        np.multiply(np.exp(np.where(keep, z, 0.0)), keep, out=weights[:, j])
        total += weights[:, j]  # a fixed left-to-right order (see the module docstring)
    total[total == 0] = 1.0  # empty rows stay all zeros
    for j in range(K):
        weights[:, j] /= total
    return weights


def draw_choices(probs: np.ndarray, u: np.ndarray, firm_ids: np.ndarray) -> np.ndarray:
    """(n,) int64 chosen firm id per consumer (-1 if its row has no probability mass), by inverse CDF.

    Consumer i takes the first offer whose cumulative probability exceeds ``u_i * total_i``. An
    offer with zero probability is never taken, and the draw cannot run off the end: the last
    cumulative sum is ``total_i`` itself (the same additions in the same order), and for u < 1 the
    rounded product ``u_i * total_i`` is always below a normal ``total_i``.

    Args:
        probs: (n, K) choice probabilities (rows sum to 1, or are all zero).
        u: (n,) uniforms in [0, 1), one per consumer.
        firm_ids: (K,) firm id of each offer.
    """
    if len(u) and not (np.min(u) >= 0.0 and np.max(u) < 1.0):
        raise ValueError(f"draw_choices: u must lie in [0, 1), got values in "
                         f"[{show(np.min(u))}, {show(np.max(u))}]")
    n, K = probs.shape
    total = np.zeros(n, dtype=np.float64)
    for j in range(K):
        total += probs[:, j]
    target = u * total
    cum = np.zeros(n, dtype=np.float64)
    picked = np.zeros(n, dtype=_COUNT_DTYPE)  # ends at K only for an empty row: no choice
    for j in range(K):
        cum += probs[:, j]
        np.add(picked, cum <= target, out=picked, casting="unsafe")  # bool -> count, no int64 temp
    return np.append(firm_ids, NO_CHOICE).astype(np.int64)[picked]


@dataclass(frozen=True)
class ChoiceTable:
    """Choice probabilities of every kind of consumer this period.

    A consumer's probability row depends only on which offers qualify and on its current firm.
    Qualifying sets are nested by R: a consumer whose threshold clears ``level`` of the sorted R
    values qualifies exactly the offers with ``R_j <= R_sorted[level - 1]``. So there are only
    (K + 1) levels x (K + 1) current states (none/departed, or offer 0..K-1), and the population
    looks each consumer's row up instead of recomputing it. Each row is computed by the same pure
    functions, on the same inputs, as a lone :class:`ConsumerAgent` computes its own.
    """

    R_sorted: np.ndarray
    probs: np.ndarray  # ((K + 1)**2, K [+ 1 outside option]), row = level * (K + 1) + current position + 1
    ids: np.ndarray  # id of each column of probs (Offers.choice_ids)

    @classmethod
    def build(cls, offers: Offers, lam: float, price_sensitivity: float,
              switching_cost: float) -> "ChoiceTable":
        K = len(offers)
        R_sorted = np.sort(offers.R)
        # the representative threshold of level 0 is below every R (R > 0): nothing qualifies
        level_tau = np.concatenate(([0.0], R_sorted))
        levels = np.repeat(np.arange(K + 1), K + 1)
        current_pos = np.tile(np.arange(-1, K), K + 1)
        current = np.where(current_pos >= 0, offers.firm_ids[np.maximum(current_pos, 0)], NO_CHOICE)
        util = choice_utilities(offers.R, offers.price_adj, current, offers.firm_ids, price_sensitivity,
                                switching_cost)
        util, qual = offers.with_outside(util, qualifying(level_tau[levels], offers.R))
        return cls(R_sorted, logit_probabilities(util, qual, lam), offers.choice_ids)

    def rows(self, tau: np.ndarray, current_pos: np.ndarray) -> np.ndarray:
        """(n,) table row of each consumer, from its threshold and its current offer position."""
        level = np.zeros(len(tau), dtype=_COUNT_DTYPE)  # #{j: R_j <= tau}
        for r in self.R_sorted:
            np.add(level, r <= tau, out=level, casting="unsafe")
        return level.astype(np.intp) * (len(self.R_sorted) + 1) + current_pos + 1


def check_choice_params(lam: float, price_sensitivity: float, switching_cost: float) -> None:
    """Raise ValueError unless lam > 0 and price_sensitivity, switching_cost >= 0 (all finite)."""
    _check_lam(lam)
    require_positive("price_sensitivity", price_sensitivity, allow_zero=True)
    require_positive("switching_cost", switching_cost, allow_zero=True)
