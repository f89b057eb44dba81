"""The playground page: Solara components for the sidebar (playback, settings) and the tabs.

:func:`Page` is rendered once per browser session and creates that session's
:class:`~marketsim.viz.playground.session.PlaygroundSession`; every other component takes the
session or what it prepared as arguments, so no component reads state at module level.
"""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import solara
import solara.lab

from marketsim.sim.tables import period_name
from marketsim.viz.playground.base import PageBase, playground_base
from marketsim.viz.playground.controls import (
    CONTROLS,
    NEVER,
    Control,
    apply_changes,
    command_line,
    control_bounds,
    control_default,
    control_text,
    settings_summary,
)
from marketsim.viz.playground.reveal import RevealFigure
from marketsim.viz.playground.runs import (
    COMPARE_STALL_AFTER_YEARS,
    PlaygroundRun,
    columns_csv,
    compare_label,
    compare_runs,
    headline_values,
    scenario_key,
    shown_tables,
    table_csv,
    year_shown,
)
from marketsim.viz.playground.session import (
    COMPARE_FIGURE,
    MARKET_FIGURES,
    SPEEDS,
    PlaygroundSession,
    Prepared,
    page_connected,
    play,
    prepare,
)

__all__ = ["RevealImage", "ControlInput", "PlaybackControls", "MarketTab", "CompareTab", "TablesTab", "Page"]

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
            years = [NEVER, *(str(y) for y in range(int(low), int(high) + 1))]
            shown = NEVER if value in (None, NEVER) else str(value)
            solara.Select(control.label, values=years, value=shown,
                          on_value=lambda v: set_value(None if v == NEVER else int(v)))
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

@solara.component
def MarketTab(prepared: Prepared, period: int) -> None:
    """The run's report figures, their data shown up to ``period``."""
    year = year_shown(prepared.run, period)
    with solara.Div(classes=["marketsim-plots"]):
        for spec in MARKET_FIGURES:
            figure = prepared.figures.get(spec.name)
            if figure is None:
                solara.Text(f"Drawing {spec.title.lower()}…", classes=["marketsim-muted"])
            else:
                RevealImage(figure, year, spec.name)


@solara.component
def CompareTab(prepared: Prepared, period: int) -> None:
    """The run and its stall counterpart at ``period``: headline numbers, overlay figure, CSV."""
    if prepared.twin is None:
        solara.Text("Running the same settings with the hardware stall toggled…", classes=["marketsim-muted"])
        return
    runs = compare_runs(prepared.run, prepared.twin)
    solara.HTML(tag="div", unsafe_innerHTML=_compare_html(runs, period), classes=["marketsim-compare"])
    if prepared.compare is None:
        solara.Text("Drawing the comparison…", classes=["marketsim-muted"])
    else:
        with solara.Div(style="max-width: 1100px"):
            RevealImage(prepared.compare, year_shown(prepared.run, period), COMPARE_FIGURE)
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
        solara.FileDownload(lambda: columns_csv(run), filename="columns.csv", label="columns.csv")
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
    key = scenario_key(scenario)
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
                                            page_connected()), name="marketsim-playback", daemon=True).start()
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
        done = prepared.complete or (not compare_wanted.current and len(prepared.figures) == len(MARKET_FIGURES))
        solara.ProgressLinear(False if current and done else (100 * prepared.progress if current else True))
        with solara.lab.Tabs(value=session.tab, lazy=True):
            with solara.lab.Tab("Market"):
                MarketTab(prepared, period)
            with solara.lab.Tab("Stall vs no stall"):
                CompareTab(prepared, period)
            with solara.lab.Tab("Tables"):
                TablesTab(prepared, period)

