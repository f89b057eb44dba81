"""The playground without a browser: controls table, per-session state, playback, reveal, export.

The browser end-to-end test is tests/test_app_browser.py.
"""

from __future__ import annotations

import io
import json
import math
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text
from typer.testing import CliRunner

from marketsim.viz import playground
from marketsim.viz.axes import STALL_LABEL_GID
from marketsim.viz.panels import FigureSpec
from marketsim.viz.playground import page as playground_page
from marketsim.viz.playground import session as playground_session
from marketsim.viz.run_figures import RUN_FIGURE_SPECS, RUN_FIGURES, plot_adoption
from marketsim.viz.playground import (
    CONTROLS,
    DEFAULT_SPEED,
    MAX_CONSUMERS,
    OVERRIDES_ENV,
    SCENARIO_ENV,
    AxesBox,
    Control,
    PageBase,
    PlaygroundSession,
    Prepared,
    command_line,
    compute_run,
    control_bounds,
    control_default,
    control_text,
    default_settings,
    headline_values,
    parse_seed,
    play,
    playground_base,
    playground_scenario,
    reveal_figure,
    scenario_changes,
    shown_tables,
    stall_counterpart,
    table_csv,
)
from marketsim.cli import app as cli
from marketsim.config import ScenarioError, bundled_scenarios, load_scenario, resolve_scenario_path

runner = CliRunner()
SHORT = ("meta.years=2",)  # two years, 8 quarterly periods: runs in a fraction of a second


@pytest.fixture(scope="module")
def base() -> PageBase:
    """The page's base as `marketsim playground baseline --set meta.years=2` gives it."""
    return playground_base({SCENARIO_ENV: "baseline", OVERRIDES_ENV: json.dumps(list(SHORT))})


@pytest.fixture(scope="module")
def baseline(base: PageBase):
    return base.scenario


def control(name: str) -> Control:
    (found,) = [c for c in CONTROLS if c.name == name]
    return found


# --- the controls table ---------------------------------------------------------------------------


def test_controls_start_at_the_scenario_values_and_show_them_with_units(baseline):
    # Read off the scenario (its calibrated numbers change; the mapping and the rounding must not).
    assert default_settings(baseline) == {
        "seed": str(baseline.meta.seed), "hardware_growth": round(baseline.hardware.growth_per_year, 2),
        "stall_year": baseline.hardware.stall_year, "data_stock": round(baseline.data.stock_tokens / 1e12, 0),
        "data_growth": round(baseline.data.stock_growth_per_year, 2),
        "data_efficiency": round(baseline.data.efficiency_growth_per_year, 2), "firms": len(baseline.firms),
        "price_sensitivity": round(baseline.consumers.price_sensitivity, 2),
        "outside_option": round(baseline.market.outside_option, 1), "sigma": round(baseline.consumers.sigma, 2),
        "family": baseline.consumers.family}
    assert baseline.hardware.stall_year is None and len(baseline.firms) == 1
    texts = {c.name: control_text(c, control_default(c, baseline), baseline) for c in CONTROLS}
    assert texts["stall_year"] == "Hardware stalls after: never"
    assert texts["firms"] == "Number of firms: 1 (extra firms copy the first)"
    assert control_text(control("hardware_growth"), 1.38, baseline) == "Hardware growth: 1.38 x per year"
    assert control_text(control("data_stock"), 7050.0, baseline) == "Data stock: 7,050 trillion effective tokens"
    assert (control_text(control("price_sensitivity"), 0.5, baseline)  # the period's length, not "period"
            == "Price sensitivity: 0.50 ln R per $ per adopter per quarter")
    assert (control_text(control("outside_option"), -1.0, baseline)
            == "Outside option: -1.0 ln R relative to the best model at price 0")
    assert control_text(control("stall_year"), 2030, baseline) == "Hardware stalls after: 2030 calendar year"
    names = [c.name for c in CONTROLS]
    assert len(names) == len(set(names))


def _slider_values(c: Control, scenario) -> list:
    if c.kind == "choice":
        return list(c.choices)
    low, high = control_bounds(c, scenario)
    if c.kind == "year":
        return [int(low), int(high)]
    middle = low + round((high - low) / 2 / c.step) * c.step
    return [low, middle, high]


@pytest.mark.parametrize("name", [c.name for c in CONTROLS if c.kind != "seed"])
def test_every_control_value_becomes_a_valid_override_that_marketsim_run_accepts(name, base, baseline):
    c = control(name)
    file = resolve_scenario_path("baseline")
    for value in _slider_values(c, baseline):
        changes = scenario_changes(baseline, {name: value})
        if c.key == "firms":
            assert changes.overrides == () and changes.n_firms == (None if value == 1 else value)
            scenario = playground_scenario(baseline, {name: value})
        else:
            keys = [o.partition("=")[0] for o in changes.overrides]
            assert keys in ([], [c.key]), changes.overrides
            # The same strings, given to the scenario loader as `marketsim run --set` gives them.
            scenario = load_scenario(file, [*base.overrides, *changes.overrides])
            assert scenario == playground_scenario(baseline, {name: value})
        shown = control_default(c, scenario)
        assert shown == pytest.approx(value) if c.kind in ("float", "int") else shown == value


def test_no_stall_and_more_firms_are_changes_that_set_cannot_express():
    stalled = load_scenario(resolve_scenario_path("hardware_stall"))
    assert control_default(control("stall_year"), stalled) == 2030
    changes = scenario_changes(stalled, {"stall_year": None, "firms": 3, "price_sensitivity": 2.0})
    assert changes.no_stall and changes.n_firms == 3
    assert changes.overrides == ("consumers.price_sensitivity=2",)
    scenario = playground_scenario(stalled, {"stall_year": None, "firms": 3, "price_sensitivity": 2.0})
    assert scenario.hardware.stall_year is None and scenario.consumers.price_sensitivity == 2.0
    assert [f.name for f in scenario.firms] == ["Frontier", "Frontier 2", "Frontier 3"]
    first = stalled.firms[0].model_dump()
    assert all(f.model_dump() == {**first, "name": f.name} for f in scenario.firms)
    assert command_line("hardware_stall", (), changes) == (
        "marketsim run hardware_stall --set consumers.price_sensitivity=2"
        "  # plus, in the scenario file: 3 firms (extra firms copy the first); no hardware stall")


def _moved(c: Control, scenario) -> object:
    """A value of control ``c`` other than its value in ``scenario``: its other end, or another choice."""
    if c.kind == "choice":
        return next(choice for choice in c.choices if choice != control_default(c, scenario))
    low, high = control_bounds(c, scenario)
    value = control_default(c, scenario)
    if c.kind == "year":
        return low
    if c.kind == "int":  # one more firm: enough to matter, and quick
        return value + 1 if value < high else value - 1
    return high if value - low < high - value else low


@pytest.mark.parametrize("name", [c.name for c in CONTROLS if c.kind != "seed"])
def test_every_control_changes_the_run(name, baseline):
    """No control is a no-op (as ``firms.price`` became under best-response pricing): moving it
    changes the tables of a two-year run."""
    c = control(name)
    moved = playground_scenario(baseline, {name: _moved(c, baseline)})
    run, default = compute_run(moved), compute_run(baseline)
    same = (run.model.shape == default.model.shape and run.firms.shape == default.firms.shape
            and run.model.equals(default.model) and run.firms.equals(default.firms))
    assert not same, f"moving {name} to {_moved(c, baseline)!r} left the run unchanged"


def test_the_pricing_controls_move_the_prices_firms_set(baseline):
    """Best-response prices: a more price-sensitive public gets a smaller markup, and a better outside
    option (buying nothing) disciplines the prices too (docs/theory.md "Prices")."""
    def mean_price(settings: dict) -> float:
        return float(compute_run(playground_scenario(baseline, settings)).model["mean_price"].iloc[-1])

    alpha = control_default(control("price_sensitivity"), baseline)
    assert mean_price({"price_sensitivity": 2 * alpha}) < mean_price({}) < mean_price({"price_sensitivity": alpha / 2})
    outside = control_default(control("outside_option"), baseline)
    assert mean_price({"outside_option": outside + 1}) < mean_price({}) < mean_price({"outside_option": outside - 1})
    assert "price" not in {c.name for c in CONTROLS} and not any(c.key.endswith(".price") for c in CONTROLS)


@pytest.mark.parametrize("name", [name for name, _path, _doc in bundled_scenarios()])
def test_untouched_controls_leave_every_bundled_scenario_unchanged(name):
    scenario = load_scenario(resolve_scenario_path(name))
    changes = scenario_changes(scenario, default_settings(scenario))
    assert changes.empty and changes.seed == scenario.meta.seed
    assert playground_scenario(scenario, default_settings(scenario)) is scenario


def test_a_scenario_value_outside_a_range_widens_it(baseline):
    fast = playground_scenario(baseline, {"hardware_growth": 2.5})
    assert control_bounds(control("hardware_growth"), fast) == (1.0, 2.5)
    assert control_bounds(control("hardware_growth"), baseline) == (1.0, 2.0)
    assert control_bounds(control("stall_year"), baseline) == (2025, 2026)  # the run's years


def test_bad_settings_are_refused_naming_the_setting_and_what_is_allowed(baseline):
    with pytest.raises(ScenarioError) as err:
        playground_scenario(baseline, {"sigma": 0.0})
    assert str(err.value) == ("playground (baseline): consumers.sigma = 0: must be a number >= 0.01 and <= 10 "
                              "(from override 'consumers.sigma=0')")
    with pytest.raises(ValueError, match=r"^firms = 0: must be at least 1$"):
        scenario_changes(baseline, {"firms": 0})
    with pytest.raises(ValueError, match=r"^unknown setting\(s\) colour: allowed seed, hardware_growth"):
        scenario_changes(baseline, {"colour": 1})
    with pytest.raises(ValueError, match=r"^hardware_growth = 'fast': must be a number$"):
        scenario_changes(baseline, {"hardware_growth": "fast"})


@pytest.mark.parametrize(("typed", "seed"), [("42", 42), (" 7 ", 7), (3, 3), ("", None), (None, None)])
def test_parse_seed_accepts_whole_numbers_and_blank(typed, seed):
    assert parse_seed(typed) == seed


@pytest.mark.parametrize("typed", ["abc", "-1", "4.5", 2.5, True, -3])
def test_parse_seed_rejects_anything_else_with_a_clear_message(typed):
    with pytest.raises(ValueError) as err:
        parse_seed(typed)
    assert str(err.value) == f"seed = {typed!r}: must be a whole number >= 0 (or blank for the scenario's seed)"


# --- the page's run is `marketsim run` ---------------------------------------------------------------


def test_the_page_run_is_marketsim_run_of_the_command_line_it_shows(base, tmp_path):
    session = PlaygroundSession(base)
    for name, value in {"hardware_growth": 1.5, "price_sensitivity": 2.0, "family": "pareto", "data_stock": 500.0,
                        "seed": "7"}.items():
        session.set_setting(name, value)
    changes, error = session.changes()
    assert error is None
    scenario, _ = session.scenario()
    run = compute_run(scenario)
    assert run.periods == 8 and run.scenario.meta.seed == 7

    shown = command_line(base.file, base.overrides, changes)
    assert shown == ("marketsim run baseline --set meta.years=2 --set hardware.growth_per_year=1.5 "
                     "--set data.stock_tokens=5e+14 --set consumers.price_sensitivity=2 --set consumers.family=pareto "
                     "--seed 7")
    out = tmp_path / "run"
    result = runner.invoke(cli, [*shlex.split(shown)[1:], "--out", str(out), "--quiet", "--no-figures"])
    assert result.exit_code == 0, result.output
    # The tables the page shows and exports at the last period are the files marketsim run writes.
    model, firms = shown_tables(run, run.periods)
    assert table_csv(model) == (out / "model.csv").read_text(encoding="utf-8")
    assert table_csv(firms) == (out / "firms.csv").read_text(encoding="utf-8")
    # The settings matter, so the equality is not a coincidence of the defaults.
    default = compute_run(base.scenario)
    assert not np.allclose(default.model["E"].iloc[1:], run.model["E"].iloc[1:])


def test_export_csv_equals_the_model_table_up_to_the_period_shown(baseline):
    run = compute_run(baseline)
    model, firms = shown_tables(run, 5)
    exported = pd.read_csv(io.StringIO(table_csv(model)))
    assert list(exported["step"]) == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(exported, run.model.iloc[:5], check_dtype=False, rtol=1e-9)
    assert len(pd.read_csv(io.StringIO(table_csv(firms)))) == 5 * len(baseline.firms)
    empty, _ = shown_tables(run, 0)
    assert table_csv(empty) == ",".join(run.model.columns) + "\n"  # period 0: the header only
    columns = pd.read_csv(io.StringIO(playground.runs.columns_csv(run)))
    assert set(columns["column"]) >= set(run.model.columns) and not columns["unit"].isna().any()


def test_runs_are_cached_as_pure_results_and_can_be_abandoned(baseline):
    first = compute_run(baseline)
    assert compute_run(baseline) is first  # a second tab with the same settings opens at once
    other = playground_scenario(baseline, {"hardware_growth": 1.2})
    with pytest.raises(playground.Cancelled, match=r"stopped at period 1 of 8"):
        compute_run(other, should_stop=lambda: True)
    assert compute_run(other).periods == 8  # the abandoned run was not cached half-done


# --- one state per browser session -------------------------------------------------------------------


def test_two_sessions_do_not_share_settings_period_or_playback(base):
    one, two = PlaygroundSession(base), PlaygroundSession(base)
    one.set_setting("hardware_growth", 1.7)
    one.seek(5, 8)
    one.toggle_play(8)
    assert (one.period.value, one.playing.value) == (5, True)
    assert (two.period.value, two.playing.value) == (0, False)
    assert two.settings.value == default_settings(base.scenario)
    assert one.scenario()[0].hardware.growth_per_year == 1.7
    assert two.scenario()[0] is base.scenario


def test_reset_starts_at_period_zero_and_play_at_the_end_starts_over(base):
    session = PlaygroundSession(base)
    session.seek(99, 8)
    assert session.period.value == 8  # clipped to the run
    session.toggle_play(8)
    assert session.period.value == 0 and session.playing.value  # from the start again
    session.reset()
    assert (session.period.value, session.playing.value) == (0, False)
    session.step(8)
    session.step(8)
    assert session.period.value == 2
    session.set_setting("sigma", 1.5)
    assert session.period.value == 2 and not session.playing.value  # a new setting keeps the period
    session.restore_defaults()
    assert session.settings.value == default_settings(base.scenario)
    with pytest.raises(ValueError, match="unknown setting 'nope'"):
        session.set_setting("nope", 1)


def test_rejected_settings_are_reported_and_the_run_uses_the_scenario(base):
    session = PlaygroundSession(base)
    session.set_setting("seed", "x1")
    session.set_setting("hardware_growth", 1.5)
    scenario, error = session.scenario()
    assert scenario is base.scenario
    assert error == "seed = 'x1': must be a whole number >= 0 (or blank for the scenario's seed)"
    html = playground_page._headline_html(compute_run(scenario), 0, base.note, error)
    assert 'class="marketsim-error"' in html and "seed = &#x27;x1&#x27;: must be a whole number" in html


def test_play_reveals_period_by_period_by_the_clock_and_stops_at_the_end(base):
    session = PlaygroundSession(base)
    session.speed.value = 2.0  # years per second: 8 quarters per second
    now = [0.0]

    def clock() -> float:
        now[0] += 0.5  # every frame, half a second passes: four periods
        return now[0]

    seen = []
    session.period.subscribe(seen.append)
    session.playing.value = True
    started = time.monotonic()
    play(session, 80, 4, threading.Event(), clock=clock)
    assert time.monotonic() - started < 5
    assert seen == list(range(4, 81, 4))
    assert session.period.value == 80 and not session.playing.value


def test_default_playback_of_80_quarters_takes_seconds():
    assert 80 / (DEFAULT_SPEED * 4) == 10.0  # seconds; measured in the browser test


def test_play_stops_when_stopped_or_when_the_page_is_gone(base):
    session = PlaygroundSession(base)
    session.playing.value = True
    gone = threading.Event()
    gone.set()
    play(session, 80, 4, gone)  # the tab closed: the component's cleanup set the stop event
    assert session.period.value == 0 and session.playing.value  # stopped without touching the state
    play(session, 80, 4, threading.Event(), connected=lambda: False)  # no page of the session is left
    assert session.period.value == 0 and not session.playing.value


# --- the component: one session per kernel, playback ends with the page -----------------------------


@pytest.fixture
def fake_page(monkeypatch, base) -> Iterator[list[PlaygroundSession]]:
    """Page() with the short base scenario, the run computed but no figures drawn (fast), and a
    record of every session it creates."""
    sessions: list[PlaygroundSession] = []

    class Recorded(PlaygroundSession):
        def __init__(self, page_base: PageBase) -> None:
            super().__init__(page_base)
            sessions.append(self)

    def quick_prepare(scenario, cancel=None, debounce=0.0, compare=True):
        yield Prepared(compute_run(scenario))

    monkeypatch.setattr(playground_page, "_page_base", lambda: base)
    monkeypatch.setattr(playground_page, "PlaygroundSession", Recorded)
    monkeypatch.setattr(playground_page, "prepare", quick_prepare)
    yield sessions


def _kernel(name: str):
    from solara.server import kernel, kernel_context

    return kernel_context.VirtualKernelContext(id=name, kernel=kernel.Kernel(), session_id=name)


def _headline(rc) -> str:
    """The headline's HTML in a rendered page ("" before it shows)."""
    found = [w for w in rc.find(solara.widgets.HTML).widgets
             if "marketsim-headline" in w.attributes.get("class", "")]
    return found[0].unsafe_innerHTML if found else ""


def _wait(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting until {what}")
        time.sleep(0.05)


def _playback_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "marketsim-playback"]


def test_solara_serves_only_the_page_of_the_package():
    # `solara run marketsim.viz.playground` makes a route of every submodule holding a Page
    # unless the package names its routes: one page, no navigation bar.
    from solara.autorouting import generate_routes

    (route,) = generate_routes(playground)
    assert route.path == "/" and route.component is playground.Page is playground_page.Page


def test_each_browser_session_gets_its_own_state_and_closing_it_ends_playback(fake_page):
    contexts = [_kernel("tab-one"), _kernel("tab-two")]
    rendered = []
    for context in contexts:
        with context:
            rendered.append(solara.render(playground.Page(), handle_error=False)[1])
    one, two = fake_page
    assert one is not two
    for rc in rendered:
        _wait(lambda rc=rc: "period 0 of 8" in _headline(rc), "each page shows its run at period 0")

    with contexts[0]:
        one.speed.value = 0.5  # 2 periods per second: 4 s for the 8 periods
        one.playing.value = True
    _wait(lambda: one.period.value >= 1, "the first session plays")
    _wait(lambda: f"period {one.period.value} of 8" in _headline(rendered[0]), "its page follows")
    assert two.period.value == 0 and not two.playing.value and "period 0 of 8" in _headline(rendered[1])
    assert len(_playback_threads()) == 1

    with contexts[0]:
        rendered[0].close()  # what closing the tab does (VirtualKernelContext.close)
    _wait(lambda: not _playback_threads(), "the closed page's playback thread ends", timeout=2.0)
    stopped = one.period.value
    time.sleep(0.6)
    assert one.period.value == stopped < 8
    with contexts[1]:
        rendered[1].close()


# --- figures drawn once and revealed -------------------------------------------------------------


def test_revealing_shows_the_data_up_to_the_year_and_keeps_the_frame(baseline):
    run = compute_run(baseline)
    figure = reveal_figure(plot_adoption(run.model, scenario="baseline"), "Adoption")
    full = imread(io.BytesIO(figure.full_png))
    empty = imread(io.BytesIO(figure.empty_png))
    assert full.shape[:2] == empty.shape[:2] == (figure.height, figure.width)
    differ = np.any(full != empty, axis=2)
    assert differ.any()  # the data was hidden
    inside = np.zeros_like(differ)
    for box in figure.axes:
        assert (box.x0, box.x1) == (2025.0, pytest.approx(2027.0, abs=0.2))
        rows = slice(int(box.top * figure.height) - 1, int(math.ceil(box.bottom * figure.height)) + 1)
        cols = slice(int(box.left * figure.width) - 1, int(math.ceil(box.right * figure.width)) + 1)
        inside[rows, cols] = True
    assert not (differ & ~inside).any()  # titles, ticks, labels and legends are in both images
    hidden = figure.clip_paths(None)
    assert all(p.startswith("inset(") for p in hidden) and len(hidden) == len(figure.axes)
    box = figure.axes[0]
    assert box.revealed_right(None, 0.0) == box.left
    assert box.revealed_right(box.x1 + 5, 0.0) == box.right
    assert box.revealed_right((box.x0 + box.x1) / 2, 0.0) == pytest.approx((box.left + box.right) / 2)


def test_axes_without_a_year_axis_are_shown_whole():
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, "one firm", transform=ax.transAxes)
    (box,) = reveal_figure(fig, "note").axes
    assert box.x0 is None and box.revealed_right(None, 0.0) == box.right
    assert AxesBox(0.1, 0.1, 0.9, 0.9, 2025.0, 2045.0).revealed_right(2035.0, 0.0) == pytest.approx(0.5)


def test_prepare_yields_the_run_then_each_figure_then_the_comparison(monkeypatch, baseline):
    def tiny(model, **labels) -> Figure:
        fig = Figure(figsize=(3, 2))
        FigureCanvasAgg(fig)
        fig.subplots().plot(model["year"], model["adopters"])
        return fig

    specs = tuple(FigureSpec(name, f"{name}.png", name.upper(), "model", (), tiny) for name in "ab")
    monkeypatch.setattr(playground_session, "MARKET_FIGURES", specs)
    monkeypatch.setattr(playground_session, "draw_compare_figure", lambda run, twin: tiny(run.model))
    scenario = playground_scenario(baseline, {"data_growth": 1.2})
    steps = list(playground.prepare(scenario, debounce=0.0))
    assert [sorted(p.figures) for p in steps] == [[], ["a"], ["a", "b"], ["a", "b"], ["a", "b"]]
    assert steps[0].twin is None and steps[3].twin is not None and steps[4].compare is not None
    assert steps[-1].complete and steps[-1].progress == 1.0
    assert steps[3].twin.scenario.hardware.stall_year == 2026  # 2025 + 5, clipped to the last year
    # Until the session opens the compare tab, the stall counterpart is not computed.
    market_only = list(playground.prepare(scenario, debounce=0.0, compare=False))
    assert len(market_only) == 3 and market_only[-1].twin is None and not market_only[-1].complete
    cancel = threading.Event()
    cancel.set()
    assert list(playground.prepare(playground_scenario(baseline, {"data_growth": 1.3}), cancel)) == []


def test_the_market_tab_shows_the_report_figures_of_marketsim_run(baseline):
    # The same figure specs, in the same order, as the PNGs `marketsim run` writes.
    assert playground.MARKET_FIGURES == RUN_FIGURE_SPECS
    assert [spec.file for spec in playground.MARKET_FIGURES] == list(RUN_FIGURES)
    stalled = playground_scenario(baseline, {"stall_year": 2026, "firms": 2})  # two: a share stack to draw
    run = compute_run(stalled)
    for spec in playground.MARKET_FIGURES:
        table = run.model if spec.table == "model" else run.firms
        figure = playground_session.draw_market_figure(spec, run)
        # Titled with the scenario and marked at the stall...
        texts = [t for t in figure.findobj(Text) if t.get_text()]
        assert any(t.get_text().endswith("— baseline") for t in texts), spec.name
        assert any(t.get_gid() == STALL_LABEL_GID and "2026" in t.get_text() for t in texts), spec.name
        # ... and otherwise the report's figure: the same texts, lines and areas on the same axes.
        assert _contents(figure) == _contents(spec.plot(table, scenario="baseline", stall_year=2026)), spec.name


def _contents(fig: Figure) -> list:
    """What a figure shows, without drawing it: its texts, and per axes its lines' and areas' data."""
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    axes = [([line.get_xydata().tolist() for line in ax.lines],
             [[path.vertices.tolist() for path in c.get_paths()] for c in ax.collections]) for ax in fig.axes]
    return [texts, axes]



def test_stall_counterpart_toggles_the_stall():
    full = load_scenario(resolve_scenario_path("baseline"))
    assert stall_counterpart(full).hardware.stall_year == 2030
    stalled = load_scenario(resolve_scenario_path("hardware_stall"))
    assert stall_counterpart(stalled).hardware.stall_year is None


def test_headline_shows_the_start_then_the_period_shown(baseline):
    run = compute_run(baseline)
    start = headline_values(run, 0)
    assert start["Year"] == "2025.00" and start["Adopters"] == "0 (0.0%)" and start["HHI"] == "0.000"
    assert start["E (FLOP/$)"] == f"{baseline.hardware.flop_per_dollar:.3g}"
    assert start["Data stock (effective tokens)"] == f"{baseline.data.stock_tokens:.3g}"
    assert start["Mean price ($/adopter/quarter)"] == "0.00" and start["Firms in market"] == "1"
    now = headline_values(run, 4)
    assert now["Year"] == "2025.75"  # the fourth quarterly period starts three quarters in
    assert now["Mean price ($/adopter/quarter)"] == f"{run.model['mean_price'].iloc[3]:.2f}" != "0.00"
    share = float(now["Adopters"].split("(")[1].rstrip("%)"))
    assert share == pytest.approx(100 * run.model["adoption_share"].iloc[3], abs=0.05)


# --- where the page's scenario comes from ------------------------------------------------------------


def test_base_comes_from_the_environment_and_consumers_are_capped():
    path = resolve_scenario_path("oligopoly")
    page = playground_base({SCENARIO_ENV: str(path)})
    assert page.scenario == load_scenario(path) and page.file == "oligopoly" and page.overrides == ()
    assert page.note == f"{page.scenario.consumers.count:,} simulated consumers, as in the scenario file."
    big = playground_base({SCENARIO_ENV: str(path), OVERRIDES_ENV: json.dumps(["consumers.count=50000"])})
    assert big.scenario.consumers.count == MAX_CONSUMERS == 20_000
    assert big.overrides == ("consumers.count=50000", "consumers.count=20000")
    assert "the file has 50,000" in big.note
    assert playground_base({}).scenario.meta.name == "baseline"


def test_bad_environment_values_are_reported():
    with pytest.raises(ValueError) as err:
        playground_base({OVERRIDES_ENV: "meta.years=3"})
    assert str(err.value) == "MARKETSIM_PLAYGROUND_SET = 'meta.years=3': must be a JSON list of key.path=value strings"
    with pytest.raises(ScenarioError, match="no such file or bundled scenario"):
        playground_base({SCENARIO_ENV: "no_such_scenario"})


# --- the command ---------------------------------------------------------------------------------


def test_playground_command_execs_solara_with_the_scenario_in_the_environment(monkeypatch):
    calls = []

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        calls.append((path, argv, env))
        raise SystemExit(0)  # a real exec never returns

    monkeypatch.setattr("os.execve", fake_execve)
    monkeypatch.setattr("os.name", "posix")
    monkeypatch.setattr("subprocess.call", lambda *args, **kwargs: pytest.fail("must exec, not spawn"))
    result = runner.invoke(cli, ["playground", "oligopoly", "--port", "8799", "--set", "meta.years=3"])
    assert result.exit_code == 0, result.output
    assert "oligopoly at http://127.0.0.1:8799" in result.output
    ((path, argv, env),) = calls
    assert argv[0] == path
    assert argv[1:5] == ["-m", "solara", "run", "marketsim.viz.playground"]
    assert argv[argv.index("--port") + 1] == "8799" and argv[argv.index("--host") + 1] == "127.0.0.1"
    assert "--no-check-version" in argv and "--no-open" in argv
    assert Path(env[SCENARIO_ENV]) == resolve_scenario_path("oligopoly").resolve()
    assert json.loads(env[OVERRIDES_ENV]) == ["meta.years=3"]
    # The command spells the variables out (it must not import solara); they are the page's.
    from marketsim.cli import playground as command

    assert (command.PLAYGROUND_SCENARIO_ENV, command.PLAYGROUND_OVERRIDES_ENV) == (SCENARIO_ENV, OVERRIDES_ENV)


def test_playground_command_rejects_a_bad_scenario_before_starting_a_server(monkeypatch):
    monkeypatch.setattr("os.execve", lambda *args: pytest.fail("must not start a server"))
    monkeypatch.setattr("subprocess.call", lambda *args, **kwargs: pytest.fail("must not start a server"))
    missing = runner.invoke(cli, ["playground", "no_such_scenario"])
    assert missing.exit_code == 2
    assert "no_such_scenario: no such file or bundled scenario" in missing.output
    bad = runner.invoke(cli, ["playground", "baseline", "--set", "hardware.growth_per_year=-1"])
    assert bad.exit_code == 2
    assert "hardware.growth_per_year = -1: must be a number >= 0.01 and <= 100" in bad.output
