"""Scenario files: the pydantic schema of a scenario TOML, loading, overrides and error messages.

A scenario is one TOML file (see ``scenarios/*.toml`` and docs/architecture.md) with the sections
``[meta]``, ``[scaling]``, ``[hardware]``, ``[data]``, ``[consumers]``, ``[market]`` and one
``[[firms]]`` table per firm. Every model forbids unknown keys and validates strictly (no
string-to-number coercion), so a typo is an error, not a silent default.

Every problem is reported as one line naming the file, the dotted key path, the offending value and
what is allowed, e.g. ``scenarios/bad.toml: consumers.count = 0: must be an integer >= 1 and <= 100000000``.

Units: money in US dollars, time in years (``t`` = years since ``meta.start_year``), a period is
``1 / meta.periods_per_year`` years, loss and thresholds in nats per token (reducible loss R).
"""

from __future__ import annotations

import atexit
import copy
import importlib.resources
import json
import re
import sys
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import tomli_w
from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from marketsim.economics.scaling import SCALING_PRESETS, ScalingLaw

__all__ = [
    "SCENARIO_DIR",
    "Consumers",
    "Data",
    "Firm",
    "Hardware",
    "Market",
    "Meta",
    "Overrides",
    "Scaling",
    "Scenario",
    "ScenarioError",
    "bundled_scenarios",
    "exit_on_scenario_error",
    "load",
    "load_scenario",
    "resolve_scenario_path",
    "scenario_from_dict",
    "scenario_to_toml",
]


def _bundled_dir() -> Path:
    """The folder of the bundled scenario files, shipped as package data (``marketsim/config/scenarios``).

    Read with :mod:`importlib.resources`, so it is found in a wheel install as well as in a checkout
    (where ``marketsim/config/scenarios`` is a symlink to the repository's ``scenarios/`` folder). A package
    imported from a zip file has no folder on disk: its scenarios are extracted for the process's
    lifetime.
    """
    root = importlib.resources.files("marketsim.config") / "scenarios"
    if isinstance(root, Path):
        return root
    stack = ExitStack()
    atexit.register(stack.close)
    return stack.enter_context(importlib.resources.as_file(root))


#: The bundled scenarios (package data ``marketsim/config/scenarios``; in a checkout the top-level ``scenarios/``).
SCENARIO_DIR: Path = _bundled_dir()

ThresholdFamily = Literal["lognormal", "pareto", "loguniform"]

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
OptionalPositive = Annotated[float | None, Field(gt=0)]
Name = Annotated[str, Field(min_length=1)]

# Bounds. Every number has a generous but finite range, so that no value a scenario accepts can
# overflow to inf or NaN anywhere in a run (money, thresholds, E(t) over 100 years): each is far
# outside any calibrated figure (docs/calibration.md) and far inside float range.

#: Multiplicative change per year (1.0 = constant): at most 100x up or down per year.
Factor = Annotated[float, Field(ge=0.01, le=100)]
#: Dollars (cash, spend, costs): at most 1e15 (a thousand trillion) in size.
MAX_DOLLARS = 1e15
Dollars = Annotated[float, Field(ge=-MAX_DOLLARS, le=MAX_DOLLARS)]
NonNegativeDollars = Annotated[float, Field(ge=0, le=MAX_DOLLARS)]
#: Reducible-loss thresholds, nats per token (the optimizer's models reach R ~ 2e-8 to ~20).
Threshold = Annotated[float, Field(ge=1e-9, le=1e3)]
#: Counts of periods (retraining cycles, lags, horizons).
Periods = Annotated[int, Field(ge=1, le=10_000)]
#: Ranges the exogenous paths must stay within at every time of the run (checked across fields):
#: hardware E in FLOP per dollar, data stock in tokens, data efficiency, population in people.
PATH_RANGES: dict[str, tuple[str, float, float, str]] = {
    "hardware": ("hardware E", 1.0, 1e45, "FLOP per dollar"),
    "data_stock": ("the data stock", 1.0, 1e40, "tokens"),
    "data_efficiency": ("data efficiency rho_D", 1e-6, 1e12, "(dimensionless)"),
    "population": ("the population", 1.0, 1e15, "people"),
}


#: The problem reported for arrays or tables nested deeper than Python's recursion limit allows.
TOO_DEEP = ("arrays or tables nested too deeply to read (hundreds of levels); a scenario's values are "
            "numbers, strings or tables at most two levels deep")


class _Says:
    """Constraint metadata with the exact words of what a value must be (for :func:`_describe`)."""

    def __init__(self, text: str) -> None:
        self.text = text


#: Scenario names become output folder names and table labels: letters or digits, at most 100 characters.
ScenarioName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"[A-Za-z0-9]"),
                         _Says("a string of 1 to 100 characters with at least one letter or digit (A-Z, a-z, 0-9)")]


# --- schema ---------------------------------------------------------------------------------


class _Section(BaseModel):
    """Base of every scenario table: unknown keys, coercions and inf/nan are all errors."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Meta(_Section):
    """``[meta]``: identity, random seed and time grid.

    Attributes:
        name: scenario name (used in outputs and comparisons): 1 to 100 characters, at least one
            ASCII letter or digit (it names the output folder).
        description: free text; its first line is the one-line summary.
        seed: seed of the model's numpy Generator (0 to 2^63 - 1).
        start_year: calendar year at t = 0 (years).
        years: simulated length (years).
        periods_per_year: periods per year (4 = quarterly).
    """

    name: ScenarioName
    description: str = ""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    start_year: Annotated[int, Field(ge=1990, le=2100)] = 2025  # assumption: the present
    years: Annotated[float, Field(gt=0, le=100)]
    periods_per_year: Annotated[int, Field(ge=1, le=52)] = 4  # assumption: quarterly decisions


class Scaling(_Section):
    """``[scaling]``: the loss law L(N, D) = E0 + A N^-alpha + B D^-beta (nats per token).

    Attributes:
        preset: named constants (docs/calibration.md §1).
        closure: data-bound closure; "cap" limits N to N_match(D_bar), "additive" is the plain law.
        E0, A, B, alpha, beta: optional overrides of the preset's constants: E0 in (0, 100] nats per
            token, A and B in [1e-3, 1e6], alpha and beta in [0.05, 2] (published fits: 0.28-0.37).
    """

    preset: Literal["besiroglu2024", "hoffmann2022"] = "besiroglu2024"  # BES24; docs/theory.md §6 default
    closure: Literal["cap", "additive"] = "cap"  # docs/theory.md §4: cap closure by default
    E0: Annotated[float | None, Field(gt=0, le=100)] = None
    A: Annotated[float | None, Field(ge=1e-3, le=1e6)] = None
    B: Annotated[float | None, Field(ge=1e-3, le=1e6)] = None
    alpha: Annotated[float | None, Field(ge=0.05, le=2)] = None
    beta: Annotated[float | None, Field(ge=0.05, le=2)] = None

    def law(self) -> ScalingLaw:
        """The preset's :class:`ScalingLaw` with this section's overrides applied."""
        base = SCALING_PRESETS[self.preset]
        constants = {key: getattr(base, key) for key in ("E0", "A", "B", "alpha", "beta")}
        overrides = {key: value for key in constants if (value := getattr(self, key)) is not None}
        name = base.name if not overrides else f"{base.name}+overrides"
        return ScalingLaw(name=name, **{**constants, **overrides})

    @property
    def gamma(self) -> float:
        """Frontier elasticity of reducible loss in compute, alpha*beta/(alpha+beta) (dimensionless)."""
        law = self.law()
        return law.alpha * law.beta / (law.alpha + law.beta)


class Hardware(_Section):
    """``[hardware]``: price-performance E(t) of training and serving hardware.

    Attributes:
        flop_per_dollar: E at start_year (FLOP per dollar, 1 to 1e45).
        growth_per_year: multiplicative growth of E per year until stall_year (0.01 to 100).
        stall_year: calendar year after which E grows at growth_after_stall (None: never; 1990-2200).
        growth_after_stall: multiplicative growth of E per year after stall_year (0.01 to 100).

    E must also stay within 1 to 1e45 FLOP per dollar over the whole run (checked across fields).
    """

    flop_per_dollar: Annotated[float, Field(ge=1, le=1e45)]
    growth_per_year: Factor
    stall_year: Annotated[int | None, Field(ge=1990, le=2200)] = None
    growth_after_stall: Factor = 1.0  # assumption: progress stops entirely after a stall


class Data(_Section):
    """``[data]``: the usable stock of training data and its efficiency.

    Attributes:
        stock_tokens: usable stock D_bar at start_year (effective tokens, 1 to 1e40).
        stock_growth_per_year: multiplicative growth of the stock per year (0.01 to 100).
        efficiency: data-efficiency multiplier rho_D at start_year (dimensionless, 1e-6 to 1e12).
        efficiency_growth_per_year: multiplicative growth of rho_D per year (0.01 to 100).
        cost_per_token: data cost c_D (dollars per training token, 0 to 1e6).

    The stock and rho_D must also stay within those ranges over the whole run.
    """

    stock_tokens: Annotated[float, Field(ge=1, le=1e40)]
    stock_growth_per_year: Factor = 1.0  # assumption: fixed stock unless stated
    efficiency: Annotated[float, Field(ge=1e-6, le=1e12)] = 1.0  # docs/theory.md §1.1: rho_D = 1 at baseline
    efficiency_growth_per_year: Factor = 1.0  # assumption: no data-efficiency progress
    cost_per_token: Annotated[float, Field(ge=0, le=1e6)] = 0.0  # docs/theory.md §1.2: data cost 0 by default


class Consumers(_Section):
    """``[consumers]``: the consumer population and its quality thresholds on reducible loss R.

    Attributes:
        count: simulated consumers (each stands for population / count people; 1 to 1e8).
        population: people at start_year (1 to 1e15; also over the whole run).
        population_growth_per_year: multiplicative growth of the population per year (0.01 to 100).
        family: threshold distribution family.
        median_threshold: lognormal median of thresholds tau (nats per token, on R; 1e-9 to 1000).
        sigma: lognormal spread of ln tau (0.01 to 10).
        pareto_max_threshold, pareto_k: pareto thresholds tau = max * U^(1/k) (nats per token,
            1e-9 to 1000; k 0.01 to 100).
        loguniform_min, loguniform_max: loguniform threshold range (nats per token, 1e-9 to 1000).
        value_exponent: kappa; value per adopter grows as (R_ref/R)^kappa (0 to 1/gamma, exclusive).
        tokens_per_adopter_per_period: T, tokens served per adopter per period (0 to 1e12).
        price_sensitivity: ln-R utility units per dollar; also converts surplus to dollars (1e-6 to 10).
        switching_cost: utility penalty for changing model (ln-R units, 0 to 100).
    """

    count: Annotated[int, Field(ge=1, le=100_000_000)]
    population: Annotated[float, Field(ge=1, le=1e15)]
    population_growth_per_year: Factor = 1.0  # assumption: constant population
    family: ThresholdFamily = "lognormal"  # docs/theory.md §6: bounded lognormal-share hybrid
    median_threshold: Threshold = 0.1  # docs/theory.md §6: median threshold R0 = 0.1
    sigma: Annotated[float, Field(ge=0.01, le=10)] = 1.0  # docs/theory.md §6: lognormal sigma = 1
    pareto_max_threshold: Threshold = 0.2  # assumption
    pareto_k: Annotated[float, Field(ge=0.01, le=100)] = 1.0  # assumption
    loguniform_min: Threshold = 0.01  # assumption
    loguniform_max: Threshold = 1.0  # assumption
    value_exponent: Annotated[float, Field(ge=0, le=100)] = 2.5  # docs/theory.md §6: kappa = k = 2.5
    tokens_per_adopter_per_period: Annotated[float, Field(ge=0, le=1e12)]
    price_sensitivity: Annotated[float, Field(ge=1e-6, le=10)] = 0.05  # assumption
    switching_cost: Annotated[float, Field(ge=0, le=100)] = 0.0  # assumption: no inertia unless stated


class Market(_Section):
    """``[market]``: how firms' best responses are smoothed.

    Attributes:
        logit_lambda: logit noise of consumer choice among qualifying models (ln-R units, 0.01 to 10).
        damping: weight theta on the new best response in damped updates (0 < theta <= 1).
    """

    logit_lambda: Annotated[float, Field(ge=0.01, le=10)] = 0.3  # docs/theory.md §7: lambda ~ 0.3
    damping: Annotated[float, Field(gt=0, le=1)] = 0.5  # docs/theory.md §7: theta = 0.5


class Firm(_Section):
    """``[[firms]]``: one firm, its strategy, prices and finances.

    Attributes:
        name: unique firm name (1 to 100 characters).
        strategy: decision rule.
        price: dollars per adopter per period (0 to 1e6).
        cash: dollars at start (or at entry; -1e15 to 1e15).
        credit_limit: dollars; the firm exits when cash < credit_limit (must be <= cash; -1e15 to 1e15).
        retrain_every_periods: periods between model generations (1 to 10000).
        training_lag_periods: periods between starting and releasing a model (0 to 10000).
        horizon_periods: periods over which a new model's profit is evaluated (1 to 10000).
        fixed_cost_per_period: dollars per period the firm pays whatever it sells (staff, overheads;
            0 to 1e15).
        entry_year: calendar year of entry (None: present from the start; 1990 to 2200).
        growth_factor_per_year: fixed_growth: multiplicative growth of training spend per year (0.01 to 100).
        initial_spend: fixed_growth: first training spend (dollars, 1 to 1e15).
        leader: open_weights: the name of the firm followed.
        lag_periods: open_weights: periods behind the leader (0 to 10000).
        compute_fraction: open_weights: fraction of the leader's compute used (1e-6 to 1).
    """

    name: Annotated[str, Field(min_length=1, max_length=100)]
    strategy: Name = "profit_optimal"  # a name registered with marketsim.sim.firm.register_strategy
    price: Annotated[float, Field(ge=0, le=1e6)]
    cash: Dollars
    credit_limit: Dollars
    retrain_every_periods: Periods = 4  # assumption; LOH23: 250-1000 days between generations
    training_lag_periods: Annotated[int, Field(ge=0, le=10_000)] = 1  # assumption
    horizon_periods: Periods = 8  # assumption: two years of quarters
    fixed_cost_per_period: NonNegativeDollars = 0.0  # dollars per period (staff etc.); COT24: R&D staff 29-49% of development cost
    entry_year: Annotated[float | None, Field(ge=1990, le=2200)] = None
    growth_factor_per_year: Factor = 2.4  # COT24: frontier training cost grows 2.4x per year
    initial_spend: Annotated[float, Field(ge=1, le=MAX_DOLLARS)] = 1e8  # assumption; order of COT24 frontier costs (GPT-4 ~4e7)
    leader: str | None = None
    lag_periods: Annotated[int, Field(ge=0, le=10_000)] = 4  # EPOPEN24: open models ~1 year behind
    compute_fraction: Annotated[float, Field(ge=1e-6, le=1)] = 0.3  # assumption


class Scenario(_Section):
    """A whole scenario file. Cross-field rules are checked after the per-field ones."""

    meta: Meta
    scaling: Scaling = Field(default_factory=Scaling)
    hardware: Hardware
    data: Data
    consumers: Consumers
    market: Market = Field(default_factory=Market)
    firms: Annotated[list[Firm], Field(min_length=1)]

    @model_validator(mode="after")
    def _check_consistency(self) -> Scenario:
        problems = [problem for check in _CROSS_CHECKS for problem in check(self)]
        if problems:
            raise _CrossFieldError(problems)
        return self

    @property
    def n_periods(self) -> int:
        """Number of simulated periods, round(years * periods_per_year)."""
        return round(self.meta.years * self.meta.periods_per_year)

    @property
    def period_years(self) -> float:
        """Length of one period (years)."""
        return 1.0 / self.meta.periods_per_year

    @property
    def end_year(self) -> float:
        """Calendar year at the end of the last period (years)."""
        return self.meta.start_year + self.n_periods * self.period_years


# --- problems and errors ----------------------------------------------------------------------


class _Unset:
    """Marker: a problem that has no offending value to show (e.g. a missing key)."""


_NO_VALUE = _Unset()


@dataclass(frozen=True)
class _Problem:
    """One thing wrong with a scenario, at a dotted key path."""

    path: str
    message: str
    value: Any = _NO_VALUE

    def render(self) -> str:
        """One line: ``path = value: message`` (or ``path: message`` without a value)."""
        if isinstance(self.value, _Unset):
            return f"{self.path}: {self.message}"
        return f"{self.path} = {_format_value(self.value)}: {self.message}"


class _CrossFieldError(ValueError):
    """Raised inside validation with the cross-field problems, so their key paths survive pydantic."""

    def __init__(self, problems: list[_Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(problem.render() for problem in problems))


class ScenarioError(ValueError):
    """A scenario file or override is invalid; ``str()`` is one line per problem, each naming the source.

    Attributes:
        source: the file (or ``<dict>``) the scenario came from.
        problems: the problem lines without the source prefix.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


@contextmanager
def exit_on_scenario_error() -> Iterator[None]:
    """Turn a :class:`ScenarioError` into its message on stderr and exit status 2 (for CLI commands).

    Usable as ``with exit_on_scenario_error(): ...`` or as a decorator ``@exit_on_scenario_error()``.
    """
    try:
        yield
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        raise SystemExit(2) from None


def _format_value(value: Any) -> str:
    """A TOML-like rendering of an offending value, shortened to keep messages on one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, Mapping):
        text = "a table {" + ", ".join(str(key) for key in value) + "}"
    elif isinstance(value, BaseModel):
        text = "a table"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_number(value: float) -> str:
    """A bound as written in a message: integers without a decimal point, large ones as 1e+15."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e7:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _path(loc: Sequence[str | int]) -> str:
    """Dotted key path with list indices in brackets, e.g. ``firms[1].price``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


# --- describing what a field allows -----------------------------------------------------------


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed) for ``X | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _node_at(loc: Sequence[str | int]) -> tuple[Any, list[Any]] | None:
    """(annotation, constraint metadata) of the schema node at ``loc``, or None if not in the schema."""
    annotation: Any = Scenario
    metadata: list[Any] = []
    for part in loc:
        inner, _ = _strip_optional(annotation)
        if isinstance(part, int) and typing.get_origin(inner) is list:
            annotation, metadata = typing.get_args(inner)[0], []
        elif isinstance(part, str) and _is_model(inner) and part in inner.model_fields:
            field = inner.model_fields[part]
            annotation, metadata = field.annotation, list(field.metadata)
        else:
            return None
    return annotation, metadata


def _bounds_phrase(metadata: Sequence[Any]) -> str:
    """E.g. ``> 0 and <= 1`` from annotated-types constraints."""
    phrases = []
    for constraint in metadata:
        for kind, attribute, symbol in ((Gt, "gt", ">"), (Ge, "ge", ">="), (Lt, "lt", "<"), (Le, "le", "<=")):
            if isinstance(constraint, kind):
                phrases.append(f"{symbol} {_format_number(getattr(constraint, attribute))}")
    return " and ".join(phrases)


def _describe(annotation: Any, metadata: Sequence[Any]) -> str:
    """What a schema node allows, as the end of a sentence starting with 'must be'."""
    inner, optional = _strip_optional(annotation)
    min_length = next((c.min_length for c in metadata if isinstance(c, MinLen)), 0)
    max_length = next((c.max_length for c in metadata if isinstance(c, MaxLen)), None)
    says = next((c.text for c in metadata if isinstance(c, _Says)), None)
    if says is not None:
        text = says
    elif inner is str and max_length is not None:
        text = f"a string of {min_length} to {max_length} characters"
    elif typing.get_origin(inner) is Literal:
        text = "one of " + ", ".join(json.dumps(arg) for arg in typing.get_args(inner))
    elif typing.get_origin(inner) is list:
        text = "an array of tables"
        text += f" with at least {min_length} entry" if min_length else ""
    elif _is_model(inner):
        text = "a table"
    elif inner is str:
        text = "a non-empty string" if min_length else "a string"
    else:
        noun = {int: "an integer", float: "a number"}.get(inner, getattr(inner, "__name__", str(inner)))
        bounds = _bounds_phrase(metadata)
        text = f"{noun} {bounds}" if bounds else noun
    return f"{text} (or omitted)" if optional else text


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _problem_from_error(error: Mapping[str, Any]) -> list[_Problem]:
    """Turn one pydantic error into problems with a key path, value and what is allowed."""
    kind, loc = error["type"], tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if kind == "value_error" and isinstance(cause, _CrossFieldError):
        return list(cause.problems)
    if kind == "extra_forbidden":
        parent = _node_at(loc[:-1])
        model = _strip_optional(parent[0])[0] if parent else None
        allowed = f" (allowed: {_allowed_keys(model)})" if _is_model(model) else ""
        return [_Problem(_path(loc), f"unknown key{allowed}")]
    node = _node_at(loc)
    allowed = f"must be {_describe(*node)}" if node else error["msg"]
    if kind == "missing":
        return [_Problem(_path(loc), f"required key is missing ({allowed})")]
    return [_Problem(_path(loc), allowed, error.get("input"))]


def _problems_from_validation(err: ValidationError) -> list[_Problem]:
    """All problems of a pydantic ValidationError, in file order, without duplicates."""
    problems: list[_Problem] = []
    for error in err.errors(include_url=False):
        problems.extend(p for p in _problem_from_error(error) if p not in problems)
    return problems


# --- cross-field checks -------------------------------------------------------------------------


def _check_time(s: Scenario) -> list[_Problem]:
    problems = []
    if s.n_periods < 1:
        problems.append(
            _Problem(
                "meta.years",
                f"must give at least one period (round(years * periods_per_year) >= 1; "
                f"periods_per_year = {s.meta.periods_per_year})",
                s.meta.years,
            )
        )
    stall = s.hardware.stall_year
    if stall is not None and stall < s.meta.start_year:
        problems.append(_Problem("hardware.stall_year", f"must be >= meta.start_year ({s.meta.start_year})", stall))
    return problems


def _check_thresholds(s: Scenario) -> list[_Problem]:
    c = s.consumers
    if c.loguniform_min < c.loguniform_max:
        return []
    message = f"must be < consumers.loguniform_max ({_format_value(c.loguniform_max)})"
    return [_Problem("consumers.loguniform_min", message, c.loguniform_min)]


def _check_value_exponent(s: Scenario) -> list[_Problem]:
    """Profit is unbounded when revenue grows at least as fast as compute: kappa * gamma >= 1."""
    gamma = s.scaling.gamma
    kappa = s.consumers.value_exponent
    if kappa * gamma < 1:
        return []
    overridden = any(getattr(s.scaling, key) is not None for key in ("alpha", "beta"))
    law = f"preset {s.scaling.preset}" + (" with overrides" if overridden else "")
    message = (
        f"must be < {1 / gamma:.5g} for scaling {law} (profit is unbounded when "
        f"value_exponent * gamma >= 1, gamma = alpha*beta/(alpha+beta) = {gamma:.4g})"
    )
    return [_Problem("consumers.value_exponent", message, kappa)]


def _check_firms(s: Scenario) -> list[_Problem]:
    problems: list[_Problem] = []
    first_index: dict[str, int] = {}
    for i, firm in enumerate(s.firms):
        if firm.credit_limit > firm.cash:
            message = f"must be <= firms[{i}].cash ({_format_value(firm.cash)})"
            problems.append(_Problem(f"firms[{i}].credit_limit", message, firm.credit_limit))
        if firm.name in first_index:
            message = f"must be unique (already used by firms[{first_index[firm.name]}])"
            problems.append(_Problem(f"firms[{i}].name", message, firm.name))
        first_index.setdefault(firm.name, i)
    leaders = [firm.name for firm in s.firms if firm.strategy != "open_weights"]
    allowed = ", ".join(json.dumps(name) for name in leaders) or "none in this scenario"
    for i, firm in enumerate(s.firms):
        if firm.strategy != "open_weights" or firm.leader in leaders:
            continue
        rule = f"must name another firm that is not open_weights (allowed: {allowed})"
        if firm.leader is None:
            problems.append(_Problem(f"firms[{i}].leader", f"required for an open_weights firm; {rule}"))
        else:
            problems.append(_Problem(f"firms[{i}].leader", rule, firm.leader))
    return problems


def _check_strategies(s: Scenario) -> list[_Problem]:
    # Strategies are a registry, so that users can add their own (README: writing a firm strategy).
    from marketsim.sim.firm import STRATEGIES

    allowed = ", ".join(json.dumps(name) for name in STRATEGIES)
    return [_Problem(f"firms[{i}].strategy", f"must be one of {allowed}", firm.strategy)
            for i, firm in enumerate(s.firms) if firm.strategy not in STRATEGIES]


#: Growth keys of each exogenous path of PATH_RANGES: (before the stall, after it or None).
_PATH_GROWTH_KEYS = {
    "hardware": ("hardware.growth_per_year", "hardware.growth_after_stall"),
    "data_stock": ("data.stock_growth_per_year", None),
    "data_efficiency": ("data.efficiency_growth_per_year", None),
    "population": ("consumers.population_growth_per_year", None),
}


def _check_paths(s: Scenario) -> list[_Problem]:
    """Each exogenous path (E, data stock, rho_D, population) stays within PATH_RANGES over the run.

    Growth is exponential between the start, the stall and the end, so those times bound it; the
    check runs in logs, so that a path that would overflow is reported instead of computed.
    """
    from marketsim.sim.world import World  # world.py does not import this module

    try:
        world = World.from_scenario(s)
    except ValueError:
        return []  # a stall year before the start: _check_time reports it
    end = s.n_periods * s.period_years
    problems = []
    for name, (label, low, high, unit) in PATH_RANGES.items():
        path = getattr(world, name)
        stall = path.stall_after_years
        times = [0.0, end] if stall is None or stall >= end else [0.0, stall, end]
        logs = np.log(path.start) + np.asarray(path.log_growth(np.array(times)))
        outside = (logs > np.log(high)) | (logs < np.log(low))
        if not outside.any():
            continue
        first = int(np.argmax(outside))
        before, after = _PATH_GROWTH_KEYS[name]
        after_stall = after is not None and len(times) == 3 and first == 2 and not outside[1]
        key = after if after_stall else before
        section, field = key.split(".")
        value = getattr(getattr(s, section), field)
        reaches = f"10^{logs[first] / np.log(10):.1f}"
        message = (f"must keep {label} within {low:g} to {high:g} {unit} over the run "
                   f"(it would reach {reaches} in {s.meta.start_year + times[first]:g})")
        problems.append(_Problem(key, message, value))
    return problems


_CROSS_CHECKS = (_check_time, _check_thresholds, _check_value_exponent, _check_strategies, _check_firms,
                 _check_paths)


# --- overrides ------------------------------------------------------------------------------------


def _parse_override_value(raw: str) -> Any:
    """A TOML value (``3``, ``1e9``, ``"x"``, ``true``, ``[1, 2]``), else the bare string."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


def _split_key(key: str) -> list[str | int] | None:
    """``firms[0].price`` or ``firms.0.price`` -> ["firms", 0, "price"]; None if malformed."""
    parts = re.sub(r"\[(\d+)\]", r".\1", key.strip()).split(".")
    if any(not part.strip() for part in parts):
        return None
    return [int(part) if part.isdigit() else part.strip() for part in parts]


def _set_path(data: dict[str, Any], parts: list[str | int], value: Any) -> str | None:
    """Set ``data[parts] = value`` if the path is in the schema; else the reason it is not."""
    annotation: Any = Scenario
    node: Any = data
    for depth, part in enumerate(parts):
        here, last = parts[: depth + 1], depth == len(parts) - 1
        inner, _ = _strip_optional(annotation)
        if typing.get_origin(inner) is list:
            size = len(node) if isinstance(node, list) else 0
            if not isinstance(part, int) or part >= size:
                entries = "entry" if size == 1 else "entries"
                return f"{_path(here)}: no such entry ({_path(parts[:depth])} has {size} {entries})"
            annotation = typing.get_args(inner)[0]
        elif _is_model(inner):
            if not isinstance(part, str) or part not in inner.model_fields:
                return f"{_path(here)}: unknown key (allowed: {_allowed_keys(inner)})"
            annotation = inner.model_fields[part].annotation
            if not isinstance(node, dict):
                return f"{_path(parts[:depth])}: is not a table in the file, cannot set {part}"
        else:
            return f"{_path(here)}: {_path(parts[:depth])} is a single value and has no keys"
        if last:
            node[part] = value
        elif isinstance(node, dict):
            node = node.setdefault(part, [] if typing.get_origin(_strip_optional(annotation)[0]) is list else {})
        else:
            node = node[part]
    return None


#: Overrides as the CLI's ``--set`` takes them (``["firms.0.price=5"]``, values parsed as TOML) or
#: as a mapping from key path to value (``{"firms.0.price": 5}``, values used as they are).
Overrides = Sequence[str] | Mapping[str, Any]


def _override_entries(overrides: Overrides) -> list[tuple[str, str | None, Any]]:
    """(text naming the override in messages, key path or None if malformed, value) of each override."""
    if isinstance(overrides, Mapping):
        # numpy scalars (e.g. from np.linspace in a notebook) become the Python numbers strict validation expects
        return [(f"{key}={_format_value(value)}", str(key), value.item() if isinstance(value, np.generic) else value)
                for key, value in overrides.items()]
    entries = []
    for text in [overrides] if isinstance(overrides, str) else overrides:
        key, sep, raw = str(text).partition("=")
        entries.append((str(text), key if sep else None, _parse_override_value(raw.strip())))
    return entries


def _apply_overrides(data: dict[str, Any], overrides: Overrides) -> tuple[list[str], dict[str, str]]:
    """Apply overrides (see :data:`Overrides`) in place; returns (problems, key path -> override text)."""
    problems: list[str] = []
    origins: dict[str, str] = {}
    for text, key, value in _override_entries(overrides):
        parts = _split_key(key) if key is not None else None
        if parts is None:
            problems.append(f"override {text!r}: must have the form key.path=value (e.g. firms.0.price=5)")
            continue
        reason = _set_path(data, parts, value)
        if reason:
            problems.append(f"override {text!r}: {reason}")
        else:
            origins[_path(parts)] = text
    return problems, origins


def _with_origin(problem: _Problem, origins: Mapping[str, str]) -> str:
    """The problem's line, naming the override that set the value, if one did."""
    for key_path, text in origins.items():
        if problem.path == key_path or problem.path.startswith((key_path + ".", key_path + "[")):
            return f"{problem.render()} (from override {text!r})"
    return problem.render()


# --- public API -----------------------------------------------------------------------------------


def scenario_from_dict(
    data: Mapping[str, Any], source: str = "<dict>", overrides: Overrides = ()
) -> Scenario:
    """Validate a scenario given as nested dicts (as parsed from TOML), after applying overrides.

    Args:
        data: the scenario tables; not modified.
        source: name used at the start of every error line (a file path or ``<dict>``).
        overrides: ``key.path=value`` strings; list entries by index (``firms.0.price=5`` or
            ``firms[0].price=5``); values parsed as TOML, falling back to a bare string. Or a mapping
            from key path to value (``{"firms.0.price": 5}``), values taken as they are.

    Raises:
        ScenarioError: one line per problem, naming ``source``, the key path, value and what is allowed.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [f"(top level) = {_format_value(data)}: must be a table"])
    try:
        resolved = copy.deepcopy(dict(data))
    except RecursionError:
        raise ScenarioError(source, [TOO_DEEP]) from None
    override_problems, origins = _apply_overrides(resolved, overrides)
    if override_problems:
        raise ScenarioError(source, override_problems)
    try:
        return Scenario.model_validate(resolved)
    except RecursionError:
        raise ScenarioError(source, [TOO_DEEP]) from None
    except ValidationError as err:
        problems = _problems_from_validation(err)
        raise ScenarioError(source, [_with_origin(problem, origins) for problem in problems]) from None


def _toml_syntax_problem(err: tomllib.TOMLDecodeError) -> str:
    """``line L, column C: invalid TOML: ...`` from tomllib's message (which ends in the position)."""
    message = str(err)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if not match:
        return f"invalid TOML: {message}"
    return f"line {match[1]}, column {match[2]}: invalid TOML: {message[: match.start()]}"


def load_scenario(path: str | Path, overrides: Overrides = ()) -> Scenario:
    """Read, override and validate a scenario TOML file.

    Args:
        path: the TOML file (use :func:`resolve_scenario_path` to accept bundled names).
        overrides: ``key.path=value`` strings or a mapping, as in :func:`scenario_from_dict`.

    Raises:
        ScenarioError: unreadable file, TOML syntax error (with line and column) or invalid content.
    """
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ScenarioError(source, ["no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError(source, ["is a directory, not a scenario file"]) from None
    except UnicodeDecodeError as err:
        raise ScenarioError(source, [f"byte {err.start}: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, [_toml_syntax_problem(err)]) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ScenarioError(source, [TOO_DEEP]) from None
    return scenario_from_dict(data, source=source, overrides=overrides)


def load(source: str | Path | Scenario, overrides: Overrides = ()) -> Scenario:
    """A validated scenario from a file path or bundled name, as the CLI reads ``FILE --set ...``.

    Args:
        source: a TOML file, the name of a bundled scenario (``"baseline"``), or a
            :class:`Scenario` (returned as it is when there are no overrides).
        overrides: ``["hardware.stall_year=2030"]`` (the CLI's ``--set`` strings) or
            ``{"hardware.stall_year": 2030}``; the same key paths either way.

    Raises:
        ScenarioError: (a ValueError) no such file or bundled name, an unknown key, an invalid value.
    """
    if isinstance(source, Scenario):
        if not overrides:
            return source
        return scenario_from_dict(source.model_dump(mode="python"), source=f"<scenario {source.meta.name}>",
                                  overrides=overrides)
    return load_scenario(resolve_scenario_path(source), overrides)


def scenario_to_toml(s: Scenario) -> str:
    """The scenario as TOML text (every value resolved, None values dropped); loads back equal."""
    return tomli_w.dumps(s.model_dump(mode="python", exclude_none=True))


def _bundled_paths() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml")) if SCENARIO_DIR.is_dir() else []


def bundled_scenarios() -> list[tuple[str, Path, str]]:
    """(name, path, one-line description) of each bundled scenario, sorted by name.

    The name is the file's stem (what :func:`resolve_scenario_path` accepts); the description is
    the first line of ``meta.description``.

    Raises:
        ScenarioError: a bundled file is invalid.
    """
    result = []
    for path in _bundled_paths():
        description = load_scenario(path).meta.description.strip()
        result.append((path.stem, path, description.splitlines()[0] if description else ""))
    return result


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """The file for a path, or for the name of a bundled scenario (``baseline`` or ``baseline.toml``).

    Raises:
        ScenarioError: neither an existing file nor a bundled scenario name.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.is_dir():
        raise ScenarioError(str(name_or_path), ["is a directory, not a scenario file"])
    if len(path.parts) == 1:
        bundled = SCENARIO_DIR / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
        if bundled.is_file():
            return bundled
    names = ", ".join(p.stem for p in _bundled_paths()) or "none found"
    raise ScenarioError(str(name_or_path), [f"no such file or bundled scenario (bundled: {names})"])
