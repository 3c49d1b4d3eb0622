"""Screenshots of the browser experiment (`taskspec web`) of a few bundled tasks, for the docs.

For each demo task: the instructions screen, and the display mid-trial at a chosen time (the page
runs on Playwright's fake clock, with a fixed seed, so the same picture comes back each run). For
PerceptualDecisionMaking also the jsPsych timeline's trial, when jsPsych is vendored. Needs Chromium
and playwright (pip install 'taskspec[browser]'); run from the repository root:

    python docs/figures/web/make_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import browser_harness as harness  # noqa: E402

from taskspec.web.experiment import write_experiment  # noqa: E402

# task -> ms after the trial's first frame at which its display is shot (a period showing its inputs)
DEMOS = {
    "PerceptualDecisionMaking": 1000,  # the two-direction ring stimulus
    "ContextDecisionMaking": 600,  # the stimulus: two modalities, two values each, as bars
    "DelayComparison": 700,  # the first value as a bar
    "GoNogo": 300,  # the go or no-go cue
    "ReadySetGo": 120,  # the ready cue
}
SEED = 4


def shoot(context, folder: Path, stem: str, at_ms: int) -> list[Path]:
    page = harness.open_page(context, folder / "index.html", query=f"seed={SEED}")
    shots = [HERE / f"{stem}_instructions.png", HERE / f"{stem}_trial.png"]
    page.screenshot(path=shots[0])
    page.click("#start")
    page.clock.run_for(harness.FRAME_MS + at_ms)
    page.locator("#display").screenshot(path=shots[1])
    assert page.errors == [], page.errors
    page.close()
    return shots


def shoot_jspsych(context, folder: Path, stem: str, at_ms: int) -> list[Path]:
    page = harness.open_page(context, folder / "jspsych.html", query=f"seed={SEED}")
    shots = [HERE / f"{stem}_jspsych_start.png", HERE / f"{stem}_jspsych_trial.png"]
    page.screenshot(path=shots[0])
    harness.run_for(page, 100, [(50, " ")])
    page.clock.run_for(at_ms)
    page.screenshot(path=shots[1])
    assert page.errors == [], page.errors
    page.close()
    return shots


def main() -> int:
    why = harness.missing()
    if why:
        print(f"cannot take screenshots: {why}")
        return 1
    written = []
    with tempfile.TemporaryDirectory() as tmp, harness.browser(viewport=(900, 700)) as context:
        for task, at_ms in DEMOS.items():
            folder = Path(tmp) / task
            write_experiment(task, folder, trials=10)
            stem = "".join("_" + c.lower() if c.isupper() else c for c in task).lstrip("_")
            written += shoot(context, folder, stem, at_ms)
            if task == "PerceptualDecisionMaking" and (folder / "jspsych.html").exists():
                written += shoot_jspsych(context, folder, stem, at_ms)
    for path in written:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
