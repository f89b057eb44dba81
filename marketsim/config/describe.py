"""What a field of a pydantic schema allows, in words: the end of a sentence starting "must be".

Generic over any pydantic model (nothing here knows the scenario's sections), so that the key-path
code (:mod:`marketsim.config.keypaths`) and the error messages (:mod:`marketsim.config.problems`)
share one reading of annotations and constraints.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel

__all__ = [
    "Says",
    "allowed_keys",
    "annotation_members",
    "bounds_phrase",
    "describe",
    "format_number",
    "is_model",
    "model_fields",
    "node_at",
    "strip_optional",
]


class Says:
    """Constraint metadata with the exact words of what a value must be (used by :func:`describe`).

    Example: ``Annotated[str, Field(pattern=...), Says("a string with at least one letter")]``.
    """

    def __init__(self, text: str) -> None:
        self.text = text


def annotation_members(annotation: Any) -> set[Any]:
    """The member types of a (possibly Optional / union) annotation."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set(typing.get_args(annotation))
    return {annotation}


def strip_optional(annotation: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed) for ``X | None``; other annotations unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def is_model(annotation: Any) -> bool:
    """Whether the annotation is a pydantic model class."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def model_fields(annotation: Any) -> dict[str, Any] | None:
    """The fields of the pydantic model an (Optional) annotation names, else None."""
    for member in annotation_members(annotation):
        if is_model(member):
            return dict(member.model_fields)
    return None


def allowed_keys(model: type[BaseModel]) -> str:
    """The model's keys, comma-separated, in declaration order."""
    return ", ".join(model.model_fields)


def close_key(key: Any, candidates: Sequence[str]) -> str | None:
    """The candidate ``key`` looks like a typo of (:func:`difflib.get_close_matches`, cutoff 0.6), or None."""
    matches = difflib.get_close_matches(str(key), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(key: Any, candidates: Sequence[str]) -> str:
    """``"; did you mean X?"`` when ``key`` looks like a typo of a candidate, else ``""``."""
    match = close_key(key, candidates)
    return f"; did you mean {match}?" if match else ""


def node_at(root: type[BaseModel], loc: Sequence[str | int]) -> tuple[Any, list[Any]] | None:
    """(annotation, constraint metadata) of the schema node at ``loc`` under ``root``; None if absent."""
    annotation: Any = root
    metadata: list[Any] = []
    for part in loc:
        inner, _ = strip_optional(annotation)
        if isinstance(part, int) and typing.get_origin(inner) is list:
            annotation, metadata = typing.get_args(inner)[0], []
        elif isinstance(part, str) and is_model(inner) and part in inner.model_fields:
            field = inner.model_fields[part]
            annotation, metadata = _unwrap_annotated(field.annotation, list(field.metadata))
        else:
            return None
    return annotation, metadata


def _unwrap_annotated(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """``Annotated[int, Field(ge=1)] | None`` (a constrained alias made optional, e.g. ``Periods | None``)
    -> (``int | None``, its constraints); other annotations unchanged."""
    inner, optional = strip_optional(annotation)
    if typing.get_origin(inner) is not typing.Annotated:
        return annotation, metadata
    base, *extras = typing.get_args(inner)
    for extra in extras:
        metadata = metadata + list(getattr(extra, "metadata", [extra]))
    return (base | None if optional else base), metadata


def format_number(value: float) -> str:
    """A bound as written in a message: integers without a decimal point, large ones as 1e+15."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e7:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def bounds_phrase(metadata: Sequence[Any]) -> str:
    """E.g. ``> 0 and <= 1`` from annotated-types constraints ("" when unbounded)."""
    phrases = []
    for constraint in metadata:
        for kind, attribute, symbol in ((Gt, "gt", ">"), (Ge, "ge", ">="), (Lt, "lt", "<"), (Le, "le", "<=")):
            if isinstance(constraint, kind):
                phrases.append(f"{symbol} {format_number(getattr(constraint, attribute))}")
    return " and ".join(phrases)


def describe(annotation: Any, metadata: Sequence[Any]) -> str:
    """What a schema node allows, e.g. ``a number >= 0 and <= 1000000`` or ``one of "a", "b"``."""
    inner, optional = strip_optional(annotation)
    min_length = next((c.min_length for c in metadata if isinstance(c, MinLen)), 0)
    max_length = next((c.max_length for c in metadata if isinstance(c, MaxLen)), None)
    says = next((c.text for c in metadata if isinstance(c, Says)), None)
    if says is not None:
        text = says
    elif inner is str and max_length is not None:
        text = f"a string of {min_length} to {max_length} characters"
    elif typing.get_origin(inner) is Literal:
        text = "one of " + ", ".join(json.dumps(arg) for arg in typing.get_args(inner))
    elif typing.get_origin(inner) is list:
        text = "an array of tables"
        text += f" with at least {min_length} entry" if min_length else ""
    elif is_model(inner):
        text = "a table"
    elif inner is str:
        text = "a non-empty string" if min_length else "a string"
    else:
        noun = {int: "an integer", float: "a number"}.get(inner, getattr(inner, "__name__", str(inner)))
        bounds = bounds_phrase(metadata)
        text = f"{noun} {bounds}" if bounds else noun
    return f"{text} (or omitted)" if optional else text
