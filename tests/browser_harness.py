"""Driving pages in headless Debian Chromium through Playwright: used by tests/test_browser.py and by the
scripts that take the docs' screenshots and measure frame timing (benchmarks/web_frame_timing.py,
docs/figures/web/make_screenshots.py, examples/people_vs_network.py).

Playwright's own browser download is not reachable here: it drives the system Chromium through
`executable_path`, with a fresh profile each launch. A scripted participant runs on Playwright's fake
clock (`page.clock`): the page's timers, `requestAnimationFrame` and `performance.now` advance only when
the script says, so key presses land at the chosen times whatever the machine's load. Frame timing is
measured on the real clock instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
PAUSED_AT = 60_000  # ms on the fake clock where a loaded page waits for the script (beyond any load time)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing() -> str | None:
    """Why a browser cannot be driven here, or None when it can."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    return None


def required() -> bool:
    """CI's browser stage sets TASKSPEC_REQUIRE=chromium: there a missing browser fails instead of skipping."""
    return "chromium" in os.environ.get("TASKSPEC_REQUIRE", "").split(",")


@contextlib.contextmanager
def browser(viewport: tuple[int, int] = (1000, 700), driver: Any = None) -> Iterator[Any]:
    """A Chromium context with a fresh profile that accepts downloads (`driver`: a running
    sync_playwright() to launch it from, else one of its own)."""
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        if driver is None:
            driver = stack.enter_context(sync_playwright())
        profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="taskspec-chromium-"))
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        try:
            yield context
        finally:
            context.close()


def open_page(context: Any, path: str | Path, fake_clock: bool = True, query: str = "") -> Any:
    """A page showing the file at `path` (file://, no server), in front, the context's other pages closed;
    its console errors are collected in `page.errors` so a test can assert there were none."""
    for other in context.pages:  # a tab in the background gets no animation frames: one page at a time
        other.close()
    page = context.new_page()
    page.bring_to_front()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    if fake_clock:  # the clock is the context's: a real-clock page needs a context without one
        page.clock.install(time=0)
    page.goto(Path(path).resolve().as_uri() + (f"?{query}" if query else ""))
    if fake_clock:  # an installed clock still flows with real time until paused: from here on, run_for moves it
        page.clock.pause_at(PAUSED_AT)
    return page


def run_for(page: Any, ms: float, presses: list[tuple[float, str]]) -> None:
    """Advance the page's fake clock by `ms`, pressing each (time, key) of `presses` (ms from now) on the way."""
    now = 0.0
    for at, key in sorted(presses):
        if at > now:
            page.clock.run_for(int(round(at - now)))
            now = at
        page.keyboard.press(key)
    if ms > now:
        page.clock.run_for(int(round(ms - now)))


def download_json(page: Any, selector: str) -> dict[str, Any]:
    """Click `selector` and read the JSON file the page hands to the browser's download."""
    with page.expect_download() as event:
        page.click(selector)
    path = event.value.path()
    return json.loads(Path(path).read_text())  # type: ignore[no-any-return]


FRAME_MS = 16  # Playwright's fake clock runs requestAnimationFrame every 16 ms

# Where the experiment page (page.js) is: [session state, trials finished, current step], or null before the start.
PAGE_STATE = """(() => { const s = window.taskspecExperiment && window.taskspecExperiment.session;
  return s ? [s.state, s.log.trials.length, s.k] : null; })()"""


def play_page(page: Any, plan: dict[int, list[tuple[int, str]]], limit_ms: float = 600_000) -> None:
    """A scripted participant on the experiment page: presses `key` during step `step` of trial `i` for
    each (step, key) in `plan[i]`, watching the page's session on the fake clock, until the session is
    done (or `limit_ms` of page time passed: then AssertionError). It watches frame by frame when a
    press is due or a trial may be starting, and otherwise skips ahead by whole steps."""
    dt = float(page.evaluate("window.taskspecExperiment.config.dt"))
    pressed: set[tuple[int, int, str]] = set()
    waited = 0.0
    while waited < limit_ms:
        state = page.evaluate(PAGE_STATE)
        if state is not None and state[0] == "done":
            return
        ahead = float(FRAME_MS)
        if state is not None and state[0] == "running":
            _, trial, step = state
            due = [(at, key) for at, key in plan.get(trial, []) if (trial, at, key) not in pressed and at >= step]
            for at, key in due:
                if at == step:
                    page.keyboard.press(key)
                    pressed.add((trial, at, key))
            later = [at for at, key in due if at > step]
            if not later:  # nothing more to press in this trial: whole steps until it ends
                ahead = dt
            elif min(later) > step + 1:  # skip to the step before the next press, frame by frame from there
                ahead = max(float(FRAME_MS), (min(later) - step - 1) * dt - FRAME_MS)
        page.clock.run_for(int(ahead))
        waited += ahead
    raise AssertionError(f"the page's session did not finish within {limit_ms} ms of page time")
