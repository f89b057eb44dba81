"""The marketsim playground: a Mesa SolaraViz page to watch adoption unfold and move the sliders.

Start it with ``marketsim playground [FILE] [--port N]`` (needs ``pip install -e ".[app]"``); the
command runs ``solara run marketsim.app`` with the scenario file in the environment variable
:data:`SCENARIO_ENV` (default: the bundled baseline).

The page has two tabs. "Page 0": a headline panel (year, E, data stock, adopters, HHI) and live
plots over simulated years (adoption, model size per firm on a log scale, training spend, market
shares, prices, profits). "Page 1": the current settings with and without a hardware stall, on the
same axes. The plots are small one-axes figures (not :mod:`marketsim.plots`' report figures)
because SolaraViz redraws them every period.

:class:`PlaygroundModel` is a :class:`~marketsim.model.MarketModel` whose ``__init__`` takes the
page's inputs as plain keyword arguments (SolaraViz checks them against it) and turns them into
scenario overrides; with the page's default inputs and a seed it builds the same model as
``marketsim run FILE --seed SEED``.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, PercentFormatter, ScalarFormatter

with warnings.catch_warnings():
    # Solara's hook linter flags Mesa 3.3.1's own ComponentsView (a use_state after an early return
    # taken only for an empty component list) on import; nothing here can fix it.
    warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return",
                            category=UserWarning)
    from mesa.visualization import Slider, SolaraViz

from marketsim.experiments.run import with_seed
from marketsim.model import MarketModel
from marketsim.plots import firm_colors, human_number, scenario_colors
from marketsim.scenario import Scenario, load_scenario, resolve_scenario_path, scenario_from_dict

__all__ = [
    "SCENARIO_ENV",
    "OVERRIDES_ENV",
    "MAX_CONSUMERS",
    "COMPARE_STALL_AFTER_YEARS",
    "DEMAND_FAMILIES",
    "parse_seed",
    "playground_scenario",
    "PlaygroundModel",
    "model_params",
    "playground_base_scenario",
    "resolve_base",
    "Series",
    "draw_series",
    "firm_lines",
    "run_figure",
    "compare_figure",
    "compare_label",
    "headline_values",
    "settings_summary",
    "build_page",
    "page",
]

#: Environment variable holding the scenario file (path or bundled name) the page starts from.
SCENARIO_ENV = "MARKETSIM_PLAYGROUND_SCENARIO"
#: Environment variable holding a JSON list of ``key.path=value`` overrides for that scenario.
OVERRIDES_ENV = "MARKETSIM_PLAYGROUND_SET"
#: Simulated consumers in the page at most; the plots re-render every period, so a period must
#: stay quick. Assumption: 20,000 (the bundled scenarios' own count) keeps a period in milliseconds.
MAX_CONSUMERS = 20_000
#: Years after the start at which the compare view stalls hardware when the current parameters
#: have no stall. Assumption: as the bundled hardware_stall scenario (2030 for a 2025 start).
COMPARE_STALL_AFTER_YEARS = 5
#: Threshold families the demand selector offers (scenario.py ``consumers.family``).
DEMAND_FAMILIES = ("lognormal", "pareto", "loguniform")

#: Plot controls the page offers, keyed by ``PlaygroundModel.__init__`` argument: (label, min,
#: max, step). Ranges are assumptions wide enough for the questions of DESIGN.md; a scenario value
#: outside a range widens it (see :func:`model_params`).
_SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "hardware_growth_per_year": ("Hardware growth (x/yr)", 1.0, 2.0, 0.01),
    "data_stock_trillion_tokens": ("Data stock (T tokens)", 10.0, 3000.0, 10.0),
    "data_stock_growth_per_year": ("Data growth (x/yr)", 1.0, 1.5, 0.01),
    "data_efficiency_growth_per_year": ("Data efficiency (x/yr)", 1.0, 2.0, 0.01),
    "n_firms": ("Firms", 1, 6, 1),
    "price": ("Price ($/adopter/period)", 0.0, 5.0, 0.05),
    "threshold_sigma": ("Threshold spread sigma", 0.25, 3.0, 0.05),
}


# --- parameters -> scenario ----------------------------------------------------------------------


def parse_seed(value: int | str | None) -> int | None:
    """The seed typed in the page as an int (None when blank: the scenario's ``meta.seed``).

    The page's text box delivers a string, and ``"42"`` would seed a different stream from 42, so
    every seed goes through here.

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


def _resized_firms(firms: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The first ``n`` firm tables; extra firms copy the first one under new unique names."""
    if n < 1:
        raise ValueError(f"n_firms = {n!r}: must be at least 1")
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


def _differs(new: float, old: float) -> bool:
    """True when a page value really changes a scenario value (slider floats may be off by 1 ulp)."""
    return not math.isclose(float(new), float(old), rel_tol=1e-9, abs_tol=0.0)


def _scalar_overrides(base: Scenario, settings: Mapping[str, Any]) -> list[str]:
    """``key.path=value`` overrides for the page values that differ from ``base``."""
    targets: dict[str, tuple[str, float]] = {
        "hardware_growth_per_year": ("hardware.growth_per_year", base.hardware.growth_per_year),
        "data_stock_trillion_tokens": ("data.stock_tokens", base.data.stock_tokens / 1e12),
        "data_stock_growth_per_year": ("data.stock_growth_per_year", base.data.stock_growth_per_year),
        "data_efficiency_growth_per_year": ("data.efficiency_growth_per_year",
                                            base.data.efficiency_growth_per_year),
        "threshold_sigma": ("consumers.sigma", base.consumers.sigma),
    }
    overrides = []
    for name, (path, current) in targets.items():
        value = settings.get(name)
        if value is not None and _differs(value, current):
            scale = 1e12 if name == "data_stock_trillion_tokens" else 1.0
            overrides.append(f"{path}={float(value) * scale!r}")
    family = settings.get("demand_family")
    if family is not None and family != base.consumers.family:
        overrides.append(f"consumers.family={json.dumps(str(family))}")
    return overrides


def playground_scenario(
    base: Scenario,
    *,
    hardware_growth_per_year: float | None = None,
    stall_year: int | None = None,
    data_stock_trillion_tokens: float | None = None,
    data_stock_growth_per_year: float | None = None,
    data_efficiency_growth_per_year: float | None = None,
    n_firms: int | None = None,
    price: float | None = None,
    threshold_sigma: float | None = None,
    demand_family: str | None = None,
    seed: int | str | None = None,
) -> Scenario:
    """``base`` with the page's settings applied as overrides; None leaves a value as in ``base``.

    Args:
        base: the scenario the page started from.
        hardware_growth_per_year: factor per year of E (FLOP per dollar) until the stall.
        stall_year: calendar year after which E stops growing (0 = no stall).
        data_stock_trillion_tokens: usable data stock at the start year (trillion effective tokens).
        data_stock_growth_per_year: factor per year of the data stock.
        data_efficiency_growth_per_year: factor per year of data efficiency rho_D.
        n_firms: number of firms; extra firms copy the first firm of ``base``.
        price: dollars per adopter per period for every firm; the first firm's price leaves every
            firm's price as in ``base``.
        threshold_sigma: spread of the lognormal consumer thresholds (ln R units).
        demand_family: consumer threshold family, one of :data:`DEMAND_FAMILIES`.
        seed: random seed (int, or the page's text); None or blank keeps ``base.meta.seed``.

    Returns:
        The validated scenario; ``base`` itself (apart from ``meta.seed``) when nothing changes, so
        the page and ``marketsim run`` build identical models.

    Raises:
        ScenarioError: a value the scenario schema rejects (named with its key path and override).
        ValueError: a seed that is not a whole number >= 0, or ``n_firms`` < 1.
    """
    settings = {
        "hardware_growth_per_year": hardware_growth_per_year,
        "data_stock_trillion_tokens": data_stock_trillion_tokens,
        "data_stock_growth_per_year": data_stock_growth_per_year,
        "data_efficiency_growth_per_year": data_efficiency_growth_per_year,
        "threshold_sigma": threshold_sigma,
        "demand_family": demand_family,
    }
    overrides = _scalar_overrides(base, settings)
    data = base.model_dump(mode="python")
    changed = bool(overrides)
    if stall_year is not None:
        wanted = None if int(stall_year) == 0 else int(stall_year)
        if wanted != base.hardware.stall_year:
            # TOML has no null, so "no stall" cannot be an override string; edit the table instead.
            data["hardware"]["stall_year"] = wanted
            changed = True
    if n_firms is not None and int(n_firms) != len(base.firms):
        data["firms"] = _resized_firms(data["firms"], int(n_firms))
        changed = True
    # The price control starts at the first firm's price; moving it sets every firm's price.
    if price is not None and _differs(price, base.firms[0].price):
        overrides += [f"firms.{i}.price={float(price)!r}" for i in range(len(data["firms"]))]
        changed = True
    scenario = scenario_from_dict(data, source=f"playground ({base.meta.name})",
                                  overrides=overrides) if changed else base
    return with_seed(scenario, parse_seed(seed))


class PlaygroundModel(MarketModel):
    """The market model built from the playground's inputs (one step = one period).

    Args:
        scenario: the scenario the page started from (default: the bundled baseline).
        hardware_growth_per_year, stall_year, data_stock_trillion_tokens, data_stock_growth_per_year,
        data_efficiency_growth_per_year, n_firms, price, threshold_sigma, demand_family, seed: see
            :func:`playground_scenario`; None keeps the scenario's value.
        on_invalid: settings the scenario rejects (or a bad seed) "raise" the error, or, in the page,
            "report" it: the run then uses ``scenario`` unchanged and ``settings_error`` says why, so
            a typo in the seed box does not take the page down.

    Attributes:
        base_scenario: the scenario before the page's settings.
        settings: the page's settings as given (to rebuild a variant, e.g. the compare view's).
        settings_error: why the settings were not used (None when they were).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        hardware_growth_per_year: float | None = None,
        stall_year: int | None = None,
        data_stock_trillion_tokens: float | None = None,
        data_stock_growth_per_year: float | None = None,
        data_efficiency_growth_per_year: float | None = None,
        n_firms: int | None = None,
        price: float | None = None,
        threshold_sigma: float | None = None,
        demand_family: str | None = None,
        seed: int | str | None = None,
        on_invalid: Literal["raise", "report"] = "raise",
    ) -> None:
        base = resolve_base(scenario)
        self.base_scenario = base
        self.settings: dict[str, Any] = {
            "hardware_growth_per_year": hardware_growth_per_year, "stall_year": stall_year,
            "data_stock_trillion_tokens": data_stock_trillion_tokens,
            "data_stock_growth_per_year": data_stock_growth_per_year,
            "data_efficiency_growth_per_year": data_efficiency_growth_per_year, "n_firms": n_firms,
            "price": price, "threshold_sigma": threshold_sigma, "demand_family": demand_family, "seed": seed,
        }
        self.settings_error: str | None = None
        try:
            resolved = playground_scenario(base, **self.settings)
        except ValueError as err:  # ScenarioError included
            if on_invalid != "report":
                raise
            resolved, self.settings_error = base, str(err)
        super().__init__(resolved, seed=resolved.meta.seed)
        self._on_invalid = on_invalid
        self._tables: tuple[int, pd.DataFrame, pd.DataFrame] | None = None
        self._counterpart: PlaygroundModel | None = None

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(model.csv, firms.csv) tables so far, built once per period however many plots ask."""
        if self._tables is None or self._tables[0] != self.steps:
            self._tables = (self.steps, self.model_table(), self.firm_table())
        return self._tables[1], self._tables[2]

    def stall_counterpart(self) -> PlaygroundModel:
        """The same settings with the hardware stall toggled, stepped as far as this model.

        With no stall here, the counterpart stalls :data:`COMPARE_STALL_AFTER_YEARS` after the
        start (clipped to the last simulated year); with a stall here, it has none.
        """
        if self._counterpart is None:
            settings = self.settings if self.settings_error is None else {}
            self._counterpart = PlaygroundModel(self.base_scenario, on_invalid=self._on_invalid,
                                                **{**settings, "stall_year": self._toggled_stall()})
        twin = self._counterpart
        while twin.running and twin.steps < self.steps:
            twin.step()
        return twin

    def _toggled_stall(self) -> int:
        """The compare view's stall year setting: 0 (none) if this run stalls, else a default year."""
        if self.scenario.hardware.stall_year is not None:
            return 0
        meta = self.scenario.meta
        last_year = int(self.scenario.end_year - self.period_years)
        return min(meta.start_year + COMPARE_STALL_AFTER_YEARS, max(last_year, meta.start_year))


def resolve_base(scenario: Scenario | None) -> Scenario:
    """``scenario``, or the bundled baseline when None."""
    if scenario is not None:
        return scenario
    return load_scenario(resolve_scenario_path("baseline"))


# --- the page's inputs ---------------------------------------------------------------------------


def _slider(name: str, value: float) -> Slider:
    """A SliderFloat/SliderInt for ``name`` starting at ``value``, its range widened to include it."""
    label, low, high, step = _SLIDERS[name]
    as_int = all(isinstance(x, int) for x in (low, high, step))
    value = int(value) if as_int else float(value)
    return Slider(label, value=value, min=min(low, value), max=max(high, value), step=step,
                  dtype=int if as_int else float)


def model_params(base: Scenario) -> dict[str, Any]:
    """SolaraViz ``model_params`` for ``base``: every control starts at the scenario's value.

    Keys are :class:`PlaygroundModel` arguments; ``scenario`` is fixed (not shown).
    """
    meta, hardware = base.meta, base.hardware
    last_year = int(base.end_year - base.period_years)
    stall_years = [0, *range(meta.start_year, max(last_year, meta.start_year) + 1)]
    if hardware.stall_year is not None and hardware.stall_year not in stall_years:
        stall_years.append(hardware.stall_year)
    return {
        "scenario": base,
        "on_invalid": "report",  # a bad entry shows as a message on the page instead of a traceback
        "seed": {"type": "InputText", "value": str(meta.seed), "label": "Random seed (as marketsim run --seed)"},
        "hardware_growth_per_year": _slider("hardware_growth_per_year", hardware.growth_per_year),
        "stall_year": {"type": "Select", "value": hardware.stall_year or 0, "values": stall_years,
                       "label": "Hardware stall year (0 = no stall)"},
        "data_stock_trillion_tokens": _slider("data_stock_trillion_tokens", base.data.stock_tokens / 1e12),
        "data_stock_growth_per_year": _slider("data_stock_growth_per_year", base.data.stock_growth_per_year),
        "data_efficiency_growth_per_year": _slider("data_efficiency_growth_per_year",
                                                   base.data.efficiency_growth_per_year),
        "n_firms": _slider("n_firms", len(base.firms)),
        "price": _slider("price", base.firms[0].price),
        "threshold_sigma": _slider("threshold_sigma", base.consumers.sigma),
        "demand_family": {"type": "Select", "value": base.consumers.family, "values": list(DEMAND_FAMILIES),
                          "label": "Consumer threshold family"},
    }


def playground_base_scenario(environ: Mapping[str, str] | None = None) -> tuple[Scenario, str]:
    """The scenario named by :data:`SCENARIO_ENV` (and :data:`OVERRIDES_ENV`), capped to
    :data:`MAX_CONSUMERS` simulated consumers, and a note for the page saying what was capped.

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
    scenario = load_scenario(resolve_scenario_path(environ.get(SCENARIO_ENV) or "baseline"), overrides)
    count = scenario.consumers.count
    if count <= MAX_CONSUMERS:
        return scenario, f"{count:,} simulated consumers, as in the scenario file."
    capped = scenario_from_dict(scenario.model_dump(mode="python"), source=f"playground ({scenario.meta.name})",
                                overrides=[f"consumers.count={MAX_CONSUMERS}"])
    note = (f"{MAX_CONSUMERS:,} simulated consumers (the file has {count:,}; fewer keep the page fast; "
            f"`marketsim run --set consumers.count={MAX_CONSUMERS}` gives the same run).")
    return capped, note


# --- plots: small one-axes figures, redrawn every period (so cheap: ~0.1 s each) -------------------


@dataclass(frozen=True)
class Series:
    """One plotted quantity: a model.csv or firms.csv column and how to show it.

    Attributes:
        column: the table column.
        title, ylabel: the axes' title and y label (with units).
        scale: "percent" (a 0-1 fraction shown as 0-100%), "log" or "linear".
        prefix: "$" for dollar amounts.
        steps: drawn as steps (the quantity jumps when a model is released).
        per_firm: a firms.csv column (one line per firm) rather than a model.csv one.
    """

    column: str
    title: str
    ylabel: str
    scale: Literal["percent", "log", "linear"] = "linear"
    prefix: str = ""
    steps: bool = False
    per_firm: bool = False


ADOPTION = Series("adoption_share", "Adoption", "Share of population (%)", "percent")
LARGEST_N = Series("largest_N", "Largest model on sale", "Parameters N", "log", steps=True)
# Linear: a firm that skips retraining for a year spends $0, which a log axis would hide as a gap.
TRAINING_SPEND = Series("training_spend_annual", "Industry training spend", "USD over the past year", "linear", "$")
HARDWARE = Series("E", "Hardware price-performance E", "FLOP per dollar", "log")
FIRM_N = Series("N", "Model size per firm", "Parameters N", "log", steps=True, per_firm=True)
FIRM_SHARE = Series("share", "Market shares", "Share of adopters (%)", "percent", per_firm=True)
FIRM_PRICE = Series("price", "Prices", "USD per adopter per period", "linear", "$", steps=True, per_firm=True)
FIRM_PROFIT = Series("profit", "Profits", "USD per period", "linear", "$", per_firm=True)
#: Model-level series of the compare view (page 1).
COMPARE_SERIES = (ADOPTION, LARGEST_N, TRAINING_SPEND, HARDWARE)

_PANEL_SIZE = (5.2, 3.2)  # inches at 100 dpi: about the width of a SolaraViz card
_PANEL_DPI = 100


def _human_axis(ax: Axes, series: Series, values: np.ndarray) -> None:
    """y scale and compact tick labels ('1.5B', '$10M') for ``series``."""
    if series.scale == "percent":
        ax.set_ylim(0.0, 100.0)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100.0))
        return
    finite = values[np.isfinite(values)]
    if series.scale == "log" and finite.size:
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        if finite.max() < 30 * finite.min():
            # Less than ~1.5 decades would show one labelled tick or none: label 1-2-5 steps instead.
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    elif series.scale == "linear" and finite.size and finite.min() >= 0:
        ax.set_ylim(bottom=0.0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: "0" if v == 0 else human_number(v, series.prefix)))


def draw_series(ax: Axes, series: Series, lines: Mapping[str, pd.Series], colors: Mapping[str, Any],
                years: tuple[float, float], stalls: Mapping[str, float | None]) -> None:
    """Draw one line per entry of ``lines`` (label -> values indexed by calendar year) on ``ax``.

    The x axis spans ``years`` (the whole run) so the lines grow across a fixed frame; a dashed
    line marks each label's hardware stall year (``stalls``, None for none).
    """
    every: list[np.ndarray] = []
    for label, values in lines.items():
        y = values.to_numpy(dtype=float) * (100.0 if series.scale == "percent" else 1.0)
        if series.scale == "log":
            y = np.where(y > 0, y, np.nan)  # no model yet: a gap, not a dive to zero
        every.append(y)
        ax.plot(values.index.to_numpy(dtype=float), y, color=colors[label], label=label, linewidth=1.8,
                drawstyle="steps-post" if series.steps else "default")
    _human_axis(ax, series, np.concatenate(every) if every else np.array([]))
    ax.set_xlim(*years)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))
    ax.grid(True, color="0.88", linewidth=0.6)
    ax.set(title=series.title, xlabel="Year", ylabel=series.ylabel)
    for label, year in stalls.items():
        if year is not None and years[0] <= year <= years[1]:
            ax.axvline(year, color=colors.get(label, "0.4"), linestyle="--", linewidth=1.0)
    if len(lines) > 1 or series.per_firm:
        ax.legend(loc="best", fontsize=8)


def _new_figure(nrows: int = 1, ncols: int = 1) -> tuple[Figure, list[Axes]]:
    """A Figure on an Agg canvas (no pyplot: this runs in the server's threads)."""
    fig = Figure(figsize=(_PANEL_SIZE[0] * ncols, _PANEL_SIZE[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, list(np.ravel(fig.subplots(nrows, ncols, squeeze=False)))


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_PANEL_DPI)
    return buffer.getvalue()


def _run_years(model: MarketModel) -> tuple[float, float]:
    """Calendar years the plots span: start of the first period to end of the last."""
    return float(model.scenario.meta.start_year), float(model.scenario.end_year)


def _model_lines(model: PlaygroundModel, series: Series, label: str) -> dict[str, pd.Series]:
    table = model.tables()[0]
    return {label: pd.Series(table[series.column].to_numpy(), index=table["year"])}


def firm_lines(firms: pd.DataFrame, column: str) -> dict[str, pd.Series]:
    """firms.csv ``column`` per firm (firm -> values by year), NaN where the firm has exited."""
    values = firms[column].where(firms["alive"].astype(bool))
    wide = firms.assign(**{column: values}).pivot_table(index="year", columns="firm", values=column,
                                                        aggfunc="first", dropna=False)
    return {str(firm): wide[firm] for firm in dict.fromkeys(firms["firm"])}


def run_figure(model: PlaygroundModel, series: Series) -> Figure:
    """One panel of page 0: a model-level series, or a firms.csv series with one line per firm."""
    fig, (ax,) = _new_figure()
    if series.per_firm:
        lines = firm_lines(model.tables()[1], series.column)
        colors: Mapping[str, Any] = firm_colors(list(lines))
    else:
        lines = _model_lines(model, series, model.scenario.meta.name)
        colors = {model.scenario.meta.name: "tab:blue"}
    # The stall line is grey here: it belongs to no firm.
    draw_series(ax, series, lines, colors, _run_years(model), {"stall": model.scenario.hardware.stall_year})
    return fig


def compare_label(model: MarketModel) -> str:
    """The compare view's name for a run: "no stall" or "stall after YEAR"."""
    stall = model.scenario.hardware.stall_year
    return "no stall" if stall is None else f"stall after {stall}"


def compare_figure(model: PlaygroundModel, series: Series) -> Figure:
    """One panel of page 1: ``series`` for this run and its stall counterpart, on the same axes."""
    runs = sorted((model, model.stall_counterpart()), key=lambda m: m.scenario.hardware.stall_year is not None)
    labels = [compare_label(m) for m in runs]
    fig, (ax,) = _new_figure()
    lines = {label: _model_lines(m, series, label)[label] for label, m in zip(labels, runs, strict=True)}
    draw_series(ax, series, lines, scenario_colors(labels), _run_years(model),
                {label: m.scenario.hardware.stall_year for label, m in zip(labels, runs, strict=True)})
    return fig


# --- components (functions of the model; SolaraViz re-renders them every step) --------------------


def _plot_panel(name: str, draw: Callable[[PlaygroundModel], Figure]) -> Callable[[PlaygroundModel], Any]:
    """A SolaraViz component showing ``draw(model)`` as an image, drawn once per period."""

    def panel(model: PlaygroundModel) -> Any:
        png = solara.use_memo(lambda: None if model.steps == 0 else _png(draw(model)),
                              dependencies=[model, model.steps])
        with solara.Column(classes=["marketsim-plot", f"marketsim-plot-{name}"]) as column:
            if png is None:
                solara.Text("Press \u25b6 (play) or STEP: the plot fills in as the simulated years pass.")
            else:
                solara.Image(png, width="100%")
        return column

    panel.__name__ = f"{name.replace('-', '_')}_panel"
    return panel


def headline_values(model: MarketModel) -> dict[str, str]:
    """The headline panel's numbers as text: calendar year, E (FLOP per dollar), data stock
    (effective tokens), adopters (people, and share of the population), HHI (0-1), largest model
    on sale (parameters N) and industry training spend (dollars over the last year)."""
    return {
        "Year": f"{model.year:.2f}",
        "E (FLOP/$)": f"{model.E:.3g}",
        "Data stock (tokens)": f"{model.data_stock:.3g}",
        "Adopters": f"{human_number(model.adopters)} ({100 * model.adoption_share:.1f}%)",
        "HHI": f"{model.hhi:.3f}",
        "Largest N": human_number(model.largest_N),
        "Training spend/yr": human_number(model.training_spend_annual, "$"),
    }


def settings_summary(scenario: Scenario) -> str:
    """One line naming the values the page's controls set in ``scenario`` (what this run uses)."""
    hardware, data, consumers = scenario.hardware, scenario.data, scenario.consumers
    stall = "no stall" if hardware.stall_year is None else f"stall after {hardware.stall_year}"
    prices = sorted({firm.price for firm in scenario.firms})
    price = f"${prices[0]:g}" if len(prices) == 1 else f"${prices[0]:g}-{prices[-1]:g}"
    n = len(scenario.firms)
    return (f"hardware {hardware.growth_per_year:g}x/yr, {stall}; data {data.stock_tokens / 1e12:g}T tokens, "
            f"{data.stock_growth_per_year:g}x/yr, efficiency {data.efficiency_growth_per_year:g}x/yr; "
            f"{n} firm{'' if n == 1 else 's'} at {price}/adopter/period; {consumers.family} thresholds, "
            f"sigma {consumers.sigma:g}; seed {scenario.meta.seed}")


def _headline_html(model: MarketModel, note: str) -> str:
    """The headline panel as an HTML snippet (plain HTML: Markdown would fetch KaTeX from a CDN)."""
    scenario = model.scenario
    cells = "".join(
        f'<div class="marketsim-stat" style="padding:4px 14px 4px 0"><div style="font-size:12px;color:#666">'
        f'{html.escape(label)}</div><div style="font-size:20px;font-weight:500">{html.escape(value)}</div></div>'
        for label, value in headline_values(model).items())
    return (
        f'<div style="font-size:14px"><b>{html.escape(scenario.meta.name)}</b>: period {model.steps} of '
        f"{scenario.n_periods} (one step = 1/{scenario.meta.periods_per_year} year)</div>"
        f'<div style="display:flex;flex-wrap:wrap;margin:6px 0">{cells}</div>'
        f"{_error_html(model)}"
        f'<div class="marketsim-settings" style="font-size:12px">This run: {html.escape(settings_summary(scenario))}.'
        f"</div>"
        f'<div style="font-size:12px;color:#666;margin-top:6px">Move the controls on the left, then press '
        f"RESET for a new run with them; &#9654; plays, STEP advances one period. {html.escape(note)} "
        f"Page 1 compares these settings with and without a hardware stall.</div>"
    )


def _error_html(model: MarketModel) -> str:
    """A red note when the page's settings were rejected (see ``PlaygroundModel.on_invalid``)."""
    error = getattr(model, "settings_error", None)
    if error is None:
        return ""
    return (f'<div class="marketsim-error" style="font-size:13px;color:#b00020;margin:4px 0">These settings '
            f"cannot be used, so this run uses the scenario file's values: {html.escape(error)}</div>")


def _make_headline(note: str) -> Callable[[MarketModel], Any]:
    """The headline component; ``note`` says how many consumers the page simulates."""

    def headline(model: MarketModel) -> Any:
        return solara.HTML(tag="div", unsafe_innerHTML=_headline_html(model, note), classes=["marketsim-headline"])

    return headline


def _compare_html(model: PlaygroundModel) -> str:
    """The compare view's headline: this run's numbers next to its stall counterpart's."""
    runs = sorted((model, model.stall_counterpart()), key=lambda m: m.scenario.hardware.stall_year is not None)
    values = [headline_values(m) for m in runs]
    head = "".join(f'<th style="text-align:right;padding:2px 10px">{html.escape(compare_label(m))}</th>'
                   for m in runs)
    rows = "".join(
        f'<tr><td style="padding:2px 10px 2px 0">{html.escape(key)}</td>'
        + "".join(f'<td style="text-align:right;padding:2px 10px">{html.escape(v[key])}</td>' for v in values)
        + "</tr>"
        for key in values[0])
    return (f"<div><b>Compare</b>: the current settings with and without a hardware stall, the same seed, "
            f"both run to period {model.steps}. When the current settings have no stall, the other run "
            f"stalls {COMPARE_STALL_AFTER_YEARS} years after the start (as the bundled hardware_stall "
            f"scenario).</div><table style=\"margin-top:8px\"><tr><th></th>{head}</tr>{rows}</table>")


def _compare_headline(model: PlaygroundModel) -> Any:
    return solara.HTML(tag="div", unsafe_innerHTML=_compare_html(model), classes=["marketsim-compare"])


def _run_panel(name: str, series: Series) -> Callable[[PlaygroundModel], Any]:
    return _plot_panel(name, lambda model: run_figure(model, series))


def _compare_panel(name: str, series: Series) -> Callable[[PlaygroundModel], Any]:
    return _plot_panel(f"compare-{name}", lambda model: compare_figure(model, series))


def build_page(base: Scenario, note: str) -> Any:
    """The SolaraViz page for ``base``: controls, headline and plots (page 0), compare (page 1)."""
    components = [
        (_make_headline(note), 0),
        (_run_panel("adoption", ADOPTION), 0),
        (_run_panel("model-size", FIRM_N), 0),
        (_run_panel("training-spend", TRAINING_SPEND), 0),
        (_run_panel("market-shares", FIRM_SHARE), 0),
        (_run_panel("prices", FIRM_PRICE), 0),
        (_run_panel("profits", FIRM_PROFIT), 0),
        (_compare_headline, 1),
        *((_compare_panel(series.column, series), 1) for series in COMPARE_SERIES),
    ]
    return SolaraViz(
        PlaygroundModel(base),
        components=components,
        model_params=model_params(base),
        name=f"marketsim playground: {base.meta.name}",
        play_interval=100,  # assumption: ms between periods; drawing the plots takes longer anyway
    )


_BASE, _NOTE = playground_base_scenario()
page = build_page(_BASE, _NOTE)
page  # noqa: B018 (solara run serves the module's `page`)
