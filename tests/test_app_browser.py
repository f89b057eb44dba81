"""End to end in a real browser: `marketsim playground` on a free localhost port, driven by Playwright.

Uses Debian's chromium (installed by .ci/run when absent) through ``executable_path``, headless;
never a browser downloaded by Playwright. Skipped only when no chromium can be found.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_START_TIMEOUT_S = 120  # generous: a cold start imports solara, mesa and matplotlib
UI_TIMEOUT_MS = 90_000  # a period with its six plots takes about a second on a shared 2-core machine
PLOTS = ("adoption", "model-size", "training-spend")


def chromium_path() -> str:
    """Debian's chromium, or skip the test saying how to get it."""
    found = shutil.which("chromium") or next(
        (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.access(p, os.X_OK)), None)
    if found is None:
        pytest.skip("chromium not found on PATH or in /usr/bin: install Debian's chromium "
                    "(apt-get install -y chromium, as .ci/run does) to run the browser test")
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


@pytest.fixture
def chromium() -> str:
    return chromium_path()


@pytest.fixture
def playground_url(chromium: str, tmp_path: Path) -> Iterator[str]:
    """``marketsim playground`` (the baseline) on a free port; always terminated afterwards."""
    port = free_port()
    log = tmp_path / "server.log"
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


def stat(headline: str, label: str) -> str:
    """A value of the headline panel, whose text lists each label with its value on the next line."""
    lines = [line.strip() for line in headline.splitlines() if line.strip()]
    return lines[lines.index(label) + 1]


def period(headline: Locator) -> int:
    match = re.search(r"period (\d+) of", headline.inner_text())
    assert match, headline.inner_text()
    return int(match.group(1))


def settled_period(headline: Locator) -> int:
    """The period once playing has stopped (the step under way when pause was pressed finishes)."""
    last = period(headline)
    for _ in range(60):
        time.sleep(1.0)
        now = period(headline)
        if now == last:
            return now
        last = now
    pytest.fail("the model kept stepping after pause")


def plot_images(page: Page) -> dict[str, bytes]:
    return {name: page.locator(f".marketsim-plot-{name} img").screenshot() for name in PLOTS}


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting until {what}")
        time.sleep(0.5)


def test_play_advances_the_year_and_a_slider_changes_the_plots_and_headline(
        chromium: str, playground_url: str, tmp_path: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1300})
            page.goto(playground_url)
            headline = page.locator(".marketsim-headline")
            expect(headline).to_contain_text("period 0 of 80", timeout=UI_TIMEOUT_MS)
            assert stat(headline.inner_text(), "Year") == "2025.00"

            # Play until the second model generation (period 6: the first retraining, a year in).
            page.get_by_role("button", name="▶").click()
            expect(headline).to_contain_text(re.compile(r"period ([6-9]|\d\d+) of 80"), timeout=UI_TIMEOUT_MS)
            page.get_by_role("button", name="❚❚").click()
            reached = settled_period(headline)
            before = headline.inner_text()
            assert float(stat(before, "Year")) >= 2026.25  # the year advanced
            expect(page.locator(".marketsim-plot-adoption img")).to_be_visible()
            wait_until(lambda: plot_images(page) == plot_images(page), "the plots stop changing", 30)
            plots_before = plot_images(page)

            # Faster hardware progress: 30 steps of 0.01 from the baseline's 1.38x per year.
            slider = page.get_by_role("slider", name="Hardware growth (x/yr)")
            expect(slider).to_have_attribute("aria-valuenow", "1.38")
            slider.focus()
            for _ in range(30):
                slider.press("ArrowRight")
            expect(slider).to_have_attribute("aria-valuenow", "1.68")
            page.get_by_role("button", name="Reset").click()
            expect(headline).to_contain_text("period 0 of 80", timeout=UI_TIMEOUT_MS)
            expect(page.locator(".marketsim-settings")).to_contain_text("hardware 1.68x/yr")
            for k in range(1, reached + 1):
                page.get_by_role("button", name="Step").click()
                expect(headline).to_contain_text(f"period {k} of 80", timeout=UI_TIMEOUT_MS)

            after = headline.inner_text()
            assert stat(after, "Year") == stat(before, "Year")  # same period, new parameters
            assert float(stat(after, "E (FLOP/$)")) > float(stat(before, "E (FLOP/$)"))
            assert stat(after, "Largest N") != stat(before, "Largest N")
            wait_until(lambda: all(plot_images(page)[name] != plots_before[name] for name in PLOTS),
                       "every plot shows the new run")

            # The compare view overlays the run with a stall in 2030 (five years after 2025).
            page.get_by_role("tab", name="Page 1").click()
            compare = page.locator(".marketsim-compare")
            expect(compare).to_contain_text("stall after 2030", timeout=UI_TIMEOUT_MS)
            expect(page.locator(".marketsim-plot-compare-adoption_share img")).to_be_visible(timeout=UI_TIMEOUT_MS)

            page.get_by_role("tab", name="Page 0").click()
            expect(page.locator(".marketsim-plot-adoption img")).to_be_visible(timeout=UI_TIMEOUT_MS)
            shot = tmp_path / "playground.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000  # a rendered page, not a blank one

            # A typo in the seed box is reported on the page, which keeps working.
            seed = page.get_by_label("Random seed (as marketsim run --seed)")
            seed.fill("abc")
            seed.press("Enter")
            page.get_by_role("button", name="Reset").click()
            expect(page.locator(".marketsim-error")).to_contain_text("seed = 'abc': must be a whole number",
                                                                     timeout=UI_TIMEOUT_MS)
            expect(headline).to_contain_text("period 0 of 80")
        finally:
            browser.close()
