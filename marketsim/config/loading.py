"""Reading scenarios: files, bundled names, dicts and overrides, validated into a :class:`Scenario`.

A file may extend another (``extends = "baseline"``, :mod:`marketsim.config.inheritance`): the chain
is resolved first, then ``--set`` overrides apply, then the whole is validated.

Every problem is reported as one line naming the file, the key path, the offending value and what
is allowed, e.g. ``scenarios/bad.toml: consumers.count = 0: must be an integer >= 1 and <= 100000000``;
a value set by an override says so: ``... (from override 'firms.0.price=cheap')``.
"""

from __future__ import annotations

import atexit
import copy
import importlib.resources
import re
import tomllib
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from pydantic import ValidationError

from marketsim.config.inheritance import EXTENDS, resolve_extends
from marketsim.config.keypaths import KeyPathError, format_key, parse_assignment, parse_key, set_at
from marketsim.config.describe import close_key
from marketsim.config.problems import TOO_DEEP, Problem, ScenarioError, format_value, problems_from_validation
from marketsim.config.schema import Scenario


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

#: Overrides as the CLI's ``--set`` takes them (``["firms.0.price=5"]``, values parsed as TOML) or
#: as a mapping from key path to value (``{"firms.0.price": 5}``, values used as they are).
Overrides = Sequence[str] | Mapping[str, Any]


# --- overrides ------------------------------------------------------------------------------------


def _override_entries(overrides: Overrides) -> list[tuple[str, list[str | int] | None, Any]]:
    """(text naming the override in messages, key path or None if malformed, value) of each override."""
    entries: list[tuple[str, list[str | int] | None, Any]] = []
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            # numpy scalars (e.g. from np.linspace in a notebook) become the Python numbers strict validation expects
            value = value.item() if isinstance(value, np.generic) else value
            try:
                parts: list[str | int] | None = parse_key(str(key))
            except KeyPathError:
                parts = None
            entries.append((f"{key}={format_value(value)}", parts, value))
        return entries
    for text in [overrides] if isinstance(overrides, str) else overrides:
        try:
            key, value = parse_assignment(str(text))
            entries.append((str(text), parse_key(key), value))
        except KeyPathError:
            entries.append((str(text), None, None))
    return entries


def _apply_overrides(data: dict[str, Any], overrides: Overrides) -> tuple[list[str], dict[str, str]]:
    """Apply overrides (see :data:`Overrides`) in place; returns (problems, key path -> override text)."""
    problems: list[str] = []
    origins: dict[str, str] = {}
    for text, parts, value in _override_entries(overrides):
        if parts is None:
            problems.append(f"override {text!r}: must have the form key.path=value (e.g. firms.0.price=5)")
            continue
        reason = set_at(data, parts, value, Scenario)
        if reason:
            problems.append(f"override {text!r}: {reason}")
        else:
            origins[format_key(parts)] = text
    return problems, origins


def _with_origin(problem: Problem, origins: Mapping[str, str], inherited: Mapping[str, str]) -> str:
    """The problem's line, naming the override that set the value if one did, else the parent file
    (``extends``) that set it if it was inherited."""
    for key_path, text in origins.items():
        if problem.path == key_path or problem.path.startswith((key_path + ".", key_path + "[")):
            return f"{problem.render()} (from override {text!r})"
    if problem.path in inherited:
        return f"{problem.render()} (set in {inherited[problem.path]})"
    return problem.render()


# --- inheritance (extends) ------------------------------------------------------------------------


def _extends_problem(value: Any, reason: str) -> str:
    return f"{EXTENDS} = {format_value(value)}: {reason}"


def _read_parent(value: Any, child: str, folder: Path) -> tuple[Path, dict[str, Any]]:
    """The file ``extends = value`` names (relative to ``folder``, the child's) and its parsed tables.

    A value ending in ``.toml`` or holding a path separator is a file path; anything else is the
    name of a bundled scenario.
    """
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(child, [_extends_problem(value, 'must be the name of a bundled scenario (e.g. "baseline") '
                                                           'or a path to a .toml file relative to this file')])
    if value.endswith(".toml") or "/" in value or "\\" in value:
        path = folder / Path(value).expanduser()
        if not path.is_file():
            hint = f'; a bundled scenario is named without .toml (extends = "{Path(value).stem}")' \
                if (SCENARIO_DIR / Path(value).name).is_file() else ""
            raise ScenarioError(child, [_extends_problem(value, f"no such file ({path}); a path is relative "
                                                                f"to the file that states it{hint}")])
        return path, _read_toml(path)
    path = SCENARIO_DIR / f"{value}.toml"
    if not path.is_file():
        names = ", ".join(p.stem for p in _bundled_paths()) or "none found"
        raise ScenarioError(child, [_extends_problem(value, f"no such bundled scenario (bundled: {names}; "
                                                            f"a file of your own needs a path ending in .toml)")])
    return path, _read_toml(path)


def _resolve(data: Mapping[str, Any], source: str, folder: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
    """(tables with ``extends`` resolved, {key path: parent file that set it}); a copy either way."""
    if EXTENDS not in data:
        return copy.deepcopy(dict(data)), {}
    path = Path(source)
    identity = path.resolve() if path.is_file() else None
    resolved, origins = resolve_extends(data, source, folder or Path.cwd(), _read_parent, identity)
    return resolved, {key: file for key, file in origins.items() if file != source}


def resolve_scenario_text(text: str, path: str) -> str:
    """The TOML text of a scenario file with its ``extends`` chain resolved (the text itself if it
    extends nothing or does not parse: validation reports that later, with line and column).

    Used where a scenario travels as text (sweep workers never open files).

    Raises:
        ScenarioError: a parent that does not exist or does not parse, or a cycle.
    """
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    if EXTENDS not in data:
        return text
    resolved, _ = _resolve(data, path, Path(path).parent)
    return tomli_w.dumps(resolved)


# --- reading ----------------------------------------------------------------------------------------


def scenario_from_dict(
    data: Mapping[str, Any], source: str = "<dict>", overrides: Overrides = (), folder: Path | None = None
) -> Scenario:
    """Validate a scenario given as nested dicts (as parsed from TOML), after resolving ``extends``
    and applying overrides.

    Args:
        data: the scenario tables; not modified. A top-level ``extends`` names a parent scenario
            (:mod:`marketsim.config.inheritance`).
        source: name used at the start of every error line (a file path or ``<dict>``).
        folder: where a relative ``extends`` path is looked for (default: the working folder).
        overrides: ``key.path=value`` strings; list entries by index (``firms.0.price=5`` or
            ``firms[0].price=5``); values parsed as TOML, falling back to a bare string. Or a mapping
            from key path to value (``{"firms.0.price": 5}``), values taken as they are.

    Raises:
        ScenarioError: one line per problem, naming ``source``, the key path, value and what is allowed.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(source, [f"(top level) = {format_value(data)}: must be a table"])
    try:
        resolved, inherited = _resolve(data, source, folder)
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
        problems = _typos_of_extends_first(problems_from_validation(Scenario, err, top_level=(EXTENDS,)), data)
        raise ScenarioError(source, [_with_origin(problem, origins, inherited) for problem in problems]) from None


def _typos_of_extends_first(problems: list[Problem], data: Mapping[str, Any]) -> list[Problem]:
    """The problems with a top-level key that looks like a typo of ``extends`` (``extend``,
    ``extends_from``: its line says "did you mean extends?") first: the missing tables that follow
    are what the parent would have supplied."""
    known = [*Scenario.model_fields, EXTENDS]
    typos = {key for key in data if key not in known and close_key(key, known) == EXTENDS}
    return sorted(problems, key=lambda problem: problem.path not in typos)


def toml_syntax_problem(err: tomllib.TOMLDecodeError) -> str:
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
        ScenarioError: unreadable file, TOML syntax error (with line and column), invalid content,
            or an ``extends`` chain that names a missing file or cycles.
    """
    data = _read_toml(path)
    return scenario_from_dict(data, source=str(path), overrides=overrides, folder=Path(path).parent)


def _read_toml(path: str | Path) -> Any:
    """The parsed TOML of a file (ScenarioError naming the file: missing, a folder, not UTF-8, bad syntax)."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ScenarioError(source, ["no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError(source, ["is a directory, not a scenario file"]) from None
    except UnicodeDecodeError as err:
        raise ScenarioError(source, [f"byte {err.start}: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, [toml_syntax_problem(err)]) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ScenarioError(source, [TOO_DEEP]) from None


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


# --- bundled scenarios -------------------------------------------------------------------------------


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
