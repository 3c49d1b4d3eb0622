"""How far period onsets in the browser page drift from the spec's, at the display's frame rate.

The page (taskspec web) anchors step k of a trial at start + k*dt on the performance.now() clock and
draws at each animation frame, so a period whose spec onset is t ms is first drawn at the first frame
at or after t: drift in [0, one frame) on an idle machine, more when frames are late. This script
runs the page in headless Chromium on the real clock (no fake clock), with nobody pressing keys (every
trial runs its full length), reads each trial's measured onsets from the downloaded log
(`onsets_ms`: ms from the frame that first drew the trial to the first frame of each period), and
prints their drift from the spec's onsets, with the frame intervals measured in the same page.

Needs Chromium (/usr/bin/chromium) and playwright (pip install 'taskspec[browser]'):

    python benchmarks/web_frame_timing.py [--task PerceptualDecisionMaking] [--trials 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import browser_harness as harness  # noqa: E402

from taskspec.web.experiment import write_experiment  # noqa: E402
from taskspec.web.replay import onset_drift, replay  # noqa: E402

# Frame intervals seen by the page's own requestAnimationFrame while the trials run.
FRAME_INTERVALS = """(frames) => new Promise((resolve) => {
  const times = [];
  const tick = (t) => { times.push(t); if (times.length <= frames) requestAnimationFrame(tick); else resolve(times); };
  requestAnimationFrame(tick);
})"""


def measure(task: str, trials: int, seed: int) -> tuple[dict, np.ndarray, dict]:
    with tempfile.TemporaryDirectory() as folder, harness.browser() as context:
        write_experiment(task, folder, trials=trials)
        page = harness.open_page(context, Path(folder) / "index.html", fake_clock=False, query=f"seed={seed}")
        page.click("#start")
        times = np.diff(page.evaluate(FRAME_INTERVALS, 300))
        page.wait_for_function("window.taskspecExperiment.done", timeout=trials * 20_000, polling=500)
        log = harness.download_json(page, "#download-json")
    return log, times, onset_drift(log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="PerceptualDecisionMaking")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    why = harness.missing()
    if why:
        print(f"cannot measure: {why}")
        return 1
    load_before = os.getloadavg()
    log, frames, table = measure(args.task, args.trials, args.seed)
    load_after = os.getloadavg()
    print(f"{args.task}, {len(log['trials'])} trials at dt = {log['dt']:g} ms, headless Chromium ({log['user_agent']})")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    print(
        f"frame interval: mean {frames.mean():.2f} ms ({1000 / frames.mean():.1f} Hz), sd {frames.std():.2f} ms, "
        f"max {frames.max():.1f} ms over {len(frames)} frames"
    )
    spec = {name: bounds[0] for name, bounds in log["trials"][0]["periods"].items()}
    print(f"{'period':<12}{'spec onset':>11}{'trials':>8}{'mean drift':>12}{'sd':>8}{'max |drift|':>13}  (ms)")
    for name, row in table.items():
        print(
            f"{name:<12}{spec[name]:>11g}{row['n']:>8.0f}{row['mean']:>12.2f}{row['sd']:>8.2f}{row['max_abs']:>13.2f}"
        )
    result = replay(log)
    print(f"replay in Python: {result.steps} steps, {len(result.mismatches)} mismatches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
