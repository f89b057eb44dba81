"""``[uncertain]``: probability distributions on a scenario's numbers, and correlated draws from them.

A scenario file may declare, for any numeric key path, a distribution of its value; ``marketsim
ensemble`` draws parameter sets from them (the value in the rest of the file is what a single
``marketsim run`` uses). Each entry is an inline table keyed by the key path::

    [uncertain]
    "hardware.growth_per_year" = { dist = "lognormal", median = 1.35, p5 = 1.2, p95 = 1.55, source = "COT24" }
    "hardware.stall_year"      = { dist = "discrete", values = [2028, 2032, 2040], weights = [1, 2, 1] }
    "data.stock_tokens"        = { dist = "triangular", low = 1e14, mode = 3e14, high = 1e15 }
    correlations = [ { keys = ["hardware.growth_per_year", "data.stock_tokens"], rank = 0.3 } ]

Distributions (``dist``) and their parameters, in the unit of the key:

- ``lognormal``: ``median``, ``p5`` and ``p95`` (5th and 95th percentiles, p5 < median < p95, all > 0):
  ln X is normal with mean ln(median) and sd (ln p95 - ln p5) / (2 * 1.645).
- ``loguniform``: the same three numbers: ln X is uniform around ln(median), wide enough that the
  central 90% of it is as wide as ln p95 - ln p5.
  Both are symmetric in logs: the median is the centre, the interval's log-width the spread, so an
  interval that is not symmetric about the median in logs is met on average, not at each end.
- ``triangular`` and ``pert``: ``low`` <= ``mode`` <= ``high`` (low < high); PERT is the beta
  distribution with shape 4 on that range (Vose 2008).
- ``uniform``: ``low`` < ``high``.
- ``discrete``: ``values`` (distinct numbers) and optional ``weights`` (> 0, any scale).

Every entry may carry ``source`` (free text: a key of docs/calibration.md, or "assumption").
``correlations`` lists Spearman rank correlations between pairs of keys (-1 < rank < 1); the draws use
a Gaussian copula: Latin hypercube (or Sobol') uniforms, ``norm.ppf``, the Cholesky factor of the
normal correlation matrix (Pearson r = 2 sin(pi rank / 6), which gives the declared rank correlation),
``norm.cdf`` and each marginal's ppf. Uniforms are kept within [0.001, 0.999], so every distribution
is truncated at its 0.1% and 99.9% points (a lognormal has no upper end; a scenario's keys do).

Validation: a malformed entry is refused here (:class:`Uncertain`); whether each key path names a
numeric key of the scenario, and whether the truncated range lies within that key's bounds, is
checked with the scenario (:func:`uncertain_problems`, a cross-field check of
:class:`marketsim.config.schema.Scenario`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, model_validator
from scipy import stats
from scipy.stats import qmc

from marketsim.config.describe import bounds_phrase, node_at, strip_optional
from marketsim.config.keypaths import KeyPathError, field_type, parse_key, set_at
from marketsim.config.problems import CrossFieldError, Problem

#: A validated scenario (marketsim.config.schema.Scenario; not imported: the schema imports this module).
Scenario = BaseModel

__all__ = ["DISTRIBUTIONS", "TRUNCATION", "Distribution", "Uncertain", "draw_parameters", "uncertain_problems"]

#: Parameters of each distribution: (required, optional), besides ``dist`` and ``source``.
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "lognormal": (("median", "p5", "p95"), ()),
    "loguniform": (("median", "p5", "p95"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "pert": (("low", "mode", "high"), ()),
    "uniform": (("low", "high"), ()),
    "discrete": (("values",), ("weights",)),
}
#: Uniforms are kept within [TRUNCATION, 1 - TRUNCATION]: distributions are cut at 0.1% and 99.9%.
TRUNCATION = 0.001
_Z95 = float(stats.norm.ppf(0.95))
_ALLOWED_DISTS = ", ".join(f'"{name}"' for name in DISTRIBUTIONS)
_CORRELATIONS = "correlations"
_SAMPLERS = ("lhs", "sobol")


def _entry_path(key: str, field: str | None = None) -> str:
    """``uncertain["hardware.growth_per_year"].p5``: the key path of an entry (or of one of its fields)."""
    return f'uncertain["{key}"]' + (f".{field}" if field else "")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Distribution(BaseModel):
    """One validated ``[uncertain]`` entry: a distribution of the value at ``key`` (its unit).

    Attributes:
        key: the key path as written (e.g. ``hardware.growth_per_year``).
        dist: one of :data:`DISTRIBUTIONS`.
        params: the distribution's numbers (see the module docstring); ``values``/``weights`` are lists.
        source: where the numbers come from (free text), or "".
    """

    model_config = ConfigDict(frozen=True)

    key: str
    dist: Literal["lognormal", "loguniform", "triangular", "pert", "uniform", "discrete"]
    params: dict[str, Any]
    source: str = ""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at probabilities ``u`` (array in (0, 1)), in the key's unit."""
        p = self.params
        if self.dist in ("lognormal", "loguniform"):
            mu, half = math.log(p["median"]), (math.log(p["p95"]) - math.log(p["p5"])) / 2
            if self.dist == "lognormal":
                return np.exp(stats.norm.ppf(u, loc=mu, scale=half / _Z95))
            width = half / 0.45  # the central 90% of a uniform spans 0.9 of its width
            return np.exp(mu - width / 2 + width * u)
        if self.dist == "uniform":
            return p["low"] + (p["high"] - p["low"]) * u
        if self.dist == "triangular":
            span = p["high"] - p["low"]
            return stats.triang.ppf(u, (p["mode"] - p["low"]) / span, loc=p["low"], scale=span)
        if self.dist == "pert":
            span = p["high"] - p["low"]
            a = 1 + 4 * (p["mode"] - p["low"]) / span
            return p["low"] + span * stats.beta.ppf(u, a, 6 - a)
        values = np.asarray(p["values"], dtype=float)
        weights = np.asarray(p.get("weights") or [1.0] * len(values), dtype=float)
        edges = np.cumsum(weights) / weights.sum()
        return values[np.minimum(np.searchsorted(edges, u, side="right"), len(values) - 1)]

    def support(self) -> tuple[float, float]:
        """The lowest and highest value a draw can take (after truncation), in the key's unit."""
        if self.dist == "discrete":
            return float(min(self.params["values"])), float(max(self.params["values"]))
        low, high = self.ppf(np.array([TRUNCATION, 1 - TRUNCATION]))
        return float(low), float(high)


def _distribution_problems(key: str, entry: Any) -> list[Problem]:
    """What is wrong with one entry (empty when it is a valid distribution)."""
    where = _entry_path(key)
    if not isinstance(entry, Mapping):
        return [Problem(where, f"must be a table {{ dist = ..., ... }} with dist one of {_ALLOWED_DISTS}", entry)]
    dist = entry.get("dist")
    if dist not in DISTRIBUTIONS:
        return [Problem(_entry_path(key, "dist"), f"must be one of {_ALLOWED_DISTS}", dist) if dist is not None
                else Problem(_entry_path(key, "dist"), f"required key is missing (one of {_ALLOWED_DISTS})")]
    required, optional = DISTRIBUTIONS[dist]
    allowed = ", ".join(("dist", *required, *optional, "source"))
    problems = [Problem(_entry_path(key, name), f"unknown key for dist = \"{dist}\" (allowed: {allowed})")
                for name in entry if name not in ("dist", *required, *optional, "source")]
    problems += [Problem(_entry_path(key, name), f"required key is missing for dist = \"{dist}\" (allowed: {allowed})")
                 for name in required if name not in entry]
    if "source" in entry and not isinstance(entry["source"], str):
        problems.append(Problem(_entry_path(key, "source"), "must be a string", entry["source"]))
    if problems:
        return problems
    if dist == "discrete":
        return _discrete_problems(key, entry)
    bad = [Problem(_entry_path(key, name), "must be a finite number", entry[name]) for name in required
           if not _is_number(entry[name])]
    if bad:
        return bad
    return _order_problems(key, dist, entry)


def _order_problems(key: str, dist: str, p: Mapping[str, Any]) -> list[Problem]:
    """The numbers of a continuous distribution are in the order it needs."""
    if dist in ("lognormal", "loguniform"):
        if p["p5"] <= 0:
            return [Problem(_entry_path(key, "p5"), f"must be > 0 for dist = \"{dist}\"", p["p5"])]
        if not p["p5"] < p["median"] < p["p95"]:
            return [Problem(_entry_path(key, "median"), f"must lie inside the 90% interval: p5 ({p['p5']:g}) < "
                            f"median < p95 ({p['p95']:g})", p["median"])]
        return []
    if not p["low"] < p["high"]:
        return [Problem(_entry_path(key, "low"), f"must be < high ({p['high']:g})", p["low"])]
    if "mode" in p and not p["low"] <= p["mode"] <= p["high"]:
        return [Problem(_entry_path(key, "mode"), f"must be within low ({p['low']:g}) and high ({p['high']:g})",
                        p["mode"])]
    return []


def _discrete_problems(key: str, p: Mapping[str, Any]) -> list[Problem]:
    values, weights = p["values"], p.get("weights")
    if not (isinstance(values, list) and values and all(_is_number(v) for v in values)
            and len(set(values)) == len(values)):
        return [Problem(_entry_path(key, "values"), "must be a non-empty array of distinct finite numbers", values)]
    if weights is None:
        return []
    if not (isinstance(weights, list) and len(weights) == len(values)
            and all(_is_number(w) and w > 0 for w in weights)):
        return [Problem(_entry_path(key, "weights"), f"must be an array of {len(values)} numbers > 0 "
                        "(one per value)", weights)]
    return []


def _correlation_problems(raw: Any, keys: Sequence[str]) -> tuple[list[Problem], list[tuple[str, str, float]]]:
    """(problems, [(key a, key b, rank correlation)]) of the ``correlations`` array."""
    where = f"uncertain.{_CORRELATIONS}"
    form = 'an array of tables { keys = ["a.b", "c.d"], rank = R } with -1 < R < 1'
    if not isinstance(raw, list):
        return [Problem(where, f"must be {form}", raw)], []
    problems, pairs, seen = [], [], set()
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"keys", "rank"}:
            problems.append(Problem(here, f"must be a table with exactly the keys keys, rank ({form})", item))
            continue
        pair, rank = item["keys"], item["rank"]
        if not (isinstance(pair, list) and len(pair) == 2 and all(k in keys for k in pair) and pair[0] != pair[1]):
            declared = ", ".join(f'"{k}"' for k in keys) or "none declared"
            problems.append(Problem(f"{here}.keys", f"must name two different keys declared in [uncertain] "
                                    f"(declared: {declared})", pair))
        elif frozenset(pair) in seen:
            problems.append(Problem(f"{here}.keys", "this pair is already correlated above", pair))
        elif not (_is_number(rank) and -1 < rank < 1):
            problems.append(Problem(f"{here}.rank", "must be a number > -1 and < 1", rank))
        else:
            seen.add(frozenset(pair))
            pairs.append((str(pair[0]), str(pair[1]), float(rank)))
    return problems, pairs


def _normal_correlation(keys: Sequence[str], pairs: Sequence[tuple[str, str, float]]) -> np.ndarray:
    """The Gaussian copula's correlation matrix: Pearson r = 2 sin(pi rank / 6) for each declared pair."""
    matrix = np.eye(len(keys))
    index = {key: i for i, key in enumerate(keys)}
    for a, b, rank in pairs:
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = 2 * math.sin(math.pi * rank / 6)
    return matrix


class Uncertain(BaseModel):
    """The validated ``[uncertain]`` section: distributions by key path and rank correlations.

    Attributes:
        distributions: one :class:`Distribution` per key path, in file order.
        correlations: (key a, key b, Spearman rank correlation) pairs.
    """

    model_config = ConfigDict(frozen=True)

    distributions: tuple[Distribution, ...] = ()
    correlations: tuple[tuple[str, str, float], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_section(cls, raw: Any) -> Any:
        """Read the section as written in TOML (key path -> table, plus ``correlations``)."""
        if isinstance(raw, Uncertain) or (isinstance(raw, Mapping) and set(raw) <= {"distributions", "correlations"}
                                           and isinstance(raw.get("distributions", ()), list | tuple)
                                           and "distributions" in raw):
            return raw  # already in model form (model_dump of a scenario)
        if not isinstance(raw, Mapping):
            raise CrossFieldError([Problem("uncertain", "must be a table of key path = { dist = ..., ... }", raw)])
        problems: list[Problem] = []
        distributions = []
        for key, entry in raw.items():
            if key == _CORRELATIONS:
                continue
            found = _distribution_problems(key, entry)
            problems += found
            if not found:
                params = {k: v for k, v in entry.items() if k not in ("dist", "source")}
                distributions.append({"key": key, "dist": entry["dist"], "params": params,
                                      "source": entry.get("source", "")})
        keys = [d["key"] for d in distributions]
        found, pairs = _correlation_problems(raw.get(_CORRELATIONS, []), [k for k in raw if k != _CORRELATIONS])
        problems += found
        if not found and pairs and not _positive_definite(_normal_correlation(keys, pairs)):
            problems.append(Problem(f"uncertain.{_CORRELATIONS}", "must make a positive definite correlation "
                                    "matrix (these rank correlations contradict each other: lower some of them)"))
        if problems:
            raise CrossFieldError(problems)
        return {"distributions": distributions, "correlations": pairs}

    @property
    def keys(self) -> list[str]:
        """The key paths with a distribution, in file order."""
        return [d.key for d in self.distributions]

    def correlation_matrix(self) -> np.ndarray:
        """The normal (copula) correlation matrix, one row and column per key in :attr:`keys`."""
        return _normal_correlation(self.keys, self.correlations)


def _positive_definite(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


# --- checks against the scenario ---------------------------------------------------------------------

_LIMITS = ((Gt, "gt", np.greater), (Ge, "ge", np.greater_equal), (Lt, "lt", np.less), (Le, "le", np.less_equal))


def _within(value: float, metadata: Sequence[Any]) -> bool:
    """Whether ``value`` meets every annotated-types bound in ``metadata``."""
    return all(check(value, getattr(c, attr)) for c in metadata for kind, attr, check in _LIMITS if isinstance(c, kind))


def _numeric_node(scenario: Scenario, key: str) -> tuple[type, list[Any]] | str:
    """(int or float, bounds metadata) of the key's schema field, or why it cannot be drawn."""
    try:
        parts = parse_key(key)
    except KeyPathError:
        return "is not a key path (e.g. hardware.growth_per_year or firms[0].price)"
    node = node_at(type(scenario), parts)
    if node is None:
        reason = set_at({}, parts, 0, type(scenario)) or "no such key"
        return f"is not a key of the scenario ({reason})"
    inner, _ = strip_optional(node[0])
    if inner not in (int, float):
        return "must name a numeric key of the scenario (an integer or a number), not a table, list or text"
    try:
        field_type(scenario, key)  # list entries must exist (firms[3] in a two-firm scenario does not)
    except ValueError as err:
        return f"names no existing value: {err}"
    return inner, node[1]


def uncertain_problems(scenario: Scenario) -> list[Problem]:
    """Each ``[uncertain]`` key path names a numeric key of ``scenario`` and every draw of its
    distribution (truncated at 0.1% and 99.9%) lies within that key's bounds (a cross-field check)."""
    section = getattr(scenario, "uncertain", None)
    if section is None:
        return []
    problems = []
    for dist in section.distributions:
        node = _numeric_node(scenario, dist.key)
        if isinstance(node, str):
            problems.append(Problem(_entry_path(dist.key), node))
            continue
        kind, metadata = node
        low, high = dist.support()
        if kind is int and dist.dist == "discrete" and not all(float(v).is_integer() for v in dist.params["values"]):
            problems.append(Problem(_entry_path(dist.key, "values"), "must be integers: the key is an integer",
                                    dist.params["values"]))
        elif not (_within(low, metadata) and _within(high, metadata)):
            problems.append(Problem(_entry_path(dist.key), f"draws from {low:.6g} to {high:.6g} (0.1% to 99.9%) but "
                                    f"the key must be {bounds_phrase(metadata)}: narrow the distribution"))
    return problems


# --- drawing -----------------------------------------------------------------------------------------


def _uniforms(n: int, dims: int, seed: int, sampler: str) -> np.ndarray:
    """``n`` x ``dims`` uniforms in (0, 1): scrambled Latin hypercube or Sobol' points, seeded."""
    if sampler == "sobol":
        points = qmc.Sobol(dims, scramble=True, rng=np.random.default_rng(seed)).random(n)
    else:
        points = qmc.LatinHypercube(dims, rng=np.random.default_rng(seed)).random(n)
    return np.clip(points, TRUNCATION, 1 - TRUNCATION)


def draw_parameters(scenario: Scenario, n: int, seed: int, sampler: Literal["lhs", "sobol"] = "lhs") -> pd.DataFrame:
    """``n`` parameter sets from the scenario's ``[uncertain]`` distributions (Gaussian copula).

    Args:
        scenario: a validated scenario with an ``uncertain`` section.
        n: number of draws (>= 1).
        seed: seed of the sampler (the same seed gives the same draws).
        sampler: "lhs" (Latin hypercube) or "sobol" (scrambled Sobol'; n a power of 2 is best).

    Returns:
        One row per draw, one column per key path (file order); integer keys hold Python ints.

    Raises:
        ValueError: no ``[uncertain]`` section, n < 1, or an unknown sampler.
    """
    section = getattr(scenario, "uncertain", None)
    if section is None or not section.distributions:
        raise ValueError(f"scenario {scenario.meta.name!r} has no [uncertain] section: nothing to draw")
    if n < 1:
        raise ValueError(f"number of draws must be >= 1, got {n}")
    if sampler not in _SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(_SAMPLERS)}, got {sampler!r}")
    keys = section.keys
    normals = stats.norm.ppf(_uniforms(n, len(keys), seed, sampler))
    correlated = stats.norm.cdf(normals @ np.linalg.cholesky(section.correlation_matrix()).T)
    correlated = np.clip(correlated, TRUNCATION, 1 - TRUNCATION)
    columns: dict[str, Any] = {}
    for j, dist in enumerate(section.distributions):
        values = dist.ppf(correlated[:, j])
        node = node_at(type(scenario), parse_key(dist.key))
        is_int = node is not None and strip_optional(node[0])[0] is int
        columns[dist.key] = [int(round(v)) for v in values] if is_int else values.astype(float)
    return pd.DataFrame(columns)

