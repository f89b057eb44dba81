"""Scenario inheritance: ``extends = "baseline"`` at the top of a scenario file.

A scenario file may start with a top-level key ``extends`` naming its parent: the name of a bundled
scenario (``extends = "baseline"``) or a path to a ``.toml`` file relative to the child file
(``extends = "../base/world.toml"``; any value ending in ``.toml`` or holding a ``/`` is a path,
anything else a bundled name). The child then states only what it changes:

- tables are merged key by key, at every depth (``[consumers] sigma = 0.5`` changes sigma only);
- plain arrays are replaced as a whole;
- ``[[firms]]``: if the child has any, its list is the scenario's list of firms, in the child's order
  (a parent firm the child does not list is dropped); a child firm whose ``name`` is a firm of the
  parent inherits that firm's keys and changes only the ones it states (``[[firms]] name = "Frontier"``
  alone keeps the parent's Frontier as it is); a firm with a new name is a new firm, stated in full.
  A child without ``[[firms]]`` keeps the parent's firms.
- chains are allowed (a parent may itself extend another file); a cycle is an error naming the files.

The resolution happens before validation and before ``--set`` overrides, so overrides apply to the
resolved scenario and every written ``scenario.toml`` is the resolved scenario in full (no
``extends``). Each resolved value remembers the file that set it, so a problem with an inherited
value says where it was set: ``child.toml: consumers.sigma = -1.0: must be ... (set in base.toml)``.
This module is pure (no file access): :mod:`marketsim.config.loading` supplies the reader.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from marketsim.config.keypaths import format_key
from marketsim.config.problems import ScenarioError, format_value

__all__ = ["EXTENDS", "ParentReader", "resolve_extends"]

#: The top-level key naming a scenario's parent.
EXTENDS = "extends"

#: The key of the array of tables whose entries are matched by name (see the module docstring).
_BY_NAME = "firms"

#: (value of ``extends``, file that states it or None for a dict, folder of that file) ->
#: (the parent's file, its parsed tables). Raises ScenarioError naming the child, the key and the value.
ParentReader = Callable[[Any, str, Path], tuple[Path, dict[str, Any]]]

#: Origins: a tree shaped like the data whose leaves are the file that set each value.
_Origins = Any


def _origin_tree(value: Any, file: str) -> _Origins:
    """Every leaf of ``value`` attributed to ``file``."""
    if isinstance(value, Mapping):
        return {key: _origin_tree(item, file) for key, item in value.items()}
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        return [_origin_tree(item, file) for item in value]
    return file


def _merge(parent: Any, parent_origins: _Origins, child: Any, file: str, key: str | None) -> tuple[Any, _Origins]:
    """``child`` laid over ``parent`` (rules in the module docstring); returns (value, origins)."""
    if isinstance(parent, Mapping) and isinstance(child, Mapping):
        merged, origins = dict(parent), dict(parent_origins)
        for name, value in child.items():
            if name in parent:
                merged[name], origins[name] = _merge(parent[name], parent_origins[name], value, file, name)
            else:
                merged[name], origins[name] = copy.deepcopy(value), _origin_tree(value, file)
        return merged, origins
    if key == _BY_NAME and _named_tables(parent) and _named_tables(child):
        by_name = {entry["name"]: i for i, entry in enumerate(parent) if isinstance(entry.get("name"), str)}
        pairs = []
        for entry in child:
            name = entry.get("name")
            i = by_name.get(name) if isinstance(name, str) else None
            pairs.append(_merge(parent[i], parent_origins[i], entry, file, None) if i is not None
                         else (copy.deepcopy(entry), _origin_tree(entry, file)))
        return [value for value, _ in pairs], [origin for _, origin in pairs]
    return copy.deepcopy(child), _origin_tree(child, file)


def _named_tables(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


def _flatten(origins: _Origins, parts: list[str | int]) -> dict[str, str]:
    """{key path as messages write it (``firms[0].price``): file} of an origin tree."""
    if isinstance(origins, Mapping):
        items: Any = origins.items()
    elif isinstance(origins, list):
        items = enumerate(origins)
    else:
        return {format_key(parts): origins}
    out: dict[str, str] = {}
    for key, value in items:
        out.update(_flatten(value, [*parts, key]))
    return out


def resolve_extends(
    data: Mapping[str, Any], source: str, folder: Path, read_parent: ParentReader, identity: Path | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The scenario tables with every ``extends`` in the chain resolved.

    Args:
        data: the parsed tables of the file (or dict) named ``source``; not modified.
        source: the name used in messages (the file path, or ``<dict>``).
        folder: where a relative ``extends`` path is looked for (the file's folder).
        read_parent: reads a parent (see :data:`ParentReader`).
        identity: the resolved path of ``source`` if it is a file (to detect a cycle back to it).

    Returns:
        (the resolved tables without ``extends``, {key path: file that set it}) where the file is
        ``source`` or a parent's path.

    Raises:
        ScenarioError: a parent that does not exist or does not parse, or a cycle (naming every file).
    """
    chain: list[tuple[str, Path | None]] = [(source, identity)]
    layers = [dict(data)]
    while EXTENDS in layers[-1]:
        child_source = chain[-1][0]
        parent_path, parent_data = read_parent(layers[-1][EXTENDS], child_source, folder)
        key = parent_path.resolve()
        if any(seen == key for _, seen in chain):
            names = " -> ".join([name for name, _ in chain] + [str(parent_path)])
            problem = (f"{EXTENDS} = {format_value(layers[-1][EXTENDS])}: scenarios extend each other in a cycle "
                       f"({names}); a scenario cannot extend itself, directly or through its parents")
            raise ScenarioError(child_source, [problem])
        if not isinstance(parent_data, Mapping):
            raise ScenarioError(str(parent_path), [f"(top level) = {format_value(parent_data)}: must be a table"])
        chain.append((str(parent_path), key))
        layers.append(dict(parent_data))
        folder = parent_path.parent
    merged: dict[str, Any] = {}
    origins: _Origins = {}
    for (name, _), layer in zip(reversed(chain), reversed(layers), strict=True):
        layer = {key: value for key, value in layer.items() if key != EXTENDS}
        merged, origins = _merge(merged, origins, layer, name, None)
    return merged, _flatten(origins, [])
