"""Consumers: who adopts which released model each period, in two forms that agree exactly.

A consumer holds a threshold tau on reducible loss R (nats per token; lower R = better model) and
only considers models with ``R <= tau`` (docs/theory.md §10, step 3). Among the qualifying models it
chooses by logit on the utility (in ln-R units)

    u_ij = -ln(R_j) - price_sensitivity * price_j - switching_cost * [i uses another offered firm]

with probabilities ``softmax(u_ij / lam)`` over the qualifying j, drawn by inverse CDF from one
uniform ``u_i`` per consumer per period. ``choice = -1`` means "uses no model"; it carries no
switching cost, and neither does a firm that is no longer on offer (its customers choose afresh).

Two forms share the pure functions :func:`qualifying`, :func:`choice_utilities`,
:func:`logit_probabilities` and :func:`draw_choices`, so their arithmetic is literally the same code:

- :class:`ConsumerAgent` (one ``mesa.Agent`` each): readable, for small runs and as the reference in
  tests.
- :class:`ConsumerPopulation` (numpy arrays): 1e5-1e7 consumers. A consumer's probability row
  depends only on how many offers its threshold clears and on its current firm, so the population
  computes the (K + 1)**2 distinct rows once per period with those functions, looks each consumer's
  row up, and draws with :func:`draw_choices`, in chunks so that no (n, K) array of the whole
  population ever exists.

Reductions over the K offers are written as explicit loops over columns rather than ``np.sum`` /
``np.cumsum`` on an axis, because numpy may sum a (1, K) row and a (m, K) block in a different
order; a fixed order keeps the two forms bit-for-bit identical. The (n, K) arrays are column-major
so that each of those column operations runs over contiguous memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
from numpy.typing import ArrayLike

NO_CHOICE = -1
"""Value of ``choice`` for a consumer using no model."""

CHUNK_SIZE = 2**16
"""Consumers processed per block (assumption, measured: with K = 5 offers a (chunk, K) float64 block
is 2.6 MB, so a block's temporaries stay in cache and far below the 300 MB budget of
docs/architecture.md §7, while the Python overhead per block is already negligible; 2**18 was ~40% slower)."""


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
        price: (K,) float64, dollars per adopter per period (finite, >= 0).
    """

    firm_ids: np.ndarray
    R: np.ndarray
    price: np.ndarray

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
        # frozen dataclass: store the validated, contiguous copies
        object.__setattr__(self, "firm_ids", ids)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "price", price)

    @classmethod
    def none(cls) -> "Offers":
        """No model on offer (K = 0)."""
        return cls(np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))

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


def _show(value: Any) -> str:
    """repr of a value for an error message, with numpy scalars shown as plain Python numbers."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_lam(lam: float) -> None:
    if not (np.isfinite(lam) and lam > 0):
        raise ValueError(f"logit lam = {_show(lam)}: must be a finite number > 0 (ln-R units)")


def _check_nonneg(name: str, value: float) -> None:
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} = {_show(value)}: must be a finite number >= 0")


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
        price: (K,) dollars per adopter per period.
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
                         f"[{_show(np.min(u))}, {_show(np.max(u))}]")
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
class _ChoiceTable:
    """Choice probabilities of every kind of consumer this period.

    A consumer's probability row depends only on which offers qualify and on its current firm.
    Qualifying sets are nested by R: a consumer whose threshold clears ``level`` of the sorted R
    values qualifies exactly the offers with ``R_j <= R_sorted[level - 1]``. So there are only
    (K + 1) levels x (K + 1) current states (none/departed, or offer 0..K-1), and the population
    looks each consumer's row up instead of recomputing it. Each row is computed by the same pure
    functions, on the same inputs, as a lone :class:`ConsumerAgent` computes its own.
    """

    R_sorted: np.ndarray
    probs: np.ndarray  # ((K + 1)**2, K), row = level * (K + 1) + current position + 1

    @classmethod
    def build(cls, offers: Offers, lam: float, price_sensitivity: float,
              switching_cost: float) -> "_ChoiceTable":
        K = len(offers)
        R_sorted = np.sort(offers.R)
        # the representative threshold of level 0 is below every R (R > 0): nothing qualifies
        level_tau = np.concatenate(([0.0], R_sorted))
        levels = np.repeat(np.arange(K + 1), K + 1)
        current_pos = np.tile(np.arange(-1, K), K + 1)
        current = np.where(current_pos >= 0, offers.firm_ids[np.maximum(current_pos, 0)], NO_CHOICE)
        util = choice_utilities(offers.R, offers.price, current, offers.firm_ids, price_sensitivity,
                                switching_cost)
        return cls(R_sorted, logit_probabilities(util, qualifying(level_tau[levels], offers.R), lam))

    def rows(self, tau: np.ndarray, current_pos: np.ndarray) -> np.ndarray:
        """(n,) table row of each consumer, from its threshold and its current offer position."""
        level = np.zeros(len(tau), dtype=_COUNT_DTYPE)  # #{j: R_j <= tau}
        for r in self.R_sorted:
            np.add(level, r <= tau, out=level, casting="unsafe")
        return level.astype(np.intp) * (len(self.R_sorted) + 1) + current_pos + 1


def _check_choice_params(lam: float, price_sensitivity: float, switching_cost: float) -> None:
    _check_lam(lam)
    _check_nonneg("price_sensitivity", price_sensitivity)
    _check_nonneg("switching_cost", switching_cost)


def _surplus_terms(log_tau: np.ndarray, R: np.ndarray, price: np.ndarray,
                   price_sensitivity: float) -> float:
    """Sum of ``ln(tau / R) / price_sensitivity - price`` in dollars (price_sensitivity > 0)."""
    return float(np.sum((log_tau - np.log(R)) / price_sensitivity - price))


class ConsumerPopulation:
    """All simulated consumers as numpy arrays (for 1e5-1e7 consumers).

    Attributes:
        tau: (n,) float64 thresholds on reducible loss, nats per token.
        choice: (n,) int64 firm id each consumer uses, -1 for none (initially all -1).
        chunk_size: consumers processed per block.
    """

    def __init__(self, thresholds: ArrayLike, chunk_size: int = CHUNK_SIZE) -> None:
        """Args:
            thresholds: (n,) thresholds tau on reducible loss, nats per token (finite, > 0).
            chunk_size: consumers per block (> 0); bounds the (block, K) temporaries.
        """
        tau = np.array(thresholds, dtype=np.float64)  # a private copy: the caller's array may change
        if tau.ndim != 1:
            raise ValueError(f"ConsumerPopulation thresholds: must be one-dimensional, got shape {tau.shape}")
        bad = ~(np.isfinite(tau) & (tau > 0))
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(f"ConsumerPopulation thresholds[{i}] = {_show(tau[i])}: must be finite and > 0 "
                             "(nats/token)")
        if not (isinstance(chunk_size, (int, np.integer)) and chunk_size > 0):
            raise ValueError(f"ConsumerPopulation chunk_size = {_show(chunk_size)}: must be an integer > 0")
        self.tau = tau
        self.choice = np.full(len(tau), NO_CHOICE, dtype=np.int64)
        self.chunk_size = int(chunk_size)
        # surplus needs ln(tau) every period; thresholds never change, so take the log once
        self._log_tau = np.log(tau)

    def __len__(self) -> int:
        return len(self.tau)

    def _blocks(self) -> range:
        return range(0, len(self.tau), self.chunk_size)

    def choose(self, offers: Offers, u: np.ndarray, lam: float, price_sensitivity: float,
               switching_cost: float) -> None:
        """Every consumer re-chooses among ``offers`` (updates ``choice`` in place).

        Args:
            offers: the released models this period.
            u: (n,) uniforms in [0, 1), one per consumer (``model.rng.random(n)``).
            lam: logit temperature, ln-R units (> 0).
            price_sensitivity: ln-R units per dollar (>= 0).
            switching_cost: ln-R units (>= 0).
        """
        _check_choice_params(lam, price_sensitivity, switching_cost)
        u = np.asarray(u, dtype=np.float64)
        if u.shape != self.tau.shape:
            raise ValueError(f"ConsumerPopulation.choose: u has shape {u.shape}, expected {self.tau.shape}")
        if len(offers) == 0:
            self.choice.fill(NO_CHOICE)
            return
        table = _ChoiceTable.build(offers, lam, price_sensitivity, switching_cost)
        for start in self._blocks():
            block = slice(start, start + self.chunk_size)
            rows = table.rows(self.tau[block], offers.positions(self.choice[block]))
            self.choice[block] = draw_choices(np.take(table.probs, rows, axis=0), u[block], offers.firm_ids)

    def counts(self, firm_ids: ArrayLike) -> np.ndarray:
        """(K,) int64 number of consumers using each firm in ``firm_ids`` (0 for unknown ids)."""
        ids = np.asarray(firm_ids, dtype=np.int64).ravel()
        return np.array([np.count_nonzero(self.choice == fid) for fid in ids], dtype=np.int64)

    def adopters(self) -> int:
        """Number of consumers using any model."""
        return int(np.count_nonzero(self.choice != NO_CHOICE))

    def surplus(self, offers: Offers, price_sensitivity: float) -> float:
        """Consumer surplus this period, dollars: sum over adopters of
        ``ln(tau_i / R_chosen) / price_sensitivity - price_chosen`` (per simulated consumer, summed).

        NaN when price_sensitivity is 0 (utility then has no dollar equivalent). Raises ValueError if
        a consumer's choice is not in ``offers``.
        """
        _check_nonneg("price_sensitivity", price_sensitivity)
        if price_sensitivity == 0:
            return float("nan")
        # The sum splits into a part over consumers (ln tau) and a part over firms (counts x
        # (ln R / price_sensitivity + price)): one pass over the population instead of a lookup each.
        using = self.choice != NO_CHOICE
        counts = self.counts(offers.firm_ids)
        if counts.sum() != np.count_nonzero(using):
            offers.index_of(self.choice)  # raises, naming the stale firm ids
        log_tau_sum = float(np.sum(self._log_tau, where=using))
        per_firm = np.log(offers.R) / price_sensitivity + offers.price
        return log_tau_sum / price_sensitivity - float(np.dot(counts, per_firm))


class ConsumerAgent(mesa.Agent):
    """One consumer as a mesa Agent: the readable reference form of :class:`ConsumerPopulation`.

    Attributes:
        tau: threshold on reducible loss, nats per token.
        choice: firm id in use, or -1.
        index: this consumer's position in the per-period uniform draw ``u``.
    """

    def __init__(self, model: mesa.Model, tau: float, index: int) -> None:
        """Args:
            model: the mesa model holding the agent.
            tau: threshold on reducible loss, nats per token (finite, > 0).
            index: position in the per-period uniform vector u (>= 0).
        """
        super().__init__(model)
        tau = float(tau)
        if not (np.isfinite(tau) and tau > 0):
            raise ValueError(f"ConsumerAgent tau = {tau!r}: must be finite and > 0 (nats/token)")
        if int(index) < 0:
            raise ValueError(f"ConsumerAgent index = {_show(index)}: must be an integer >= 0")
        self.tau = tau
        self.index = int(index)
        self.choice = NO_CHOICE

    def choose(self, offers: Offers, u: np.ndarray, lam: float, price_sensitivity: float,
               switching_cost: float) -> None:
        """Re-choose among ``offers`` using the uniform ``u[self.index]`` (units as in
        :meth:`ConsumerPopulation.choose`)."""
        _check_choice_params(lam, price_sensitivity, switching_cost)
        util = choice_utilities(offers.R, offers.price, np.array([self.choice], dtype=np.int64),
                                offers.firm_ids, price_sensitivity, switching_cost)
        probs = logit_probabilities(util, qualifying(np.array([self.tau]), offers.R), lam)
        u_mine = np.asarray(u, dtype=np.float64)[self.index:self.index + 1]
        self.choice = int(draw_choices(probs, u_mine, offers.firm_ids)[0])

    def surplus(self, offers: Offers, price_sensitivity: float) -> float:
        """This consumer's surplus this period, dollars: ``ln(tau / R_chosen) / price_sensitivity -
        price_chosen``; 0 if it uses no model, NaN if price_sensitivity is 0."""
        _check_nonneg("price_sensitivity", price_sensitivity)
        if self.choice == NO_CHOICE:
            return 0.0 if price_sensitivity > 0 else float("nan")
        k = offers.index_of(np.array([self.choice], dtype=np.int64))
        return _surplus_terms(np.log(np.array([self.tau])), offers.R[k], offers.price[k], price_sensitivity)


def sample_thresholds(rng: np.random.Generator, n: int, dist: Any) -> np.ndarray:
    """(n,) float64 thresholds tau on reducible loss (nats per token) drawn from a frozen
    scipy.stats distribution, e.g. ``marketsim.economics.demand.threshold_distribution(...)``.

    Args:
        rng: the model's numpy Generator (``model.rng``), so runs are reproducible.
        n: number of simulated consumers (>= 0).
        dist: frozen scipy.stats distribution with ``rvs(size=, random_state=)``.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"sample_thresholds n = {_show(n)}: must be an integer >= 0")
    if not hasattr(dist, "rvs"):
        raise ValueError(f"sample_thresholds dist = {dist!r}: must be a frozen scipy.stats distribution")
    return np.asarray(dist.rvs(size=int(n), random_state=rng), dtype=np.float64).reshape(int(n))
