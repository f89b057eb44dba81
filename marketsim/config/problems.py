"""Problems with a scenario, and the error that reports them one line each.

Every problem is one line naming the source, the key path, the offending value and what is
allowed, e.g. ``scenarios/bad.toml: consumers.count = 0: must be an integer >= 1 and <= 100000000``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from marketsim.config.describe import describe, did_you_mean, is_model, node_at, strip_optional
from marketsim.config.keypaths import format_key

__all__ = [
    "TOO_DEEP",
    "CrossFieldError",
    "Problem",
    "ScenarioError",
    "exit_on_scenario_error",
    "format_value",
    "problems_from_validation",
    "unknown_key",
]

#: The problem reported for arrays or tables nested deeper than Python's recursion limit allows.
TOO_DEEP = ("arrays or tables nested too deeply to read (hundreds of levels); a scenario's values are "
            "numbers, strings or tables at most two levels deep")


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


def format_value(value: Any) -> str:
    """A TOML-like rendering of an offending value, shortened to 80 characters to keep one line."""
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


class _Unset:
    """Marker: a problem that has no offending value to show (e.g. a missing key)."""


_NO_VALUE = _Unset()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, at a key path (``firms[1].price``)."""

    path: str
    message: str
    value: Any = _NO_VALUE

    def render(self) -> str:
        """One line: ``path = value: message`` (or ``path: message`` without a value)."""
        if isinstance(self.value, _Unset):
            return f"{self.path}: {self.message}"
        return f"{self.path} = {format_value(self.value)}: {self.message}"


class CrossFieldError(ValueError):
    """Raised inside validation with the cross-field problems, so their key paths survive pydantic."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(problem.render() for problem in problems))


def unknown_key(path: str, key: Any, allowed: Sequence[str], also: Sequence[str] = ()) -> Problem:
    """``path: unknown key (allowed: a, b, c); did you mean b?``: the hint when ``key`` looks like a
    typo of an allowed key or of one of ``also`` (keys allowed but not listed, e.g. ``extends``)."""
    return Problem(path, f"unknown key (allowed: {', '.join(allowed)})" + did_you_mean(key, [*allowed, *also]))


def _problem_from_error(root: type[BaseModel], error: Mapping[str, Any],
                        top_level: Sequence[str] = ()) -> list[Problem]:
    """Turn one pydantic error into problems with a key path, value and what is allowed
    (``top_level``: keys a file may have at the top level besides ``root``'s fields)."""
    kind, loc = error["type"], tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if kind == "value_error" and isinstance(cause, CrossFieldError):
        return list(cause.problems)
    if kind == "extra_forbidden":
        parent = node_at(root, loc[:-1])
        model = strip_optional(parent[0])[0] if parent else None
        if not is_model(model):
            return [Problem(format_key(loc), "unknown key")]
        return [unknown_key(format_key(loc), loc[-1], list(model.model_fields), top_level if len(loc) == 1 else ())]
    node = node_at(root, loc)
    allowed = f"must be {describe(*node)}" if node else error["msg"]
    if kind == "missing":
        return [Problem(format_key(loc), f"required key is missing ({allowed})")]
    return [Problem(format_key(loc), allowed, error.get("input"))]


def problems_from_validation(root: type[BaseModel], err: ValidationError,
                             top_level: Sequence[str] = ()) -> list[Problem]:
    """All problems of a pydantic ValidationError of ``root``, in file order, without duplicates.

    An unknown key that looks like a typo of a known one ends in ``; did you mean KEY?``;
    ``top_level`` names keys a file may have at the top level besides ``root``'s fields (``extends``,
    resolved before validation), so that ``extend = "baseline"`` is hinted too.
    """
    problems: list[Problem] = []
    for error in err.errors(include_url=False):
        problems.extend(p for p in _problem_from_error(root, error, top_level) if p not in problems)
    return problems
