"""Consumers: who adopts which released model each period, in two forms that agree exactly.

Every form is a :class:`ConsumerMarket` (``choose``, ``counts``, ``surplus``, ``choice``), so the
model never asks which one it holds. The choice itself (thresholds, logit on quality, price and
switching cost) is :mod:`marketsim.sim.choice`, shared by both forms:

- :class:`AgentConsumers`: one :class:`ConsumerAgent` (a ``mesa.Agent``) each; readable, for small
  runs and as the reference in tests.
- :class:`ConsumerPopulation` (numpy arrays): 1e5-1e7 consumers. A consumer's probability row
  depends only on how many offers its threshold clears and on its current firm, so the population
  computes the (K + 1)**2 distinct rows once per period (:class:`~marketsim.sim.choice.ChoiceTable`),
  looks each consumer's row up, and draws with :func:`~marketsim.sim.choice.draw_choices`, in
  chunks so that no (n, K) array of the whole population ever exists.

Money in dollars, thresholds and R in nats per token, utilities in ln-R units.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import mesa
import numpy as np
from numpy.typing import ArrayLike

from marketsim.economics.checks import is_real, require_positive, show
from marketsim.sim.choice import (NO_CHOICE, ChoiceTable, Offers, check_choice_params, choice_utilities,
                                  draw_choices, logit_probabilities, qualifying)

__all__ = ["CHUNK_SIZE", "NO_CHOICE", "Offers", "ConsumerMarket", "ConsumerMode", "ConsumerPopulation",
           "ConsumerAgent", "AgentConsumers", "aware_count", "make_consumers", "sample_thresholds"]

ConsumerMode = Literal["vectorised", "agents"]

CHUNK_SIZE = 2**16
"""Consumers processed per block (assumption, measured: with K = 5 offers a (chunk, K) float64 block
is 2.6 MB, so a block's temporaries stay in cache and far below the 300 MB budget of
docs/architecture.md §7, while the Python overhead per block is already negligible; 2**18 was ~40% slower)."""


@runtime_checkable
class ConsumerMarket(Protocol):
    """The simulated consumers, whatever their form.

    Attributes:
        choice: (n,) int64 firm id each consumer uses, -1 for none.
    """

    @property
    def choice(self) -> np.ndarray: ...

    def choose(self, offers: Offers, u: np.ndarray, lam: float, price_sensitivity: float,
               switching_cost: float, aware: int | None = None) -> None:
        """Every consumer re-chooses among ``offers`` with its uniform in ``u`` (ln-R units; lam > 0);
        only the first ``aware`` consumers can adopt (None: all; :func:`aware_count`)."""

    def counts(self, firm_ids: ArrayLike) -> np.ndarray:
        """(K,) int64 number of consumers using each firm in ``firm_ids``."""

    def surplus(self, offers: Offers, price_sensitivity: float) -> float:
        """Consumer surplus this period summed over simulated consumers, dollars (NaN if price_sensitivity is 0)."""


def _fallback_log(offers: Offers, log_tau: np.ndarray) -> np.ndarray:
    """ln of the loss a consumer falls back to, per consumer: with an outside option its utility in
    ln-R units, ln R_front - outside_option (the same for everyone); without one, the threshold
    ln tau (a model at the threshold is worth nothing)."""
    if offers.outside_option is None:
        return log_tau
    return np.full(len(log_tau), float(np.log(offers.R.min())) - offers.outside_option)


def _surplus_terms(fallback: np.ndarray, R: np.ndarray, price: np.ndarray, value_factor: np.ndarray,
                   price_sensitivity: float) -> float:
    """Sum of ``value_factor * (fallback - ln R) / price_sensitivity - price`` in dollars (price_sensitivity > 0)."""
    return float(np.sum(value_factor * (fallback - np.log(R)) / price_sensitivity - price))


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
            raise ValueError(f"ConsumerPopulation thresholds[{i}] = {show(tau[i])}: must be finite and > 0 "
                             "(nats/token)")
        if not (isinstance(chunk_size, (int, np.integer)) and chunk_size > 0):
            raise ValueError(f"ConsumerPopulation chunk_size = {show(chunk_size)}: must be an integer > 0")
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
               switching_cost: float, aware: int | None = None) -> None:
        """Every consumer re-chooses among ``offers`` (updates ``choice`` in place).

        Args:
            offers: the released models this period.
            u: (n,) uniforms in [0, 1), one per consumer (``model.rng.random(n)``).
            lam: logit temperature, ln-R units (> 0).
            price_sensitivity: ln-R units per dollar (>= 0).
            switching_cost: ln-R units (>= 0).
            aware: consumers who know the product: the first ``aware`` can adopt, the others use
                nothing (None: all; thresholds are drawn independently, so the first ones are a
                random sample).
        """
        check_choice_params(lam, price_sensitivity, switching_cost)
        u = np.asarray(u, dtype=np.float64)
        if u.shape != self.tau.shape:
            raise ValueError(f"ConsumerPopulation.choose: u has shape {u.shape}, expected {self.tau.shape}")
        n_aware = _check_aware(aware, len(self.tau))
        self.choice[n_aware:] = NO_CHOICE
        if len(offers) == 0:
            self.choice.fill(NO_CHOICE)
            return
        table = ChoiceTable.build(offers, lam, price_sensitivity, switching_cost)
        for start in range(0, n_aware, self.chunk_size):
            block = slice(start, min(start + self.chunk_size, n_aware))
            rows = table.rows(self.tau[block], offers.positions(self.choice[block]))
            self.choice[block] = draw_choices(np.take(table.probs, rows, axis=0), u[block], table.ids)

    def counts(self, firm_ids: ArrayLike) -> np.ndarray:
        """(K,) int64 number of consumers using each firm in ``firm_ids`` (0 for unknown ids)."""
        ids = np.asarray(firm_ids, dtype=np.int64).ravel()
        return np.array([np.count_nonzero(self.choice == fid) for fid in ids], dtype=np.int64)

    def adopters(self) -> int:
        """Number of consumers using any model."""
        return int(np.count_nonzero(self.choice != NO_CHOICE))

    def surplus(self, offers: Offers, price_sensitivity: float) -> float:
        """Consumer surplus this period, dollars: sum over adopters of
        ``f_j (a_i - ln R_j) / price_sensitivity - p_j`` with j the chosen model, f_j its
        :attr:`~Offers.value_factor` (R_ref / R_j)^kappa, p_j = f_j p_adj_j its paid price and a_i
        what the consumer falls back to: ln R_front - outside_option with an outside option (so the
        surplus is the utility gain over buying nothing, u_ij - u_i0 without switching cost, in the
        chosen model's dollars), else ln tau_i (per simulated consumer, summed; docs/theory.md §11).

        NaN when price_sensitivity is 0 (utility then has no dollar equivalent). Raises ValueError if
        a consumer's choice is not in ``offers``.
        """
        require_positive("price_sensitivity", price_sensitivity, allow_zero=True)
        if price_sensitivity == 0:
            return float("nan")
        # The sum splits into a part over consumers (the fallback a_i, summed per chosen firm) and a
        # part over firms (counts x (f ln R / price_sensitivity + p)): one pass over the population.
        pos = offers.index_of(self.choice)  # raises, naming stale firm ids
        using = pos != NO_CHOICE
        K = len(offers)
        counts = np.bincount(pos[using], minlength=K).astype(np.float64)
        if offers.outside_option is None:
            fallback_sums = np.bincount(pos[using], weights=self._log_tau[using], minlength=K)
        else:
            fallback_sums = counts * _fallback_log(offers, np.zeros(1))[0]
        f = offers.value_factor
        per_firm = f * np.log(offers.R) / price_sensitivity + offers.price
        return float(np.dot(f, fallback_sums)) / price_sensitivity - float(np.dot(counts, per_firm))


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
            raise ValueError(f"ConsumerAgent index = {show(index)}: must be an integer >= 0")
        self.tau = tau
        self.index = int(index)
        self.choice = NO_CHOICE

    def choose(self, offers: Offers, u: np.ndarray, lam: float, price_sensitivity: float,
               switching_cost: float, aware: int | None = None) -> None:
        """Re-choose among ``offers`` using the uniform ``u[self.index]`` (units as in
        :meth:`ConsumerPopulation.choose`); a consumer at an index >= ``aware`` uses nothing."""
        check_choice_params(lam, price_sensitivity, switching_cost)
        if aware is not None and self.index >= aware:
            self.choice = NO_CHOICE
            return
        util = choice_utilities(offers.R, offers.price_adj, np.array([self.choice], dtype=np.int64),
                                offers.firm_ids, price_sensitivity, switching_cost)
        util, qual = offers.with_outside(util, qualifying(np.array([self.tau]), offers.R))
        probs = logit_probabilities(util, qual, lam)
        u_mine = np.asarray(u, dtype=np.float64)[self.index:self.index + 1]
        self.choice = int(draw_choices(probs, u_mine, offers.choice_ids)[0])

    def surplus(self, offers: Offers, price_sensitivity: float) -> float:
        """This consumer's surplus this period, dollars: ``f_j (a - ln R_j) / price_sensitivity - p_j``
        for its chosen model j (a and the rest as in :meth:`ConsumerPopulation.surplus`); 0 if it
        uses no model, NaN if price_sensitivity is 0."""
        require_positive("price_sensitivity", price_sensitivity, allow_zero=True)
        if self.choice == NO_CHOICE:
            return 0.0 if price_sensitivity > 0 else float("nan")
        k = offers.index_of(np.array([self.choice], dtype=np.int64))
        return _surplus_terms(_fallback_log(offers, np.log(np.array([self.tau]))), offers.R[k], offers.price[k],
                              offers.value_factor[k], price_sensitivity)


def aware_count(share: float, n: int) -> int:
    """How many of ``n`` simulated consumers know the product when a ``share`` (0 to 1) of the
    population does: consumer i is aware when (i + 0.5) / n < share, so the aware set only grows as
    the share grows and no random draw is spent on it."""
    if not (is_real(share) and 0.0 <= share <= 1.0):
        raise ValueError(f"aware_count share = {show(share)}: must be in [0, 1]")
    return int(np.clip(np.ceil(share * n - 0.5), 0, n))


def _check_aware(aware: int | None, n: int) -> int:
    """The number of aware consumers, ``n`` for None; raises unless 0 <= aware <= n."""
    if aware is None:
        return n
    if not isinstance(aware, (int, np.integer)) or isinstance(aware, bool) or not 0 <= aware <= n:
        raise ValueError(f"choose aware = {show(aware)}: must be an integer from 0 to {n} (the consumers)")
    return int(aware)


def sample_thresholds(rng: np.random.Generator, n: int, dist: Any) -> np.ndarray:
    """(n,) float64 thresholds tau on reducible loss (nats per token) drawn from a frozen
    scipy.stats distribution, e.g. ``marketsim.economics.ThresholdSpec(...).distribution()``.

    Args:
        rng: the model's numpy Generator (``model.rng``), so runs are reproducible.
        n: number of simulated consumers (>= 0).
        dist: frozen scipy.stats distribution with ``rvs(size=, random_state=)``.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"sample_thresholds n = {show(n)}: must be an integer >= 0")
    if not hasattr(dist, "rvs"):
        raise ValueError(f"sample_thresholds dist = {dist!r}: must be a frozen scipy.stats distribution")
    return np.asarray(dist.rvs(size=int(n), random_state=rng), dtype=np.float64).reshape(int(n))


class AgentConsumers:
    """The consumers as one :class:`ConsumerAgent` each in ``model`` (a :class:`ConsumerMarket`)."""

    def __init__(self, model: mesa.Model, thresholds: np.ndarray) -> None:
        """Args:
            model: the mesa model to add the agents to.
            thresholds: (n,) thresholds tau, nats per token.
        """
        self._model = model
        ConsumerAgent.create_agents(model, len(thresholds), tau=thresholds, index=np.arange(len(thresholds)))

    @property
    def _agents(self) -> mesa.agent.AgentSet:
        return self._model.agents_by_type[ConsumerAgent]

    def __len__(self) -> int:
        return len(self._agents)

    @property
    def choice(self) -> np.ndarray:
        return np.array(self._agents.get("choice"), dtype=np.int64)

    def choose(self, offers: Offers, u: np.ndarray, lam: float, price_sensitivity: float,
               switching_cost: float, aware: int | None = None) -> None:
        _check_aware(aware, len(self))
        self._agents.do("choose", offers, u, lam, price_sensitivity, switching_cost, aware)

    def counts(self, firm_ids: ArrayLike) -> np.ndarray:
        chosen = self.choice
        ids = np.asarray(firm_ids, dtype=np.int64).ravel()
        return np.array([np.count_nonzero(chosen == fid) for fid in ids], dtype=np.int64)

    def surplus(self, offers: Offers, price_sensitivity: float) -> float:
        return float(sum(self._agents.map("surplus", offers, price_sensitivity)))


def make_consumers(model: mesa.Model, mode: ConsumerMode, thresholds: np.ndarray) -> ConsumerMarket:
    """The consumers of ``model`` in the given form: ``"vectorised"`` (:class:`ConsumerPopulation`)
    or ``"agents"`` (:class:`AgentConsumers`); both give identical results."""
    if mode == "vectorised":
        return ConsumerPopulation(thresholds)
    if mode == "agents":
        return AgentConsumers(model, thresholds)
    raise ValueError(f"consumers = {mode!r}: allowed 'vectorised' or 'agents'")
