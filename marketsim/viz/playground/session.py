"""One browser session's state, and the background work that prepares what it shows.

Every browser session (a Solara virtual kernel) renders its own page, which creates its own
:class:`PlaygroundSession`: the settings, the period shown, play/pause and the tab. Nothing a
session changes lives at module level, so two tabs never see each other's run, a new tab starts
at period 0, and playback (:func:`play`) stops when its tab closes.

When the settings change, :func:`prepare` computes the whole run in the background, then draws
each figure of the Market tab once (:mod:`marketsim.viz.playground.reveal`), then (once the
session opened the compare tab) the run with the hardware stall toggled and its figure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import solara
from matplotlib.figure import Figure

from marketsim.config import Scenario
from marketsim.viz.compare_figures import plot_compare_overview
from marketsim.viz.panels import FigureSpec
from marketsim.viz.playground.base import PageBase
from marketsim.viz.playground.controls import (
    ScenarioChanges,
    apply_changes,
    control_named,
    default_settings,
    scenario_changes,
)
from marketsim.viz.playground.reveal import RevealFigure, reveal_figure
from marketsim.viz.playground.runs import (
    CACHE_SIZE,
    Cancelled,
    PlaygroundRun,
    ResultCache,
    compare_label,
    compare_runs,
    compute_run,
    is_cached,
    stall_counterpart,
)
from marketsim.viz.run_figures import RUN_FIGURE_SPECS

__all__ = [
    "SPEEDS",
    "DEFAULT_SPEED",
    "FRAME_SECONDS",
    "DEBOUNCE_SECONDS",
    "MARKET_FIGURES",
    "COMPARE_FIGURE",
    "draw_market_figure",
    "draw_compare_figure",
    "Prepared",
    "prepare",
    "PlaygroundSession",
    "play",
    "page_connected",
]

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

#: The Market tab's figures, in the order shown: the report figures of one run, drawn by the same
#: functions as the PNGs ``marketsim run`` writes.
MARKET_FIGURES: tuple[FigureSpec, ...] = RUN_FIGURE_SPECS
#: Cache key and CSS class suffix (``marketsim-plot-compare``) of the compare tab's figure.
COMPARE_FIGURE = "compare"


def draw_market_figure(spec: FigureSpec, run: PlaygroundRun) -> Figure:
    """The report figure ``spec`` over the whole of ``run`` (its scenario's name and stall marked)."""
    return spec.draw(run.model, run.firms, scenario=run.scenario.meta.name,
                     stall_year=run.scenario.hardware.stall_year)


def draw_compare_figure(run: PlaygroundRun, twin: PlaygroundRun) -> Figure:
    """The report's compare overview of the run and its stall counterpart (no stall first)."""
    runs = compare_runs(run, twin)
    return plot_compare_overview({compare_label(r.scenario): r.model for r in runs},
                                 stall_years={compare_label(r.scenario): r.scenario.hardware.stall_year for r in runs})


# Drawn figures, keyed by (run key, figure name): pure results of a run, shared by every session.
_FIGURES: ResultCache[tuple[str, str], RevealFigure] = ResultCache(CACHE_SIZE * (len(MARKET_FIGURES) + 1))


def _figure(key: tuple[str, str], title: str, draw: Callable[[], Figure]) -> RevealFigure:
    """The figure cached under ``key``, else ``draw()`` prepared for revealing and cached."""
    cached = _FIGURES.get(key)
    return cached if cached is not None else _FIGURES.put(key, reveal_figure(draw(), title))


@dataclass(frozen=True)
class Prepared:
    """What the page has computed for the current settings so far.

    Attributes:
        run: the run.
        figures: the Market tab's figures drawn so far (figure name -> figure).
        twin: the run with the hardware stall toggled (None until computed).
        compare: the compare figure (None until drawn).
    """

    run: PlaygroundRun
    figures: Mapping[str, RevealFigure] = field(default_factory=dict)
    twin: PlaygroundRun | None = None
    compare: RevealFigure | None = None

    @property
    def complete(self) -> bool:
        return self.compare is not None and len(self.figures) == len(MARKET_FIGURES)

    @property
    def progress(self) -> float:
        """Fraction done (0-1) of the run, its figures, the stall counterpart and its figure."""
        done = 1 + len(self.figures) + (self.twin is not None) + (self.compare is not None)
        return done / (len(MARKET_FIGURES) + 3)


def prepare(scenario: Scenario, cancel: threading.Event | None = None, debounce: float = DEBOUNCE_SECONDS,
            compare: bool = True) -> Iterator[Prepared]:
    """Compute the run, draw its figures, then (if ``compare``) compute the stall counterpart and
    draw the compare figure, yielding what is ready after each step (the page shows each as it comes).

    Waits ``debounce`` seconds first unless the run is cached, and stops (yielding nothing more)
    as soon as ``cancel`` is set.
    """
    cancel = cancel or threading.Event()
    if not is_cached(scenario) and cancel.wait(debounce):
        return
    try:
        run = compute_run(scenario, cancel.is_set)
        prepared = Prepared(run)
        yield prepared
        for spec in MARKET_FIGURES:
            if cancel.is_set():
                return
            figure = _figure((run.key, spec.name), spec.title, lambda spec=spec: draw_market_figure(spec, run))
            prepared = Prepared(run, {**prepared.figures, spec.name: figure})
            yield prepared
        if not compare:
            return
        twin = compute_run(stall_counterpart(scenario), cancel.is_set)
        prepared = Prepared(run, prepared.figures, twin)
        yield prepared
        if cancel.is_set():
            return
        compare = _figure((run.key, COMPARE_FIGURE), "With and without a hardware stall",
                          lambda: draw_compare_figure(run, twin))
        yield Prepared(run, prepared.figures, twin, compare)
    except Cancelled:
        return


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
        control_named(name)  # refuses an unknown name, listing the allowed ones
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


def page_connected() -> Callable[[], bool]:
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

