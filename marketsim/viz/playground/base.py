"""Where the playground's scenario comes from: the file and overrides the playground command gave.

``marketsim playground FILE --set ...`` runs ``solara run marketsim.viz.playground`` with the
scenario file in :data:`SCENARIO_ENV` and its overrides in :data:`OVERRIDES_ENV`;
:func:`playground_base` reads them back (once per server: the base never changes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import NamedTuple

from marketsim.config import Scenario, load_scenario, resolve_scenario_path, scenario_from_dict

__all__ = ["SCENARIO_ENV", "OVERRIDES_ENV", "MAX_CONSUMERS", "PageBase", "playground_base"]

#: Environment variable holding the scenario file (path or bundled name) the page starts from.
SCENARIO_ENV = "MARKETSIM_PLAYGROUND_SCENARIO"
#: Environment variable holding a JSON list of ``key.path=value`` overrides for that scenario.
OVERRIDES_ENV = "MARKETSIM_PLAYGROUND_SET"
#: Simulated consumers in the page at most. Assumption: 20,000 (the bundled scenarios' own count)
#: keeps a whole run at about a second, so a moved slider shows its effect quickly.
MAX_CONSUMERS = 20_000


class PageBase(NamedTuple):
    """The scenario the page starts from, as the playground command gave it.

    Attributes:
        scenario: the scenario file with its overrides, capped at :data:`MAX_CONSUMERS` consumers.
        note: one sentence saying how many consumers the page simulates (and what was capped).
        file: the file as ``marketsim run`` takes it (a bundled name when it is one).
        overrides: the overrides that make ``scenario`` from ``file`` (including the cap).
    """

    scenario: Scenario
    note: str
    file: str
    overrides: tuple[str, ...]


def _file_name(given: str) -> str:
    """``given`` as the shortest argument naming the same file: a bundled name when it is one."""
    path = resolve_scenario_path(given)
    try:
        if resolve_scenario_path(path.stem).resolve() == path.resolve():
            return path.stem
    except ValueError:  # ScenarioError: the stem names no bundled scenario
        pass
    return given


def playground_base(environ: Mapping[str, str] | None = None) -> PageBase:
    """The scenario named by :data:`SCENARIO_ENV` with :data:`OVERRIDES_ENV`, capped to
    :data:`MAX_CONSUMERS` simulated consumers (default: the bundled baseline).

    Raises:
        ScenarioError: the file or an override is invalid.
        ValueError: :data:`OVERRIDES_ENV` is not a JSON list of strings.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(OVERRIDES_ENV, "[]")
    try:
        overrides = json.loads(raw)
    except json.JSONDecodeError:
        overrides = None
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ValueError(f"{OVERRIDES_ENV} = {raw!r}: must be a JSON list of key.path=value strings")
    given = environ.get(SCENARIO_ENV) or "baseline"
    scenario = load_scenario(resolve_scenario_path(given), overrides)
    file = _file_name(given)
    count = scenario.consumers.count
    if count <= MAX_CONSUMERS:
        return PageBase(scenario, f"{count:,} simulated consumers, as in the scenario file.", file, tuple(overrides))
    cap = f"consumers.count={MAX_CONSUMERS}"
    capped = scenario_from_dict(scenario.model_dump(mode="python"), source=f"playground ({scenario.meta.name})",
                                overrides=[cap])
    note = f"{MAX_CONSUMERS:,} simulated consumers (the file has {count:,}; fewer keep the page fast)."
    return PageBase(capped, note, file, (*overrides, cap))

