"""Key paths into a scenario: the one place that reads ``a.b.0.c`` / ``a.b[0].c`` and ``key=value``.

A key path names one value of a scenario: table keys joined by dots, list entries by index, written
either ``firms.0.price`` or ``firms[0].price`` (both mean the same). The first segment is a name
(letter or ``_``, then letters, digits, ``_``); later ones are names, indices ``.N`` or ``[N]``.
Messages always show the canonical form ``firms[0].price`` (:func:`format_key`).

Public API (everything else here is private)::

    from marketsim.config.keypaths import (
        KeyPathError, parse_key, is_key, format_key, without_indices,   # syntax
        parse_value, parse_assignment, split_assignments,    # key=value text (``--set``, FILE[...])
        set_at, field_type,                                   # against a pydantic schema / instance
        parse_scalar, format_scalar,                          # grid values (int, float, bool, text)
        parse_list_specs, parse_range_specs,                 # --grid key=v1,v2 / --param key=lo:hi
    )

    parse_key("firms[0].price")          -> ["firms", 0, "price"]   (KeyPathError if malformed)
    is_key("firms.0.price")              -> True
    format_key(["firms", 0, "price"])    -> "firms[0].price"
    without_indices("firms[0].price")    -> "firms.price"   (the field of every entry)
    parse_value("1e9") -> 1e9; parse_value('"x"') -> "x"; parse_value("cheap") -> "cheap" (TOML, else text)
    parse_assignment("meta.seed=3")      -> ("meta.seed", 3)         (KeyPathError without '=' / bad key)
    split_assignments('a=1,b=[1, 2],c="x,y"') -> ["a=1", "b=[1, 2]", 'c="x,y"']  (commas outside [] {} "")
    set_at(data, ["meta", "seed"], 3, Scenario) -> None, or the reason (e.g. "meta.sed: unknown key (allowed: ...)")
    field_type(scenario, "firms.0.retrain_every_periods") -> int   (ValueError naming the missing field)
    parse_scalar("3") -> 3; parse_scalar("1.5") -> 1.5; parse_scalar("true") -> True; else the text
    format_scalar(0.1) -> "0.1" (floats round-trip exactly, booleans as true/false)
    parse_list_specs(["hardware.growth_per_year=1.2,1.35"], option="--grid")
        -> {"hardware.growth_per_year": [1.2, 1.35]}   (ValueError "--grid 'SPEC': ...")
    parse_range_specs(["hardware.growth_per_year=1.1:1.5"], option="--param")
        -> {"hardware.growth_per_year": (1.1, 1.5)}    (ValueError "--param 'SPEC': ...")

Applying a whole set of overrides to a scenario (messages naming each override) is
:func:`marketsim.config.loading.scenario_from_dict`'s job; it uses :func:`parse_assignment` and
:func:`set_at` from here.
"""

from __future__ import annotations

import math
import re
import tomllib
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from marketsim.config.describe import (allowed_keys, annotation_members, did_you_mean, is_model, model_fields,
                                       strip_optional)

__all__ = [
    "GridValue",
    "KeyPathError",
    "field_type",
    "format_key",
    "format_scalar",
    "is_key",
    "parse_assignment",
    "parse_key",
    "parse_list_specs",
    "parse_range_specs",
    "parse_scalar",
    "parse_value",
    "set_at",
    "split_assignments",
    "without_indices",
]

#: One value of a ``--grid`` list (one type family per key, so that table columns stay typed).
GridValue = int | float | bool | str

#: The whole grammar of a key path (see the module docstring).
_KEY_PATH = re.compile(r"^[A-Za-z_]\w*(\.\w+|\[\d+\])*$")
_FORM = "must have the form key.path=value (e.g. firms.0.price=5)"
_LIST_FORM = "expected key.path=v1,v2,... (e.g. hardware.growth_per_year=1.2,1.35)"
_RANGE_FORM = "expected key.path=low:high (e.g. hardware.growth_per_year=1.1:1.5)"


class KeyPathError(ValueError):
    """Malformed key path or ``key=value`` text; ``str()`` says what the form must be."""


# --- syntax -----------------------------------------------------------------------------------------


def is_key(text: str) -> bool:
    """Whether ``text`` (surrounding blanks ignored) is a well-formed key path."""
    return bool(_KEY_PATH.match(text.strip()))


def parse_key(text: str) -> list[str | int]:
    """``firms[0].price`` or ``firms.0.price`` -> ``["firms", 0, "price"]`` (indices as ints).

    Raises:
        KeyPathError: not a key path (empty segment, blank, stray characters).
    """
    if not is_key(text):
        raise KeyPathError(f"{text!r}: {_FORM}")
    return [int(part) if part.isdigit() else part for part in _segments(text.strip())]


def _segments(text: str) -> list[str]:
    """The segments of a key path as text, ``[N]`` read as ``.N``: ``a[0].b`` -> ``["a", "0", "b"]``."""
    return re.sub(r"\[(\d+)\]", r".\1", text).split(".")


def without_indices(text: str) -> str:
    """The key path with its list indices dropped, naming the field of every entry:
    ``firms[0].price`` and ``firms.0.price`` -> ``firms.price``."""
    return ".".join(part for part in _segments(text) if not part.isdigit())


def format_key(parts: Sequence[str | int]) -> str:
    """The canonical text of a key path, list indices in brackets: ``firms[1].price``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_value(raw: str) -> Any:
    """A TOML value (``3``, ``1e9``, ``"x"``, ``true``, ``[1, 2]``), else the bare (stripped) text."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key.path=value`` -> (key path as written, stripped; value by :func:`parse_value`).

    Raises:
        KeyPathError: no ``=`` or a malformed key path.
    """
    key, sep, raw = text.partition("=")
    if not sep or not is_key(key):
        raise KeyPathError(_FORM)
    return key.strip(), parse_value(raw.strip())


def split_assignments(text: str) -> list[str]:
    """Split ``a.b=1,c.d=[1, 2],e="x,y"`` at the commas outside brackets, braces and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


# --- against a schema ---------------------------------------------------------------------------------


def set_at(data: dict[str, Any], parts: Sequence[str | int], value: Any, root: type[BaseModel]) -> str | None:
    """Set ``data[parts] = value`` in nested dicts/lists if the path exists in the schema ``root``.

    Missing tables on the way are created; list entries must already exist.

    Returns:
        None when set, else the reason (one line starting with the key path), e.g.
        ``firms[5]: no such entry (firms has 2 entries)`` or ``meta.sed: unknown key (allowed: ...)``.
    """
    annotation: Any = root
    node: Any = data
    for depth, part in enumerate(parts):
        here, last = parts[: depth + 1], depth == len(parts) - 1
        inner, _ = strip_optional(annotation)
        if typing.get_origin(inner) is list:
            size = len(node) if isinstance(node, list) else 0
            if not isinstance(part, int) or part >= size:
                entries = "entry" if size == 1 else "entries"
                return f"{format_key(here)}: no such entry ({format_key(parts[:depth])} has {size} {entries})"
            annotation = typing.get_args(inner)[0]
        elif is_model(inner):
            if not isinstance(part, str) or part not in inner.model_fields:
                return f"{format_key(here)}: unknown key (allowed: {allowed_keys(inner)}){did_you_mean(part, list(inner.model_fields))}"
            annotation = inner.model_fields[part].annotation
            if not isinstance(node, dict):
                return f"{format_key(parts[:depth])}: is not a table in the file, cannot set {part}"
        else:
            return f"{format_key(here)}: {format_key(parts[:depth])} is a single value and has no keys"
        if last:
            node[part] = value
        elif isinstance(node, dict):
            node = node.setdefault(part, [] if typing.get_origin(strip_optional(annotation)[0]) is list else {})
        else:
            node = node[part]
    return None


def field_type(model: BaseModel, key_path: str) -> Any:
    """The Python type of the field at ``key_path`` (e.g. ``"firms.0.retrain_every_periods"``) of a
    pydantic model instance: the value's type if set, else its annotation's non-None member.

    Raises:
        ValueError: naming the key path and the missing field or list entry.
    """
    node: Any = model
    annotation: Any = type(model)
    walked: list[str] = []
    for segment in _segments(key_path):
        here = ".".join(walked) or "the scenario"
        model_type = node if isinstance(node, BaseModel) else None
        fields = type(node).model_fields if model_type is not None else model_fields(annotation)
        if fields is not None:
            if segment not in fields:
                raise ValueError(f"{key_path}: {here} has no field {segment!r} (allowed: {', '.join(fields)})")
            annotation = fields[segment].annotation
            node = getattr(node, segment) if model_type is not None else None
        elif isinstance(node, list | tuple):
            if not segment.isdigit() or int(segment) >= len(node):
                entries = "entry" if len(node) == 1 else "entries"
                raise ValueError(f"{key_path}: {here} has {len(node)} {entries}, no entry {segment!r}")
            node, annotation = node[int(segment)], None
        else:
            raise ValueError(f"{key_path}: {here} is a single value and has no field {segment!r}")
        walked.append(segment)
    if node is not None:
        return type(node)
    members = annotation_members(annotation) - {type(None)}
    return next(iter(members)) if len(members) == 1 else annotation


# --- batch specs: key=v1,v2 and key=lo:hi ----------------------------------------------------------------


def parse_scalar(text: str) -> GridValue:
    """One grid value: int, then float, then true/false (any case), else the text itself."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def format_scalar(value: GridValue) -> str:
    """A grid value as override text (floats by repr, so they round-trip exactly; true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _scalars(texts: list[str]) -> list[GridValue]:
    """The values of one key: numbers if all are numbers, booleans if all are, else the texts."""
    values = [parse_scalar(t) for t in texts]
    if all(isinstance(v, bool) for v in values):
        return values
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return values
    return list(texts)


def parse_list_specs(specs: Sequence[str], option: str = "--grid") -> dict[str, list[GridValue]]:
    """``["key.path=v1,v2,..."]`` -> {key path: [values]} (typed as :func:`_scalars` says).

    Raises:
        ValueError: ``{option} 'SPEC': ...`` for a missing ``=``, a bad key path, an empty or
            repeated value, a non-finite number or a key given twice.
    """
    result: dict[str, list[GridValue]] = {}
    for spec in specs:
        key, sep, values_text = (part.strip() for part in spec.partition("="))
        if not sep or not is_key(key):
            raise ValueError(f"{option} {spec!r}: {_LIST_FORM}")
        texts = [v.strip() for v in values_text.split(",")]
        if any(not t for t in texts):
            raise ValueError(f"{option} {spec!r}: empty value in {values_text!r}; {_LIST_FORM}")
        if len(set(texts)) != len(texts):
            raise ValueError(f"{option} {spec!r}: a value is repeated; give each value once")
        if key in result:
            raise ValueError(f"{option} {spec!r}: key {key!r} is given twice; list all values in one spec")
        values = _scalars(texts)
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ValueError(f"{option} {spec!r}: values must be finite numbers (no nan or inf)")
        result[key] = values
    return result


def parse_range_specs(specs: Sequence[str], option: str = "--param") -> dict[str, tuple[float, float]]:
    """``["key.path=low:high"]`` -> {key path: (low, high)} as floats.

    Raises:
        ValueError: ``{option} 'SPEC': ...`` for a bad format, non-numbers, low >= high, a
            non-finite end or a key given twice.
    """
    result: dict[str, tuple[float, float]] = {}
    for spec in specs:
        key, sep, range_text = (part.strip() for part in spec.partition("="))
        low_text, colon, high_text = range_text.partition(":")
        if not sep or not colon or not is_key(key):
            raise ValueError(f"{option} {spec!r}: {_RANGE_FORM}")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            raise ValueError(f"{option} {spec!r}: low and high must be numbers; {_RANGE_FORM}") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"{option} {spec!r}: need finite low < high, got low={low}, high={high}")
        if key in result:
            raise ValueError(f"{option} {spec!r}: key {key!r} is given twice")
        result[key] = (low, high)
    return result

