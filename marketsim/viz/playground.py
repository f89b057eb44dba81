"""The marketsim playground: a browser page to watch a run unfold and move its settings.

Start it with ``marketsim playground [FILE] [--set key.path=value ...] [--port N]`` (needs
``pip install -e ".[app]"``); the command runs ``solara run marketsim.viz.playground`` with the scenario file in
the environment variable :data:`SCENARIO_ENV` and its overrides in :data:`OVERRIDES_ENV`.

How the page works:

* **One session, one state.** Every browser session (a Solara virtual kernel) renders its own
  :func:`Page`, which creates its own :class:`PlaygroundSession`: the settings, the period shown and
  play/pause. Nothing a session changes lives at module level, so two tabs never see each other's
  run, a new tab starts at period 0, and playback stops when its tab closes (the play thread ends
  when the page unmounts, the kernel closes or no page of the session is connected).
* **Settings listed once.** :data:`CONTROLS` is the one table of controls (scenario key path, range,
  step, unit; the default is the scenario's value). The sliders, their value labels, the scenario
  overrides (:func:`scenario_changes`) and the equivalent ``marketsim run`` command line
  (:func:`command_line`) are all built from it.
* **Precomputed, then revealed.** When the settings change, the whole run is computed in the
  background (:func:`compute_run`, the same model and seed as ``marketsim run``), then each report
  figure of :mod:`marketsim.viz.figures` is drawn once over the whole run, with and without its data
  (:func:`reveal_figure`). Playing reveals the data period by period by clipping the drawn image, so
  a frame costs no drawing: 80 quarters play in 80 / (4 x speed) seconds (10 s at the default of
  2 simulated years per second).
* **Tables.** The Tables tab shows model.csv and firms.csv up to the period shown, with downloads
  written exactly as ``marketsim run`` writes its tables (:func:`table_csv`) and columns.csv.

Runs and drawn figures are pure functions of a scenario, so a small cache shares them between
sessions (a second tab with the same settings opens at once); it holds no state a session changes.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import math
import os
import shlex
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import mesa
import pandas as pd
import solara
import solara.lab
from matplotlib.figure import Figure

from marketsim.viz import figures as plots
from marketsim.sim.tables import columns_table, period_name
from marketsim.experiments.outputs import write_table
from marketsim.experiments.run import with_seed
from marketsim.sim.model import MODEL_COLUMNS, MarketModel
from marketsim.viz.figures import human_number
from marketsim.config.scenario import Scenario, load_scenario, resolve_scenario_path, scenario_from_dict

__all__ = [
    "SCENARIO_ENV",
    "OVERRIDES_ENV",
    "MAX_CONSUMERS",
    "COMPARE_STALL_AFTER_YEARS",
    "DEMAND_FAMILIES",
    "SPEEDS",
    "DEFAULT_SPEED",
    "Control",
    "CONTROLS",
    "control_default",
    "control_bounds",
    "control_text",
    "default_settings",
    "parse_seed",
    "ScenarioChanges",
    "scenario_changes",
    "apply_changes",
    "playground_scenario",
    "command_line",
    "PageBase",
    "playground_base",
    "PlaygroundRun",
    "Cancelled",
    "compute_run",
    "stall_counterpart",
    "compare_label",
    "shown_tables",
    "table_csv",
    "headline_values",
    "settings_summary",
    "AxesBox",
    "RevealFigure",
    "reveal_figure",
    "Panel",
    "RUN_PANELS",
    "Prepared",
    "prepare",
    "PlaygroundSession",
    "play",
    "Page",
]

#: Environment variable holding the scenario file (path or bundled name) the page starts from.
SCENARIO_ENV = "MARKETSIM_PLAYGROUND_SCENARIO"
#: Environment variable holding a JSON list of ``key.path=value`` overrides for that scenario.
OVERRIDES_ENV = "MARKETSIM_PLAYGROUND_SET"
#: Simulated consumers in the page at most. Assumption: 20,000 (the bundled scenarios' own count)
#: keeps a whole run at about a second, so a moved slider shows its effect quickly.
MAX_CONSUMERS = 20_000
#: Years after the start at which the compare view stalls hardware when the current settings
#: have no stall. Assumption: as the bundled hardware_stall scenario (2030 for a 2025 start).
COMPARE_STALL_AFTER_YEARS = 5
#: Threshold families the demand selector offers (scenario.py ``consumers.family``).
DEMAND_FAMILIES = ("lognormal", "pareto", "loguniform")
#: Playback speeds offered, in simulated years per second of wall time.
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)
#: Default playback speed (simulated years per second): 20 years in 10 s. Assumption: fast enough
#: to see a whole run at once, slow enough to follow a model generation (a year or two).
DEFAULT_SPEED = 2.0
#: Seconds between playback frames at most (the period shown follows the clock, not the frames,
#: so a slow frame skips periods instead of slowing the playback down).
FRAME_SECONDS = 0.05
#: Seconds a settings change waits before computing, so dragging a slider starts one run, not many.
DEBOUNCE_SECONDS = 0.3
#: Resolution of the page's figures (dots per inch): plots.py figures are 8-12 inches wide, so
#: 640-960 pixels, about the width of the page's columns.
SCREEN_DPI = 80
#: Runs and drawn figure sets kept in the cache shared by sessions (each is ~1 MB at most).
CACHE_SIZE = 8


# --- the controls table ---------------------------------------------------------------------------

ControlKind = Literal["float", "int", "year", "choice", "seed"]


@dataclass(frozen=True)
class Control:
    """One setting of the page: what it changes in the scenario and how it is shown.

    Attributes:
        name: the page's identifier (settings dict key, CSS class ``marketsim-control-NAME``).
        key: the scenario key path it sets, as ``marketsim run --set`` spells it; two special
            paths: ``firms`` is the number of firms (extra firms copy the first one) and
            ``firms.*.price`` sets every firm's price.
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
#: questions the model is built for (docs/theory.md); defaults come from the scenario.
CONTROLS: tuple[Control, ...] = (
    Control("seed", "meta.seed", "Random seed", "as marketsim run --seed", "seed"),
    Control("hardware_growth", "hardware.growth_per_year", "Hardware growth", "x per year", "float", 1.0, 2.0, 0.01),
    Control("stall_year", "hardware.stall_year", "Hardware stalls after", "calendar year", "year"),
    Control("data_stock", "data.stock_tokens", "Data stock", "trillion tokens", "float", 10.0, 3000.0, 10.0,
            scale=1e12),
    Control("data_growth", "data.stock_growth_per_year", "Data stock growth", "x per year", "float", 1.0, 1.5, 0.01),
    Control("data_efficiency", "data.efficiency_growth_per_year", "Data efficiency growth", "x per year", "float",
            1.0, 2.0, 0.01),
    Control("firms", "firms", "Number of firms", "(extra firms copy the first)", "int", 1, 6, 1),
    Control("price", "firms.*.price", "Price", "$ per adopter per {period}", "float", 0.0, 5.0, 0.05),
    Control("sigma", "consumers.sigma", "Threshold spread sigma", "ln R", "float", 0.25, 3.0, 0.05),
    Control("family", "consumers.family", "Consumer threshold family", "", "choice", choices=DEMAND_FAMILIES),
)
_BY_NAME = {control.name: control for control in CONTROLS}
_NEVER = "never"  # the stall selector's "no stall"


def _scenario_value(scenario: Scenario, key: str) -> Any:
    """The scenario value a control key path names (see :class:`Control` for the special paths)."""
    if key == "firms":
        return len(scenario.firms)
    if key.startswith("firms.*."):
        return getattr(scenario.firms[0], key.removeprefix("firms.*."))
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
        return None if value in (None, 0, "", _NEVER) else int(value)
    return str(value).strip() if control.kind == "seed" else str(value)


def control_default(control: Control, scenario: Scenario) -> Any:
    """The control's value in ``scenario``, in shown units (the seed as text, as typed)."""
    raw = _scenario_value(scenario, control.key)
    if control.kind == "float":
        return _normal(control, raw / control.scale)
    return _normal(control, raw)


def _year_range(scenario: Scenario) -> tuple[int, int]:
    """First and last calendar year a stall can be set to (the run's first and last year)."""
    start = scenario.meta.start_year
    return start, max(int(scenario.end_year - scenario.period_years), start)


def control_bounds(control: Control, scenario: Scenario) -> tuple[float, float]:
    """The control's (min, max) for ``scenario``: the table's range widened to the scenario's value,
    or the run's years for a stall."""
    if control.kind == "year":
        return _year_range(scenario)
    if control.kind not in ("float", "int"):
        raise ValueError(f"control {control.name!r} ({control.kind}) has no range")
    value = control_default(control, scenario)
    return min(control.min, value), max(control.max, value)


def _unit(control: Control, scenario: Scenario) -> str:
    return control.unit.format(period=period_name(scenario.meta.periods_per_year))


def control_text(control: Control, value: Any, scenario: Scenario) -> str:
    """The control's label with its value and unit, e.g. "Hardware growth: 1.38 x per year"."""
    unit = _unit(control, scenario)
    if control.kind == "year" and value in (None, _NEVER):
        shown, unit = _NEVER, ""
    elif control.kind == "float":
        shown = f"{float(value):,.{_decimals(control.step)}f}"
    else:
        shown = str(value)
    if unit.startswith("$ "):  # "$ per adopter" reads "$1.00 per adopter"
        shown, unit = f"${shown}", unit.removeprefix("$ ")
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
    firm_count = len(base.firms)
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
            n_firms = firm_count = value
        elif control.kind == "year" and value is None:
            no_stall = True
        elif control.key.startswith("firms.*."):
            overrides += [f"firms.{i}.{control.key.removeprefix('firms.*.')}={_number(value * control.scale)}"
                          for i in range(firm_count)]
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


# --- where the page's scenario comes from ---------------------------------------------------------


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


# --- runs (pure results of a scenario, cached) ----------------------------------------------------

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Cache(Generic[K, V]):
    """A small thread-safe least-recently-used cache of immutable results."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Cancelled(Exception):
    """A computation stopped because its result is no longer wanted (the settings changed)."""


@dataclass(frozen=True)
class PlaygroundRun:
    """A whole run of a scenario, as ``marketsim run`` computes it.

    Shared between sessions through the cache: read it, never modify it.

    Attributes:
        scenario: the resolved scenario (``meta.seed`` is the seed used).
        model: model.csv (one row per period).
        firms: firms.csv (one row per firm per period).
        start: the model.csv values before the first period (the headline at period 0).
    """

    scenario: Scenario
    model: pd.DataFrame
    firms: pd.DataFrame
    start: Mapping[str, float]

    @property
    def periods(self) -> int:
        """Periods computed: the scenario's horizon, or fewer when every firm left the market."""
        return len(self.model)

    @property
    def key(self) -> str:
        return _scenario_key(self.scenario)


def _scenario_key(scenario: Scenario) -> str:
    return scenario.model_dump_json()


_RUNS: _Cache[str, PlaygroundRun] = _Cache(CACHE_SIZE)


def compute_run(scenario: Scenario, should_stop: Callable[[], bool] | None = None) -> PlaygroundRun:
    """The whole run of ``scenario`` with its ``meta.seed``: the tables ``marketsim run`` writes.

    Args:
        scenario: a validated scenario.
        should_stop: polled once per period; True abandons the run (raises :class:`Cancelled`).
    """
    key = _scenario_key(scenario)
    cached = _RUNS.get(key)
    if cached is not None:
        return cached
    model = MarketModel(scenario, seed=scenario.meta.seed)
    start = {column: float(getattr(model, column)) for column in MODEL_COLUMNS}

    def check(done: int, total: int, year: float) -> None:
        if should_stop is not None and should_stop():
            raise Cancelled(f"run of {scenario.meta.name} stopped at period {done} of {total}")

    try:
        model.run(progress=check)
        run = PlaygroundRun(scenario, model.model_table(), model.firm_table(), start)
    finally:
        # Mesa 3.3.1 keeps every model in a class-level dict of agent ids (mesa issue #3179); a
        # page that recomputes on every slider move would otherwise grow without bound.
        model.remove_all_agents()
        mesa.Agent._ids.pop(model, None)
    return _RUNS.put(key, run)


def stall_counterpart(scenario: Scenario) -> Scenario:
    """``scenario`` with its hardware stall toggled: removed when it has one, else added
    :data:`COMPARE_STALL_AFTER_YEARS` after the start (clipped to the run's last year)."""
    data = scenario.model_dump(mode="python")
    if scenario.hardware.stall_year is not None:
        data["hardware"]["stall_year"] = None
    else:
        first, last = _year_range(scenario)
        data["hardware"]["stall_year"] = min(first + COMPARE_STALL_AFTER_YEARS, last)
    return scenario_from_dict(data, source=f"playground ({scenario.meta.name}, stall toggled)")


def compare_label(scenario: Scenario) -> str:
    """The compare view's name for a run: "no stall" or "stall after YEAR"."""
    stall = scenario.hardware.stall_year
    return "no stall" if stall is None else f"stall after {stall}"


def shown_tables(run: PlaygroundRun, period: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(model.csv, firms.csv) of the first ``period`` periods: what the page shows at ``period``."""
    return (run.model[run.model["step"] < period].reset_index(drop=True),
            run.firms[run.firms["step"] < period].reset_index(drop=True))


def table_csv(table: pd.DataFrame) -> str:
    """``table`` as CSV text, byte for byte as ``marketsim run`` writes its tables."""
    buffer = io.StringIO()
    write_table(table, buffer)  # type: ignore[arg-type]  # pandas' to_csv: a path or a buffer
    return buffer.getvalue()


def _columns_csv(run: PlaygroundRun) -> str:
    """columns.csv for the downloads: unit and meaning of every column of model.csv and firms.csv."""
    table = columns_table({"model.csv": list(run.model.columns), "firms.csv": list(run.firms.columns)},
                          run.scenario.meta.periods_per_year, strict=False)
    return table.to_csv(index=False, lineterminator="\n")


# --- what the page says -------------------------------------------------------------------------


def _values_at(run: PlaygroundRun, period: int) -> Mapping[str, Any]:
    """model.csv values at the end of ``period`` (the start values at period 0)."""
    if period <= 0 or run.periods == 0:
        return run.start
    return run.model.iloc[min(period, run.periods) - 1]


def headline_values(run: PlaygroundRun, period: int) -> dict[str, str]:
    """The headline's numbers at ``period``: calendar year (the period's start), E (FLOP per
    dollar), data stock (effective tokens), adopters (people, and share of the population), HHI
    (0-1), largest model on sale (parameters N) and training spend (dollars over the last year)."""
    row = _values_at(run, period)
    return {
        "Year": f"{float(row['year']):.2f}",
        "E (FLOP/$)": f"{float(row['E']):.3g}",
        "Data stock (tokens)": f"{float(row['data_stock']):.3g}",
        "Adopters": f"{human_number(float(row['adopters']))} ({100 * float(row['adoption_share']):.1f}%)",
        "HHI": f"{float(row['hhi']):.3f}",
        "Largest N": human_number(float(row["largest_N"])),
        "Training spend/yr": human_number(float(row["training_spend_annual"]), "$"),
    }


def settings_summary(scenario: Scenario) -> str:
    """One line naming the values the page's controls set in ``scenario`` (what this run uses)."""
    return "; ".join(control_text(control, control_default(control, scenario), scenario) for control in CONTROLS)


# --- figures drawn once, revealed by clipping -------------------------------------------------------


@dataclass(frozen=True)
class AxesBox:
    """Where one axes of a drawn figure is, as fractions of the image from its top-left corner.

    Attributes:
        left, top, right, bottom: the axes' edges (0-1).
        x0, x1: the data x (calendar years) at the left and right edges; None when the x axis is
            not a linear axis of years (then the axes is shown whole).
    """

    left: float
    top: float
    right: float
    bottom: float
    x0: float | None
    x1: float | None

    def revealed_right(self, year: float | None, pad: float) -> float:
        """The right edge of the revealed part (fraction of the image) when data up to ``year``
        is shown (None: nothing yet); ``pad`` (a fraction) keeps the last point's line whole."""
        if self.x0 is None or self.x1 is None:
            return self.right
        if year is None:
            return self.left
        x = self.left + (year - self.x0) / (self.x1 - self.x0) * (self.right - self.left)
        return min(max(x + pad, self.left), self.right)


@dataclass(frozen=True)
class RevealFigure:
    """A report figure drawn over the whole run twice: with its data and without.

    The page shows the figure without data and, on top, the figure with data clipped to each
    axes' revealed part (:meth:`clip_paths`).

    Attributes:
        title: what the figure shows (the images' alt text).
        full_png, empty_png: the figure with and without its data (lines, areas, bars).
        width, height: image size (pixels).
        axes: every axes of the figure.
    """

    title: str
    full_png: bytes
    empty_png: bytes
    width: int
    height: int
    axes: tuple[AxesBox, ...]

    @functools.cached_property
    def full_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.full_png).decode("ascii")

    @functools.cached_property
    def empty_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.empty_png).decode("ascii")

    def clip_paths(self, year: float | None) -> list[str]:
        """CSS ``clip-path`` per axes showing its data up to calendar year ``year`` (None: none)."""
        pad = 2.0 / self.width  # 2 pixels: the line width of the last point
        paths = []
        for box in self.axes:
            right = box.revealed_right(year, pad)
            paths.append(f"inset({100 * box.top:.3f}% {100 * (1 - right):.3f}% "
                         f"{100 * (1 - box.bottom):.3f}% {100 * box.left:.3f}%)")
        return paths


def _is_data(artist: Any, ax: Any) -> bool:
    """True for an artist placed in data coordinates on both axes (a line, area or bar of the
    data); reference lines and stall markers are placed in axes coordinates on one axis."""
    return bool(artist.get_transform().contains_branch(ax.transData))


def _freeze(fig: Figure) -> None:
    """Fix what a draw decided (axis limits, legend places, layout), so the figure drawn again
    without its data keeps every other pixel in place."""
    for ax in fig.axes:
        ax.set_xlim(ax.get_xlim())
        ax.set_ylim(ax.get_ylim())
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    for legend in legends:
        if legend is None:
            continue
        # 'best' places a legend away from the data, so without the data it would move: pin its
        # lower-left corner where the draw put it, in the coordinates of its anchor box.
        box, anchor = legend.get_window_extent(), legend.get_bbox_to_anchor()
        if anchor.width <= 0 or anchor.height <= 0:
            continue  # anchored to a point, not placed by the data
        legend.set_loc(((box.x0 - anchor.x0) / anchor.width, (box.y0 - anchor.y0) / anchor.height))
    fig.set_layout_engine("none")


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def reveal_figure(fig: Figure, title: str, dpi: int = SCREEN_DPI) -> RevealFigure:
    """Draw ``fig`` (a :mod:`marketsim.viz.figures` figure of the whole run) with and without its data.

    The figure is modified (its data hidden) and should not be used afterwards.
    """
    fig.set_dpi(dpi)
    full = _png(fig, dpi)
    _freeze(fig)
    width, height = int(round(fig.bbox.width)), int(round(fig.bbox.height))
    boxes = []
    for ax in fig.axes:
        extent = ax.get_window_extent()
        x0, x1 = map(float, ax.get_xlim()) if ax.get_xscale() == "linear" and ax.axison else (None, None)
        boxes.append(AxesBox(float(extent.x0 / width), float(1 - extent.y1 / height), float(extent.x1 / width),
                             float(1 - extent.y0 / height), x0, x1))
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images]:
            if _is_data(artist, ax):
                artist.set_visible(False)
    return RevealFigure(title, full, _png(fig, dpi), width, height, tuple(boxes))


def _stall(run: PlaygroundRun) -> float | None:
    return run.scenario.hardware.stall_year


@dataclass(frozen=True)
class Panel:
    """One figure of the Market tab: a :mod:`marketsim.viz.figures` report figure of the run.

    Attributes:
        name: CSS class suffix (``marketsim-plot-NAME``) and cache key.
        title: what it shows.
        draw: the run -> the figure over the whole run.
    """

    name: str
    title: str
    draw: Callable[[PlaygroundRun], Figure]


def _run_plot(plotter: Callable[..., Figure], table: Literal["model", "firms"]) -> Callable[[PlaygroundRun], Figure]:
    def draw(run: PlaygroundRun) -> Figure:
        return plotter(getattr(run, table), scenario=run.scenario.meta.name, stall_year=_stall(run))

    return draw


#: The Market tab's figures, in the order shown.
RUN_PANELS: tuple[Panel, ...] = (
    Panel("adoption", "Adoption", _run_plot(plots.plot_adoption, "model")),
    Panel("training-spend", "Industry training spend", _run_plot(plots.plot_training_spend, "model")),
    Panel("model-size", "Model size and training data per firm", _run_plot(plots.plot_model_size, "firms")),
    Panel("market-shares", "Market shares", _run_plot(plots.plot_market_shares, "firms")),
    Panel("prices-profits", "Prices and profits per firm", _run_plot(plots.plot_prices_profits, "firms")),
)
COMPARE_PANEL = "compare"


def _compare_runs(run: PlaygroundRun, twin: PlaygroundRun) -> list[PlaygroundRun]:
    """The run and its stall counterpart, the one without a stall first."""
    return sorted((run, twin), key=lambda r: r.scenario.hardware.stall_year is not None)


def _compare_figure(run: PlaygroundRun, twin: PlaygroundRun) -> Figure:
    runs = _compare_runs(run, twin)
    return plots.plot_compare_overview({compare_label(r.scenario): r.model for r in runs},
                                       stall_years={compare_label(r.scenario): _stall(r) for r in runs})


_FIGURES: _Cache[tuple[str, str], RevealFigure] = _Cache(CACHE_SIZE * (len(RUN_PANELS) + 1))


def _figure(key: tuple[str, str], title: str, draw: Callable[[], Figure]) -> RevealFigure:
    cached = _FIGURES.get(key)
    return cached if cached is not None else _FIGURES.put(key, reveal_figure(draw(), title))


@dataclass(frozen=True)
class Prepared:
    """What the page has computed for the current settings so far.

    Attributes:
        run: the run.
        figures: the Market tab's figures drawn so far (panel name -> figure).
        twin: the run with the hardware stall toggled (None until computed).
        compare: the compare figure (None until drawn).
    """

    run: PlaygroundRun
    figures: Mapping[str, RevealFigure] = field(default_factory=dict)
    twin: PlaygroundRun | None = None
    compare: RevealFigure | None = None

    @property
    def complete(self) -> bool:
        return self.compare is not None and len(self.figures) == len(RUN_PANELS)

    @property
    def progress(self) -> float:
        """Fraction done (0-1) of the run, its figures, the stall counterpart and its figure."""
        done = 1 + len(self.figures) + (self.twin is not None) + (self.compare is not None)
        return done / (len(RUN_PANELS) + 3)


def prepare(scenario: Scenario, cancel: threading.Event | None = None, debounce: float = DEBOUNCE_SECONDS,
            compare: bool = True) -> Iterator[Prepared]:
    """Compute the run, draw its figures, then (if ``compare``) compute the stall counterpart and
    draw the compare figure, yielding what is ready after each step (the page shows each as it comes).

    Waits ``debounce`` seconds first unless the run is cached, and stops (yielding nothing more)
    as soon as ``cancel`` is set.
    """
    cancel = cancel or threading.Event()
    if _RUNS.get(_scenario_key(scenario)) is None and cancel.wait(debounce):
        return
    try:
        run = compute_run(scenario, cancel.is_set)
        prepared = Prepared(run)
        yield prepared
        for panel in RUN_PANELS:
            if cancel.is_set():
                return
            figure = _figure((run.key, panel.name), panel.title, lambda panel=panel: panel.draw(run))
            prepared = Prepared(run, {**prepared.figures, panel.name: figure})
            yield prepared
        if not compare:
            return
        twin = compute_run(stall_counterpart(scenario), cancel.is_set)
        prepared = Prepared(run, prepared.figures, twin)
        yield prepared
        if cancel.is_set():
            return
        compare = _figure((run.key, COMPARE_PANEL), "With and without a hardware stall",
                          lambda: _compare_figure(run, twin))
        yield Prepared(run, prepared.figures, twin, compare)
    except Cancelled:
        return


# --- one browser session -----------------------------------------------------------------------------


class PlaygroundSession:
    """Everything one browser session changes; :func:`Page` creates one per session.

    Attributes (each a :class:`solara.Reactive`; the page re-renders when one changes):
        settings: control name -> shown value (:data:`CONTROLS`).
        period: periods revealed (0 = the start, before the first period).
        playing: whether playback is on.
        speed: playback speed (simulated years per second).
        tab: the tab shown (0 Market, 1 Stall vs no stall, 2 Tables).
    """

    def __init__(self, base: PageBase) -> None:
        self.base = base
        self.settings = solara.reactive(default_settings(base.scenario))
        self.period = solara.reactive(0)
        self.playing = solara.reactive(False)
        self.speed = solara.reactive(DEFAULT_SPEED)
        self.tab = solara.reactive(0)

    def changes(self) -> tuple[ScenarioChanges, str | None]:
        """The settings' changes to the base scenario, and why they cannot be used (or None)."""
        try:
            changes = scenario_changes(self.base.scenario, self.settings.value)
            apply_changes(self.base.scenario, changes)
        except ValueError as err:  # ScenarioError included
            return ScenarioChanges(), str(err)
        return changes, None

    def scenario(self) -> tuple[Scenario, str | None]:
        """The run's scenario, and why the settings could not be used (then it is the base)."""
        changes, error = self.changes()
        return apply_changes(self.base.scenario, changes), error

    def set_setting(self, name: str, value: Any) -> None:
        """Change one setting (pauses playback; the period shown stays)."""
        if name not in _BY_NAME:
            raise ValueError(f"unknown setting {name!r}: allowed {', '.join(_BY_NAME)}")
        self.playing.value = False
        self.settings.value = {**self.settings.value, name: value}

    def restore_defaults(self) -> None:
        """Every setting back to the scenario file's value."""
        self.playing.value = False
        self.settings.value = default_settings(self.base.scenario)

    def reset(self) -> None:
        """Back to the start of the run (period 0), paused."""
        self.playing.value = False
        self.period.value = 0

    def seek(self, period: int, periods: int) -> None:
        """Show ``period`` (clipped to 0..periods), paused."""
        self.playing.value = False
        self.period.value = min(max(int(period), 0), periods)

    def step(self, periods: int) -> None:
        """One period further (up to ``periods``), paused."""
        self.seek(self.period.value + 1, periods)

    def toggle_play(self, periods: int) -> None:
        """Play (from the start again when at the end) or pause."""
        if self.playing.value:
            self.playing.value = False
            return
        if self.period.value >= periods:
            self.period.value = 0
        self.playing.value = True


def play(session: PlaygroundSession, periods: int, periods_per_year: int, stop: threading.Event,
         connected: Callable[[], bool] = lambda: True, clock: Callable[[], float] = time.monotonic) -> None:
    """Reveal periods at ``session.speed`` until the last one, ``stop`` is set or the page is gone.

    The period shown follows the clock (``speed`` x ``periods_per_year`` periods per second since
    the start), so a slow frame skips periods rather than slowing playback. When ``connected()``
    turns False (the session has no page left), playback pauses.
    """
    rate = session.speed.value * periods_per_year  # periods per second
    start_time, start_period = clock(), session.period.value
    while not stop.wait(FRAME_SECONDS):
        if not connected():
            session.playing.value = False
            return
        target = min(periods, start_period + int((clock() - start_time) * rate))
        if target != session.period.value:
            session.period.value = target
        if target >= periods:
            session.playing.value = False
            return


def _page_connected() -> Callable[[], bool]:
    """A test of whether the current session still has a page open (always True outside a server)."""
    from solara.server import kernel_context

    if not kernel_context.has_current_context():
        return lambda: True
    context = kernel_context.get_current_context()

    def connected() -> bool:
        if context.closed_event.is_set():
            return False
        statuses = list(context.page_status.values())
        return not statuses or kernel_context.PageStatus.CONNECTED in statuses

    return connected


# --- components ----------------------------------------------------------------------------------------

_CSS = """
.marketsim-plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 16px; }
.marketsim-plots .marketsim-wide { grid-column: 1 / -1; max-width: 960px; }
.marketsim-plot { position: relative; width: 100%; }
.marketsim-plot img { width: 100%; display: block; }
.marketsim-plot img.marketsim-data { position: absolute; left: 0; top: 0; }
.marketsim-control { margin-top: 10px; }
.marketsim-control-value { font-size: 14px; }
.marketsim-command { font-family: monospace; font-size: 12px; white-space: pre-wrap; word-break: break-all;
                     background: #f4f4f4; padding: 6px; border-radius: 4px; }
.marketsim-muted { font-size: 12px; color: #666; }
"""


@solara.component
def RevealImage(figure: RevealFigure, year: float | None, name: str) -> None:
    """``figure`` with its data shown up to calendar year ``year``; only the clipping changes
    from frame to frame, so the browser receives the images once. A figure more than twice as
    wide as high takes a whole row of the grid."""
    wide = ["marketsim-wide"] if figure.width > 2 * figure.height else []
    with solara.Div(classes=["marketsim-plot", f"marketsim-plot-{name}", *wide]):
        solara.v.Html(tag="img", attributes={"src": figure.empty_url, "alt": figure.title},
                      class_="marketsim-empty")
        for path in figure.clip_paths(year):
            solara.v.Html(tag="img", attributes={"src": figure.full_url, "alt": ""}, class_="marketsim-data",
                          style_=f"clip-path: {path};")


@solara.component
def ControlInput(control: Control, session: PlaygroundSession) -> None:
    """One control: its label with the current value and unit, then its slider or selector."""
    base = session.base.scenario
    value = session.settings.value.get(control.name, control_default(control, base))

    def set_value(new: Any) -> None:
        session.set_setting(control.name, new)

    with solara.Div(classes=["marketsim-control", f"marketsim-control-{control.name}"]):
        if control.kind == "seed":
            solara.InputText(f"{control.label} ({control.unit})", value=str(value), on_value=set_value,
                             continuous_update=False)
            return
        if control.kind == "year":
            low, high = control_bounds(control, base)
            years = [_NEVER, *(str(y) for y in range(int(low), int(high) + 1))]
            shown = _NEVER if value in (None, _NEVER) else str(value)
            solara.Select(control.label, values=years, value=shown,
                          on_value=lambda v: set_value(None if v == _NEVER else int(v)))
            return
        if control.kind == "choice":
            solara.Select(control.label, values=list(control.choices), value=str(value), on_value=set_value)
            return
        solara.Text(control_text(control, value, base), classes=["marketsim-control-value"])
        low, high = control_bounds(control, base)
        if control.kind == "int":
            solara.SliderInt("", value=int(value), min=int(low), max=int(high), step=int(control.step),
                             on_value=set_value, thumb_label=False)
        else:
            solara.SliderFloat("", value=float(value), min=low, max=high, step=control.step, on_value=set_value,
                               thumb_label=False)


def _heading(text: str) -> None:
    """A bold line (plain HTML: solara's Markdown would fetch KaTeX from a CDN)."""
    solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(text)}</b>", style="margin-top: 12px")


def _speed_text(speed: float) -> str:
    return f"{speed:g} year{'' if speed == 1 else 's'} per second"


@solara.component
def PlaybackControls(session: PlaygroundSession, periods: int, ready: bool) -> None:
    """Play/pause, step, reset, speed and a period slider."""
    with solara.Row(gap="4px"):
        solara.Button("Pause" if session.playing.value else "Play",
                      icon_name="mdi-pause" if session.playing.value else "mdi-play",
                      on_click=lambda: session.toggle_play(periods), disabled=not ready, color="primary")
        solara.Button("Step", icon_name="mdi-skip-next", on_click=lambda: session.step(periods), disabled=not ready)
        solara.Button("Reset", icon_name="mdi-skip-previous", on_click=session.reset)
    speeds = {_speed_text(s): s for s in SPEEDS}
    solara.Select("Speed", values=list(speeds), value=_speed_text(session.speed.value),
                  on_value=lambda text: session.speed.set(speeds[text]))
    with solara.Div(classes=["marketsim-control", "marketsim-control-period"]):
        solara.Text(f"Period: {min(session.period.value, periods)} of {periods}",
                    classes=["marketsim-control-value"])
        solara.SliderInt("", value=min(session.period.value, periods), min=0, max=max(periods, 1),
                         on_value=lambda k: session.seek(k, periods), thumb_label=False, disabled=not ready)


def _stat_cells(values: Mapping[str, str]) -> str:
    return "".join(
        f'<div style="padding:4px 16px 4px 0"><div style="font-size:12px;color:#666">{html.escape(label)}</div>'
        f'<div style="font-size:20px;font-weight:500">{html.escape(value)}</div></div>'
        for label, value in values.items())


def _headline_html(run: PlaygroundRun, period: int, note: str, error: str | None) -> str:
    """The headline: the period shown, its numbers, the settings used and any rejected setting."""
    scenario = run.scenario
    ended = ("" if run.periods == scenario.n_periods else
             f" (the run ended after period {run.periods}: no firm is left in the market)")
    error_html = ("" if error is None else
                  f'<div class="marketsim-error" style="font-size:13px;color:#b00020;margin:4px 0">These '
                  f"settings cannot be used, so this run uses the scenario file's values: "
                  f"{html.escape(error)}</div>")
    return (
        f'<div style="font-size:15px"><b>{html.escape(scenario.meta.name)}</b>: period {period} of '
        f"{scenario.n_periods} (one period = one {html.escape(period_name(scenario.meta.periods_per_year))})"
        f"{html.escape(ended)}</div>"
        f'<div style="display:flex;flex-wrap:wrap;margin:6px 0">{_stat_cells(headline_values(run, period))}</div>'
        f"{error_html}"
        f'<div class="marketsim-settings marketsim-muted">This run: {html.escape(settings_summary(scenario))}. '
        f"{html.escape(note)}</div>"
    )


def _compare_html(runs: list[PlaygroundRun], period: int) -> str:
    """The compare tab's table: the headline numbers of both runs at ``period``."""
    values = [headline_values(r, period) for r in runs]
    head = "".join(f'<th style="text-align:right;padding:2px 12px">{html.escape(compare_label(r.scenario))}</th>'
                   for r in runs)
    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0">{html.escape(key)}</td>'
        + "".join(f'<td style="text-align:right;padding:2px 12px">{html.escape(v[key])}</td>' for v in values)
        + "</tr>" for key in values[0])
    return (f"<div>The current settings with and without a hardware stall, the same seed, at period {period}. "
            f"When the settings have no stall, the other run stalls {COMPARE_STALL_AFTER_YEARS} years after "
            f'the start.</div><table style="margin-top:8px"><tr><th></th>{head}</tr>{rows}</table>')


def _year_shown(run: PlaygroundRun, period: int) -> float | None:
    """The calendar year of the last period shown (None at period 0: no data yet)."""
    return None if period <= 0 or run.periods == 0 else float(run.model["year"].iloc[min(period, run.periods) - 1])


@solara.component
def MarketTab(prepared: Prepared, period: int) -> None:
    """The run's report figures, their data shown up to ``period``."""
    year = _year_shown(prepared.run, period)
    with solara.Div(classes=["marketsim-plots"]):
        for panel in RUN_PANELS:
            figure = prepared.figures.get(panel.name)
            if figure is None:
                solara.Text(f"Drawing {panel.title.lower()}…", classes=["marketsim-muted"])
            else:
                RevealImage(figure, year, panel.name)


@solara.component
def CompareTab(prepared: Prepared, period: int) -> None:
    """The run and its stall counterpart at ``period``: headline numbers, overlay figure, CSV."""
    if prepared.twin is None:
        solara.Text("Running the same settings with the hardware stall toggled…", classes=["marketsim-muted"])
        return
    runs = _compare_runs(prepared.run, prepared.twin)
    solara.HTML(tag="div", unsafe_innerHTML=_compare_html(runs, period), classes=["marketsim-compare"])
    if prepared.compare is None:
        solara.Text("Drawing the comparison…", classes=["marketsim-muted"])
    else:
        with solara.Div(style="max-width: 1100px"):
            RevealImage(prepared.compare, _year_shown(prepared.run, period), COMPARE_PANEL)
    both = pd.concat([shown_tables(r, period)[0].assign(run=compare_label(r.scenario)) for r in runs],
                     ignore_index=True)
    solara.FileDownload(lambda: table_csv(both), filename="stall_vs_no_stall.csv",
                        label="Download these runs' model tables (CSV)")


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` for reading on screen: newest period first, floats to 4 significant digits."""
    shown = table.iloc[::-1].reset_index(drop=True)
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]) and column != "year":
            shown[column] = shown[column].map(lambda x: "" if pd.isna(x) else f"{x:.4g}")
    return shown


@solara.component
def TablesTab(prepared: Prepared, period: int) -> None:
    """model.csv and firms.csv up to ``period``, with CSV downloads."""
    run = prepared.run
    model, firms = shown_tables(run, period)
    solara.Text(f"The tables up to period {period}, newest first and rounded to 4 digits here; the downloads "
                f"are exact, as marketsim run writes model.csv and firms.csv (columns.csv gives every "
                f"column's unit and meaning).", classes=["marketsim-muted"])
    with solara.Row():
        solara.FileDownload(lambda: table_csv(model), filename="model.csv", label="model.csv")
        solara.FileDownload(lambda: table_csv(firms), filename="firms.csv", label="firms.csv")
        solara.FileDownload(lambda: _columns_csv(run), filename="columns.csv", label="columns.csv")
    _heading("model.csv")
    solara.DataFrame(_readable(model), items_per_page=10)
    _heading("firms.csv")
    solara.DataFrame(_readable(firms), items_per_page=10)


@functools.cache
def _page_base() -> PageBase:
    """The scenario of this server (from the environment; read once, never changed)."""
    return playground_base()


@solara.component
def Page() -> None:
    """The playground page; every browser session renders its own, with its own state."""
    session = solara.use_memo(lambda: PlaygroundSession(_page_base()), [])
    base = session.base
    changes, error = solara.use_memo(session.changes, [session.settings.value])
    scenario = solara.use_memo(lambda: apply_changes(base.scenario, changes), [changes])
    key = _scenario_key(scenario)
    # The stall counterpart costs a second run: computed once the session has opened its tab.
    compare_wanted = solara.use_ref(False)
    compare_wanted.current = compare_wanted.current or session.tab.value == 1
    result = solara.use_thread(lambda cancel: prepare(scenario, cancel, compare=compare_wanted.current),
                               dependencies=[key, compare_wanted.current], intrusive_cancel=False)
    prepared: Prepared | None = result.value
    current = prepared is not None and prepared.run.key == key
    periods = prepared.run.periods if prepared is not None else scenario.n_periods
    period = min(session.period.value, periods)
    ready = prepared is not None

    def start_playback() -> Callable[[], None] | None:
        if not (session.playing.value and ready):
            return None
        stop = threading.Event()
        threading.Thread(target=play, args=(session, periods, scenario.meta.periods_per_year, stop,
                                            _page_connected()), name="marketsim-playback", daemon=True).start()
        return stop.set

    solara.use_effect(start_playback, [session.playing.value, session.speed.value, periods, ready])

    solara.Title(f"marketsim playground: {scenario.meta.name}")
    solara.Style(_CSS)
    with solara.Sidebar():
        PlaybackControls(session, periods, ready)
        _heading("Settings")
        for control in CONTROLS:
            ControlInput(control, session)
        with solara.Column(gap="4px", style="margin-top: 12px"):
            solara.Button("Scenario values", icon_name="mdi-restore", on_click=session.restore_defaults,
                          outlined=True)
            solara.Text("The same run from the command line:", classes=["marketsim-muted"])
            solara.Text(command_line(base.file, base.overrides, changes), classes=["marketsim-command"])
    with solara.Column():
        if prepared is None:
            solara.Text(f"Running {scenario.meta.name}…", classes=["marketsim-muted"])
            solara.ProgressLinear(True)
            return
        solara.HTML(tag="div", unsafe_innerHTML=_headline_html(prepared.run, period, base.note, error),
                    classes=["marketsim-headline"])
        if not current:
            solara.Text("Running the new settings…", classes=["marketsim-muted"])
        done = prepared.complete or (not compare_wanted.current and len(prepared.figures) == len(RUN_PANELS))
        solara.ProgressLinear(False if current and done else (100 * prepared.progress if current else True))
        with solara.lab.Tabs(value=session.tab, lazy=True):
            with solara.lab.Tab("Market"):
                MarketTab(prepared, period)
            with solara.lab.Tab("Stall vs no stall"):
                CompareTab(prepared, period)
            with solara.lab.Tab("Tables"):
                TablesTab(prepared, period)

