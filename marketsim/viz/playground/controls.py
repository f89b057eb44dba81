"""The playground's one table of controls, and what a setting of them changes in a scenario.

:data:`CONTROLS` lists every setting the page offers (scenario key path, range, step, unit; the
default is the scenario's value). Everything else is built from it: the sliders and their value
labels (:mod:`marketsim.viz.playground.page`), the scenario overrides (:func:`scenario_changes`,
:func:`apply_changes`) and the equivalent ``marketsim run`` command line (:func:`command_line`).
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from marketsim.config import Scenario, ThresholdFamily, scenario_from_dict
from marketsim.experiments.run import with_seed
from marketsim.sim.tables import period_name

__all__ = [
    "DEMAND_FAMILIES",
    "NEVER",
    "ControlKind",
    "Control",
    "CONTROLS",
    "control_named",
    "control_default",
    "control_bounds",
    "control_text",
    "year_range",
    "default_settings",
    "parse_seed",
    "ScenarioChanges",
    "scenario_changes",
    "apply_changes",
    "playground_scenario",
    "command_line",
    "settings_summary",
]

#: Threshold families the demand selector offers: every ``consumers.family`` the schema accepts.
DEMAND_FAMILIES: tuple[str, ...] = get_args(ThresholdFamily)

ControlKind = Literal["float", "int", "year", "choice", "seed"]


@dataclass(frozen=True)
class Control:
    """One setting of the page: what it changes in the scenario and how it is shown.

    Attributes:
        name: the page's identifier (settings dict key, CSS class ``marketsim-control-NAME``).
        key: the scenario key path it sets, as ``marketsim run --set`` spells it; one special
            path: ``firms`` is the number of firms (extra firms copy the first one).
        label: what the page calls it.
        unit: the unit of the shown value; ``{period}`` is replaced by the period's length.
        kind: "float"/"int" (slider), "year" (calendar year or never, a selector), "choice"
            (a selector of :attr:`choices`) or "seed" (a text box, a whole number >= 0).
        min, max, step: the slider's range and step, in shown units (a scenario value outside the
            range widens it, see :func:`control_bounds`).
        scale: scenario value = shown value x scale (e.g. 1e12: trillion tokens -> tokens).
        choices: the values of a "choice" control.
    """

    name: str
    key: str
    label: str
    unit: str
    kind: ControlKind = "float"
    min: float = 0.0
    max: float = 1.0
    step: float = 1.0
    scale: float = 1.0
    choices: tuple[str, ...] = ()


#: Every setting the page offers, in the order shown. Ranges are assumptions wide enough for the
#: questions the model is built for (docs/theory.md); defaults come from the scenario. Steps put the
#: baseline's values on the slider's grid (a value off the grid would snap on the first key press).
#: Prices are set by the firms (best-response pricing, docs/theory.md "Prices"), so the page offers
#: what sets them: the consumers' price sensitivity (the markup is about logit_lambda / price_sensitivity)
#: and the outside option (how good buying nothing is), not ``firms.price`` (used only by fixed pricing).
CONTROLS: tuple[Control, ...] = (
    Control("seed", "meta.seed", "Random seed", "as marketsim run --seed", "seed"),
    Control("hardware_growth", "hardware.growth_per_year", "Hardware growth", "x per year", "float", 1.0, 2.0, 0.01),
    Control("stall_year", "hardware.stall_year", "Hardware stalls after", "calendar year", "year"),
    Control("data_stock", "data.stock_tokens", "Data stock", "trillion effective tokens", "float", 100.0, 30000.0,
            50.0, scale=1e12),
    Control("data_growth", "data.stock_growth_per_year", "Data stock growth", "x per year", "float", 1.0, 1.5, 0.01),
    Control("data_efficiency", "data.efficiency_growth_per_year", "Data efficiency growth", "x per year", "float",
            1.0, 2.0, 0.01),
    Control("firms", "firms", "Number of firms", "(extra firms copy the first)", "int", 1, 6, 1),
    Control("price_sensitivity", "consumers.price_sensitivity", "Price sensitivity",
            "ln R per $ per adopter per {period}", "float", 0.1, 3.0, 0.01),
    Control("outside_option", "market.outside_option", "Outside option", "ln R relative to the best model at price 0",
            "float", -5.0, 2.0, 0.1),
    Control("sigma", "consumers.sigma", "Threshold spread sigma", "ln R", "float", 0.25, 3.0, 0.01),
    Control("family", "consumers.family", "Consumer threshold family", "", "choice", choices=DEMAND_FAMILIES),
)
_BY_NAME = {control.name: control for control in CONTROLS}
#: What the stall selector shows for "no stall" (the scenario's ``hardware.stall_year`` = None).
NEVER = "never"


def control_named(name: str) -> Control:
    """The control called ``name``.

    Raises:
        ValueError: no control has that name (the message lists the allowed names).
    """
    if name not in _BY_NAME:
        raise ValueError(f"unknown setting {name!r}: allowed {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


def _scenario_value(scenario: Scenario, key: str) -> Any:
    """The scenario value a control key path names (see :class:`Control` for the special paths)."""
    if key == "firms":
        return len(scenario.firms)
    node: Any = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _decimals(step: float) -> int:
    """Decimal places of a slider step (0.01 -> 2, 10 -> 0)."""
    return max(0, -math.floor(math.log10(step))) if step > 0 else 6


def _normal(control: Control, value: Any) -> Any:
    """``value`` in the control's own type: float rounded to the step's decimals (a slider may
    deliver 1.6800000000000002), int, a calendar year or None, a string."""
    if control.kind == "float":
        return round(float(value), _decimals(control.step))
    if control.kind == "int":
        return int(value)
    if control.kind == "year":
        return None if value in (None, 0, "", NEVER) else int(value)
    return str(value).strip() if control.kind == "seed" else str(value)


def control_default(control: Control, scenario: Scenario) -> Any:
    """The control's value in ``scenario``, in shown units (the seed as text, as typed)."""
    raw = _scenario_value(scenario, control.key)
    if control.kind == "float":
        return _normal(control, raw / control.scale)
    return _normal(control, raw)


def year_range(scenario: Scenario) -> tuple[int, int]:
    """First and last calendar year a stall can be set to (the run's first and last year)."""
    start = scenario.meta.start_year
    return start, max(int(scenario.end_year - scenario.period_years), start)


def control_bounds(control: Control, scenario: Scenario) -> tuple[float, float]:
    """The control's (min, max) for ``scenario``: the table's range widened to the scenario's value,
    or the run's years for a stall."""
    if control.kind == "year":
        return year_range(scenario)
    if control.kind not in ("float", "int"):
        raise ValueError(f"control {control.name!r} ({control.kind}) has no range")
    value = control_default(control, scenario)
    return min(control.min, value), max(control.max, value)


def _unit(control: Control, scenario: Scenario) -> str:
    return control.unit.format(period=period_name(scenario.meta.periods_per_year))


def control_text(control: Control, value: Any, scenario: Scenario) -> str:
    """The control's label with its value and unit, e.g. "Hardware growth: 1.38 x per year"."""
    unit = _unit(control, scenario)
    if control.kind == "year" and value in (None, NEVER):
        shown, unit = NEVER, ""
    elif control.kind == "float":
        shown = f"{float(value):,.{_decimals(control.step)}f}"
    else:
        shown = str(value)
    return f"{control.label}: {shown}{' ' + unit if unit else ''}"


def default_settings(scenario: Scenario) -> dict[str, Any]:
    """Every control at its value in ``scenario`` (control name -> shown value)."""
    return {control.name: control_default(control, scenario) for control in CONTROLS}


def parse_seed(value: int | str | None) -> int | None:
    """The seed typed in the page as an int (None when blank: the scenario's ``meta.seed``).

    The text box delivers a string, and ``"42"`` would seed a different stream from 42, so every
    seed goes through here.

    Raises:
        ValueError: not a whole number >= 0.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    try:
        seed = int(text)
    except (TypeError, ValueError):
        seed = -1
    if isinstance(value, bool) or seed < 0 or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"seed = {value!r}: must be a whole number >= 0 (or blank for the scenario's seed)")
    return seed


# --- settings -> scenario ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioChanges:
    """What the page's settings change in the base scenario.

    Attributes:
        overrides: ``key.path=value`` strings, exactly as ``marketsim run --set`` takes them.
        seed: the seed (``marketsim run --seed``); None keeps the scenario's.
        n_firms: a number of firms other than the scenario's (extra firms copy the first one);
            None when unchanged. ``--set`` cannot add firms, so :func:`command_line` names it.
        no_stall: remove the scenario's hardware stall (TOML has no null, so ``--set`` cannot).
    """

    overrides: tuple[str, ...] = ()
    seed: int | None = None
    n_firms: int | None = None
    no_stall: bool = False

    @property
    def empty(self) -> bool:
        return not (self.overrides or self.n_firms is not None or self.no_stall)


def _number(x: float) -> str:
    """A number as an override value: short and exact for slider values ("1.68", "5e+14")."""
    return f"{x:.12g}"


def _word(text: str) -> str:
    """A string as an override value: a plain word as it stands (``pareto``), else quoted as TOML."""
    plain = text.isidentifier() and text not in ("true", "false", "inf", "nan")
    return text if plain else json.dumps(text)


def _same(control: Control, new: Any, old: Any) -> bool:
    if control.kind == "float":
        return math.isclose(float(new), float(old), rel_tol=1e-9, abs_tol=1e-12)
    return new == old


def scenario_changes(base: Scenario, settings: Mapping[str, Any]) -> ScenarioChanges:
    """The overrides (and firm count, stall removal, seed) that turn ``base`` into the settings' run.

    Args:
        base: the scenario the page started from.
        settings: control name -> shown value (see :data:`CONTROLS`); a missing name keeps the
            scenario's value.

    Raises:
        ValueError: an unknown control name, a seed that is not a whole number >= 0, fewer than
            one firm, or a value of the wrong type.
    """
    unknown = sorted(set(settings) - set(_BY_NAME))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}: allowed {', '.join(_BY_NAME)}")
    overrides: list[str] = []
    seed = n_firms = None
    no_stall = False
    for control in CONTROLS:
        if control.name not in settings:
            continue
        if control.kind == "seed":
            seed = parse_seed(settings[control.name])
            continue
        try:
            value = _normal(control, settings[control.name])
        except (TypeError, ValueError):
            raise ValueError(f"{control.name} = {settings[control.name]!r}: must be a "
                             f"{'number' if control.kind in ('float', 'int') else control.kind}") from None
        if _same(control, value, control_default(control, base)):
            continue
        if control.key == "firms":
            if value < 1:
                raise ValueError(f"{control.name} = {value!r}: must be at least 1")
            n_firms = value
        elif control.kind == "year" and value is None:
            no_stall = True
        elif control.kind in ("float", "int", "year"):
            overrides.append(f"{control.key}={_number(value * control.scale)}")
        else:
            overrides.append(f"{control.key}={_word(value)}")
    return ScenarioChanges(tuple(overrides), seed, n_firms, no_stall)


def _resized_firms(firms: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The first ``n`` firm tables; extra firms copy the first one under new unique names."""
    kept = [dict(firm) for firm in firms[:n]]
    names = {firm["name"] for firm in kept}
    template = firms[0]
    copy_number = 2
    while len(kept) < n:
        name = f"{template['name']} {copy_number}"
        copy_number += 1
        if name not in names:
            kept.append({**template, "name": name})
            names.add(name)
    return kept


def apply_changes(base: Scenario, changes: ScenarioChanges) -> Scenario:
    """``base`` with ``changes`` applied and validated; ``base`` itself (up to the seed) when empty.

    Raises:
        ScenarioError: a value the scenario schema rejects, named with its key path and override.
    """
    scenario = base
    if not changes.empty:
        data = base.model_dump(mode="python")
        if changes.n_firms is not None:
            data["firms"] = _resized_firms(data["firms"], changes.n_firms)
        if changes.no_stall:
            data["hardware"]["stall_year"] = None
        scenario = scenario_from_dict(data, source=f"playground ({base.meta.name})", overrides=changes.overrides)
    return with_seed(scenario, changes.seed)


def playground_scenario(base: Scenario, settings: Mapping[str, Any]) -> Scenario:
    """``base`` with the page's settings (control name -> shown value) applied.

    Raises:
        ScenarioError, ValueError: as :func:`apply_changes` and :func:`scenario_changes`.
    """
    return apply_changes(base, scenario_changes(base, settings))


def command_line(file: str, base_overrides: tuple[str, ...], changes: ScenarioChanges) -> str:
    """The ``marketsim run`` command that computes the page's run, and what it cannot express.

    ``base_overrides`` are the overrides the page itself was started with.
    """
    words = ["marketsim", "run", file]
    for override in (*base_overrides, *changes.overrides):
        words += ["--set", override]
    if changes.seed is not None:
        words += ["--seed", str(changes.seed)]
    text = shlex.join(words)
    missing = []
    if changes.n_firms is not None:
        missing.append(f"{changes.n_firms} firms (extra firms copy the first)")
    if changes.no_stall:
        missing.append("no hardware stall")
    return text + (f"  # plus, in the scenario file: {'; '.join(missing)}" if missing else "")


def settings_summary(scenario: Scenario) -> str:
    """One line naming the values the page's controls set in ``scenario`` (what this run uses)."""
    return "; ".join(control_text(control, control_default(control, scenario), scenario) for control in CONTROLS)
