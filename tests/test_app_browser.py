"""End to end in a real browser: `marketsim playground` on a free localhost port, driven by Playwright.

Uses Debian's chromium (``apt-get install chromium``; .ci/run installs it) through
``executable_path``, headless; never a browser downloaded by Playwright. Without chromium the tests
fail when the environment variable CI is set (``CI=true``), and are skipped with a message otherwise.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from marketsim.config import load_scenario, resolve_scenario_path
from marketsim.sim.model import MODEL_COLUMNS
from marketsim.viz.playground import CONTROLS, control_default, control_text

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_START_TIMEOUT_S = 120  # generous: a cold start imports solara, mesa and matplotlib
UI_TIMEOUT_MS = 90_000  # the first page computes the run and draws its figures (seconds on 2 busy cores)
#: Playing 80 quarters at the default 2 years per second takes 10 s; allow for a busy machine.
PLAY_80_QUARTERS_MAX_S = 20.0


def in_ci() -> bool:
    """True when the environment variable CI says this is a CI run (CI=true, as CI services set)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def chromium_path() -> str:
    """Debian's chromium; without it, fail in CI and skip elsewhere, saying how to get it."""
    found = shutil.which("chromium") or next(
        (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.access(p, os.X_OK)), None)
    if found is None:
        message = ("chromium not found on PATH or in /usr/bin: install Debian's chromium "
                   "(apt-get install -y chromium, as .ci/run does) to run the browser tests")
        if in_ci():
            pytest.fail(f"CI is set, so the browser tests must run: {message}")
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, server: subprocess.Popen, log: Path) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it exits or never answers."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"marketsim playground exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"marketsim playground did not answer at {url} within {SERVER_START_TIMEOUT_S} s:\n"
                f"{log.read_text()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def playground_url(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``marketsim playground`` (the bundled baseline: 80 quarters) on a free port; always stopped."""
    port = free_port()
    log = tmp_path_factory.mktemp("playground") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "marketsim", "playground", "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for_http(url, server, log)
            yield url
        finally:
            server.terminate()  # the command execs solara, so this is the server itself
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def new_context(browser: Browser) -> BrowserContext:
    """A fresh browser context: its own cookies, so its own playground session."""
    return browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)


def open_page(context: BrowserContext, url: str) -> Page:
    """The playground in a new tab of ``context``, once its run is ready (Play enabled)."""
    page = context.new_page()
    page.goto(url)
    expect(headline(page)).to_contain_text("period 0 of 80", timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Play")).to_be_enabled(timeout=UI_TIMEOUT_MS)
    return page


def headline(page: Page) -> Locator:
    return page.locator(".marketsim-headline")


def control_value(page: Page, name: str) -> Locator:
    return page.locator(f".marketsim-control-{name} .marketsim-control-value")


def expected_text(name: str, steps: int = 0) -> str:
    """What the page should show for control ``name`` of the bundled baseline, ``steps`` slider
    steps from its value (read off the scenario: its calibrated numbers may change)."""
    baseline = load_scenario(resolve_scenario_path("baseline"))
    (control,) = [c for c in CONTROLS if c.name == name]
    return control_text(control, control_default(control, baseline) + steps * control.step, baseline)


def press(page: Page, control: str, key: str, times: int) -> None:
    """Move a slider with the keyboard (``times`` steps)."""
    slider = page.locator(f".marketsim-control-{control} [role=slider]")
    slider.focus()
    for _ in range(times):
        slider.press(key)


def step_to(page: Page, period: int) -> None:
    for k in range(1, period + 1):
        page.get_by_role("button", name="Step").click()
        expect(headline(page)).to_contain_text(f"period {k} of 80")


def check_tabs_and_slider_values(page: Page) -> None:
    expect(page.get_by_role("tab")).to_have_text(["Market", "Stall vs no stall", "Tables"])
    expect(control_value(page, "hardware_growth")).to_have_text("Hardware growth: 1.38 x per year")
    for name in ("data_stock", "price_sensitivity", "outside_option", "sigma"):
        expect(control_value(page, name)).to_have_text(expected_text(name))
    expect(control_value(page, "price_sensitivity")).to_contain_text(" ln R per $ per adopter per quarter")
    expect(page.locator(".marketsim-control-price")).to_have_count(0)  # firms set prices: no price slider
    page.get_by_role("tab", name="Stall vs no stall").click()
    expect(page.locator(".marketsim-compare")).to_contain_text("stall after 2030", timeout=UI_TIMEOUT_MS)
    page.get_by_role("tab", name="Market").click()


def check_play_reveals_80_quarters_in_seconds(page: Page) -> float:
    """Play from period 0 to 80; returns the seconds it took."""
    data = page.locator(".marketsim-plot-adoption img.marketsim-data").first
    expect(data).to_be_attached(timeout=UI_TIMEOUT_MS)
    started = time.monotonic()
    page.get_by_role("button", name="Play").click()
    expect(headline(page)).to_contain_text(re.compile(r"period ([1-9]|[1-7]\d) of 80"), timeout=5_000)
    expect(headline(page)).to_contain_text("period 80 of 80", timeout=int(PLAY_80_QUARTERS_MAX_S * 1000))
    elapsed = time.monotonic() - started
    assert elapsed < PLAY_80_QUARTERS_MAX_S
    expect(page.get_by_role("button", name="Play")).to_be_visible()  # it stopped at the end
    # Every year is revealed: the data layer's clip leaves (almost) nothing on the right.
    right = float(re.search(r"inset\([\d.]+% ([\d.]+)%", data.get_attribute("style") or "").group(1))
    assert right < 5.0
    return elapsed


def check_csv_download(page: Page) -> None:
    """At period 4, the Tables tab downloads model.csv with its 4 periods."""
    page.get_by_role("button", name="Reset").click()
    step_to(page, 4)
    page.get_by_role("tab", name="Tables").click()
    with page.expect_download(timeout=UI_TIMEOUT_MS) as download:
        page.get_by_role("button", name="model.csv").click()
    assert download.value.suggested_filename == "model.csv"
    table = pd.read_csv(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
    assert list(table.columns) == ["step", *MODEL_COLUMNS]
    assert list(table["step"]) == [0, 1, 2, 3]
    assert table["year"].tolist() == [2025.0, 2025.25, 2025.5, 2025.75]
    page.get_by_role("tab", name="Market").click()


def check_sessions_are_independent(first: Page, second: Page) -> None:
    """``first`` is at period 4; ``second``, opened in another browser context, starts at 0."""
    expect(headline(second)).to_contain_text("period 0 of 80")
    step_to(second, 1)
    expect(headline(first)).to_contain_text("period 4 of 80")
    # A slider shows its value without dragging, and moves only its own session's setting and run.
    press(first, "sigma", "ArrowRight", 1)
    moved, unmoved = expected_text("sigma", steps=1), expected_text("sigma")
    sigma = moved.removeprefix("Threshold spread sigma: ").removesuffix(" ln R")
    expect(control_value(first, "sigma")).to_have_text(moved)
    expect(first.locator(".marketsim-command")).to_have_text(
        f"marketsim run baseline --set consumers.sigma={sigma} --seed 0")
    expect(first.locator(".marketsim-settings")).to_contain_text(moved, timeout=UI_TIMEOUT_MS)
    expect(control_value(second, "sigma")).to_have_text(unmoved)
    expect(second.locator(".marketsim-command")).to_have_text("marketsim run baseline --seed 0")
    expect(second.locator(".marketsim-settings")).to_contain_text(unmoved)
    expect(headline(second)).to_contain_text("period 1 of 80")


def test_the_playground_in_two_browser_sessions(browser: Browser, playground_url: str) -> None:
    """One server for every check (its start and first run dominate the time): tab names, slider
    values, playback speed, CSV download, and two browser contexts with independent sessions."""
    contexts = [new_context(browser), new_context(browser)]
    try:
        first = open_page(contexts[0], playground_url)
        check_tabs_and_slider_values(first)
        elapsed = check_play_reveals_80_quarters_in_seconds(first)
        print(f"\nplayback of 80 quarters: {elapsed:.1f} s")  # shown with pytest -s
        check_csv_download(first)
        check_sessions_are_independent(first, open_page(contexts[1], playground_url))
    finally:
        for context in contexts:
            context.close()


def test_without_chromium_the_browser_test_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="^CI is set, so the browser tests must run: chromium not found"):
        chromium_path()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="^chromium not found on PATH or in /usr/bin: install Debian"):
        chromium_path()
